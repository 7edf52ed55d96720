/*
 * metric_registry.c: a process's metric groups and metrics, the view updater that keeps meters
 * and time-per-second gauges current, and reading every metric for reporters and dumps
 * (metric_registry.h).
 *
 * Groups form a tree through parent pointers; every group holds a reference on its parent, so a
 * job's group lives as long as one of its subtasks' groups does. The registry keeps all groups
 * in one list (reporters walk it) and each group its metrics in a list; both are short.
 */
#define _GNU_SOURCE
#include "metrics/metric_registry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "metrics/scope_format.h"

/* What a metric reads and how. */
typedef enum metric_impl {
  MI_COUNTER_FN,
  MI_COUNTER_CELL,
  MI_GAUGE_LONG,
  MI_GAUGE_DOUBLE,
  MI_GAUGE_TEXT,
  MI_METER,
  MI_TIME_PER_SECOND,
  MI_HISTOGRAM,
} metric_impl;

typedef struct metric {
  struct metric *next;
  char *name;
  metric_impl impl;
  union {
    metric_long_fn lfn;
    metric_double_fn dfn;
    metric_text_fn tfn;
    metric_hist_fn hfn;
  } fn;
  void *arg;
  _Atomic int64_t cell; /* MI_COUNTER_CELL */
  /* views (MI_METER, MI_TIME_PER_SECOND), touched by the updater under the registry's lock:
   * samples of the count and when they were taken, oldest at head */
  int64_t *counts, *at_ns;
  int ring, head, filled;
  double rate; /* the meter's rate; the gauge's ms per second */
} metric;

#define MAX_VARS 5 /* a group's own variables at most (a subtask's) */

struct metric_group {
  metric_group *next; /* the registry's list */
  metric_registry *reg;
  metric_group *parent;
  metric_group_kind kind;
  int refs;
  char *identity;
  int nvars;
  const char *var_names[MAX_VARS]; /* "job_id" (static strings) */
  char *var_values[MAX_VARS];
  char *scope; /* the bound scope format, components joined by the delimiter */
  metric *metrics;
  void (*sync)(void *arg, metric_group *g); /* metric_group_set_sync, or NULL */
  void *sync_arg;
};

struct metric_registry {
  pthread_mutex_t mu; /* guards the groups, their metrics and the views; recursive, so that a
                         group's sync function may register metrics while it is held */
  metric_group *groups;
  scope_format formats[MG_KINDS];
  char *delimiter;
  int64_t interval_ns;
  _Atomic uint64_t updates;
  pthread_t updater;
  bool updater_started, stop;
  pthread_cond_t wake; /* on the monotonic clock */
};

static const char *const format_keys[MG_KINDS] = {"metrics.scope.jm",   "metrics.scope.jm.job",
                                                  "metrics.scope.tm",   "metrics.scope.tm.job",
                                                  "metrics.scope.task", "metrics.scope.operator"};
static const char *const format_defaults[MG_KINDS] = {
    "<host>.jobmanager",
    "<host>.jobmanager.<job_name>",
    "<host>.taskmanager.<tm_id>",
    "<host>.taskmanager.<tm_id>.<job_name>",
    "<host>.taskmanager.<tm_id>.<job_name>.<task_name>.<subtask_index>",
    "<host>.taskmanager.<tm_id>.<job_name>.<operator_name>.<subtask_index>"};
static const char *const logical_scopes[MG_KINDS][4] = {{"jobmanager"},
                                                        {"jobmanager", "job"},
                                                        {"taskmanager"},
                                                        {"taskmanager", "job"},
                                                        {"taskmanager", "job", "task"},
                                                        {"taskmanager", "job", "task", "operator"}};

/* ---- views ------------------------------------------------------------------------------- */

static void view_sample(metric *m, int64_t count, int64_t now) {
  int slot = (m->head + m->filled) % m->ring;
  if (m->filled == m->ring) {
    slot = m->head;
    m->head = (m->head + 1) % m->ring;
  } else {
    m->filled++;
  }
  m->counts[slot] = count;
  m->at_ns[slot] = now;
}

/* Lets every group with a sync function add the metrics that appeared; under the lock. */
static void sync_groups_locked(metric_registry *reg) {
  for (metric_group *g = reg->groups; g; g = g->next)
    if (g->sync) g->sync(g->sync_arg, g);
}

/* Takes a sample of every view and recomputes its figure; under the lock. */
static void update_views_locked(metric_registry *reg) {
  sync_groups_locked(reg);
  int64_t now = sp_mono_ns();
  for (metric_group *g = reg->groups; g; g = g->next)
    for (metric *m = g->metrics; m; m = m->next) {
      if (m->impl != MI_METER && m->impl != MI_TIME_PER_SECOND) continue;
      int64_t v = m->fn.lfn(m->arg);
      view_sample(m, v, now);
      int oldest = m->impl == MI_METER ? m->head : (m->head + m->filled - 2) % m->ring;
      int newest = (m->head + m->filled - 1) % m->ring;
      int64_t dt = m->at_ns[newest] - m->at_ns[oldest];
      double dv = (double)(m->counts[newest] - m->counts[oldest]);
      if (m->impl == MI_METER) {
        m->rate = dt > 0 ? dv / ((double)dt / 1e9) : 0;
      } else {
        double ms = dt > 0 ? dv / (double)dt * 1000.0 : 0;
        m->rate = ms < 0 ? 0 : ms > 1000 ? 1000 : ms;
      }
    }
  atomic_fetch_add(&reg->updates, 1);
}

void metric_registry_update_views(metric_registry *reg) {
  pthread_mutex_lock(&reg->mu);
  update_views_locked(reg);
  pthread_mutex_unlock(&reg->mu);
}

uint64_t metric_registry_view_updates(metric_registry *reg) { return atomic_load(&reg->updates); }

static void *updater_main(void *arg) {
  metric_registry *reg = arg;
  pthread_mutex_lock(&reg->mu);
  while (!reg->stop) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    int64_t ns = until.tv_nsec + reg->interval_ns;
    until.tv_sec += (time_t)(ns / 1000000000LL);
    until.tv_nsec = (long)(ns % 1000000000LL);
    while (!reg->stop && pthread_cond_timedwait(&reg->wake, &reg->mu, &until) == 0) {
    }
    if (!reg->stop) update_views_locked(reg);
  }
  pthread_mutex_unlock(&reg->mu);
  return NULL;
}

/* ---- registry ----------------------------------------------------------------------------- */

int metric_registry_create(const sp_config *cfg, int64_t view_interval_ms, metric_registry **out,
                           char *err, size_t err_len) {
  *out = NULL;
  metric_registry *reg = sp_calloc(1, sizeof *reg);
  if (!reg) return SPATE_ENOMEM;
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&reg->mu, &ma);
  pthread_mutexattr_destroy(&ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&reg->wake, &ca);
  pthread_condattr_destroy(&ca);
  reg->interval_ns =
      (view_interval_ms > 0 ? view_interval_ms : METRIC_VIEW_INTERVAL_MS) * 1000000LL;
  int rc = 0;
  for (int k = 0; k < MG_KINDS && rc == 0; k++)
    rc = scope_format_parse(cfg ? sp_config_str(cfg, format_keys[k]) : format_defaults[k],
                            format_keys[k], &reg->formats[k], err, err_len);
  if (rc == 0 &&
      !(reg->delimiter = sp_strdup(cfg ? sp_config_str(cfg, "metrics.scope.delimiter") : ".")))
    rc = SPATE_ENOMEM;
  if (rc == 0) {
    if (pthread_create(&reg->updater, NULL, updater_main, reg) != 0)
      rc = sp_err(err, err_len, SPATE_ENOMEM, "cannot start the metric view updater");
    else
      reg->updater_started = true;
  }
  if (rc < 0) {
    metric_registry_free(reg);
    return rc;
  }
  *out = reg;
  return 0;
}

static void metric_free(metric *m) {
  sp_free(m->name);
  sp_free(m->counts);
  sp_free(m->at_ns);
  sp_free(m);
}

static void group_free(metric_group *g) {
  while (g->metrics) {
    metric *m = g->metrics;
    g->metrics = m->next;
    metric_free(m);
  }
  for (int i = 0; i < g->nvars; i++) sp_free(g->var_values[i]);
  sp_free(g->identity);
  sp_free(g->scope);
  sp_free(g);
}

void metric_registry_free(metric_registry *reg) {
  if (!reg) return;
  if (reg->updater_started) {
    pthread_mutex_lock(&reg->mu);
    reg->stop = true;
    pthread_cond_signal(&reg->wake);
    pthread_mutex_unlock(&reg->mu);
    pthread_join(reg->updater, NULL);
  }
  while (reg->groups) {
    metric_group *g = reg->groups;
    reg->groups = g->next;
    group_free(g);
  }
  for (int k = 0; k < MG_KINDS; k++) scope_format_free(&reg->formats[k]);
  sp_free(reg->delimiter);
  pthread_mutex_destroy(&reg->mu);
  pthread_cond_destroy(&reg->wake);
  sp_free(reg);
}

/* ---- groups ------------------------------------------------------------------------------- */

const char *metric_group_variable(const metric_group *g, const char *name) {
  size_t len = strlen(name);
  if (len < 3 || name[0] != '<' || name[len - 1] != '>') return NULL;
  for (; g; g = g->parent)
    for (int i = 0; i < g->nvars; i++)
      if (strncmp(g->var_names[i], name + 1, len - 2) == 0 && g->var_names[i][len - 2] == 0)
        return g->var_values[i];
  return NULL;
}

static const char *lookup_var(const void *arg, const char *var) {
  return metric_group_variable(arg, var);
}

/* Finds or creates the group of kind under parent with this identity; vars: pairs of variable
 * name and value, nvars of them. Takes the lock. */
static metric_group *group_get(metric_registry *reg, metric_group *parent, metric_group_kind kind,
                               const char *identity, int nvars, const char *const *names,
                               const char *const *values) {
  if (!reg) return NULL;
  pthread_mutex_lock(&reg->mu);
  metric_group *g = reg->groups;
  for (; g; g = g->next)
    if (g->kind == kind && g->parent == parent && strcmp(g->identity, identity) == 0) break;
  if (g) {
    g->refs++;
    pthread_mutex_unlock(&reg->mu);
    return g;
  }
  g = sp_calloc(1, sizeof *g);
  bool ok = g && (g->identity = sp_strdup(identity));
  if (ok) {
    g->reg = reg;
    g->parent = parent;
    g->kind = kind;
    g->refs = 1;
    for (int i = 0; i < nvars && ok; i++) {
      g->var_names[i] = names[i];
      ok = (g->var_values[i] = sp_strdup(values[i] ? values[i] : "")) != NULL;
      g->nvars = i + 1;
    }
  }
  char scope[1024];
  if (ok) {
    scope_format_apply(&reg->formats[kind], parent ? parent->scope : NULL, reg->delimiter,
                       lookup_var, g, scope, sizeof scope);
    ok = (g->scope = sp_strdup(scope)) != NULL;
  }
  if (!ok) {
    if (g) group_free(g);
    pthread_mutex_unlock(&reg->mu);
    return NULL;
  }
  if (parent) parent->refs++;
  g->next = reg->groups;
  reg->groups = g;
  pthread_mutex_unlock(&reg->mu);
  return g;
}

metric_group *metric_group_jm(metric_registry *reg, const char *host) {
  const char *names[] = {"host"}, *values[] = {host};
  return group_get(reg, NULL, MG_JM, host, 1, names, values);
}

metric_group *metric_group_tm(metric_registry *reg, const char *host, const char *tm_id) {
  const char *names[] = {"host", "tm_id"}, *values[] = {host, tm_id};
  return group_get(reg, NULL, MG_TM, tm_id, 2, names, values);
}

metric_group *metric_group_job(metric_group *parent, const char *job_id, const char *job_name) {
  if (!parent || (parent->kind != MG_JM && parent->kind != MG_TM)) return NULL;
  const char *names[] = {"job_id", "job_name"}, *values[] = {job_id, job_name};
  return group_get(parent->reg, parent, parent->kind == MG_JM ? MG_JM_JOB : MG_TM_JOB, job_id, 2,
                   names, values);
}

metric_group *metric_group_task(metric_group *job, const char *vertex_id, const char *task_name,
                                const char *attempt_id, int attempt_num, int subtask_index) {
  if (!job || job->kind != MG_TM_JOB) return NULL;
  char num[16], idx[16];
  snprintf(num, sizeof num, "%d", attempt_num);
  snprintf(idx, sizeof idx, "%d", subtask_index);
  const char *names[] = {"task_id", "task_name", "task_attempt_id", "task_attempt_num",
                         "subtask_index"};
  const char *values[] = {vertex_id, task_name, attempt_id, num, idx};
  return group_get(job->reg, job, MG_TASK, attempt_id, 5, names, values);
}

metric_group *metric_group_operator(metric_group *task, const char *operator_id,
                                    const char *operator_name) {
  if (!task || task->kind != MG_TASK) return NULL;
  char name[METRIC_OPERATOR_NAME_MAX + 1];
  snprintf(name, sizeof name, "%s", operator_name ? operator_name : "");
  const char *names[] = {"operator_id", "operator_name"}, *values[] = {operator_id, name};
  return group_get(task->reg, task, MG_OPERATOR, operator_id, 2, names, values);
}

void metric_group_release(metric_group *g) {
  if (!g) return;
  metric_registry *reg = g->reg;
  pthread_mutex_lock(&reg->mu);
  while (g && --g->refs == 0) {
    for (metric_group **pp = &reg->groups; *pp; pp = &(*pp)->next)
      if (*pp == g) {
        *pp = g->next;
        break;
      }
    metric_group *parent = g->parent;
    group_free(g);
    g = parent;
  }
  pthread_mutex_unlock(&reg->mu);
}

metric_group_kind metric_group_kind_of(const metric_group *g) { return g->kind; }
metric_registry *metric_group_registry(const metric_group *g) { return g->reg; }

void metric_group_set_sync(metric_group *g, void (*fn)(void *arg, metric_group *g), void *arg) {
  pthread_mutex_lock(&g->reg->mu);
  g->sync = fn;
  g->sync_arg = arg;
  pthread_mutex_unlock(&g->reg->mu);
}

int metric_group_variables(const metric_group *g, const char **names, const char **values,
                           int max) {
  /* root first, as Flink lists them */
  const metric_group *chain[MG_KINDS];
  int depth = 0, n = 0;
  for (; g && depth < MG_KINDS; g = g->parent) chain[depth++] = g;
  for (int d = depth - 1; d >= 0; d--)
    for (int i = 0; i < chain[d]->nvars && n < max; i++) {
      names[n] = chain[d]->var_names[i];
      values[n++] = chain[d]->var_values[i];
    }
  return n;
}

const char *metric_identifier(const metric_group *g, const char *name, char *buf, size_t len) {
  snprintf(buf, len, "%s%s%s", g->scope, g->scope[0] ? g->reg->delimiter : "", name);
  return buf;
}

const char *metric_logical_scope(const metric_group *g, char delim, char *buf, size_t len) {
  size_t off = 0;
  buf[0] = 0;
  for (int i = 0; i < 4 && logical_scopes[g->kind][i] && off < len; i++)
    off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? (char[]){delim, 0} : "",
                            logical_scopes[g->kind][i]);
  return buf;
}

/* ---- metrics ------------------------------------------------------------------------------ */

static metric *metric_add(metric_group *g, const char *name, metric_impl impl, void *arg, int *rc) {
  *rc = SPATE_EINVAL;
  if (!g || !name || !*name) return NULL;
  metric_registry *reg = g->reg;
  pthread_mutex_lock(&reg->mu);
  for (metric *m = g->metrics; m; m = m->next)
    if (strcmp(m->name, name) == 0) {
      pthread_mutex_unlock(&reg->mu);
      SP_WARN("metrics",
              "Name collision: group %s already contains a metric named %s; the new "
              "one is not reported.",
              g->scope, name);
      return NULL;
    }
  metric *m = sp_calloc(1, sizeof *m);
  *rc = SPATE_ENOMEM;
  if (!m || !(m->name = sp_strdup(name))) {
    sp_free(m);
    pthread_mutex_unlock(&reg->mu);
    return NULL;
  }
  m->impl = impl;
  m->arg = arg;
  *rc = 0;
  /* linked in by the caller once its function is set, still under the lock */
  return m;
}

static int metric_link(metric_group *g, metric *m) {
  if (m->impl == MI_METER || m->impl == MI_TIME_PER_SECOND) {
    m->ring = m->impl == MI_METER
                  ? (int)(METRIC_METER_SPAN_S * 1000000000LL / g->reg->interval_ns) + 1
                  : 2;
    if (m->ring < 2) m->ring = 2;
    m->counts = sp_calloc((size_t)m->ring, sizeof *m->counts);
    m->at_ns = sp_calloc((size_t)m->ring, sizeof *m->at_ns);
    if (!m->counts || !m->at_ns) {
      metric_free(m);
      pthread_mutex_unlock(&g->reg->mu);
      return SPATE_ENOMEM;
    }
    view_sample(m, m->fn.lfn(m->arg), sp_mono_ns());
  }
  m->next = g->metrics;
  g->metrics = m;
  pthread_mutex_unlock(&g->reg->mu);
  return 0;
}

#define ADD_WITH(g, name, impl, field, f, arg)         \
  do {                                                 \
    int rc_;                                           \
    metric *m_ = metric_add(g, name, impl, arg, &rc_); \
    if (!m_) return rc_;                               \
    m_->fn.field = f;                                  \
    return metric_link(g, m_);                         \
  } while (0)

int metric_counter_fn(metric_group *g, const char *name, metric_long_fn fn, void *arg) {
  ADD_WITH(g, name, MI_COUNTER_FN, lfn, fn, arg);
}
int metric_gauge_long(metric_group *g, const char *name, metric_long_fn fn, void *arg) {
  ADD_WITH(g, name, MI_GAUGE_LONG, lfn, fn, arg);
}
int metric_gauge_double(metric_group *g, const char *name, metric_double_fn fn, void *arg) {
  ADD_WITH(g, name, MI_GAUGE_DOUBLE, dfn, fn, arg);
}
int metric_gauge_text(metric_group *g, const char *name, metric_text_fn fn, void *arg) {
  ADD_WITH(g, name, MI_GAUGE_TEXT, tfn, fn, arg);
}
int metric_meter(metric_group *g, const char *name, metric_long_fn count, void *arg) {
  ADD_WITH(g, name, MI_METER, lfn, count, arg);
}
int metric_time_per_second(metric_group *g, const char *name, metric_long_fn ns, void *arg) {
  ADD_WITH(g, name, MI_TIME_PER_SECOND, lfn, ns, arg);
}
int metric_histogram(metric_group *g, const char *name, metric_hist_fn fn, void *arg) {
  ADD_WITH(g, name, MI_HISTOGRAM, hfn, fn, arg);
}

_Atomic int64_t *metric_counter(metric_group *g, const char *name) {
  int rc;
  metric *m = metric_add(g, name, MI_COUNTER_CELL, NULL, &rc);
  if (!m) return NULL;
  return metric_link(g, m) == 0 ? &m->cell : NULL;
}

/* ---- reading ------------------------------------------------------------------------------ */

/* Reads m into s; under the lock. */
static void read_metric(const metric_group *g, const metric *m, metric_sample *s) {
  memset(s, 0, sizeof *s);
  s->group = g;
  s->name = m->name;
  s->numeric = true;
  switch (m->impl) {
  case MI_COUNTER_FN:
  case MI_COUNTER_CELL:
    s->kind = METRIC_COUNTER;
    s->count = m->impl == MI_COUNTER_FN ? m->fn.lfn(m->arg) : atomic_load(&m->cell);
    s->value = (double)s->count;
    snprintf(s->text, sizeof s->text, "%lld", (long long)s->count);
    break;
  case MI_GAUGE_LONG:
  case MI_TIME_PER_SECOND: {
    s->kind = METRIC_GAUGE;
    int64_t v = m->impl == MI_GAUGE_LONG ? m->fn.lfn(m->arg) : (int64_t)(m->rate + 0.5);
    s->value = (double)v;
    snprintf(s->text, sizeof s->text, "%lld", (long long)v);
    break;
  }
  case MI_GAUGE_DOUBLE:
    s->kind = METRIC_GAUGE;
    s->value = m->fn.dfn(m->arg);
    metric_dump_double(s->value, s->text, sizeof s->text);
    break;
  case MI_GAUGE_TEXT:
    s->kind = METRIC_GAUGE;
    s->numeric = false;
    m->fn.tfn(m->arg, s->text, sizeof s->text);
    s->text[sizeof s->text - 1] = 0;
    break;
  case MI_METER:
    s->kind = METRIC_METER;
    s->value = m->rate;
    metric_dump_double(s->value, s->text, sizeof s->text);
    break;
  case MI_HISTOGRAM:
    s->kind = METRIC_HISTOGRAM;
    m->fn.hfn(m->arg, &s->hist);
    s->value = s->hist.mean;
    s->count = s->hist.count;
    metric_dump_double(s->value, s->text, sizeof s->text);
    break;
  }
}

void metric_registry_each(metric_registry *reg, void (*fn)(void *arg, const metric_sample *s),
                          void *arg) {
  metric_sample s;
  pthread_mutex_lock(&reg->mu);
  sync_groups_locked(reg);
  for (metric_group *g = reg->groups; g; g = g->next)
    for (metric *m = g->metrics; m; m = m->next) {
      read_metric(g, m, &s);
      fn(arg, &s);
    }
  pthread_mutex_unlock(&reg->mu);
}

typedef struct dump_ctx {
  metric_dump *out;
  int rc;
} dump_ctx;

static void copy_id(char dst[33], const char *src) { snprintf(dst, 33, "%s", src ? src : ""); }

static void dump_one(void *arg, const metric_sample *s) {
  dump_ctx *c = arg;
  if (c->rc < 0) return;
  metric_dump_entry *e = metric_dump_add(c->out);
  if (!e) {
    c->rc = SPATE_ENOMEM;
    return;
  }
  const metric_group *g = s->group;
  static const metric_scope scopes[MG_KINDS] = {METRIC_SCOPE_JM,   METRIC_SCOPE_JOB,
                                                METRIC_SCOPE_TM,   METRIC_SCOPE_JOB,
                                                METRIC_SCOPE_TASK, METRIC_SCOPE_OPERATOR};
  e->scope = scopes[g->kind];
  copy_id(e->job_id, metric_group_variable(g, "<job_id>"));
  if (g->kind == MG_TASK || g->kind == MG_OPERATOR) {
    copy_id(e->vertex_id, metric_group_variable(g, "<task_id>"));
    e->subtask = atoi(metric_group_variable(g, "<subtask_index>"));
    e->attempt = atoi(metric_group_variable(g, "<task_attempt_num>"));
  }
  e->kind = s->kind;
  e->count = s->count;
  e->rate = s->value;
  e->hist = s->hist;
  bool ok = (e->name = sp_strdup(s->name)) != NULL;
  if (ok && g->kind == MG_OPERATOR)
    ok = (e->operator_name = sp_strdup(metric_group_variable(g, "<operator_name>"))) != NULL;
  if (ok && s->kind == METRIC_GAUGE) ok = (e->gauge = sp_strdup(s->text)) != NULL;
  if (!ok) c->rc = SPATE_ENOMEM;
}

int metric_registry_dump(metric_registry *reg, metric_dump *out) {
  dump_ctx c = {.out = out, .rc = 0};
  metric_registry_each(reg, dump_one, &c);
  return c.rc;
}
