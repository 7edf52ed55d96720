/*
 * checkpoint_stats.c: a job's checkpoint statistics (checkpoint_stats.h), Flink's
 * CheckpointStatsTracker.
 *
 * Entries live on the heap. One is kept while it is in progress, in the history, or one of the
 * latest completed / savepoint / failed; when it is none of these any more it is freed. The
 * summary keeps min, max and sum over every completed checkpoint and the last SUMMARY_WINDOW
 * values of each series for the percentiles (Flink keeps a window too).
 *
 * Start delay (Flink's checkpointStartDelay): the time from the trigger until the checkpoint's
 * first barrier reached the subtask (a source: until the trigger did). Each task reports the
 * wall-clock time of that moment (first_barrier_ms; the barrier's own timestamp is the job's
 * processing time, which a test may drive by hand), and the tracker subtracts the trigger's
 * wall-clock time: the same difference Flink's tasks take. Clocks of different processes may
 * disagree, so it is clamped to [0, end to end]. The acknowledgement's travel and queueing are
 * in none of the parts, so the anatomy's "other" shows them. Only when an acknowledgement
 * carries no time is the delay derived: end to end minus sync, async and alignment.
 */
#include "checkpoint/checkpoint_stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

#define SUMMARY_WINDOW 1000

enum { S_STATE, S_CHECKPOINTED, S_DURATION, S_BUFFERED, S_PROCESSED, S_PERSISTED, S_SERIES };

typedef struct series {
  int64_t count, min, max, sum;
  int64_t *window; /* ring of the last SUMMARY_WINDOW values */
  int nwindow, next;
} series;

struct ckpt_stats {
  atomic_int refs;
  pthread_mutex_t mu; /* guards everything below */
  ckpt_stats_vertex *vertices;
  int nvertices, nsubtasks;
  int history_size;
  ckpt_stats_entry **history; /* newest first, up to history_size */
  int nhistory;
  ckpt_stats_entry **pending; /* in progress */
  int npending;
  ckpt_stats_entry *latest_completed, *latest_savepoint, *latest_failed;
  ckpt_stats_counts counts;
  series series[S_SERIES];
  bool has_restored;
  ckpt_stats_restored restored;
  ckpt_stats_config config;
};

const char *ckpt_stats_status_name(ckpt_stats_status s) {
  return s == CKPT_STATS_COMPLETED ? "COMPLETED"
         : s == CKPT_STATS_FAILED  ? "FAILED"
                                   : "IN_PROGRESS";
}

const char *ckpt_stats_type_name(ckpt_stats_type t) {
  static const char *n[] = {"CHECKPOINT", "UNALIGNED_CHECKPOINT", "SAVEPOINT", "SYNC_SAVEPOINT"};
  return t >= CKPT_TYPE_CHECKPOINT && t <= CKPT_TYPE_SYNC_SAVEPOINT ? n[t] : "CHECKPOINT";
}

int64_t ckpt_stats_duration(const ckpt_stats_entry *e) {
  if (e->status == CKPT_STATS_FAILED) {
    int64_t d = e->failure_ms - e->trigger_ms;
    return d > 0 ? d : 0;
  }
  if (e->latest_ack_ms < 0) return -1;
  int64_t d = e->latest_ack_ms - e->trigger_ms;
  return d > 0 ? d : 0;
}

/* ---- summaries ---- */

int64_t ckpt_summary_avg(const ckpt_summary *s) { return s->count ? s->sum / s->count : 0; }

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

double ckpt_quantile(const int64_t *sorted, int n, double q) {
  if (n <= 0) return 0;
  if (n == 1) return (double)sorted[0];
  double pos = q * (n + 1);
  if (pos < 1) return (double)sorted[0];
  if (pos >= n) return (double)sorted[n - 1];
  int i = (int)pos;
  double frac = pos - i;
  double lower = (double)sorted[i - 1], upper = (double)sorted[i];
  return lower + frac * (upper - lower);
}

static void quantiles(const int64_t *sorted, int n, ckpt_summary *out) {
  out->p50 = ckpt_quantile(sorted, n, 0.5);
  out->p90 = ckpt_quantile(sorted, n, 0.9);
  out->p95 = ckpt_quantile(sorted, n, 0.95);
  out->p99 = ckpt_quantile(sorted, n, 0.99);
  out->p999 = ckpt_quantile(sorted, n, 0.999);
}

void ckpt_summary_of(int64_t *v, int n, ckpt_summary *out) {
  memset(out, 0, sizeof *out);
  if (n <= 0) return;
  qsort(v, (size_t)n, sizeof *v, cmp_i64);
  out->count = n;
  out->min = v[0];
  out->max = v[n - 1];
  for (int i = 0; i < n; i++) out->sum += v[i];
  quantiles(v, n, out);
}

static void series_add(series *s, int64_t x) {
  if (s->count == 0 || x < s->min) s->min = x;
  if (s->count == 0 || x > s->max) s->max = x;
  s->count++;
  s->sum += x;
  if (!s->window && !(s->window = sp_calloc(SUMMARY_WINDOW, sizeof *s->window))) return;
  s->window[s->next] = x;
  s->next = (s->next + 1) % SUMMARY_WINDOW;
  if (s->nwindow < SUMMARY_WINDOW) s->nwindow++;
}

/* Under the mutex. */
static int series_summary(const series *s, ckpt_summary *out) {
  memset(out, 0, sizeof *out);
  if (s->count == 0) return 0;
  out->count = s->count;
  out->min = s->min;
  out->max = s->max;
  out->sum = s->sum;
  if (!s->nwindow) return 0;
  int64_t *v = sp_malloc(sizeof *v * (size_t)s->nwindow);
  if (!v) return SPATE_ENOMEM;
  memcpy(v, s->window, sizeof *v * (size_t)s->nwindow);
  qsort(v, (size_t)s->nwindow, sizeof *v, cmp_i64);
  quantiles(v, s->nwindow, out);
  sp_free(v);
  return 0;
}

/* ---- entries ---- */

static void entry_free(ckpt_stats_entry *e) {
  if (!e) return;
  sp_free(e->failure_message);
  sp_free(e->external_path);
  sp_free(e->subtasks);
  sp_free(e);
}

static bool in_history(const ckpt_stats *st, const ckpt_stats_entry *e) {
  for (int i = 0; i < st->nhistory; i++)
    if (st->history[i] == e) return true;
  return false;
}

/* Frees e unless something still holds it. */
static void maybe_free(ckpt_stats *st, ckpt_stats_entry *e) {
  if (!e || e->status == CKPT_STATS_IN_PROGRESS || in_history(st, e) || e == st->latest_completed ||
      e == st->latest_savepoint || e == st->latest_failed)
    return;
  entry_free(e);
}

static void history_push(ckpt_stats *st, ckpt_stats_entry *e) {
  ckpt_stats_entry *dropped = NULL;
  if (st->nhistory == st->history_size) dropped = st->history[--st->nhistory];
  memmove(st->history + 1, st->history, sizeof *st->history * (size_t)st->nhistory);
  st->history[0] = e;
  st->nhistory++;
  maybe_free(st, dropped);
}

static ckpt_stats_entry *find_pending(ckpt_stats *st, int64_t id, int *index) {
  for (int i = 0; i < st->npending; i++)
    if (st->pending[i]->id == id) {
      if (index) *index = i;
      return st->pending[i];
    }
  return NULL;
}

/* Takes the in-progress entry id off the pending list (NULL if it is not pending). */
static ckpt_stats_entry *take_pending(ckpt_stats *st, int64_t id) {
  int i;
  ckpt_stats_entry *e = find_pending(st, id, &i);
  if (!e) return NULL;
  st->pending[i] = st->pending[--st->npending];
  st->counts.in_progress--;
  return e;
}

/* Replaces *slot by e (the old one is freed unless held elsewhere). */
static void set_latest(ckpt_stats *st, ckpt_stats_entry **slot, ckpt_stats_entry *e) {
  ckpt_stats_entry *old = *slot;
  *slot = e;
  if (old != e) maybe_free(st, old);
}

/* ---- life ---- */

int ckpt_stats_create(const job_graph *jg, int history_size, ckpt_stats **out) {
  ckpt_stats *st = sp_calloc(1, sizeof *st);
  if (!st) return SPATE_ENOMEM;
  atomic_init(&st->refs, 1);
  pthread_mutex_init(&st->mu, NULL);
  st->vertices = sp_calloc((size_t)jg->nvertices + 1, sizeof *st->vertices);
  if (!st->vertices) {
    ckpt_stats_unref(st);
    return SPATE_ENOMEM;
  }
  st->nvertices = jg->nvertices;
  for (int v = 0; v < jg->nvertices; v++) {
    jobgraph_vertex_id(jg, v, st->vertices[v].id);
    st->vertices[v].parallelism = jg->vertices[v].parallelism;
    st->vertices[v].first = st->nsubtasks;
    st->nsubtasks += jg->vertices[v].parallelism;
  }
  st->config.exactly_once = true;
  st->config.interval_ms = INT64_MAX;
  st->config.max_concurrent = 1;
  st->config.after_tasks_finish = true;
  ckpt_stats_set_history_size(st, history_size);
  if (!st->history) {
    ckpt_stats_unref(st);
    return SPATE_ENOMEM;
  }
  *out = st;
  return 0;
}

void ckpt_stats_ref(ckpt_stats *st) { atomic_fetch_add(&st->refs, 1); }

void ckpt_stats_unref(ckpt_stats *st) {
  if (!st || atomic_fetch_sub(&st->refs, 1) != 1) return;
  /* every entry once: one may be in the history, pending and a latest one at the same time */
  int n = 0;
  ckpt_stats_entry **all = sp_calloc((size_t)(st->nhistory + st->npending + 3), sizeof *all);
  ckpt_stats_entry *latest[3] = {st->latest_completed, st->latest_savepoint, st->latest_failed};
  for (int i = 0; all && i < st->nhistory + st->npending + 3; i++) {
    ckpt_stats_entry *e = i < st->nhistory ? st->history[i]
                          : i < st->nhistory + st->npending
                              ? st->pending[i - st->nhistory]
                              : latest[i - st->nhistory - st->npending];
    bool seen = !e;
    for (int k = 0; !seen && k < n; k++) seen = all[k] == e;
    if (!seen) all[n++] = e;
  }
  for (int k = 0; k < n; k++) entry_free(all[k]);
  sp_free(all);
  for (int k = 0; k < S_SERIES; k++) sp_free(st->series[k].window);
  sp_free(st->history);
  sp_free(st->pending);
  sp_free(st->vertices);
  pthread_mutex_destroy(&st->mu);
  sp_free(st);
}

/* ---- writers ---- */

void ckpt_stats_set_history_size(ckpt_stats *st, int history_size) {
  if (history_size < 1) history_size = 1;
  pthread_mutex_lock(&st->mu);
  ckpt_stats_entry **h = sp_calloc((size_t)history_size, sizeof *h);
  if (h) {
    int keep = st->nhistory < history_size ? st->nhistory : history_size;
    for (int i = 0; i < keep; i++) h[i] = st->history[i];
    ckpt_stats_entry **old = st->history;
    int nold = st->nhistory;
    st->history = h;
    st->history_size = history_size;
    st->nhistory = keep;
    for (int i = keep; i < nold; i++) maybe_free(st, old[i]);
    sp_free(old);
  }
  pthread_mutex_unlock(&st->mu);
}

void ckpt_stats_set_config(ckpt_stats *st, const ckpt_stats_config *c) {
  pthread_mutex_lock(&st->mu);
  st->config = *c;
  pthread_mutex_unlock(&st->mu);
}

void ckpt_stats_triggered(ckpt_stats *st, int64_t id, ckpt_stats_type type, int64_t trigger_ms) {
  ckpt_stats_entry *e = sp_calloc(1, sizeof *e);
  ckpt_stats_entry **np = NULL;
  if (e) e->subtasks = sp_calloc((size_t)st->nsubtasks + 1, sizeof *e->subtasks);
  pthread_mutex_lock(&st->mu);
  if (e && e->subtasks) np = sp_realloc(st->pending, sizeof *np * (size_t)(st->npending + 1));
  st->counts.total++;
  if (!np) { /* out of memory: counted, not shown */
    pthread_mutex_unlock(&st->mu);
    if (e) sp_free(e->subtasks);
    sp_free(e);
    return;
  }
  e->id = id;
  e->status = CKPT_STATS_IN_PROGRESS;
  e->type = type;
  e->trigger_ms = trigger_ms;
  e->latest_ack_ms = -1;
  e->nsubtasks = st->nsubtasks;
  st->pending = np;
  st->pending[st->npending++] = e;
  st->counts.in_progress++;
  history_push(st, e);
  pthread_mutex_unlock(&st->mu);
}

void ckpt_stats_ack(ckpt_stats *st, int64_t id, int t, const ckpt_subtask_stats *s) {
  pthread_mutex_lock(&st->mu);
  ckpt_stats_entry *e = find_pending(st, id, NULL);
  if (e && t >= 0 && t < e->nsubtasks && !e->subtasks[t].acked) {
    ckpt_subtask_stats *x = &e->subtasks[t];
    *x = *s;
    x->acked = true;
    if (x->start_delay_ms < 0) {
      int64_t end_to_end = x->ack_ms - e->trigger_ms;
      int64_t d = x->first_barrier_ms > 0 ? x->first_barrier_ms - e->trigger_ms
                                          : end_to_end - x->sync_ms - x->async_ms - x->align_ms;
      if (x->first_barrier_ms > 0 && d > end_to_end) d = end_to_end;
      x->start_delay_ms = d > 0 ? d : 0;
    }
    e->nacked++;
    if (x->ack_ms > e->latest_ack_ms) e->latest_ack_ms = x->ack_ms;
    e->state_size += x->state_size;
    e->checkpointed_size += x->checkpointed_size;
    e->processed += x->processed;
    e->persisted += x->persisted;
  }
  pthread_mutex_unlock(&st->mu);
}

void ckpt_stats_completed(ckpt_stats *st, int64_t id, const char *path) {
  char *p = path ? sp_strdup(path) : NULL;
  pthread_mutex_lock(&st->mu);
  ckpt_stats_entry *e = take_pending(st, id);
  if (!e) {
    pthread_mutex_unlock(&st->mu);
    sp_free(p);
    return;
  }
  e->status = CKPT_STATS_COMPLETED;
  e->external_path = p;
  st->counts.completed++;
  series_add(&st->series[S_STATE], (int64_t)e->state_size);
  series_add(&st->series[S_CHECKPOINTED], (int64_t)e->checkpointed_size);
  series_add(&st->series[S_DURATION], ckpt_stats_duration(e) < 0 ? 0 : ckpt_stats_duration(e));
  series_add(&st->series[S_BUFFERED], 0);
  series_add(&st->series[S_PROCESSED], (int64_t)e->processed);
  series_add(&st->series[S_PERSISTED], (int64_t)e->persisted);
  if (ckpt_stats_is_savepoint(e))
    set_latest(st, &st->latest_savepoint, e);
  else
    set_latest(st, &st->latest_completed, e);
  maybe_free(st, e);
  pthread_mutex_unlock(&st->mu);
}

void ckpt_stats_failed(ckpt_stats *st, int64_t id, int64_t at_ms, const char *why) {
  char *m = sp_strdup(why ? why : "");
  pthread_mutex_lock(&st->mu);
  ckpt_stats_entry *e = take_pending(st, id);
  if (!e) {
    pthread_mutex_unlock(&st->mu);
    sp_free(m);
    return;
  }
  e->status = CKPT_STATS_FAILED;
  e->failure_ms = at_ms;
  e->failure_message = m;
  st->counts.failed++;
  set_latest(st, &st->latest_failed, e);
  maybe_free(st, e);
  pthread_mutex_unlock(&st->mu);
}

void ckpt_stats_discarded(ckpt_stats *st, int64_t id) {
  pthread_mutex_lock(&st->mu);
  for (int i = 0; i < st->nhistory; i++)
    if (st->history[i]->id == id && st->history[i]->status == CKPT_STATS_COMPLETED)
      st->history[i]->discarded = true;
  if (st->latest_completed && st->latest_completed->id == id)
    st->latest_completed->discarded = true;
  pthread_mutex_unlock(&st->mu);
}

void ckpt_stats_restored_set(ckpt_stats *st, const ckpt_stats_restored *r) {
  pthread_mutex_lock(&st->mu);
  st->restored = *r;
  st->has_restored = true;
  st->counts.restored++;
  pthread_mutex_unlock(&st->mu);
}

/* ---- readers ---- */

/* A copy of e into out, with its subtasks if asked (0 or SPATE_ENOMEM). */
static int entry_copy(const ckpt_stats_entry *e, bool subtasks, ckpt_stats_entry *out) {
  *out = *e;
  out->failure_message = NULL;
  out->external_path = NULL;
  out->subtasks = NULL;
  if ((e->failure_message && !(out->failure_message = sp_strdup(e->failure_message))) ||
      (e->external_path && !(out->external_path = sp_strdup(e->external_path))))
    return SPATE_ENOMEM;
  if (subtasks && e->subtasks) {
    out->subtasks = sp_malloc(sizeof *e->subtasks * ((size_t)e->nsubtasks + 1));
    if (!out->subtasks) return SPATE_ENOMEM;
    memcpy(out->subtasks, e->subtasks, sizeof *e->subtasks * (size_t)e->nsubtasks);
  }
  return 0;
}

static void entry_clear(ckpt_stats_entry *e) {
  sp_free(e->failure_message);
  sp_free(e->external_path);
  sp_free(e->subtasks);
}

static ckpt_stats_entry *entry_dup(const ckpt_stats_entry *e, bool subtasks, int *rc) {
  if (!e || *rc < 0) return NULL;
  ckpt_stats_entry *c = sp_calloc(1, sizeof *c);
  if (!c || entry_copy(e, subtasks, c) < 0) {
    if (c) entry_clear(c);
    sp_free(c);
    *rc = SPATE_ENOMEM;
    return NULL;
  }
  return c;
}

void ckpt_stats_snapshot_free(ckpt_stats_snapshot *s) {
  ckpt_stats_entry *latest[3] = {s->latest_completed, s->latest_savepoint, s->latest_failed};
  for (int i = 0; i < 3; i++) {
    if (!latest[i]) continue;
    entry_clear(latest[i]);
    sp_free(latest[i]);
  }
  for (int i = 0; i < s->nhistory; i++) entry_clear(&s->history[i]);
  sp_free(s->history);
  sp_free(s->vertices);
  memset(s, 0, sizeof *s);
}

/* The vertices and config into out; under the mutex. */
static int copy_common(const ckpt_stats *st, ckpt_stats_snapshot *out) {
  out->config = st->config;
  out->vertices = sp_malloc(sizeof *st->vertices * ((size_t)st->nvertices + 1));
  if (!out->vertices) return SPATE_ENOMEM;
  memcpy(out->vertices, st->vertices, sizeof *st->vertices * (size_t)st->nvertices);
  out->nvertices = st->nvertices;
  return 0;
}

int ckpt_stats_read(ckpt_stats *st, ckpt_stats_snapshot *out) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&st->mu);
  int rc = copy_common(st, out);
  out->counts = st->counts;
  ckpt_summary *sums[S_SERIES] = {&out->state_size, &out->checkpointed_size,
                                  &out->duration,   &out->alignment_buffered,
                                  &out->processed,  &out->persisted};
  for (int k = 0; rc == 0 && k < S_SERIES; k++) rc = series_summary(&st->series[k], sums[k]);
  out->latest_completed = entry_dup(st->latest_completed, false, &rc);
  out->latest_savepoint = entry_dup(st->latest_savepoint, false, &rc);
  out->latest_failed = entry_dup(st->latest_failed, false, &rc);
  out->has_restored = st->has_restored;
  out->restored = st->restored;
  if (rc == 0 && st->nhistory) {
    out->history = sp_calloc((size_t)st->nhistory, sizeof *out->history);
    if (!out->history) rc = SPATE_ENOMEM;
    for (int i = 0; rc == 0 && i < st->nhistory; i++) {
      out->nhistory++;
      rc = entry_copy(st->history[i], false, &out->history[i]);
    }
  }
  pthread_mutex_unlock(&st->mu);
  if (rc < 0) ckpt_stats_snapshot_free(out);
  return rc;
}

int ckpt_stats_read_checkpoint(ckpt_stats *st, int64_t id, ckpt_stats_snapshot *out) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&st->mu);
  const ckpt_stats_entry *e = NULL;
  for (int i = 0; !e && i < st->nhistory; i++)
    if (st->history[i]->id == id) e = st->history[i];
  const ckpt_stats_entry *latest[3] = {st->latest_completed, st->latest_savepoint,
                                       st->latest_failed};
  for (int i = 0; !e && i < 3; i++)
    if (latest[i] && latest[i]->id == id) e = latest[i];
  int rc = e ? copy_common(st, out) : SPATE_ENOENT;
  if (rc == 0) {
    out->history = sp_calloc(1, sizeof *out->history);
    if (!out->history) rc = SPATE_ENOMEM;
  }
  if (rc == 0) {
    out->nhistory = 1;
    rc = entry_copy(e, true, &out->history[0]);
  }
  pthread_mutex_unlock(&st->mu);
  if (rc < 0) ckpt_stats_snapshot_free(out);
  return rc;
}

void ckpt_stats_read_gauges(ckpt_stats *st, ckpt_stats_gauges *out) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&st->mu);
  /* the latest completed one, checkpoint or savepoint */
  const ckpt_stats_entry *c = st->latest_completed;
  if (st->latest_savepoint && (!c || st->latest_savepoint->id > c->id)) c = st->latest_savepoint;
  out->last_duration_ms = c ? ckpt_stats_duration(c) : -1;
  out->last_size = c ? (int64_t)c->checkpointed_size : -1;
  out->last_full_size = c ? (int64_t)c->state_size : -1;
  out->last_completed_id = c ? c->id : -1;
  snprintf(out->last_external_path, sizeof out->last_external_path, "%s",
           c && c->external_path ? c->external_path : "n/a");
  out->last_restore_ms = st->has_restored ? st->restored.restore_ms : -1;
  out->completed = st->counts.completed;
  out->failed = st->counts.failed;
  out->in_progress = st->counts.in_progress;
  out->total = st->counts.total;
  pthread_mutex_unlock(&st->mu);
}

/* ---- helpers ---- */

int ckpt_stats_find_vertex(const ckpt_stats_snapshot *s, const char *id) {
  for (int v = 0; v < s->nvertices; v++)
    if (strcmp(s->vertices[v].id, id) == 0) return v;
  return -1;
}

void ckpt_stats_task(const ckpt_stats_snapshot *s, const ckpt_stats_entry *e, int v,
                     ckpt_task_stats *out) {
  memset(out, 0, sizeof *out);
  out->latest_ack_ms = -1;
  const ckpt_stats_vertex *vx = &s->vertices[v];
  out->nsubtasks = vx->parallelism;
  for (int i = 0; e->subtasks && i < vx->parallelism; i++) {
    const ckpt_subtask_stats *x = &e->subtasks[vx->first + i];
    if (!x->acked) continue;
    out->nacked++;
    if (x->ack_ms > out->latest_ack_ms) out->latest_ack_ms = x->ack_ms;
    out->state_size += x->state_size;
    out->checkpointed_size += x->checkpointed_size;
    out->processed += x->processed;
    out->persisted += x->persisted;
    out->align_buffered += x->align_buffered;
  }
}

int ckpt_stats_task_summary(const ckpt_stats_snapshot *s, const ckpt_stats_entry *e, int v,
                            ckpt_task_summary *out) {
  memset(out, 0, sizeof *out);
  const ckpt_stats_vertex *vx = &s->vertices[v];
  int n = 0;
  enum { K = 10 };
  int64_t *vals[K];
  ckpt_summary *sums[K] = {
      &out->state_size,     &out->checkpointed_size, &out->duration,  &out->sync,
      &out->async,          &out->align_buffered,    &out->processed, &out->persisted,
      &out->align_duration, &out->start_delay};
  int rc = 0;
  for (int k = 0; k < K; k++) {
    vals[k] = sp_malloc(sizeof(int64_t) * ((size_t)vx->parallelism + 1));
    if (!vals[k]) rc = SPATE_ENOMEM;
  }
  for (int i = 0; rc == 0 && e->subtasks && i < vx->parallelism; i++) {
    const ckpt_subtask_stats *x = &e->subtasks[vx->first + i];
    if (!x->acked) continue;
    int64_t d = x->ack_ms - e->trigger_ms;
    int64_t row[K] = {(int64_t)x->state_size,
                      (int64_t)x->checkpointed_size,
                      d > 0 ? d : 0,
                      x->sync_ms,
                      x->async_ms,
                      (int64_t)x->align_buffered,
                      (int64_t)x->processed,
                      (int64_t)x->persisted,
                      x->align_ms,
                      x->start_delay_ms};
    for (int k = 0; k < K; k++) vals[k][n] = row[k];
    n++;
  }
  for (int k = 0; k < K; k++) {
    if (rc == 0) ckpt_summary_of(vals[k], n, sums[k]);
    sp_free(vals[k]);
  }
  return rc;
}
