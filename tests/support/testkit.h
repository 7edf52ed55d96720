/*
 * testkit.h: what every test that runs jobs needs to wait without sleeping and without hanging.
 *
 * Waiting: TK_AWAIT(expr, "what", ...) blocks until expr holds, re-checking it whenever something
 * calls tk_notify() (job events through tk_listener, UDFs that changed what a test waits for),
 * and fails the test naming what it awaited once TK_TIMEOUT_MS of real time pass. Nothing here
 * sleeps a fixed time: a wait ends as soon as its condition holds, and the deadline only turns a
 * hang into a failure with a message.
 *
 * Jobs: tk_run executes an environment's job and waits for its end with the same deadline
 * (cancelling and failing the test if it does not end); tk_wait does that for a client.
 * tk_events records a job's events (spate_job_listener) for TK_AWAIT: triggered, completed and
 * failed checkpoints, the job's status, and every subtask's current state. tk_checkpoint and
 * tk_savepoint are the client's checkpoint and savepoint calls with the same deadline.
 *
 * Holding tasks back: a tk_gate is a condition UDFs wait at until the test opens it (a slow sink,
 * a failure that must wait for something else); the test awaits the UDFs' arrival first.
 *
 * Files: tk_mkdtemp and tk_rm_rf (nftw) instead of shelling out.
 *
 * Header-only: each test program is one translation unit; include <cmocka.h> before it (and
 * define _GNU_SOURCE at the top of the test file, for nftw).
 */
#ifndef SPATE_TESTS_TESTKIT_H
#define SPATE_TESTS_TESTKIT_H
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spate/spate.h"

/* The longest any single wait may take before the test fails: generous, so that a slow or
 * loaded machine (sanitizers, two cores, a soak run) never trips it; a correct run waits far
 * less. SPATE_TEST_TIMEOUT_MS overrides it. */
#define TK_DEFAULT_TIMEOUT_MS 120000

/* Copies the string src into dst[len] (len > 0), cut to fit. */
static inline void tk_copy(char *dst, size_t len, const char *src) {
  size_t n = strnlen(src, len - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static inline int64_t tk_timeout_ms(void) {
  const char *v = getenv("SPATE_TEST_TIMEOUT_MS");
  long long ms = v ? atoll(v) : 0;
  return ms > 0 ? ms : TK_DEFAULT_TIMEOUT_MS;
}
#define TK_TIMEOUT_MS tk_timeout_ms()

static inline int64_t tk_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- waiting ------------------------------------------------------------------------------- */

typedef struct tk_waitset {
  pthread_once_t once;
  pthread_mutex_t mu;
  pthread_cond_t cond; /* on CLOCK_MONOTONIC */
  _Atomic int waiters;
} tk_waitset;

static tk_waitset tk_ws = {.once = PTHREAD_ONCE_INIT};

static inline void tk_ws_init(void) {
  pthread_mutex_init(&tk_ws.mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&tk_ws.cond, &ca);
  pthread_condattr_destroy(&ca);
}

/* Wakes every TK_AWAIT so it re-checks its condition. Call after changing what a test may be
 * waiting for (any thread; costs one atomic load when nobody waits). */
static inline void tk_notify(void) {
  if (atomic_load(&tk_ws.waiters) == 0) return;
  pthread_once(&tk_ws.once, tk_ws_init);
  pthread_mutex_lock(&tk_ws.mu);
  pthread_cond_broadcast(&tk_ws.cond);
  pthread_mutex_unlock(&tk_ws.mu);
}

static inline void tk_await_begin(void) {
  pthread_once(&tk_ws.once, tk_ws_init);
  atomic_fetch_add(&tk_ws.waiters, 1); /* before the first check: a notify after it is seen */
  pthread_mutex_lock(&tk_ws.mu);
}

/* Waits for a notify (at most 50 ms, so a condition nobody notifies about is still re-checked);
 * false once the deadline has passed. */
static inline bool tk_await_step(int64_t deadline_ms) {
  int64_t now = tk_mono_ms();
  if (now >= deadline_ms) return false;
  int64_t until = deadline_ms - now < 50 ? deadline_ms : now + 50;
  struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000L};
  pthread_cond_timedwait(&tk_ws.cond, &tk_ws.mu, &ts);
  return true;
}

static inline void tk_await_end(void) {
  pthread_mutex_unlock(&tk_ws.mu);
  atomic_fetch_sub(&tk_ws.waiters, 1);
}

/* Waits until expr holds; fails the test with "timed out after N ms awaiting <what>" when it
 * does not within TK_TIMEOUT_MS. expr is evaluated under the wait set's lock: it must not
 * block. */
#define TK_AWAIT(expr, ...)                                                              \
  do {                                                                                   \
    int64_t tk_timeout_ = TK_TIMEOUT_MS, tk_deadline_ = tk_mono_ms() + tk_timeout_;      \
    tk_await_begin();                                                                    \
    bool tk_ok_ = true;                                                                  \
    while (!(expr))                                                                      \
      if (!tk_await_step(tk_deadline_)) {                                                \
        tk_ok_ = (expr);                                                                 \
        break;                                                                           \
      }                                                                                  \
    tk_await_end();                                                                      \
    if (!tk_ok_) {                                                                       \
      char tk_what_[512];                                                                \
      snprintf(tk_what_, sizeof tk_what_, __VA_ARGS__);                                  \
      fail_msg("timed out after %lld ms awaiting %s", (long long)tk_timeout_, tk_what_); \
    }                                                                                    \
  } while (0)

/* ---- job events ---------------------------------------------------------------------------- */

#define TK_MAX_TASKS 256

/* What a job's events said so far; read it inside TK_AWAIT conditions or after the job. */
typedef struct tk_events {
  _Atomic int triggered;          /* checkpoints and savepoints triggered */
  _Atomic int completed;          /* checkpoints completed (savepoints not counted) */
  _Atomic int savepoints;         /* savepoints completed */
  _Atomic int failed;             /* checkpoints and savepoints that failed */
  _Atomic int64_t last_completed; /* id of the newest completed checkpoint */
  _Atomic int attempt;            /* the job's attempt of the newest event */
  _Atomic int restarts;           /* RESTARTING switches */
  _Atomic int running;            /* subtasks of the current attempt that are RUNNING */
  _Atomic int scheduled;          /* subtasks of the current attempt (the JobMaster schedules them
                                     all before any reports RUNNING) */
  char status[32];                /* the job's newest status ("" before any); under tk_ws.mu */
  char task_state[TK_MAX_TASKS][16]; /* by vertex * 32 + subtask, current attempt */
  char last_failure[1024];           /* the newest failure message (task or checkpoint) */
} tk_events;

static inline void tk_events_reset(tk_events *ev) {
  pthread_once(&tk_ws.once, tk_ws_init);
  pthread_mutex_lock(&tk_ws.mu);
  memset(ev, 0, sizeof *ev);
  pthread_mutex_unlock(&tk_ws.mu);
}

/* A spate_job_listener recording into the tk_events given as arg. */
static inline void tk_listener(void *arg, const spate_job_event *e) {
  tk_events *ev = arg;
  pthread_once(&tk_ws.once, tk_ws_init);
  pthread_mutex_lock(&tk_ws.mu);
  if (e->attempt != atomic_load(&ev->attempt)) { /* a new attempt: its tasks start over */
    atomic_store(&ev->attempt, e->attempt);
    atomic_store(&ev->running, 0);
    atomic_store(&ev->scheduled, 0);
    memset(ev->task_state, 0, sizeof ev->task_state);
  }
  switch (e->type) {
  case SPATE_EVENT_JOB_STATUS:
    snprintf(ev->status, sizeof ev->status, "%s", e->state);
    if (strcmp(e->state, "RESTARTING") == 0) atomic_fetch_add(&ev->restarts, 1);
    break;
  case SPATE_EVENT_TASK_STATE: {
    int k = e->vertex * 32 + e->subtask;
    if (k >= 0 && k < TK_MAX_TASKS && e->subtask < 32) {
      bool was = strcmp(ev->task_state[k], "RUNNING") == 0, is = strcmp(e->state, "RUNNING") == 0;
      if (was != is) atomic_fetch_add(&ev->running, is ? 1 : -1);
      if (strcmp(e->state, "SCHEDULED") == 0) atomic_fetch_add(&ev->scheduled, 1);
      snprintf(ev->task_state[k], sizeof ev->task_state[k], "%s", e->state);
    }
    if (e->message) snprintf(ev->last_failure, sizeof ev->last_failure, "%s", e->message);
    break;
  }
  case SPATE_EVENT_CHECKPOINT_COMPLETED:
    if (e->savepoint) {
      atomic_fetch_add(&ev->savepoints, 1);
    } else {
      atomic_store(&ev->last_completed, e->checkpoint_id);
      atomic_fetch_add(&ev->completed, 1);
    }
    break;
  case SPATE_EVENT_CHECKPOINT_TRIGGERED: atomic_fetch_add(&ev->triggered, 1); break;
  case SPATE_EVENT_CHECKPOINT_FAILED:
    atomic_fetch_add(&ev->failed, 1);
    if (e->message) snprintf(ev->last_failure, sizeof ev->last_failure, "%s", e->message);
    break;
  }
  pthread_cond_broadcast(&tk_ws.cond);
  pthread_mutex_unlock(&tk_ws.mu);
}

/* Every subtask of the job's current attempt is RUNNING (what a checkpoint needs). */
static inline bool tk_all_running(const tk_events *ev) {
  int n = atomic_load(&ev->scheduled);
  return n > 0 && atomic_load(&ev->running) == n;
}

/* Inside TK_AWAIT (under the lock): the job's newest status is s. */
static inline bool tk_status_is(const tk_events *ev, const char *s) {
  return strcmp(ev->status, s) == 0;
}

/* Inside TK_AWAIT: subtask `subtask` of job vertex `vertex` is in state s (current attempt). */
static inline bool tk_task_is(const tk_events *ev, int vertex, int subtask, const char *s) {
  int k = vertex * 32 + subtask;
  return k >= 0 && k < TK_MAX_TASKS && strcmp(ev->task_state[k], s) == 0;
}

/* ---- running jobs --------------------------------------------------------------------------- */

/* Waits for the end of a job (at most TK_TIMEOUT_MS, then cancels it and fails the test). */
static inline spate_job_result *tk_wait(spate_job_client *c, const char *what) {
  int64_t timeout = TK_TIMEOUT_MS;
  spate_job_result *r = spate_job_client_wait_for(c, timeout);
  if (!r) {
    spate_job_client_cancel(c);
    spate_job_result_free(spate_job_client_wait_for(c, timeout));
    fail_msg("timed out after %lld ms awaiting the end of job '%s'", (long long)timeout, what);
  }
  return r;
}

/* spate_execute with a deadline: never NULL (fails the test instead). */
static inline spate_job_result *tk_run(spate_env *env, const char *name) {
  spate_job_client *c = spate_execute_async(env, name);
  if (!c) fail_msg("job '%s' could not be submitted: %s", name, spate_env_error(env));
  return tk_wait(c, name);
}

/* Runs a job that must fail (tk_run) and returns a copy of its error (free() it); fails the test
 * when the job ends otherwise. Frees env. */
static inline char *tk_run_failing(spate_env *env, const char *name) {
  spate_job_result *res = tk_run(env, name);
  assert_int_equal(spate_job_result_status(res), SPATE_JOB_FAILED);
  char *err = strdup(spate_job_result_error(res));
  spate_job_result_free(res);
  spate_env_free(env);
  return err;
}

/* Fails the test unless s contains part, quoting both. */
static inline void tk_assert_contains(const char *s, const char *part) {
  if (!strstr(s, part)) fail_msg("'%s' does not contain '%s'", s, part);
}

/* ---- checkpoints and savepoints on request, with a deadline -------------------------------- */

/* One client call on a thread of its own, so that the test waits for it with TK_AWAIT. The call
 * and the waiting test each hold a reference; the last one frees it (a test that timed out
 * leaves the call running). */
typedef struct tk_call {
  spate_job_client *c;
  bool savepoint, stop;
  bool stop_call, drain; /* spate_job_client_stop_with_savepoint(drain) */
  char dir[4096];
  int rc;
  int64_t id;
  char path[4096], err[1024];
  _Atomic bool done;
  _Atomic int refs;
} tk_call;

static inline void tk_call_unref(tk_call *call) {
  if (atomic_fetch_sub(&call->refs, 1) == 1) free(call);
}

static inline void *tk_call_main(void *arg) {
  tk_call *call = arg;
  if (call->stop_call)
    call->rc = spate_job_client_stop_with_savepoint(call->c, call->dir[0] ? call->dir : NULL,
                                                    call->drain, call->path, sizeof call->path,
                                                    call->err, sizeof call->err);
  else if (call->savepoint)
    call->rc =
        spate_job_client_savepoint(call->c, call->dir[0] ? call->dir : NULL, call->stop, call->path,
                                   sizeof call->path, call->err, sizeof call->err);
  else
    call->rc = spate_job_client_checkpoint(call->c, &call->id, call->err, sizeof call->err);
  atomic_store(&call->done, true);
  tk_notify();
  tk_call_unref(call);
  return NULL;
}

/* Runs the call and waits for it (at most TK_TIMEOUT_MS, then fails the test); returns it with
 * the caller's reference. */
static inline tk_call *tk_call_run(tk_call *call, const char *what) {
  atomic_store(&call->refs, 2);
  pthread_t th;
  if (pthread_create(&th, NULL, tk_call_main, call) != 0) fail_msg("cannot start a thread");
  pthread_detach(th);
  TK_AWAIT(atomic_load(&call->done), "%s", what);
  return call;
}

/* spate_job_client_checkpoint with a deadline: 0 or the error code, with the reason in err. */
static inline int tk_checkpoint(spate_job_client *c, int64_t *id, char *err, size_t err_len) {
  tk_call *call = calloc(1, sizeof *call);
  if (!call) fail_msg("out of memory");
  call->c = c;
  tk_call_run(call, "a checkpoint triggered on request");
  int rc = call->rc;
  if (id) *id = call->id;
  if (err && err_len) tk_copy(err, err_len, call->err);
  tk_call_unref(call);
  return rc;
}

/* spate_job_client_savepoint with a deadline. */
static inline int tk_savepoint(spate_job_client *c, const char *dir, bool stop, char *path,
                               size_t path_len, char *err, size_t err_len) {
  tk_call *call = calloc(1, sizeof *call);
  if (!call) fail_msg("out of memory");
  call->c = c;
  call->savepoint = true;
  call->stop = stop;
  snprintf(call->dir, sizeof call->dir, "%s", dir ? dir : "");
  tk_call_run(call, stop ? "a stop-with-savepoint" : "a savepoint");
  int rc = call->rc;
  if (path && path_len) tk_copy(path, path_len, call->path);
  if (err && err_len) tk_copy(err, err_len, call->err);
  tk_call_unref(call);
  return rc;
}

/* spate_job_client_stop_with_savepoint with a deadline. */
static inline int tk_stop_with_savepoint(spate_job_client *c, const char *dir, bool drain,
                                         char *path, size_t path_len, char *err, size_t err_len) {
  tk_call *call = calloc(1, sizeof *call);
  if (!call) fail_msg("out of memory");
  call->c = c;
  call->stop_call = true;
  call->drain = drain;
  snprintf(call->dir, sizeof call->dir, "%s", dir ? dir : "");
  tk_call_run(call, drain ? "a stop-with-savepoint with drain" : "a stop-with-savepoint");
  int rc = call->rc;
  if (path && path_len) tk_copy(path, path_len, call->path);
  if (err && err_len) tk_copy(err, err_len, call->err);
  tk_call_unref(call);
  return rc;
}

/* ---- gates ------------------------------------------------------------------------------------ */

/* A gate UDFs wait at (tk_gate_pass) until the test opens it. `arrived` counts the calls that
 * found it closed, so a test awaits "n subtasks are held" before it acts. A UDF waits at most
 * TK_TIMEOUT_MS: then tk_gate_pass returns false and the UDF should fail the job, so that a test
 * that never opens its gate ends instead of hanging. */
typedef struct tk_gate {
  pthread_mutex_t mu;
  pthread_cond_t cond; /* on CLOCK_MONOTONIC */
  bool inited, open;
  _Atomic int arrived;
} tk_gate;

/* Closes the gate (initialising it the first time); no UDF may be waiting at it. */
static inline void tk_gate_reset(tk_gate *g) {
  if (!g->inited) {
    pthread_mutex_init(&g->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->cond, &ca);
    pthread_condattr_destroy(&ca);
    g->inited = true;
  }
  pthread_mutex_lock(&g->mu);
  g->open = false;
  atomic_store(&g->arrived, 0);
  pthread_mutex_unlock(&g->mu);
}

/* How many UDF calls found the gate closed (readable inside TK_AWAIT). */
static inline int tk_gate_arrived(tk_gate *g) { return atomic_load(&g->arrived); }

static inline void tk_gate_open(tk_gate *g) {
  pthread_mutex_lock(&g->mu);
  g->open = true;
  pthread_cond_broadcast(&g->cond);
  pthread_mutex_unlock(&g->mu);
}

/* In a UDF: returns at once when the gate is open, else counts the arrival and waits until it
 * opens (true) or TK_TIMEOUT_MS passed (false). */
static inline bool tk_gate_pass(tk_gate *g) {
  pthread_mutex_lock(&g->mu);
  if (g->open) {
    pthread_mutex_unlock(&g->mu);
    return true;
  }
  atomic_fetch_add(&g->arrived, 1);
  tk_notify();
  int64_t deadline = tk_mono_ms() + TK_TIMEOUT_MS;
  struct timespec ts = {(time_t)(deadline / 1000), (long)(deadline % 1000) * 1000000L};
  int rc = 0;
  while (!g->open && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&g->cond, &g->mu, &ts);
  bool open = g->open;
  pthread_mutex_unlock(&g->mu);
  return open;
}

/* ---- files ------------------------------------------------------------------------------------ */

static inline int tk_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

/* rm -rf path; fails the test if something stays. A missing path is fine. */
static inline void tk_rm_rf(const char *path) {
  if (access(path, F_OK) != 0) return;
  if (nftw(path, tk_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
    fail_msg("cannot remove %s: %s", path, strerror(errno));
}

/* A fresh directory /tmp/<prefix>XXXXXX in buf (cap bytes). */
static inline void tk_mkdtemp(char *buf, size_t cap, const char *prefix) {
  snprintf(buf, cap, "/tmp/%sXXXXXX", prefix);
  if (!mkdtemp(buf)) fail_msg("mkdtemp %s: %s", buf, strerror(errno));
}
#endif
