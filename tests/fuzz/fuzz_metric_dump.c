/*
 * fuzz_metric_dump.c: a TaskManager's metrics as the JobManager receives them
 * (metrics/metric_dump.c, metric_dump_decode). The input is the encoding.
 *
 * A dump is either rejected with SPATE_EINVAL (the decoder's code for bad bytes) and the reason, or every entry is what the
 * metric store may use without checking: a known scope and kind, a name, ids of at most 32
 * characters, an operator name exactly on operator entries, a gauge's text on gauges; and the
 * dump encodes again to bytes that decode to the same entries.
 */
#include "fuzz.h"

#include "base/err.h"
#include "metrics/metric_dump.h"

static void check_entries(const metric_dump *d) {
  char buf[128];
  for (size_t i = 0; i < d->n; i++) {
    const metric_dump_entry *e = &d->entries[i];
    FUZZ_CHECK(e->scope >= METRIC_SCOPE_JM && e->scope <= METRIC_SCOPE_OPERATOR, "scope %d",
               (int)e->scope);
    FUZZ_CHECK(e->kind >= METRIC_COUNTER && e->kind <= METRIC_HISTOGRAM, "kind %d", (int)e->kind);
    FUZZ_CHECK(e->name != NULL, "entry %zu without a name", i);
    FUZZ_CHECK(strlen(e->job_id) <= 32 && strlen(e->vertex_id) <= 32, "entry %zu: long id", i);
    FUZZ_CHECK((e->operator_name != NULL) == (e->scope == METRIC_SCOPE_OPERATOR),
               "entry %zu: operator name on scope %d", i, (int)e->scope);
    FUZZ_CHECK(e->kind != METRIC_GAUGE || e->gauge != NULL, "gauge %zu without a value", i);
    metric_dump_value(e, buf, sizeof buf);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  metric_dump d = {0};
  char err[SP_ERRMSG_MAX] = "";
  int rc = metric_dump_decode(data, size, &d, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "rc %d", rc);
    FUZZ_CHECK(err[0], "a dump was rejected without a reason");
    metric_dump_free(&d);
    return 0;
  }
  check_entries(&d);
  sp_writer w;
  sp_writer_init(&w);
  FUZZ_CHECK(metric_dump_encode(&d, &w) == 0, "an accepted dump does not encode");
  metric_dump back = {0};
  rc = metric_dump_decode(w.data, w.len, &back, err, sizeof err);
  FUZZ_CHECK(rc == 0, "a dump's encoding is refused: %s", err);
  FUZZ_CHECK(back.n == d.n, "%zu entries came back as %zu", d.n, back.n);
  for (size_t i = 0; i < d.n; i++) {
    FUZZ_CHECK(strcmp(back.entries[i].name, d.entries[i].name) == 0, "entry %zu renamed", i);
    FUZZ_CHECK(back.entries[i].kind == d.entries[i].kind, "entry %zu changed kind", i);
  }
  metric_dump_free(&back);
  sp_writer_free(&w);
  metric_dump_free(&d);
  return 0;
}
