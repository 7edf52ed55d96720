/*
 * fuzz_operator_restore.c: operators restoring their state from a checkpoint, through their
 * restore hooks (runtime/operator.h): keyed reduce, event-time windows (tumbling, session,
 * sliding with a count trigger, count windows), the keyed process function with timers, the
 * interval join, the sequence, elements, file and Nexmark sources, the two-phase-commit sink,
 * the user's operator state and SQL's group and window aggregations (restore_ops.h). Input:
 * byte 0 picks the operator (b % FR_NKINDS), the rest
 * is the snapshot of its one old subtask (an empty one: no state).
 *
 * A restore either fails with a message, or the operator runs a script of records,
 * watermarks and processing time to the end (a failure then must have a message too) and its
 * snapshot afterwards restores again into a fresh operator.
 */
#include "fuzz.h" /* first: it sets _GNU_SOURCE */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h> /* declarations the harness refers to; nothing of it runs */

#include "base/log.h"
#include "restore_ops.h"

/* Opens kind restored from old (len 0: no state); h must be closed whatever this returns. */
static int open_restored(harness *h, spate_env **env, int kind, const uint8_t *old, size_t len) {
  *env = spate_env_create();
  FUZZ_CHECK(*env != NULL, "out of memory");
  snap_section sec = {old, len};
  return harness_open_restored(h, *env, fr_build(*env, kind), 0, &sec, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  sp_log_set_level(SP_LOG_OFF);
  int kind = data[0] % FR_NKINDS;
  size_t len = size - 1;
  uint8_t *old = sp_malloc(len ? len : 1); /* exact size: reading past it is caught */
  FUZZ_CHECK(old != NULL, "out of memory");
  if (len) memcpy(old, data + 1, len);

  harness h;
  spate_env *env;
  int rc = open_restored(&h, &env, kind, old, len);
  if (rc < 0) {
    FUZZ_CHECK(h.err[0], "%s: restore failed (%d) without a message", fr_kind_name(kind), rc);
  } else {
    rc = fr_drive(&h, kind, 0, FR_STEPS);
    if (rc >= 0) rc = fr_finish(&h, kind);
    FUZZ_CHECK(rc >= 0 || h.err[0], "%s: failed (%d) without a message", fr_kind_name(kind), rc);
    for (size_t i = 0; i < h.nevents; i++)
      if (h.events[i].row.data) fuzz_touch(h.events[i].row.data, h.events[i].row.len);
    if (rc >= 0) {
      sp_writer w;
      sp_writer_init(&w);
      rc = fr_snapshot(&h, 2, &w);
      FUZZ_CHECK(rc == 0 && !w.failed, "%s: snapshot after a restore failed: %s",
                 fr_kind_name(kind), h.err);
      harness h2;
      spate_env *env2;
      rc = open_restored(&h2, &env2, kind, w.data, w.len);
      FUZZ_CHECK(rc == 0, "%s: its own snapshot does not restore: %s", fr_kind_name(kind), h2.err);
      harness_close(&h2);
      spate_env_free(env2);
      sp_writer_free(&w);
    }
  }
  harness_close(&h);
  spate_env_free(env);
  sp_free(old);
  return 0;
}
