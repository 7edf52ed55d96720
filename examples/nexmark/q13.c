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
 * The file is parsed by connectors/side_input.c, strictly: one row per line, "key,value" with
 * the value optionally in double quotes (RFC 4180: "" inside is one quote), an empty line
 * skipped, a trailing "\r" dropped; anything else fails the job naming the file, line and column.
 */
#define _GNU_SOURCE /* realpath */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexmark_query.h"
#include "spate/side_input.h"

SPATE_RECORD(q13_out, (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, BIGINT_NOT_NULL), (dateTime, TIMESTAMP_NOT_NULL), (value, STRING_NOT_NULL));

/* nexmark's own side input (side_input_gen.sh): "k,k" for the keys 0..9999. */
static int default_side(spate_ctx *ctx, void **user) {
  size_t cap = 10000 * 12, len = 0;
  char *text = malloc(cap), err[512];
  if (!text) return spate_ctx_fail(ctx, "q13: out of memory building the side input");
  for (int64_t k = 0; k < 10000; k++)
    len += (size_t)snprintf(text + len, cap - len, "%" PRId64 ",%" PRId64 "\n", k, k);
  spate_side_input *s = NULL;
  int rc = spate_side_input_parse("nexmark's side input", text, len, &s, err, sizeof err);
  free(text);
  if (rc < 0) return spate_ctx_fail(ctx, "q13: %s", err);
  *user = s;
  return 0;
}

/* Loads the side input named by the operator's argument (none: nexmark's own), once per
 * subtask. */
int q13_open(spate_ctx *ctx, void **user) {
  size_t plen;
  const char *arg = spate_ctx_arg(ctx, &plen);
  char path[PATH_MAX], err[PATH_MAX + 512];
  if (!arg || plen == 0) return default_side(ctx, user);
  if (plen >= sizeof path) return spate_ctx_fail(ctx, "q13: side input path too long");
  memcpy(path, arg, plen);
  path[plen] = 0;
  spate_side_input *s = NULL;
  if (spate_side_input_load(path, &s, err, sizeof err) < 0)
    return spate_ctx_fail(ctx, "q13: %s", err);
  *user = s;
  return 0;
}

void q13_close(spate_ctx *ctx, void *user) { spate_side_input_free(user); }

/* Emits the bid once per side-input row of its key (none: no row). */
int q13_join(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  const spate_side_input *s = spate_ctx_user(ctx);
  struct nexmark_bid b = nexmark_bid_read(in);
  int64_t key = b.auction % 10000; /* SQL's mod: the sign of the dividend */
  size_t end;
  for (size_t i = spate_side_input_find(s, key, &end); i < end; i++) {
    size_t len;
    const char *v = spate_side_input_value(s, i, &len);
    int rc = q13_out_emit(
        out, &(struct q13_out){b.auction, b.bidder, b.price, b.dateTime, {v, (uint32_t)len}});
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
