/*
 * test_cluster_view.c: the JobManager's cluster view (cluster/cluster_view.h) as its writers
 * leave it for the REST endpoint: subtask attempts (numbers, state times, TaskManager and data
 * endpoint, prior attempts kept and bounded), the exception history (task and job failures,
 * concurrent failures grouped under their root, roots bounded by the history size and the
 * history then truncated) and the job's execution configuration.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/config.h"
#include "cluster/cluster_view.h"
#include "graph/stream_graph.h"
#include "spate/spate.h"

#define JOB "0123456789abcdef0123456789abcdef"

int cvt_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out);
int cvt_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, i);
  return 0;
}

/* A view showing a job of one vertex at parallelism 2 (a generator into a discarding sink). */
static cluster_view *view_with_job(void) {
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "n BIGINT");
  spate_discard(spate_generate(env, s, cvt_gen, 10));
  env->g->default_parallelism = 2;
  job_graph *jg = NULL;
  char err[SP_ERRMSG_MAX];
  if (jobgraph_build(env->g, &jg, err, sizeof err) < 0) fail_msg("%s", err);
  memcpy(jg->job_id, JOB, sizeof jg->job_id);
  cluster_view *v = NULL;
  assert_int_equal(cluster_view_create(&v), 0);
  cv_job_added(v, jg, 1000);
  char id[33];
  jobgraph_vertex_id(jg, 0, id);
  assert_string_equal(v->jobs[0].vertices[0].id, id);
  jobgraph_free(jg);
  spate_env_free(env);
  return v;
}

/* Runs subtask s through a deployment to `end` at times from t. */
static void run_subtask(cluster_view *v, int s, task_state end, int64_t t) {
  cv_task_state(v, JOB, 0, s, TS_SCHEDULED, t);
  cv_task_deployed(v, JOB, 0, s, "host:1/taskexecutor-0", "host:2");
  cv_task_state(v, JOB, 0, s, TS_DEPLOYING, t + 1);
  cv_task_state(v, JOB, 0, s, TS_RUNNING, t + 2);
  cv_task_state(v, JOB, 0, s, end, t + 3);
}

static void test_attempts(void **state) {
  (void)state;
  cluster_view *v = view_with_job();
  cv_job *j = &v->jobs[0];
  assert_int_equal(j->ntasks, 2);
  assert_int_equal(j->subtasks[0].cur.number, 0);
  assert_int_equal(j->subtasks[0].cur.ts[TS_CREATED], 1000);
  assert_null(j->subtasks[0].cur.tm_id);
  run_subtask(v, 0, TS_FAILED, 2000);
  const cv_attempt *a = &j->subtasks[0].cur;
  assert_int_equal(a->state, TS_FAILED);
  assert_string_equal(a->tm_id, "host:1/taskexecutor-0");
  assert_string_equal(a->endpoint, "host:2");
  assert_int_equal(a->ts[TS_SCHEDULED], 2000);
  assert_int_equal(a->ts[TS_DEPLOYING], 2001);
  assert_int_equal(a->ts[TS_RUNNING], 2002);
  assert_int_equal(a->ts[TS_FAILED], 2003);
  /* a region restart: CREATED again starts attempt 1 and keeps attempt 0's final record */
  cv_task_state(v, JOB, 0, 0, TS_CREATED, 3000);
  assert_int_equal(j->subtasks[0].cur.number, 1);
  assert_int_equal(j->subtasks[0].cur.state, TS_CREATED);
  assert_int_equal(j->subtasks[0].cur.ts[TS_CREATED], 3000);
  assert_null(j->subtasks[0].cur.tm_id);
  assert_int_equal(j->subtasks[0].nprior, 1);
  assert_int_equal(j->subtasks[0].prior[0].number, 0);
  assert_int_equal(j->subtasks[0].prior[0].state, TS_FAILED);
  assert_string_equal(j->subtasks[0].prior[0].endpoint, "host:2");
  /* subtask 1 never left CREATED: a full restart does not count an attempt for it */
  cv_job_new_attempt(v, JOB);
  assert_int_equal(j->subtasks[1].cur.number, 0);
  assert_int_equal(j->subtasks[1].nprior, 0);
  /* subtask 0's attempt 1 had not left CREATED either */
  assert_int_equal(j->subtasks[0].cur.number, 1);
  /* prior attempts are bounded: the oldest go */
  for (int k = 0; k < CV_MAX_PRIOR_ATTEMPTS + 3; k++) {
    run_subtask(v, 1, TS_CANCELED, 4000 + 10 * k);
    cv_job_new_attempt(v, JOB);
  }
  const cv_subtask *st = &j->subtasks[1];
  assert_int_equal(st->cur.number, CV_MAX_PRIOR_ATTEMPTS + 3);
  assert_int_equal(st->nprior, CV_MAX_PRIOR_ATTEMPTS);
  assert_int_equal(st->prior[0].number, 3);
  assert_int_equal(st->prior[CV_MAX_PRIOR_ATTEMPTS - 1].number, CV_MAX_PRIOR_ATTEMPTS + 2);
  cluster_view_free(v);
}

static void test_exception_history(void **state) {
  (void)state;
  cluster_view *v = view_with_job();
  v->exception_history = 3;
  cv_job *j = &v->jobs[0];
  run_subtask(v, 0, TS_FAILED, 2000);
  cv_job_failure(v, JOB, 0, 0, "boom", false, 2003);
  cv_job_failure(v, JOB, 0, 1, "lost too", true, 2004);
  assert_int_equal(j->nfailures, 1);
  const cv_failure *f = &j->failures[0];
  assert_string_equal(f->message, "boom");
  assert_non_null(strstr(f->task, " (1/2)"));
  assert_string_equal(f->location, "host:2");
  assert_string_equal(f->tm_id, "host:1/taskexecutor-0");
  assert_int_equal(f->at_ms, 2003);
  assert_int_equal(f->nconcurrent, 1);
  assert_non_null(strstr(f->concurrent[0].task, " (2/2)"));
  assert_null(f->concurrent[0].location); /* subtask 1 was never deployed */
  /* a failure of the job as a whole */
  cv_job_failure(v, JOB, -1, -1, "checkpoint tolerance exceeded", false, 5000);
  assert_int_equal(j->nfailures, 2);
  assert_null(j->failures[1].task);
  assert_false(j->failures_truncated);
  /* more roots than the history keeps: the oldest go */
  cv_job_failure(v, JOB, -1, -1, "third", false, 6000);
  cv_job_failure(v, JOB, -1, -1, "fourth", false, 7000);
  assert_int_equal(j->nfailures, 3);
  assert_true(j->failures_truncated);
  assert_string_equal(j->failures[0].message, "checkpoint tolerance exceeded");
  assert_string_equal(j->failures[2].message, "fourth");
  /* concurrent failures are bounded by the history size too */
  for (int k = 0; k < 5; k++) cv_job_failure(v, JOB, 0, 1, "more", true, 8000 + k);
  assert_int_equal(j->failures[2].nconcurrent, 3);
  /* an unknown job is nothing to record */
  cv_job_failure(v, "ffffffffffffffffffffffffffffffff", -1, -1, "x", false, 1);
  assert_int_equal(j->nfailures, 3);
  cluster_view_free(v);
}

static void test_execution_config(void **state) {
  (void)state;
  cluster_view *v = view_with_job();
  cv_job *j = &v->jobs[0];
  assert_int_equal(j->parallelism, -1);
  assert_null(j->restart_strategy);
  sp_config *cfg = sp_config_new();
  char err[SP_ERRMSG_MAX];
  assert_int_equal(sp_config_set(cfg, "parallelism.default", "3", "t", err, sizeof err), 0);
  assert_int_equal(sp_config_set(cfg, "restart-strategy.type", "fixed-delay", "t", err, sizeof err),
                   0);
  cv_job_execution_config(v, JOB, cfg, "FixedDelayRestartBackoffTimeStrategy(...)");
  sp_config_free(cfg);
  assert_int_equal(j->parallelism, 3);
  assert_string_equal(j->restart_strategy, "FixedDelayRestartBackoffTimeStrategy(...)");
  assert_int_equal(j->nconfig, 2);
  assert_string_equal(j->config_kv[0], "parallelism.default");
  assert_string_equal(j->config_kv[1], "3");
  assert_string_equal(j->config_kv[2], "restart-strategy.type");
  assert_string_equal(j->config_kv[3], "fixed-delay");
  cluster_view_free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_attempts),
      cmocka_unit_test(test_exception_history),
      cmocka_unit_test(test_execution_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
