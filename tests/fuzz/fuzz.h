/*
 * fuzz.h: what the fuzz targets (tests/fuzz/fuzz_<what>.c) share. Each target defines
 * LLVMFuzzerTestOneInput; libFuzzer calls it with generated inputs (`make fuzz`), replay_main.c
 * with the committed ones (`make check`).
 *
 * A target feeds its input to one decoder and then uses what was decoded the way the engine
 * would, cheaply. Sanitizers catch memory errors, undefined behaviour and leaks; FUZZ_CHECK
 * catches broken contracts (an error without a message, a value that does not round-trip) by
 * aborting, which libFuzzer reports as a crash like any other.
 *
 * Targets whose decoders read files get a private temporary directory (under $TMPDIR, else
 * /tmp), created on first use and removed with everything in it when the process exits.
 */
#ifndef SPATE_TESTS_FUZZ_H
#define SPATE_TESTS_FUZZ_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw's FTW_DEPTH / FTW_PHYS; include fuzz.h first */
#endif
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                       \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "%s:%d: fuzz check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                                 \
      fputc('\n', stderr);                                                          \
      abort();                                                                      \
    }                                                                               \
  } while (0)

/* A NUL-terminated copy of the input (sp_free), for decoders of C strings. Bytes after an
 * embedded NUL are invisible to them, as they would be to any caller. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
  char *s = sp_malloc(size + 1);
  FUZZ_CHECK(s != NULL, "out of memory copying %zu bytes", size);
  if (size) memcpy(s, data, size);
  s[size] = 0;
  return s;
}

/* The buffer holding the directory's path ("" until created). */
static inline char *fuzz_dir_buf(void) {
  static char path[4096];
  return path;
}

static inline int fuzz_rm_entry(const char *path, const struct stat *st, int flag,
                                struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

static inline void fuzz_rm_dir(void) {
  if (fuzz_dir_buf()[0]) nftw(fuzz_dir_buf(), fuzz_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The process's temporary directory. */
static inline const char *fuzz_dir(void) {
  char *path = fuzz_dir_buf();
  if (path[0]) return path;
  const char *tmp = getenv("TMPDIR");
  snprintf(path, 4096, "%s/spate-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  FUZZ_CHECK(mkdtemp(path) != NULL, "cannot create %s", path);
  atexit(fuzz_rm_dir);
  return path;
}

/* <fuzz_dir()>/<name> into out. */
static inline void fuzz_path(char *out, size_t cap, const char *name) {
  int n = snprintf(out, cap, "%s/%s", fuzz_dir(), name);
  FUZZ_CHECK(n > 0 && (size_t)n < cap, "path of %s too long", name);
}

/* Replaces the file at path with the bytes given. */
static inline void fuzz_write_file(const char *path, const void *data, size_t size) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  FUZZ_CHECK(fd >= 0, "cannot create %s", path);
  const uint8_t *p = data;
  while (size > 0) {
    ssize_t k = write(fd, p, size);
    FUZZ_CHECK(k > 0, "cannot write %s", path);
    p += k;
    size -= (size_t)k;
  }
  close(fd);
}

/* Reads every byte of [p, p + n), so ASan checks that a view into decoded bytes is valid. */
static inline void fuzz_touch(const void *p, size_t n) {
  const uint8_t *b = p;
  uint8_t x = 0;
  for (size_t i = 0; i < n; i++) x ^= b[i];
  __asm__ volatile("" : : "r"(x)); /* the result is "used", so the reads stay */
}

/* Reads a little-endian u32 at p (inputs are not aligned). */
static inline uint32_t fuzz_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
#endif
