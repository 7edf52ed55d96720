/*
 * message_job.h: what fuzz_messages.c and make_seeds.c share: the job the target runs on its
 * cluster, the addresses of the cluster's endpoints, and the layout of an input.
 *
 * An input is a sequence of at most FM_MAX_RECORDS records, each
 *   u8 target (modulo FM_NTARGETS), u8 message type (cluster/messages.h), u16 length (LE),
 *   length bytes of payload (fewer if the input ends first).
 * Targets FM_TO_* are endpoints; FM_CLOCK advances the cluster's manual clock by the payload's
 * first four bytes (u32 LE, milliseconds) so that delayed messages (checkpoint timer and
 * timeout, restart backoff) come due.
 *
 * Paths in messages (checkpoint and savepoint directories, restore paths) are written relative
 * to FM_ROOT, which the target replaces with its private temporary directory.
 *
 * Header-only and for one program each: the job's UDFs have external linkage (found by name
 * with dlsym, so the program is linked with -rdynamic) and an fm_ prefix. Include fuzz.h first.
 */
#ifndef SPATE_TESTS_FUZZ_MESSAGE_JOB_H
#define SPATE_TESTS_FUZZ_MESSAGE_JOB_H
#include "api/api.h"
#include "base/bytes.h"
#include "base/config.h"
#include "graph/stream_graph.h"
#include "spate/spate.h"

#define FM_JOB_ID "0123456789abcdef0123456789abcdef"
#define FM_JOB_MASTER "jobmaster-" FM_JOB_ID
#define FM_TASK_EXECUTOR "taskexecutor-0"
#define FM_CLIENT "client-0" /* minicluster_submit's endpoint for the first job */
#define FM_SLOTS 3           /* the job needs 2: one is free */
#define FM_SUBTASKS 3        /* vertex 0: the source (1), vertex 1: reduce -> collect (2) */
#define FM_ROOT "@/"
#define FM_MAX_RECORDS 32

enum { FM_TO_RM, FM_TO_TE, FM_TO_DISPATCHER, FM_TO_JM, FM_TO_CLIENT, FM_CLOCK, FM_NTARGETS };

/* The source: (k BIGINT, n BIGINT) = (index % 4, 1), 10 records per second of the job's clock
 * (which stands still unless an input moves it). */
int fm_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out);
int fm_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, index % 4);
  spate_rb_set_bigint(out, 1, 1);
  return 0;
}

int fm_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out);
int fm_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(in, 1));
  return 0;
}

/* The schema of the rows the job collects ("out"). */
#define FM_ROW_SCHEMA "k BIGINT NOT NULL, n BIGINT NOT NULL"

/* The encoded job graph (sp_free): an unbounded rate-limited source at parallelism 1, keyed by
 * k into a reduce and a collect sink at parallelism 2; checkpoints every second (into the
 * default $TMPDIR/spate-checkpoints), the default restart strategy that comes with them, and
 * job id FM_JOB_ID. The same bytes in every program that includes this file. */
static inline uint8_t *fm_job_bytes(size_t *len) {
  spate_env *env = spate_env_create();
  FUZZ_CHECK(env != NULL, "out of memory");
  const spate_schema *s = spate_env_schema(env, FM_ROW_SCHEMA);
  spate_stream *src = spate_generate_rate_limited(env, s, fm_generate, -1, 10.0);
  spate_parallelism(spate_uid(src, "source"), 1);
  spate_stream *sum = spate_reduce(spate_key_by(src, 0), fm_sum);
  spate_uid(sum, "sum");
  spate_collect(sum, "out");
  FUZZ_CHECK(!spate_env_error(env), "%s", spate_env_error(env));
  stream_graph *g = env->g; /* configured here as spate_execute would, minus the environment's
                               own configuration (which depends on the working directory) */
  sp_free(g->job_name);
  g->job_name = sp_strdup("fuzz_messages");
  g->default_parallelism = 2;
  g->buffer_timeout_ms = 0;
  sp_config *cfg = sp_config_new();
  char err[SP_ERRMSG_MAX];
  FUZZ_CHECK(cfg && sp_config_set(cfg, "execution.checkpointing.interval", "1 s", "fuzz", err,
                                  sizeof err) == 0,
             "%s", err);
  FUZZ_CHECK(sg_set_config(g, cfg) == 0, "out of memory");
  sp_config_free(cfg);
  job_graph *jg = NULL;
  FUZZ_CHECK(jobgraph_build(g, &jg, err, sizeof err) == 0, "%s", err);
  memcpy(jg->job_id, FM_JOB_ID, sizeof jg->job_id);
  sp_writer w;
  sp_writer_init(&w);
  FUZZ_CHECK(jobgraph_encode(jg, &w) == 0 && !w.failed, "encoding the job failed");
  jobgraph_free(jg);
  spate_env_free(env);
  return sp_writer_take(&w, len);
}

/* Appends a record to an input: the message `type` with the payload's bytes (payload reset). */
static inline void fm_record(sp_writer *input, int target, uint32_t type, sp_writer *payload) {
  FUZZ_CHECK(!payload->failed && payload->len <= UINT16_MAX, "payload of %zu bytes", payload->len);
  sp_put_u8(input, (uint8_t)target);
  sp_put_u8(input, (uint8_t)type);
  sp_put_u8(input, (uint8_t)(payload->len & 0xff));
  sp_put_u8(input, (uint8_t)(payload->len >> 8));
  sp_put_bytes(input, payload->data, payload->len);
  sp_writer_free(payload);
}

/* Appends a clock record: advance by ms. */
static inline void fm_advance(sp_writer *input, uint32_t ms) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u32(&w, ms);
  fm_record(input, FM_CLOCK, 0, &w);
}
#endif
