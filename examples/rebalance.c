/*
 * rebalance.c: how records travel between parallel operators.
 *
 *     sequence 1..count "numbers"        parallelism 1, like a non-parallel source
 *       -> rebalance                     round-robin to every subtask of the next operator
 *       -> map "square"                  parallelism from the environment (-p N)
 *       -> key by bucket (hash)          every bucket goes to one subtask of the next operator
 *       -> sum "sum-of-squares"
 *       -> print "print-sink"
 *
 * What it shows:
 *  - rebalance spreads the records of the one source subtask round-robin over all N map
 *    subtasks: each map subtask counts what it received and reports it to stderr when it
 *    closes ("square 2/4: squared 250 numbers"); the counts differ by at most one. (Between
 *    operators of different parallelism Flink, and Spate, use rebalance anyway when no
 *    partitioning is given; the call makes it explicit.)
 *  - the map tags every row with the subtask that made it (field "mapped_by"); the sum keeps
 *    the other fields of the first row of each key (Flink's sum semantics), so the printed
 *    mapped_by is the map subtask that squared the bucket's first number.
 *  - key by hashes each bucket to one sum subtask: at -p N the print lines carry the subtask
 *    prefix "k> ", and all lines of one bucket carry the same prefix, in order.
 *  - the final sum of each bucket (the last line printed for it) does not depend on the
 *    parallelism: sum of v*v over v in 1..count with v % buckets == bucket.
 *
 * Usage:
 *     spate run [-p N] rebalance.so [--count <1..2000000, default 1000>] [--buckets <1..1000,
 *     default 4>]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <spate/spate.h>

/* The sequence source's rows, and the squares. */
SPATE_RECORD(number, (value, BIGINT_NOT_NULL));
SPATE_RECORD(squared, (bucket, INT_NOT_NULL), (square, BIGINT_NOT_NULL), (mapped_by, INT_NOT_NULL));

/* The map's parameters (SPATE_WITH_PARAMS in the job, SPATE_PARAMS in the map's open). */
struct square_params {
  int64_t buckets;
};

/* Per map subtask: its parameters and how many numbers it squared (reported at close). */
typedef struct square_stats {
  int64_t buckets;
  int64_t records;
} square_stats;

int square_open(spate_ctx *ctx, void **user) {
  const struct square_params *p = SPATE_PARAMS(ctx, struct square_params);
  if (!p) return SPATE_EUDF;
  square_stats *s = calloc(1, sizeof *s);
  if (!s) return spate_ctx_fail(ctx, "out of memory");
  s->buckets = p->buckets;
  *user = s;
  return 0;
}

void square_close(spate_ctx *ctx, void *user) {
  square_stats *s = user;
  if (!s) return;
  fprintf(stderr, "%s %d/%d: squared %" PRId64 " numbers\n", spate_ctx_operator_name(ctx),
          spate_ctx_subtask(ctx) + 1, spate_ctx_parallelism(ctx), s->records);
  free(s);
}

/* Map: a number -> its bucket, its square and the map subtask (1-based, like print's prefix). */
int square(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  square_stats *s = spate_ctx_user(ctx);
  s->records++;
  int64_t v = number_value(in);
  squared_write(out, &(struct squared){.bucket = (int32_t)(v % s->buckets),
                                       .square = v * v,
                                       .mapped_by = spate_ctx_subtask(ctx) + 1});
  return 0;
}

/* Parses a whole decimal argument in [lo, hi]; -1 if it is not one. */
static int64_t parse_arg(const char *s, int64_t lo, int64_t hi) {
  if (!s) return -1;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end != '\0' || v < lo || v > hi) return -1;
  return v;
}

int spate_main(int argc, char **argv) {
  static const char *const needs_value[] = {"count", "buckets", NULL};
  const char *bare = spate_arg_missing_value(argc, argv, needs_value);
  if (bare) {
    fprintf(stderr, "rebalance: --%s needs a value (a number)\n", bare);
    return 1;
  }
  /* Sums of squares up to 2,000,000 stay below 2^63 (about 2.7e18). */
  int64_t count = parse_arg(spate_arg(argc, argv, "count", "1000"), 1, 2000000);
  int64_t buckets = parse_arg(spate_arg(argc, argv, "buckets", "4"), 1, 1000);
  if (count < 0 || buckets < 0) {
    fprintf(stderr, "Usage: rebalance.so [--count <1..2000000>] [--buckets <1..1000>]\n");
    return 1;
  }

  spate_env *env = spate_env_create();
  spate_stream *numbers =
      spate_name(spate_parallelism(spate_from_sequence(env, 1, count), 1), "numbers");
  spate_stream *squares =
      spate_name(spate_map(spate_rebalance(numbers), square, squared_schema()), "square");
  SPATE_WITH_PARAMS(squares, struct square_params, {.buckets = buckets});
  spate_udf_lifecycle(squares, square_open, square_close);
  spate_stream *sums =
      spate_name(spate_sum_name(spate_key_by_name(squares, "bucket"), "square"), "sum-of-squares");
  spate_name(spate_print(sums, NULL), "print-sink");
  return spate_execute_main(env, "Rebalance");
}
