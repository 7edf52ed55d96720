/*
 * fuzz_job_result.c: a job's result as the client receives it from the JobMaster
 * (cluster/job_result.c, jr_decode). The input is the encoding.
 *
 * A result is either rejected with SPATE_ECORRUPT and the reason, or everything the public API
 * offers on it is safe: a job id, a status a job ends with, error, operators and their counters,
 * checkpoints, and the collected rows, which user code reads field by field (here: formats).
 */
#include "fuzz.h"

#include "base/err.h"
#include "cluster/job_result.h"
#include "types/row.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  spate_job_result *res = NULL;
  char err[SP_ERRMSG_MAX] = "";
  int rc = jr_decode(data, size, &res, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(rc == SPATE_ECORRUPT || rc == SPATE_ENOMEM, "rc %d", rc);
    FUZZ_CHECK(res == NULL, "a rejected result was returned");
    FUZZ_CHECK(err[0], "a result was rejected without a reason");
    return 0;
  }
  FUZZ_CHECK(strlen(spate_job_result_id(res)) == 32, "job id of %zu characters",
             strlen(spate_job_result_id(res)));
  spate_job_status st = spate_job_result_status(res);
  FUZZ_CHECK(st == SPATE_JOB_FINISHED || st == SPATE_JOB_FAILED || st == SPATE_JOB_CANCELED,
             "status %d accepted", (int)st);
  (void)spate_job_status_name(st);
  const char *error = spate_job_result_error(res);
  if (error) (void)strlen(error);
  (void)spate_job_result_runtime_ms(res);
  (void)spate_job_result_restarts(res);
  for (size_t i = 0; i < spate_job_result_num_operators(res); i++) {
    const char *name = spate_job_result_operator(res, i);
    if (name) (void)strlen(name);
    (void)spate_job_result_records_in(res, i);
    (void)spate_job_result_records_out(res, i);
    (void)spate_job_result_backpressure_ns(res, i);
  }
  for (size_t i = 0; i < spate_job_result_num_checkpoints(res); i++)
    FUZZ_CHECK(spate_job_result_checkpoint(res, i) != NULL, "checkpoint %zu missing", i);
  char buf[256];
  for (size_t c = 0; c < res->ncollected; c++) {
    const char *name = res->collected[c].name;
    FUZZ_CHECK(name != NULL, "collected output %zu without a name", c);
    const spate_row *rows = NULL;
    const spate_schema *schema = NULL;
    size_t n = spate_job_result_collected(res, name, &rows, &schema);
    FUZZ_CHECK(n == 0 || (rows && schema), "collected '%s' has rows but no schema", name);
    for (size_t k = 0; k < n; k++) {
      FUZZ_CHECK(rows[k].nfields == (uint32_t)spate_schema_num_fields(schema),
                 "row %zu of '%s' has %u fields, its schema %d", k, name, rows[k].nfields,
                 spate_schema_num_fields(schema));
      spate_row_format(&rows[k], schema, buf, sizeof buf);
    }
  }
  spate_job_result_free(res);
  return 0;
}
