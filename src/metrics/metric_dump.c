/*
 * metric_dump.c: Flink's MetricDump as values, and their encoding for RPC.
 *
 * Encoding: "SPMD", u8 version 1, u32 n, then per entry: u8 scope, str job id, str vertex id,
 * i32 subtask, i32 attempt, str operator name (NULL unless OPERATOR), str name, u8 kind, then
 * the value: COUNTER i64; GAUGE str; METER f64 (as u64 bits); HISTOGRAM i64 count and eleven
 * f64 (min, max, mean, stddev, p50, p75, p90, p95, p98, p99, p999).
 */
#include "metrics/metric_dump.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

#define DUMP_MAGIC "SPMD"
#define DUMP_VERSION 1
/* An entry takes at least this many bytes encoded: a count cannot claim more than fit. */
#define MIN_ENTRY_BYTES 30

metric_dump_entry *metric_dump_add(metric_dump *d) {
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 64;
    metric_dump_entry *e = sp_realloc(d->entries, cap * sizeof *e);
    if (!e) return NULL;
    d->entries = e;
    d->cap = cap;
  }
  metric_dump_entry *e = &d->entries[d->n++];
  memset(e, 0, sizeof *e);
  e->subtask = e->attempt = -1;
  return e;
}

void metric_dump_free(metric_dump *d) {
  for (size_t i = 0; i < d->n; i++) {
    sp_free(d->entries[i].operator_name);
    sp_free(d->entries[i].name);
    sp_free(d->entries[i].gauge);
  }
  sp_free(d->entries);
  memset(d, 0, sizeof *d);
}

/* A double as Flink's REST prints one (Java's Double.toString for the common cases: integral
 * values keep ".0", NaN and infinities by name). */
static void print_double(double v, char *buf, size_t len) {
  if (isnan(v))
    snprintf(buf, len, "NaN");
  else if (isinf(v))
    snprintf(buf, len, v > 0 ? "Infinity" : "-Infinity");
  else if (v == (double)(int64_t)v && fabs(v) < 1e15)
    snprintf(buf, len, "%.1f", v);
  else
    snprintf(buf, len, "%.17g", v);
}

const char *metric_dump_value(const metric_dump_entry *e, char *buf, size_t len) {
  switch (e->kind) {
  case METRIC_COUNTER: snprintf(buf, len, "%lld", (long long)e->count); break;
  case METRIC_GAUGE: snprintf(buf, len, "%s", e->gauge ? e->gauge : ""); break;
  case METRIC_METER: print_double(e->rate, buf, len); break;
  case METRIC_HISTOGRAM: print_double(e->hist.mean, buf, len); break;
  default: snprintf(buf, len, "%s", "");
  }
  return buf;
}

static void put_f64(sp_writer *w, double v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  sp_put_u64(w, bits);
}

static double get_f64(sp_reader *r) {
  uint64_t bits = sp_get_u64(r);
  double v;
  memcpy(&v, &bits, sizeof v);
  return v;
}

int metric_dump_encode(const metric_dump *d, sp_writer *w) {
  sp_put_bytes(w, DUMP_MAGIC, 4);
  sp_put_u8(w, DUMP_VERSION);
  sp_put_u32(w, (uint32_t)d->n);
  for (size_t i = 0; i < d->n; i++) {
    const metric_dump_entry *e = &d->entries[i];
    sp_put_u8(w, (uint8_t)e->scope);
    sp_put_str(w, e->job_id);
    sp_put_str(w, e->vertex_id);
    sp_put_i32(w, e->subtask);
    sp_put_i32(w, e->attempt);
    sp_put_str(w, e->operator_name);
    sp_put_str(w, e->name ? e->name : "");
    sp_put_u8(w, (uint8_t)e->kind);
    switch (e->kind) {
    case METRIC_COUNTER: sp_put_i64(w, e->count); break;
    case METRIC_GAUGE: sp_put_str(w, e->gauge ? e->gauge : ""); break;
    case METRIC_METER: put_f64(w, e->rate); break;
    case METRIC_HISTOGRAM: {
      const metric_histogram_stats *h = &e->hist;
      sp_put_i64(w, h->count);
      const double v[] = {h->min, h->max, h->mean, h->stddev, h->p50, h->p75,
                          h->p90, h->p95, h->p98,  h->p99,    h->p999};
      for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) put_f64(w, v[k]);
      break;
    }
    }
  }
  return w->failed ? SPATE_ENOMEM : 0;
}

/* Reads a string that must be an id: empty or 32 lowercase hex digits, into out. */
static bool get_id(sp_reader *r, char out[33]) {
  char *s = sp_get_str(r);
  if (!sp_reader_ok(r)) return false;
  size_t n = s ? strlen(s) : 0;
  bool ok = s && (n == 0 || n == 32);
  for (size_t i = 0; ok && i < n; i++)
    ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
  if (ok) memcpy(out, s, n + 1);
  sp_free(s);
  return ok;
}

static const char *const scope_names[] = {"JobManager", "TaskManager", "job", "task", "operator"};

int metric_dump_decode(const void *data, size_t len, metric_dump *out, char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  sp_reader r;
  sp_reader_init(&r, data, len);
  const void *magic = sp_get_bytes(&r, 4);
  if (!magic || memcmp(magic, DUMP_MAGIC, 4) != 0)
    return sp_err(err, err_len, SPATE_EINVAL, "metric dump: not a metric dump (bad magic)");
  uint8_t version = sp_get_u8(&r);
  if (sp_reader_ok(&r) && version != DUMP_VERSION)
    return sp_err(err, err_len, SPATE_EINVAL, "metric dump: unsupported version %u", version);
  uint32_t n = sp_get_u32(&r);
  if (!sp_reader_ok(&r))
    return sp_err(err, err_len, SPATE_EINVAL, "metric dump: truncated header: %s", r.error);
  if ((uint64_t)n * MIN_ENTRY_BYTES > len - r.pos)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "metric dump: %u entries cannot fit in the %zu bytes left", n, len - r.pos);
  const char *field = "";
  for (uint32_t i = 0; i < n; i++) {
    metric_dump_entry *e = metric_dump_add(out);
    if (!e) {
      metric_dump_free(out);
      return sp_err(err, err_len, SPATE_ENOMEM, "metric dump: out of memory");
    }
    field = "scope";
    uint8_t scope = sp_get_u8(&r);
    if (!sp_reader_ok(&r) || scope > METRIC_SCOPE_OPERATOR) goto bad;
    e->scope = (metric_scope)scope;
    field = "job id";
    if (!get_id(&r, e->job_id)) goto bad;
    field = "vertex id";
    if (!get_id(&r, e->vertex_id)) goto bad;
    field = "subtask";
    e->subtask = sp_get_i32(&r);
    e->attempt = sp_get_i32(&r);
    if (!sp_reader_ok(&r) || e->subtask < -1 || e->attempt < -1) goto bad;
    field = "operator name";
    e->operator_name = sp_get_str(&r);
    if (!sp_reader_ok(&r) || (e->scope == METRIC_SCOPE_OPERATOR) != (e->operator_name != NULL))
      goto bad;
    field = "name";
    e->name = sp_get_str(&r);
    if (!sp_reader_ok(&r) || !e->name || !e->name[0]) goto bad;
    field = "kind";
    uint8_t kind = sp_get_u8(&r);
    if (!sp_reader_ok(&r) || kind > METRIC_HISTOGRAM) goto bad;
    e->kind = (metric_kind)kind;
    field = "value";
    switch (e->kind) {
    case METRIC_COUNTER: e->count = sp_get_i64(&r); break;
    case METRIC_GAUGE:
      e->gauge = sp_get_str(&r);
      if (sp_reader_ok(&r) && !e->gauge) goto bad;
      break;
    case METRIC_METER: e->rate = get_f64(&r); break;
    case METRIC_HISTOGRAM: {
      metric_histogram_stats *h = &e->hist;
      h->count = sp_get_i64(&r);
      double *v[] = {&h->min, &h->max, &h->mean, &h->stddev, &h->p50, &h->p75,
                     &h->p90, &h->p95, &h->p98,  &h->p99,    &h->p999};
      for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) *v[k] = get_f64(&r);
      break;
    }
    }
    if (!sp_reader_ok(&r)) goto bad;
    continue;
  bad:
    sp_err(err, err_len, SPATE_EINVAL, "metric dump: entry %u (%s scope): bad %s%s%s", i,
           scope <= METRIC_SCOPE_OPERATOR ? scope_names[scope] : "unknown", field,
           r.error[0] ? ": " : "", r.error);
    metric_dump_free(out);
    return SPATE_EINVAL;
  }
  if (r.pos != len) {
    metric_dump_free(out);
    return sp_err(err, err_len, SPATE_EINVAL, "metric dump: %zu bytes after the last entry",
                  len - r.pos);
  }
  return 0;
}
