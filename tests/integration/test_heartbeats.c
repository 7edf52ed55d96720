/*
 * test_heartbeats.c: heartbeats between JobMasters and TaskExecutors, and the cluster's failover
 * default, with real components in one process on a manual clock (heartbeat.interval 1 s,
 * heartbeat.timeout 5 s, heartbeat.rpc-failure-threshold 2). Peers whose connection would stay
 * open but who stop answering are stand-in endpoints that swallow heartbeats:
 *  - a TaskExecutor whose JobMaster stops sending heartbeats cancels that JobMaster's task once
 *    the timeout has passed, not before, and stays registered;
 *  - a JobMaster whose TaskExecutor stops answering declares it lost after exactly the timeout,
 *    fails its subtasks with Flink's message and restarts the job;
 *  - heartbeat requests that cannot be delivered make the TaskExecutor unreachable after two
 *    rounds, long before the timeout;
 *  - jobmanager.execution.failover-strategy: full in the JobManager's configuration restarts a
 *    job that sets no strategy fully; a job's own setting (region) still wins;
 *  - the ResourceManager heartbeats the JobMasters that asked it for slots: it frees the slots
 *    of one that stops answering after exactly the timeout, and a JobMaster answers (its job
 *    keeps its slots however long it runs).
 * Every step moves the clock by one interval and then waits for the endpoints involved to handle
 * what it set off (rpc_flush), so what is asserted after a step never depends on timing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "support/testkit.h"

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/config.h"
#include "cluster/components.h"
#include "cluster/messages.h"
#include "graph/stream_graph.h"
#include "spate/spate.h"

#define JOB_ID "0123456789abcdef0123456789abcdef"
#define JOB_MASTER "jobmaster-" JOB_ID
#define FAKE_TE "taskexecutor-fake"
#define FAKE_JM "jobmaster-fake"
#define CLIENT "client-hb"
#define INTERVAL 1000
#define TIMEOUT 5000

static const hb_settings g_hb = {
    .interval_ms = INTERVAL, .timeout_ms = TIMEOUT, .failure_threshold = 2};

int hb_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out);
int hb_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, i);
  return 0;
}

/* The encoded job (sp_free): an unbounded rate-limited generator into a discarding sink, chained,
 * at `parallelism` (each subtask its own pipelined region); three restarts without delay; the
 * failover strategy `failover` (NULL: none set). */
static uint8_t *job_bytes(int parallelism, const char *failover, size_t *len) {
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "n BIGINT");
  spate_discard(spate_generate_rate_limited(env, s, hb_gen, -1, 10.0));
  assert_null(spate_env_error(env));
  stream_graph *g = env->g;
  g->default_parallelism = parallelism;
  g->buffer_timeout_ms = 0;
  sp_config *cfg = sp_config_new();
  char err[SP_ERRMSG_MAX];
  assert_int_equal(sp_config_set(cfg, "restart-strategy.type", "fixed-delay", "t", err, sizeof err),
                   0);
  assert_int_equal(
      sp_config_set(cfg, "restart-strategy.fixed-delay.attempts", "3", "t", err, sizeof err), 0);
  assert_int_equal(
      sp_config_set(cfg, "restart-strategy.fixed-delay.delay", "0 ms", "t", err, sizeof err), 0);
  if (failover)
    assert_int_equal(sp_config_set(cfg, "jobmanager.execution.failover-strategy", failover, "t",
                                   err, sizeof err),
                     0);
  assert_int_equal(sg_set_config(g, cfg), 0);
  sp_config_free(cfg);
  job_graph *jg = NULL;
  if (jobgraph_build(g, &jg, err, sizeof err) < 0) fail_msg("%s", err);
  memcpy(jg->job_id, JOB_ID, sizeof jg->job_id);
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(jobgraph_encode(jg, &w), 0);
  jobgraph_free(jg);
  spate_env_free(env);
  return sp_writer_take(&w, len);
}

/* ---- stand-ins ---------------------------------------------------------------------------- */

/* A TaskExecutor that runs nothing: it reports each deployed subtask RUNNING and each cancelled
 * one CANCELED, answers JobMaster heartbeats while `answer` is set and the ResourceManager's
 * always. */
typedef struct fake_te {
  pthread_mutex_t mu;
  rpc_service *rpc;
  bool answer;
  int heartbeats;      /* requests received */
  int submitted[4][2]; /* [attempt][subtask] */
  int cancels[4][2];
} fake_te;

static void send_state(rpc_service *rpc, const char *jm, int v, int s, int attempt, task_state st,
                       const char *error) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_i32(&w, v);
  sp_put_i32(&w, s);
  sp_put_i32(&w, attempt);
  sp_put_u8(&w, (uint8_t)st);
  sp_put_str(&w, error);
  sp_put_blob(&w, NULL, 0);
  rpc_send(rpc, jm, MSG_TASK_STATE, &w);
}

static void fake_te_handle(void *self, uint32_t type, sp_reader *r) {
  fake_te *f = self;
  pthread_mutex_lock(&f->mu);
  if (type == MSG_SUBMIT_TASK) {
    char *jm = sp_get_str(r);
    uint32_t len;
    sp_get_blob(r, &len);
    int32_t v = sp_get_i32(r), s = sp_get_i32(r), attempt = sp_get_i32(r);
    if (jm && sp_reader_ok(r) && attempt < 4 && s < 2) {
      f->submitted[attempt][s]++;
      send_state(f->rpc, jm, v, s, attempt, TS_RUNNING, "");
    }
    sp_free(jm);
  } else if (type == MSG_CANCEL_TASK) {
    char *job = sp_get_str(r);
    int32_t v = sp_get_i32(r), s = sp_get_i32(r), attempt = sp_get_i32(r);
    if (job && sp_reader_ok(r) && attempt < 4 && s < 2) {
      f->cancels[attempt][s]++;
      send_state(f->rpc, JOB_MASTER, v, s, attempt, TS_CANCELED, "");
    }
    sp_free(job);
  } else if (type == MSG_JM_HEARTBEAT) {
    char *jm = sp_get_str(r);
    f->heartbeats++;
    if (jm && f->answer) {
      sp_writer w;
      sp_writer_init(&w);
      sp_put_str(&w, FAKE_TE);
      rpc_send(f->rpc, jm, MSG_JM_HEARTBEAT_REPLY, &w);
    }
    sp_free(jm);
  } else if (type == MSG_HEARTBEAT) { /* the ResourceManager's: always answered */
    char *rm = sp_get_str(r);
    if (rm) {
      sp_writer w;
      sp_writer_init(&w);
      sp_put_str(&w, FAKE_TE);
      rpc_send(f->rpc, rm, MSG_HEARTBEAT_REPLY, &w);
    }
    sp_free(rm);
  }
  pthread_mutex_unlock(&f->mu);
  tk_notify();
}

/* A JobMaster that deploys one task by hand and sends heartbeats only when the test says so. */
typedef struct fake_jm {
  pthread_mutex_t mu;
  sp_clock *clock;
  int running, canceled, failed, replies;
  int64_t canceled_at; /* clock time the CANCELED report arrived */
  int rm_requests;     /* the ResourceManager's heartbeat requests (never answered) */
  int rm_replies;      /* answers of a JobMaster to requests sent in its name */
  int offers_ok, offers_refused;
} fake_jm;

static void fake_jm_handle(void *self, uint32_t type, sp_reader *r) {
  fake_jm *j = self;
  pthread_mutex_lock(&j->mu);
  if (type == MSG_TASK_STATE) {
    sp_get_i32(r);
    sp_get_i32(r);
    sp_get_i32(r);
    uint8_t st = sp_get_u8(r);
    if (st == TS_RUNNING) j->running++;
    if (st == TS_FAILED) j->failed++;
    if (st == TS_CANCELED) {
      j->canceled++;
      j->canceled_at = sp_clock_now(j->clock);
    }
  } else if (type == MSG_JM_HEARTBEAT_REPLY) {
    j->replies++;
  } else if (type == MSG_RM_JM_HEARTBEAT) {
    j->rm_requests++;
  } else if (type == MSG_RM_JM_HEARTBEAT_REPLY) {
    j->rm_replies++;
  } else if (type == MSG_SLOTS_OFFER) {
    if (sp_get_u8(r))
      j->offers_ok++;
    else
      j->offers_refused++;
  }
  pthread_mutex_unlock(&j->mu);
  tk_notify();
}

/* The submitting client: the job's events. */
typedef struct client {
  pthread_mutex_t mu;
  int failed_tasks;
  char failure[1024]; /* the message of the first FAILED subtask */
  int result;
} client;

static void client_handle(void *self, uint32_t type, sp_reader *r) {
  client *c = self;
  pthread_mutex_lock(&c->mu);
  if (type == MSG_JOB_EVENT) {
    uint8_t t = sp_get_u8(r);
    char *state = sp_get_str(r), *name = sp_get_str(r);
    sp_get_i32(r);
    sp_get_i32(r);
    sp_get_i32(r);
    sp_get_i64(r);
    sp_get_u8(r);
    char *path = sp_get_str(r), *message = sp_get_str(r);
    if (sp_reader_ok(r) && t == SPATE_EVENT_TASK_STATE && state && !strcmp(state, "FAILED")) {
      if (!c->failed_tasks++) snprintf(c->failure, sizeof c->failure, "%s", message ? message : "");
    }
    sp_free(state);
    sp_free(name);
    sp_free(path);
    sp_free(message);
  } else if (type == MSG_JOB_RESULT) {
    c->result = 1;
  }
  pthread_mutex_unlock(&c->mu);
  tk_notify();
}

static int locked(pthread_mutex_t *mu, const int *v) {
  pthread_mutex_lock(mu);
  int x = *v;
  pthread_mutex_unlock(mu);
  return x;
}

/* ---- the cluster ---------------------------------------------------------------------------- */

typedef struct cluster {
  sp_clock *clock;
  rpc_service *rpc;
  shuffle_env *shuffle;
  resource_manager *rm;
  dispatcher *d;
  task_executor *te;
  fake_te fte;
  fake_jm fjm;
  client cl;
  rpc_endpoint *fte_ep, *fjm_ep, *cl_ep;
} cluster;

static void cluster_start(cluster *c) {
  memset(c, 0, sizeof *c);
  pthread_mutex_init(&c->fte.mu, NULL);
  pthread_mutex_init(&c->fjm.mu, NULL);
  pthread_mutex_init(&c->cl.mu, NULL);
  c->clock = sp_clock_manual(1000000);
  c->fjm.clock = c->clock;
  assert_int_equal(rpc_service_create(c->clock, &c->rpc), 0);
  c->fte.rpc = c->rpc;
  assert_int_equal(shuffle_env_create(&c->shuffle), 0);
  assert_int_equal(rpc_endpoint_start(c->rpc, CLIENT, client_handle, &c->cl, &c->cl_ep), 0);
}

/* The ResourceManager (heartbeats to its TaskExecutors with `rm_heartbeats`) and a Dispatcher
 * whose JobMasters heartbeat their TaskExecutors, with the cluster's failover strategy. */
static void cluster_jobmanager(cluster *c, bool rm_heartbeats, const char *failover) {
  rm_options ro = {0};
  if (rm_heartbeats)
    ro = (rm_options){.heartbeat_interval_ms = INTERVAL,
                      .heartbeat_timeout_ms = TIMEOUT,
                      .heartbeat_failure_threshold = 2};
  assert_int_equal(rm_start(c->rpc, &ro, &c->rm), 0);
  assert_int_equal(dispatcher_start(c->rpc, NULL, NULL, &c->d), 0);
  dispatcher_set_heartbeats(c->d, &g_hb);
  if (failover) assert_int_equal(dispatcher_set_failover_strategy(c->d, failover), 0);
}

/* The stand-in TaskExecutor, registered with 2 slots. */
static void cluster_fake_te(cluster *c) {
  c->fte.answer = true;
  assert_int_equal(rpc_endpoint_start(c->rpc, FAKE_TE, fake_te_handle, &c->fte, &c->fte_ep), 0);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, FAKE_TE);
  sp_put_i32(&w, 2);
  sp_put_str(&w, "");
  sp_put_i64(&w, 0);
  assert_int_equal(rpc_send(c->rpc, RM_ADDRESS, MSG_REGISTER_TASK_EXECUTOR, &w), 0);
  assert_int_equal(rpc_flush(c->rpc, RM_ADDRESS), 0);
}

static void submit(cluster *c, int parallelism, const char *failover) {
  size_t len;
  uint8_t *bytes = job_bytes(parallelism, failover, &len);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, CLIENT);
  sp_put_blob(&w, bytes, (uint32_t)len);
  sp_put_u8(&w, 1);
  sp_put_str(&w, "");
  sp_free(bytes);
  assert_int_equal(rpc_send(c->rpc, DISPATCHER_ADDRESS, MSG_SUBMIT_JOB, &w), 0);
}

static void cluster_stop(cluster *c) {
  dispatcher_stop(c->d);
  if (c->fte_ep) rpc_endpoint_stop(c->fte_ep);
  if (c->fjm_ep) rpc_endpoint_stop(c->fjm_ep);
  te_stop(c->te);
  rm_stop(c->rm);
  rpc_endpoint_stop(c->cl_ep);
  rpc_service_destroy(c->rpc);
  shuffle_env_destroy(c->shuffle);
  sp_clock_free(c->clock);
}

/* Waits until each endpoint in turn has handled what is queued for it, twice (a delayed message
 * that came due with the last clock move may queue behind the first marker). An endpoint that
 * is gone (a stopped stand-in, the JobMaster of a job that ended) has nothing left to handle. */
static void settle(cluster *c, const char *const *endpoints) {
  for (int i = 0; endpoints[i]; i++)
    for (int k = 0; k < 2; k++) {
      int rc = rpc_flush(c->rpc, endpoints[i]);
      if (rc != 0 && rc != SPATE_ENOENT) fail_msg("flushing %s: %d", endpoints[i], rc);
    }
}

/* One heartbeat interval of the JobMaster and the stand-in TaskExecutor: the JobMaster's round,
 * the answer (if any), its arrival, the events it caused. */
static void jm_step(cluster *c) {
  sp_clock_set(c->clock, sp_clock_now(c->clock) + INTERVAL);
  static const char *const order[] = {JOB_MASTER, FAKE_TE, JOB_MASTER, CLIENT, NULL};
  settle(c, order);
}

static int failed_tasks(cluster *c) { return locked(&c->cl.mu, &c->cl.failed_tasks); }

/* Both subtasks of attempt `attempt` deployed on the stand-in and their RUNNING handled. */
static void await_deployed(cluster *c, int attempt) {
  TK_AWAIT(locked(&c->fte.mu, &c->fte.submitted[attempt][0]) == 1 &&
               locked(&c->fte.mu, &c->fte.submitted[attempt][1]) == 1,
           "both subtasks of attempt %d deployed", attempt);
  static const char *const order[] = {JOB_MASTER, CLIENT, NULL};
  settle(c, order);
}

/* The stand-in JobMaster's endpoint. */
static void cluster_fake_jm(cluster *c) {
  assert_int_equal(rpc_endpoint_start(c->rpc, FAKE_JM, fake_jm_handle, &c->fjm, &c->fjm_ep), 0);
}

/* A JobManager (the ResourceManager heartbeating with `rm_heartbeats`), the stand-in
 * TaskExecutor, and the job at parallelism 2 running on it as attempt 0. */
static void cluster_with_job(cluster *c, bool rm_heartbeats) {
  cluster_start(c);
  cluster_jobmanager(c, rm_heartbeats, NULL);
  cluster_fake_te(c);
  submit(c, 2, NULL);
  await_deployed(c, 0);
}

/* ---- the tests ------------------------------------------------------------------------------- */

/* The stand-in JobMaster asks the ResourceManager for n slots for job (the answer is handled
 * when this returns). */
static void fake_jm_request(cluster *c, const char *job, int n) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, job);
  sp_put_str(&w, FAKE_JM);
  sp_put_i32(&w, n);
  assert_int_equal(rpc_send(c->rpc, RM_ADDRESS, MSG_REQUEST_SLOTS, &w), 0);
  static const char *const order[] = {RM_ADDRESS, FAKE_JM, NULL};
  settle(c, order);
}

/* One heartbeat interval of the ResourceManager and the JobMasters it watches. */
static void rm_step(cluster *c) {
  sp_clock_set(c->clock, sp_clock_now(c->clock) + INTERVAL);
  static const char *const order[] = {RM_ADDRESS, JOB_MASTER, FAKE_JM, FAKE_TE,
                                      RM_ADDRESS, JOB_MASTER, CLIENT,  NULL};
  settle(c, order);
}

static void test_resourcemanager_frees_slots_of_silent_jobmaster(void **state) {
  (void)state;
  cluster c;
  cluster_start(&c);
  cluster_jobmanager(&c, true, NULL);
  cluster_fake_jm(&c);
  cluster_fake_te(&c);
  fake_jm_request(&c, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 2);
  assert_int_equal(locked(&c.fjm.mu, &c.fjm.offers_ok), 1);
  for (int i = 1; i < TIMEOUT / INTERVAL; i++) {
    rm_step(&c); /* the stand-in never answers: silent for i s < heartbeat.timeout */
    fake_jm_request(&c, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 1);
    assert_int_equal(locked(&c.fjm.mu, &c.fjm.offers_refused), i); /* both slots still held */
  }
  assert_true(locked(&c.fjm.mu, &c.fjm.rm_requests) >= TIMEOUT / INTERVAL - 1);
  rm_step(&c); /* silent for heartbeat.timeout: its jobs' slots are freed */
  fake_jm_request(&c, "cccccccccccccccccccccccccccccccc", 2);
  assert_int_equal(locked(&c.fjm.mu, &c.fjm.offers_ok), 2);
  cluster_stop(&c);
}

static void test_jobmaster_answers_the_resourcemanager(void **state) {
  (void)state;
  cluster c;
  cluster_with_job(&c, true);
  cluster_fake_jm(&c);
  /* a request in the ResourceManager's form, answered to the address it names */
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, FAKE_JM);
  assert_int_equal(rpc_send(c.rpc, JOB_MASTER, MSG_RM_JM_HEARTBEAT, &w), 0);
  static const char *const order[] = {JOB_MASTER, FAKE_JM, NULL};
  settle(&c, order);
  assert_int_equal(locked(&c.fjm.mu, &c.fjm.rm_replies), 1);
  for (int i = 0; i < 2 * TIMEOUT / INTERVAL; i++) rm_step(&c); /* twice the timeout */
  assert_int_equal(failed_tasks(&c), 0);
  fake_jm_request(&c, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 1);
  assert_int_equal(locked(&c.fjm.mu, &c.fjm.offers_refused), 1); /* the job kept both */
  cluster_stop(&c);
}

static void test_jobmaster_finds_silent_taskexecutor_lost_by_timeout(void **state) {
  (void)state;
  cluster c;
  cluster_with_job(&c, false);
  for (int i = 0; i < 10; i++) jm_step(&c); /* twice the timeout, answered each round */
  assert_int_equal(locked(&c.fte.mu, &c.fte.heartbeats), 10);
  assert_int_equal(failed_tasks(&c), 0);
  c.fte.answer = false; /* the connection would stay open; only the answers stop */
  for (int i = 1; i < TIMEOUT / INTERVAL; i++) {
    jm_step(&c);
    assert_int_equal(failed_tasks(&c), 0); /* silent for i s < heartbeat.timeout */
  }
  jm_step(&c); /* silent for heartbeat.timeout */
  assert_int_equal(failed_tasks(&c), 2);
  pthread_mutex_lock(&c.cl.mu);
  assert_non_null(
      strstr(c.cl.failure, "The heartbeat of TaskManager with id " FAKE_TE " timed out."));
  pthread_mutex_unlock(&c.cl.mu);
  /* the job restarts (on the same slots: the ResourceManager here has no heartbeats of its own
   * and still offers them) */
  await_deployed(&c, 1);
  cluster_stop(&c);
}

static void test_undeliverable_heartbeats_reach_the_threshold(void **state) {
  (void)state;
  cluster c;
  cluster_with_job(&c, false);
  jm_step(&c);
  jm_step(&c);
  assert_int_equal(failed_tasks(&c), 0);
  rpc_endpoint_stop(c.fte_ep); /* gone: every heartbeat request to it fails */
  c.fte_ep = NULL;
  jm_step(&c); /* the first failed heartbeat RPC */
  assert_int_equal(failed_tasks(&c), 0);
  jm_step(&c); /* the second: unreachable, 3 s before the timeout would tell */
  assert_true(failed_tasks(&c) >= 2);
  pthread_mutex_lock(&c.cl.mu);
  assert_non_null(strstr(c.cl.failure, "TaskManager with id " FAKE_TE " is no longer reachable"));
  pthread_mutex_unlock(&c.cl.mu);
  /* its slots are offered again and deploying there fails until the restarts run out */
  TK_AWAIT(locked(&c.cl.mu, &c.cl.result) == 1, "the job's result");
  cluster_stop(&c);
}

static void test_taskexecutor_cancels_tasks_of_silent_jobmaster(void **state) {
  (void)state;
  cluster c;
  cluster_start(&c);
  cluster_jobmanager(&c, true, NULL);
  cluster_fake_jm(&c);
  task_config tc = {.buffer_size = 32768,
                    .buffers_per_channel = 2,
                    .floating_buffers = 8,
                    .buffer_timeout_ms = 0,
                    .clock = c.clock};
  te_options to = {.heartbeat_interval_ms = INTERVAL,
                   .heartbeat_timeout_ms = TIMEOUT,
                   .heartbeat_failure_threshold = 2};
  assert_int_equal(te_start(c.rpc, c.shuffle, 0, 1, &tc, &to, &c.te), 0);
  static const char *const registered[] = {RM_ADDRESS, "taskexecutor-0", NULL};
  settle(&c, registered);
  /* the stand-in JobMaster deploys a task of its own */
  size_t len;
  uint8_t *bytes = job_bytes(1, NULL, &len);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, FAKE_JM);
  sp_put_blob(&w, bytes, (uint32_t)len);
  sp_put_i32(&w, 0);  /* vertex */
  sp_put_i32(&w, 0);  /* subtask */
  sp_put_i32(&w, 0);  /* attempt */
  sp_put_i32(&w, 0);  /* slot */
  sp_put_str(&w, ""); /* no restore */
  sp_put_str(&w, ""); /* the artifact: this program */
  sp_put_str(&w, "");
  sp_put_u32(&w, 1);
  sp_put_str(&w, "");
  sp_free(bytes);
  assert_int_equal(rpc_send(c.rpc, "taskexecutor-0", MSG_SUBMIT_TASK, &w), 0);
  TK_AWAIT(locked(&c.fjm.mu, &c.fjm.running) == 1, "the task running");
  static const char *const order[] = {RM_ADDRESS, "taskexecutor-0", FAKE_JM, NULL};
  for (int i = 0; i < 10; i++) { /* heartbeats each second for twice the timeout */
    sp_writer h;
    sp_writer_init(&h);
    sp_put_str(&h, FAKE_JM);
    sp_put_str(&h, JOB_ID);
    assert_int_equal(rpc_send(c.rpc, "taskexecutor-0", MSG_JM_HEARTBEAT, &h), 0);
    settle(&c, order); /* heard at this time, before the clock moves */
    sp_clock_set(c.clock, sp_clock_now(c.clock) + INTERVAL);
    settle(&c, order);
  }
  assert_int_equal(locked(&c.fjm.mu, &c.fjm.replies), 10);
  assert_int_equal(locked(&c.fjm.mu, &c.fjm.canceled), 0);
  /* the JobMaster falls silent; the last heartbeat arrived one interval ago */
  int64_t silent_since = sp_clock_now(c.clock) - INTERVAL;
  for (int i = 2; i < TIMEOUT / INTERVAL; i++) {
    sp_clock_set(c.clock, sp_clock_now(c.clock) + INTERVAL);
    settle(&c, order);
  }
  assert_int_equal(locked(&c.fjm.mu, &c.fjm.canceled), 0);
  sp_clock_set(c.clock, sp_clock_now(c.clock) + INTERVAL); /* silent for heartbeat.timeout */
  TK_AWAIT(locked(&c.fjm.mu, &c.fjm.canceled) == 1, "the silent JobMaster's task cancelled");
  pthread_mutex_lock(&c.fjm.mu);
  assert_true(c.fjm.canceled_at >= silent_since + TIMEOUT);
  assert_int_equal(c.fjm.failed, 0);
  pthread_mutex_unlock(&c.fjm.mu);
  /* the TaskExecutor did not lose its ResourceManager: it still answers heartbeats */
  sp_writer h;
  sp_writer_init(&h);
  sp_put_str(&h, FAKE_JM);
  sp_put_str(&h, JOB_ID);
  assert_int_equal(rpc_send(c.rpc, "taskexecutor-0", MSG_JM_HEARTBEAT, &h), 0);
  settle(&c, order);
  assert_int_equal(locked(&c.fjm.mu, &c.fjm.replies), 11);
  cluster_stop(&c);
}

/* A failure of subtask 0 on a cluster whose JobManager says `cluster_failover`, for a job that
 * says `job_failover`; returns once subtask 0 runs again as attempt 1. */
static void fail_subtask_0(cluster *c, const char *cluster_failover, const char *job_failover) {
  cluster_start(c);
  cluster_jobmanager(c, false, cluster_failover);
  cluster_fake_te(c);
  submit(c, 2, job_failover);
  await_deployed(c, 0);
  send_state(c->rpc, JOB_MASTER, 0, 0, 0, TS_FAILED, "injected failure");
  TK_AWAIT(locked(&c->fte.mu, &c->fte.submitted[1][0]) == 1, "subtask 0 deployed again");
  static const char *const order[] = {JOB_MASTER, FAKE_TE, JOB_MASTER, NULL};
  settle(c, order);
}

static void test_cluster_failover_full_restarts_everything(void **state) {
  (void)state;
  cluster c;
  fail_subtask_0(&c, "full", NULL);
  assert_int_equal(locked(&c.fte.mu, &c.fte.cancels[0][1]), 1); /* the healthy region too */
  assert_int_equal(locked(&c.fte.mu, &c.fte.submitted[1][1]), 1);
  cluster_stop(&c);
}

static void test_job_failover_setting_wins_over_the_cluster(void **state) {
  (void)state;
  cluster c;
  fail_subtask_0(&c, "full", "region");
  assert_int_equal(locked(&c.fte.mu, &c.fte.cancels[0][1]), 0); /* the other region runs on */
  assert_int_equal(locked(&c.fte.mu, &c.fte.submitted[1][1]), 0);
  cluster_stop(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jobmaster_finds_silent_taskexecutor_lost_by_timeout),
      cmocka_unit_test(test_undeliverable_heartbeats_reach_the_threshold),
      cmocka_unit_test(test_taskexecutor_cancels_tasks_of_silent_jobmaster),
      cmocka_unit_test(test_cluster_failover_full_restarts_everything),
      cmocka_unit_test(test_job_failover_setting_wins_over_the_cluster),
      cmocka_unit_test(test_resourcemanager_frees_slots_of_silent_jobmaster),
      cmocka_unit_test(test_jobmaster_answers_the_resourcemanager),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
