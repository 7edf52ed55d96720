/*
 * q13.c: Nexmark Query 13, bounded side input join: every bid with the value its auction's
 * key has in a side input read from a file,
 *     CREATE TABLE side_input (key BIGINT, `value` VARCHAR)
 *       WITH ('connector.type' = 'filesystem', 'connector.path' = '...', 'format.type' = 'csv');
 *     SELECT B.auction, B.bidder, B.price, B.dateTime, S.value
 *     FROM (SELECT *, PROCTIME() AS p_time FROM bid) B
 *     JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S
 *     ON mod(B.auction, 10000) = S.key
 * The side input is the file given as --side-input FILE (csv: key,value); without it, the one
 * nexmark's side_input_gen.sh writes: the keys 0..9999, each with itself as the value. Flink runs this
 * lookup join by loading the whole file into each subtask's cache when the join opens; so does
 * this job (q13_open): the side input is bounded and static, so the result does not depend on
 * timing. A bid whose key is not in the file has no row (an inner join); a key that is in the
 * file several times gives one row per match.
 *
 * The file is parsed here, strictly: one row per line, "key,value" with the value optionally in
 * double quotes (RFC 4180: "" inside is one quote), an empty line skipped, a trailing "\r"
 * dropped; anything else fails the job naming the file, line and column.
 */
#define _GNU_SOURCE /* getline, realpath */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexmark_query.h"

SPATE_RECORD(q13_out, (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, BIGINT_NOT_NULL), (dateTime, TIMESTAMP_NOT_NULL), (value, STRING_NOT_NULL));

/* The side input: entries sorted by key (stable, so equal keys keep the file's order), their
 * values in one arena. */
struct q13_entry {
  int64_t key;
  size_t at, len; /* the value: arena[at .. at + len) */
};
struct q13_side {
  struct q13_entry *entries;
  size_t n, cap;
  char *arena;
  size_t used, room;
};

static void side_free(struct q13_side *s) {
  if (!s) return;
  free(s->entries);
  free(s->arena);
  free(s);
}

static int add_entry(struct q13_side *s, int64_t key, const char *v, size_t len) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 1024;
    struct q13_entry *e = realloc(s->entries, cap * sizeof *e);
    if (!e) return -1;
    s->entries = e;
    s->cap = cap;
  }
  if (!s->arena || s->used + len > s->room) {
    size_t room = s->room ? 2 * s->room : 16384;
    while (room < s->used + len) room *= 2;
    char *a = realloc(s->arena, room);
    if (!a) return -1;
    s->arena = a;
    s->room = room;
  }
  memcpy(s->arena + s->used, v, len);
  s->entries[s->n++] = (struct q13_entry){key, s->used, len};
  s->used += len;
  return 0;
}

/* Parses one line (without its "\n") into the side input; returns 0, or the 1-based column of
 * the error with *what saying what is wrong (-1: out of memory). */
static long parse_line(struct q13_side *s, char *line, size_t len, const char **what) {
  if (len && line[len - 1] == '\r') len--;
  if (len == 0) return 0;
  line[len] = 0;
  char *comma = memchr(line, ',', len);
  if (!comma) return *what = "no ',' after the key", (long)len + 1;
  errno = 0;
  char *end;
  long long key = strtoll(line, &end, 10);
  if (end == line || end != comma || errno == ERANGE || line[0] == ' ' || line[0] == '\t')
    return *what = "the key is not a BIGINT", 1;
  char *v = comma + 1, *stop = line + len;
  size_t vlen = (size_t)(stop - v);
  if (vlen && v[0] == '"') { /* quoted: "" is one quote, nothing may follow the closing one */
    char *w = v, *r = v + 1;
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
    vlen = (size_t)(w - v);
  } else if (memchr(v, ',', vlen) || memchr(v, '"', vlen)) {
    return *what = "more than two fields, or a quote in an unquoted value", (long)(v - line) + 1;
  }
  return add_entry(s, (int64_t)key, v, vlen) < 0 ? -1 : 0;
}

static int by_key(const void *a, const void *b) {
  const struct q13_entry *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return x->at < y->at ? -1 : x->at > y->at; /* the file's order among equal keys */
}

/* nexmark's own side input (side_input_gen.sh): "k,k" for the keys 0..9999, in key order. */
static int default_side(spate_ctx *ctx, void **user) {
  struct q13_side *s = calloc(1, sizeof *s);
  for (int64_t k = 0; s && k < 10000; k++) {
    char v[8];
    int n = snprintf(v, sizeof v, "%" PRId64, k);
    if (add_entry(s, k, v, (size_t)n) < 0) {
      side_free(s);
      s = NULL;
    }
  }
  if (!s) return spate_ctx_fail(ctx, "q13: out of memory building the side input");
  *user = s;
  return 0;
}

/* Loads the side input named by the operator's argument (none: nexmark's own), once per
 * subtask. */
int q13_open(spate_ctx *ctx, void **user) {
  size_t plen;
  const char *arg = spate_ctx_arg(ctx, &plen);
  char path[PATH_MAX];
  if (!arg || plen == 0) return default_side(ctx, user);
  if (plen >= sizeof path) return spate_ctx_fail(ctx, "q13: side input path too long");
  memcpy(path, arg, plen);
  path[plen] = 0;
  FILE *f = fopen(path, "r");
  if (!f) return spate_ctx_fail(ctx, "q13: cannot open side input '%s': %s", path, strerror(errno));
  struct q13_side *s = calloc(1, sizeof *s);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long lineno = 0, col = s ? 0 : -1;
  const char *what = "out of memory";
  while (col == 0 && (n = getline(&line, &cap, f)) >= 0) {
    lineno++;
    if (n > 0 && line[n - 1] == '\n') n--;
    col = parse_line(s, line, (size_t)n, &what);
  }
  int bad_read = col == 0 && ferror(f);
  free(line);
  fclose(f);
  if (col != 0 || bad_read) {
    side_free(s);
    if (bad_read) return spate_ctx_fail(ctx, "q13: reading side input '%s' failed", path);
    if (col < 0) return spate_ctx_fail(ctx, "q13: out of memory loading side input '%s'", path);
    return spate_ctx_fail(ctx, "q13: %s:%ld:%ld: %s", path, lineno, col, what);
  }
  qsort(s->entries, s->n, sizeof *s->entries, by_key);
  *user = s;
  return 0;
}

void q13_close(spate_ctx *ctx, void *user) { side_free(user); }

/* Emits the bid once per side-input row of its key (none: no row). */
int q13_join(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  const struct q13_side *s = spate_ctx_user(ctx);
  struct nexmark_bid b = nexmark_bid_read(in);
  int64_t key = b.auction % 10000; /* SQL's mod: the sign of the dividend */
  size_t lo = 0, hi = s->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->entries[mid].key < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t i = lo; i < s->n && s->entries[i].key == key; i++) {
    const struct q13_entry *e = &s->entries[i];
    int rc = q13_out_emit(
        out, &(struct q13_out){
                 b.auction, b.bidder, b.price, b.dateTime, {s->arena + e->at, (uint32_t)e->len}});
    if (rc < 0) return rc;
  }
  return 0;
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  const char *side = spate_arg(argc, argv, "--side-input", NULL);
  char path[PATH_MAX] = "";
  if (side && strcmp(side, SPATE_ARG_NO_VALUE) == 0) {
    fprintf(stderr, "q13: --side-input needs a FILE (csv: key,value)\n");
    return 2;
  }
  if (side && !realpath(side, path)) { /* the subtasks may run in another working directory */
    fprintf(stderr, "q13: cannot use side input '%s': %s\n", side, strerror(errno));
    return 2;
  }
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *joined = spate_flat_map(bids, q13_join, q13_out_schema());
  if (path[0]) spate_udf_arg(joined, path, strlen(path));
  spate_udf_lifecycle(joined, q13_open, q13_close);
  nexmark_output(env, joined, q13_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q13");
}
