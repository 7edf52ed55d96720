/*
 * coordinator.c: the checkpoint coordinator (Flink's CheckpointCoordinator), driven by the
 * JobMaster through coordinator.h.
 *
 * With execution.checkpointing.interval set, a timer triggers checkpoint n at the source
 * subtasks (respecting min pause and max concurrent checkpoints); every subtask acknowledges
 * once its state file is written; then the metadata is written atomically, the checkpoint is
 * complete, and every subtask is notified (two-phase-commit sinks commit). A checkpoint that
 * expires or is declined is aborted; more consecutive failures than tolerable fail the job
 * (Flink's CheckpointFailureManager). Savepoints and manual checkpoints take the same path.
 * Completed checkpoints are retained (state.checkpoints.num-retained) for restarts
 * (checkpoint/restore.c chooses among them) and, when externalized, after the job.
 */
#include "checkpoint/coordinator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/err.h"
#include "base/log.h"
#include "checkpoint/checkpoint_stats.h"
#include "checkpoint/storage.h"
#include "runtime/element.h"
#include "runtime/result_partition.h"

enum { RETAIN_NONE = 0, RETAIN_DELETE_ON_CANCEL = 1, RETAIN_ON_CANCEL = 2 };

typedef struct ckpt_settings {
  int64_t interval_ms; /* <= 0: no periodic checkpoints */
  int64_t timeout_ms, min_pause_ms, aligned_timeout_ms;
  int max_concurrent, tolerable;
  bool exactly_once, unaligned;
  int retention;
  int num_retained;
  char dir[4096]; /* <state.checkpoints.dir>/<job id>, or "" */
  char savepoint_dir[4096];
} ckpt_settings;

typedef struct ckpt_ack {
  bool got;
  bool finished; /* the subtask had finished: no state, not run again on restore */
  char *file;
  uint64_t length, checksum;
  int64_t sync_ms, async_ms, align_ms;
  bool unaligned;
} ckpt_ack;

typedef struct pending_ckpt {
  struct pending_ckpt *next;
  int64_t id, timestamp, start_ms;
  bool savepoint, stop;
  char dir[4096];
  char reply[64]; /* savepoints: who asked */
  uint32_t flags; /* the barrier's options */
  int nacks;
  ckpt_ack *acks; /* by task index */
} pending_ckpt;

struct ckpt_coord {
  const job_graph *jg;
  sp_clock *clock;
  ckpt_coord_hooks hooks;
  int ntasks; /* subtasks of all vertices */
  ckpt_settings ck;
  int64_t next_id;
  pending_ckpt *pending;
  int npending;
  int64_t last_done_ms;      /* end of the last completed checkpoint (min pause) */
  bool any_done;             /* last_done_ms is set (a manual clock may stand at 0) */
  int failures;              /* consecutive failed checkpoints */
  ckpt_completed *completed; /* retained, oldest first */
  int ncompleted;
  bool timer_running;
  sp_writer stats; /* completed checkpoints' stats, as in the job result */
  uint32_t nstats;
  ckpt_stats *tracker; /* the statistics the REST endpoint and metrics read (one reference) */
};

/* Processing time of the cluster (a manual clock in tests): checkpoint timestamps, min pause.
 * Durations reported in statistics are measured on the monotonic clock. */
static int64_t clock_now(const ckpt_coord *c) { return sp_clock_now(c->clock); }

static int task_index(const ckpt_coord *c, int v, int s) {
  int k = 0;
  for (int i = 0; i < v; i++) k += c->jg->vertices[i].parallelism;
  return k + s;
}

static task_state state_of(const ckpt_coord *c, int v, int s) {
  return c->hooks.task_state(c->hooks.ctx, v, s);
}

int ckpt_coord_create(const job_graph *jg, sp_clock *clock, const ckpt_coord_hooks *hooks,
                      ckpt_coord **out) {
  ckpt_coord *c = sp_calloc(1, sizeof *c);
  if (!c) return SPATE_ENOMEM;
  c->jg = jg;
  c->clock = clock;
  c->hooks = *hooks;
  for (int v = 0; v < jg->nvertices; v++) c->ntasks += jg->vertices[v].parallelism;
  sp_writer_init(&c->stats);
  int rc = ckpt_stats_create(jg, 10, &c->tracker);
  if (rc < 0) {
    ckpt_coord_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

static void pending_free(ckpt_coord *c, pending_ckpt *p) {
  for (int i = 0; i < c->ntasks; i++) sp_free(p->acks[i].file);
  sp_free(p->acks);
  sp_free(p);
}

void ckpt_coord_free(ckpt_coord *c) {
  if (!c) return;
  sp_free(c->completed);
  sp_writer_free(&c->stats);
  ckpt_stats_unref(c->tracker);
  while (c->pending) {
    pending_ckpt *p = c->pending;
    c->pending = p->next;
    pending_free(c, p);
  }
  sp_free(c);
}

int ckpt_coord_configure(ckpt_coord *c, const sp_config *cfg, char *err, size_t err_len) {
  int rc = 0;
  ckpt_settings *ck = &c->ck;
  ck->interval_ms = sp_config_is_set(cfg, "execution.checkpointing.interval")
                        ? sp_config_duration_ms(cfg, "execution.checkpointing.interval")
                        : 0;
  ck->timeout_ms = sp_config_duration_ms(cfg, "execution.checkpointing.timeout");
  ck->min_pause_ms = sp_config_duration_ms(cfg, "execution.checkpointing.min-pause");
  ck->max_concurrent =
      (int)sp_config_int(cfg, "execution.checkpointing.max-concurrent-checkpoints");
  ck->tolerable = (int)sp_config_int(cfg, "execution.checkpointing.tolerable-failed-checkpoints");
  const char *mode = sp_config_str(cfg, "execution.checkpointing.mode");
  ck->exactly_once = !mode || strcasecmp(mode, "AT_LEAST_ONCE") != 0;
  ck->unaligned = sp_config_bool(cfg, "execution.checkpointing.unaligned.enabled");
  ck->aligned_timeout_ms =
      sp_config_duration_ms(cfg, "execution.checkpointing.aligned-checkpoint-timeout");
  const char *ret = sp_config_str(cfg, "execution.checkpointing.externalized-checkpoint-retention");
  ck->retention = !ret                                             ? RETAIN_NONE
                  : strcasecmp(ret, "RETAIN_ON_CANCELLATION") == 0 ? RETAIN_ON_CANCEL
                  : strcasecmp(ret, "DELETE_ON_CANCELLATION") == 0 ? RETAIN_DELETE_ON_CANCEL
                                                                   : RETAIN_NONE;
  ck->num_retained = (int)sp_config_int(cfg, "state.checkpoints.num-retained");
  if (ck->num_retained < 1) ck->num_retained = 1;
  if (ck->max_concurrent < 1) ck->max_concurrent = 1;
  char path[4096];
  /* the job's checkpoint directory, also without periodic checkpoints (manual ones use it) */
  const char *dir = sp_config_str(cfg, "state.checkpoints.dir");
  if (rc == 0) {
    if (!dir) { /* Flink keeps them in the JobManager; Spate needs a place on disk */
      const char *tmp = getenv("TMPDIR");
      snprintf(path, sizeof path, "%s/spate-checkpoints", tmp && tmp[0] ? tmp : "/tmp");
      if (ck->interval_ms > 0)
        SP_INFO("jobmaster", "state.checkpoints.dir is not set; checkpoints go to %s.", path);
    } else {
      rc = ckpt_path_from_uri(dir, path, sizeof path, err, err_len);
    }
    int n = rc == 0 ? snprintf(ck->dir, sizeof ck->dir, "%s/%s", path, c->jg->job_id) : 0;
    if (n < 0 || (size_t)n >= sizeof ck->dir)
      rc = sp_err(err, err_len, SPATE_EINVAL, "state.checkpoints.dir is too long");
  }
  /* periodic checkpoints need their storage before the job runs (Flink initializes the base
   * locations when its coordinator starts and fails the job if it cannot) */
  if (rc == 0 && ck->interval_ms > 0) {
    char why[SP_ERRMSG_MAX];
    if (ckpt_mkdirs(ck->dir, why, sizeof why) < 0)
      rc = sp_err(err, err_len, SPATE_EIO,
                  "Failed to create checkpoint storage at checkpoint coordinator side "
                  "(state.checkpoints.dir %s): %s",
                  dir ? dir : path, why);
  }
  const char *sdir = sp_config_str(cfg, "state.savepoints.dir");
  if (rc == 0 && sdir) {
    rc = ckpt_path_from_uri(sdir, path, sizeof path, err, err_len);
    if (rc == 0) snprintf(ck->savepoint_dir, sizeof ck->savepoint_dir, "%s", path);
  }
  ckpt_stats_set_history_size(c->tracker, (int)sp_config_int(cfg, "web.checkpoints.history"));
  ckpt_stats_config sc = {.exactly_once = ck->exactly_once,
                          .interval_ms = ck->interval_ms > 0 ? ck->interval_ms : INT64_MAX,
                          .timeout_ms = ck->timeout_ms,
                          .min_pause_ms = ck->min_pause_ms,
                          .aligned_timeout_ms = ck->aligned_timeout_ms,
                          .max_concurrent = ck->max_concurrent,
                          .tolerable = ck->tolerable,
                          .externalized = ck->retention != RETAIN_NONE,
                          .delete_on_cancellation = ck->retention == RETAIN_DELETE_ON_CANCEL,
                          .unaligned = ck->unaligned,
                          .after_tasks_finish = true}; /* FLIP-147 is always on in Spate */
  ckpt_stats_set_config(c->tracker, &sc);
  return rc;
}

ckpt_stats *ckpt_coord_tracker(const ckpt_coord *c) { return c->tracker; }

void ckpt_coord_restored(ckpt_coord *c, const char *dir) {
  ckpt_metadata m = {0};
  char err[SP_ERRMSG_MAX];
  if (!dir || !dir[0] || ckpt_read_metadata(dir, &m, err, sizeof err) < 0) return;
  ckpt_stats_restored r = {.id = m.id, .restore_ms = sp_wall_ms(), .savepoint = m.savepoint};
  snprintf(r.external_path, sizeof r.external_path, "%s", dir);
  ckpt_metadata_free(&m);
  ckpt_stats_restored_set(c->tracker, &r);
}

int64_t ckpt_coord_interval_ms(const ckpt_coord *c) { return c->ck.interval_ms; }

void ckpt_coord_describe(const ckpt_coord *c, char *buf, size_t len) {
  snprintf(buf, len, "every %lld ms (%s%s) into %s", (long long)c->ck.interval_ms,
           c->ck.exactly_once ? "EXACTLY_ONCE" : "AT_LEAST_ONCE",
           c->ck.unaligned ? ", unaligned" : "", c->ck.dir);
}

void ckpt_coord_continue_from(ckpt_coord *c, int64_t id) { c->next_id = id; }

static bool all_running(const ckpt_coord *c) {
  for (int v = 0; v < c->jg->nvertices; v++)
    for (int s = 0; s < c->jg->vertices[v].parallelism; s++)
      if (state_of(c, v, s) != TS_RUNNING) return false;
  return true;
}

bool ckpt_coord_checkpointable(const ckpt_coord *c) {
  bool running = false;
  for (int v = 0; v < c->jg->nvertices; v++)
    for (int s = 0; s < c->jg->vertices[v].parallelism; s++) {
      task_state st = state_of(c, v, s);
      if (st == TS_RUNNING)
        running = true;
      else if (st != TS_FINISHED)
        return false;
    }
  return running;
}

/* Whether the running subtask (v, s) gets the trigger: sources do, and so does a task all of
 * whose producers have finished (no barrier can reach it any more). */
static bool trigger_target(const ckpt_coord *c, int v, int s) {
  const job_graph *jg = c->jg;
  if (state_of(c, v, s) != TS_RUNNING) return false;
  const jg_vertex *vx = &jg->vertices[v];
  if (vx->ninputs == 0) return true;
  int maxp = 1;
  for (int i = 0; i < jg->nvertices; i++)
    if (jg->vertices[i].parallelism > maxp) maxp = jg->vertices[i].parallelism;
  int *peers = sp_calloc((size_t)maxp, sizeof *peers),
      *subs = sp_calloc((size_t)maxp, sizeof *subs);
  bool all_done = peers && subs;
  for (int k = 0; all_done && k < vx->ninputs; k++) {
    const jg_edge *e = &jg->edges[vx->inputs[k]];
    int n = rp_producers_of(e->part, jg->vertices[e->source_vertex].parallelism, vx->parallelism, s,
                            peers, subs);
    for (int i = 0; i < n; i++)
      if (state_of(c, e->source_vertex, peers[i]) != TS_FINISHED) all_done = false;
  }
  sp_free(peers);
  sp_free(subs);
  return all_done;
}

/* A subtask that finished without taking checkpoint p counts as finished in it. Its
 * acknowledgement, had it taken the checkpoint, would have arrived first: the TaskExecutor
 * sends it before the task may report FINISHED. */
static void mark_finished(ckpt_coord *c, pending_ckpt *p, int t) {
  if (p->acks[t].got) return;
  p->acks[t].got = true;
  p->acks[t].finished = true;
  p->nacks++;
  /* Flink leaves finished tasks out of the plan; here they count as acknowledged, with no state */
  ckpt_stats_ack(c->tracker, p->id, t, &(ckpt_subtask_stats){.ack_ms = sp_wall_ms()});
}

static void unlink_pending(ckpt_coord *c, pending_ckpt *p) {
  for (pending_ckpt **pp = &c->pending; *pp; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      c->npending--;
      return;
    }
}

/* Drops a pending checkpoint: its files go, the tasks are told, requesters answered. */
static void abort_one(ckpt_coord *c, pending_ckpt *p, const char *why, bool notify) {
  unlink_pending(c, p);
  SP_WARN("jobmaster", "%s %lld of job %s failed: %s", p->savepoint ? "Savepoint" : "Checkpoint",
          (long long)p->id, c->jg->job_id, why);
  char err[SP_ERRMSG_MAX];
  ckpt_discard(p->dir, err, sizeof err);
  if (notify) c->hooks.notify(c->hooks.ctx, p->id, false);
  char msg[SP_ERRMSG_MAX];
  snprintf(msg, sizeof msg, "%s %lld failed: %s", p->savepoint ? "savepoint" : "checkpoint",
           (long long)p->id, why);
  c->hooks.reply(c->hooks.ctx, p->reply, p->id, NULL, msg);
  ckpt_stats_failed(c->tracker, p->id, sp_wall_ms(), why);
  c->hooks.event(c->hooks.ctx, CKPT_EVENT_FAILED, p->id, p->savepoint, NULL, why);
  pending_free(c, p);
}

static void abort_pending(ckpt_coord *c, const char *why, bool notify) {
  while (c->pending) abort_one(c, c->pending, why, notify);
}

void ckpt_coord_abort_pending(ckpt_coord *c, const char *why) { abort_pending(c, why, false); }

/* A checkpoint failed (Flink's CheckpointFailureManager): more consecutive failures than
 * execution.checkpointing.tolerable-failed-checkpoints fail the job over. */
static void count_failure(ckpt_coord *c, const char *why) {
  c->failures++;
  if (c->failures > c->ck.tolerable) {
    char msg[SP_ERRMSG_MAX];
    snprintf(msg, sizeof msg,
             "Exceeded checkpoint tolerable failure threshold (%d). The latest checkpoint failed: "
             "%.800s",
             c->ck.tolerable, why);
    c->hooks.fail_job(c->hooks.ctx, msg);
  }
}

/* A checkpoint failed (expired, declined, its metadata not written): fail the job past the
 * tolerable count. */
static void checkpoint_failed(ckpt_coord *c, pending_ckpt *p, const char *why) {
  bool savepoint = p->savepoint, stop = p->stop;
  abort_one(c, p, why, true);
  if (stop) { /* its sources may have stopped: fail over */
    char msg[SP_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "stop-with-savepoint failed: %.900s", why);
    c->hooks.fail_job(c->hooks.ctx, msg);
    return;
  }
  if (savepoint) return; /* savepoints do not count (Flink) */
  count_failure(c, why);
}

/* A checkpoint that could not even start (its directory cannot be created): it fails like one
 * that started, and counts. */
static void trigger_failed(ckpt_coord *c, const char *why) {
  SP_WARN("jobmaster", "Failed to trigger checkpoint %lld for job %s: %s", (long long)c->next_id,
          c->jg->job_id, why);
  int64_t now = sp_wall_ms();
  ckpt_stats_triggered(c->tracker, c->next_id, CKPT_TYPE_CHECKPOINT, now);
  ckpt_stats_failed(c->tracker, c->next_id, now, why);
  c->hooks.event(c->hooks.ctx, CKPT_EVENT_FAILED, c->next_id, false, NULL, why);
  count_failure(c, why);
}

static pending_ckpt *find_pending(ckpt_coord *c, int64_t id) {
  for (pending_ckpt *p = c->pending; p; p = p->next)
    if (p->id == id) return p;
  return NULL;
}

static void send_trigger(ckpt_coord *c, const pending_ckpt *p, int v, int s) {
  c->hooks.send_trigger(c->hooks.ctx, v, s, p->id, p->timestamp, p->flags,
                        p->savepoint ? 0 : c->ck.aligned_timeout_ms, p->dir);
}

/* Starts checkpoint (or savepoint) next_id at the source subtasks. */
/* stop: 0, or BARRIER_STOP with or without BARRIER_DRAIN (a savepoint's). */
static int trigger(ckpt_coord *c, bool savepoint, const char *dir, const char *reply, uint32_t stop,
                   char *err, size_t err_len) {
  pending_ckpt *p = sp_calloc(1, sizeof *p);
  if (!p || !(p->acks = sp_calloc((size_t)c->ntasks, sizeof *p->acks))) {
    sp_free(p);
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  p->id = ++c->next_id;
  p->timestamp = clock_now(c);
  p->start_ms = sp_mono_ms(); /* durations are measured, not clock time */
  p->savepoint = savepoint;
  p->stop = stop != 0;
  snprintf(p->reply, sizeof p->reply, "%s", reply ? reply : "");
  int n;
  if (savepoint) {
    uint8_t rnd[6];
    uint64_t x = (uint64_t)sp_mono_ns() ^ ((uint64_t)p->id << 40);
    for (int i = 0; i < 6; i++) rnd[i] = (uint8_t)((x >> (8 * i)) ^ (x >> 29));
    n = snprintf(p->dir, sizeof p->dir, "%s/savepoint-%.6s-%02x%02x%02x%02x%02x%02x", dir,
                 c->jg->job_id, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
  } else {
    n = snprintf(p->dir, sizeof p->dir, "%s/chk-%lld", c->ck.dir, (long long)p->id);
  }
  int rc = n < 0 || (size_t)n >= sizeof p->dir
               ? sp_err(err, err_len, SPATE_EINVAL, "checkpoint directory path is too long")
               : ckpt_mkdirs(p->dir, err, err_len);
  if (rc < 0) {
    pending_free(c, p);
    return rc;
  }
  p->next = c->pending;
  c->pending = p;
  c->npending++;
  uint32_t flags = savepoint             ? BARRIER_SAVEPOINT | stop
                   : !c->ck.exactly_once ? BARRIER_AT_LEAST_ONCE
                   : c->ck.unaligned     ? BARRIER_UNALIGNED
                                         : 0;
  ckpt_stats_triggered(c->tracker, p->id,
                       stop                        ? CKPT_TYPE_SYNC_SAVEPOINT
                       : savepoint                 ? CKPT_TYPE_SAVEPOINT
                       : flags & BARRIER_UNALIGNED ? CKPT_TYPE_UNALIGNED_CHECKPOINT
                                                   : CKPT_TYPE_CHECKPOINT,
                       sp_wall_ms());
  SP_INFO("jobmaster", "Triggering %s %lld (type=%s%s) @ %lld for job %s.",
          savepoint ? "savepoint" : "checkpoint", (long long)p->id,
          stop                        ? "SYNC_SAVEPOINT"
          : savepoint                 ? "SAVEPOINT"
          : flags & BARRIER_UNALIGNED ? "UNALIGNED_CHECKPOINT"
                                      : "CHECKPOINT",
          stop & BARRIER_DRAIN ? ", drain" : "", (long long)p->timestamp, c->jg->job_id);
  for (int v = 0; v < c->jg->nvertices; v++)
    for (int s = 0; s < c->jg->vertices[v].parallelism; s++)
      if (state_of(c, v, s) == TS_FINISHED) mark_finished(c, p, task_index(c, v, s));
  p->flags = flags;
  for (int v = 0; v < c->jg->nvertices; v++)
    for (int s = 0; s < c->jg->vertices[v].parallelism; s++)
      if (trigger_target(c, v, s)) send_trigger(c, p, v, s);
  c->hooks.expire_after(c->hooks.ctx, p->id, c->ck.timeout_ms);
  c->hooks.event(c->hooks.ctx, CKPT_EVENT_TRIGGERED, p->id, savepoint, p->dir, NULL);
  return 0;
}

void ckpt_coord_on_timer(ckpt_coord *c, bool job_running) {
  if (!job_running) {
    c->timer_running = false;
    return;
  }
  int64_t now = clock_now(c), next = c->ck.interval_ms;
  int64_t pause_left = c->last_done_ms + c->ck.min_pause_ms - now;
  bool go = false;
  if (!ckpt_coord_checkpointable(c)) {
    SP_DEBUG("jobmaster", "Tasks are being deployed; checkpoint skipped.");
  } else if (c->npending >= c->ck.max_concurrent) {
    /* wait for the running ones */
  } else if (c->ck.min_pause_ms > 0 && c->any_done && pause_left > 0) {
    next = pause_left;
  } else {
    go = true;
  }
  /* the next tick is set before this one triggers: the trigger's events may make a program move
   * a manual clock, and the schedule must not depend on when that happens */
  c->hooks.tick_after(c->hooks.ctx, next);
  char err[SP_ERRMSG_MAX];
  if (go && trigger(c, false, NULL, NULL, 0, err, sizeof err) < 0) trigger_failed(c, err);
}

void ckpt_coord_start_timer(ckpt_coord *c) {
  if (c->timer_running || c->ck.interval_ms <= 0 || !c->ck.dir[0]) return;
  c->timer_running = true;
  c->hooks.tick_after(c->hooks.ctx, c->ck.interval_ms);
}

void ckpt_coord_new_attempt(ckpt_coord *c) { c->timer_running = false; }

/* Every subtask acknowledged: write the metadata, then the checkpoint is complete. */
static void finalize(ckpt_coord *c, pending_ckpt *p) {
  sp_assert(p->nacks == c->ntasks); /* each subtask counted once: acks[t].got guards it */
  int64_t fin_start = sp_mono_ms();
  ckpt_metadata m = {0};
  snprintf(m.job_id, sizeof m.job_id, "%s", c->jg->job_id);
  m.id = p->id;
  m.timestamp = p->timestamp;
  m.savepoint = p->savepoint;
  m.files = sp_calloc((size_t)c->ntasks + 1, sizeof *m.files);
  m.finished = sp_calloc((size_t)c->ntasks + 1, sizeof *m.finished);
  bool oom = false;
  uint64_t size = 0;
  int64_t sync = 0, async = 0, align = 0;
  bool unaligned = false;
  for (int v = 0; m.files && v < c->jg->nvertices; v++)
    for (int s = 0; s < c->jg->vertices[v].parallelism; s++) {
      ckpt_ack *a = &p->acks[task_index(c, v, s)];
      if (a->sync_ms > sync) sync = a->sync_ms;
      if (a->async_ms > async) async = a->async_ms;
      if (a->align_ms > align) align = a->align_ms;
      unaligned |= a->unaligned;
      if (a->finished && m.finished) {
        char *chain = jobgraph_chain_uids(c->jg, v);
        if (!chain) {
          oom = true;
          continue;
        }
        m.finished[m.nfinished++] = (ckpt_finished){chain, s, c->jg->vertices[v].parallelism};
        continue;
      }
      if (!a->file || !a->file[0]) continue;
      ckpt_file *f = &m.files[m.nfiles++];
      f->name = a->file;
      f->vertex = v;
      f->subtask = s;
      f->parallelism = c->jg->vertices[v].parallelism;
      f->length = a->length;
      f->checksum = a->checksum;
      size += a->length;
    }
  char err[SP_ERRMSG_MAX];
  int rc = m.files && m.finished && !oom ? ckpt_write_metadata(p->dir, &m, err, sizeof err)
                                         : sp_err(err, sizeof err, SPATE_ENOMEM, "out of memory");
  sp_free(m.files); /* the names belong to the acks */
  for (int i = 0; m.finished && i < m.nfinished; i++) sp_free(m.finished[i].head_uid);
  sp_free(m.finished);
  if (rc < 0) {
    checkpoint_failed(c, p, err);
    return;
  }
  unlink_pending(c, p);
  int64_t now = sp_mono_ms();
  SP_INFO("jobmaster",
          "Completed %s %lld for job %s (%llu bytes, checkpointDuration=%lld ms, "
          "finalizationTime=%lld ms).",
          p->savepoint ? "savepoint" : "checkpoint", (long long)p->id, c->jg->job_id,
          (unsigned long long)size, (long long)(now - p->start_ms), (long long)(now - fin_start));
  /* older pending checkpoints are subsumed (Flink) */
  for (pending_ckpt *q = c->pending, *nx; q; q = nx) {
    nx = q->next;
    if (q->id < p->id && !q->savepoint) abort_one(c, q, "subsumed by a newer checkpoint", true);
  }
  sp_put_i64(&c->stats, p->id);
  sp_put_i64(&c->stats, now - p->start_ms);
  sp_put_i64(&c->stats, sync);
  sp_put_i64(&c->stats, async);
  sp_put_i64(&c->stats, align);
  sp_put_u64(&c->stats, size);
  sp_put_u8(&c->stats, unaligned);
  c->nstats++;
  ckpt_stats_completed(c->tracker, p->id, p->dir);
  c->hooks.notify(c->hooks.ctx, p->id, true);
  c->hooks.reply(c->hooks.ctx, p->reply, p->id, p->dir, NULL);
  c->hooks.event(c->hooks.ctx, CKPT_EVENT_COMPLETED, p->id, p->savepoint, p->dir, NULL);
  if (p->savepoint) {
    /* stop: the sources ended after the barrier; the job finishes as their end flows down */
  } else {
    c->failures = 0;
    c->last_done_ms = clock_now(c);
    c->any_done = true;
    ckpt_completed *cc = sp_realloc(c->completed, sizeof *cc * (size_t)(c->ncompleted + 1));
    if (cc) {
      c->completed = cc;
      cc[c->ncompleted].id = p->id;
      snprintf(cc[c->ncompleted].dir, sizeof cc->dir, "%s", p->dir);
      c->ncompleted++;
    }
    while (c->ncompleted > c->ck.num_retained) { /* state.checkpoints.num-retained */
      ckpt_discard(c->completed[0].dir, err, sizeof err);
      ckpt_stats_discarded(c->tracker, c->completed[0].id);
      memmove(c->completed, c->completed + 1, sizeof *c->completed * (size_t)--c->ncompleted);
    }
  }
  pending_free(c, p);
}

void ckpt_coord_ack(ckpt_coord *c, int v, int s, int64_t id, char *file, uint64_t length,
                    uint64_t checksum, int64_t sync_ms, int64_t async_ms, int64_t align_ms,
                    int64_t first_barrier_ms, bool unaligned) {
  pending_ckpt *p = find_pending(c, id);
  if (!p || v < 0 || v >= c->jg->nvertices || s < 0 || s >= c->jg->vertices[v].parallelism) {
    sp_free(file); /* late: the checkpoint was aborted */
    return;
  }
  ckpt_ack *a = &p->acks[task_index(c, v, s)];
  if (a->got) {
    sp_free(file);
    return;
  }
  *a = (ckpt_ack){.got = true,
                  .file = file,
                  .length = length,
                  .checksum = checksum,
                  .sync_ms = sync_ms,
                  .async_ms = async_ms,
                  .align_ms = align_ms,
                  .unaligned = unaligned};
  ckpt_stats_ack(c->tracker, id, task_index(c, v, s),
                 &(ckpt_subtask_stats){.ack_ms = sp_wall_ms(),
                                       .state_size = length,
                                       .checkpointed_size = length,
                                       .sync_ms = sync_ms,
                                       .async_ms = async_ms,
                                       .align_ms = align_ms,
                                       .first_barrier_ms = first_barrier_ms,
                                       .start_delay_ms = -1,
                                       .unaligned = unaligned});
  if (++p->nacks == c->ntasks) finalize(c, p);
}

void ckpt_coord_decline(ckpt_coord *c, int v, int s, int64_t id, const char *reason) {
  pending_ckpt *p = find_pending(c, id);
  if (p && v >= 0 && v < c->jg->nvertices) {
    char msg[SP_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "declined by %s (%d/%d): %s", c->jg->vertices[v].name, s + 1,
             c->jg->vertices[v].parallelism, reason ? reason : "");
    checkpoint_failed(c, p, msg);
  }
}

void ckpt_coord_expire(ckpt_coord *c, int64_t id) {
  pending_ckpt *p = find_pending(c, id);
  if (p) checkpoint_failed(c, p, "Checkpoint expired before completing.");
}

void ckpt_coord_savepoint(ckpt_coord *c, bool job_running, const char *reply, const char *dir,
                          bool stop, bool drain) {
  char err[SP_ERRMSG_MAX] = "", path[4096] = "";
  int rc = 0;
  if (!job_running || !all_running(c))
    rc = sp_err(err, sizeof err, SPATE_ESTATE,
                "job %s is not running (all tasks must be RUNNING to take a savepoint)",
                c->jg->job_id);
  else if (!(dir && dir[0]) && !c->ck.savepoint_dir[0])
    rc = sp_err(err, sizeof err, SPATE_EINVAL,
                "no savepoint directory: give one or set state.savepoints.dir");
  else
    rc = ckpt_path_from_uri(dir && dir[0] ? dir : c->ck.savepoint_dir, path, sizeof path, err,
                            sizeof err);
  uint32_t stop_flags = !stop ? 0 : drain ? BARRIER_STOP | BARRIER_DRAIN : BARRIER_STOP;
  if (rc == 0) rc = trigger(c, true, path, reply, stop_flags, err, sizeof err);
  if (rc < 0) c->hooks.reply(c->hooks.ctx, reply, 0, NULL, err);
}

void ckpt_coord_checkpoint(ckpt_coord *c, bool job_running, const char *reply) {
  char err[SP_ERRMSG_MAX] = "";
  int rc = 0;
  if (!job_running || !ckpt_coord_checkpointable(c))
    rc = sp_err(err, sizeof err, SPATE_ESTATE,
                "job %s is not running (its tasks must be RUNNING or FINISHED to take a "
                "checkpoint)",
                c->jg->job_id);
  if (rc == 0 && (rc = trigger(c, false, NULL, reply, 0, err, sizeof err)) < 0) {
    c->hooks.reply(c->hooks.ctx, reply, 0, NULL, err);
    trigger_failed(c, err);
  } else if (rc < 0) {
    c->hooks.reply(c->hooks.ctx, reply, 0, NULL, err);
  }
}

/* The pending checkpoint with the smallest id above `after`, or NULL. */
static pending_ckpt *pending_after(ckpt_coord *c, int64_t after) {
  pending_ckpt *best = NULL;
  for (pending_ckpt *p = c->pending; p; p = p->next)
    if (p->id > after && (!best || p->id < best->id)) best = p;
  return best;
}

void ckpt_coord_task_finished(ckpt_coord *c, int v, int s) {
  /* By id, looked up afresh each time: finalizing one checkpoint may free others (older ones
   * are subsumed; a failure may fail the job, which aborts them all). */
  int64_t last = INT64_MIN;
  for (pending_ckpt *p; (p = pending_after(c, last)) != NULL;) {
    last = p->id;
    /* finished without taking it: finished in it. Tasks whose producers have now all
     * finished get no barrier any more: they take it as sources do. */
    mark_finished(c, p, task_index(c, v, s));
    for (int v2 = 0; v2 < c->jg->nvertices; v2++)
      for (int s2 = 0; s2 < c->jg->vertices[v2].parallelism; s2++)
        if (!p->acks[task_index(c, v2, s2)].got && c->jg->vertices[v2].ninputs &&
            trigger_target(c, v2, s2))
          send_trigger(c, p, v2, s2);
    if (p->nacks == c->ntasks) finalize(c, p);
  }
}

void ckpt_coord_job_ended(ckpt_coord *c, bool canceled) {
  abort_pending(c, "the job ended", false);
  /* checkpoints outlive the job only when externalized (and not deleted on cancellation) */
  bool keep = c->ck.retention == RETAIN_ON_CANCEL ||
              (c->ck.retention == RETAIN_DELETE_ON_CANCEL && !canceled);
  if (!keep && c->ck.dir[0]) {
    char err[SP_ERRMSG_MAX];
    for (int i = 0; i < c->ncompleted; i++) {
      ckpt_discard(c->completed[i].dir, err, sizeof err);
      ckpt_stats_discarded(c->tracker, c->completed[i].id);
    }
    ckpt_discard(c->ck.dir, err, sizeof err);
  } else if (c->ncompleted) {
    SP_INFO("jobmaster", "Retaining %d checkpoint%s of job %s; the latest is %s.", c->ncompleted,
            c->ncompleted == 1 ? "" : "s", c->jg->job_id, c->completed[c->ncompleted - 1].dir);
  }
}

const ckpt_completed *ckpt_coord_completed(const ckpt_coord *c, int *n) {
  *n = c->ncompleted;
  return c->completed;
}

const sp_writer *ckpt_coord_stats(const ckpt_coord *c, uint32_t *n) {
  *n = c->nstats;
  return &c->stats;
}
