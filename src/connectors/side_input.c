/*
 * side_input.c: a lookup join's side input from a CSV file of "key,value" lines (spate/side_input.h).
 * The values live in one arena, the entries (key, value's place) in one array sorted by key.
 */
#define _GNU_SOURCE
#include "spate/side_input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/utf8.h"

typedef struct si_entry {
  int64_t key;
  size_t at, len; /* the value: arena[at .. at + len) */
} si_entry;

struct spate_side_input {
  si_entry *entries;
  size_t n, cap;
  char *arena;
  size_t used, room;
};

void spate_side_input_free(spate_side_input *s) {
  if (!s) return;
  sp_free(s->entries);
  sp_free(s->arena);
  sp_free(s);
}

/* Room for one more entry and len more bytes of values; -1 when out of memory. */
static int reserve(spate_side_input *s, size_t len) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 1024;
    si_entry *e = sp_realloc(s->entries, cap * sizeof *e);
    if (!e) return -1;
    s->entries = e;
    s->cap = cap;
  }
  if (!s->arena || s->used + len > s->room) {
    size_t room = s->room ? 2 * s->room : 16384;
    while (room < s->used + len) room *= 2;
    char *a = sp_realloc(s->arena, room);
    if (!a) return -1;
    s->arena = a;
    s->room = room;
  }
  return 0;
}

/* A BIGINT: an optional sign and decimal digits, nothing else, within int64's range. */
static int parse_key(const char *p, size_t len, int64_t *out) {
  size_t i = 0;
  int neg = 0;
  if (i < len && (p[i] == '-' || p[i] == '+')) neg = p[i++] == '-';
  if (i == len) return -1;
  uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; i < len; i++) {
    if (p[i] < '0' || p[i] > '9') return -1;
    unsigned d = (unsigned)(p[i] - '0');
    if (v > (limit - d) / 10) return -1;
    v = v * 10 + d;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

/* Parses one line (without its "\n") into s; returns 0, or the 1-based column of the error
 * with *what saying what is wrong (-1: out of memory). */
static long parse_line(spate_side_input *s, const char *line, size_t len, const char **what) {
  if (len && line[len - 1] == '\r') len--;
  if (len == 0) return 0;
  long bad = sp_utf8_invalid_at(line, len);
  if (bad >= 0) return *what = "invalid UTF-8", bad + 1;
  const char *comma = memchr(line, ',', len);
  if (!comma) return *what = "no ',' after the key", (long)len + 1;
  int64_t key;
  if (parse_key(line, (size_t)(comma - line), &key) < 0)
    return *what = "the key is not a BIGINT", 1;
  const char *v = comma + 1, *stop = line + len;
  size_t vlen = (size_t)(stop - v);
  if (reserve(s, vlen) < 0) return -1;
  char *w = s->arena + s->used;
  if (vlen && v[0] == '"') { /* quoted: "" is one quote, nothing may follow the closing one */
    const char *r = v + 1;
    for (;;) {
      if (r == stop) return *what = "unbalanced quote", (long)(v - line) + 1;
      if (*r == '"' && r + 1 < stop && r[1] == '"') {
        *w++ = '"';
        r += 2;
      } else if (*r == '"') {
        if (r + 1 != stop) return *what = "text after the closing quote", (long)(r - line) + 2;
        break;
      } else {
        *w++ = *r++;
      }
    }
    vlen = (size_t)(w - (s->arena + s->used));
  } else if (memchr(v, ',', vlen) || memchr(v, '"', vlen)) {
    return *what = "more than two fields, or a quote in an unquoted value", (long)(v - line) + 1;
  } else {
    memcpy(w, v, vlen);
  }
  s->entries[s->n++] = (si_entry){key, s->used, vlen};
  s->used += vlen;
  return 0;
}

static int by_key(const void *a, const void *b) {
  const si_entry *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->at < y->at ? -1 : x->at > y->at; /* the file's order among equal keys */
}

int spate_side_input_parse(const char *name, const char *text, size_t len, spate_side_input **out,
                           char *err, size_t cap) {
  *out = NULL;
  spate_side_input *s = sp_calloc(1, sizeof *s);
  if (!s) return sp_err(err, cap, SPATE_ENOMEM, "out of memory loading side input '%s'", name);
  long lineno = 0, col = 0;
  const char *what = "";
  for (size_t start = 0; col == 0 && start < len;) {
    const char *nl = memchr(text + start, '\n', len - start);
    size_t end = nl ? (size_t)(nl - text) : len;
    lineno++;
    col = parse_line(s, text + start, end - start, &what);
    start = end + 1;
  }
  if (col != 0) {
    spate_side_input_free(s);
    if (col < 0)
      return sp_err(err, cap, SPATE_ENOMEM, "out of memory loading side input '%s'", name);
    return sp_err(err, cap, SPATE_EINVAL, "%s:%ld:%ld: %s", name, lineno, col, what);
  }
  if (s->n) qsort(s->entries, s->n, sizeof *s->entries, by_key);
  *out = s;
  return 0;
}

int spate_side_input_load(const char *path, spate_side_input **out, char *err, size_t cap) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return sp_err(err, cap, SPATE_EIO, "cannot open side input '%s': %s", path, strerror(errno));
  char *text = NULL;
  size_t len = 0, room = 0;
  int rc = 0;
  for (;;) {
    if (len == room) {
      room = room ? 2 * room : 65536;
      char *t = sp_realloc(text, room);
      if (!t) {
        rc = sp_err(err, cap, SPATE_ENOMEM, "out of memory reading side input '%s'", path);
        break;
      }
      text = t;
    }
    size_t got = fread(text + len, 1, room - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f)) rc = sp_err(err, cap, SPATE_EIO, "reading side input '%s' failed", path);
      break;
    }
  }
  fclose(f);
  if (rc == 0) rc = spate_side_input_parse(path, text, len, out, err, cap);
  sp_free(text);
  return rc;
}

size_t spate_side_input_size(const spate_side_input *s) { return s->n; }

size_t spate_side_input_find(const spate_side_input *s, int64_t key, size_t *end) {
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->entries[mid].key < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t e = lo;
  while (e < s->n && s->entries[e].key == key) e++;
  *end = e;
  return lo;
}

int64_t spate_side_input_key(const spate_side_input *s, size_t i) { return s->entries[i].key; }

const char *spate_side_input_value(const spate_side_input *s, size_t i, size_t *len) {
  *len = s->entries[i].len;
  return s->arena + s->entries[i].at;
}
