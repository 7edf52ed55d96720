/*
 * keyed_state.c: the job of the recovery benchmark (bench/bench_cluster.sh): a checkpointed job
 * with about 100 MB of keyed state, writing through the exactly-once file sink.
 *
 *   generate (key BIGINT, seq BIGINT) at --records-per-second (rate limited, unbounded)
 *     record i < --keys has key i (building the state), later ones key (i * 7919) mod keys
 *   -> key by key -> process "state": a value state per key of a count and --value-bytes bytes;
 *      each record rewrites its key's value (count + 1) and emits (key, count)
 *   -> exactly-once file sink into --output
 *
 * With the defaults (100000 keys x 1000 bytes) the state is about 100 MB once the first 100000
 * records went through; from then on every record updates a value that exists.
 *
 *     spate run [-m host:port] -p N -D execution.checkpointing.interval=1s \
 *         -D state.checkpoints.dir=file:///tmp/ck keyed_state.so --output <dir>
 *         [--keys 100000] [--value-bytes 1000] [--records-per-second 50000]
 */
#include <spate/spate.h>

#include <stdio.h>
#include <stdlib.h>

enum { MAX_VALUE = 65536 };

typedef struct ks_args {
  int64_t keys;
  int value_bytes;
} ks_args;

static const unsigned char pad[MAX_VALUE]; /* the values' bytes: only their size matters */

int ks_generate(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  size_t len;
  const ks_args *a = spate_ctx_arg(ctx, &len);
  spate_rb_set_bigint(out, 0, i < a->keys ? i : (i * 7919) % a->keys);
  spate_rb_set_bigint(out, 1, i);
  return 0;
}

typedef struct ks_user {
  spate_state *value;
  spate_row_builder *rb;
} ks_user;

int ks_open(spate_ctx *ctx, void **user) {
  ks_user *u = calloc(1, sizeof *u);
  spate_schema *schema = NULL;
  char err[128];
  if (!u || spate_schema_parse("count BIGINT NOT NULL, pad BYTES NOT NULL", &schema, err,
                               sizeof err) < 0) {
    free(u);
    return spate_ctx_fail(ctx, "cannot set up the value state");
  }
  spate_state_desc d = {.name = "value", .kind = SPATE_STATE_VALUE, .schema = schema};
  u->value = spate_ctx_state(ctx, &d);
  u->rb = spate_rb_new(schema);
  spate_schema_free(schema);
  *user = u;
  return u->value && u->rb ? 0 : spate_ctx_fail(ctx, "cannot declare the value state");
}

void ks_close(spate_ctx *ctx, void *user) {
  (void)ctx;
  ks_user *u = user;
  if (!u) return;
  spate_rb_free(u->rb);
  free(u);
}

int ks_process(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  size_t len;
  const ks_args *a = spate_ctx_arg(ctx, &len);
  ks_user *u = spate_ctx_user(ctx);
  spate_row cur, next;
  int found = spate_value_get(u->value, &cur);
  if (found < 0) return found;
  int64_t count = found ? spate_row_bigint(&cur, 0) + 1 : 1;
  spate_rb_begin(u->rb);
  spate_rb_set_bigint(u->rb, 0, count);
  spate_rb_set_bytes(u->rb, 1, pad, (size_t)a->value_bytes);
  if (spate_rb_finish(u->rb, &next) < 0) return spate_ctx_fail(ctx, "cannot build the value");
  int rc = spate_value_update(u->value, &next);
  if (rc < 0) return rc;
  spate_row_builder *o = spate_collect_begin(out);
  spate_rb_set_bigint(o, 0, spate_row_bigint(in, 0));
  spate_rb_set_bigint(o, 1, count);
  return spate_collect_emit(out);
}

int spate_main(int argc, char **argv) {
  static const char *const needs_value[] = {"output", "keys", "value-bytes", "records-per-second",
                                            NULL};
  const char *bare = spate_arg_missing_value(argc, argv, needs_value);
  if (bare) {
    fprintf(stderr, "keyed_state: --%s needs a value\n", bare);
    return 1;
  }
  const char *output = spate_arg(argc, argv, "output", NULL);
  ks_args a = {.keys = atoll(spate_arg(argc, argv, "keys", "100000")),
               .value_bytes = atoi(spate_arg(argc, argv, "value-bytes", "1000"))};
  double per_second = atof(spate_arg(argc, argv, "records-per-second", "50000"));
  if (!output || a.keys < 1 || a.value_bytes < 0 || a.value_bytes > MAX_VALUE || per_second <= 0) {
    fprintf(stderr,
            "keyed_state: needs --output <dir>; --keys and --records-per-second must be "
            "positive, --value-bytes 0..65536\n");
    return 1;
  }
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "key BIGINT NOT NULL, seq BIGINT NOT NULL");
  const spate_schema *o = spate_env_schema(env, "key BIGINT NOT NULL, count BIGINT NOT NULL");
  spate_stream *src = spate_uid(
      spate_udf_arg(spate_generate_rate_limited(env, s, ks_generate, -1, per_second), &a, sizeof a),
      "events");
  spate_stream *st = spate_process(spate_key_by(src, 0), ks_process, NULL, o);
  st = spate_uid(spate_udf_lifecycle(spate_udf_arg(st, &a, sizeof a), ks_open, ks_close), "state");
  spate_file_sink_options opts = {.bucket_format = ""};
  spate_uid(spate_sink_file(st, output, &opts), "file-sink");
  spate_job_result *r = spate_execute(env, "keyed-state");
  int rc = spate_job_result_status(r) == SPATE_JOB_FINISHED ? 0 : 1;
  spate_job_result_free(r);
  spate_env_free(env);
  return rc;
}
