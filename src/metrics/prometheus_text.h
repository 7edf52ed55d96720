/*
 * prometheus_text.h: a registry's metrics in the Prometheus text exposition format (0.0.4), as
 * Flink's PrometheusReporter exposes them: the name is "flink_" + the group's logical scope
 * joined by '_' + '_' + the metric's name, characters outside [a-zA-Z0-9:_] replaced by '_';
 * the labels are the scope variables (without <>); counters, numeric gauges and meters (their
 * rate) are gauges, histograms summaries (quantiles 0.5, 0.75, 0.95, 0.98, 0.99, 0.999 and
 * _count); text gauges are left out. Every family has one HELP and one TYPE line followed by all
 * its series.
 */
#ifndef SPATE_METRICS_PROMETHEUS_TEXT_H
#define SPATE_METRICS_PROMETHEUS_TEXT_H
#include <stdbool.h>

#include "base/strbuf.h"
#include "metrics/metric_registry.h"

typedef struct prometheus_options {
  bool filter_label_values; /* filterLabelValueCharacters: label values' characters outside
                               [a-zA-Z0-9:_] become '_' (Flink's default) */
  const char *excluded;     /* scope.variables.excludes: ';'-separated variable names (with or
                               without <>) left out of the labels, or NULL */
} prometheus_options;

/* Appends the exposition of every metric of reg to out. 0 or SPATE_ENOMEM. */
int prometheus_render(metric_registry *reg, const prometheus_options *opt, sp_strbuf *out);
#endif
