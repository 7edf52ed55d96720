/*
 * test_bad_jobs.c: job graphs that reach the cluster but cannot run, built by hand so that they
 * carry what the API would never produce: a UDF symbol that does not exist where the job runs,
 * and corrupt graph bytes. Each must end FAILED with a message naming the culprit, promptly,
 * with every thread joined and nothing leaked.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/log.h"
#include "cluster/minicluster.h"
#include "graph/op_params.h"
#include "graph/stream_graph.h"
#include "support/testkit.h"

/* sequence -> map(udf) -> discard, with the map's UDF named `udf`. */
static job_graph *graph_with_udf(const char *udf) {
  stream_graph *g = sg_new("bad udf");
  spate_schema *s = NULL;
  char err[256];
  assert_int_equal(spate_schema_parse("value BIGINT NOT NULL", &s, err, sizeof err), 0);
  sg_node *src = sg_add_node(g, OP_SRC_SEQUENCE, "Source: Sequence Source");
  src->out_schema = schema_ref(s);
  op_sequence_params p = {.from = 1, .to = 10};
  assert_int_equal(op_sequence_params_store(src, &p), 0);
  sg_node *map = sg_add_node(g, OP_MAP, "Map");
  map->out_schema = schema_ref(s);
  map->udf = sp_strdup(udf);
  assert_non_null(sg_add_input(g, 1, 0, PART_UNSET));
  sg_add_node(g, OP_SINK_DISCARD, "Sink: Discard");
  assert_non_null(sg_add_input(g, 2, 1, PART_UNSET));
  job_graph *jg = NULL;
  assert_int_equal(jobgraph_build(g, &jg, err, sizeof err), 0);
  sg_free(g);
  schema_unref(s);
  return jg;
}

static spate_job_result *run_bytes(const void *bytes, size_t len, const char *job_id) {
  task_config tc = {.buffer_size = 32768,
                    .buffers_per_channel = 2,
                    .floating_buffers = 8,
                    .buffer_timeout_ms = 100};
  minicluster *mc;
  assert_int_equal(minicluster_start(1, 2, &tc, &mc), 0);
  mc_client *c;
  assert_int_equal(minicluster_submit(mc, bytes, len, job_id, NULL, NULL, &c), 0);
  spate_job_result *r = NULL;
  if (!minicluster_wait_for(c, TK_TIMEOUT_MS, &r))
    fail_msg("timed out after %lld ms awaiting the end of job %s", (long long)TK_TIMEOUT_MS,
             job_id);
  minicluster_stop(mc);
  return r;
}

static void test_unresolvable_udf(void **state) {
  (void)state;
  job_graph *jg = graph_with_udf("no_such_function_anywhere");
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(jobgraph_encode(jg, &w), 0);
  spate_job_result *r = run_bytes(w.data, w.len, jg->job_id);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  const char *e = spate_job_result_error(r);
  assert_non_null(strstr(e, "no_such_function_anywhere"));
  assert_non_null(strstr(e, "Map"));
  assert_non_null(strstr(e, "not found"));
  spate_job_result_free(r);
  sp_writer_free(&w);
  jobgraph_free(jg);
}

static void test_corrupt_graph_bytes(void **state) {
  (void)state;
  job_graph *jg = graph_with_udf("whatever");
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(jobgraph_encode(jg, &w), 0);
  w.data[w.len / 2] ^= 0x40; /* the checksum no longer matches */
  spate_job_result *r = run_bytes(w.data, w.len, jg->job_id);
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(strstr(spate_job_result_error(r), "rejected"));
  spate_job_result_free(r);
  sp_writer_free(&w);
  jobgraph_free(jg);
}

int main(void) {
  sp_log_set_level(SP_LOG_OFF);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unresolvable_udf),
      cmocka_unit_test(test_corrupt_graph_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
