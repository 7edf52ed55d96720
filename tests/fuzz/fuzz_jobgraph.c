/*
 * fuzz_jobgraph.c: the JobGraph's byte encoding (graph/stream_graph.c, jobgraph_decode), what a
 * TaskExecutor receives for every deployment. The input is an encoding without its trailing
 * checksum: the target appends the right one, so mutations reach the structural checks behind
 * it (a checksum only catches accidents; a buggy or hostile peer computes it). The input as it
 * is, checksum or not, is decoded too.
 *
 * A graph is either rejected with SPATE_ECORRUPT and a message, or it is safe to use: its
 * plan, slot count, chain uids and configuration can be computed, and it encodes to bytes that
 * decode to a graph encoding to the same bytes again.
 */
#include "fuzz.h"

#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "graph/stream_graph.h"

static uint8_t *encode(const job_graph *jg, size_t *len) {
  sp_writer w;
  sp_writer_init(&w);
  FUZZ_CHECK(jobgraph_encode(jg, &w) == 0 && !w.failed, "encoding a decoded graph failed");
  return sp_writer_take(&w, len);
}

static void use_graph(const job_graph *jg) {
  char *plan = jobgraph_plan_json(jg);
  FUZZ_CHECK(plan != NULL, "out of memory");
  sp_free(plan);
  FUZZ_CHECK(jobgraph_slots_needed(jg) >= 0, "negative slot count");
  for (int v = 0; v < jg->nvertices; v++) {
    char *uids = jobgraph_chain_uids(jg, v);
    FUZZ_CHECK(uids != NULL, "out of memory");
    sp_free(uids);
  }
  sp_config *c = NULL;
  char err[SP_ERRMSG_MAX] = "";
  int rc = jobgraph_config(jg, &c, err, sizeof err);
  FUZZ_CHECK(rc == 0 || err[0], "the configuration failed (%d) without a message", rc);
  sp_config_free(c);

  size_t len, len2;
  uint8_t *b = encode(jg, &len);
  job_graph *again = NULL;
  rc = jobgraph_decode(b, len, &again, err, sizeof err);
  FUZZ_CHECK(rc == 0, "re-decoding an accepted graph failed: %s", err);
  uint8_t *b2 = encode(again, &len2);
  FUZZ_CHECK(len == len2 && memcmp(b, b2, len) == 0, "a graph does not round-trip");
  jobgraph_free(again);
  sp_free(b);
  sp_free(b2);
}

static void decode(const uint8_t *bytes, size_t len) {
  job_graph *jg = NULL;
  char err[SP_ERRMSG_MAX] = "";
  int rc = jobgraph_decode(bytes, len, &jg, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(rc == SPATE_ECORRUPT || rc == SPATE_ENOMEM, "rc %d: %s", rc, err);
    FUZZ_CHECK(jg == NULL && err[0], "a graph rejected without a message");
    return;
  }
  use_graph(jg);
  jobgraph_free(jg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_log_set_level(SP_LOG_OFF);
  uint8_t *framed = sp_malloc(size + 4);
  FUZZ_CHECK(framed != NULL, "out of memory");
  if (size) memcpy(framed, data, size);
  uint32_t sum = sp_checksum32(framed, size);
  for (int i = 0; i < 4; i++) framed[size + i] = (uint8_t)(sum >> (8 * i));
  decode(framed, size + 4);
  sp_free(framed);
  decode(data, size);
  return 0;
}
