/*
 * fuzz_operator_snapshot.c: operator snapshots of several old subtasks redistributed to new
 * subtasks on restore (state/snapshot.c, snap_assign), the layer under the state files. The
 * input is byte 0 (the new parallelism is 1 + byte % 8) followed by the old subtasks'
 * encodings, separated by "#SECTION#" (at most 8 subtasks; an empty one has no state). The
 * new max parallelism is the one the first non-empty encoding claims, so the fuzzer does not
 * stop at the (correct) refusal to change it.
 *
 * Every new subtask's assignment either fails with a message or gives key groups inside its
 * range, in increasing order, and list entries that lie inside the old bytes; over all new
 * subtasks every key group of the old snapshots is assigned exactly once.
 */
#include "fuzz.h"

#include "base/err.h"
#include "state/snapshot.h"

#define SEP "#SECTION#"
#define MAX_OLD 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int p = 1 + data[0] % 8;
  snap_section old[MAX_OLD];
  int nold = 0;
  const uint8_t *at = data + 1, *end = data + size;
  while (nold < MAX_OLD) {
    const uint8_t *sep = memmem(at, (size_t)(end - at), SEP, strlen(SEP));
    const uint8_t *stop = sep && nold < MAX_OLD - 1 ? sep : end;
    size_t len = (size_t)(stop - at);
    /* Exact-size copies, so that reading past a section is caught. */
    uint8_t *copy = len ? sp_malloc(len) : NULL;
    FUZZ_CHECK(len == 0 || copy != NULL, "out of memory");
    if (len) memcpy(copy, at, len);
    old[nold++] = (snap_section){copy, len};
    if (stop == end) break;
    at = stop + strlen(SEP);
  }
  int max = 128;
  for (int j = 0; j < nold; j++) {
    if (old[j].len < 12) continue;
    int claimed = (int32_t)fuzz_le32(old[j].data + 8);
    if (claimed >= 1 && claimed <= 32768) max = claimed;
    break;
  }
  if (p > max) p = max;

  int assigned_total = 0, ok = 0;
  for (int index = 0; index < p; index++) {
    snap_restore r;
    char err[SP_ERRMSG_MAX] = "";
    int rc = snap_assign(old, nold, max, p, index, &r, err, sizeof err);
    if (rc != 0) {
      FUZZ_CHECK(err[0] && r.nkg == 0 && r.nlists == 0,
                 "failed (%d) without a message or "
                 "with a view left",
                 rc);
      continue;
    }
    ok++;
    for (int i = 0; i < r.nkg; i++) {
      FUZZ_CHECK(r.kgs[i].kg >= r.range.first && r.kgs[i].kg <= r.range.last &&
                     (i == 0 || r.kgs[i].kg > r.kgs[i - 1].kg),
                 "subtask %d of %d: key group %d misplaced", index, p, r.kgs[i].kg);
      fuzz_touch(r.kgs[i].data, r.kgs[i].len);
    }
    assigned_total += r.nkg;
    for (int i = 0; i < r.nlists; i++)
      for (uint32_t e = 0; e < r.lists[i].count; e++)
        fuzz_touch(r.lists[i].data[e], r.lists[i].len[e]);
    snap_restore_free(&r);
  }
  /* When every new subtask accepted the state, the key groups were all handed out once: the
   * old sections' groups, counted by assigning everything to a single subtask. */
  if (ok == p) {
    snap_restore all;
    char err[SP_ERRMSG_MAX] = "";
    if (snap_assign(old, nold, max, 1, 0, &all, err, sizeof err) == 0) {
      FUZZ_CHECK(all.nkg == assigned_total, "%d key groups in all, %d assigned to %d subtasks",
                 all.nkg, assigned_total, p);
      snap_restore_free(&all);
    }
  }
  for (int j = 0; j < nold; j++) sp_free((void *)old[j].data);
  return 0;
}
