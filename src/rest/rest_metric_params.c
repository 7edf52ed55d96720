/*
 * rest_metric_params.c: the metric endpoints' query parameters and aggregations
 * (rest_metric_params.h).
 */
#include "rest/rest_metric_params.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/err.h"

/* Flink's message for a query parameter that does not parse. */
static int bad_param(char *err, size_t err_len, const char *param, const char *value,
                     const char *why) {
  return sp_err(err, err_len, SPATE_EINVAL,
                "Cannot resolve query parameter (%s) from value \"%.100s\": %s", param, value, why);
}

int rest_name_list_parse(const char *s, rest_name_list *out) {
  memset(out, 0, sizeof *out);
  if (!s) return 0;
  size_t items = 1;
  for (const char *p = s; *p; p++) items += *p == ',';
  out->v = sp_calloc(items, sizeof *out->v);
  if (!out->v) return SPATE_ENOMEM;
  for (const char *p = s;;) {
    const char *end = strchr(p, ',');
    if (!end) end = p + strlen(p);
    const char *a = p, *b = end;
    while (a < b && isspace((unsigned char)*a)) a++;
    while (b > a && isspace((unsigned char)b[-1])) b--;
    if (b > a) {
      char *item = sp_malloc((size_t)(b - a) + 1);
      if (!item) {
        rest_name_list_free(out);
        return SPATE_ENOMEM;
      }
      memcpy(item, a, (size_t)(b - a));
      item[b - a] = 0;
      out->v[out->n++] = item;
    }
    if (!*end) break;
    p = end + 1;
  }
  return 0;
}

bool rest_name_list_has(const rest_name_list *l, const char *name) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i], name) == 0) return true;
  return false;
}

void rest_name_list_free(rest_name_list *l) {
  for (size_t i = 0; i < l->n; i++) sp_free(l->v[i]);
  sp_free(l->v);
  memset(l, 0, sizeof *l);
}

int rest_metric_parse_agg(const char *s, unsigned *out, char *err, size_t err_len) {
  static const struct {
    const char *name;
    unsigned bit;
  } modes[] = {{"min", REST_AGG_MIN},
               {"max", REST_AGG_MAX},
               {"avg", REST_AGG_AVG},
               {"sum", REST_AGG_SUM},
               {"skew", REST_AGG_SKEW}};
  rest_name_list l;
  if (rest_name_list_parse(s, &l) < 0) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  unsigned bits = 0;
  for (size_t i = 0; i < l.n; i++) {
    unsigned bit = 0;
    for (size_t k = 0; k < sizeof modes / sizeof modes[0] && !bit; k++)
      if (strcasecmp(l.v[i], modes[k].name) == 0) bit = modes[k].bit;
    if (!bit) {
      int rc = bad_param(err, err_len, "agg", l.v[i], "expected min, max, avg, sum or skew");
      rest_name_list_free(&l);
      return rc;
    }
    bits |= bit;
  }
  rest_name_list_free(&l);
  *out = bits ? bits : REST_AGG_ALL;
  return 0;
}

/* A non-negative int of the whole of [a, b): true and *v, or false. */
static bool parse_index(const char *a, const char *b, int *v) {
  if (a == b || b - a > 10) return false;
  long long x = 0;
  for (const char *p = a; p < b; p++) {
    if (!isdigit((unsigned char)*p)) return false;
    x = x * 10 + (*p - '0');
  }
  if (x > 0x7fffffff) return false;
  *v = (int)x;
  return true;
}

int rest_metric_parse_subtasks(const char *s, rest_index_ranges *out, char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  rest_name_list l;
  if (rest_name_list_parse(s, &l) < 0) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  int rc = 0;
  if (l.n && !(out->r = sp_calloc(l.n, sizeof *out->r)))
    rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i < l.n; i++) {
    const char *item = l.v[i], *end = item + strlen(item), *dash = strchr(item, '-');
    int lo, hi;
    bool ok = dash ? parse_index(item, dash, &lo) && parse_index(dash + 1, end, &hi)
                   : parse_index(item, end, &lo);
    if (!dash) hi = lo;
    if (!ok)
      rc = bad_param(err, err_len, "subtasks", item,
                     "expected a subtask index or a range such as 5-9");
    else if (lo > hi)
      rc = bad_param(err, err_len, "subtasks", item, "the range's start is after its end");
    else
      out->r[out->n++] = (struct rest_index_range){lo, hi};
  }
  rest_name_list_free(&l);
  if (rc < 0) rest_index_ranges_free(out);
  return rc;
}

bool rest_index_ranges_has(const rest_index_ranges *r, int index) {
  for (size_t i = 0; i < r->n; i++)
    if (index >= r->r[i].lo && index <= r->r[i].hi) return true;
  return false;
}

void rest_index_ranges_free(rest_index_ranges *r) {
  sp_free(r->r);
  memset(r, 0, sizeof *r);
}

int rest_metric_parse_job_ids(const char *s, rest_name_list *out, char *err, size_t err_len) {
  if (rest_name_list_parse(s, out) < 0) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  for (size_t i = 0; i < out->n; i++) {
    char *id = out->v[i];
    bool ok = strlen(id) == 32;
    for (size_t k = 0; ok && id[k]; k++) {
      ok = isxdigit((unsigned char)id[k]);
      id[k] = (char)tolower((unsigned char)id[k]);
    }
    if (!ok) {
      int rc = bad_param(err, err_len, "jobs", id, "a job id is 32 hexadecimal digits");
      rest_name_list_free(out);
      return rc;
    }
  }
  return 0;
}

int rest_metric_agg_add(rest_metric_agg *a, const char *value) {
  if (!value) return 0;
  char *end;
  double d = strtod(value, &end);
  while (isspace((unsigned char)*end)) end++;
  if (end == value || *end) {
    a->not_numeric = true;
    return 0;
  }
  if (!isfinite(d)) return 0;
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 8;
    double *v = sp_realloc(a->v, cap * sizeof *v);
    if (!v) return SPATE_ENOMEM;
    a->v = v;
    a->cap = cap;
  }
  a->v[a->n++] = d;
  return 0;
}

double rest_metric_agg_min(const rest_metric_agg *a) {
  double m = a->v[0];
  for (size_t i = 1; i < a->n; i++) m = fmin(m, a->v[i]);
  return m;
}

double rest_metric_agg_max(const rest_metric_agg *a) {
  double m = a->v[0];
  for (size_t i = 1; i < a->n; i++) m = fmax(m, a->v[i]);
  return m;
}

double rest_metric_agg_sum(const rest_metric_agg *a) {
  double s = 0;
  for (size_t i = 0; i < a->n; i++) s += a->v[i];
  return s;
}

double rest_metric_agg_avg(const rest_metric_agg *a) {
  return a->n ? rest_metric_agg_sum(a) / (double)a->n : 0;
}

double rest_metric_agg_skew(const rest_metric_agg *a) {
  double avg = rest_metric_agg_avg(a);
  if (a->n == 0 || avg == 0.0) return 0.0;
  double dev = 0;
  for (size_t i = 0; i < a->n; i++) dev += fabs(avg - a->v[i]);
  return fmin(dev / (double)a->n / avg * 100.0, 100.0);
}

void rest_metric_agg_free(rest_metric_agg *a) {
  sp_free(a->v);
  memset(a, 0, sizeof *a);
}
