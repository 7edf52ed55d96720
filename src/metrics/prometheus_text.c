/*
 * prometheus_text.c: rendering a registry in the Prometheus text format (prometheus_text.h).
 *
 * Samples are read under the registry's lock into a flat list (family name, labels, values),
 * then sorted by family so that each family's series follow its one TYPE line: Prometheus
 * (and promtool) refuse a family that appears twice.
 */
#include "metrics/prometheus_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

#define MAX_LABELS 16

typedef struct prom_series {
  char *family; /* flink_taskmanager_job_task_numRecordsIn */
  char *help;   /* numRecordsIn (scope: taskmanager_job_task) */
  char *labels; /* host="h",tm_id="t" (escaped) */
  bool summary;
  double value;
  int64_t count;
  metric_histogram_stats hist;
  size_t order; /* registration order, for a stable sort */
} prom_series;

typedef struct prom_ctx {
  const prometheus_options *opt;
  prom_series *v;
  size_t n, cap;
  int rc;
} prom_ctx;

/* Flink's replaceInvalidChars: characters outside [a-zA-Z0-9:_] become '_'. */
static void filter_chars(char *s) {
  for (; *s; s++) {
    char c = *s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
          c == '_'))
      *s = '_';
  }
}

static bool excluded(const char *list, const char *var) {
  if (!list) return false;
  size_t vlen = strlen(var);
  for (const char *p = list; *p;) {
    const char *end = strchr(p, ';');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *q = p;
    size_t qlen = len;
    if (qlen >= 2 && q[0] == '<' && q[qlen - 1] == '>') q++, qlen -= 2;
    if (qlen == vlen && strncmp(q, var, vlen) == 0) return true;
    if (!end) break;
    p = end + 1;
  }
  return false;
}

/* Appends value escaped for a label (backslash, double quote, newline). */
static int add_label_value(sp_strbuf *sb, const char *v, bool filter) {
  int rc = 0;
  for (; *v && rc == 0; v++) {
    char c = *v;
    if (filter) {
      char f[2] = {c, 0};
      filter_chars(f);
      rc = sp_strbuf_append(sb, f, 1);
    } else if (c == '\\' || c == '"') {
      char e[2] = {'\\', c};
      rc = sp_strbuf_append(sb, e, 2);
    } else if (c == '\n') {
      rc = sp_strbuf_add(sb, "\\n");
    } else {
      rc = sp_strbuf_append(sb, &c, 1);
    }
  }
  return rc;
}

static void collect(void *arg, const metric_sample *s) {
  prom_ctx *c = arg;
  if (c->rc < 0 || !s->numeric) return;
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 128;
    prom_series *v = sp_realloc(c->v, cap * sizeof *v);
    if (!v) {
      c->rc = SPATE_ENOMEM;
      return;
    }
    c->v = v;
    c->cap = cap;
  }
  char scope[128], buf[1024];
  metric_logical_scope(s->group, '_', scope, sizeof scope);
  snprintf(buf, sizeof buf, "flink_%s_%s", scope, s->name);
  filter_chars(buf);
  prom_series *p = &c->v[c->n];
  memset(p, 0, sizeof *p);
  p->family = sp_strdup(buf);
  snprintf(buf, sizeof buf, "%s (scope: %s)", s->name, scope);
  for (char *q = buf; *q; q++) /* HELP text: one line, no escapes needed */
    if (*q == '\n' || *q == '\\') *q = '_';
  p->help = sp_strdup(buf);
  const char *names[MAX_LABELS], *values[MAX_LABELS];
  int n = metric_group_variables(s->group, names, values, MAX_LABELS);
  sp_strbuf lb = {0};
  int rc = 0;
  for (int i = 0; i < n && rc == 0; i++) {
    if (excluded(c->opt->excluded, names[i])) continue;
    if (lb.len) rc = sp_strbuf_add(&lb, ",");
    if (rc == 0) rc = sp_strbuf_add(&lb, names[i]);
    if (rc == 0) rc = sp_strbuf_add(&lb, "=\"");
    if (rc == 0) rc = add_label_value(&lb, values[i], c->opt->filter_label_values);
    if (rc == 0) rc = sp_strbuf_add(&lb, "\"");
  }
  p->labels = rc == 0 ? (lb.data ? lb.data : sp_strdup("")) : NULL;
  if (rc < 0) sp_strbuf_free(&lb);
  p->summary = s->kind == METRIC_HISTOGRAM;
  p->value = s->value;
  p->count = s->count;
  p->hist = s->hist;
  p->order = c->n;
  c->n++;
  if (!p->family || !p->help || !p->labels) c->rc = SPATE_ENOMEM;
}

static int by_family(const void *a, const void *b) {
  const prom_series *x = a, *y = b;
  int r = strcmp(x->family, y->family);
  if (r) return r;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* A sample value as Prometheus reads it. */
static void prom_value(double v, char *buf, size_t len) {
  if (isnan(v))
    snprintf(buf, len, "NaN");
  else if (isinf(v))
    snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
  else
    metric_dump_double(v, buf, len);
}

static int emit(sp_strbuf *out, const char *family, const char *suffix, const char *labels,
                const char *extra, double v) {
  char num[64];
  prom_value(v, num, sizeof num);
  int rc = sp_strbuf_add(out, family);
  if (rc == 0) rc = sp_strbuf_add(out, suffix);
  if (rc == 0 && (labels[0] || extra)) {
    rc = sp_strbuf_add(out, "{");
    if (rc == 0) rc = sp_strbuf_add(out, labels);
    if (rc == 0 && extra && labels[0]) rc = sp_strbuf_add(out, ",");
    if (rc == 0 && extra) rc = sp_strbuf_add(out, extra);
    if (rc == 0) rc = sp_strbuf_add(out, "}");
  }
  if (rc == 0) rc = sp_strbuf_add(out, " ");
  if (rc == 0) rc = sp_strbuf_add(out, num);
  if (rc == 0) rc = sp_strbuf_add(out, "\n");
  return rc;
}

static int emit_series(sp_strbuf *out, const prom_series *p) {
  if (!p->summary) return emit(out, p->family, "", p->labels, NULL, p->value);
  static const double q[] = {0.5, 0.75, 0.95, 0.98, 0.99, 0.999};
  const double v[] = {p->hist.p50, p->hist.p75, p->hist.p95,
                      p->hist.p98, p->hist.p99, p->hist.p999};
  int rc = 0;
  for (int i = 0; i < 6 && rc == 0; i++) {
    char extra[32];
    snprintf(extra, sizeof extra, "quantile=\"%g\"", q[i]);
    rc = emit(out, p->family, "", p->labels, extra, v[i]);
  }
  if (rc == 0) rc = emit(out, p->family, "_count", p->labels, NULL, (double)p->hist.count);
  return rc;
}

int prometheus_render(metric_registry *reg, const prometheus_options *opt, sp_strbuf *out) {
  prom_ctx c = {.opt = opt};
  metric_registry_each(reg, collect, &c);
  if (c.rc == 0 && c.n) qsort(c.v, c.n, sizeof *c.v, by_family);
  int rc = c.rc;
  bool summary = false; /* the current family's type: its first series' */
  for (size_t i = 0; i < c.n && rc == 0; i++) {
    const prom_series *p = &c.v[i];
    bool first = i == 0 || strcmp(c.v[i - 1].family, p->family) != 0;
    if (first) summary = p->summary;
    if (p->summary != summary) continue; /* a family has one type */
    if (first) {
      rc = sp_strbuf_add(out, "# HELP ");
      if (rc == 0) rc = sp_strbuf_add(out, p->family);
      if (rc == 0) rc = sp_strbuf_add(out, " ");
      if (rc == 0) rc = sp_strbuf_add(out, p->help);
      if (rc == 0) rc = sp_strbuf_add(out, "\n# TYPE ");
      if (rc == 0) rc = sp_strbuf_add(out, p->family);
      if (rc == 0) rc = sp_strbuf_add(out, p->summary ? " summary\n" : " gauge\n");
    }
    if (rc == 0) rc = emit_series(out, p);
  }
  for (size_t i = 0; i < c.n; i++) {
    sp_free(c.v[i].family);
    sp_free(c.v[i].help);
    sp_free(c.v[i].labels);
  }
  sp_free(c.v);
  return rc;
}
