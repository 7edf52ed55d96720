/*
 * test_job_args.c: spate_arg and friends read job arguments as Flink's ParameterTool does: a
 * key without a value (last, or followed by another key) is a flag whose value is
 * SPATE_ARG_NO_VALUE, a negative number after a key is its value, "--key=value" works, and
 * spate_arg_missing_value names the first argument a job needs a value for but did not get one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spate/spate.h"

#define ARGC(a) ((int)(sizeof a / sizeof a[0]))

static void test_values_and_flags(void **state) {
  (void)state;
  char *argv[] = {"job.so", "--input", "in.txt", "--verbose", "--output", "out", "--last"};
  int argc = ARGC(argv);
  assert_string_equal(spate_arg(argc, argv, "input", NULL), "in.txt");
  assert_string_equal(spate_arg(argc, argv, "--output", NULL), "out");
  /* followed by another key, and last: flags */
  assert_true(spate_arg_no_value(spate_arg(argc, argv, "verbose", NULL)));
  assert_true(spate_arg_no_value(spate_arg(argc, argv, "last", NULL)));
  assert_string_equal(spate_arg(argc, argv, "last", NULL), SPATE_ARG_NO_VALUE);
  assert_true(spate_arg_has(argc, argv, "verbose"));
  assert_false(spate_arg_has(argc, argv, "absent"));
  assert_string_equal(spate_arg(argc, argv, "absent", "dflt"), "dflt");
  /* the program path in argv[0] is not a key and not a value */
  assert_null(spate_arg(argc, argv, "job.so", NULL));
  assert_false(spate_arg_no_value("in.txt"));
  assert_false(spate_arg_no_value(NULL));
}

/* A key's value was taken to be the next argument even when that was the next key: "--input
 * --output out" read "--output" as the input path. */
static void test_key_after_key_is_not_a_value(void **state) {
  (void)state;
  char *argv[] = {"job.so", "--input", "--output", "out"};
  int argc = ARGC(argv);
  assert_true(spate_arg_no_value(spate_arg(argc, argv, "input", NULL)));
  assert_string_equal(spate_arg(argc, argv, "output", NULL), "out");
}

static void test_numbers_and_equals(void **state) {
  (void)state;
  char *argv[] = {"job.so", "--offset",   "-5",       "-scale", "-0.25",
                  "--n=-3", "--path=a=b", "--empty=", "-x",     "-1e3"};
  int argc = ARGC(argv);
  assert_string_equal(spate_arg(argc, argv, "offset", NULL), "-5");
  assert_string_equal(spate_arg(argc, argv, "scale", NULL), "-0.25");
  assert_string_equal(spate_arg(argc, argv, "n", NULL), "-3");
  assert_string_equal(spate_arg(argc, argv, "path", NULL), "a=b");
  assert_string_equal(spate_arg(argc, argv, "empty", NULL), "");
  assert_string_equal(spate_arg(argc, argv, "x", NULL), "-1e3");
  /* a value that is a number is never read as a key */
  assert_null(spate_arg(argc, argv, "5", NULL));
}

static void test_repeated(void **state) {
  (void)state;
  char *argv[] = {"job.so", "--input", "a", "--input", "--input", "b", "--input"};
  const char *out[8];
  int n = spate_arg_all(ARGC(argv), argv, "input", out, 8);
  assert_int_equal(n, 4);
  assert_string_equal(out[0], "a");
  assert_true(spate_arg_no_value(out[1]));
  assert_string_equal(out[2], "b");
  assert_true(spate_arg_no_value(out[3]));
  assert_int_equal(spate_arg_all(ARGC(argv), argv, "input", out, 2), 2);
}

static void test_missing_value(void **state) {
  (void)state;
  static const char *const needs[] = {"input", "output", NULL};
  char *ok[] = {"job.so", "--input", "a", "--flag", "--output", "b"};
  assert_null(spate_arg_missing_value(ARGC(ok), ok, needs));
  char *none[] = {"job.so"};
  assert_null(spate_arg_missing_value(ARGC(none), none, needs));
  char *trailing[] = {"job.so", "--output", "b", "--input"};
  assert_string_equal(spate_arg_missing_value(ARGC(trailing), trailing, needs), "input");
  char *before_key[] = {"job.so", "--output", "--input", "a"};
  assert_string_equal(spate_arg_missing_value(ARGC(before_key), before_key, needs), "output");
  char *empty[] = {"job.so", "--input="};
  assert_string_equal(spate_arg_missing_value(ARGC(empty), empty, needs), "input");
  /* only the names asked about count */
  char *other[] = {"job.so", "--verbose", "--input", "a"};
  assert_null(spate_arg_missing_value(ARGC(other), other, needs));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_values_and_flags),
      cmocka_unit_test(test_key_after_key_is_not_a_value),
      cmocka_unit_test(test_numbers_and_equals),
      cmocka_unit_test(test_repeated),
      cmocka_unit_test(test_missing_value),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
