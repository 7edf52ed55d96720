/*
 * test_pid_file.c: a daemon kind's pid file (cli/pid_file.h): appends in order, the line count
 * that names the next instance, lines that are no pid, rewriting and removal when empty, a lock
 * that survives the file's removal by another holder, and concurrent appends from several
 * processes that lose no line.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/testkit.h"

#include "base/alloc.h"
#include "cli/pid_file.h"

static char dir[256], path[512];

static int setup(void **state) {
  (void)state;
  tk_mkdtemp(dir, sizeof dir, "spate-pidfile-");
  snprintf(path, sizeof path, "%s/sub/dir/spate-me-taskexecutor.pid", dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  tk_rm_rf(dir);
  return 0;
}

static void write_file(const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void append_read_rewrite(void **state) {
  (void)state;
  char err[256];
  pid_file pf;
  /* The directory is created; a new file is empty. */
  assert_int_equal(pidfile_lock(&pf, path, err, sizeof err), 0);
  pid_t *pids;
  size_t n, lines;
  assert_int_equal(pidfile_read(&pf, &pids, &n, &lines), 0);
  assert_int_equal(n, 0);
  assert_int_equal(lines, 0);
  assert_int_equal(pidfile_append(&pf, 101), 0);
  assert_int_equal(pidfile_append(&pf, 202), 0);
  assert_int_equal(pidfile_append(&pf, 303), 0);
  assert_int_equal(pidfile_read(&pf, &pids, &n, &lines), 0);
  assert_int_equal(n, 3);
  assert_int_equal(lines, 3);
  assert_int_equal(pids[0], 101);
  assert_int_equal(pids[2], 303);
  /* Drop the middle one: the file holds the rest in order. */
  pids[1] = pids[2];
  assert_int_equal(pidfile_rewrite(&pf, pids, 2), 0);
  sp_free(pids);
  pidfile_unlock(&pf);
  FILE *f = fopen(path, "r");
  char text[64] = {0};
  assert_non_null(f);
  assert_true(fread(text, 1, sizeof text - 1, f) > 0);
  fclose(f);
  assert_string_equal(text, "101\n303\n");
  /* Emptied, the file is gone. */
  assert_int_equal(pidfile_lock(&pf, path, err, sizeof err), 0);
  assert_int_equal(pidfile_rewrite(&pf, NULL, 0), 0);
  pidfile_unlock(&pf);
  assert_int_equal(access(path, F_OK), -1);
}

static void lines_that_are_no_pid(void **state) {
  (void)state;
  char err[256];
  pid_file pf;
  assert_int_equal(pidfile_lock(&pf, path, err, sizeof err), 0); /* creates the directories */
  pidfile_unlock(&pf);
  /* Flink counts every line for the instance id; only positive numbers are pids. */
  write_file("12\n\n  \nabc\n-5\n34 \n99999999999\n7x\n56");
  assert_int_equal(pidfile_lock(&pf, path, err, sizeof err), 0);
  pid_t *pids;
  size_t n, lines;
  assert_int_equal(pidfile_read(&pf, &pids, &n, &lines), 0);
  assert_int_equal(lines, 7);
  assert_int_equal(n, 3);
  assert_int_equal(pids[0], 12);
  assert_int_equal(pids[1], 34);
  assert_int_equal(pids[2], 56);
  sp_free(pids);
  pidfile_unlock(&pf);
}

static void unusable_path_is_reported(void **state) {
  (void)state;
  char err[256], bad[600];
  pid_file pf;
  assert_int_equal(pidfile_lock(&pf, path, err, sizeof err), 0);
  pidfile_unlock(&pf);
  write_file("1\n");
  /* A path below a regular file cannot be created: the message names it. */
  snprintf(bad, sizeof bad, "%s/x.pid", path);
  assert_int_equal(pidfile_lock(&pf, bad, err, sizeof err), SPATE_EIO);
  assert_non_null(strstr(err, bad));
  assert_int_equal(pf.fd, -1);
}

/* Each child appends its own number n times, taking the lock for every append. */
static void appender(int id, int n) {
  char err[256];
  for (int i = 0; i < n; i++) {
    pid_file pf;
    if (pidfile_lock(&pf, path, err, sizeof err) < 0) _exit(2);
    pid_t *pids;
    size_t cnt, lines;
    if (pidfile_read(&pf, &pids, &cnt, &lines) < 0) _exit(3);
    sp_free(pids);
    if (pidfile_append(&pf, id) < 0) _exit(4);
    pidfile_unlock(&pf);
  }
  _exit(0);
}

static void concurrent_appends_lose_nothing(void **state) {
  (void)state;
  enum { CHILDREN = 4, EACH = 200 };
  char err[256];
  pid_file pf;
  assert_int_equal(pidfile_lock(&pf, path, err, sizeof err), 0);
  pidfile_unlock(&pf);
  pid_t kids[CHILDREN];
  for (int c = 0; c < CHILDREN; c++) {
    kids[c] = fork();
    assert_true(kids[c] >= 0);
    if (kids[c] == 0) appender(c + 1, EACH);
  }
  for (int c = 0; c < CHILDREN; c++) {
    int status;
    assert_int_equal(waitpid(kids[c], &status, 0), kids[c]);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  assert_int_equal(pidfile_lock(&pf, path, err, sizeof err), 0);
  pid_t *pids;
  size_t n, lines;
  assert_int_equal(pidfile_read(&pf, &pids, &n, &lines), 0);
  assert_int_equal(n, CHILDREN * EACH);
  int count[CHILDREN + 1] = {0};
  for (size_t i = 0; i < n; i++) {
    assert_in_range(pids[i], 1, CHILDREN);
    count[pids[i]]++;
  }
  for (int c = 1; c <= CHILDREN; c++) assert_int_equal(count[c], EACH);
  sp_free(pids);
  pidfile_unlock(&pf);
}

/* Whether process pid waits for a flock (a "->" line of /proc/locks names the waiter). */
static bool waits_for_flock(pid_t pid) {
  FILE *f = fopen("/proc/locks", "r");
  if (!f) return false;
  char line[256], want[32];
  snprintf(want, sizeof want, " %ld ", (long)pid);
  bool found = false;
  while (!found && fgets(line, sizeof line, f))
    found = strstr(line, "->") && strstr(line, "FLOCK") && strstr(line, want);
  fclose(f);
  return found;
}

/* A holder that waits for the lock while another removes the file must end up holding the file
 * at the path, not the removed one (or its appends would vanish). */
static void lock_follows_removal(void **state) {
  (void)state;
  char err[256];
  pid_file first;
  assert_int_equal(pidfile_lock(&first, path, err, sizeof err), 0);
  assert_int_equal(pidfile_append(&first, 11), 0);
  pid_t kid = fork();
  assert_true(kid >= 0);
  if (kid == 0) {
    pidfile_unlock(&first); /* the parent's descriptor, inherited: its lock is the parent's */
    pid_file pf;
    if (pidfile_lock(&pf, path, err, sizeof err) < 0) _exit(3); /* waits for the parent */
    if (pidfile_append(&pf, 22) < 0) _exit(4);
    pidfile_unlock(&pf);
    _exit(0);
  }
  /* The child has opened the file and waits for its lock: remove the file under it. */
  TK_AWAIT(waits_for_flock(kid), "the child %ld to wait for the pid file's lock", (long)kid);
  assert_int_equal(pidfile_rewrite(&first, NULL, 0), 0);
  pidfile_unlock(&first);
  int status;
  assert_int_equal(waitpid(kid, &status, 0), kid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  pid_file pf;
  assert_int_equal(pidfile_lock(&pf, path, err, sizeof err), 0);
  pid_t *pids;
  size_t n, lines;
  assert_int_equal(pidfile_read(&pf, &pids, &n, &lines), 0);
  assert_int_equal(n, 1);
  assert_int_equal(pids[0], 22);
  sp_free(pids);
  pidfile_unlock(&pf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(append_read_rewrite, setup, teardown),
      cmocka_unit_test_setup_teardown(lines_that_are_no_pid, setup, teardown),
      cmocka_unit_test_setup_teardown(unusable_path_is_reported, setup, teardown),
      cmocka_unit_test_setup_teardown(concurrent_appends_lose_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(lock_follows_removal, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
