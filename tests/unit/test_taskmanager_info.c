/*
 * test_taskmanager_info.c: what the JobManager learns about a TaskManager's process for REST
 * (cluster/taskmanager_info.h), with a real TaskExecutor-side answer and the asker's wait in one
 * process: process figures and jobs, the log list, log files (confined names refused with the
 * TaskManager's reason), the thread dump naming a task thread by its task; a request to an
 * endpoint that never answers times out with a message; the reply codec refuses truncations.
 * Also which configuration keys /jobmanager/config masks (Flink's sensitive keys).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/testkit.h"

#include "base/alloc.h"
#include "base/clock.h"
#include "cluster/messages.h"
#include "cluster/taskmanager_info.h"
#include "rest/rest_cluster_json.h"
#include "runtime/thread_dump.h"

static rpc_service *rpc;
static char dir[256];

/* The TaskExecutor's side: answers as task_executor.c does, with one job. */
static void te_handle(void *self, uint32_t type, sp_reader *r) {
  (void)self;
  const char *jobs[] = {"0123456789abcdef0123456789abcdef"};
  if (type == MSG_TM_INFO_REQUEST) tm_info_answer(rpc, r, jobs, 1);
}
static void silent(void *self, uint32_t type, sp_reader *r) { (void)self, (void)type, (void)r; }

static int setup(void **state) {
  (void)state;
  tk_mkdtemp(dir, sizeof dir, "spate-tminfo-");
  char p[600];
  snprintf(p, sizeof p, "%s/tm.log", dir);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs("TaskManager log line\n", f);
  fclose(f);
  snprintf(p, sizeof p, "%s/tm.out", dir);
  f = fopen(p, "w");
  fputs("printed\n", f);
  fclose(f);
  snprintf(p, sizeof p, "%s/tm.log", dir);
  sp_log_files_set(p, NULL);
  assert_int_equal(rpc_service_create(NULL, &rpc), 0);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  rpc_service_destroy(rpc);
  sp_log_files_set(NULL, NULL);
  tk_rm_rf(dir);
  return 0;
}

static void test_answers(void **state) {
  (void)state;
  rpc_endpoint *te;
  assert_int_equal(rpc_endpoint_start(rpc, "taskexecutor-0", te_handle, NULL, &te), 0);
  tm_info_reply r;
  char err[SP_ERRMSG_MAX];
  assert_int_equal(
      tm_info_request(rpc, "taskexecutor-0", TM_INFO_DETAILS, NULL, 60000, &r, err, sizeof err), 0);
  assert_int_equal(r.rc, 0);
  assert_true(r.stats.cpu_cores > 0 && r.stats.physical_memory > 0 && r.stats.rss > 0);
  assert_true(r.stats.threads >= 2);
  assert_int_equal(r.n_jobs, 1);
  assert_string_equal(r.jobs[0], "0123456789abcdef0123456789abcdef");
  tm_info_reply_free(&r);

  assert_int_equal(
      tm_info_request(rpc, "taskexecutor-0", TM_INFO_LOGS, NULL, 60000, &r, err, sizeof err), 0);
  assert_int_equal(r.logs.n, 2);
  assert_string_equal(r.logs.files[0].name, "tm.log");
  assert_int_equal(r.logs.files[1].size, 8);
  tm_info_reply_free(&r);

  assert_int_equal(
      tm_info_request(rpc, "taskexecutor-0", TM_INFO_LOG, NULL, 60000, &r, err, sizeof err), 0);
  assert_string_equal(r.file.data, "TaskManager log line\n");
  tm_info_reply_free(&r);
  assert_int_equal(
      tm_info_request(rpc, "taskexecutor-0", TM_INFO_STDOUT, NULL, 60000, &r, err, sizeof err), 0);
  assert_string_equal(r.file.data, "printed\n");
  tm_info_reply_free(&r);
  assert_int_equal(
      tm_info_request(rpc, "taskexecutor-0", TM_INFO_FILE, "tm.out", 60000, &r, err, sizeof err),
      0);
  assert_string_equal(r.file.data, "printed\n");
  tm_info_reply_free(&r);
  /* refused by the TaskManager itself: its answer carries the reason */
  assert_int_equal(tm_info_request(rpc, "taskexecutor-0", TM_INFO_FILE, "../etc/passwd", 60000, &r,
                                   err, sizeof err),
                   0);
  assert_int_equal(r.rc, SPATE_EINVAL);
  assert_non_null(strstr(r.error, "Invalid log file name"));
  tm_info_reply_free(&r);
  assert_int_equal(
      tm_info_request(rpc, "taskexecutor-0", TM_INFO_FILE, "none", 60000, &r, err, sizeof err), 0);
  assert_int_equal(r.rc, SPATE_ENOENT);
  tm_info_reply_free(&r);
  rpc_endpoint_stop(te);
}

/* A thread that poses as a task thread until told to end. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int phase;
static void *task_thread(void *arg) {
  (void)arg;
  thread_dump_task_begin("Source: numbers -> Map (2/4)#0");
  pthread_mutex_lock(&mu);
  phase = 1;
  pthread_cond_broadcast(&cond);
  while (phase != 2) pthread_cond_wait(&cond, &mu);
  pthread_mutex_unlock(&mu);
  thread_dump_task_end();
  return NULL;
}

static void test_thread_dump(void **state) {
  (void)state;
  rpc_endpoint *te;
  assert_int_equal(rpc_endpoint_start(rpc, "taskexecutor-0", te_handle, NULL, &te), 0);
  pthread_t th;
  phase = 0;
  assert_int_equal(pthread_create(&th, NULL, task_thread, NULL), 0);
  pthread_mutex_lock(&mu);
  while (phase != 1) pthread_cond_wait(&cond, &mu);
  pthread_mutex_unlock(&mu);
  tm_info_reply r;
  char err[SP_ERRMSG_MAX];
  /* The thread has let go of the mutex, but may not sleep in its wait yet (it is RUNNABLE for
   * that moment): dumps are taken until it shows WAITING, within the deadline. */
  bool found = false, waiting = false;
  int64_t deadline = sp_mono_ms() + 60000;
  while (!waiting && sp_mono_ms() < deadline) {
    assert_int_equal(tm_info_request(rpc, "taskexecutor-0", TM_INFO_THREAD_DUMP, NULL, 60000, &r,
                                     err, sizeof err),
                     0);
    for (size_t i = 0; i < r.dump.n; i++)
      if (strcmp(r.dump.threads[i].name, "Source: numbers -> Map (2/4)#0") == 0) {
        found = true;
        assert_non_null(strstr(r.dump.threads[i].text, "\ttask: Source: numbers -> Map (2/4)#0"));
        waiting = strstr(r.dump.threads[i].text, " WAITING") != NULL;
      }
    tm_info_reply_free(&r);
    assert_true(found);
  }
  assert_true(waiting);
  pthread_mutex_lock(&mu);
  phase = 2;
  pthread_cond_broadcast(&cond);
  pthread_mutex_unlock(&mu);
  pthread_join(th, NULL);
  rpc_endpoint_stop(te);
}

static void test_timeout(void **state) {
  (void)state;
  rpc_endpoint *te;
  assert_int_equal(rpc_endpoint_start(rpc, "taskexecutor-mute", silent, NULL, &te), 0);
  tm_info_reply r;
  char err[SP_ERRMSG_MAX];
  assert_int_equal(
      tm_info_request(rpc, "taskexecutor-mute", TM_INFO_LOGS, NULL, 50, &r, err, sizeof err),
      SPATE_EIO);
  assert_non_null(strstr(err, "did not answer within 50 ms"));
  assert_int_equal(
      tm_info_request(rpc, "taskexecutor-none", TM_INFO_LOGS, NULL, 50, &r, err, sizeof err),
      SPATE_EIO);
  assert_non_null(strstr(err, "cannot be reached"));
  rpc_endpoint_stop(te);
}

static void test_codec_truncated(void **state) {
  (void)state;
  tm_info_reply in = {0};
  sp_log_file f = {.name = "x.log", .size = 3, .mtime = 4};
  in.logs.files = &f;
  in.logs.n = 1;
  sp_writer w;
  sp_writer_init(&w);
  tm_info_encode_reply(&w, TM_INFO_LOGS, &in);
  for (size_t cut = 0; cut <= w.len; cut++) {
    sp_reader r;
    sp_reader_init(&r, w.data, cut);
    tm_info_reply out = {0};
    int rc = tm_info_decode_reply(&r, TM_INFO_LOGS, &out);
    if (cut < w.len)
      assert_int_equal(rc, SPATE_ECORRUPT);
    else
      assert_int_equal(rc, 0);
    tm_info_reply_free(&out);
  }
  sp_writer_free(&w);
}

static void test_sensitive_keys(void **state) {
  (void)state;
  assert_true(rest_config_key_sensitive("s3.secret-key"));
  assert_true(rest_config_key_sensitive("security.ssl.keystore-password"));
  assert_true(rest_config_key_sensitive("metrics.reporter.dghttp.apikey"));
  assert_true(rest_config_key_sensitive("fs.azure.account.key.x.blob.core.windows.net"));
  assert_true(rest_config_key_sensitive("some.TOKEN"));
  assert_false(rest_config_key_sensitive("rest.port"));
  assert_false(rest_config_key_sensitive("state.backend.type"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_answers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_thread_dump, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
      cmocka_unit_test(test_codec_truncated),
      cmocka_unit_test(test_sensitive_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
