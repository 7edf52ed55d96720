/*
 * slow_sink.c: a fast unbounded source feeding a slow sink, for test_backpressure.sh:
 *
 *   generate (seq BIGINT, payload BYTES of --record-bytes), unbounded    slot sharing group "sources"
 *   -> rebalance
 *   -> sink "throttle": pauses 1 ms every --pause-every records           slot sharing group "sinks"
 *
 * The two slot sharing groups take separate slots, so on two TaskManagers with -p slots each the
 * sources run on one and the sinks on the other: every record crosses the TCP exchange, and the
 * sink, slower than the source, backpressures it through the exchange's credit. Each sink subtask
 * prints "slow_sink <subtask> consumed <MB> MB" (to the TaskManager's stdout, its .out file)
 * every time it has consumed another 16 MB of records (payload bytes counted), so a test can
 * await how much the source has emitted at least. The pause only makes the sink the slower side;
 * no result depends on how long it takes.
 *
 *     spate run [-m host:port] -p N slow_sink.so [--record-bytes 1000] [--pause-every 32]
 */
#include <spate/spate.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_RECORD = 16384, REPORT_BYTES = 16 << 20 };

typedef struct slow_args {
  int record_bytes;
  int pause_every;
} slow_args;

static const unsigned char payload[MAX_RECORD]; /* zeros: only the size matters */

int slow_generate(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  size_t len;
  const slow_args *a = spate_ctx_arg(ctx, &len);
  spate_rb_set_bigint(out, 0, i);
  spate_rb_set_bytes(out, 1, payload, (size_t)a->record_bytes);
  return 0;
}

/* Per sink subtask (one thread each): records and payload bytes consumed. */
static __thread long long consumed, bytes, reported;

int slow_consume(spate_ctx *ctx, const spate_row *in) {
  size_t len;
  const slow_args *a = spate_ctx_arg(ctx, &len);
  spate_bytes b = spate_row_string(in, 1);
  bytes += (long long)b.len;
  if (++consumed % a->pause_every == 0) {
    /* what makes this sink slow (the load whose backpressure the test watches), not a wait for
     * anything: the test's assertions await the progress lines with deadlines */
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  if (bytes - reported >= REPORT_BYTES) {
    reported = bytes - bytes % REPORT_BYTES;
    printf("slow_sink %d consumed %lld MB\n", spate_ctx_subtask(ctx), reported >> 20);
    fflush(stdout);
  }
  return 0;
}

int spate_main(int argc, char **argv) {
  slow_args a = {.record_bytes = atoi(spate_arg(argc, argv, "record-bytes", "1000")),
                 .pause_every = atoi(spate_arg(argc, argv, "pause-every", "32"))};
  if (a.record_bytes < 1 || a.record_bytes > MAX_RECORD || a.pause_every < 1) {
    fprintf(stderr, "slow_sink: --record-bytes must be 1..%d and --pause-every at least 1\n",
            MAX_RECORD);
    return 2;
  }
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "seq BIGINT NOT NULL, payload BYTES NOT NULL");
  spate_stream *src = spate_generate(env, s, slow_generate, -1);
  spate_udf_arg(src, &a, sizeof a);
  spate_slot_sharing_group(src, "sources");
  spate_stream *sink = spate_sink(spate_rebalance(src), slow_consume);
  spate_udf_arg(sink, &a, sizeof a);
  spate_slot_sharing_group(sink, "sinks");
  spate_job_result *r = spate_execute(env, "slow-sink");
  int rc = spate_job_result_status(r) == SPATE_JOB_FINISHED ? 0 : 1;
  spate_job_result_free(r);
  spate_env_free(env);
  return rc;
}
