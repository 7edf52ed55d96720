/*
 * fuzz_op_params.c: the decoder of operator parameters (graph/op_params.h), what every operator
 * runs on its node's params when it opens, on bytes that came with the JobGraph. Input: byte 0
 * picks the operator kind (1 + b % (OP_KIND_MAX_ - 1)), the rest is its params.
 *
 * Params are either rejected with SPATE_ECORRUPT and a message naming the kind and the field,
 * or decoded into the kind's struct, which encodes to exactly the input bytes again.
 */
#include "fuzz.h"

#include "base/err.h"
#include "base/log.h"
#include "graph/op_params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  sp_log_set_level(SP_LOG_OFF);
  op_kind kind = (op_kind)(1 + data[0] % (OP_KIND_MAX_ - 1));
  size_t len = size - 1;
  uint8_t *params = sp_malloc(len ? len : 1); /* exact size: reading past it is caught */
  FUZZ_CHECK(params != NULL, "out of memory");
  if (len) memcpy(params, data + 1, len);
  size_t n = op_params_size(kind);
  void *p = n ? sp_malloc(n) : NULL;
  FUZZ_CHECK(!n || p, "out of memory");
  char err[SP_ERRMSG_MAX] = "";
  int rc = op_params_decode(kind, params, len, p, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(rc == SPATE_ECORRUPT || rc == SPATE_ENOMEM, "%s: rc %d: %s", op_kind_name(kind), rc,
               err);
    FUZZ_CHECK(strstr(err, op_kind_name(kind)) != NULL, "the message does not name the kind: %s",
               err);
  } else {
    sp_writer w;
    sp_writer_init(&w);
    FUZZ_CHECK(op_params_encode(kind, p, &w) == 0, "out of memory");
    FUZZ_CHECK(w.len == len && (len == 0 || memcmp(w.data, params, len) == 0),
               "%s params do not round-trip (%zu bytes in, %zu out)", op_kind_name(kind), len,
               w.len);
    sp_writer_free(&w);
    op_params_free(kind, p);
  }
  sp_free(p);
  sp_free(params);
  return 0;
}
