/*
 * test_dir_monitor.c: the monitored directory's reader (connectors/dir_monitor.h): files read
 * once each in name order, hidden and '_' files skipped, new files found only when a scan is due
 * by the time given, and the position (names seen, the current file's unread splits) taken at
 * any line and resumed by a new reader that returns exactly the lines not returned yet, also
 * right at the end of a file; malformed positions are refused.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/testkit.h"

#include "base/alloc.h"
#include "connectors/dir_monitor.h"
#include "spate/spate.h"

static void put(const char *dir, const char *name, const char *text) {
  char path[600];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* The next line at time now, or "" when none is due (then *wake is when to come back). */
static const char *next(dir_monitor *m, int64_t now, int64_t *wake) {
  static char buf[256];
  const char *line;
  size_t len;
  int64_t w = -1;
  int rc = dir_monitor_next(m, now, &line, &len, &w);
  if (rc < 0) fail_msg("dir_monitor_next: %s", dir_monitor_error(m));
  if (rc == 0) {
    if (wake) *wake = w;
    return "";
  }
  snprintf(buf, sizeof buf, "%.*s", (int)len, line);
  return buf;
}

/* A deep copy of a position. */
typedef struct saved {
  dm_entry e[32];
  lr_split_state s[32];
  int n;
} saved;

static int save_entry(void *arg, const dm_entry *e) {
  saved *sv = arg;
  assert_true(sv->n < 32);
  dm_entry *d = &sv->e[sv->n];
  *d = *e;
  d->name = strdup(e->name);
  if (e->split) {
    sv->s[sv->n] = *e->split;
    sv->s[sv->n].path = strdup(e->split->path);
    d->split = &sv->s[sv->n];
  }
  sv->n++;
  return 0;
}

static void saved_free(saved *sv) {
  for (int i = 0; i < sv->n; i++) {
    free((char *)sv->e[i].name);
    if (sv->e[i].split) free((char *)sv->s[i].path);
  }
  sv->n = 0;
}

static dir_monitor *open_dm(const char *dir) {
  dir_monitor *m;
  char err[256];
  if (dir_monitor_open(dir, 1000, &m, err, sizeof err) < 0) fail_msg("%s", err);
  return m;
}

static dir_monitor *resumed(const char *dir, dir_monitor *from) {
  saved sv = {0};
  assert_int_equal(dir_monitor_visit(from, save_entry, &sv), 0);
  dir_monitor_close(from);
  dir_monitor *m = open_dm(dir);
  char err[256];
  if (dir_monitor_resume(m, sv.e, sv.n, err, sizeof err) < 0) fail_msg("resume: %s", err);
  saved_free(&sv);
  return m;
}

static void test_reads_once_in_order_and_resumes(void **state) {
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_dm_");
  put(dir, "b.txt", "b1\nb2\n");
  put(dir, "a.txt", "a1\na2\na3\na4");
  put(dir, "_skip.txt", "no\n");
  put(dir, ".hidden", "no\n");
  dir_monitor *m = open_dm(dir);
  assert_string_equal(next(m, 0, NULL), "a1");
  assert_string_equal(next(m, 0, NULL), "a2");
  const char *path;
  int64_t line_no, off;
  dir_monitor_last_line(m, &path, &line_no, &off);
  assert_non_null(strstr(path, "/a.txt"));
  assert_int_equal(line_no, 2);
  assert_int_equal(off, 3);

  m = resumed(dir, m); /* mid-file */
  assert_string_equal(next(m, 0, NULL), "a3");
  dir_monitor_last_line(m, &path, &line_no, &off);
  assert_int_equal(line_no, 3); /* line numbers survive the resume */
  assert_string_equal(next(m, 0, NULL), "a4");
  m = resumed(dir, m); /* a.txt read to its end, not yet closed */
  assert_string_equal(next(m, 0, NULL), "b1");
  assert_string_equal(next(m, 0, NULL), "b2");
  int64_t wake = 0;
  assert_string_equal(next(m, 0, &wake), "");
  assert_int_equal(wake, 1000); /* the restored reader scanned at once, then waits */

  put(dir, "c.txt", "c1\n");
  assert_string_equal(next(m, 999, &wake), "");
  assert_int_equal(wake, 1000);
  m = resumed(dir, m); /* between files: the new one is found by the restored reader's scan */
  assert_string_equal(next(m, 5, NULL), "c1");
  assert_string_equal(next(m, 5, &wake), "");
  assert_int_equal(wake, 1005);
  put(dir, "d.txt", "d1\n");
  put(dir, "a.txt", "a1\na2\na3\na4\na5\n"); /* a file seen is not read again */
  assert_string_equal(next(m, 1004, NULL), "");
  assert_string_equal(next(m, 1005, NULL), "d1");
  assert_string_equal(next(m, 1005, &wake), "");
  assert_int_equal(wake, 2005);
  dir_monitor_close(m);
  tk_rm_rf(dir);
}

static void test_bad_input(void **state) {
  dir_monitor *m;
  char err[256];
  assert_int_equal(dir_monitor_open("/nonexistent/spate", 10, &m, err, sizeof err), SPATE_ENOENT);
  assert_non_null(strstr(err, "/nonexistent/spate"));
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_dm_");
  m = open_dm(dir);
  lr_split_state s = {.path = "x", .size = 4, .start = 0, .end = 4, .offset = 2};
  dm_entry split_first[] = {{.name = "a", .queued = 1, .split = &s}};
  assert_int_equal(dir_monitor_resume(m, split_first, 1, err, sizeof err), SPATE_ECORRUPT);
  dir_monitor_close(m);
  m = open_dm(dir);
  dm_entry done_after_queued[] = {{.name = "a", .queued = 1}, {.name = "b"}};
  assert_int_equal(dir_monitor_resume(m, done_after_queued, 2, err, sizeof err), SPATE_ECORRUPT);
  dir_monitor_close(m);
  m = open_dm(dir); /* a file being read that is gone fails naming it */
  dm_entry gone[] = {{.name = "gone.txt", .queued = 1, .reading = 1},
                     {.name = "gone.txt", .queued = 1, .split = &s}};
  assert_true(dir_monitor_resume(m, gone, 2, err, sizeof err) < 0);
  assert_non_null(strstr(err, "gone.txt"));
  dir_monitor_close(m);
  tk_rm_rf(dir);
}

/* A queued file removed before its turn is skipped (with a warning), also after a restore: the
 * job does not fail on it forever. */
static void test_removed_queued_file_skipped(void **state) {
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_dm_");
  put(dir, "a.txt", "a1\na2\n");
  put(dir, "b.txt", "b1\n");
  put(dir, "c.txt", "c1\n");
  put(dir, "d.txt", "d1\n");
  char path[600];
  dir_monitor *m = open_dm(dir);
  assert_string_equal(next(m, 0, NULL), "a1");
  snprintf(path, sizeof path, "%s/b.txt", dir);
  assert_int_equal(unlink(path), 0);
  assert_string_equal(next(m, 0, NULL), "a2");
  assert_string_equal(next(m, 0, NULL), "c1");
  m = resumed(dir, m); /* d.txt queued in the position, then removed */
  snprintf(path, sizeof path, "%s/d.txt", dir);
  assert_int_equal(unlink(path), 0);
  int64_t wake = 0;
  assert_string_equal(next(m, 0, &wake), "");
  assert_int_equal(wake, 1000);
  put(dir, "d.txt", "d2\n"); /* counted as read: not read again */
  assert_string_equal(next(m, 1000, NULL), "");
  dir_monitor_close(m);
  tk_rm_rf(dir);
}

static void test_sort_names_drops_repeats(void **state) {
  const char *in[] = {"b", "a", "c", "b", "a", "b"};
  char *v[6];
  for (int i = 0; i < 6; i++) v[i] = sp_strdup(in[i]);
  int n = dir_monitor_sort_names(v, 6);
  assert_int_equal(n, 3);
  assert_string_equal(v[0], "a");
  assert_string_equal(v[1], "b");
  assert_string_equal(v[2], "c");
  for (int i = 0; i < n; i++) sp_free(v[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reads_once_in_order_and_resumes),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_removed_queued_file_skipped),
      cmocka_unit_test(test_sort_names_drops_repeats),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
