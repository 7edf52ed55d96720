/*
 * slow_map.c: a job whose middle vertex is the root cause of its backpressure, for the web
 * dashboard's tests (tests/e2e/test_web_ui.sh):
 *
 *   generate (seq BIGINT, payload BYTES of --record-bytes), unbounded         vertex "Source: generate"
 *   -> rebalance
 *   -> map "slow-map": pauses 1 ms every --pause-every records                 vertex "slow-map"
 *   -> rebalance
 *   -> discarding sink "discard"                                               vertex "Sink: discard"
 *
 * The rebalances keep the three operators in three vertices (no chaining), so each has its own
 * busy and backpressure metrics: the source is backpressured (it could emit far faster than the
 * map consumes), the map is busy (its pauses are work as far as its task can tell) and the sink
 * is idle (it drops each record at once). The dashboard must name "slow-map" as the root cause.
 * The job is named "backpressured-job", not after the map, so a page that shows the job name
 * does not by that alone name the slow vertex. The pause only makes the map the slowest vertex;
 * no test result depends on how long it takes.
 *
 * With --records-per-second R the source is rate limited (R records per second over all
 * subtasks) and nothing is backpressured: a light unbounded job (the dashboard's tests run one
 * to cancel with the button and one to archive for the history server, named with --name).
 *
 *     spate run [-m host:port] [-p N] slow_map.so [--record-bytes 100] [--pause-every 16]
 *                                                  [--records-per-second R] [--name NAME]
 */
#include <spate/spate.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { MAX_RECORD = 16384 };

typedef struct slow_map_args {
  int record_bytes;
  int pause_every;
} slow_map_args;

static const unsigned char payload[MAX_RECORD]; /* zeros: only the size matters */

int slow_map_generate(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  size_t len;
  const slow_map_args *a = spate_ctx_arg(ctx, &len);
  spate_rb_set_bigint(out, 0, i);
  spate_rb_set_bytes(out, 1, payload, (size_t)a->record_bytes);
  return 0;
}

/* Per map subtask (one thread each): records mapped. */
static __thread long long mapped;

/* Passes each record on unchanged; every --pause-every records it pauses 1 ms. */
int slow_map_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  size_t len;
  const slow_map_args *a = spate_ctx_arg(ctx, &len);
  if (++mapped % a->pause_every == 0) {
    /* the load that makes this vertex the bottleneck, not a wait for anything */
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  spate_rb_set_field(out, 0, in, 0);
  spate_rb_set_field(out, 1, in, 1);
  return 0;
}

int spate_main(int argc, char **argv) {
  slow_map_args a = {.record_bytes = atoi(spate_arg(argc, argv, "record-bytes", "100")),
                     .pause_every = atoi(spate_arg(argc, argv, "pause-every", "16"))};
  double per_second = atof(spate_arg(argc, argv, "records-per-second", "0"));
  const char *name = spate_arg(argc, argv, "name", "backpressured-job");
  if (a.record_bytes < 1 || a.record_bytes > MAX_RECORD || a.pause_every < 1 || per_second < 0) {
    fprintf(stderr,
            "slow_map: --record-bytes must be 1..%d, --pause-every at least 1 and "
            "--records-per-second not negative\n",
            MAX_RECORD);
    return 2;
  }
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "seq BIGINT NOT NULL, payload BYTES NOT NULL");
  spate_stream *src = per_second > 0
                          ? spate_generate_rate_limited(env, s, slow_map_generate, -1, per_second)
                          : spate_generate(env, s, slow_map_generate, -1);
  spate_name(src, "generate");
  spate_udf_arg(src, &a, sizeof a);
  spate_stream *map = spate_name(spate_map(spate_rebalance(src), slow_map_map, s), "slow-map");
  spate_udf_arg(map, &a, sizeof a);
  spate_name(spate_discard(spate_rebalance(map)), "discard");
  spate_job_result *r = spate_execute(env, name);
  int rc = spate_job_result_status(r) == SPATE_JOB_FINISHED ? 0 : 1;
  spate_job_result_free(r);
  spate_env_free(env);
  return rc;
}
