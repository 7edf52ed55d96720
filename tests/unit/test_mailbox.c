/*
 * test_mailbox.c: the task mailbox. Mails posted from several threads run on the owner's thread
 * in each poster's order, every post wakes the owner's event, a closed mailbox refuses posts, and
 * mails still queued at close are handed back (run = false) exactly once so their arguments can
 * be freed. A cancelled job's log shows the cancel request taken on the task thread.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/log.h"
#include "runtime/mailbox.h"
#include "spate/spate.h"
#include "support/testkit.h"

#define POSTERS 4
#define PER_POSTER 20000

typedef struct owner {
  pthread_t thread;
  int last[POSTERS]; /* last sequence number run per poster */
  int ran, discarded, out_of_order, wrong_thread;
} owner;

typedef struct poster_arg {
  mailbox *mb;
  int id;
} poster_arg;

static void count_mail(void *o, void *arg, bool run) {
  owner *ow = o;
  intptr_t v = (intptr_t)arg;
  int poster = (int)(v >> 20), seq = (int)(v & 0xFFFFF);
  if (!run) {
    ow->discarded++;
    return;
  }
  if (!pthread_equal(ow->thread, pthread_self())) ow->wrong_thread++;
  if (seq != ow->last[poster] + 1) ow->out_of_order++;
  ow->last[poster] = seq;
  ow->ran++;
}

static void *poster_main(void *a) {
  poster_arg *pa = a;
  for (int i = 1; i <= PER_POSTER; i++)
    assert_int_equal(mailbox_post(pa->mb, count_mail, (void *)(((intptr_t)pa->id << 20) | i)), 0);
  return NULL;
}

static void test_many_posters_one_owner(void **state) {
  (void)state;
  sp_event ev;
  sp_event_init(&ev);
  mailbox mb;
  mailbox_init(&mb, &ev);
  owner ow = {.thread = pthread_self()};
  pthread_t th[POSTERS];
  poster_arg pa[POSTERS];
  for (int i = 0; i < POSTERS; i++) {
    pa[i] = (poster_arg){&mb, i};
    assert_int_equal(pthread_create(&th[i], NULL, poster_main, &pa[i]), 0);
  }
  int timeouts = 0; /* waits as long as a whole test may take: only a lost wake-up times out */
  while (ow.ran < POSTERS * PER_POSTER && timeouts == 0) {
    uint32_t token = sp_event_prepare(&ev);
    if (mailbox_has_mail(&mb)) {
      mailbox_run(&mb, &ow);
      continue;
    }
    if (!sp_event_wait(&ev, token, TK_TIMEOUT_MS * 1000000LL)) timeouts++;
  }
  for (int i = 0; i < POSTERS; i++) pthread_join(th[i], NULL);
  mailbox_run(&mb, &ow);
  assert_int_equal(ow.ran, POSTERS * PER_POSTER);
  assert_int_equal(ow.out_of_order, 0);
  assert_int_equal(ow.wrong_thread, 0);
  assert_int_equal(ow.discarded, 0);
  assert_int_equal(timeouts, 0);
  mailbox_destroy(&mb, &ow);
  sp_event_destroy(&ev);
}

static void test_close_discards_and_refuses(void **state) {
  (void)state;
  mailbox mb;
  mailbox_init(&mb, NULL);
  owner ow = {.thread = pthread_self()};
  for (int i = 1; i <= 5; i++)
    assert_int_equal(mailbox_post(&mb, count_mail, (void *)(intptr_t)i), 0);
  assert_true(mailbox_has_mail(&mb));
  mailbox_close(&mb, &ow);
  assert_int_equal(ow.discarded, 5);
  assert_int_equal(ow.ran, 0);
  assert_false(mailbox_has_mail(&mb));
  assert_int_equal(mailbox_post(&mb, count_mail, (void *)1), SPATE_ESTATE);
  assert_int_equal(mailbox_run(&mb, &ow), 0);
  mailbox_destroy(&mb, &ow);
  assert_int_equal(ow.discarded, 5); /* handed back exactly once */
}

static void test_post_out_of_memory(void **state) {
  (void)state;
  mailbox mb;
  mailbox_init(&mb, NULL);
  sp_alloc_fail_after(1, 0);
  assert_int_equal(mailbox_post(&mb, count_mail, (void *)1), SPATE_ENOMEM);
  sp_alloc_fail_after(0, 0);
  assert_false(mailbox_has_mail(&mb));
  owner ow = {.thread = pthread_self()};
  mailbox_destroy(&mb, &ow);
}

/* A cancelled job: the cancel request reaches each task as a mail, logged on the task. */
/* The generator tells the test once it runs: it only runs once its task is RUNNING. */
static _Atomic bool mb_running;

int mb_spin(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  if (i == 0) {
    atomic_store(&mb_running, true);
    tk_notify();
  }
  spate_rb_set_bigint(out, 0, i);
  return 0;
}

static void test_cancel_goes_through_the_mailbox(void **state) {
  (void)state;
  char path[] = "/tmp/spate_mailbox_log_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  sp_log_set_level(SP_LOG_INFO);
  assert_int_equal(sp_log_set_file(path), 0);
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "v BIGINT NOT NULL");
  spate_discard(spate_rebalance(spate_generate(env, s, mb_spin, -1)));
  spate_job_client *c = spate_execute_async(env, "mailbox cancel");
  assert_non_null(c);
  TK_AWAIT(atomic_load(&mb_running), "the source running");
  spate_job_client_cancel(c);
  spate_job_result *r = tk_wait(c, "mailbox cancel");
  sp_log_set_file(NULL);
  sp_log_set_level(SP_LOG_WARN);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_CANCELED);
  spate_job_result_free(r);
  spate_env_free(env);
  char buf[65536] = "";
  FILE *f = fopen(path, "r");
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  unlink(path);
  assert_non_null(strstr(buf, "Attempting to cancel task Source: Generator Source (1/1)"));
  assert_non_null(strstr(buf, "switched from state CANCELLING to CANCELED"));
}

int main(void) {
  sp_log_set_level(SP_LOG_WARN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_many_posters_one_owner),
      cmocka_unit_test(test_close_discards_and_refuses),
      cmocka_unit_test(test_post_out_of_memory),
      cmocka_unit_test(test_cancel_goes_through_the_mailbox),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
