/*
 * fuzz_collect_remote.c: the wire forms of a query's rows read from a cluster
 * (connectors/collect_remote.h): the request a TaskManager decodes (outside bytes, forwarded by
 * the JobManager's REST route), the answer the SQL client decodes, and the TaskManager's answer
 * to a request's base64 text. The input's first byte chooses: 0 request, 1 answer, else the text.
 *
 * A decoder either refuses with SPATE_EINVAL and a message, or what it gives is safe to use: a
 * request re-encodes to the very input, an answer's rows are formatted field by field (they were
 * validated against the schema of a SQL query's result: STRING columns and the row kind).
 */
#include "fuzz.h"

#include "base/bytes.h"
#include "base/err.h"
#include "connectors/collect_remote.h"
#include "types/row.h"

static spate_schema *schema;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  char err[SP_ERRMSG_MAX] = "";
  int rc;
  if (data[0] == 0) {
    collect_request q;
    rc = collect_request_decode(data + 1, size - 1, &q, err, sizeof err);
    if (rc < 0) {
      FUZZ_CHECK(rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "rc %d", rc);
      FUZZ_CHECK(err[0], "a request was refused without a reason");
      return 0;
    }
    FUZZ_CHECK(q.offset >= 0 && q.name[0], "a bad request was accepted");
    sp_writer w;
    sp_writer_init(&w);
    collect_request_encode(&w, q.name, q.version, q.offset);
    FUZZ_CHECK(w.failed || (w.len == size - 1 && memcmp(w.data, data + 1, w.len) == 0),
               "a request does not re-encode to its bytes");
    sp_writer_free(&w);
    collect_request_free(&q);
    return 0;
  }
  if (data[0] == 1) {
    if (!schema &&
        spate_schema_parse("a STRING, b STRING, k TINYINT NOT NULL", &schema, err, sizeof err) < 0)
      abort();
    collect_answer a;
    rc = collect_answer_decode(data + 1, size - 1, schema, &a, err, sizeof err);
    if (rc < 0) {
      FUZZ_CHECK(rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "rc %d", rc);
      FUZZ_CHECK(err[0], "an answer was refused without a reason");
      return 0;
    }
    FUZZ_CHECK(a.offset >= 0 && a.version, "a bad answer was accepted");
    char buf[256];
    for (uint32_t i = 0; i < a.n; i++) spate_row_format(&a.rows[i], schema, buf, sizeof buf);
    collect_answer_free(&a);
    return 0;
  }
  char *text = sp_malloc(size);
  if (!text) return 0;
  memcpy(text, data + 1, size - 1);
  text[size - 1] = 0;
  sp_writer w;
  sp_writer_init(&w);
  rc = collect_remote_answer(text, &w, err, sizeof err);
  FUZZ_CHECK(rc == SPATE_EINVAL || rc == SPATE_ENOENT || rc == SPATE_ENOMEM,
             "an answer (rc %d) came from no buffer", rc);
  FUZZ_CHECK(err[0], "a request was refused without a reason");
  sp_writer_free(&w);
  sp_free(text);
  return 0;
}
