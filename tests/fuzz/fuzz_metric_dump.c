/*
 * fuzz_metric_dump.c: a process's metric dump as the JobManager's metric fetcher receives it
 * from a TaskManager (metrics/metric_dump.c, metric_dump_decode). The input is the encoding.
 *
 * A dump is either refused with SPATE_EINVAL (or SPATE_ENOMEM) and a reason, leaving nothing
 * allocated, or every entry can be printed as REST prints it and encoding the dump again gives
 * back exactly the input (the encoding is canonical).
 */
#include "fuzz.h"

#include "base/bytes.h"
#include "base/err.h"
#include "metrics/metric_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  metric_dump d;
  char err[SP_ERRMSG_MAX] = "";
  int rc = metric_dump_decode(data, size, &d, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "rc %d", rc);
    FUZZ_CHECK(d.entries == NULL && d.n == 0, "a refused dump kept %zu entries", d.n);
    FUZZ_CHECK(err[0], "a dump was refused without a reason");
    return 0;
  }
  char buf[128];
  for (size_t i = 0; i < d.n; i++) {
    const metric_dump_entry *e = &d.entries[i];
    FUZZ_CHECK(e->name && e->name[0], "entry %zu without a name", i);
    FUZZ_CHECK((e->scope == METRIC_SCOPE_OPERATOR) == (e->operator_name != NULL),
               "entry %zu: operator name and scope disagree", i);
    FUZZ_CHECK(strlen(e->job_id) == 0 || strlen(e->job_id) == 32, "entry %zu: job id", i);
    (void)metric_dump_value(e, buf, sizeof buf);
  }
  sp_writer w;
  sp_writer_init(&w);
  FUZZ_CHECK(metric_dump_encode(&d, &w) == 0 || w.failed, "encoding failed");
  if (!w.failed) {
    FUZZ_CHECK(w.len == size && memcmp(w.data, data, size) == 0,
               "the dump does not encode back to its input (%zu bytes, then %zu)", size, w.len);
  }
  sp_writer_free(&w);
  metric_dump_free(&d);
  return 0;
}
