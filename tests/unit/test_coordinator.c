/*
 * test_coordinator.c: the checkpoint coordinator (checkpoint/coordinator.h, Flink's
 * CheckpointCoordinator and CheckpointFailureManager) through its interface. The test plays the
 * JobMaster: its hooks record every trigger sent, notification, reply, job event, fail_job call
 * and timer armed, and answer task_state from a table the test sets. The job graph is real (a
 * source at parallelism 2 -> a sink at parallelism 1, rebalanced, so not chained: three
 * subtasks), so is the clock (manual) and the checkpoint directory (a fresh one under /tmp).
 * Like the JobMaster, failing the job aborts the pending checkpoints.
 *  - acknowledgements complete a checkpoint: _metadata names the state files the acks named;
 *    the checkpoint is retained, notified, answered, reported;
 *  - late, repeated and unknown-subtask acknowledgements are dropped;
 *  - a decline fails the checkpoint; more consecutive failures than tolerable fail the job, and
 *    a completed checkpoint resets the count;
 *  - the checkpoint statistics follow: configuration, in progress, completed with the
 *    subtasks' figures, declined with its message, discarded past num-retained;
 *  - an expired checkpoint fails and its directory goes; its acknowledgements come too late;
 *  - the periodic timer triggers up to max concurrent checkpoints and waits out min pause;
 *  - a task that finishes while two checkpoints are pending completes exactly those that thereby
 *    have every acknowledgement, oldest first, and a newer one subsumes an older one still
 *    missing acknowledgements; writing a metadata file that fails fails the job. This is the
 *    regression test of a use-after-free in ckpt_coord_task_finished: finalizing the newer
 *    checkpoint freed the older one the loop had saved as its next.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/config.h"
#include "checkpoint/coordinator.h"
#include "checkpoint/storage.h"
#include "graph/stream_graph.h"
#include "support/testkit.h"
#include "types/schema.h"

#define MAXREC 32
#define T0 1000000               /* the manual clock's start, ms */
static int64_t clock_start = T0; /* what setup starts the clock at */

/* What the coordinator did through the hooks, in order within each kind. */
typedef struct trig_rec {
  int v, s;
  int64_t id, timestamp;
  uint32_t flags;
  char dir[4096];
} trig_rec;
typedef struct notify_rec {
  int64_t id;
  bool complete;
} notify_rec;
typedef struct reply_rec {
  char reply[64];
  int64_t id;
  bool ok;
  char text[1024]; /* path on success, error otherwise */
} reply_rec;
typedef struct event_rec {
  ckpt_event_type type;
  int64_t id;
  bool savepoint;
  char text[1024]; /* path, or the failure message */
} event_rec;
typedef struct timer_rec {
  int64_t id; /* expire_after: the checkpoint; tick_after: -1 */
  int64_t delay_ms;
} timer_rec;

typedef struct fx {
  /* the job */
  spate_schema *schema;
  stream_graph *sg;
  job_graph *jg;
  sp_clock *clock;
  sp_config *cfg;
  char root[256];    /* state.checkpoints.dir */
  char job_dir[512]; /* <root>/<job id> */
  ckpt_coord *c;
  task_state state[2][2]; /* [vertex][subtask]: the sources 0/0, 0/1 and the sink 1/0 */
  /* the record */
  trig_rec trig[MAXREC];
  int ntrig;
  notify_rec notif[MAXREC];
  int nnotif;
  reply_rec rep[MAXREC];
  int nrep;
  event_rec ev[MAXREC];
  int nev;
  timer_rec expire[MAXREC], tick[MAXREC];
  int nexpire, ntick;
  int nfail;
  char fail_why[1024];
} fx;

/* ---- the JobMaster's side ------------------------------------------------------------------- */

static task_state h_task_state(void *ctx, int v, int s) {
  fx *f = ctx;
  assert_true(v >= 0 && v < 2 && s >= 0 && s < f->jg->vertices[v].parallelism);
  return f->state[v][s];
}

static void h_send_trigger(void *ctx, int v, int s, int64_t id, int64_t timestamp, uint32_t flags,
                           int64_t aligned_timeout_ms, const char *dir) {
  fx *f = ctx;
  (void)aligned_timeout_ms;
  assert_true(f->ntrig < MAXREC);
  trig_rec *t = &f->trig[f->ntrig++];
  *t = (trig_rec){.v = v, .s = s, .id = id, .timestamp = timestamp, .flags = flags};
  tk_copy(t->dir, sizeof t->dir, dir);
}

static void h_notify(void *ctx, int64_t id, bool complete) {
  fx *f = ctx;
  assert_true(f->nnotif < MAXREC);
  f->notif[f->nnotif++] = (notify_rec){id, complete};
}

static void h_reply(void *ctx, const char *reply, int64_t id, const char *path, const char *err) {
  fx *f = ctx;
  if (!reply[0]) return; /* nobody asked: nothing to answer (the JobMaster does nothing) */
  assert_true(f->nrep < MAXREC);
  reply_rec *r = &f->rep[f->nrep++];
  *r = (reply_rec){.id = id, .ok = err == NULL};
  tk_copy(r->reply, sizeof r->reply, reply);
  tk_copy(r->text, sizeof r->text, err ? err : path);
}

static void h_event(void *ctx, ckpt_event_type type, int64_t id, bool savepoint, const char *path,
                    const char *message) {
  fx *f = ctx;
  assert_true(f->nev < MAXREC);
  event_rec *e = &f->ev[f->nev++];
  *e = (event_rec){.type = type, .id = id, .savepoint = savepoint};
  const char *text = type == CKPT_EVENT_FAILED ? message : path;
  assert_non_null(text);
  tk_copy(e->text, sizeof e->text, text);
}

/* As the JobMaster's: a running job fails over, which aborts the pending checkpoints. */
static void h_fail_job(void *ctx, const char *why) {
  fx *f = ctx;
  f->nfail++;
  tk_copy(f->fail_why, sizeof f->fail_why, why);
  ckpt_coord_abort_pending(f->c, why);
}

static void h_expire_after(void *ctx, int64_t id, int64_t delay_ms) {
  fx *f = ctx;
  assert_true(f->nexpire < MAXREC);
  f->expire[f->nexpire++] = (timer_rec){id, delay_ms};
}

static void h_tick_after(void *ctx, int64_t delay_ms) {
  fx *f = ctx;
  assert_true(f->ntick < MAXREC);
  f->tick[f->ntick++] = (timer_rec){-1, delay_ms};
}

/* ---- fixture -------------------------------------------------------------------------------- */

static void set(fx *f, const char *key, const char *value) {
  char err[512];
  if (sp_config_set(f->cfg, key, value, "test", err, sizeof err) != 0)
    fail_msg("setting %s=%s: %s", key, value, err);
}

/* The job, every subtask RUNNING, and a coordinator configured with interval 1 s, timeout 60 s,
 * max concurrent 2, tolerable failures 1, 2 retained checkpoints, in a fresh directory. */
static int setup(void **state) {
  fx *f = sp_calloc(1, sizeof *f);
  assert_non_null(f);
  const char *names[] = {"n"};
  spate_type types[] = {SPATE_BIGINT};
  bool nullable[] = {false};
  f->schema = schema_new(1, names, types, nullable);
  assert_non_null(f->schema);
  f->sg = sg_new("coordinator");
  assert_non_null(f->sg);
  sg_node *src = sg_add_node(f->sg, OP_SRC_SEQUENCE, "Source: numbers");
  assert_non_null(src);
  src->parallelism = 2;
  src->out_schema = schema_ref(f->schema);
  int src_id = src->id;
  sg_node *sink = sg_add_node(f->sg, OP_SINK_DISCARD, "Sink: Discard");
  assert_non_null(sink);
  sink->parallelism = 1;
  int sink_id = sink->id;
  assert_non_null(sg_add_input(f->sg, sink_id, src_id, PART_REBALANCE));
  char err[512];
  if (jobgraph_build(f->sg, &f->jg, err, sizeof err) != 0) fail_msg("jobgraph_build: %s", err);
  assert_int_equal(f->jg->nvertices, 2);
  assert_int_equal(f->jg->vertices[0].parallelism, 2);
  assert_int_equal(f->jg->vertices[1].parallelism, 1);
  assert_int_equal(f->jg->vertices[0].ninputs, 0);
  assert_int_equal(f->jg->vertices[1].ninputs, 1);
  for (int s = 0; s < 2; s++) f->state[0][s] = TS_RUNNING;
  f->state[1][0] = TS_RUNNING;

  f->clock = sp_clock_manual(clock_start);
  assert_non_null(f->clock);
  tk_mkdtemp(f->root, sizeof f->root, "spate-coord-");
  snprintf(f->job_dir, sizeof f->job_dir, "%s/%s", f->root, f->jg->job_id);
  f->cfg = sp_config_new();
  assert_non_null(f->cfg);
  set(f, "state.checkpoints.dir", f->root);
  set(f, "execution.checkpointing.interval", "1 s");
  set(f, "execution.checkpointing.timeout", "60 s");
  set(f, "execution.checkpointing.max-concurrent-checkpoints", "2");
  set(f, "execution.checkpointing.tolerable-failed-checkpoints", "1");
  set(f, "state.checkpoints.num-retained", "2");

  ckpt_coord_hooks hooks = {.ctx = f,
                            .task_state = h_task_state,
                            .send_trigger = h_send_trigger,
                            .notify = h_notify,
                            .reply = h_reply,
                            .event = h_event,
                            .fail_job = h_fail_job,
                            .expire_after = h_expire_after,
                            .tick_after = h_tick_after};
  assert_int_equal(ckpt_coord_create(f->jg, f->clock, &hooks, &f->c), 0);
  if (ckpt_coord_configure(f->c, f->cfg, err, sizeof err) != 0)
    fail_msg("ckpt_coord_configure: %s", err);
  assert_int_equal(ckpt_coord_interval_ms(f->c), 1000);
  struct stat st;
  assert_int_equal(stat(f->job_dir, &st), 0); /* periodic checkpoints: created at once */
  assert_true(S_ISDIR(st.st_mode));
  *state = f;
  return 0;
}

/* setup with the clock at 0 (a manual clock's default start). */
static int setup_at_zero(void **state) {
  clock_start = 0;
  int rc = setup(state);
  clock_start = T0;
  return rc;
}

static int teardown(void **state) {
  fx *f = *state;
  ckpt_coord_free(f->c);
  jobgraph_free(f->jg);
  sg_free(f->sg);
  schema_unref(f->schema);
  sp_config_free(f->cfg);
  sp_clock_free(f->clock);
  tk_rm_rf(f->root);
  sp_free(f);
  return 0;
}

/* Forgets what was recorded so far. */
static void clear(fx *f) { f->ntrig = f->nnotif = f->nrep = f->nev = f->nexpire = f->ntick = 0; }

static void chk_dir(const fx *f, int64_t id, char *buf, size_t len) {
  snprintf(buf, len, "%s/chk-%lld", f->job_dir, (long long)id);
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

static bool has_metadata(const fx *f, int64_t id) {
  char dir[1024], path[1100];
  chk_dir(f, id, dir, sizeof dir);
  snprintf(path, sizeof path, "%s/_metadata", dir);
  return exists(path);
}

/* A manual checkpoint asked for by `reply`; returns its id (from its TRIGGERED event), having
 * checked that the two source subtasks, and only they, got its trigger. */
static int64_t manual(fx *f, const char *reply) {
  int ntrig = f->ntrig, nev = f->nev, nexpire = f->nexpire;
  ckpt_coord_checkpoint(f->c, true, reply);
  assert_int_equal(f->nev, nev + 1);
  const event_rec *e = &f->ev[nev];
  assert_int_equal(e->type, CKPT_EVENT_TRIGGERED);
  assert_false(e->savepoint);
  char dir[1024];
  chk_dir(f, e->id, dir, sizeof dir);
  assert_string_equal(e->text, dir);
  assert_true(exists(dir));
  assert_int_equal(f->ntrig, ntrig + 2);
  for (int i = 0; i < 2; i++) {
    const trig_rec *t = &f->trig[ntrig + i];
    assert_int_equal(t->v, 0);
    assert_int_equal(t->s, i);
    assert_int_equal(t->id, e->id);
    assert_int_equal(t->timestamp, sp_clock_now(f->clock));
    assert_int_equal(t->flags, 0); /* an aligned exactly-once checkpoint */
    assert_string_equal(t->dir, dir);
  }
  assert_int_equal(f->nexpire, nexpire + 1);
  assert_int_equal(f->expire[nexpire].id, e->id);
  assert_int_equal(f->expire[nexpire].delay_ms, 60000);
  return e->id;
}

/* Subtask (v, s) acknowledges checkpoint id without state. */
static void ack(fx *f, int v, int s, int64_t id) {
  ckpt_coord_ack(f->c, v, s, id, sp_strdup(""), 0, 0, 1, 2, 3, -1, false);
}

/* Subtask (v, s) acknowledges checkpoint id with a real state file "<v>-<s>.state" in its
 * directory holding `payload`; *length and *checksum receive what the metadata must record. */
static void ack_with_file(fx *f, int v, int s, int64_t id, const char *payload, uint64_t *length,
                          uint64_t *checksum) {
  char dir[1024], name[64], err[512];
  chk_dir(f, id, dir, sizeof dir);
  snprintf(name, sizeof name, "%d-%d.state", v, s);
  if (ckpt_write_file(dir, name, CKPT_STATE_MAGIC, payload, strlen(payload), checksum, err,
                      sizeof err) != 0)
    fail_msg("writing %s/%s: %s", dir, name, err);
  *length = strlen(payload);
  ckpt_coord_ack(f->c, v, s, id, sp_strdup(name), *length, *checksum, 1, 2, 3, -1, false);
}

static void assert_notified(const fx *f, int i, int64_t id, bool complete) {
  assert_true(i < f->nnotif);
  if (f->notif[i].id != id || f->notif[i].complete != complete)
    fail_msg("notification %d: checkpoint %lld %s, expected %lld %s", i, (long long)f->notif[i].id,
             f->notif[i].complete ? "complete" : "aborted", (long long)id,
             complete ? "complete" : "aborted");
}

static void assert_event(const fx *f, int i, ckpt_event_type type, int64_t id, const char *text) {
  assert_true(i < f->nev);
  if (f->ev[i].type != type || f->ev[i].id != id)
    fail_msg("event %d: type %d checkpoint %lld (%s), expected type %d checkpoint %lld", i,
             (int)f->ev[i].type, (long long)f->ev[i].id, f->ev[i].text, (int)type, (long long)id);
  assert_false(f->ev[i].savepoint);
  if (text && !strstr(f->ev[i].text, text))
    fail_msg("event %d (checkpoint %lld): \"%s\" does not say \"%s\"", i, (long long)id,
             f->ev[i].text, text);
}

static void assert_completed(const fx *f, int n, const int64_t *ids) {
  int got;
  const ckpt_completed *cc = ckpt_coord_completed(f->c, &got);
  assert_int_equal(got, n);
  for (int i = 0; i < n; i++) {
    char dir[1024];
    chk_dir(f, ids[i], dir, sizeof dir);
    assert_int_equal(cc[i].id, ids[i]);
    assert_string_equal(cc[i].dir, dir);
  }
}

/* ---- acknowledgements ----------------------------------------------------------------------- */

/* The last acknowledgement completes the checkpoint: _metadata lists the state files the acks
 * named (an empty name: no state), the checkpoint is retained, every subtask is notified, the
 * requester answered with its directory, the listener told. */
static void test_acks_complete_and_write_metadata(void **state) {
  fx *f = *state;
  sp_clock_set(f->clock, T0 + 5);
  int64_t id = manual(f, "client-1");
  assert_int_equal(id, 1);
  assert_int_equal(f->nev, 1);
  uint64_t len0, sum0, len2, sum2;
  ack_with_file(f, 0, 0, id, "state of source 0", &len0, &sum0);
  ack(f, 0, 1, id); /* no state */
  assert_int_equal(f->nnotif, 0);
  assert_int_equal(f->nev, 1);
  assert_false(has_metadata(f, id));
  ack_with_file(f, 1, 0, id, "sink's state", &len2, &sum2);

  char dir[1024];
  chk_dir(f, id, dir, sizeof dir);
  assert_int_equal(f->nnotif, 1);
  assert_notified(f, 0, id, true);
  assert_int_equal(f->nrep, 1);
  assert_string_equal(f->rep[0].reply, "client-1");
  assert_int_equal(f->rep[0].id, id);
  assert_true(f->rep[0].ok);
  assert_string_equal(f->rep[0].text, dir);
  assert_int_equal(f->nev, 2);
  assert_event(f, 1, CKPT_EVENT_COMPLETED, id, dir);
  assert_completed(f, 1, (int64_t[]){1});
  assert_int_equal(f->nfail, 0);
  uint32_t nstats;
  const sp_writer *stats = ckpt_coord_stats(f->c, &nstats);
  assert_int_equal(nstats, 1);
  sp_reader r;
  sp_reader_init(&r, stats->data, stats->len);
  assert_int_equal(sp_get_i64(&r), id);
  sp_get_i64(&r);                      /* duration: measured */
  assert_int_equal(sp_get_i64(&r), 1); /* sync */
  assert_int_equal(sp_get_i64(&r), 2); /* async */
  assert_int_equal(sp_get_i64(&r), 3); /* alignment */
  assert_int_equal(sp_get_u64(&r), len0 + len2);
  assert_int_equal(sp_get_u8(&r), 0);

  ckpt_metadata m;
  char err[512];
  if (ckpt_read_metadata(dir, &m, err, sizeof err) != 0) fail_msg("reading _metadata: %s", err);
  assert_string_equal(m.job_id, f->jg->job_id);
  assert_int_equal(m.id, id);
  assert_int_equal(m.timestamp, T0 + 5);
  assert_false(m.savepoint);
  assert_int_equal(m.nfinished, 0);
  assert_int_equal(m.nfiles, 2);
  assert_string_equal(m.files[0].name, "0-0.state");
  assert_int_equal(m.files[0].vertex, 0);
  assert_int_equal(m.files[0].subtask, 0);
  assert_int_equal(m.files[0].parallelism, 2);
  assert_int_equal(m.files[0].length, len0);
  assert_int_equal(m.files[0].checksum, sum0);
  assert_string_equal(m.files[1].name, "1-0.state");
  assert_int_equal(m.files[1].vertex, 1);
  assert_int_equal(m.files[1].subtask, 0);
  assert_int_equal(m.files[1].parallelism, 1);
  assert_int_equal(m.files[1].length, len2);
  assert_int_equal(m.files[1].checksum, sum2);
  ckpt_metadata_free(&m);
  int64_t ids[4];
  assert_int_equal(ckpt_list_complete(f->job_dir, ids, 4, err, sizeof err), 1);
  assert_int_equal(ids[0], id);
}

/* Acknowledgements of a completed checkpoint, repeated ones and ones from subtasks the job
 * does not have are dropped (their file names freed: ASan's leak check); only the last
 * distinct subtask's completes the checkpoint. */
static void test_late_duplicate_and_unknown_acks_are_dropped(void **state) {
  fx *f = *state;
  int64_t a = manual(f, "");
  ack(f, 0, 0, a);
  ack(f, 0, 1, a);
  ack(f, 1, 0, a);
  assert_completed(f, 1, (int64_t[]){a});
  clear(f);
  ack(f, 0, 0, a);  /* late: completed */
  ack(f, 0, 0, 99); /* never triggered */
  assert_int_equal(f->nnotif + f->nev + f->nrep, 0);

  int64_t b = manual(f, "");
  assert_int_equal(b, a + 1);
  ack(f, 0, 0, b);
  ack(f, 0, 0, b); /* repeated */
  ack(f, 1, 0, b);
  ack(f, 1, 1, b); /* the sink has one subtask */
  ack(f, 2, 0, b); /* there is no vertex 2 */
  ack(f, -1, 0, b);
  ack(f, 0, 2, b);
  assert_int_equal(f->nnotif, 0);
  assert_int_equal(f->nev, 1); /* triggered only */
  assert_false(has_metadata(f, b));
  ack(f, 0, 1, b);
  assert_int_equal(f->nnotif, 1);
  assert_notified(f, 0, b, true);
  assert_int_equal(f->nev, 2);
  assert_event(f, 1, CKPT_EVENT_COMPLETED, b, NULL);
  assert_completed(f, 2, (int64_t[]){a, b});
  ack(f, 0, 1, b); /* late */
  assert_int_equal(f->nnotif, 1);
  assert_int_equal(f->nev, 2);
  assert_completed(f, 2, (int64_t[]){a, b});
}

/* ---- failures ------------------------------------------------------------------------------- */

/* A decline fails the checkpoint (tasks told it aborted, requester answered, listener told,
 * directory gone). With one tolerable failure, the second consecutive failed checkpoint fails
 * the job; a completed checkpoint in between resets the count. */
static void test_decline_fails_and_counts_toward_tolerable(void **state) {
  fx *f = *state;
  int64_t a = manual(f, "client-a");
  ack(f, 0, 0, a);
  ckpt_coord_decline(f->c, 1, 0, a, "no space");
  char dir[1024];
  chk_dir(f, a, dir, sizeof dir);
  assert_int_equal(f->nnotif, 1);
  assert_notified(f, 0, a, false);
  assert_int_equal(f->nrep, 1);
  assert_false(f->rep[0].ok);
  assert_int_equal(f->rep[0].id, a);
  assert_non_null(strstr(f->rep[0].text, "no space"));
  assert_int_equal(f->nev, 2);
  assert_event(f, 1, CKPT_EVENT_FAILED, a, "declined by Sink: Discard (1/1): no space");
  assert_false(exists(dir));
  assert_int_equal(f->nfail, 0); /* one failure is tolerable */
  ack(f, 0, 1, a);               /* late */
  ack(f, 1, 0, a);
  ckpt_coord_decline(f->c, 0, 1, a, "again"); /* no longer pending: nothing */
  assert_int_equal(f->nnotif, 1);
  assert_int_equal(f->nev, 2);
  assert_completed(f, 0, NULL);

  int64_t b = manual(f, "");
  ack(f, 0, 0, b);
  ack(f, 0, 1, b);
  ack(f, 1, 0, b);
  assert_completed(f, 1, (int64_t[]){b});

  int64_t c = manual(f, "");
  ckpt_coord_decline(f->c, 0, 0, c, "first");
  assert_int_equal(f->nfail, 0); /* the count started again at b */
  clear(f);
  int64_t d = manual(f, "");
  int64_t e = manual(f, ""); /* two pending: failing the job aborts the other one */
  ckpt_coord_decline(f->c, 0, 1, d, "second");
  assert_int_equal(f->nfail, 1);
  assert_non_null(strstr(f->fail_why, "Exceeded checkpoint tolerable failure threshold (1)"));
  assert_non_null(strstr(f->fail_why, "second"));
  assert_int_equal(f->nnotif, 1); /* the job's failover aborts e without telling the tasks */
  assert_notified(f, 0, d, false);
  assert_int_equal(f->nev, 4);
  assert_event(f, 2, CKPT_EVENT_FAILED, d, "second");
  assert_event(f, 3, CKPT_EVENT_FAILED, e, "Exceeded checkpoint tolerable failure threshold");
  assert_completed(f, 1, (int64_t[]){b});
  ack(f, 0, 0, e);
  ack(f, 0, 1, e);
  ack(f, 1, 0, e);
  assert_int_equal(f->nev, 4);
  assert_completed(f, 1, (int64_t[]){b});
}

/* The statistics (checkpoint_stats.h) follow the coordinator: the configuration, a checkpoint in
 * progress and completed with each subtask's figures, a declined one with its message, and a
 * retained one discarded past state.checkpoints.num-retained. */
static void test_statistics_follow_the_coordinator(void **state) {
  fx *f = *state;
  ckpt_stats *st = ckpt_coord_tracker(f->c);
  ckpt_stats_snapshot s;
  assert_int_equal(ckpt_stats_read(st, &s), 0);
  assert_true(s.config.exactly_once);
  assert_int_equal(s.config.interval_ms, 1000);
  assert_int_equal(s.config.timeout_ms, 60000);
  assert_int_equal(s.config.max_concurrent, 2);
  assert_int_equal(s.config.tolerable, 1);
  assert_false(s.config.externalized);
  assert_int_equal(s.counts.total, 0);
  ckpt_stats_snapshot_free(&s);

  int64_t before = sp_wall_ms();
  int64_t a = manual(f, "client-a");
  uint64_t len, sum;
  ack_with_file(f, 0, 0, a, "aaaa", &len, &sum);
  ack_with_file(f, 0, 1, a, "bbbbbb", &len, &sum);
  assert_int_equal(ckpt_stats_read(st, &s), 0);
  assert_int_equal(s.counts.in_progress, 1);
  assert_int_equal(s.history[0].id, a);
  assert_int_equal(s.history[0].status, CKPT_STATS_IN_PROGRESS);
  assert_int_equal(s.history[0].nacked, 2);
  assert_int_equal(s.history[0].nsubtasks, 3);
  assert_true(s.history[0].trigger_ms >= before);
  ckpt_stats_snapshot_free(&s);
  ack_with_file(f, 1, 0, a, "c", &len, &sum);
  assert_int_equal(ckpt_stats_read_checkpoint(st, a, &s), 0);
  const ckpt_stats_entry *e = &s.history[0];
  char dir[1024];
  chk_dir(f, a, dir, sizeof dir);
  assert_int_equal(e->status, CKPT_STATS_COMPLETED);
  assert_int_equal(e->type, CKPT_TYPE_CHECKPOINT);
  assert_string_equal(e->external_path, dir);
  assert_int_equal(e->state_size, 11);
  assert_int_equal(e->checkpointed_size, 11);
  assert_int_equal(e->subtasks[1].state_size, 6);
  assert_int_equal(e->subtasks[2].sync_ms, 1);
  assert_int_equal(e->subtasks[2].async_ms, 2);
  assert_int_equal(e->subtasks[2].align_ms, 3);
  assert_false(e->discarded);
  ckpt_stats_snapshot_free(&s);

  int64_t b = manual(f, "client-b");
  ckpt_coord_decline(f->c, 1, 0, b, "no space");
  assert_int_equal(ckpt_stats_read(st, &s), 0);
  assert_int_equal(s.counts.completed, 1);
  assert_int_equal(s.counts.failed, 1);
  assert_int_equal(s.counts.in_progress, 0);
  assert_int_equal(s.latest_failed->id, b);
  assert_non_null(strstr(s.latest_failed->failure_message, "no space"));
  assert_int_equal(s.latest_completed->id, a);
  ckpt_stats_snapshot_free(&s);

  /* two more complete: num-retained 2 discards a */
  for (int k = 0; k < 2; k++) {
    int64_t c = manual(f, "");
    ack(f, 0, 0, c);
    ack(f, 0, 1, c);
    ack(f, 1, 0, c);
  }
  assert_int_equal(ckpt_stats_read_checkpoint(st, a, &s), 0);
  assert_true(s.history[0].discarded);
  ckpt_stats_snapshot_free(&s);
  assert_int_equal(ckpt_stats_read(st, &s), 0);
  assert_int_equal(s.counts.completed, 3);
  assert_int_equal(s.counts.total, 4);
  assert_false(s.latest_completed->discarded);
  ckpt_stats_snapshot_free(&s);
}

/* A checkpoint whose timeout passed fails (and counts); one that completed is not touched. */
static void test_expire_fails_a_pending_checkpoint(void **state) {
  fx *f = *state;
  int64_t a = manual(f, "");
  ack(f, 0, 0, a);
  ack(f, 0, 1, a);
  ack(f, 1, 0, a);
  int64_t b = manual(f, "client-b");
  ack(f, 0, 0, b);
  clear(f);
  ckpt_coord_expire(f->c, a); /* completed: nothing */
  ckpt_coord_expire(f->c, b);
  assert_int_equal(f->nnotif, 1);
  assert_notified(f, 0, b, false);
  assert_int_equal(f->nrep, 1);
  assert_false(f->rep[0].ok);
  assert_string_equal(f->rep[0].reply, "client-b");
  assert_non_null(strstr(f->rep[0].text, "expired"));
  assert_int_equal(f->nev, 1);
  assert_event(f, 0, CKPT_EVENT_FAILED, b, "Checkpoint expired before completing.");
  char dir[1024];
  chk_dir(f, b, dir, sizeof dir);
  assert_false(exists(dir));
  assert_true(has_metadata(f, a));
  assert_int_equal(f->nfail, 0);
  ack(f, 0, 1, b); /* too late */
  ack(f, 1, 0, b);
  assert_int_equal(f->nev, 1);
  assert_completed(f, 1, (int64_t[]){a});

  int64_t c = manual(f, ""); /* a second consecutive failure is one too many */
  ckpt_coord_expire(f->c, c);
  assert_int_equal(f->nfail, 1);
  assert_non_null(strstr(f->fail_why, "expired"));
}

/* The periodic timer: armed for the interval, it triggers on a tick and arms the next one;
 * with max concurrent (2) checkpoints pending it triggers nothing but keeps ticking; a job not
 * running stops it. */
static void test_periodic_timer_respects_max_concurrent(void **state) {
  fx *f = *state;
  ckpt_coord_start_timer(f->c);
  ckpt_coord_start_timer(f->c); /* already running: no second timer */
  assert_int_equal(f->ntick, 1);
  assert_int_equal(f->tick[0].delay_ms, 1000);
  sp_clock_set(f->clock, T0 + 1000);
  ckpt_coord_on_timer(f->c, true);
  assert_int_equal(f->ntick, 2);
  assert_int_equal(f->tick[1].delay_ms, 1000);
  assert_int_equal(f->nev, 1);
  assert_event(f, 0, CKPT_EVENT_TRIGGERED, 1, NULL);
  assert_int_equal(f->ntrig, 2);
  assert_int_equal(f->trig[0].timestamp, T0 + 1000);
  int64_t b = manual(f, "");
  assert_int_equal(b, 2);
  sp_clock_set(f->clock, T0 + 2000);
  ckpt_coord_on_timer(f->c, true);
  assert_int_equal(f->ntick, 3);
  assert_int_equal(f->nev, 2); /* two pending: no third */
  assert_int_equal(f->ntrig, 4);
  ack(f, 0, 0, 1);
  ack(f, 0, 1, 1);
  ack(f, 1, 0, 1);
  assert_completed(f, 1, (int64_t[]){1});
  sp_clock_set(f->clock, T0 + 3000);
  ckpt_coord_on_timer(f->c, true);
  assert_int_equal(f->ntick, 4);
  assert_event(f, f->nev - 1, CKPT_EVENT_TRIGGERED, 3, NULL);
  ckpt_coord_on_timer(f->c, false); /* the job stopped running: no trigger, no next tick */
  assert_int_equal(f->ntick, 4);
  assert_event(f, f->nev - 1, CKPT_EVENT_TRIGGERED, 3, NULL);
}

/* execution.checkpointing.min-pause: a tick less than min pause after the end of the last
 * completed checkpoint triggers nothing and comes back when the pause is over. */
static void test_periodic_timer_waits_for_min_pause(void **state) {
  fx *f = *state;
  set(f, "execution.checkpointing.min-pause", "500 ms");
  char err[512];
  if (ckpt_coord_configure(f->c, f->cfg, err, sizeof err) != 0) fail_msg("configure: %s", err);
  ckpt_coord_start_timer(f->c);
  sp_clock_set(f->clock, T0 + 1000);
  ckpt_coord_on_timer(f->c, true);
  assert_event(f, 0, CKPT_EVENT_TRIGGERED, 1, NULL);
  sp_clock_set(f->clock, T0 + 1100);
  ack(f, 0, 0, 1);
  ack(f, 0, 1, 1);
  ack(f, 1, 0, 1); /* completes at T0 + 1100 */
  assert_completed(f, 1, (int64_t[]){1});
  clear(f);
  sp_clock_set(f->clock, T0 + 1300);
  ckpt_coord_on_timer(f->c, true);
  assert_int_equal(f->nev, 0);
  assert_int_equal(f->ntrig, 0);
  assert_int_equal(f->ntick, 1);
  assert_int_equal(f->tick[0].delay_ms, 300); /* until T0 + 1600 */
  sp_clock_set(f->clock, T0 + 1600);
  ckpt_coord_on_timer(f->c, true);
  assert_int_equal(f->nev, 1);
  assert_event(f, 0, CKPT_EVENT_TRIGGERED, 2, NULL);
  assert_int_equal(f->ntrig, 2);
  assert_int_equal(f->trig[0].timestamp, T0 + 1600);
  assert_int_equal(f->ntick, 2);
  assert_int_equal(f->tick[1].delay_ms, 1000);
}

/* The min pause also follows a checkpoint that completed at time 0 (it was taken for "none
 * completed yet" and a tick 100 ms later triggered at once). */
static void test_min_pause_after_a_checkpoint_at_time_zero(void **state) {
  fx *f = *state;
  set(f, "execution.checkpointing.min-pause", "500 ms");
  char err[512];
  if (ckpt_coord_configure(f->c, f->cfg, err, sizeof err) != 0) fail_msg("configure: %s", err);
  assert_int_equal(sp_clock_now(f->clock), 0);
  assert_int_equal(manual(f, "client-1"), 1);
  ack(f, 0, 0, 1);
  ack(f, 0, 1, 1);
  ack(f, 1, 0, 1); /* completes at 0 */
  assert_completed(f, 1, (int64_t[]){1});
  clear(f);
  ckpt_coord_start_timer(f->c);
  sp_clock_set(f->clock, 100);
  ckpt_coord_on_timer(f->c, true);
  assert_int_equal(f->nev, 0);
  assert_int_equal(f->ntrig, 0);
  assert_int_equal(f->tick[f->ntick - 1].delay_ms, 400); /* until 500 */
  sp_clock_set(f->clock, 500);
  ckpt_coord_on_timer(f->c, true);
  assert_event(f, 0, CKPT_EVENT_TRIGGERED, 2, NULL);
}

/* ---- a task that finishes while two checkpoints are pending --------------------------------- */

/* Checkpoints 1 and 2 pending (a periodic one, then a manual one); the sink and source 0
 * acknowledge both. */
static void two_pending_acked_but_one(fx *f, bool ack_older) {
  ckpt_coord_start_timer(f->c);
  sp_clock_set(f->clock, T0 + 1000);
  ckpt_coord_on_timer(f->c, true);
  int64_t b = manual(f, "client-2");
  assert_int_equal(b, 2);
  assert_int_equal(f->nev, 2);
  assert_event(f, 0, CKPT_EVENT_TRIGGERED, 1, NULL);
  if (ack_older) {
    ack(f, 0, 0, 1);
    ack(f, 1, 0, 1);
  }
  ack(f, 0, 0, 2);
  ack(f, 1, 0, 2);
  assert_int_equal(f->nnotif, 0);
  assert_int_equal(f->nev, 2);
  clear(f);
}

/* Source 1 finishes without taking either: it counts as finished in both, which completes both,
 * the older first (so it is retained and not subsumed), each written with source 1 among the
 * finished subtasks. The regression: the newer one was finalized first and subsumed the older
 * one, which the loop then read after it was freed. */
static void test_finish_completes_both_pending_oldest_first(void **state) {
  fx *f = *state;
  two_pending_acked_but_one(f, true);
  f->state[0][1] = TS_FINISHED;
  ckpt_coord_task_finished(f->c, 0, 1);
  assert_int_equal(f->ntrig, 0); /* the sink's other producer runs: it still gets barriers */
  assert_int_equal(f->nnotif, 2);
  assert_notified(f, 0, 1, true);
  assert_notified(f, 1, 2, true);
  assert_int_equal(f->nev, 2);
  assert_event(f, 0, CKPT_EVENT_COMPLETED, 1, NULL);
  assert_event(f, 1, CKPT_EVENT_COMPLETED, 2, NULL);
  assert_int_equal(f->nrep, 1);
  assert_string_equal(f->rep[0].reply, "client-2");
  assert_int_equal(f->rep[0].id, 2);
  assert_true(f->rep[0].ok);
  assert_completed(f, 2, (int64_t[]){1, 2});
  assert_int_equal(f->nfail, 0);
  for (int64_t id = 1; id <= 2; id++) {
    char dir[1024], err[512];
    chk_dir(f, id, dir, sizeof dir);
    ckpt_metadata m;
    if (ckpt_read_metadata(dir, &m, err, sizeof err) != 0)
      fail_msg("chk-%lld: %s", (long long)id, err);
    assert_int_equal(m.id, id);
    assert_int_equal(m.nfiles, 0);
    assert_int_equal(m.nfinished, 1);
    assert_int_equal(m.finished[0].subtask, 1);
    assert_int_equal(m.finished[0].parallelism, 2);
    char *uids = jobgraph_chain_uids(f->jg, 0);
    assert_non_null(uids);
    assert_string_equal(m.finished[0].head_uid, uids);
    sp_free(uids);
    ckpt_metadata_free(&m);
  }
  /* nothing is pending any more: a late acknowledgement or expiry does nothing */
  ack(f, 0, 1, 1);
  ckpt_coord_expire(f->c, 1);
  ckpt_coord_expire(f->c, 2);
  assert_int_equal(f->nev, 2);
  assert_int_equal(f->nnotif, 2);
}

/* Only the newer one was acknowledged by the others: source 1's finishing completes it, and it
 * subsumes the older one (aborted, tasks told, directory gone), as Flink does. */
static void test_finish_completes_newer_and_subsumes_older(void **state) {
  fx *f = *state;
  two_pending_acked_but_one(f, false);
  f->state[0][1] = TS_FINISHED;
  ckpt_coord_task_finished(f->c, 0, 1);
  assert_int_equal(f->ntrig, 0);
  assert_int_equal(f->nnotif, 2);
  assert_notified(f, 0, 1, false);
  assert_notified(f, 1, 2, true);
  assert_int_equal(f->nev, 2);
  assert_event(f, 0, CKPT_EVENT_FAILED, 1, "subsumed");
  assert_event(f, 1, CKPT_EVENT_COMPLETED, 2, NULL);
  assert_completed(f, 1, (int64_t[]){2});
  assert_int_equal(f->nfail, 0);
  char dir[1024];
  chk_dir(f, 1, dir, sizeof dir);
  assert_false(exists(dir));
  assert_true(has_metadata(f, 2));
  ack(f, 0, 0, 1); /* late */
  ack(f, 1, 0, 1);
  assert_int_equal(f->nev, 2);
}

/* No failure tolerated, and the newer checkpoint's directory is gone, so writing its metadata
 * fails: the older one still completes, then the newer one fails, which fails the job. The
 * regression: the newer one was finalized first, its failure failed the job, and failing the
 * job (which aborts the pending checkpoints) freed the older one the loop then read. */
static void test_finish_with_failing_metadata_fails_the_job(void **state) {
  fx *f = *state;
  set(f, "execution.checkpointing.tolerable-failed-checkpoints", "0");
  char err[512];
  if (ckpt_coord_configure(f->c, f->cfg, err, sizeof err) != 0) fail_msg("configure: %s", err);
  two_pending_acked_but_one(f, true);
  char dir2[1024];
  chk_dir(f, 2, dir2, sizeof dir2);
  tk_rm_rf(dir2);
  f->state[0][1] = TS_FINISHED;
  ckpt_coord_task_finished(f->c, 0, 1);
  assert_int_equal(f->nnotif, 2);
  assert_notified(f, 0, 1, true);
  assert_notified(f, 1, 2, false);
  assert_int_equal(f->nev, 2);
  assert_event(f, 0, CKPT_EVENT_COMPLETED, 1, NULL);
  assert_event(f, 1, CKPT_EVENT_FAILED, 2, dir2); /* the error names the directory */
  assert_int_equal(f->nrep, 1);
  assert_false(f->rep[0].ok);
  assert_int_equal(f->rep[0].id, 2);
  assert_int_equal(f->nfail, 1);
  assert_non_null(strstr(f->fail_why, "Exceeded checkpoint tolerable failure threshold (0)"));
  assert_completed(f, 1, (int64_t[]){1});
  assert_true(has_metadata(f, 1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_acks_complete_and_write_metadata, setup, teardown),
      cmocka_unit_test_setup_teardown(test_late_duplicate_and_unknown_acks_are_dropped, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_decline_fails_and_counts_toward_tolerable, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_statistics_follow_the_coordinator, setup, teardown),
      cmocka_unit_test_setup_teardown(test_expire_fails_a_pending_checkpoint, setup, teardown),
      cmocka_unit_test_setup_teardown(test_periodic_timer_respects_max_concurrent, setup, teardown),
      cmocka_unit_test_setup_teardown(test_periodic_timer_waits_for_min_pause, setup, teardown),
      cmocka_unit_test_setup_teardown(test_min_pause_after_a_checkpoint_at_time_zero, setup_at_zero,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_finish_completes_both_pending_oldest_first, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_finish_completes_newer_and_subsumes_older, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_finish_with_failing_metadata_fails_the_job, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
