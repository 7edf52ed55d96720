/*
 * fuzz_side_input.c: the side input of a lookup join (connectors/side_input.c, Nexmark q13's
 * --side-input file) on file contents.
 *
 * Input: the file's bytes. Checks: a failure names the input, a line that exists and a column
 * within it (at most one past its end); a success has one row per non-empty line, sorted by key
 * (spate_side_input_find returns exactly the rows of a key), each value valid UTF-8; written back as
 * "key,"quoted value"" lines, the rows parse again to the same rows in the same order. The same
 * bytes loaded from a file give the same result as parsed from memory.
 */
#include "fuzz.h"

#include "base/err.h"
#include "base/utf8.h"
#include "spate/side_input.h"

#define NAME "side.csv"

/* The lines of the input and their lengths (without "\n"); n non-empty ones after "\r". */
static void count_lines(const uint8_t *data, size_t size, size_t *lines, size_t *nonempty) {
  *lines = *nonempty = 0;
  for (size_t start = 0; start < size;) {
    const uint8_t *nl = memchr(data + start, '\n', size - start);
    size_t end = nl ? (size_t)(nl - data) : size, len = end - start;
    if (len && data[end - 1] == '\r') len--;
    (*lines)++;
    *nonempty += len > 0;
    start = end + 1;
  }
}

/* The length of line k (1-based) of the input, without "\n". */
static size_t line_len(const uint8_t *data, size_t size, long k) {
  size_t start = 0;
  for (long i = 1; i < k; i++)
    start = (size_t)((const uint8_t *)memchr(data + start, '\n', size - start) - data) + 1;
  const uint8_t *nl = memchr(data + start, '\n', size - start);
  return (nl ? (size_t)(nl - data) : size) - start;
}

static void check_failure(const uint8_t *data, size_t size, const char *err) {
  long line = 0, col = 0;
  int at = 0;
  size_t lines, nonempty;
  count_lines(data, size, &lines, &nonempty);
  FUZZ_CHECK(sscanf(err, NAME ":%ld:%ld: %n", &line, &col, &at) == 2 && at > 0 && err[at],
             "message does not name the input, line and column: %s", err);
  FUZZ_CHECK(line >= 1 && (size_t)line <= lines, "line %ld of %zu lines: %s", line, lines, err);
  FUZZ_CHECK(col >= 1 && (size_t)col <= line_len(data, size, line) + 1,
             "column %ld past line %ld's end: %s", col, line, err);
}

/* s's rows written back as CSV lines, every value quoted. */
static char *write_back(const spate_side_input *s, size_t *len) {
  size_t cap = 64;
  for (size_t i = 0; i < spate_side_input_size(s); i++) {
    size_t vlen;
    spate_side_input_value(s, i, &vlen);
    cap += 24 + 2 * vlen + 4;
  }
  char *out = sp_malloc(cap), *w = out;
  FUZZ_CHECK(out != NULL, "out of memory");
  for (size_t i = 0; i < spate_side_input_size(s); i++) {
    size_t vlen;
    const char *v = spate_side_input_value(s, i, &vlen);
    w += sprintf(w, "%lld,\"", (long long)spate_side_input_key(s, i));
    for (size_t k = 0; k < vlen; k++) {
      if (v[k] == '"') *w++ = '"';
      *w++ = v[k];
    }
    *w++ = '"';
    *w++ = '\n';
  }
  *len = (size_t)(w - out);
  return out;
}

static void check_same(const spate_side_input *a, const spate_side_input *b, const char *what) {
  FUZZ_CHECK(spate_side_input_size(a) == spate_side_input_size(b), "%s: %zu rows, then %zu", what,
             spate_side_input_size(a), spate_side_input_size(b));
  for (size_t i = 0; i < spate_side_input_size(a); i++) {
    size_t la, lb;
    const char *va = spate_side_input_value(a, i, &la), *vb = spate_side_input_value(b, i, &lb);
    FUZZ_CHECK(spate_side_input_key(a, i) == spate_side_input_key(b, i) && la == lb &&
                   memcmp(va, vb, la) == 0,
               "%s: row %zu differs", what, i);
  }
}

static void check_success(const uint8_t *data, size_t size, const spate_side_input *s) {
  size_t lines, nonempty;
  count_lines(data, size, &lines, &nonempty);
  size_t n = spate_side_input_size(s);
  FUZZ_CHECK(n == nonempty, "%zu rows from %zu non-empty lines", n, nonempty);
  for (size_t i = 0; i < n; i++) {
    size_t vlen, end;
    const char *v = spate_side_input_value(s, i, &vlen);
    FUZZ_CHECK(sp_utf8_invalid_at(v, vlen) < 0, "row %zu's value is not UTF-8", i);
    int64_t key = spate_side_input_key(s, i);
    FUZZ_CHECK(i == 0 || spate_side_input_key(s, i - 1) <= key, "row %zu out of key order", i);
    size_t first = spate_side_input_find(s, key, &end);
    FUZZ_CHECK(first <= i && i < end, "find(%lld) misses row %zu", (long long)key, i);
    FUZZ_CHECK((first == 0 || spate_side_input_key(s, first - 1) != key) &&
                   (end == n || spate_side_input_key(s, end) != key),
               "find(%lld) returns part of its rows", (long long)key);
  }
  if (n && spate_side_input_key(s, 0) > INT64_MIN) { /* below the least key: none */
    size_t end, first = spate_side_input_find(s, spate_side_input_key(s, 0) - 1, &end);
    FUZZ_CHECK(first == end, "find of an absent key returns rows");
  }
  size_t len;
  char *text = write_back(s, &len), err[SP_ERRMSG_MAX];
  spate_side_input *again = NULL;
  int rc = spate_side_input_parse(NAME, text, len, &again, err, sizeof err);
  FUZZ_CHECK(rc == 0, "written back, the rows do not parse: %s", err);
  check_same(s, again, "written back and parsed again");
  spate_side_input_free(again);
  sp_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[SP_ERRMSG_MAX] = "";
  spate_side_input *s = NULL;
  int rc = spate_side_input_parse(NAME, (const char *)data, size, &s, err, sizeof err);
  if (rc == 0) {
    FUZZ_CHECK(s != NULL, "success without a side input");
    check_success(data, size, s);
  } else {
    FUZZ_CHECK(rc == SPATE_EINVAL && s == NULL, "rc %d", rc);
    check_failure(data, size, err);
  }
  /* The same bytes from a file: the same rows, or the same message with the file's path. */
  char path[4200];
  snprintf(path, sizeof path, "%s/" NAME, fuzz_dir());
  FILE *f = fopen(path, "wb");
  FUZZ_CHECK(f && fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write %s", path);
  spate_side_input *loaded = NULL;
  char err2[SP_ERRMSG_MAX] = "";
  int rc2 = spate_side_input_load(path, &loaded, err2, sizeof err2);
  FUZZ_CHECK(rc2 == rc, "loaded from a file: %d, parsed: %d (%s)", rc2, rc, err2);
  if (rc == 0) {
    check_same(s, loaded, "loaded from a file");
  } else {
    const char *tail = strstr(err2, NAME ":");
    FUZZ_CHECK(tail && strcmp(tail, err) == 0, "loaded: '%s', parsed: '%s'", err2, err);
  }
  spate_side_input_free(loaded);
  spate_side_input_free(s);
  return 0;
}
