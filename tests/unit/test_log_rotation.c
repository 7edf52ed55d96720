/*
 * test_log_rotation.c: rotation of a daemon's log files before a start (cli/log_rotation.h), as
 * Flink's rotateLogFile: the current file becomes .1, each .k becomes .k+1, .max is overwritten,
 * nothing happens without a current file, and gaps in the generations are fine.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/testkit.h"

#include "cli/log_rotation.h"

static char dir[256], log_path[512];

static int setup(void **state) {
  (void)state;
  tk_mkdtemp(dir, sizeof dir, "spate-logrot-");
  snprintf(log_path, sizeof log_path, "%s/spate-me-taskexecutor-0-host.log", dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  tk_rm_rf(dir);
  return 0;
}

static void put(const char *suffix, const char *text) {
  char p[600];
  snprintf(p, sizeof p, "%s%s", log_path, suffix);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* The contents of log_path + suffix, or "-" when the file does not exist. */
static const char *get(const char *suffix) {
  static char text[64];
  char p[600];
  snprintf(p, sizeof p, "%s%s", log_path, suffix);
  FILE *f = fopen(p, "r");
  if (!f) return "-";
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  return text;
}

static void rotates_generations(void **state) {
  (void)state;
  char err[256];
  /* Nothing to rotate: nothing happens. */
  assert_int_equal(log_rotate(log_path, 3, err, sizeof err), 0);
  assert_string_equal(get(".1"), "-");
  /* Four starts with max 3: the oldest falls off. */
  const char *runs[] = {"a", "b", "c", "d", "e"};
  for (int i = 0; i < 5; i++) {
    assert_int_equal(log_rotate(log_path, 3, err, sizeof err), 0);
    assert_string_equal(get(""), "-");
    put("", runs[i]);
  }
  assert_string_equal(get(""), "e");
  assert_string_equal(get(".1"), "d");
  assert_string_equal(get(".2"), "c");
  assert_string_equal(get(".3"), "b");
  assert_string_equal(get(".4"), "-");
}

static void gaps_and_max_one(void **state) {
  (void)state;
  char err[256];
  put("", "now");
  put(".2", "two");
  assert_int_equal(log_rotate(log_path, 10, err, sizeof err), 0);
  assert_string_equal(get(".1"), "now");
  assert_string_equal(get(".2"), "-");
  assert_string_equal(get(".3"), "two");
  /* max 1 keeps one older generation. */
  put("", "newer");
  assert_int_equal(log_rotate(log_path, 1, err, sizeof err), 0);
  assert_string_equal(get(".1"), "newer");
  assert_string_equal(get(".3"), "two");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(rotates_generations, setup, teardown),
      cmocka_unit_test_setup_teardown(gaps_and_max_one, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
