/*
 * test_log_files.c: a process's log files as REST shows them (base/log_files.h): the .out and
 * the directory derived from log.file, the directory listing (regular files, sorted, sizes),
 * file names confined to the log directory (every traversal form of CVE-2020-17519 refused with
 * a reason, links leading out refused, a missing file SPATE_ENOENT), and bounded reads that send
 * a large file's tail.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/testkit.h"

#include "base/err.h"
#include "base/log_files.h"

static char dir[256];

static void put(const char *name, const char *text) {
  char p[600];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  (void)state;
  tk_mkdtemp(dir, sizeof dir, "spate-logfiles-");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  tk_rm_rf(dir);
  sp_log_files_set(NULL, NULL);
  return 0;
}

static void test_own_files(void **state) {
  (void)state;
  char path[600], out[600];
  assert_int_equal(sp_log_files_log(out, sizeof out), SPATE_ENOENT);
  assert_int_equal(sp_log_files_dir(out, sizeof out), SPATE_ENOENT);
  snprintf(path, sizeof path, "%s/spate-me-taskexecutor-0-host.log", dir);
  sp_log_files_set(path, NULL);
  assert_int_equal(sp_log_files_log(out, sizeof out), 0);
  assert_string_equal(out, path);
  assert_int_equal(sp_log_files_stdout(out, sizeof out), 0);
  snprintf(path, sizeof path, "%s/spate-me-taskexecutor-0-host.out", dir);
  assert_string_equal(out, path);
  assert_int_equal(sp_log_files_dir(out, sizeof out), 0);
  assert_string_equal(out, dir);
  sp_log_files_set(path, "/elsewhere"); /* env.log.dir wins for the directory */
  assert_int_equal(sp_log_files_dir(out, sizeof out), 0);
  assert_string_equal(out, "/elsewhere");
}

static void test_list(void **state) {
  (void)state;
  put("b.log", "12345");
  put("a.out", "");
  char sub[600];
  snprintf(sub, sizeof sub, "%s/subdir", dir);
  assert_int_equal(mkdir(sub, 0700), 0);
  sp_log_file_list l;
  char err[SP_ERRMSG_MAX];
  assert_int_equal(sp_log_files_list(dir, &l, err, sizeof err), 0);
  assert_int_equal(l.n, 2); /* the directory is no file */
  assert_string_equal(l.files[0].name, "a.out");
  assert_string_equal(l.files[1].name, "b.log");
  assert_int_equal(l.files[1].size, 5);
  assert_true(l.files[1].mtime > 1000000000000LL); /* epoch ms */
  sp_log_file_list_free(&l);
  assert_int_equal(sp_log_files_list(sub + 0, &l, err, sizeof err), 0);
  assert_int_equal(l.n, 0);
  assert_int_equal(sp_log_files_list("/no/such/dir", &l, err, sizeof err), SPATE_ENOENT);
  assert_non_null(strstr(err, "/no/such/dir"));
}

static void refused(const char *name, const char *why) {
  char out[600], err[SP_ERRMSG_MAX] = "";
  assert_int_equal(sp_log_files_resolve(dir, name, out, sizeof out, err, sizeof err), SPATE_EINVAL);
  if (!strstr(err, why)) fail_msg("'%s': error '%s' does not say '%s'", name, err, why);
}

static void test_confined(void **state) {
  (void)state;
  put("app.log", "inside\n");
  char out[600], err[SP_ERRMSG_MAX], want[600];
  assert_int_equal(sp_log_files_resolve(dir, "app.log", out, sizeof out, err, sizeof err), 0);
  assert_non_null(realpath(dir, want));
  strcat(want, "/app.log");
  assert_string_equal(out, want);
  refused("..", "'..'");
  refused("../etc/passwd", "'..'");
  refused("..%2f..%2fetc%2fpasswd", "'..'"); /* ..%252f.. once decoded */
  refused("%2e%2e%2fetc", "'%'");
  refused("/etc/passwd", "path separator");
  refused("a\\b", "path separator");
  refused("", "empty");
  refused(".", "empty");
  refused("a\nb", "control character");
  char link[600];
  snprintf(link, sizeof link, "%s/escape.log", dir);
  assert_int_equal(symlink("/etc/passwd", link), 0);
  refused("escape.log", "not a file of the log directory");
  assert_int_equal(sp_log_files_resolve(dir, "none.log", out, sizeof out, err, sizeof err),
                   SPATE_ENOENT);
  assert_int_equal(sp_log_files_check_name("spate-x.log", err, sizeof err), 0);
}

static void test_read_tail(void **state) {
  (void)state;
  put("big.log", "0123456789");
  char path[600], err[SP_ERRMSG_MAX];
  snprintf(path, sizeof path, "%s/big.log", dir);
  sp_log_data d;
  assert_int_equal(sp_log_files_read(path, 100, &d, err, sizeof err), 0);
  assert_false(d.truncated);
  assert_int_equal(d.len, 10);
  assert_string_equal(d.data, "0123456789");
  sp_log_data_free(&d);
  assert_int_equal(sp_log_files_read(path, 4, &d, err, sizeof err), 0);
  assert_true(d.truncated);
  assert_int_equal(d.size, 10);
  assert_string_equal(d.data, "6789");
  sp_log_data_free(&d);
  snprintf(path, sizeof path, "%s/none", dir);
  assert_int_equal(sp_log_files_read(path, 4, &d, err, sizeof err), SPATE_ENOENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_own_files, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list, setup, teardown),
      cmocka_unit_test_setup_teardown(test_confined, setup, teardown),
      cmocka_unit_test_setup_teardown(test_read_tail, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
