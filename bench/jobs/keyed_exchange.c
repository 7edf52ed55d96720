/*
 * keyed_exchange.c: the job of the exchange-tcp benchmark (bench/bench_cluster.sh):
 *
 *   generate (key BIGINT, value BIGINT), --count rows     slot sharing group "sources"
 *   -> key by key (1024 keys)                              every record crosses the exchange
 *   -> map (value + key) -> discard                        slot sharing group "sinks"
 *
 * The two slot sharing groups take separate slots, so on a cluster of two TaskManagers with
 * -p slots each the sources run on one and the maps on the other: every record travels over
 * the TCP exchange between them. Embedded, the same job moves the records between threads.
 *
 *     spate run [-m host:port] -p N keyed_exchange.so [--count N]
 */
#include <spate/spate.h>

#include <stdlib.h>

int kx_generate(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, (i * 7919) & 1023);
  spate_rb_set_bigint(out, 1, i);
  return 0;
}

int kx_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(in, 1) + spate_row_bigint(in, 0));
  return 0;
}

int spate_main(int argc, char **argv) {
  int64_t count = atoll(spate_arg(argc, argv, "count", "20000000"));
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "WARN");
  const spate_schema *s = spate_env_schema(env, "key BIGINT NOT NULL, value BIGINT NOT NULL");
  spate_stream *src =
      spate_slot_sharing_group(spate_generate(env, s, kx_generate, count), "sources");
  spate_stream *m = spate_slot_sharing_group(spate_map(spate_key_by(src, 0), kx_map, s), "sinks");
  spate_discard(m);
  spate_job_result *r = spate_execute(env, "keyed-exchange");
  int rc = spate_job_result_status(r) == SPATE_JOB_FINISHED ? 0 : 1;
  spate_job_result_free(r);
  spate_env_free(env);
  return rc;
}
