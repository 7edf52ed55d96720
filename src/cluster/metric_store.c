/*
 * metric_store.c: the JobManager's metric store (metric_store.h). Each source (the JobManager,
 * each TaskManager) keeps the entries of its last dump with their values already printed as REST
 * shows them; a read scans the sources under the lock and copies what it shows. Dumps hold some
 * hundreds of entries and reads come from people and dashboards, not per record: scans will do.
 */
#include "cluster/metric_store.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

/* Flink's METRICS_OPERATOR_NAME_MAX_LENGTH. */
#define OPERATOR_NAME_MAX 80

typedef struct ms_entry {
  metric_scope scope;
  char job[33], vertex[33];
  int subtask, attempt;
  metric_kind kind;
  char *op; /* OPERATOR: the filtered name; else NULL */
  char *name;
  char *value;
} ms_entry;

typedef struct ms_source {
  char *tm; /* NULL: the JobManager */
  ms_entry *e;
  size_t n;
} ms_source;

struct metric_store {
  pthread_mutex_t mu;
  ms_source *src;
  size_t n;
  int64_t updated;
};

/* ---- lists ---- */

int ms_list_put(ms_list *l, const char *id, const char *value) {
  char *v = sp_strdup(value ? value : "");
  if (!v) return SPATE_ENOMEM;
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->m[i].id, id) == 0) {
      sp_free(l->m[i].value);
      l->m[i].value = v;
      return 0;
    }
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 32;
    ms_metric *m = sp_realloc(l->m, cap * sizeof *m);
    if (!m) {
      sp_free(v);
      return SPATE_ENOMEM;
    }
    l->m = m;
    l->cap = cap;
  }
  char *i = sp_strdup(id);
  if (!i) {
    sp_free(v);
    return SPATE_ENOMEM;
  }
  l->m[l->n++] = (ms_metric){i, v};
  return 0;
}

const char *ms_list_get(const ms_list *l, const char *id) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->m[i].id, id) == 0) return l->m[i].value;
  return NULL;
}

void ms_list_free(ms_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    sp_free(l->m[i].id);
    sp_free(l->m[i].value);
  }
  sp_free(l->m);
  memset(l, 0, sizeof *l);
}

/* ---- the store ---- */

void metric_store_operator_name(const char *name, char *out, size_t cap) {
  size_t n = 0;
  for (; name && name[n] && n < OPERATOR_NAME_MAX && n + 1 < cap; n++) {
    char c = name[n];
    out[n] = (c == ' ' || c == '.' || c == ':' || c == ',') ? '_' : c;
  }
  if (cap) out[n] = 0;
}

int metric_store_create(metric_store **out) {
  metric_store *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  pthread_mutex_init(&s->mu, NULL);
  *out = s;
  return 0;
}

static void free_entries(ms_entry *e, size_t n) {
  for (size_t i = 0; i < n; i++) {
    sp_free(e[i].op);
    sp_free(e[i].name);
    sp_free(e[i].value);
  }
  sp_free(e);
}

void metric_store_free(metric_store *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) {
    sp_free(s->src[i].tm);
    free_entries(s->src[i].e, s->src[i].n);
  }
  sp_free(s->src);
  pthread_mutex_destroy(&s->mu);
  sp_free(s);
}

static bool same_tm(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A double as Flink prints it (metric_dump_value's printing of a meter's rate). */
static void print_double(double v, char *buf, size_t len) {
  metric_dump_entry t = {.kind = METRIC_METER, .rate = v};
  metric_dump_value(&t, buf, len);
}

/* The store entries of dump entry d: one, or for a histogram Flink's eleven ("<name>_min",
 * "_max", "_mean", "_median", "_stddev", "_p75", "_p90", "_p95", "_p98", "_p99", "_p999"; min
 * and max as integers, as Flink's HistogramStatistics has them). x has room for 11; returns how
 * many were filled, or -1 when out of memory (those filled are then x[0..returned)). */
static int entries_of(const metric_dump_entry *d, ms_entry *x, int *filled) {
  static const char *const suffix[] = {"_min", "_max", "_mean", "_median", "_stddev", "_p75",
                                       "_p90", "_p95", "_p98",  "_p99",    "_p999"};
  const metric_histogram_stats *h = &d->hist;
  const double hv[] = {h->min, h->max, h->mean, h->p50, h->stddev, h->p75,
                       h->p90, h->p95, h->p98,  h->p99, h->p999};
  int n = d->kind == METRIC_HISTOGRAM ? 11 : 1;
  *filled = 0;
  for (int i = 0; i < n; i++) {
    char buf[512], name[600];
    x[i].scope = d->scope;
    memcpy(x[i].job, d->job_id, sizeof x[i].job);
    memcpy(x[i].vertex, d->vertex_id, sizeof x[i].vertex);
    x[i].subtask = d->subtask;
    x[i].attempt = d->attempt;
    x[i].kind = d->kind;
    snprintf(name, sizeof name, "%s%s", d->name ? d->name : "", n > 1 ? suffix[i] : "");
    if (n == 1)
      metric_dump_value(d, buf, sizeof buf);
    else if (i < 2)
      snprintf(buf, sizeof buf, "%lld", (long long)hv[i]);
    else
      print_double(hv[i], buf, sizeof buf);
    x[i].name = sp_strdup(name);
    x[i].value = sp_strdup(buf);
    if (d->scope == METRIC_SCOPE_OPERATOR) {
      char op[OPERATOR_NAME_MAX + 1];
      metric_store_operator_name(d->operator_name, op, sizeof op);
      x[i].op = sp_strdup(op);
    }
    *filled = i + 1;
    if (!x[i].name || !x[i].value || (d->scope == METRIC_SCOPE_OPERATOR && !x[i].op)) return -1;
  }
  return n;
}

int metric_store_put(metric_store *s, const char *tm_id, const metric_dump *dump) {
  size_t total = 0;
  for (size_t i = 0; i < dump->n; i++) total += dump->entries[i].kind == METRIC_HISTOGRAM ? 11 : 1;
  ms_entry *e = total ? sp_calloc(total, sizeof *e) : NULL;
  if (total && !e) return SPATE_ENOMEM;
  size_t n = 0;
  for (size_t i = 0; i < dump->n; i++) {
    int filled;
    int k = entries_of(&dump->entries[i], &e[n], &filled);
    if (k < 0) {
      free_entries(e, n + (size_t)filled);
      return SPATE_ENOMEM;
    }
    n += (size_t)k;
  }
  char *tm = NULL;
  if (tm_id && !(tm = sp_strdup(tm_id))) {
    free_entries(e, n);
    return SPATE_ENOMEM;
  }
  pthread_mutex_lock(&s->mu);
  size_t k = 0;
  while (k < s->n && !same_tm(s->src[k].tm, tm_id)) k++;
  if (k == s->n) {
    ms_source *grown = sp_realloc(s->src, (s->n + 1) * sizeof *grown);
    if (!grown) {
      pthread_mutex_unlock(&s->mu);
      sp_free(tm);
      free_entries(e, n);
      return SPATE_ENOMEM;
    }
    s->src = grown;
    s->src[s->n++] = (ms_source){tm, NULL, 0};
    tm = NULL;
  }
  ms_entry *old = s->src[k].e;
  size_t old_n = s->src[k].n;
  s->src[k].e = e;
  s->src[k].n = n;
  pthread_mutex_unlock(&s->mu);
  sp_free(tm);
  free_entries(old, old_n);
  return 0;
}

void metric_store_retain_tms(metric_store *s, const char *const *ids, size_t n) {
  pthread_mutex_lock(&s->mu);
  size_t w = 0;
  for (size_t i = 0; i < s->n; i++) {
    bool keep = !s->src[i].tm;
    for (size_t k = 0; !keep && k < n; k++) keep = strcmp(s->src[i].tm, ids[k]) == 0;
    if (keep) {
      s->src[w++] = s->src[i];
    } else {
      sp_free(s->src[i].tm);
      free_entries(s->src[i].e, s->src[i].n);
    }
  }
  s->n = w;
  pthread_mutex_unlock(&s->mu);
}

int64_t metric_store_updated(metric_store *s) {
  pthread_mutex_lock(&s->mu);
  int64_t t = s->updated;
  pthread_mutex_unlock(&s->mu);
  return t;
}

void metric_store_set_updated(metric_store *s, int64_t at_ms) {
  pthread_mutex_lock(&s->mu);
  s->updated = at_ms;
  pthread_mutex_unlock(&s->mu);
}

static bool is_subtask_entry(const ms_entry *e) {
  return e->scope == METRIC_SCOPE_TASK || e->scope == METRIC_SCOPE_OPERATOR;
}

/* The latest attempt the store has of (job, vertex, subtask); under the lock. */
static int latest_attempt(metric_store *s, const ms_entry *x) {
  int a = x->attempt;
  for (size_t i = 0; i < s->n; i++)
    for (size_t k = 0; k < s->src[i].n; k++) {
      const ms_entry *e = &s->src[i].e[k];
      if (is_subtask_entry(e) && e->subtask == x->subtask && e->attempt > a &&
          strcmp(e->vertex, x->vertex) == 0 && strcmp(e->job, x->job) == 0)
        a = e->attempt;
    }
  return a;
}

/* Whether entry e belongs to the component of scope (source src); under the lock. */
static bool in_scope(metric_store *s, const ms_source *src, const ms_entry *e, const ms_scope *q) {
  switch (q->level) {
  case MS_JM: return !src->tm && e->scope == METRIC_SCOPE_JM;
  case MS_TM:
    return src->tm && q->tm_id && e->scope == METRIC_SCOPE_TM && strcmp(src->tm, q->tm_id) == 0;
  case MS_JOB: return e->scope == METRIC_SCOPE_JOB && q->job_id && strcmp(e->job, q->job_id) == 0;
  case MS_TASK:
  case MS_SUBTASK:
    return is_subtask_entry(e) && q->job_id && q->vertex_id && strcmp(e->job, q->job_id) == 0 &&
           strcmp(e->vertex, q->vertex_id) == 0 &&
           (q->level == MS_TASK || e->subtask == q->subtask) && e->attempt == latest_attempt(s, e);
  }
  return false;
}

/* The id entry e has in a component of level. */
static void entry_id(const ms_entry *e, ms_level level, char *out, size_t cap) {
  if (level == MS_TASK && e->op)
    snprintf(out, cap, "%d.%s.%s", e->subtask, e->op, e->name);
  else if (level == MS_TASK)
    snprintf(out, cap, "%d.%s", e->subtask, e->name);
  else if (e->op)
    snprintf(out, cap, "%s.%s", e->op, e->name);
  else
    snprintf(out, cap, "%s", e->name);
}

int metric_store_get(metric_store *s, const ms_scope *scope, ms_list *out) {
  int rc = 0;
  pthread_mutex_lock(&s->mu);
  for (size_t i = 0; rc == 0 && i < s->n; i++)
    for (size_t k = 0; rc == 0 && k < s->src[i].n; k++) {
      const ms_entry *e = &s->src[i].e[k];
      if (!in_scope(s, &s->src[i], e, scope)) continue;
      char id[700];
      entry_id(e, scope->level, id, sizeof id);
      rc = ms_list_put(out, id, e->value);
    }
  pthread_mutex_unlock(&s->mu);
  return rc;
}

static int cmp_index(const void *a, const void *b) {
  int x = atoi(((const ms_metric *)a)->id), y = atoi(((const ms_metric *)b)->id);
  return (x > y) - (x < y);
}

int metric_store_components(metric_store *s, const ms_scope *scope, ms_list *out) {
  int rc = 0;
  pthread_mutex_lock(&s->mu);
  for (size_t i = 0; rc == 0 && i < s->n; i++) {
    const ms_source *src = &s->src[i];
    if (scope->level == MS_TM) {
      for (size_t k = 0; src->tm && k < src->n && !ms_list_get(out, src->tm); k++)
        if (src->e[k].scope == METRIC_SCOPE_TM) rc = ms_list_put(out, src->tm, "");
      continue;
    }
    for (size_t k = 0; rc == 0 && k < src->n; k++) {
      const ms_entry *e = &src->e[k];
      char id[40];
      if (scope->level == MS_JOB && e->scope == METRIC_SCOPE_JOB) {
        rc = ms_list_put(out, e->job, "");
      } else if (scope->level == MS_SUBTASK && is_subtask_entry(e) && scope->job_id &&
                 scope->vertex_id && strcmp(e->job, scope->job_id) == 0 &&
                 strcmp(e->vertex, scope->vertex_id) == 0) {
        snprintf(id, sizeof id, "%d", e->subtask);
        rc = ms_list_put(out, id, "");
      }
    }
  }
  pthread_mutex_unlock(&s->mu);
  if (scope->level == MS_SUBTASK && out->n > 1) qsort(out->m, out->n, sizeof *out->m, cmp_index);
  return rc;
}

/* ---- what the job details show ---- */

/* The first of names the subtask's list has, as a number: true, or false if none is there. */
static bool number_of(const ms_list *l, const char *const *names, double *v) {
  for (; *names; names++) {
    const char *s = ms_list_get(l, *names);
    char *end;
    if (s && *s) {
      double d = strtod(s, &end);
      if (!*end) {
        *v = d;
        return true;
      }
    }
  }
  return false;
}

int metric_store_io(metric_store *s, const char *job_id, const char *vertex_id, int subtask,
                    ms_io_metrics *out) {
  memset(out, 0, sizeof *out);
  out->accumulated_busy_ms = NAN;
  ms_list subs = {0};
  ms_scope q = {.level = MS_SUBTASK, .job_id = job_id, .vertex_id = vertex_id};
  int rc = 0;
  if (subtask >= 0) {
    char id[16];
    snprintf(id, sizeof id, "%d", subtask);
    rc = ms_list_put(&subs, id, "");
  } else {
    rc = metric_store_components(s, &q, &subs);
  }
  static const char
      *const bytes_in[] = {"numBytesIn", NULL},
             *const bytes_out[] = {"numBytesOut", NULL}, *const rec_in[] = {"numRecordsIn", NULL},
             *const rec_out[] = {"numRecordsOut", NULL},
             *const bp[] = {"accumulatedBackPressuredTimeMs", "accumulatedBackPressuredTime", NULL},
             *const idle[] = {"accumulatedIdleTimeMs", "accumulatedIdleTime", NULL},
             *const busy[] = {"accumulatedBusyTime", "accumulatedBusyTimeMs", NULL};
  bool all[4] = {true, true, true, true}, any = false, busy_known = true;
  double busy_sum = 0;
  for (size_t i = 0; rc == 0 && i < subs.n; i++) {
    ms_list l = {0};
    q.subtask = atoi(subs.m[i].id);
    rc = metric_store_get(s, &q, &l);
    double v;
    int64_t *fig[4] = {&out->read_bytes, &out->write_bytes, &out->read_records,
                       &out->write_records};
    const char *const *names[4] = {bytes_in, bytes_out, rec_in, rec_out};
    for (int f = 0; f < 4; f++) {
      if (number_of(&l, names[f], &v))
        *fig[f] += (int64_t)v;
      else
        all[f] = false;
    }
    if (number_of(&l, bp, &v)) out->accumulated_backpressured_ms += (int64_t)v;
    if (number_of(&l, idle, &v)) out->accumulated_idle_ms += (int64_t)v;
    if (number_of(&l, busy, &v) && !isnan(v))
      busy_sum += v;
    else
      busy_known = false;
    any = true;
    ms_list_free(&l);
  }
  ms_list_free(&subs);
  out->read_bytes_complete = any && all[0];
  out->write_bytes_complete = any && all[1];
  out->read_records_complete = any && all[2];
  out->write_records_complete = any && all[3];
  if (any && busy_known) out->accumulated_busy_ms = busy_sum;
  return rc;
}

/* Flink's system metrics of an operator's scope: not user counters. */
static bool system_metric(const char *name) {
  static const char *const names[] = {"numRecordsIn",
                                      "numRecordsOut",
                                      "numRecordsInPerSecond",
                                      "numRecordsOutPerSecond",
                                      "numLateRecordsDropped",
                                      "numRecordsInErrors",
                                      "numSplitsProcessed",
                                      "numBytesIn",
                                      "numBytesOut",
                                      "currentInputWatermark",
                                      "currentOutputWatermark",
                                      NULL};
  for (int i = 0; names[i]; i++)
    if (strcmp(names[i], name) == 0) return true;
  return strncmp(name, "currentInput", 12) == 0;
}

int metric_store_user_counters(metric_store *s, const char *job_id, const char *vertex_id,
                               int subtask, ms_list *out) {
  int rc = 0;
  typedef struct {
    char *name;
    int64_t sum;
  } acc;
  acc *a = NULL;
  size_t n = 0;
  pthread_mutex_lock(&s->mu);
  for (size_t i = 0; rc == 0 && i < s->n; i++)
    for (size_t k = 0; rc == 0 && k < s->src[i].n; k++) {
      const ms_entry *e = &s->src[i].e[k];
      if (e->scope != METRIC_SCOPE_OPERATOR || e->kind != METRIC_COUNTER ||
          strcmp(e->job, job_id) != 0 || (vertex_id && strcmp(e->vertex, vertex_id) != 0) ||
          (subtask >= 0 && e->subtask != subtask) || system_metric(e->name) ||
          e->attempt != latest_attempt(s, e))
        continue;
      char *end;
      long long v = strtoll(e->value, &end, 10);
      if (!*e->value || *end) continue;
      size_t j = 0;
      while (j < n && strcmp(a[j].name, e->name) != 0) j++;
      if (j == n) {
        acc *g = sp_realloc(a, (n + 1) * sizeof *g);
        char *nm = g ? sp_strdup(e->name) : NULL;
        if (g) a = g;
        if (!nm) {
          rc = SPATE_ENOMEM;
          break;
        }
        a[n++] = (acc){nm, 0};
      }
      a[j].sum += v;
    }
  pthread_mutex_unlock(&s->mu);
  for (size_t j = 0; j < n; j++) {
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)a[j].sum);
    if (rc == 0) rc = ms_list_put(out, a[j].name, v);
    sp_free(a[j].name);
  }
  sp_free(a);
  return rc;
}
