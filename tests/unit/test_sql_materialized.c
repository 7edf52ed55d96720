/*
 * test_sql_materialized.c: the table mode's materialized result against the scenarios of
 * Flink's MaterializedCollectStreamResultTest: inserts append, a retraction takes back the
 * newest equal row (the op not compared, NULL equal to NULL only), a retraction of an unknown
 * row changes nothing, and the bound drops the oldest rows first, with and without the batched
 * clean-up; copies stay valid while the table changes; duplicates around the bound; random
 * changes against the plain definition (which the table's position cache must not change).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "cli/sql_materialized.h"

/* The table's rows as "a|b;c|d;" (NULL as "null"), in order. */
static void rows_are(const mat_table *t, int ncols, const char *expected) {
  int64_t n = mat_table_size(t);
  mat_row **rows = sp_calloc((size_t)n + 1, sizeof *rows);
  assert_non_null(rows);
  assert_int_equal(mat_table_copy(t, 0, n, rows), n);
  static char got[65536];
  got[0] = 0;
  const char *cells[8];
  for (int64_t i = 0; i < n; i++) {
    mat_row_cells(rows[i], ncols, cells);
    for (int c = 0; c < ncols; c++) {
      strcat(got, cells[c] ? cells[c] : "null");
      strcat(got, c + 1 < ncols ? "|" : ";");
    }
    sp_free(rows[i]);
  }
  sp_free(rows);
  assert_string_equal(got, expected);
}

static void apply(mat_table *t, const char *op, const char *a, const char *b) {
  const char *cells[] = {a, b};
  assert_int_equal(mat_table_apply(t, op, cells), 0);
}

static void changelog_of_a_count(void **state) {
  (void)state;
  mat_table *t = mat_table_new(2, 0);
  apply(t, "+I", "a", "1");
  apply(t, "+I", "b", "1");
  apply(t, "-U", "a", "1");
  apply(t, "+U", "a", "2");
  apply(t, "+I", "c", "1");
  apply(t, "-U", "b", "1");
  apply(t, "+U", "b", "2");
  rows_are(t, 2, "a|2;c|1;b|2;");
  apply(t, "-D", "c", "1");
  rows_are(t, 2, "a|2;b|2;");
  mat_table_free(t);
}

static void retraction_takes_the_newest_equal_row(void **state) {
  (void)state;
  mat_table *t = mat_table_new(2, 0);
  apply(t, "+I", "x", "1");
  apply(t, "+I", "y", "1");
  apply(t, "+I", "x", "1");
  apply(t, "+I", "z", "1");
  apply(t, "-D", "x", "1");
  rows_are(t, 2, "x|1;y|1;z|1;");
  apply(t, "-D", "nope", "1"); /* unknown: nothing changes */
  apply(t, "-D", "x", NULL);   /* NULL is not "1" */
  rows_are(t, 2, "x|1;y|1;z|1;");
  apply(t, "+I", "x", NULL);
  apply(t, "-U", "x", NULL);
  rows_are(t, 2, "x|1;y|1;z|1;");
  const char *cells[] = {"x", "1"};
  assert_int_equal(mat_table_apply(t, "??", cells), SPATE_EINVAL);
  mat_table_free(t);
}

static void bound_drops_the_oldest(void **state) {
  (void)state;
  /* 3 rows: no batching (1% of 3 is 0), every drop compacts at once */
  mat_table *t = mat_table_new(2, 3);
  apply(t, "+I", "a", "1");
  apply(t, "+I", "b", "1");
  apply(t, "+I", "c", "1");
  apply(t, "+I", "d", "1");
  rows_are(t, 2, "b|1;c|1;d|1;");
  apply(t, "-D", "a", "1"); /* dropped already: nothing to take back */
  apply(t, "-D", "c", "1");
  apply(t, "+I", "e", "1");
  rows_are(t, 2, "b|1;d|1;e|1;");
  mat_table_free(t);

  /* 300 rows: dropped slots are reclaimed in batches of 3; the table stays the newest 300 */
  t = mat_table_new(2, 300);
  char k[16];
  for (int i = 0; i < 1000; i++) {
    snprintf(k, sizeof k, "%d", i);
    apply(t, "+I", k, "v");
    assert_true(mat_table_size(t) <= 300);
  }
  assert_int_equal(mat_table_size(t), 300);
  mat_row *first[2];
  assert_int_equal(mat_table_copy(t, 0, 1, first), 1);
  assert_int_equal(mat_table_copy(t, 299, 5, first + 1), 1); /* clamped to the table */
  const char *cells[2];
  mat_row_cells(first[0], 2, cells);
  assert_string_equal(cells[0], "700");
  mat_row_cells(first[1], 2, cells);
  assert_string_equal(cells[0], "999");
  mat_table_free(t); /* the copies outlive the table */
  assert_string_equal(cells[0], "999");
  sp_free(first[0]);
  sp_free(first[1]);
}

/* Duplicates around the bound: the newest of a content is what a retraction takes, also after
 * the oldest duplicate was dropped, and an older duplicate is found once the newest is gone. */
static void duplicates_and_the_bound(void **state) {
  (void)state;
  mat_table *t = mat_table_new(2, 3);
  apply(t, "+I", "a", "1");
  apply(t, "+I", "a", "1");
  apply(t, "+I", "b", "1");
  apply(t, "+I", "c", "1"); /* the first a goes */
  rows_are(t, 2, "a|1;b|1;c|1;");
  apply(t, "-D", "a", "1");
  rows_are(t, 2, "b|1;c|1;");
  apply(t, "-D", "a", "1");
  rows_are(t, 2, "b|1;c|1;");
  apply(t, "+I", "x", "1");
  apply(t, "+I", "x", "1"); /* b goes */
  apply(t, "-D", "x", "1");
  apply(t, "-D", "x", "1");
  rows_are(t, 2, "c|1;");
  mat_table_free(t);
}

/* Random changes over a few contents against the plain definition (an array: append, drop the
 * first when full, remove the last equal), with a bound that batches its clean-up and one that
 * does not. */
static void random_changes_match_the_definition(void **state) {
  (void)state;
  static const int bounds[] = {7, 250};
  for (int b = 0; b < 2; b++) {
    int bound = bounds[b];
    mat_table *t = mat_table_new(1, bound);
    int model[4096], n = 0;
    unsigned seed = 12345;
    for (int step = 0; step < 20000; step++) {
      seed = seed * 1103515245 + 12345;
      int key = (int)((seed >> 8) % 23);
      bool add = ((seed >> 20) % 5) < 3;
      char k[8];
      snprintf(k, sizeof k, "%d", key);
      const char *cells[] = {key == 0 ? NULL : k};
      assert_int_equal(mat_table_apply(t, add ? "+I" : "-D", cells), 0);
      if (add) {
        if (n == bound) {
          memmove(model, model + 1, sizeof *model * (size_t)(n - 1));
          n--;
        }
        model[n++] = key;
      } else {
        for (int i = n - 1; i >= 0; i--)
          if (model[i] == key) {
            memmove(model + i, model + i + 1, sizeof *model * (size_t)(n - i - 1));
            n--;
            break;
          }
      }
      assert_int_equal(mat_table_size(t), n);
    }
    char expected[65536] = {0}, k[16];
    for (int i = 0; i < n; i++) {
      snprintf(k, sizeof k, "%s;", model[i] == 0 ? "null" : "");
      if (model[i] != 0) snprintf(k, sizeof k, "%d;", model[i]);
      strcat(expected, k);
    }
    rows_are(t, 1, expected);
    mat_table_free(t);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(changelog_of_a_count),
      cmocka_unit_test(retraction_takes_the_newest_equal_row),
      cmocka_unit_test(bound_drops_the_oldest),
      cmocka_unit_test(duplicates_and_the_bound),
      cmocka_unit_test(random_changes_match_the_definition),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
