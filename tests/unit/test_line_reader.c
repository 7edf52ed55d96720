/*
 * test_line_reader.c: the file source's line reader. The core check reads real files with tiny
 * split sizes at parallelism 1..4 and compares every subtask's lines with a reference model of
 * the split rule (a line belongs to the split its first byte lies in; split k goes to subtask
 * k % parallelism), so each line is seen exactly once and in file order. Also: directory
 * expansion, error messages, invalid UTF-8, a 10 MB line and the buffer shrinking after it, and
 * allocation failures.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw */
#endif
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "connectors/line_reader.h"
#include "spate/spate.h"

/* ---- temp files ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static char *make_tmpdir(void) {
  char tmpl[] = "/tmp/spate_lr_XXXXXX";
  char *d = mkdtemp(tmpl);
  assert_non_null(d);
  return strdup(d);
}

static void remove_tmpdir(char *dir) {
  chmod(dir, 0700);
  assert_int_equal(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
  free(dir);
}

static char *path_in(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static void write_file(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  if (len > 0) assert_int_equal(fwrite(data, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

/* ---- the reference model ---- */

typedef struct {
  char *text; /* malloc'd, NUL-terminated (lines in tests hold no NUL) */
} line_t;

typedef struct {
  line_t *v;
  size_t n, cap;
} lines_t;

static void lines_push(lines_t *ls, const char *p, size_t n) {
  if (ls->n == ls->cap) {
    ls->cap = ls->cap ? ls->cap * 2 : 16;
    ls->v = realloc(ls->v, ls->cap * sizeof *ls->v);
  }
  ls->v[ls->n].text = strndup(p, n);
  ls->n++;
}

static void lines_free(lines_t *ls) {
  for (size_t i = 0; i < ls->n; i++) free(ls->v[i].text);
  free(ls->v);
  memset(ls, 0, sizeof *ls);
}

/* Appends the lines of one file, for parallelism p, that subtask s must return in order: a line
 * starting at offset q is in split q / split_bytes of its file; *k0 numbers splits globally. */
static void model_file(const char *data, size_t len, int64_t split_bytes, int p, int s, int64_t *k0,
                       lines_t *out) {
  size_t q = 0;
  while (q < len) {
    const char *nl = memchr(data + q, '\n', len - q);
    size_t e = nl ? (size_t)(nl - data) : len;
    size_t n = e - q;
    if (n > 0 && data[q + n - 1] == '\r') n--;
    int64_t k = *k0 + (int64_t)q / split_bytes;
    if (k % p == s) lines_push(out, data + q, n);
    q = nl ? e + 1 : len;
  }
  *k0 += ((int64_t)len + split_bytes - 1) / split_bytes;
}

static void read_all(line_reader *r, lines_t *out) {
  const char *line;
  size_t len;
  int rc;
  while ((rc = line_reader_next(r, &line, &len)) == 1) lines_push(out, line, len);
  assert_int_equal(rc, 0);
  /* The end is sticky. */
  assert_int_equal(line_reader_next(r, &line, &len), 0);
}

static void assert_lines_equal(const lines_t *got, const lines_t *want) {
  if (got->n != want->n) {
    for (size_t i = 0; i < got->n; i++) print_message("got[%zu] = '%s'\n", i, got->v[i].text);
    for (size_t i = 0; i < want->n; i++) print_message("want[%zu] = '%s'\n", i, want->v[i].text);
  }
  assert_int_equal(got->n, want->n);
  for (size_t i = 0; i < got->n; i++) assert_string_equal(got->v[i].text, want->v[i].text);
}

/* Contents with the awkward cases: empty lines, CRLF, no final newline, a lone "\r", multi-byte
 * characters that a split can cut in half, and lines longer than the splits. */
static const char *const CONTENTS[] = {
    "a\nbb\n\nccc\r\nd",
    "\n\n\n",
    "x",
    "\n",
    "hello\r\n\r\nworld\n",
    "abcdefghij\nk\n\n\nlmnopqrstuvwxyz\r\n\r",
    "h\xc3\xa9llo\nw\xc3\xb6rld\xe2\x82\xac\n\xf0\x9f\x98\x80\n",
    "one line without newline but rather long compared to splits",
};
#define NCONTENTS (sizeof CONTENTS / sizeof CONTENTS[0])
static const int64_t SPLIT_SIZES[] = {1, 2, 3, 7, 100, 0};

static void check_one(const char *const *paths, int npaths, const char *const *datas, int ndatas,
                      int64_t split_bytes, int p) {
  lines_t all_got = {0}, all_want = {0};
  for (int s = 0; s < p; s++) {
    line_reader *r = NULL;
    char err[256];
    int rc = line_reader_open(paths, npaths, s, p, split_bytes, &r, err, sizeof err);
    assert_int_equal(rc, 0);
    lines_t got = {0}, want = {0};
    read_all(r, &got);
    line_reader_close(r);
    int64_t k0 = 0;
    int64_t model_split = split_bytes > 0 ? split_bytes : (int64_t)32 << 20;
    for (int i = 0; i < ndatas; i++)
      model_file(datas[i], strlen(datas[i]), model_split, p, s, &k0, &want);
    assert_lines_equal(&got, &want);
    for (size_t i = 0; i < got.n; i++) lines_push(&all_got, got.v[i].text, strlen(got.v[i].text));
    lines_free(&got);
    lines_free(&want);
  }
  /* Independently of the model: the union over subtasks is exactly the file's lines. */
  for (int i = 0; i < ndatas; i++) {
    int64_t k0 = 0;
    model_file(datas[i], strlen(datas[i]), 1 << 30, 1, 0, &k0, &all_want);
  }
  assert_int_equal(all_got.n, all_want.n);
  for (size_t i = 0; i < all_want.n; i++) {
    size_t j = 0;
    while (j < all_got.n && (!all_got.v[j].text || strcmp(all_got.v[j].text, all_want.v[i].text)))
      j++;
    assert_true(j < all_got.n);
    free(all_got.v[j].text);
    all_got.v[j].text = NULL; /* matched once */
  }
  lines_free(&all_got);
  lines_free(&all_want);
}

static void test_every_line_once_per_file(void **state) {
  (void)state;
  char *dir = make_tmpdir();
  for (size_t c = 0; c < NCONTENTS; c++) {
    char *path = path_in(dir, "f.txt");
    write_file(path, CONTENTS[c], strlen(CONTENTS[c]));
    const char *paths[] = {path};
    for (size_t si = 0; si < sizeof SPLIT_SIZES / sizeof SPLIT_SIZES[0]; si++)
      for (int p = 1; p <= 4; p++) check_one(paths, 1, &CONTENTS[c], 1, SPLIT_SIZES[si], p);
    free(path);
  }
  remove_tmpdir(dir);
}

/* A directory: files in name order, hidden files, subdirectories and empty files skipped (the
 * empty file still counts as a file), splits numbered across files. */
static void test_directory_across_files(void **state) {
  (void)state;
  char *dir = make_tmpdir();
  char names[NCONTENTS][16];
  for (size_t c = 0; c < NCONTENTS; c++) {
    /* Written in reverse name order so that creation order is not name order. */
    snprintf(names[c], sizeof names[c], "part-%02zu", NCONTENTS - 1 - c);
    char *p = path_in(dir, names[c]);
    write_file(p, CONTENTS[c], strlen(CONTENTS[c]));
    free(p);
  }
  char *hidden = path_in(dir, ".hidden");
  write_file(hidden, "secret\n", 7);
  char *empty = path_in(dir, "part-empty");
  write_file(empty, "", 0);
  char *sub = path_in(dir, "subdir");
  assert_int_equal(mkdir(sub, 0700), 0);
  char *subf = path_in(sub, "nested");
  write_file(subf, "nested\n", 7);

  const char *datas[NCONTENTS + 1];
  for (size_t c = 0; c < NCONTENTS; c++) datas[c] = CONTENTS[NCONTENTS - 1 - c]; /* name order */
  datas[NCONTENTS] = "";
  const char *paths[] = {dir};
  for (size_t si = 0; si < sizeof SPLIT_SIZES / sizeof SPLIT_SIZES[0]; si++)
    for (int p = 1; p <= 4; p++) check_one(paths, 1, datas, (int)NCONTENTS + 1, SPLIT_SIZES[si], p);

  /* Several paths: a file then the directory, in the order given. */
  char *extra_dir = make_tmpdir();
  char *extra = path_in(extra_dir, "first");
  write_file(extra, "first\nsecond", 12);
  const char *paths2[] = {extra, dir};
  const char *datas2[NCONTENTS + 2];
  datas2[0] = "first\nsecond";
  memcpy(datas2 + 1, datas, sizeof datas);
  for (int p = 1; p <= 4; p++) {
    check_one(paths2, 2, datas2, (int)NCONTENTS + 2, 3, p);
    check_one(paths2, 2, datas2, (int)NCONTENTS + 2, 0, p);
  }
  free(extra);
  remove_tmpdir(extra_dir);
  free(hidden);
  free(empty);
  free(subf);
  free(sub);
  remove_tmpdir(dir);
}

static void test_open_errors(void **state) {
  (void)state;
  char *dir = make_tmpdir();
  char err[512];
  line_reader *r = (line_reader *)1;

  char *missing = path_in(dir, "missing");
  const char *p1[] = {missing};
  assert_int_equal(line_reader_open(p1, 1, 0, 1, 0, &r, err, sizeof err), SPATE_ENOENT);
  assert_null(r);
  char want[600];
  snprintf(want, sizeof want, "input path '%s' does not exist", missing);
  assert_string_equal(err, want);

  /* A directory with only a hidden file and a subdirectory has no input files. */
  char *empty_dir = path_in(dir, "empty");
  assert_int_equal(mkdir(empty_dir, 0700), 0);
  char *hidden = path_in(empty_dir, ".x");
  write_file(hidden, "x\n", 2);
  char *sub = path_in(empty_dir, "sub");
  assert_int_equal(mkdir(sub, 0700), 0);
  const char *p2[] = {empty_dir};
  assert_int_equal(line_reader_open(p2, 1, 0, 1, 0, &r, err, sizeof err), SPATE_ENOENT);
  snprintf(want, sizeof want, "input directory '%s' contains no files", empty_dir);
  assert_string_equal(err, want);

  /* A good path followed by a missing one still fails, and frees what it planned. */
  char *good = path_in(dir, "good");
  write_file(good, "g\n", 2);
  const char *p3[] = {good, missing};
  assert_int_equal(line_reader_open(p3, 2, 0, 1, 0, &r, err, sizeof err), SPATE_ENOENT);

  assert_int_equal(line_reader_open(p3, 0, 0, 1, 0, &r, err, sizeof err), SPATE_EINVAL);
  assert_int_equal(line_reader_open(p3, 1, 2, 2, 0, &r, err, sizeof err), SPATE_EINVAL);

  /* Permissions do not stop root, so this part only runs for other users. */
  if (geteuid() != 0) {
    char *locked = path_in(dir, "locked");
    write_file(locked, "l\n", 2);
    assert_int_equal(chmod(locked, 0), 0);
    const char *p4[] = {locked};
    assert_int_equal(line_reader_open(p4, 1, 0, 1, 0, &r, err, sizeof err), SPATE_EIO);
    snprintf(want, sizeof want, "input path '%s' is not readable: Permission denied", locked);
    assert_string_equal(err, want);
    free(locked);
  }

  /* A subtask with no split at all is fine and ends at once. */
  const char *p5[] = {good};
  assert_int_equal(line_reader_open(p5, 1, 3, 4, 0, &r, err, sizeof err), 0);
  const char *line;
  size_t len;
  assert_int_equal(line_reader_next(r, &line, &len), 0);
  line_reader_close(r);

  free(good);
  free(sub);
  free(hidden);
  free(empty_dir);
  free(missing);
  remove_tmpdir(dir);
}

static void test_invalid_utf8(void **state) {
  (void)state;
  char *dir = make_tmpdir();
  char *path = path_in(dir, "bad.txt");
  /* "ok\n" 0-2, "fine\n" 3-7, "bad\xff\n" 8-12: the bad byte is at offset 11, on line 3. */
  const char data[] = "ok\nfine\nbad\xff\nafter\n";
  write_file(path, data, sizeof data - 1);
  const char *paths[] = {path};
  char err[512], want[600];
  const char *line;
  size_t len;

  line_reader *r;
  assert_int_equal(line_reader_open(paths, 1, 0, 1, 0, &r, err, sizeof err), 0);
  assert_int_equal(line_reader_next(r, &line, &len), 1);
  assert_int_equal(line_reader_next(r, &line, &len), 1);
  assert_int_equal(len, 4);
  assert_memory_equal(line, "fine", 4);
  assert_int_equal(line_reader_next(r, &line, &len), SPATE_EINVAL);
  snprintf(want, sizeof want, "invalid UTF-8 in '%s' at line 3 (byte offset 11)", path);
  assert_string_equal(line_reader_error(r), want);
  /* The error is sticky. */
  assert_int_equal(line_reader_next(r, &line, &len), SPATE_EINVAL);
  line_reader_close(r);

  /* Split size 5: the bad line starts at 8, in split 1 [5, 10), which does not count lines. */
  assert_int_equal(line_reader_open(paths, 1, 1, 3, 5, &r, err, sizeof err), 0);
  assert_int_equal(line_reader_next(r, &line, &len), SPATE_EINVAL);
  snprintf(want, sizeof want, "invalid UTF-8 in '%s' at byte offset 11", path);
  assert_string_equal(line_reader_error(r), want);
  line_reader_close(r);

  /* Overlong encodings and lone surrogates are invalid too; the offset points at them. */
  const char over[] = "\xc0\xafx\n";
  write_file(path, over, sizeof over - 1);
  assert_int_equal(line_reader_open(paths, 1, 0, 1, 0, &r, err, sizeof err), 0);
  assert_int_equal(line_reader_next(r, &line, &len), SPATE_EINVAL);
  snprintf(want, sizeof want, "invalid UTF-8 in '%s' at line 1 (byte offset 0)", path);
  assert_string_equal(line_reader_error(r), want);
  line_reader_close(r);

  const char sur[] = "ab\ncd\xed\xa0\x80\n";
  write_file(path, sur, sizeof sur - 1);
  assert_int_equal(line_reader_open(paths, 1, 0, 1, 0, &r, err, sizeof err), 0);
  assert_int_equal(line_reader_next(r, &line, &len), 1);
  assert_int_equal(line_reader_next(r, &line, &len), SPATE_EINVAL);
  snprintf(want, sizeof want, "invalid UTF-8 in '%s' at line 2 (byte offset 5)", path);
  assert_string_equal(line_reader_error(r), want);
  line_reader_close(r);

  free(path);
  remove_tmpdir(dir);
}

/* A 10 MB line comes back intact, and the reader gives the memory back on the next line. */
static void test_long_line_and_shrink(void **state) {
  (void)state;
  char *dir = make_tmpdir();
  char *path = path_in(dir, "long.txt");
  size_t big = 10u * 1000 * 1000;
  size_t total = 7 + big + 1 + 7 + 3;
  char *data = malloc(total);
  memcpy(data, "short1\n", 7);
  for (size_t i = 0; i < big; i++) data[7 + i] = (char)('a' + (i * 7 + i / 4096) % 26);
  memcpy(data + 7 + big, "\nshort2\nend", 11);
  write_file(path, data, total);
  const char *paths[] = {path};

  int64_t before = sp_alloc_current();
  line_reader *r;
  char err[512];
  const char *line;
  size_t len;
  assert_int_equal(line_reader_open(paths, 1, 0, 1, 0, &r, err, sizeof err), 0);
  assert_int_equal(line_reader_next(r, &line, &len), 1);
  assert_int_equal(len, 6);
  assert_memory_equal(line, "short1", 6);
  assert_int_equal(line_reader_next(r, &line, &len), 1);
  assert_int_equal(len, big);
  assert_memory_equal(line, data + 7, big);
  assert_true(sp_alloc_current() - before > (int64_t)big);
  assert_int_equal(line_reader_next(r, &line, &len), 1);
  assert_int_equal(len, 6);
  assert_memory_equal(line, "short2", 6);
  assert_true(sp_alloc_current() - before < ((int64_t)4 << 20));
  assert_int_equal(line_reader_next(r, &line, &len), 1);
  assert_int_equal(len, 3);
  assert_memory_equal(line, "end", 3);
  assert_int_equal(line_reader_next(r, &line, &len), 0);
  line_reader_close(r);
  assert_int_equal(sp_alloc_current(), before);

  /* The same file cut into 1 MB splits over 3 subtasks: the long line is read once, by the
   * subtask whose split it starts in, while the others skip through it. */
  size_t seen_big = 0, seen = 0;
  for (int s = 0; s < 3; s++) {
    assert_int_equal(line_reader_open(paths, 1, s, 3, 1 << 20, &r, err, sizeof err), 0);
    int rc;
    while ((rc = line_reader_next(r, &line, &len)) == 1) {
      seen++;
      if (len == big) {
        assert_int_equal(s, 0);
        assert_memory_equal(line, data + 7, big);
        seen_big++;
      }
    }
    assert_int_equal(rc, 0);
    line_reader_close(r);
  }
  assert_int_equal(seen_big, 1);
  assert_int_equal(seen, 4);

  free(data);
  free(path);
  remove_tmpdir(dir);
}

/* Every allocation in open and read may fail: the reader reports ENOMEM and leaks nothing, and
 * with failures off the same reads succeed. */
static void test_allocation_failures(void **state) {
  (void)state;
  char *dir = make_tmpdir();
  char *a = path_in(dir, "a");
  char *b = path_in(dir, "b");
  write_file(a, "1\n2\n", 4);
  write_file(b, "3\n", 2);
  const char *paths[] = {dir};
  int64_t before = sp_alloc_current();
  int succeeded = 0;
  for (int64_t n = 1; n < 100 && !succeeded; n++) {
    char err[512];
    line_reader *r = NULL;
    sp_alloc_fail_after(n, 1);
    int rc = line_reader_open(paths, 1, 0, 1, 0, &r, err, sizeof err);
    if (rc == 0) {
      const char *line;
      size_t len;
      int lines = 0;
      while ((rc = line_reader_next(r, &line, &len)) == 1) lines++;
      if (rc == 0) {
        assert_int_equal(lines, 3);
        succeeded = 1;
      } else {
        assert_int_equal(rc, SPATE_ENOMEM);
      }
      line_reader_close(r);
    } else {
      assert_int_equal(rc, SPATE_ENOMEM);
      assert_null(r);
    }
    sp_alloc_fail_after(0, 0);
    assert_int_equal(sp_alloc_current(), before);
  }
  assert_true(succeeded);
  free(a);
  free(b);
  remove_tmpdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_line_once_per_file),
      cmocka_unit_test(test_directory_across_files),
      cmocka_unit_test(test_open_errors),
      cmocka_unit_test(test_invalid_utf8),
      cmocka_unit_test(test_long_line_and_shrink),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
