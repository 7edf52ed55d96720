/*
 * metric_reporters.h: the reporters of a process, configured as Flink's: metrics.reporters (an
 * allow-list of names; unset: every reporter configured), and per reporter name
 * metrics.reporter.<name>.factory.class (Flink's PrometheusReporterFactory or
 * Slf4jReporterFactory class names, or Spate's "prometheus", "slf4j", "log"; the older .class
 * form with PrometheusReporter / Slf4jReporter works too), .port (Prometheus: 9249, or a range
 * "9250-9260" whose first free port is taken), .interval (slf4j: 10 s),
 * .filterLabelValueCharacters and .scope.variables.excludes (Prometheus).
 *
 *   prometheus  an HTTP server on its port serving the registry on / and /metrics in the
 *               Prometheus text format (prometheus_text.h); a pull reporter.
 *   slf4j       logs every metric at each interval in the text of Flink's Slf4jReporter
 *               (slf4j_reporter.h), at INFO level through base/log.h.
 */
#ifndef SPATE_METRICS_METRIC_REPORTERS_H
#define SPATE_METRICS_METRIC_REPORTERS_H
#include <stddef.h>

#include "base/config.h"
#include "metrics/metric_registry.h"

typedef struct metric_reporters metric_reporters;

/* Starts the reporters cfg configures on reg (none configured: *out is an empty set). A
 * reporter of unknown kind, a bad port range or a port range without a free port is an error
 * naming the key; nothing is left running then. */
int metric_reporters_start(metric_registry *reg, const sp_config *cfg, metric_reporters **out,
                           char *err, size_t err_len);
/* Stops and frees them (NULL: nothing). */
void metric_reporters_stop(metric_reporters *r);
/* The port the first Prometheus reporter listens on, or -1 without one. */
int metric_reporters_prometheus_port(const metric_reporters *r);
#endif
