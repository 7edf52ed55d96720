/*
 * test_rest_checkpoints.c: the checkpoint statistics endpoints (rest/rest_routes_checkpoints.c)
 * on a real JobManager in this process: ResourceManager, Dispatcher with its JobMasters, the
 * cluster view, the gateway and the REST server with the JobManager's operations
 * (rest/jobmanager_rest.h), and a real TaskExecutor with two slots, over real HTTP on loopback.
 *
 * The job: a rate-limited generator at parallelism 2, keyed into a running sum at parallelism 1
 * (two vertices, three subtasks, keyed state), into a discarding sink. Checkpoints and the
 * savepoint are triggered through the gateway, which waits for them; every response is checked
 * key by key and type by type against Flink's classes (reference §1.2, §1.4):
 *  - before any checkpoint: counts 0, latest all null, empty history, the checkpoint config;
 *  - after a checkpoint: the completed entry, its details with the tasks map (Flink's vertex
 *    ids), the per-vertex details with the subtasks' figures and summaries;
 *  - after a savepoint: latest.savepoint, SAVEPOINT type, its path;
 *  - a checkpoint that fails deterministically (its directory cannot be created: the job's
 *    checkpoint directory is replaced by a file) with the tolerable count above it: the failed
 *    entry with its message;
 *  - a task failure: the job restarts from checkpoint 1, latest.restored;
 *  - the history bounded by web.checkpoints.history (3 here), and the 404s and 400 of unknown or
 *    malformed ids;
 *  - a server whose operations table lacks the statistics' operations answers 501.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "support/testkit.h"

#include "api/api.h"
#include "base/alloc.h"
#include "base/config.h"
#include "cluster/cluster_view.h"
#include "cluster/components.h"
#include "cluster/jobmanager_gateway.h"
#include "graph/stream_graph.h"
#include "rest/jobmanager_rest.h"
#include "rest/rest_client.h"
#include "rest/rest_server.h"
#include "runtime/shuffle_env.h"
#include "spate/spate.h"

#define JOB_ID "c0ffee00c0ffee00c0ffee00c0ffee00"

static atomic_int g_fail; /* the next generator call fails (once) */

int ckpt_rest_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out);
int ckpt_rest_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  (void)ctx;
  if (atomic_exchange(&g_fail, 0)) return -1;
  spate_rb_set_bigint(out, 0, i % 7);
  spate_rb_set_bigint(out, 1, i);
  return 0;
}

typedef struct cluster {
  char root[256], ckpt_dir[512], job_ckpt_dir[600], sp_dir[512];
  rpc_service *rpc;
  shuffle_env *shuffle;
  cluster_view *view;
  resource_manager *rm;
  dispatcher *d;
  task_executor *te;
  jm_gateway *gw;
  void *rest;
  rest_client client;
  char vertex[2][33]; /* the job's vertex ids */
} cluster;

static void set(sp_config *cfg, const char *key, const char *value) {
  char err[SP_ERRMSG_MAX];
  if (sp_config_set(cfg, key, value, "test", err, sizeof err) != 0) fail_msg("%s", err);
}

/* The encoded job (sp_free); its vertex ids into c->vertex. */
static uint8_t *job_bytes(cluster *c, size_t *len) {
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "k BIGINT, n BIGINT");
  spate_stream *src =
      spate_parallelism(spate_generate_rate_limited(env, s, ckpt_rest_gen, -1, 200.0), 2);
  spate_discard(spate_parallelism(spate_sum(spate_key_by(src, 0), 1), 1));
  assert_null(spate_env_error(env));
  stream_graph *g = env->g;
  g->buffer_timeout_ms = 0;
  sp_config *cfg = sp_config_new();
  set(cfg, "execution.checkpointing.interval", "1 h"); /* never fires here: manual ones only */
  set(cfg, "execution.checkpointing.timeout", "10 min");
  set(cfg, "execution.checkpointing.tolerable-failed-checkpoints", "5");
  set(cfg, "state.checkpoints.dir", c->ckpt_dir);
  set(cfg, "state.savepoints.dir", c->sp_dir);
  set(cfg, "web.checkpoints.history", "3");
  set(cfg, "restart-strategy.type", "fixed-delay");
  set(cfg, "restart-strategy.fixed-delay.attempts", "3");
  set(cfg, "restart-strategy.fixed-delay.delay", "0 ms");
  assert_int_equal(sg_set_config(g, cfg), 0);
  sp_config_free(cfg);
  job_graph *jg = NULL;
  char err[SP_ERRMSG_MAX];
  if (jobgraph_build(g, &jg, err, sizeof err) < 0) fail_msg("%s", err);
  assert_int_equal(jg->nvertices, 2);
  memcpy(jg->job_id, JOB_ID, sizeof jg->job_id);
  for (int v = 0; v < 2; v++) jobgraph_vertex_id(jg, v, c->vertex[v]);
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(jobgraph_encode(jg, &w), 0);
  jobgraph_free(jg);
  spate_env_free(env);
  return sp_writer_take(&w, len);
}

/* Subtasks of the job in state st, by the cluster view. */
static int tasks_in(cluster *c, task_state st) {
  cluster_view_lock(c->view);
  cv_job *j = cluster_view_find(c->view, JOB_ID);
  int n = 0;
  for (int v = 0; j && v < j->nvertices; v++) n += j->vertices[v].tasks[st];
  cluster_view_unlock(c->view);
  return n;
}

/* The job's statistics' counts, read as the REST endpoint reads them. */
static ckpt_stats_counts counts(cluster *c) {
  bool found;
  ckpt_stats *st = cluster_view_checkpoint_stats(c->view, JOB_ID, &found);
  ckpt_stats_counts n = {0};
  if (st) {
    ckpt_stats_snapshot s;
    if (ckpt_stats_read(st, &s) == 0) {
      n = s.counts;
      ckpt_stats_snapshot_free(&s);
    }
    ckpt_stats_unref(st);
  }
  return n;
}

static int setup(void **state) {
  cluster *c = calloc(1, sizeof *c);
  assert_non_null(c);
  tk_mkdtemp(c->root, sizeof c->root, "spate-rest-ckpt-");
  snprintf(c->ckpt_dir, sizeof c->ckpt_dir, "%s/checkpoints", c->root);
  snprintf(c->job_ckpt_dir, sizeof c->job_ckpt_dir, "%s/%s", c->ckpt_dir, JOB_ID);
  snprintf(c->sp_dir, sizeof c->sp_dir, "%s/savepoints", c->root);
  assert_int_equal(rpc_service_create(NULL, &c->rpc), 0);
  assert_int_equal(shuffle_env_create(&c->shuffle), 0);
  assert_int_equal(cluster_view_create(&c->view), 0);
  rm_options ro = {.view = c->view};
  assert_int_equal(rm_start(c->rpc, &ro, &c->rm), 0);
  assert_int_equal(dispatcher_start(c->rpc, NULL, c->view, &c->d), 0);
  task_config tc = {.buffer_size = 32768,
                    .buffers_per_channel = 2,
                    .floating_buffers = 8,
                    .buffer_timeout_ms = 0};
  assert_int_equal(te_start(c->rpc, c->shuffle, 0, 2, &tc, NULL, &c->te), 0);
  assert_int_equal(jm_gateway_create(c->rpc, NULL, c->view, &c->gw), 0);
  sp_config *cfg = sp_config_new();
  set(cfg, "rest.port", "0");
  set(cfg, "rest.bind-address", "localhost");
  char err[SP_ERRMSG_MAX];
  int port = 0;
  if (jobmanager_rest_start(cfg, c->gw, &c->rest, &port, err, sizeof err) < 0)
    fail_msg("jobmanager_rest_start: %s", err);
  sp_config_free(cfg);
  assert_int_equal(rest_client_init(&c->client, "localhost", port, 0, NULL), 0);
  TK_AWAIT(({
             cluster_view_lock(c->view);
             int n = c->view->ntms;
             cluster_view_unlock(c->view);
             n;
           }) == 1,
           "the TaskExecutor registered");
  size_t len;
  uint8_t *bytes = job_bytes(c, &len);
  char job_id[33];
  if (jm_gateway_submit(c->gw, bytes, len, NULL, job_id, err, sizeof err) < 0)
    fail_msg("submit: %s", err);
  sp_free(bytes);
  assert_string_equal(job_id, JOB_ID);
  TK_AWAIT(tasks_in(c, TS_RUNNING) == 3, "the job's three subtasks running (%d)",
           tasks_in(c, TS_RUNNING));
  *state = c;
  return 0;
}

static int teardown(void **state) {
  cluster *c = *state;
  char err[SP_ERRMSG_MAX];
  jm_gateway_cancel(c->gw, JOB_ID, err, sizeof err);
  jm_gateway_wait_done(c->gw, JOB_ID, 60000);
  rest_client_free(&c->client);
  jobmanager_rest_stop(c->rest);
  dispatcher_stop(c->d);
  te_stop(c->te);
  rm_stop(c->rm);
  jm_gateway_free(c->gw);
  cluster_view_free(c->view);
  rpc_service_destroy(c->rpc);
  shuffle_env_destroy(c->shuffle);
  tk_rm_rf(c->root);
  free(c);
  return 0;
}

/* ---- JSON checks ---- */

/* GET path: the status into *status, the body (new reference). */
static json_t *get(cluster *c, const char *path, long *status) {
  json_t *out = NULL;
  char err[1024];
  *status = 0;
  rest_request_json(&c->client, "GET", path, NULL, status, &out, err, sizeof err);
  if (*status == 0) fail_msg("GET %s: no answer: %s", path, err);
  if (!out) fail_msg("GET %s: HTTP %ld without a JSON body", path, *status);
  return out;
}

static json_t *get_ok(cluster *c, const char *path) {
  long status;
  json_t *b = get(c, path, &status);
  if (status != 200) {
    char *text = json_dumps(b, 0);
    fail_msg("GET %s: HTTP %ld: %s", path, status, text ? text : "");
  }
  return b;
}

/* Checks that o (named what) is an object holding every key of spec, "key:t ..." with t one of
 * i (integer), r (real), s (string), b (boolean), o (object), a (array), n (null), S (string or
 * null), and nothing else. */
static void keys(json_t *o, const char *what, const char *spec) {
  if (!json_is_object(o)) fail_msg("%s is not an object", what);
  char buf[2048];
  snprintf(buf, sizeof buf, "%s", spec);
  size_t n = 0;
  for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
    char *colon = strrchr(tok, ':');
    assert_non_null(colon);
    *colon = 0;
    char t = colon[1];
    json_t *v = json_object_get(o, tok);
    if (!v) fail_msg("%s has no key '%s'", what, tok);
    bool ok = t == 'i'   ? json_is_integer(v)
              : t == 'r' ? json_is_real(v)
              : t == 's' ? json_is_string(v)
              : t == 'b' ? json_is_boolean(v)
              : t == 'o' ? json_is_object(v)
              : t == 'a' ? json_is_array(v)
              : t == 'n' ? json_is_null(v)
              : t == 'S' ? json_is_string(v) || json_is_null(v)
                         : false;
    if (!ok) fail_msg("%s: key '%s' is not of type '%c'", what, tok, t);
    n++;
  }
  if (json_object_size(o) != n) {
    char *text = json_dumps(o, JSON_SORT_KEYS);
    fail_msg("%s has %zu keys, expected %zu: %s", what, json_object_size(o), n, text);
  }
}

#define ENTRY_KEYS                                                                           \
  "className:s @class:s id:i status:s is_savepoint:b savepointFormat:S trigger_timestamp:i " \
  "latest_ack_timestamp:i checkpointed_size:i state_size:i end_to_end_duration:i "           \
  "alignment_buffered:i processed_data:i persisted_data:i num_subtasks:i "                   \
  "num_acknowledged_subtasks:i checkpoint_type:s tasks:o"
#define COMPLETED_KEYS ENTRY_KEYS " external_path:s discarded:b"
#define FAILED_KEYS ENTRY_KEYS " failure_timestamp:i failure_message:s"
#define SUMMARY_KEYS "min:i max:i avg:i p50:r p90:r p95:r p99:r p999:r"
#define TASK_KEYS                                                                 \
  "id:i status:s latest_ack_timestamp:i checkpointed_size:i state_size:i "        \
  "end_to_end_duration:i alignment_buffered:i processed_data:i persisted_data:i " \
  "num_subtasks:i num_acknowledged_subtasks:i"

static json_int_t ival(json_t *o, const char *key) {
  return json_integer_value(json_object_get(o, key));
}
static const char *sval(json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

/* An entry of the statistics: keys by its class, and the class and status agree. */
static void check_entry(json_t *e, const char *what) {
  const char *cls = sval(e, "className");
  if (!cls) fail_msg("%s has no className", what);
  assert_string_equal(sval(e, "@class"), cls);
  if (strcmp(cls, "completed") == 0) {
    keys(e, what, COMPLETED_KEYS);
    assert_string_equal(sval(e, "status"), "COMPLETED");
  } else if (strcmp(cls, "failed") == 0) {
    keys(e, what, FAILED_KEYS);
    assert_string_equal(sval(e, "status"), "FAILED");
  } else {
    assert_string_equal(cls, "in_progress");
    keys(e, what, ENTRY_KEYS);
    assert_string_equal(sval(e, "status"), "IN_PROGRESS");
  }
}

/* GET /jobs/:jobid/checkpoints, checked in full. */
static json_t *statistics(cluster *c) {
  json_t *s = get_ok(c, "/jobs/" JOB_ID "/checkpoints");
  keys(s, "CheckpointingStatistics", "counts:o summary:o latest:o history:a");
  keys(json_object_get(s, "counts"), "counts",
       "restored:i total:i in_progress:i completed:i failed:i");
  json_t *sum = json_object_get(s, "summary");
  keys(sum, "summary",
       "checkpointed_size:o state_size:o end_to_end_duration:o alignment_buffered:o "
       "processed_data:o persisted_data:o");
  const char *k;
  json_t *v;
  json_object_foreach(sum, k, v) keys(v, k, SUMMARY_KEYS);
  json_t *latest = json_object_get(s, "latest");
  if (!json_is_object(latest)) fail_msg("latest is not an object");
  assert_int_equal(json_object_size(latest), 4);
  static const char *const names[] = {"completed", "savepoint", "failed"};
  for (int i = 0; i < 3; i++) {
    json_t *e = json_object_get(latest, names[i]);
    if (!e) fail_msg("latest has no '%s'", names[i]);
    if (!json_is_null(e)) check_entry(e, names[i]);
  }
  json_t *r = json_object_get(latest, "restored");
  if (!r) fail_msg("latest has no 'restored'");
  if (!json_is_null(r))
    keys(r, "restored", "id:i restore_timestamp:i is_savepoint:b external_path:s");
  size_t i;
  json_array_foreach(json_object_get(s, "history"), i, v) {
    check_entry(v, "history entry");
    assert_int_equal(json_object_size(json_object_get(v, "tasks")), 0);
  }
  return s;
}

static json_t *latest(json_t *s, const char *which) {
  return json_object_get(json_object_get(s, "latest"), which);
}

static void assert_error(cluster *c, const char *path, long want_status, const char *want) {
  long status;
  json_t *b = get(c, path, &status);
  if (status != want_status) fail_msg("GET %s: HTTP %ld, expected %ld", path, status, want_status);
  const char *msg = json_string_value(json_array_get(json_object_get(b, "errors"), 0));
  if (!msg || !strstr(msg, want)) fail_msg("GET %s: error '%s' lacks '%s'", path, msg, want);
  json_decref(b);
}

/* ---- the test ---- */

static void test_checkpoint_statistics_on_a_running_job(void **state) {
  cluster *c = *state;
  char err[SP_ERRMSG_MAX], path[1024];

  /* nothing yet */
  json_t *s = statistics(c);
  assert_int_equal(ival(json_object_get(s, "counts"), "total"), 0);
  assert_true(json_is_null(latest(s, "completed")));
  assert_true(json_is_null(latest(s, "restored")));
  assert_int_equal(json_array_size(json_object_get(s, "history")), 0);
  json_decref(s);

  json_t *cfg = get_ok(c, "/jobs/" JOB_ID "/checkpoints/config");
  keys(cfg, "CheckpointConfigInfo",
       "mode:s interval:i timeout:i min_pause:i max_concurrent:i externalization:o "
       "state_backend:s checkpoint_storage:s unaligned_checkpoints:b "
       "tolerable_failed_checkpoints:i aligned_checkpoint_timeout:i "
       "checkpoints_after_tasks_finish:b state_changelog_enabled:b "
       "changelog_periodic_materialization_interval:i changelog_storage:s");
  keys(json_object_get(cfg, "externalization"), "externalization",
       "enabled:b delete_on_cancellation:b");
  assert_string_equal(sval(cfg, "mode"), "exactly_once");
  assert_int_equal(ival(cfg, "interval"), 3600000);
  assert_int_equal(ival(cfg, "timeout"), 600000);
  assert_int_equal(ival(cfg, "tolerable_failed_checkpoints"), 5);
  assert_int_equal(ival(cfg, "max_concurrent"), 1);
  assert_true(json_is_false(json_object_get(cfg, "unaligned_checkpoints")));
  json_decref(cfg);

  /* a checkpoint */
  int64_t id = 0;
  char *loc = NULL;
  if (jm_gateway_snapshot(c->gw, JOB_ID, JM_CHECKPOINT, NULL, &id, &loc, err, sizeof err) < 0)
    fail_msg("checkpoint: %s", err);
  sp_free(loc);
  assert_int_equal(id, 1);
  s = statistics(c);
  json_t *n = json_object_get(s, "counts");
  assert_int_equal(ival(n, "total"), 1);
  assert_int_equal(ival(n, "completed"), 1);
  assert_int_equal(ival(n, "in_progress"), 0);
  json_t *e = latest(s, "completed");
  assert_string_equal(sval(e, "className"), "completed");
  assert_int_equal(ival(e, "id"), 1);
  assert_string_equal(sval(e, "checkpoint_type"), "CHECKPOINT");
  assert_int_equal(ival(e, "num_subtasks"), 3);
  assert_int_equal(ival(e, "num_acknowledged_subtasks"), 3);
  assert_true(ival(e, "state_size") > 0); /* the running sum's keyed state */
  assert_true(ival(e, "latest_ack_timestamp") >= ival(e, "trigger_timestamp"));
  snprintf(path, sizeof path, "%s/chk-1", c->job_ckpt_dir);
  assert_string_equal(sval(e, "external_path"), path);
  assert_int_equal(ival(json_object_get(json_object_get(s, "summary"), "state_size"), "max"),
                   ival(e, "state_size"));
  json_decref(s);

  /* its details: the tasks map by Flink's vertex ids */
  json_t *d = get_ok(c, "/jobs/" JOB_ID "/checkpoints/details/1");
  check_entry(d, "details");
  json_t *tasks = json_object_get(d, "tasks");
  assert_int_equal(json_object_size(tasks), 2);
  for (int v = 0; v < 2; v++) {
    json_t *t = json_object_get(tasks, c->vertex[v]);
    if (!t) fail_msg("tasks has no vertex %s", c->vertex[v]);
    keys(t, "task", TASK_KEYS);
    assert_int_equal(ival(t, "id"), 1);
    assert_string_equal(sval(t, "status"), "COMPLETED");
    assert_int_equal(ival(t, "num_subtasks"), v == 0 ? 2 : 1);
    assert_int_equal(ival(t, "num_acknowledged_subtasks"), v == 0 ? 2 : 1);
  }
  json_decref(d);
  for (int v = 0; v < 2; v++) {
    snprintf(path, sizeof path, "/v1/jobs/%s/checkpoints/details/1/subtasks/%s", JOB_ID,
             c->vertex[v]);
    json_t *t = get_ok(c, path);
    keys(t, "TaskCheckpointStatisticsWithSubtaskDetails", TASK_KEYS " summary:o subtasks:a");
    json_t *sm = json_object_get(t, "summary");
    keys(sm, "task summary",
         "checkpointed_size:o state_size:o end_to_end_duration:o checkpoint_duration:o "
         "alignment:o start_delay:o");
    keys(json_object_get(sm, "checkpoint_duration"), "checkpoint_duration", "sync:o async:o");
    keys(json_object_get(sm, "alignment"), "alignment",
         "buffered:o processed:o persisted:o duration:o");
    keys(json_object_get(json_object_get(sm, "alignment"), "duration"), "alignment.duration",
         SUMMARY_KEYS);
    keys(json_object_get(sm, "start_delay"), "start_delay", SUMMARY_KEYS);
    keys(json_object_get(sm, "state_size"), "state_size", SUMMARY_KEYS);
    json_t *subs = json_object_get(t, "subtasks");
    assert_int_equal(json_array_size(subs), v == 0 ? 2 : 1);
    size_t i;
    json_t *x;
    json_array_foreach(subs, i, x) {
      keys(x, "subtask",
           "className:s @class:s index:i status:s ack_timestamp:i end_to_end_duration:i "
           "checkpointed_size:i state_size:i checkpoint:o alignment:o start_delay:i "
           "unaligned_checkpoint:b aborted:b");
      assert_int_equal(ival(x, "index"), (json_int_t)i);
      assert_string_equal(sval(x, "status"), "completed");
      assert_string_equal(sval(x, "className"), "completed");
      keys(json_object_get(x, "checkpoint"), "checkpoint", "sync:i async:i");
      keys(json_object_get(x, "alignment"), "alignment",
           "buffered:i processed:i persisted:i duration:i");
      /* the start delay is measured (trigger to the first barrier), not the remainder of end to
       * end: it and the parts that follow it fit into end to end, with a ms for each of the
       * wall-clock readings rounded down (trigger, first barrier, acknowledgement) */
      json_int_t e2e = ival(x, "end_to_end_duration"), delay = ival(x, "start_delay");
      json_int_t parts = delay + ival(json_object_get(x, "alignment"), "duration") +
                         ival(json_object_get(x, "checkpoint"), "sync") +
                         ival(json_object_get(x, "checkpoint"), "async");
      assert_true(e2e >= 0);
      assert_in_range(delay, 0, e2e);
      if (parts > e2e + 2)
        fail_msg(
            "subtask %zu of vertex %d: start delay %lld + alignment, sync and async = %lld "
            "ms > end to end %lld ms",
            i, v, (long long)delay, (long long)parts, (long long)e2e);
    }
    json_decref(t);
  }

  /* a savepoint */
  if (jm_gateway_snapshot(c->gw, JOB_ID, JM_SAVEPOINT, NULL, &id, &loc, err, sizeof err) < 0)
    fail_msg("savepoint: %s", err);
  assert_int_equal(id, 2);
  s = statistics(c);
  e = latest(s, "savepoint");
  assert_int_equal(ival(e, "id"), 2);
  assert_true(json_is_true(json_object_get(e, "is_savepoint")));
  assert_string_equal(sval(e, "checkpoint_type"), "SAVEPOINT");
  assert_string_equal(sval(e, "savepointFormat"), "CANONICAL");
  assert_string_equal(sval(e, "external_path"), loc);
  assert_int_equal(ival(latest(s, "completed"), "id"), 1);
  assert_int_equal(ival(json_object_get(s, "counts"), "completed"), 2);
  sp_free(loc);
  json_decref(s);

  /* a checkpoint that cannot start: its directory's parent is a file; five failures are
   * tolerable, so the job runs on */
  char aside[1024];
  snprintf(aside, sizeof aside, "%s.aside", c->job_ckpt_dir);
  assert_int_equal(rename(c->job_ckpt_dir, aside), 0);
  FILE *fp = fopen(c->job_ckpt_dir, "w");
  assert_non_null(fp);
  fclose(fp);
  loc = NULL;
  assert_true(jm_gateway_snapshot(c->gw, JOB_ID, JM_CHECKPOINT, NULL, &id, &loc, err, sizeof err) <
              0);
  sp_free(loc);
  TK_AWAIT(counts(c).failed == 1, "the failed checkpoint in the statistics");
  assert_int_equal(unlink(c->job_ckpt_dir), 0);
  assert_int_equal(rename(aside, c->job_ckpt_dir), 0);
  s = statistics(c);
  e = latest(s, "failed");
  assert_string_equal(sval(e, "className"), "failed");
  assert_int_equal(ival(e, "id"), 3);
  assert_true(strlen(sval(e, "failure_message")) > 0);
  assert_true(ival(e, "failure_timestamp") >= ival(e, "trigger_timestamp"));
  assert_int_equal(ival(e, "num_acknowledged_subtasks"), 0);
  assert_int_equal(ival(e, "latest_ack_timestamp"), -1);
  n = json_object_get(s, "counts");
  assert_int_equal(ival(n, "failed"), 1);
  assert_int_equal(ival(n, "total"), 3);
  /* history: newest first, 3 of 3 */
  json_t *h = json_object_get(s, "history");
  assert_int_equal(json_array_size(h), 3);
  for (int i = 0; i < 3; i++) assert_int_equal(ival(json_array_get(h, (size_t)i), "id"), 3 - i);
  json_decref(s);

  /* a task fails: the job restarts from checkpoint 1 */
  atomic_store(&g_fail, 1);
  TK_AWAIT(counts(c).restored == 1, "the restart restoring checkpoint 1");
  TK_AWAIT(tasks_in(c, TS_RUNNING) == 3, "the job running again");
  s = statistics(c);
  json_t *r = latest(s, "restored");
  assert_int_equal(ival(r, "id"), 1);
  assert_true(json_is_false(json_object_get(r, "is_savepoint")));
  snprintf(path, sizeof path, "%s/chk-1", c->job_ckpt_dir);
  assert_string_equal(sval(r, "external_path"), path);
  assert_int_equal(ival(json_object_get(s, "counts"), "restored"), 1);
  json_decref(s);

  /* checkpoint 4 pushes checkpoint 1 out of the history and replaces it as the latest */
  if (jm_gateway_snapshot(c->gw, JOB_ID, JM_CHECKPOINT, NULL, &id, &loc, err, sizeof err) < 0)
    fail_msg("checkpoint: %s", err);
  sp_free(loc);
  assert_int_equal(id, 4);
  s = statistics(c);
  h = json_object_get(s, "history");
  assert_int_equal(json_array_size(h), 3);
  assert_int_equal(ival(json_array_get(h, 0), "id"), 4);
  assert_int_equal(ival(json_array_get(h, 2), "id"), 2);
  assert_int_equal(ival(latest(s, "completed"), "id"), 4);
  json_decref(s);
  d = get_ok(c, "/jobs/" JOB_ID "/checkpoints/details/3"); /* still in the history */
  check_entry(d, "details 3");
  json_decref(d);

  /* unknown and malformed */
  assert_error(c, "/jobs/" JOB_ID "/checkpoints/details/1", 404,
               "Could not find checkpointing statistics for checkpoint 1.");
  assert_error(c, "/jobs/" JOB_ID "/checkpoints/details/99", 404,
               "Could not find checkpointing statistics for checkpoint 99.");
  assert_error(c,
               "/jobs/" JOB_ID "/checkpoints/details/4/subtasks/00000000000000000000000000000000",
               404, "There is no checkpoint statistics for task");
  assert_error(c, "/jobs/00000000000000000000000000000001/checkpoints", 404, "not found");
  assert_error(c, "/jobs/00000000000000000000000000000001/checkpoints/config", 404, "not found");
  assert_error(c, "/jobs/" JOB_ID "/checkpoints/details/x1", 400, "checkpoint id");
}

/* A cluster whose operations table lacks the statistics' operations answers 501 on their routes
 * (the other helpers' tables and the fake cluster of test_rest_server.c need not set them). */
static int no_list(void *ctx, rest_job_list *out, char *err, size_t n) { return SPATE_ENOENT; }
static int no_overview(void *ctx, rest_cluster_overview *o, char *err, size_t n) {
  return SPATE_ENOENT;
}
static int no_details(void *ctx, const char *id, rest_job_details *o, char *err, size_t n) {
  return SPATE_ENOENT;
}
static int no_cancel(void *ctx, const char *id, char *err, size_t n) { return SPATE_ENOENT; }
static int no_result(void *ctx, const char *id, rest_job_result *o, char *err, size_t n) {
  return SPATE_ENOENT;
}
static int no_submit(void *ctx, const void *g, size_t len, const char *const *a, size_t na,
                     char *id, char *err, size_t n) {
  return SPATE_ENOENT;
}
static int no_savepoint(void *ctx, const char *id, const char *dir, bool cancel,
                        rest_savepoint_format f, char **loc, char *err, size_t n) {
  return SPATE_ENOENT;
}
static int no_stop(void *ctx, const char *id, const char *dir, bool drain, rest_savepoint_format f,
                   char **loc, char *err, size_t n) {
  return SPATE_ENOENT;
}
static int no_checkpoint(void *ctx, const char *id, rest_checkpoint_type t, int64_t *cid, char *err,
                         size_t n) {
  return SPATE_ENOENT;
}
static int no_dispose(void *ctx, const char *path, char *err, size_t n) { return SPATE_ENOENT; }
static int no_tms(void *ctx, rest_taskmanager_list *o, char *err, size_t n) { return SPATE_ENOENT; }
static void no_shutdown(void *ctx) {}

static void test_routes_without_the_operations_answer_501(void **state) {
  (void)state;
  static const rest_cluster_ops core_only = {.list_jobs = no_list,
                                             .overview = no_overview,
                                             .job_details = no_details,
                                             .cancel_job = no_cancel,
                                             .job_result = no_result,
                                             .submit_job = no_submit,
                                             .savepoint = no_savepoint,
                                             .stop_job = no_stop,
                                             .checkpoint = no_checkpoint,
                                             .dispose_savepoint = no_dispose,
                                             .taskmanagers = no_tms,
                                             .shutdown = no_shutdown};
  rest_server_config cfg = {.bind_address = "localhost", .port = 0, .ops = &core_only};
  rest_server *srv = NULL;
  char err[SP_ERRMSG_MAX];
  if (rest_server_start(&cfg, &srv, err, sizeof err) < 0) fail_msg("%s", err);
  cluster c = {0};
  assert_int_equal(rest_client_init(&c.client, "localhost", rest_server_port(srv), 0, NULL), 0);
  assert_error(&c, "/jobs/" JOB_ID "/checkpoints", 501, "Not supported by this endpoint");
  assert_error(&c, "/jobs/" JOB_ID "/checkpoints/config", 501, "Not supported by this endpoint");
  assert_error(&c, "/jobs/" JOB_ID "/checkpoints/details/1", 501, "Not supported by this endpoint");
  rest_client_free(&c.client);
  rest_server_stop(srv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_routes_without_the_operations_answer_501),
      cmocka_unit_test_setup_teardown(test_checkpoint_statistics_on_a_running_job, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
