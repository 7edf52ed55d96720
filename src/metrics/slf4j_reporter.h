/*
 * slf4j_reporter.h: Flink's Slf4jReporter: every interval, one log line block holding every
 * metric by its identifier (metric_identifier), in Flink's layout:
 *
 *   =========================== Starting metrics report ===========================
 *   -- Counters -------------------------------------------------------------------
 *   <identifier>: <count>
 *   -- Gauges ---------------------------------------------------------------------
 *   -- Meters ---------------------------------------------------------------------
 *   -- Histograms -----------------------------------------------------------------
 *   <identifier>: count=.., min=.., max=.., mean=.., stddev=.., p50=.., p75=.., p95=..,
 *   p98=.., p99=.., p999=..
 *   =========================== Finished metrics report ===========================
 */
#ifndef SPATE_METRICS_SLF4J_REPORTER_H
#define SPATE_METRICS_SLF4J_REPORTER_H
#include <stdint.h>

#include "base/strbuf.h"
#include "metrics/metric_registry.h"

typedef struct slf4j_reporter slf4j_reporter;

/* The report of reg now, appended to out. 0 or SPATE_ENOMEM. */
int slf4j_report(metric_registry *reg, sp_strbuf *out);
/* Starts a thread that logs slf4j_report every interval_ms. */
int slf4j_reporter_start(metric_registry *reg, const char *name, int64_t interval_ms,
                         slf4j_reporter **out);
void slf4j_reporter_stop(slf4j_reporter *r);
#endif
