/*
 * user_metrics.c: registration and update of the metrics user functions register
 * (spate_ctx_counter, ...; see spate.h) and the histogram statistics their readers compute. See
 * user_metrics.h for the threading.
 */
#include "runtime/user_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "runtime/udf_context.h"

const double user_histogram_quantiles[7] = {0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.999};

static const char *kind_name(user_metric_kind k) {
  switch (k) {
  case USER_COUNTER: return "counter";
  case USER_GAUGE: return "gauge";
  case USER_METER: return "meter";
  default: return "histogram";
  }
}

/* The metric named `name` of ctx's operator, registered now if new. */
static user_metric *lookup(spate_ctx *ctx, const char *name, user_metric_kind kind, int window) {
  const char *fn = kind == USER_COUNTER ? "spate_ctx_counter"
                   : kind == USER_GAUGE ? "spate_ctx_gauge"
                   : kind == USER_METER ? "spate_ctx_meter"
                                        : "spate_ctx_histogram";
  user_metrics *m = ctx->metrics;
  if (!m) {
    spate_ctx_fail(ctx, "%s: this function cannot register metrics", fn);
    return NULL;
  }
  size_t len = name ? strlen(name) : 0;
  if (len == 0 || len >= USER_METRIC_NAME_MAX) {
    spate_ctx_fail(ctx, "%s: a metric needs a name of 1 to %d bytes", fn, USER_METRIC_NAME_MAX - 1);
    return NULL;
  }
  for (user_metric *u = atomic_load_explicit(&m->head, memory_order_relaxed); u;
       u = atomic_load_explicit(&u->next, memory_order_relaxed)) {
    if (strcmp(u->name, name) != 0) continue;
    if (u->kind == kind) return u;
    spate_ctx_fail(ctx, "%s: metric '%s' is already registered as a %s", fn, name,
                   kind_name(u->kind));
    return NULL;
  }
  if (kind == USER_HISTOGRAM && (window < 1 || window > USER_HISTOGRAM_WINDOW_MAX)) {
    spate_ctx_fail(ctx, "%s: histogram '%s' needs a window of 1 to %d values, got %d", fn, name,
                   USER_HISTOGRAM_WINDOW_MAX, window);
    return NULL;
  }
  user_metric *u = sp_calloc(1, sizeof *u);
  if (u && kind == USER_HISTOGRAM && !(u->ring = sp_calloc((size_t)window, sizeof *u->ring))) {
    sp_free(u);
    u = NULL;
  }
  if (!u) {
    spate_ctx_fail(ctx, "%s: out of memory registering '%s'", fn, name);
    return NULL;
  }
  u->kind = kind;
  memcpy(u->name, name, len + 1);
  if (kind == USER_HISTOGRAM) {
    pthread_mutex_init(&u->mu, NULL);
    u->window = (uint32_t)window;
  }
  /* publish: the metric is complete before a reader can reach it */
  if (m->tail)
    atomic_store_explicit(&m->tail->next, u, memory_order_release);
  else
    atomic_store_explicit(&m->head, u, memory_order_release);
  m->tail = u;
  atomic_store_explicit(&m->count, atomic_load_explicit(&m->count, memory_order_relaxed) + 1,
                        memory_order_release);
  return u;
}

void user_metrics_free(user_metrics *m) {
  user_metric *u = atomic_load_explicit(&m->head, memory_order_relaxed);
  while (u) {
    user_metric *next = atomic_load_explicit(&u->next, memory_order_relaxed);
    if (u->kind == USER_HISTOGRAM) {
      pthread_mutex_destroy(&u->mu);
      sp_free(u->ring);
    }
    sp_free(u);
    u = next;
  }
  atomic_store_explicit(&m->head, NULL, memory_order_relaxed);
  atomic_store_explicit(&m->count, 0, memory_order_relaxed);
  m->tail = NULL;
}

int user_metrics_count(const user_metrics *m) {
  return atomic_load_explicit((_Atomic int *)&m->count, memory_order_acquire);
}

const user_metric *user_metrics_get(const user_metrics *m, int i) {
  if (i < 0 || i >= user_metrics_count(m)) return NULL;
  user_metric *u = atomic_load_explicit((_Atomic(user_metric *) *)&m->head, memory_order_acquire);
  for (; u && i > 0; i--) u = atomic_load_explicit(&u->next, memory_order_acquire);
  return u;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Commons Math's Percentile (legacy estimation) on sorted v[0..n): position p(n + 1), 1-based. */
static double quantile(const int64_t *v, uint32_t n, double q) {
  if (n == 1) return (double)v[0];
  double pos = q * (double)(n + 1);
  if (pos < 1) return (double)v[0];
  if (pos >= n) return (double)v[n - 1];
  double fpos = floor(pos), d = pos - fpos;
  double lower = (double)v[(uint32_t)fpos - 1], upper = (double)v[(uint32_t)fpos];
  return lower + d * (upper - lower);
}

int user_histogram_read(const user_metric *ch, user_histogram_stats *out) {
  user_metric *h = (user_metric *)ch; /* the lock is the only thing written */
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&h->mu);
  uint32_t n = h->filled;
  int64_t *v = n ? sp_malloc((size_t)n * sizeof *v) : NULL;
  if (v) memcpy(v, h->ring, (size_t)n * sizeof *v); /* order does not matter: sorted below */
  out->count = (uint64_t)sw_get_i64(&h->count);
  pthread_mutex_unlock(&h->mu);
  if (n && !v) return SPATE_ENOMEM;
  out->size = n;
  if (!n) return 0;
  qsort(v, n, sizeof *v, cmp_i64);
  out->min = v[0];
  out->max = v[n - 1];
  double sum = 0;
  for (uint32_t i = 0; i < n; i++) sum += (double)v[i];
  out->mean = sum / n;
  if (n > 1) {
    double ss = 0;
    for (uint32_t i = 0; i < n; i++) ss += ((double)v[i] - out->mean) * ((double)v[i] - out->mean);
    out->stddev = sqrt(ss / (n - 1));
  }
  for (int i = 0; i < 7; i++) out->quantiles[i] = quantile(v, n, user_histogram_quantiles[i]);
  sp_free(v);
  return 0;
}

/* ---- the public API (spate.h) -------------------------------------------------------------- */
spate_counter *spate_ctx_counter(spate_ctx *ctx, const char *name) {
  return (spate_counter *)lookup(ctx, name, USER_COUNTER, 0);
}
void spate_counter_add(spate_counter *c, int64_t n) {
  if (c) sw_add_i64(&((user_metric *)c)->count, n);
}
void spate_counter_inc(spate_counter *c) { spate_counter_add(c, 1); }
void spate_counter_dec(spate_counter *c) { spate_counter_add(c, -1); }
int64_t spate_counter_value(const spate_counter *c) {
  return c ? sw_get_i64(&((const user_metric *)c)->count) : 0;
}

spate_gauge *spate_ctx_gauge(spate_ctx *ctx, const char *name) {
  return (spate_gauge *)lookup(ctx, name, USER_GAUGE, 0);
}
void spate_gauge_set(spate_gauge *g, double value) {
  if (!g) return;
  uint64_t bits;
  memcpy(&bits, &value, sizeof bits);
  atomic_store_explicit(&((user_metric *)g)->gauge, bits, memory_order_relaxed);
}
double spate_gauge_value(const spate_gauge *g) {
  if (!g) return 0;
  uint64_t bits = atomic_load_explicit((_Atomic uint64_t *)&((const user_metric *)g)->gauge,
                                       memory_order_relaxed);
  double v;
  memcpy(&v, &bits, sizeof v);
  return v;
}

spate_meter *spate_ctx_meter(spate_ctx *ctx, const char *name) {
  return (spate_meter *)lookup(ctx, name, USER_METER, 0);
}
void spate_meter_mark(spate_meter *m, int64_t n) {
  if (m) sw_add_i64(&((user_metric *)m)->count, n);
}
int64_t spate_meter_count(const spate_meter *m) {
  return m ? sw_get_i64(&((const user_metric *)m)->count) : 0;
}

spate_histogram *spate_ctx_histogram(spate_ctx *ctx, const char *name, int window) {
  return (spate_histogram *)lookup(ctx, name, USER_HISTOGRAM, window);
}
void spate_histogram_update(spate_histogram *hh, int64_t value) {
  user_metric *h = (user_metric *)hh;
  if (!h) return;
  pthread_mutex_lock(&h->mu);
  h->ring[h->pos] = value;
  if (++h->pos == h->window) h->pos = 0;
  if (h->filled < h->window) h->filled++;
  sw_add_i64(&h->count, 1);
  pthread_mutex_unlock(&h->mu);
}
int64_t spate_histogram_count(const spate_histogram *h) {
  return h ? sw_get_i64(&((const user_metric *)h)->count) : 0;
}
