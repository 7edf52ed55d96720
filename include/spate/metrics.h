/*
 * spate/metrics.h: the metrics a user function registers, part of the public API that
 * spate/spate.h includes (a job includes spate.h only). The functions take the context a UDF gets
 * (spate_ctx, declared in spate.h).
 */
#ifndef SPATE_METRICS_H
#define SPATE_METRICS_H

#include <stdint.h>

typedef struct spate_ctx spate_ctx;

/* User metrics (Flink's RuntimeContext.getMetricGroup()): counters, gauges, meters and
 * histograms a function registers in its open function, scoped to its operator's subtask and
 * reported with the operator's metrics (REST, Prometheus; counters also as the job's
 * accumulators). Registering a name again returns the metric it already names (Flink warns about
 * such duplicates); a name used for another kind, an empty name or one over 127 bytes gives NULL
 * and a context error. The update functions take NULL and do nothing, are meant for the UDF's own
 * calls (the subtask's thread) and cost a plain add or store: no lock, no atomic read-modify-write.
 * The metrics live as long as the subtask. */
typedef struct spate_counter spate_counter;
typedef struct spate_gauge spate_gauge;
typedef struct spate_meter spate_meter;
typedef struct spate_histogram spate_histogram;
spate_counter *spate_ctx_counter(spate_ctx *ctx, const char *name);
void spate_counter_inc(spate_counter *c);
void spate_counter_dec(spate_counter *c);
void spate_counter_add(spate_counter *c, int64_t n); /* n may be negative */
int64_t spate_counter_value(const spate_counter *c);
/* A gauge holds the last value set (read by reporters on other threads; starts at 0), rather
 * than calling back into the UDF from a reporter's thread. */
spate_gauge *spate_ctx_gauge(spate_ctx *ctx, const char *name);
void spate_gauge_set(spate_gauge *g, double value);
double spate_gauge_value(const spate_gauge *g);
/* A meter counts events; reporters turn the count into a rate per second (Flink's MeterView). */
spate_meter *spate_ctx_meter(spate_ctx *ctx, const char *name);
void spate_meter_mark(spate_meter *m, int64_t n);
int64_t spate_meter_count(const spate_meter *m);
/* A histogram over the last `window` values (1 to 1048576; Flink's
 * DescriptiveStatisticsHistogram): reporters read count, min, max, mean, stddev and the
 * quantiles 0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.999. Registering the name again with another
 * window returns the existing histogram. */
spate_histogram *spate_ctx_histogram(spate_ctx *ctx, const char *name, int window);
void spate_histogram_update(spate_histogram *h, int64_t value);
int64_t spate_histogram_count(const spate_histogram *h); /* values ever recorded */
#endif
