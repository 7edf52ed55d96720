/*
 * test_execute_once.c: an environment runs its job once. Flink's execute() takes the
 * transformations and clears them, so calling it again fails with "No operators defined in
 * streaming topology. Cannot execute."; Spate did run the same graph a second time (its sinks
 * wrote everything twice). Operators added after the first execution are refused with a message
 * saying to use a new environment, and an empty environment fails with Flink's message too.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "support/testkit.h"

#define FLINK_NO_OPERATORS "No operators defined in streaming topology. Cannot execute."

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "WARN");
  return env;
}

static void assert_failed_with(spate_job_result *r, const char *msg) {
  assert_non_null(r);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(spate_job_result_error(r));
  if (!strstr(spate_job_result_error(r), msg))
    fail_msg("error '%s' does not contain '%s'", spate_job_result_error(r), msg);
}

static void test_second_execute_fails(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_collect(spate_from_sequence(env, 1, 5), "out");
  spate_job_result *r = tk_run(env, "once");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  assert_int_equal(spate_job_result_collected(r, "out", NULL, NULL), 5);
  spate_job_result_free(r);

  r = spate_execute(env, "twice");
  assert_failed_with(r, FLINK_NO_OPERATORS);
  assert_int_equal(spate_job_result_collected(r, "out", NULL, NULL), 0);
  spate_job_result_free(r);
  /* the async form follows the same rule */
  assert_null(spate_execute_async(env, "thrice"));
  assert_non_null(spate_env_error(env));
  assert_string_equal(spate_env_error(env), FLINK_NO_OPERATORS);
  spate_env_free(env);
}

static void test_empty_environment(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_job_result *r = spate_execute(env, "empty");
  assert_failed_with(r, FLINK_NO_OPERATORS);
  spate_job_result_free(r);
  spate_env_free(env);
}

static void test_operators_added_after_execute(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_stream *numbers = spate_from_sequence(env, 1, 3);
  spate_collect(numbers, "first");
  spate_job_result *r = tk_run(env, "first");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  spate_job_result_free(r);
  spate_collect(numbers, "second");
  r = spate_execute(env, "second");
  assert_failed_with(r, "new environment");
  assert_int_equal(spate_job_result_collected(r, "first", NULL, NULL), 0);
  assert_int_equal(spate_job_result_collected(r, "second", NULL, NULL), 0);
  spate_job_result_free(r);
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_second_execute_fails),
      cmocka_unit_test(test_empty_environment),
      cmocka_unit_test(test_operators_added_after_execute),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
