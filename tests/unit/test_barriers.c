/*
 * test_barriers.c: barrier handling of one task with two input channels, driven element by
 * element. The test plays the two upstream subtasks itself: it writes records, barriers and the
 * end of partition into their result partitions with record writers, and runs the consuming
 * task (a user sink at parallelism 1 behind a rebalance from a source at parallelism 2) with
 * task_start. The sink records every record it processes; the task's on_snapshot callback
 * records what had been processed when the snapshot was taken and how many records the
 * snapshot carries as channel state.
 *  - aligned: a channel whose barrier arrived is not read until the other's barrier arrives;
 *    the snapshot holds exactly the records before the barriers;
 *  - unaligned: announced barriers snapshot at once and the records before each channel's
 *    barrier become channel state (processed count + channel state = records before barriers);
 *  - at-least-once: nothing is blocked, and an older barrier on one channel does not complete a
 *    newer checkpoint;
 *  - a cancel marker drops the checkpoint being aligned and unblocks the channel.
 * UDFs have external linkage (the program is linked with -rdynamic) and a br_ prefix.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "connectors/registry.h"
#include "operators/registry.h"
#include "runtime/record_writer.h"
#include "runtime/result_partition.h"
#include "runtime/shuffle_env.h"
#include "runtime/task.h"
#include "spate/spate.h"
#include "support/testkit.h"

#define MAXREC 64
#define WAIT_MS TK_TIMEOUT_MS

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int64_t g_seen[MAXREC];
static int g_nseen;
typedef struct snap_seen {
  int64_t id;
  int processed;       /* records processed when the snapshot was handed over */
  int channel_records; /* records in its channel state */
  bool unaligned;
  int64_t first_barrier_ms; /* task_snapshot_done.first_barrier_ms */
} snap_seen;
static snap_seen g_snaps[8];
static int g_nsnaps;
static bool g_done;

int br_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i);
  return 0;
}

int br_sink(spate_ctx *ctx, const spate_row *in) {
  pthread_mutex_lock(&g_mu);
  if (g_nseen < MAXREC) g_seen[g_nseen++] = spate_row_bigint(in, 0);
  pthread_cond_broadcast(&g_cond);
  pthread_mutex_unlock(&g_mu);
  return 0;
}

/* Counts the channel state records in an encoded task snapshot: after the operators' sections,
 * a blob of (u32 gate, blob record) entries. */
static int channel_records(task_snapshot *s) {
  snap_out o = {0};
  sp_writer_init(&o.buf);
  assert_int_equal(task_snapshot_encode(s, &o), 0);
  sp_reader r;
  sp_reader_init(&r, o.buf.data, o.buf.len);
  sp_get_u32(&r);
  sp_get_u32(&r);
  sp_get_i32(&r);
  uint32_t nops = sp_get_u32(&r);
  for (uint32_t i = 0; i < nops; i++) {
    sp_free(sp_get_str(&r));
    sp_get_i32(&r);
    uint32_t len;
    sp_get_blob(&r, &len);
  }
  uint32_t clen;
  const uint8_t *c = sp_get_blob(&r, &clen);
  assert_true(sp_reader_ok(&r));
  sp_reader cr;
  sp_reader_init(&cr, c, clen);
  int n = 0;
  while (cr.pos < cr.len) {
    sp_get_u32(&cr);
    uint32_t len;
    sp_get_blob(&cr, &len);
    assert_true(sp_reader_ok(&cr));
    n++;
  }
  sp_writer_free(&o.buf);
  return n;
}

static void on_snapshot(void *arg, task *t, const task_snapshot_done *d, task_snapshot *s) {
  int ch = channel_records(s);
  pthread_mutex_lock(&g_mu);
  g_snaps[g_nsnaps++] = (snap_seen){d->id, g_nseen, ch, d->unaligned, d->first_barrier_ms};
  pthread_cond_broadcast(&g_cond);
  pthread_mutex_unlock(&g_mu);
  task_snapshot_return(t, s);
}

static void listener(void *arg, task *t, task_state from, task_state to) {
  if (!task_state_terminal(to)) return;
  pthread_mutex_lock(&g_mu);
  g_done = true;
  pthread_cond_broadcast(&g_cond);
  pthread_mutex_unlock(&g_mu);
}

static const op_vtable *vtable_for(op_kind kind) {
  const op_vtable *vt = op_vtable_for(kind);
  return vt ? vt : connector_vtable_for(kind);
}

/* Waits until cond(arg) holds under g_mu; fails the test after WAIT_MS (the listener signals
 * g_cond; the 10 ms slices only bound how late a wait notices its deadline). */
static void await(bool (*cond)(int), int arg) {
  int64_t deadline = sp_mono_ns() + (int64_t)WAIT_MS * 1000000;
  pthread_mutex_lock(&g_mu);
  while (!cond(arg)) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10000000;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&g_cond, &g_mu, &ts);
    if (sp_mono_ns() > deadline) {
      pthread_mutex_unlock(&g_mu);
      fail_msg("timed out after %lld ms waiting (records seen %d, snapshots %d, wanted %d)",
               (long long)WAIT_MS, g_nseen, g_nsnaps, arg);
    }
  }
  pthread_mutex_unlock(&g_mu);
}
static bool seen_at_least(int n) { return g_nseen >= n; }
static bool snaps_at_least(int n) { return g_nsnaps >= n; }
static bool done(int unused) { return g_done; }

typedef struct rig {
  spate_env *env;
  job_graph *jg;
  void *dl;
  shuffle_env *shuffle;
  result_partition *rp[2];
  record_writer w[2];
  _Atomic bool cancel;
  uint64_t bp;
  char err[512];
  const spate_schema *schema;
  spate_row_builder *rb;
  task *t;
} rig;

static void rig_start(rig *g, bool unaligned) {
  memset(g, 0, sizeof *g);
  pthread_mutex_lock(&g_mu);
  g_nseen = g_nsnaps = 0;
  g_done = false;
  pthread_mutex_unlock(&g_mu);
  g->env = spate_env_create();
  g->schema = spate_env_schema(g->env, "id BIGINT NOT NULL");
  spate_stream *src = spate_generate(g->env, g->schema, br_gen, 0);
  spate_stream *sink = spate_sink(spate_rebalance(src), br_sink);
  assert_null(spate_env_error(g->env));
  g->env->g->default_parallelism = 2;
  g->env->g->nodes[sink->node].parallelism = 1;
  assert_int_equal(jobgraph_build(g->env->g, &g->jg, g->err, sizeof g->err), 0);
  assert_int_equal(g->jg->nvertices, 2);
  g->dl = dlopen(NULL, RTLD_NOW);
  assert_int_equal(shuffle_env_create(&g->shuffle), 0);
  char key[48];
  snprintf(key, sizeof key, "%s-0", g->jg->job_id);
  int edge = g->jg->vertices[1].inputs[0];
  for (int p = 0; p < 2; p++) { /* what task.c's setup does for the producers' writers */
    assert_int_equal(shuffle_env_partition(g->shuffle, key, edge, p, 1, 64, 32768, &g->rp[p]), 0);
    rw_config c = {.partitioner = {.part = PART_REBALANCE,
                                   .nsub = 1,
                                   .consumer_parallelism = 1,
                                   .max_parallelism = 128,
                                   .subtask = p,
                                   .schema = g->schema},
                   .flush_always = true,
                   .cancel = &g->cancel,
                   .backpressure_ns = &g->bp,
                   .err = g->err,
                   .err_len = sizeof g->err};
    assert_int_equal(rw_init(&g->w[p], g->rp[p], &c), 0); /* it holds the partition's reference */
  }
  g->rb = spate_rb_new(g->schema);
  (void)unaligned;
}

static void rig_run(rig *g, bool unaligned) {
  task_config cfg = {.vtable_for = vtable_for,
                     .buffer_size = 32768,
                     .buffers_per_channel = 2,
                     .floating_buffers = 8,
                     .buffer_timeout_ms = 0,
                     .on_snapshot = on_snapshot};
  task_options opts = {.unaligned = unaligned};
  assert_int_equal(task_start(g->jg, 1, 0, 0, g->shuffle, g->dl, &cfg, &opts, listener, g, &g->t),
                   0);
}

static void rec(rig *g, int p, int64_t id) {
  spate_rb_begin(g->rb);
  spate_rb_set_bigint(g->rb, 0, id);
  spate_row row;
  assert_int_equal(spate_rb_finish(g->rb, &row), 0);
  assert_int_equal(rw_emit(&g->w[p], INT64_MIN, &row), 0);
  rw_flush(&g->w[p]);
}

static void barrier(rig *g, int p, int64_t id, uint32_t flags) {
  el_barrier b = {.id = id, .timestamp = sp_wall_ms(), .flags = flags};
  assert_int_equal(rw_emit_barrier(&g->w[p], id, &b, sizeof b), 0);
}

static void cancel_marker(rig *g, int p, int64_t id) {
  assert_int_equal(rw_broadcast_event(&g->w[p], EL_CANCEL_BARRIER, &id, 8), 0);
  rw_flush(&g->w[p]);
}

static void rig_finish(rig *g) {
  for (int p = 0; p < 2; p++) {
    assert_int_equal(rw_broadcast_event(&g->w[p], EL_END_OF_PARTITION, NULL, 0), 0);
    rw_flush(&g->w[p]);
  }
  await(done, 0);
  task_join_free(g->t);
  for (int p = 0; p < 2; p++) {
    rw_release(&g->w[p]);
    rw_destroy(&g->w[p]);
  }
  shuffle_env_destroy(g->shuffle);
  spate_rb_free(g->rb);
  jobgraph_free(g->jg);
  dlclose(g->dl);
  spate_env_free(g->env);
}

static bool seen(int64_t id) {
  for (int i = 0; i < g_nseen; i++)
    if (g_seen[i] == id) return true;
  return false;
}

static void test_aligned_blocks_the_channel(void **state) {
  rig g;
  rig_start(&g, false);
  rec(&g, 0, 1);
  rec(&g, 0, 2);
  barrier(&g, 0, 1, 0);
  rec(&g, 0, 3); /* after the barrier: held back */
  rec(&g, 1, 11);
  int64_t started_ms = sp_wall_ms();
  rig_run(&g, false);
  await(seen_at_least, 3);
  pthread_mutex_lock(&g_mu);
  /* the loop reads channel 0 first: had the barrier not blocked it, 3 would come before 11 */
  assert_true(seen(1) && seen(2) && seen(11));
  assert_false(seen(3));
  assert_int_equal(g_nsnaps, 0);
  pthread_mutex_unlock(&g_mu);
  int64_t second_barrier_ms = sp_wall_ms();
  barrier(&g, 1, 1, 0);
  rec(&g, 1, 12);
  await(snaps_at_least, 1);
  await(seen_at_least, 5);
  pthread_mutex_lock(&g_mu);
  assert_int_equal(g_snaps[0].id, 1);
  assert_int_equal(g_snaps[0].processed, 3); /* exactly the records before the barriers */
  assert_int_equal(g_snaps[0].channel_records, 0);
  assert_false(g_snaps[0].unaligned);
  /* the start delay's end: when channel 0's barrier was read, not when the alignment ended */
  assert_in_range(g_snaps[0].first_barrier_ms, started_ms, second_barrier_ms);
  pthread_mutex_unlock(&g_mu);
  rig_finish(&g);
}

static void test_unaligned_records_in_flight(void **state) {
  rig g;
  rig_start(&g, true);
  /* everything is queued before the task starts: the announcement is seen before any record */
  rec(&g, 0, 1);
  rec(&g, 0, 2);
  barrier(&g, 0, 1, BARRIER_UNALIGNED);
  rec(&g, 0, 3);
  rec(&g, 1, 11);
  rec(&g, 1, 12);
  rec(&g, 1, 13);
  rig_run(&g, true);
  await(seen_at_least, 6); /* 1, 2, 3, 11, 12, 13: nothing waits for channel 1's barrier */
  pthread_mutex_lock(&g_mu);
  assert_int_equal(g_nsnaps, 0); /* channel 1's records before its barrier are still coming */
  pthread_mutex_unlock(&g_mu);
  barrier(&g, 1, 1, BARRIER_UNALIGNED);
  await(snaps_at_least, 1);
  pthread_mutex_lock(&g_mu);
  assert_true(g_snaps[0].unaligned);
  /* before the barriers: 1, 2 (channel 0) and 11, 12, 13 (channel 1); each is in the
   * operators' state (processed before the snapshot) or in the channel state, never both */
  assert_int_equal(g_snaps[0].channel_records, 5);
  pthread_mutex_unlock(&g_mu);
  rig_finish(&g);
}

static void test_at_least_once_ignores_older_barriers(void **state) {
  rig g;
  rig_start(&g, false);
  rec(&g, 0, 1);
  barrier(&g, 0, 2, BARRIER_AT_LEAST_ONCE);
  rec(&g, 0, 2);
  rec(&g, 1, 11);
  barrier(&g, 1, 1, BARRIER_AT_LEAST_ONCE); /* checkpoint 1, superseded by 2 upstream */
  rec(&g, 1, 12);
  rig_run(&g, false);
  await(seen_at_least, 4); /* nothing blocks */
  pthread_mutex_lock(&g_mu);
  assert_int_equal(g_nsnaps, 0); /* barrier 1 did not complete checkpoint 2 */
  pthread_mutex_unlock(&g_mu);
  barrier(&g, 1, 2, BARRIER_AT_LEAST_ONCE);
  await(snaps_at_least, 1);
  pthread_mutex_lock(&g_mu);
  assert_int_equal(g_snaps[0].id, 2);
  assert_int_equal(g_snaps[0].processed, 4);
  pthread_mutex_unlock(&g_mu);
  rig_finish(&g);
}

static void test_cancel_marker_unblocks(void **state) {
  rig g;
  rig_start(&g, false);
  rec(&g, 0, 1);
  barrier(&g, 0, 1, 0);
  rec(&g, 0, 2); /* held back while checkpoint 1 aligns */
  rec(&g, 1, 11);
  rig_run(&g, false);
  await(seen_at_least, 2);
  pthread_mutex_lock(&g_mu);
  assert_false(seen(2));
  pthread_mutex_unlock(&g_mu);
  cancel_marker(&g, 1, 1); /* upstream 1 dropped checkpoint 1 */
  await(seen_at_least, 3); /* channel 0 flows again */
  barrier(&g, 1, 1, 0);    /* a late barrier of the dropped checkpoint changes nothing */
  rec(&g, 1, 12);
  await(seen_at_least, 4);
  pthread_mutex_lock(&g_mu);
  assert_int_equal(g_nsnaps, 0);
  pthread_mutex_unlock(&g_mu);
  rig_finish(&g);
  assert_int_equal(g_nsnaps, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aligned_blocks_the_channel),
      cmocka_unit_test(test_unaligned_records_in_flight),
      cmocka_unit_test(test_at_least_once_ignores_older_barriers),
      cmocka_unit_test(test_cancel_marker_unblocks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
