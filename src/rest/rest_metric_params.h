/*
 * rest_metric_params.h: the query parameters of Flink's REST metric endpoints, parsed strictly
 * (rest_routes_metrics.c): get=a,b (the metrics asked for), agg=min,max,sum,avg,skew (Flink's
 * MetricsAggregationParameter), subtasks=1,3,5-9 (SubtasksFilterQueryParameter: indexes and
 * inclusive ranges), jobs=<id>,<id> and taskmanagers=<id>,<id>; and the aggregation of a metric
 * over components (Flink's DoubleAccumulator: min, max, sum, avg, skew).
 *
 * A parser's error names the parameter and the value, as Flink's "Cannot resolve query parameter
 * (agg) from value ..."; the handler answers it with 400.
 */
#ifndef SPATE_REST_REST_METRIC_PARAMS_H
#define SPATE_REST_REST_METRIC_PARAMS_H
#include <stdbool.h>
#include <stddef.h>

/* A comma-separated list: its non-empty items (owned). */
typedef struct rest_name_list {
  char **v;
  size_t n;
} rest_name_list;
/* Splits s (NULL: nothing) at commas, dropping empty items and surrounding blanks. 0 or
 * SPATE_ENOMEM. */
int rest_name_list_parse(const char *s, rest_name_list *out);
bool rest_name_list_has(const rest_name_list *l, const char *name);
void rest_name_list_free(rest_name_list *l);

/* Flink's AggregationMode, as bits. */
enum {
  REST_AGG_MIN = 1,
  REST_AGG_MAX = 2,
  REST_AGG_AVG = 4,
  REST_AGG_SUM = 8,
  REST_AGG_SKEW = 16,
  REST_AGG_ALL = 31
};
/* agg (NULL or empty: every aggregation) into *out; SPATE_EINVAL for an unknown mode (case is
 * ignored, as Flink's valueOf of the upper-cased value). */
int rest_metric_parse_agg(const char *s, unsigned *out, char *err, size_t err_len);

/* Subtask indexes: inclusive ranges (a single index is lo == hi). */
typedef struct rest_index_ranges {
  struct rest_index_range {
    int lo, hi;
  } * r;
  size_t n;
} rest_index_ranges;
/* subtasks (NULL or empty: none, meaning all) into out; SPATE_EINVAL for an item that is not a
 * non-negative int or a range lo-hi with lo <= hi. */
int rest_metric_parse_subtasks(const char *s, rest_index_ranges *out, char *err, size_t err_len);
bool rest_index_ranges_has(const rest_index_ranges *r, int index);
void rest_index_ranges_free(rest_index_ranges *r);

/* jobs: job ids, each 32 hexadecimal digits (lower-cased); SPATE_EINVAL names a bad one. */
int rest_metric_parse_job_ids(const char *s, rest_name_list *out, char *err, size_t err_len);

/* One metric's values over the components aggregated. */
typedef struct rest_metric_agg {
  double *v;
  size_t n, cap;
  bool not_numeric; /* a value did not parse: Flink leaves the metric out of the answer */
} rest_metric_agg;
/* Adds the value text (NULL: the component lacks the metric, nothing to add). A value that is
 * not a number sets not_numeric; NaN and infinities are skipped (JSON has no such numbers). 0 or
 * SPATE_ENOMEM. */
int rest_metric_agg_add(rest_metric_agg *a, const char *value);
/* The aggregations of the values added (n > 0): Flink's DoubleAccumulator figures. */
double rest_metric_agg_min(const rest_metric_agg *a);
double rest_metric_agg_max(const rest_metric_agg *a);
double rest_metric_agg_sum(const rest_metric_agg *a);
double rest_metric_agg_avg(const rest_metric_agg *a);
/* The mean absolute deviation over the mean, in percent, at most 100; 0 when the mean is 0. */
double rest_metric_agg_skew(const rest_metric_agg *a);
void rest_metric_agg_free(rest_metric_agg *a);
#endif
