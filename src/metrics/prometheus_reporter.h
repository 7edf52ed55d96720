/*
 * prometheus_reporter.h: Flink's PrometheusReporter: an HTTP server (libmicrohttpd) in the
 * process serving the registry in the Prometheus text format (prometheus_text.h) on / and
 * /metrics, rendered at each scrape.
 */
#ifndef SPATE_METRICS_PROMETHEUS_REPORTER_H
#define SPATE_METRICS_PROMETHEUS_REPORTER_H
#include <stddef.h>

#include "metrics/metric_registry.h"
#include "metrics/prometheus_text.h"

typedef struct prometheus_reporter prometheus_reporter;

/* Listens on the first free port of [port_lo, port_hi] (port 0: one the kernel picks), on every
 * interface as Flink's does. opt's strings are copied. Errors name the range. */
int prometheus_reporter_start(metric_registry *reg, int port_lo, int port_hi,
                              const prometheus_options *opt, prometheus_reporter **out, char *err,
                              size_t err_len);
int prometheus_reporter_port(const prometheus_reporter *r);
void prometheus_reporter_stop(prometheus_reporter *r);
#endif
