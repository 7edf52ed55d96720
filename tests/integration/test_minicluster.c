/*
 * test_minicluster.c: whole jobs on the embedded MiniCluster through the public API.
 *
 *  - WordCount over generated text at parallelism 1, 2 and 4 against counts made here with a
 *    sort: every word's running counts are exactly 1..n in emission order, one row per word;
 *  - Flink's rolling aggregation semantics (sum/min/max keep the first row's other fields,
 *    min_by/max_by emit the extreme row, first one on ties) and reduce, exact rows in order;
 *  - union, filter, flat map, and every partitioning (rebalance, rescale, shuffle, broadcast,
 *    global, forward, custom, key by) at various parallelisms, checked through rows tagged with
 *    the subtask that saw them; key by lands where Flink's key groups put it;
 *  - backpressure with bounded memory: a source into a sink that holds its first row until the
 *    source waits for a buffer finishes with every row, the source reports time spent waiting,
 *    and accounted memory stays small;
 *  - failures: a UDF's message reaches the result with the operator and subtask, a bare negative
 *    code names the operator, too few slots fail with NoResourceAvailable at once (on a clock that
 *    stands still, so no timeout can end the job instead), a static UDF is rejected while
 *    building; slot sharing groups need the sum of their parallelisms;
 *  - a 5 MB row through a keyed exchange, and per-operator record counts.
 *
 * UDFs have external linkage (this program is linked with -rdynamic) and a mc_ prefix.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/log.h"
#include "runtime/buffer_pool.h"
#include "spate/spate.h"
#include "support/testkit.h"

#define MB (1024 * 1024)

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "WARN"); /* an environment starts from the config's level */
  return env;
}

static size_t op_index(const spate_job_result *r, const char *name) {
  for (size_t i = 0; i < spate_job_result_num_operators(r); i++)
    if (strcmp(spate_job_result_operator(r, i), name) == 0) return i;
  print_error("no operator named '%s' in the result\n", name);
  fail();
  return 0;
}

static void assert_finished(const spate_job_result *r) {
  assert_non_null(r);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED) {
    print_error("job %s: %s\n", spate_job_status_name(spate_job_result_status(r)),
                spate_job_result_error(r) ? spate_job_result_error(r) : "(no error)");
    fail();
  }
}

static void assert_contains(const char *s, const char *what) {
  if (!s || !strstr(s, what)) {
    print_error("\"%s\" does not contain \"%s\"\n", s ? s : "(null)", what);
    fail();
  }
}

static bool bytes_eq(spate_bytes b, const char *s) {
  return b.len == strlen(s) && memcmp(b.ptr, s, b.len) == 0;
}

/* ============================================================================================
 * WordCount */
#define WC_LINES 12000

/* Line `index` of the generated text: 0..11 words (some lines empty), separated by one or more
 * spaces, drawn from a skewed vocabulary so that some words are frequent and many are rare. */
static size_t make_line(int64_t index, char *out) {
  uint64_t s = (uint64_t)index * 0x9E3779B97F4A7C15ull + 0x1234567ull;
  s ^= s >> 31;
  size_t len = 0;
  int nwords = (int)(s % 12);
  for (int w = 0; w < nwords; w++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t r = (uint32_t)(s >> 33);
    uint32_t id = r % 4 == 0 ? r % 7 : r % 4 == 1 ? r % 60 : r % 3000;
    if (w > 0 || r % 5 == 0) out[len++] = ' ';
    if (r % 9 == 0) out[len++] = ' ';
    /* the word: id in base 26, at least two letters, "x" appended for odd ids */
    char tmp[16];
    int n = 0;
    uint32_t v = id;
    do {
      tmp[n++] = (char)('a' + v % 26);
      v /= 26;
    } while (v || n < 2);
    while (n) out[len++] = tmp[--n];
    if (id & 1) out[len++] = 'x';
  }
  out[len] = 0;
  return len;
}

int mc_text_line(spate_ctx *ctx, int64_t index, spate_row_builder *out) {
  (void)ctx;
  char line[256];
  size_t n = make_line(index, line);
  spate_rb_set_string(out, 0, line, n);
  return 0;
}

int mc_split_words(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  (void)ctx;
  spate_bytes line = spate_row_string(in, 0);
  size_t i = 0;
  while (i < line.len) {
    while (i < line.len && line.ptr[i] == ' ') i++;
    size_t start = i;
    while (i < line.len && line.ptr[i] != ' ') i++;
    if (i > start) {
      spate_row_builder *rb = spate_collect_begin(out);
      spate_rb_set_string(rb, 0, line.ptr + start, i - start);
      spate_rb_set_bigint(rb, 1, 1);
      int rc = spate_collect_emit(out);
      if (rc < 0) return rc;
    }
  }
  return 0;
}

typedef struct word_count {
  char *word;
  int64_t count;
} word_count;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}
static int cmp_wc(const void *a, const void *b) {
  return strcmp(((const word_count *)a)->word, ((const word_count *)b)->word);
}

/* The expected final counts, computed without the engine: all words, sorted, counted in runs. */
static word_count *expected_counts(size_t *nwords_total, size_t *nunique) {
  size_t cap = 1024, n = 0;
  char **all = malloc(cap * sizeof *all);
  char line[256];
  for (int64_t i = 0; i < WC_LINES; i++) {
    make_line(i, line);
    for (char *tok = strtok(line, " "); tok; tok = strtok(NULL, " ")) {
      if (n == cap) all = realloc(all, (cap *= 2) * sizeof *all);
      all[n++] = strdup(tok);
    }
  }
  qsort(all, n, sizeof *all, cmp_str);
  word_count *wc = malloc((n + 1) * sizeof *wc);
  size_t u = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && strcmp(all[j], all[i]) == 0) j++;
    wc[u].word = all[i];
    wc[u].count = (int64_t)(j - i);
    for (size_t k = i + 1; k < j; k++) free(all[k]);
    u++;
    i = j;
  }
  free(all);
  *nwords_total = n;
  *nunique = u;
  return wc;
}

/* Runs WordCount at parallelism p and returns each word's final count in `final` (indexed like
 * the expected array), checking the running counts on the way. */
static void run_wordcount(int p, const word_count *expect, size_t nunique, size_t ntotal,
                          int64_t *final) {
  spate_env *env = new_env();
  spate_env_set_parallelism(env, p);
  const spate_schema *line = spate_env_schema(env, "line STRING NOT NULL");
  const spate_schema *wc = spate_env_schema(env, "word STRING NOT NULL, count BIGINT NOT NULL");
  spate_stream *text = spate_generate(env, line, mc_text_line, WC_LINES);
  spate_stream *words = spate_name(spate_flat_map(text, mc_split_words, wc), "tokenizer");
  spate_stream *counts = spate_name(spate_sum(spate_key_by(words, 0), 1), "counter");
  spate_collect(counts, "counts");
  assert_null(spate_env_error(env));
  spate_job_result *r = tk_run(env, "WordCount");
  assert_finished(r);

  const spate_row *rows;
  const spate_schema *schema;
  size_t n = spate_job_result_collected(r, "counts", &rows, &schema);
  assert_non_null(schema);
  assert_int_equal(spate_schema_num_fields(schema), 2);
  if (n != ntotal) {
    for (size_t i = 0; i < spate_job_result_num_operators(r); i++)
      fprintf(stderr, "p=%d %s in %llu out %llu\n", p, spate_job_result_operator(r, i),
              (unsigned long long)spate_job_result_records_in(r, i),
              (unsigned long long)spate_job_result_records_out(r, i));
  }
  assert_int_equal(n, ntotal); /* one updated count per word occurrence */
  memset(final, 0, nunique * sizeof *final);
  for (size_t i = 0; i < n; i++) {
    spate_bytes w = spate_row_string(&rows[i], 0);
    char buf[64];
    assert_true(w.len < sizeof buf);
    memcpy(buf, w.ptr, w.len);
    buf[w.len] = 0;
    word_count key = {buf, 0};
    const word_count *e = bsearch(&key, expect, nunique, sizeof *expect, cmp_wc);
    if (!e) {
      print_error("p=%d: unexpected word '%s'\n", p, buf);
      fail();
    }
    size_t idx = (size_t)(e - expect);
    /* rolling count: the previous one plus one, in the order the rows were emitted */
    int64_t c = spate_row_bigint(&rows[i], 1);
    if (c != final[idx] + 1) {
      print_error("p=%d: word '%s' count %lld after %lld\n", p, buf, (long long)c,
                  (long long) final[idx]);
      fail();
    }
    final[idx] = c;
  }
  for (size_t k = 0; k < nunique; k++) {
    if (final[k] != expect[k].count) {
      print_error("p=%d: '%s' counted %lld, expected %lld\n", p, expect[k].word,
                  (long long) final[k], (long long)expect[k].count);
      fail();
    }
  }
  /* metrics agree: the tokenizer emitted every word, the counter got and emitted them all */
  assert_int_equal(spate_job_result_records_out(r, op_index(r, "tokenizer")), ntotal);
  assert_int_equal(spate_job_result_records_in(r, op_index(r, "counter")), ntotal);
  assert_int_equal(spate_job_result_records_out(r, op_index(r, "Source: Generator Source")),
                   WC_LINES);
  spate_job_result_free(r);
  spate_env_free(env);
}

static void test_wordcount_parallelism_1_2_4(void **state) {
  (void)state;
  size_t ntotal, nunique;
  word_count *expect = expected_counts(&ntotal, &nunique);
  assert_true(ntotal > 50000);
  assert_true(nunique > 1000);
  int64_t *finals[3];
  int ps[3] = {1, 2, 4};
  for (int k = 0; k < 3; k++) {
    finals[k] = malloc(nunique * sizeof *finals[k]);
    run_wordcount(ps[k], expect, nunique, ntotal, finals[k]);
  }
  assert_memory_equal(finals[0], finals[1], nunique * sizeof *finals[0]);
  assert_memory_equal(finals[0], finals[2], nunique * sizeof *finals[0]);
  for (int k = 0; k < 3; k++) free(finals[k]);
  for (size_t k = 0; k < nunique; k++) free(expect[k].word);
  free(expect);
}

/* ============================================================================================
 * Aggregations and reduce */
static const char *AGG_SCHEMA =
    "k STRING NOT NULL, v BIGINT NOT NULL, tag STRING NOT NULL, "
    "d DOUBLE NOT NULL, i INT NOT NULL";

typedef struct agg_row {
  const char *k;
  int64_t v;
  const char *tag;
  double d;
  int32_t i;
} agg_row;

static const agg_row AGG_INPUT[] = {
    {"a", 5, "m", 1.5, 10}, {"b", 3, "q", 2.0, -1}, {"a", 2, "c", 0.25, 20},
    {"a", 7, "z", -3.0, 5}, {"b", 3, "p", 1.0, 7},  {"a", 2, "b", 4.0, 20},
};
#define NAGG 6

typedef spate_stream *(*agg_fn)(spate_stream *, int);

/* Runs from_rows(AGG_INPUT) -> key by k -> op at parallelism 1 and compares the output rows. */
static void check_agg(agg_fn op, spate_reduce_fn reduce, int field, const agg_row *want) {
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 1);
  const spate_schema *s = spate_env_schema(env, AGG_SCHEMA);
  spate_row_builder *rb = spate_rb_new(s);
  spate_row rows[NAGG];
  for (int i = 0; i < NAGG; i++) {
    spate_rb_begin(rb);
    spate_rb_set_string(rb, 0, AGG_INPUT[i].k, strlen(AGG_INPUT[i].k));
    spate_rb_set_bigint(rb, 1, AGG_INPUT[i].v);
    spate_rb_set_string(rb, 2, AGG_INPUT[i].tag, strlen(AGG_INPUT[i].tag));
    spate_rb_set_double(rb, 3, AGG_INPUT[i].d);
    spate_rb_set_int(rb, 4, AGG_INPUT[i].i);
    spate_row tmp;
    assert_int_equal(spate_rb_finish(rb, &tmp), 0);
    assert_int_equal(spate_row_copy(&tmp, &rows[i]), 0);
  }
  spate_rb_free(rb);
  spate_stream *keyed = spate_key_by(spate_from_rows(env, s, rows, NAGG), 0);
  for (int i = 0; i < NAGG; i++) spate_row_free(&rows[i]);
  spate_stream *out = op ? op(keyed, field) : spate_reduce(keyed, reduce);
  spate_collect(out, "agg");
  assert_null(spate_env_error(env));
  spate_job_result *r = tk_run(env, "aggregation");
  assert_finished(r);
  const spate_row *got;
  size_t n = spate_job_result_collected(r, "agg", &got, NULL);
  assert_int_equal(n, NAGG);
  for (int i = 0; i < NAGG; i++) {
    const spate_row *g = &got[i];
    bool ok = bytes_eq(spate_row_string(g, 0), want[i].k) && spate_row_bigint(g, 1) == want[i].v &&
              bytes_eq(spate_row_string(g, 2), want[i].tag) &&
              spate_row_double(g, 3) == want[i].d && spate_row_int(g, 4) == want[i].i;
    if (!ok) {
      spate_bytes k = spate_row_string(g, 0), t = spate_row_string(g, 2);
      print_error("row %d: got (%.*s,%lld,%.*s,%g,%d), want (%s,%lld,%s,%g,%d)\n", i, (int)k.len,
                  k.ptr, (long long)spate_row_bigint(g, 1), (int)t.len, t.ptr,
                  spate_row_double(g, 3), spate_row_int(g, 4), want[i].k, (long long)want[i].v,
                  want[i].tag, want[i].d, want[i].i);
      fail();
    }
  }
  spate_job_result_free(r);
  spate_env_free(env);
}

static void test_sum_keeps_first_row(void **state) {
  (void)state;
  const agg_row sum_v[] = {{"a", 5, "m", 1.5, 10}, {"b", 3, "q", 2.0, -1},
                           {"a", 7, "m", 1.5, 10}, {"a", 14, "m", 1.5, 10},
                           {"b", 6, "q", 2.0, -1}, {"a", 16, "m", 1.5, 10}};
  check_agg(spate_sum, NULL, 1, sum_v);
  const agg_row sum_d[] = {{"a", 5, "m", 1.5, 10},  {"b", 3, "q", 2.0, -1},
                           {"a", 5, "m", 1.75, 10}, {"a", 5, "m", -1.25, 10},
                           {"b", 3, "q", 3.0, -1},  {"a", 5, "m", 2.75, 10}};
  check_agg(spate_sum, NULL, 3, sum_d);
  const agg_row sum_i[] = {{"a", 5, "m", 1.5, 10}, {"b", 3, "q", 2.0, -1}, {"a", 5, "m", 1.5, 30},
                           {"a", 5, "m", 1.5, 35}, {"b", 3, "q", 2.0, 6},  {"a", 5, "m", 1.5, 55}};
  check_agg(spate_sum, NULL, 4, sum_i);
}

static void test_min_max_keep_first_row(void **state) {
  (void)state;
  const agg_row min_v[] = {{"a", 5, "m", 1.5, 10}, {"b", 3, "q", 2.0, -1}, {"a", 2, "m", 1.5, 10},
                           {"a", 2, "m", 1.5, 10}, {"b", 3, "q", 2.0, -1}, {"a", 2, "m", 1.5, 10}};
  check_agg(spate_min, NULL, 1, min_v);
  const agg_row max_v[] = {{"a", 5, "m", 1.5, 10}, {"b", 3, "q", 2.0, -1}, {"a", 5, "m", 1.5, 10},
                           {"a", 7, "m", 1.5, 10}, {"b", 3, "q", 2.0, -1}, {"a", 7, "m", 1.5, 10}};
  check_agg(spate_max, NULL, 1, max_v);
  /* a variable-length field: the stored row is rebuilt around the new value */
  const agg_row min_tag[] = {{"a", 5, "m", 1.5, 10}, {"b", 3, "q", 2.0, -1},
                             {"a", 5, "c", 1.5, 10}, {"a", 5, "c", 1.5, 10},
                             {"b", 3, "p", 2.0, -1}, {"a", 5, "b", 1.5, 10}};
  check_agg(spate_min, NULL, 2, min_tag);
  const agg_row max_tag[] = {{"a", 5, "m", 1.5, 10}, {"b", 3, "q", 2.0, -1},
                             {"a", 5, "m", 1.5, 10}, {"a", 5, "z", 1.5, 10},
                             {"b", 3, "q", 2.0, -1}, {"a", 5, "z", 1.5, 10}};
  check_agg(spate_max, NULL, 2, max_tag);
  const agg_row max_d[] = {{"a", 5, "m", 1.5, 10}, {"b", 3, "q", 2.0, -1}, {"a", 5, "m", 1.5, 10},
                           {"a", 5, "m", 1.5, 10}, {"b", 3, "q", 2.0, -1}, {"a", 5, "m", 4.0, 10}};
  check_agg(spate_max, NULL, 3, max_d);
}

static void test_min_by_max_by_first_wins_ties(void **state) {
  (void)state;
  const agg_row *in = AGG_INPUT;
  /* v: a = 5, 2, 7, 2 (the later 2 ties: the first stays); b = 3, 3 (tie) */
  const agg_row min_by_v[] = {in[0], in[1], in[2], in[2], in[1], in[2]};
  check_agg(spate_min_by, NULL, 1, min_by_v);
  const agg_row max_by_v[] = {in[0], in[1], in[0], in[3], in[1], in[3]};
  check_agg(spate_max_by, NULL, 1, max_by_v);
  /* i: a = 10, 20, 5, 20 (ties with row 2); b = -1, 7 */
  const agg_row min_by_i[] = {in[0], in[1], in[0], in[3], in[1], in[3]};
  check_agg(spate_min_by, NULL, 4, min_by_i);
  const agg_row max_by_i[] = {in[0], in[1], in[2], in[2], in[4], in[2]};
  check_agg(spate_max_by, NULL, 4, max_by_i);
}

/* reduce: v summed, tags concatenated, d of the newer row, i counting the reductions */
int mc_reduce(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_field(out, 0, acc, 0);
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(in, 1));
  spate_bytes a = spate_row_string(acc, 2), b = spate_row_string(in, 2);
  char buf[64];
  if (a.len + b.len > sizeof buf) return spate_ctx_fail(ctx, "tag too long");
  memcpy(buf, a.ptr, a.len);
  memcpy(buf + a.len, b.ptr, b.len);
  spate_rb_set_string(out, 2, buf, a.len + b.len);
  spate_rb_set_double(out, 3, spate_row_double(in, 3));
  spate_rb_set_int(out, 4, spate_row_int(acc, 4) + 1);
  return 0;
}

static void test_reduce(void **state) {
  (void)state;
  const agg_row want[] = {{"a", 5, "m", 1.5, 10},   {"b", 3, "q", 2.0, -1},
                          {"a", 7, "mc", 0.25, 11}, {"a", 14, "mcz", -3.0, 12},
                          {"b", 6, "qp", 1.0, 0},   {"a", 16, "mczb", 4.0, 13}};
  check_agg(NULL, mc_reduce, 0, want);
}

/* ============================================================================================
 * Union, filter, flat map, partitioning */
int mc_is_even(spate_ctx *ctx, const spate_row *in) {
  (void)ctx;
  return spate_row_bigint(in, 0) % 2 == 0;
}

int mc_three_copies(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  (void)ctx;
  for (int c = 0; c < 3; c++) {
    spate_row_builder *rb = spate_collect_begin(out);
    spate_rb_set_bigint(rb, 0, spate_row_bigint(in, 0));
    spate_rb_set_int(rb, 1, c);
    int rc = spate_collect_emit(out);
    if (rc < 0) return rc;
  }
  return 0;
}

static void test_union_filter_flat_map(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 2);
  const spate_schema *copies = spate_env_schema(env, "v BIGINT NOT NULL, copy INT NOT NULL");
  spate_stream *a = spate_parallelism(spate_from_sequence(env, 1, 1000), 2);
  spate_stream *b = spate_parallelism(spate_from_sequence(env, 1001, 3000), 3);
  spate_stream *c = spate_parallelism(spate_from_sequence(env, 3001, 3600), 1);
  spate_stream *u = spate_union(spate_union(a, b), c);
  spate_stream *even = spate_parallelism(spate_name(spate_filter(u, mc_is_even), "even"), 2);
  spate_stream *three =
      spate_parallelism(spate_flat_map(spate_rebalance(even), mc_three_copies, copies), 4);
  spate_collect(three, "copies");
  assert_null(spate_env_error(env));
  spate_job_result *r = tk_run(env, "union");
  assert_finished(r);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "copies", &rows, NULL);
  assert_int_equal(n, 1800 * 3);
  static uint8_t seen[3601];
  memset(seen, 0, sizeof seen);
  for (size_t i = 0; i < n; i++) {
    int64_t v = spate_row_bigint(&rows[i], 0);
    int32_t copy = spate_row_int(&rows[i], 1);
    assert_true(v >= 2 && v <= 3600 && v % 2 == 0);
    assert_true(copy >= 0 && copy < 3);
    assert_int_equal(seen[v] & (1 << copy), 0);
    seen[v] |= (uint8_t)(1 << copy);
  }
  for (int v = 2; v <= 3600; v += 2) assert_int_equal(seen[v], 7);
  size_t f = op_index(r, "even");
  assert_int_equal(spate_job_result_records_in(r, f), 3600);
  assert_int_equal(spate_job_result_records_out(r, f), 1800);
  spate_job_result_free(r);
  spate_env_free(env);
}

/* (v) -> (v, subtask, parallelism) */
int mc_tag_subtask(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  spate_rb_set_int(out, 1, spate_ctx_subtask(ctx));
  spate_rb_set_int(out, 2, spate_ctx_parallelism(ctx));
  return 0;
}

int mc_mod_partition(spate_ctx *ctx, const spate_row *key, int num_partitions) {
  (void)ctx;
  return (int)(spate_row_bigint(key, 0) % num_partitions);
}

typedef enum {
  P_REBALANCE,
  P_RESCALE,
  P_SHUFFLE,
  P_BROADCAST,
  P_GLOBAL,
  P_FORWARD,
  P_CUSTOM,
  P_KEYED
} pkind;

typedef struct tagged {
  size_t n;
  int64_t *v;
  int *sub;
  int per_sub[16];
} tagged;

/* sequence 1..N at p_src -> partitioning -> tag map at p_map -> collect */
static tagged run_partitioned(pkind kind, int64_t N, int p_src, int p_map, bool chain) {
  spate_env *env = new_env();
  if (!chain) spate_env_disable_operator_chaining(env);
  const spate_schema *t =
      spate_env_schema(env, "v BIGINT NOT NULL, sub INT NOT NULL, par INT NOT NULL");
  spate_stream *s = spate_parallelism(spate_from_sequence(env, 1, N), p_src);
  switch (kind) {
  case P_REBALANCE: s = spate_rebalance(s); break;
  case P_RESCALE: s = spate_rescale(s); break;
  case P_SHUFFLE: s = spate_shuffle(s); break;
  case P_BROADCAST: s = spate_broadcast(s); break;
  case P_GLOBAL: s = spate_global(s); break;
  case P_FORWARD: s = spate_forward(s); break;
  case P_CUSTOM: s = spate_partition_custom(s, mc_mod_partition, 0); break;
  case P_KEYED: s = spate_key_by(s, 0); break;
  }
  spate_stream *m = spate_parallelism(spate_name(spate_map(s, mc_tag_subtask, t), "tagger"), p_map);
  spate_parallelism(spate_collect(m, "tagged"), p_map);
  assert_null(spate_env_error(env));
  spate_job_result *r = tk_run(env, "partitioning");
  assert_finished(r);
  const spate_row *rows;
  tagged out;
  memset(&out, 0, sizeof out);
  out.n = spate_job_result_collected(r, "tagged", &rows, NULL);
  out.v = malloc((out.n + 1) * sizeof *out.v);
  out.sub = malloc((out.n + 1) * sizeof *out.sub);
  for (size_t i = 0; i < out.n; i++) {
    out.v[i] = spate_row_bigint(&rows[i], 0);
    out.sub[i] = spate_row_int(&rows[i], 1);
    assert_int_equal(spate_row_int(&rows[i], 2), p_map);
    assert_true(out.sub[i] >= 0 && out.sub[i] < p_map);
    out.per_sub[out.sub[i]]++;
  }
  /* the tagger saw exactly what was collected */
  assert_int_equal(spate_job_result_records_in(r, op_index(r, "tagger")), out.n);
  spate_job_result_free(r);
  spate_env_free(env);
  return out;
}

static void tagged_free(tagged *t) {
  free(t->v);
  free(t->sub);
}

/* Each of 1..N exactly once; returns the subtask of each value in sub_of[1..N]. */
static void assert_each_once(const tagged *t, int64_t N, int *sub_of) {
  assert_int_equal(t->n, (size_t)N);
  for (int64_t v = 0; v <= N; v++) sub_of[v] = -1;
  for (size_t i = 0; i < t->n; i++) {
    assert_true(t->v[i] >= 1 && t->v[i] <= N);
    assert_int_equal(sub_of[t->v[i]], -1);
    sub_of[t->v[i]] = t->sub[i];
  }
}

/* Which source subtask emits value v of a sequence 1..N at parallelism p (contiguous splits). */
static int producer_of(int64_t v, int64_t N, int p) {
  int64_t k = v - 1;
  for (int i = 0; i < p; i++)
    if (k >= N * i / p && k < N * (i + 1) / p) return i;
  return -1;
}

static void test_rebalance_rescale_shuffle(void **state) {
  (void)state;
  enum { N = 4000 };
  static int sub_of[N + 1];
  /* rebalance from one producer: exact round robin */
  tagged t = run_partitioned(P_REBALANCE, N, 1, 4, true);
  assert_each_once(&t, N, sub_of);
  for (int c = 0; c < 4; c++) assert_int_equal(t.per_sub[c], N / 4);
  for (int64_t v = 1; v <= N; v++) assert_int_equal(sub_of[v], (v - 1) % 4);
  tagged_free(&t);
  /* rebalance 3 -> 2: every producer spreads evenly */
  t = run_partitioned(P_REBALANCE, N, 3, 2, true);
  assert_each_once(&t, N, sub_of);
  for (int c = 0; c < 2; c++) assert_true(abs(t.per_sub[c] - N / 2) <= 3);
  tagged_free(&t);
  /* rescale 2 -> 4: producer i feeds consumers 2i and 2i+1 only, evenly */
  t = run_partitioned(P_RESCALE, N, 2, 4, true);
  assert_each_once(&t, N, sub_of);
  for (int64_t v = 1; v <= N; v++) assert_int_equal(sub_of[v] / 2, producer_of(v, N, 2));
  for (int c = 0; c < 4; c++) assert_int_equal(t.per_sub[c], N / 4);
  tagged_free(&t);
  /* rescale 4 -> 2: consumer j reads producers 2j and 2j+1 */
  t = run_partitioned(P_RESCALE, N, 4, 2, true);
  assert_each_once(&t, N, sub_of);
  for (int64_t v = 1; v <= N; v++) assert_int_equal(sub_of[v], producer_of(v, N, 4) / 2);
  tagged_free(&t);
  /* shuffle 2 -> 3: every value once, every subtask a fair share */
  t = run_partitioned(P_SHUFFLE, N, 2, 3, true);
  assert_each_once(&t, N, sub_of);
  for (int c = 0; c < 3; c++) assert_true(t.per_sub[c] > N / 5);
  tagged_free(&t);
}

static void test_broadcast_global_forward(void **state) {
  (void)state;
  enum { N = 3000 };
  static int sub_of[N + 1];
  /* broadcast 2 -> 3: every value reaches every subtask once */
  tagged t = run_partitioned(P_BROADCAST, N, 2, 3, true);
  assert_int_equal(t.n, (size_t)N * 3);
  static uint8_t seen[N + 1];
  memset(seen, 0, sizeof seen);
  for (size_t i = 0; i < t.n; i++) {
    assert_int_equal(seen[t.v[i]] & (1 << t.sub[i]), 0);
    seen[t.v[i]] |= (uint8_t)(1 << t.sub[i]);
  }
  for (int v = 1; v <= N; v++) assert_int_equal(seen[v], 7);
  for (int c = 0; c < 3; c++) assert_int_equal(t.per_sub[c], N);
  tagged_free(&t);
  /* global 3 -> 4: everything on subtask 0 */
  t = run_partitioned(P_GLOBAL, N, 3, 4, true);
  assert_each_once(&t, N, sub_of);
  assert_int_equal(t.per_sub[0], N);
  tagged_free(&t);
  /* forward 3 -> 3, chained and over the network: subtask i keeps producer i's values */
  for (int chain = 0; chain < 2; chain++) {
    t = run_partitioned(P_FORWARD, N, 3, 3, chain);
    assert_each_once(&t, N, sub_of);
    for (int64_t v = 1; v <= N; v++) assert_int_equal(sub_of[v], producer_of(v, N, 3));
    tagged_free(&t);
  }
  /* default partitioning between different parallelisms is rebalance: all values arrive */
  spate_env *env = new_env();
  const spate_schema *s =
      spate_env_schema(env, "v BIGINT NOT NULL, sub INT NOT NULL, par INT NOT NULL");
  spate_stream *m =
      spate_map(spate_parallelism(spate_from_sequence(env, 1, N), 2), mc_tag_subtask, s);
  spate_collect(spate_parallelism(m, 3), "x");
  spate_job_result *r = tk_run(env, "default partitioning");
  assert_finished(r);
  assert_int_equal(spate_job_result_collected(r, "x", NULL, NULL), N);
  spate_job_result_free(r);
  spate_env_free(env);
}

/* Flink: KeyGroupRangeAssignment with MathUtils.murmurHash over Long.hashCode. */
static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }
static int flink_subtask_for_long(int64_t key, int maxp, int p) {
  uint32_t k = (uint32_t)((uint64_t)key ^ ((uint64_t)key >> 32));
  k *= 0xcc9e2d51u;
  k = rotl32(k, 15);
  k *= 0x1b873593u;
  uint32_t h = rotl32(k, 13) * 5u + 0xe6546b64u;
  h ^= 4u;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  int32_t m = (int32_t)h >= 0 ? (int32_t)h : h == 0x80000000u ? 0 : (int32_t)(0u - h);
  return (m % maxp) * p / maxp;
}

static void test_custom_and_keyed_partitioning(void **state) {
  (void)state;
  enum { N = 3000 };
  static int sub_of[N + 1];
  tagged t = run_partitioned(P_CUSTOM, N, 2, 3, true);
  assert_each_once(&t, N, sub_of);
  for (int64_t v = 1; v <= N; v++) assert_int_equal(sub_of[v], v % 3);
  tagged_free(&t);
  /* key by: each key lands on the subtask Flink would choose (default max parallelism 128) */
  t = run_partitioned(P_KEYED, N, 2, 4, true);
  assert_each_once(&t, N, sub_of);
  for (int64_t v = 1; v <= N; v++) assert_int_equal(sub_of[v], flink_subtask_for_long(v, 128, 4));
  for (int c = 0; c < 4; c++) assert_true(t.per_sub[c] > N / 8);
  tagged_free(&t);
}

/* ============================================================================================
 * Backpressure with bounded memory */
static _Atomic int64_t g_sunk;
static _Atomic int64_t g_sink_bad;

int mc_fast_gen(spate_ctx *ctx, int64_t index, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, index);
  return 0;
}

static tk_gate g_sink_gate;

/* Holds its first row at g_sink_gate: the source fills every buffer of the exchange and waits. */
int mc_slow_sink(spate_ctx *ctx, const spate_row *in) {
  int64_t n = atomic_load_explicit(&g_sunk, memory_order_relaxed);
  if (n == 0 && !tk_gate_pass(&g_sink_gate))
    return spate_ctx_fail(ctx, "the sink was held back for too long");
  if (spate_row_bigint(in, 0) != n) atomic_fetch_add(&g_sink_bad, 1); /* in order, none lost */
  atomic_store_explicit(&g_sunk, n + 1, memory_order_relaxed);
  return 0;
}

static void test_backpressure_bounded_memory(void **state) {
  (void)state;
  enum { N = 2000000 };
  atomic_store(&g_sunk, 0);
  atomic_store(&g_sink_bad, 0);
  int64_t base = sp_alloc_current();
  /* the peak is process-wide and never goes down: measurable only if nothing before us went
   * that high (this test runs first) */
  assert_true(sp_alloc_peak() < base + 4 * MB);
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 1);
  spate_env_set(env, "taskmanager.memory.segment-size", "4 kb");
  const spate_schema *s = spate_env_schema(env, "v BIGINT NOT NULL");
  spate_stream *src = spate_generate(env, s, mc_fast_gen, N);
  spate_name(spate_sink(spate_rebalance(src), mc_slow_sink), "slow");
  assert_null(spate_env_error(env));
  tk_gate_reset(&g_sink_gate);
  uint64_t waits = bufpool_waits();
  spate_job_client *c = spate_execute_async(env, "backpressure");
  assert_non_null(c);
  TK_AWAIT(tk_gate_arrived(&g_sink_gate) == 1 && bufpool_waits() > waits,
           "the sink holding its first row and the source waiting for a free buffer");
  tk_gate_open(&g_sink_gate);
  spate_job_result *r = tk_wait(c, "backpressure");
  assert_finished(r);
  int64_t growth = sp_alloc_peak() - base;
  assert_int_equal(atomic_load(&g_sunk), N);
  assert_int_equal(atomic_load(&g_sink_bad), 0);
  size_t src_i = op_index(r, "Source: Generator Source");
  size_t sink_i = op_index(r, "Sink: slow");
  assert_int_equal(spate_job_result_records_out(r, src_i), N);
  assert_int_equal(spate_job_result_records_in(r, sink_i), N);
  assert_true(spate_job_result_backpressure_ns(r, src_i) > 0);
  if (growth >= 1 * MB) {
    print_error("accounted memory grew by %lld bytes while streaming %d rows\n", (long long)growth,
                N);
    fail();
  }
  spate_job_result_free(r);
  spate_env_free(env);
}

/* ============================================================================================
 * Failures */
int mc_validate(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  int64_t v = spate_row_bigint(in, 0);
  if (v == 150000) return spate_ctx_fail(ctx, "bad record %lld", (long long)v);
  spate_rb_set_bigint(out, 0, v);
  return 0;
}

int mc_negative(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  (void)ctx;
  if (spate_row_bigint(in, 0) == 10) return SPATE_EIO;
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  return 0;
}

static void test_udf_failure_propagates(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 2);
  const spate_schema *s = spate_env_schema(env, "v BIGINT NOT NULL");
  spate_stream *src = spate_from_sequence(env, 1, 200000);
  spate_stream *m = spate_name(spate_map(spate_rebalance(src), mc_validate, s), "validator");
  spate_discard(m);
  spate_job_result *r = tk_run(env, "failing");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  const char *err = spate_job_result_error(r);
  assert_contains(err, "validator");
  assert_contains(err, "subtask");
  assert_contains(err, "bad record 150000");
  spate_job_result_free(r);
  spate_env_free(env);

  /* a bare negative code: the message says which operator and what it returned */
  env = new_env();
  spate_env_set_parallelism(env, 2);
  s = spate_env_schema(env, "v BIGINT NOT NULL");
  spate_discard(
      spate_name(spate_map(spate_from_sequence(env, 1, 1000), mc_negative, s), "negative-map"));
  r = tk_run(env, "failing too");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_contains(spate_job_result_error(r), "negative-map");
  assert_contains(spate_job_result_error(r), "-3");
  spate_job_result_free(r);
  spate_env_free(env);
}

static void test_no_resource_available(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_env_set(env, "taskmanager.numberOfTaskSlots", "1");
  spate_env_set_parallelism(env, 2);
  const spate_schema *s = spate_env_schema(env, "v BIGINT NOT NULL");
  spate_discard(spate_map(spate_from_sequence(env, 1, 10), mc_negative, s));
  /* refused at once, not after slot.request.timeout: on a clock that never moves a timeout would
   * never end the job, and tk_run would fail saying it awaited the job's end */
  spate_clock *clock = spate_manual_clock_create(0);
  spate_env_set_clock(env, clock);
  spate_job_result *r = tk_run(env, "too big");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_contains(spate_job_result_error(r), "NoResourceAvailable");
  spate_job_result_free(r);
  spate_env_free(env);
  spate_manual_clock_free(clock);
}

static int mc_static_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  return 0;
}

static void test_static_udf_rejected(void **state) {
  (void)state;
  spate_env *env = new_env();
  const spate_schema *s = spate_env_schema(env, "v BIGINT NOT NULL");
  spate_stream *m = spate_map(spate_from_sequence(env, 1, 10), mc_static_map, s);
  assert_null(m);
  assert_contains(spate_env_error(env), "static");
  spate_discard(m); /* later calls are no-ops on the failed environment */
  /* nothing is submitted (no wait): spate_execute returns the build error as a failed result */
  spate_job_result *r = spate_execute(env, "static");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_contains(spate_job_result_error(r), "static");
  spate_job_result_free(r);
  spate_env_free(env);
}

/* ============================================================================================
 * Slot sharing groups */
static spate_job_result *run_two_groups(const char *slots) {
  spate_env *env = new_env();
  if (slots) spate_env_set(env, "taskmanager.numberOfTaskSlots", slots);
  spate_env_set_parallelism(env, 2);
  const spate_schema *t =
      spate_env_schema(env, "v BIGINT NOT NULL, sub INT NOT NULL, par INT NOT NULL");
  spate_stream *src = spate_from_sequence(env, 1, 3000); /* group "default", parallelism 2 */
  spate_stream *m = spate_map(spate_rebalance(src), mc_tag_subtask, t);
  m = spate_parallelism(spate_slot_sharing_group(spate_name(m, "other-group"), "other"), 3);
  spate_parallelism(spate_collect(m, "out"), 3); /* inherits "other" */
  assert_null(spate_env_error(env));
  spate_job_result *r = tk_run(env, "two groups");
  spate_env_free(env);
  return r;
}

static void test_slot_sharing_groups_sum(void **state) {
  (void)state;
  spate_job_result *r = run_two_groups("5"); /* 2 (default) + 3 (other) */
  assert_finished(r);
  assert_int_equal(spate_job_result_collected(r, "out", NULL, NULL), 3000);
  spate_job_result_free(r);
  r = run_two_groups(NULL); /* the local cluster is sized for the job */
  assert_finished(r);
  assert_int_equal(spate_job_result_collected(r, "out", NULL, NULL), 3000);
  spate_job_result_free(r);
  r = run_two_groups("4");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_contains(spate_job_result_error(r), "NoResourceAvailable");
  assert_contains(spate_job_result_error(r), "5 task slots");
  spate_job_result_free(r);
}

/* ============================================================================================
 * A row larger than any buffer through a keyed exchange */
#define BIG_LEN (5u * 1024 * 1024)

static char big_char(int64_t id, size_t i) {
  return (char)('a' + (i * 7 + (size_t)id + i / 4099) % 26);
}

int mc_big_gen(spate_ctx *ctx, int64_t index, spate_row_builder *out) {
  size_t len = index % 3 == 0 ? BIG_LEN + (size_t)index : (size_t)index * 10;
  char *s = malloc(len + 1);
  if (!s) return spate_ctx_fail(ctx, "out of memory");
  for (size_t i = 0; i < len; i++) s[i] = big_char(index, i);
  spate_rb_set_bigint(out, 0, index);
  spate_rb_set_string(out, 1, s, len);
  free(s);
  return 0;
}

int mc_big_identity(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_field(out, 0, in, 0);
  spate_rb_set_field(out, 1, in, 1);
  return 0;
}

static void test_huge_row_through_keyed_exchange(void **state) {
  (void)state;
  spate_env *env = new_env();
  const spate_schema *s = spate_env_schema(env, "id BIGINT NOT NULL, s STRING NOT NULL");
  spate_stream *src = spate_parallelism(spate_generate(env, s, mc_big_gen, 7), 2);
  spate_stream *m = spate_parallelism(spate_map(spate_key_by(src, 0), mc_big_identity, s), 3);
  spate_parallelism(spate_collect(m, "big"), 3);
  assert_null(spate_env_error(env));
  spate_job_result *r = tk_run(env, "big rows");
  assert_finished(r);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "big", &rows, NULL);
  assert_int_equal(n, 7);
  bool seen[7] = {false};
  for (size_t k = 0; k < n; k++) {
    int64_t id = spate_row_bigint(&rows[k], 0);
    assert_true(id >= 0 && id < 7);
    assert_false(seen[id]);
    seen[id] = true;
    spate_bytes b = spate_row_string(&rows[k], 1);
    size_t want = id % 3 == 0 ? BIG_LEN + (size_t)id : (size_t)id * 10;
    assert_int_equal(b.len, want);
    for (size_t i = 0; i < b.len; i++)
      if (b.ptr[i] != big_char(id, i)) {
        print_error("row %lld differs at byte %zu\n", (long long)id, i);
        fail();
      }
  }
  spate_job_result_free(r);
  spate_env_free(env);
}

/* ============================================================================================
 * Per-operator metrics */
int mc_plus_one(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0) + 1);
  spate_rb_set_int(out, 1, spate_row_int(in, 1));
  return 0;
}

static void test_operator_metrics(void **state) {
  (void)state;
  for (int p = 1; p <= 2; p++) {
    spate_env *env = new_env();
    spate_env_set_parallelism(env, p);
    const spate_schema *copies = spate_env_schema(env, "v BIGINT NOT NULL, copy INT NOT NULL");
    spate_stream *src = spate_name(spate_from_sequence(env, 1, 1000), "numbers");
    spate_stream *even = spate_name(spate_filter(src, mc_is_even), "evens");
    spate_stream *three =
        spate_name(spate_flat_map(spate_rebalance(even), mc_three_copies, copies), "triple");
    spate_stream *plus = spate_name(spate_map(three, mc_plus_one, copies), "plus-one");
    spate_name(spate_collect(plus, "metrics"), "collected");
    spate_job_result *r = tk_run(env, "metrics");
    assert_finished(r);
    assert_int_equal(spate_job_result_num_operators(r), 5);
    struct {
      const char *name;
      uint64_t in, out;
    } want[] = {{"Source: numbers", 0, 1000},
                {"evens", 1000, 500},
                {"triple", 500, 1500},
                {"plus-one", 1500, 1500},
                {"Sink: collected", 1500, 0}};
    for (size_t k = 0; k < 5; k++) {
      size_t i = op_index(r, want[k].name);
      assert_int_equal(spate_job_result_records_in(r, i), want[k].in);
      assert_int_equal(spate_job_result_records_out(r, i), want[k].out);
    }
    assert_int_equal(spate_job_result_collected(r, "metrics", NULL, NULL), 1500);
    const spate_row *none = (const spate_row *)1;
    assert_int_equal(spate_job_result_collected(r, "no such sink", &none, NULL), 0);
    assert_null(none);
    assert_null(spate_job_result_operator(r, 5));
    assert_true(spate_job_result_runtime_ms(r) >= 0);
    assert_int_equal(strlen(spate_job_result_id(r)), 32);
    spate_job_result_free(r);
    spate_env_free(env);
  }
}

int main(void) {
  sp_log_set_level(SP_LOG_WARN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_backpressure_bounded_memory), /* first: measures the alloc peak */
      cmocka_unit_test(test_wordcount_parallelism_1_2_4),
      cmocka_unit_test(test_sum_keeps_first_row),
      cmocka_unit_test(test_min_max_keep_first_row),
      cmocka_unit_test(test_min_by_max_by_first_wins_ties),
      cmocka_unit_test(test_reduce),
      cmocka_unit_test(test_union_filter_flat_map),
      cmocka_unit_test(test_rebalance_rescale_shuffle),
      cmocka_unit_test(test_broadcast_global_forward),
      cmocka_unit_test(test_custom_and_keyed_partitioning),
      cmocka_unit_test(test_udf_failure_propagates),
      cmocka_unit_test(test_no_resource_available),
      cmocka_unit_test(test_static_udf_rejected),
      cmocka_unit_test(test_slot_sharing_groups_sum),
      cmocka_unit_test(test_huge_row_through_keyed_exchange),
      cmocka_unit_test(test_operator_metrics),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
