/*
 * replay_main.c: runs a fuzz target on files instead of under libFuzzer, so that `make check`
 * (gcc, ASan + UBSan, no clang needed) replays every committed input: the seeds and the
 * regressions/ of inputs that once found a bug.
 *
 * Usage: replay_<what> PATH...   (a directory is walked recursively; hidden files are skipped)
 * Each input is read into a buffer of exactly its size, as libFuzzer passes it, so a decoder
 * that reads past the end is caught. The input's path is printed before it runs, so a crash
 * names it. Exits non-zero if a path cannot be read or no input was found at all (a misnamed
 * directory must not pass as "nothing to replay").
 */
#include "fuzz.h" /* first: it sets _GNU_SOURCE */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct path_list {
  char **v;
  size_t n, cap;
} path_list;

static void add_path(path_list *l, const char *p) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
    FUZZ_CHECK(l->v != NULL, "out of memory");
  }
  l->v[l->n] = strdup(p);
  FUZZ_CHECK(l->v[l->n] != NULL, "out of memory");
  l->n++;
}

/* Adds path (a file, or every file under a directory) to l; 0 or -1 after printing why. */
static int collect(path_list *l, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    add_path(l, path);
    return 0;
  }
  DIR *d = opendir(path);
  if (!d) {
    fprintf(stderr, "replay: cannot list %s: %s\n", path, strerror(errno));
    return -1;
  }
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.') continue;
    char sub[4096];
    int n = snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof sub, "path too long under %s", path);
    rc = collect(l, sub);
  }
  closedir(d);
  return rc;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the whole file into an exact-size buffer (malloc; 1 byte for an empty file). */
static uint8_t *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  FUZZ_CHECK(fstat(fileno(f), &st) == 0, "cannot stat %s", path);
  *size = (size_t)st.st_size;
  uint8_t *buf = malloc(*size ? *size : 1);
  FUZZ_CHECK(buf != NULL, "out of memory reading %s", path);
  size_t got = fread(buf, 1, *size, f);
  fclose(f);
  if (got != *size) {
    fprintf(stderr, "replay: short read of %s\n", path);
    free(buf);
    return NULL;
  }
  return buf;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH...\n", argv[0]);
    return 2;
  }
  path_list l = {0};
  int rc = 0;
  for (int i = 1; i < argc; i++)
    if (collect(&l, argv[i]) != 0) rc = 1;
  if (l.n > 1) qsort(l.v, l.n, sizeof *l.v, cmp_str);
  for (size_t i = 0; i < l.n; i++) {
    size_t size = 0;
    uint8_t *data = read_file(l.v[i], &size);
    if (!data) {
      rc = 1;
      continue;
    }
    fprintf(stderr, "replay: %s (%zu bytes)\n", l.v[i], size);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
  }
  if (l.n == 0) {
    fprintf(stderr, "replay: no inputs found\n");
    rc = 1;
  } else {
    fprintf(stderr, "replay: %zu inputs replayed\n", l.n);
  }
  for (size_t i = 0; i < l.n; i++) free(l.v[i]);
  free(l.v);
  return rc;
}
