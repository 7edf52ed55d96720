/*
 * test_sql_tableau.c: the SQL client's tableau drawing against layouts of Flink's TableauStyle:
 * widths by content, right alignment, NULL, cutting with "...", the count lines, and display
 * widths of East Asian wide characters (two columns) and of characters outside the BMP (three, as
 * Flink counts UTF-16 units plus one per wide character).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/sql_tableau.h"

/* Runs fn writing into a memory stream and returns what it wrote (caller frees). */
static char *capture(void (*fn)(FILE *, void *), void *arg) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  fn(f, arg);
  fclose(f);
  return buf;
}

typedef struct table {
  const char *const *names;
  int ncols;
  const char *const *const *rows;
  int64_t nrows;
  int max;
} table;

static void print_table(FILE *f, void *arg) {
  table *t = arg;
  assert_int_equal(tableau_print(f, t->names, t->ncols, t->rows, t->nrows, t->max), 0);
}

static void widths_by_content(void **state) {
  (void)state;
  static const char *const names[] = {"table name"};
  static const char *const r0[] = {"orders"}, *const r1[] = {"a_much_longer_table_name"};
  static const char *const *const rows[] = {r0, r1};
  table t = {names, 1, rows, 2, TABLEAU_DEFAULT_MAX_WIDTH};
  char *out = capture(print_table, &t);
  assert_string_equal(out,
                      "+--------------------------+\n"
                      "|               table name |\n"
                      "+--------------------------+\n"
                      "|                   orders |\n"
                      "| a_much_longer_table_name |\n"
                      "+--------------------------+\n"
                      "2 rows in set\n");
  free(out);
}

static void one_row_and_null(void **state) {
  (void)state;
  static const char *const names[] = {"name", "type", "null"};
  static const char *const r0[] = {"user", NULL, "FALSE"};
  static const char *const *const rows[] = {r0};
  table t = {names, 3, rows, 1, TABLEAU_DEFAULT_MAX_WIDTH};
  char *out = capture(print_table, &t);
  /* NULL is "<NULL>", which is wider than "type" */
  assert_string_equal(out,
                      "+------+--------+-------+\n"
                      "| name |   type |  null |\n"
                      "+------+--------+-------+\n"
                      "| user | <NULL> | FALSE |\n"
                      "+------+--------+-------+\n"
                      "1 row in set\n");
  free(out);
}

static void empty_set(void **state) {
  (void)state;
  static const char *const names[] = {"table name"};
  table t = {names, 1, NULL, 0, TABLEAU_DEFAULT_MAX_WIDTH};
  char *out = capture(print_table, &t);
  assert_string_equal(out, "Empty set\n");
  free(out);
}

static void cut_at_max_width(void **state) {
  (void)state;
  static const char *const names[] = {"v"};
  static const char *const r0[] = {"abcdefghij"}, *const r1[] = {"abc"};
  static const char *const *const rows[] = {r0, r1};
  table t = {names, 1, rows, 2, 8};
  char *out = capture(print_table, &t);
  /* width 8: 5 characters and "..."; a short value is padded as usual */
  assert_string_equal(out,
                      "+----------+\n"
                      "|        v |\n"
                      "+----------+\n"
                      "| abcde... |\n"
                      "|      abc |\n"
                      "+----------+\n"
                      "2 rows in set\n");
  free(out);
}

static void display_widths(void **state) {
  (void)state;
  assert_int_equal(tableau_display_width(""), 0);
  assert_int_equal(tableau_display_width("abc"), 3);
  assert_int_equal(tableau_display_width("\xe4\xb8\xad\xe6\x96\x87"), 4); /* 中文 */
  assert_int_equal(tableau_display_width("\xc3\xa9"), 1);                 /* é */
  assert_int_equal(tableau_display_width("\xef\xbc\xa1"), 2);             /* Ａ, full width */
  assert_int_equal(tableau_display_width("\xf0\x9f\x98\x80"), 3);         /* 😀: 2 units + 1 */
  assert_int_equal(tableau_display_width("\xff"), 1);                     /* ill-formed byte */
}

static void wide_characters_align_and_cut(void **state) {
  (void)state;
  static const char *const names[] = {"city"};
  /* 中文中文中文 is 12 columns: cut to width 7 leaves room for 4 columns before "...", which
   * two wide characters fill exactly */
  static const char *const r0[] = {
      "\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad"
      "\xe6\x96\x87"};
  static const char *const r1[] = {"\xe4\xb8\xad"}; /* 中: 2 columns, 5 spaces before it */
  static const char *const *const rows[] = {r0, r1};
  table t = {names, 1, rows, 2, 7};
  char *out = capture(print_table, &t);
  assert_string_equal(out,
                      "+---------+\n"
                      "|    city |\n"
                      "+---------+\n"
                      "| \xe4\xb8\xad\xe6\x96\x87... |\n"
                      "|      \xe4\xb8\xad |\n"
                      "+---------+\n"
                      "2 rows in set\n");
  free(out);
  /* an odd room: width 6 leaves 3 columns, one wide character fits and a space pads it */
  t.max = 6;
  out = capture(print_table, &t);
  assert_non_null(strstr(out, "|  \xe4\xb8\xad... |\n"));
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(widths_by_content), cmocka_unit_test(one_row_and_null),
      cmocka_unit_test(empty_set),         cmocka_unit_test(cut_at_max_width),
      cmocka_unit_test(display_widths),    cmocka_unit_test(wide_characters_align_and_cut),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
