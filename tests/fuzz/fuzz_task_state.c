/*
 * fuzz_task_state.c: a subtask's state file, the payload a task writes into a checkpoint
 * (state/snapshot.c, snap_task_decode), loaded through the checkpoint storage
 * (checkpoint/storage_load.c, ckpt_load) and handed to new subtasks (snap_assign). The input is the
 * state file's payload.
 *
 * Decoded directly, the payload either fails with a message or its operators' sections can be
 * assigned to any subtask of a new parallelism. Then the target writes it as state file 0-0 of
 * a checkpoint whose metadata lists it with the right length and checksum (and the parallelism
 * the payload claims), loads that checkpoint, and assigns every loaded operator's state again.
 */
#include "fuzz.h"

#include "base/err.h"
#include "base/log.h"
#include "checkpoint/storage.h"
#include "state/snapshot.h"

/* Assigns old[nold] to a few subtasks of a few new parallelisms; each assignment either fails
 * with a message or gives a view whose sections and entries lie inside the old bytes. */
static void assign(const snap_section *old, int nold, int max_parallelism) {
  int ps[] = {1, nold, nold + 1};
  for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
    int p = ps[k];
    if (p > max_parallelism) continue;
    for (int index = 0; index < p; index = index < 2 || index == p - 1 ? index + 1 : p - 1) {
      snap_restore r;
      char err[SP_ERRMSG_MAX] = "";
      int rc = snap_assign(old, nold, max_parallelism, p, index, &r, err, sizeof err);
      if (rc != 0) {
        FUZZ_CHECK(err[0], "assignment failed (%d) without a message", rc);
        continue;
      }
      for (int i = 0; i < r.nkg; i++) {
        FUZZ_CHECK(r.kgs[i].kg >= r.range.first && r.kgs[i].kg <= r.range.last,
                   "key group %d outside the range [%d, %d]", r.kgs[i].kg, r.range.first,
                   r.range.last);
        const uint8_t *d = NULL;
        uint32_t len = 0;
        FUZZ_CHECK(snap_restore_key_group(&r, r.kgs[i].kg, &d, &len) == 1,
                   "key group %d is not found", r.kgs[i].kg);
        fuzz_touch(d, len);
      }
      for (int i = 0; i < r.nlists; i++) {
        FUZZ_CHECK(snap_restore_list(&r, r.lists[i].name) != NULL, "list %s is not found",
                   r.lists[i].name);
        for (uint32_t e = 0; e < r.lists[i].count; e++)
          fuzz_touch(r.lists[i].data[e], r.lists[i].len[e]);
      }
      snap_restore_free(&r);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_log_set_level(SP_LOG_OFF);
  snap_task t;
  char err[SP_ERRMSG_MAX] = "";
  int rc = snap_task_decode(data, size, &t, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(rc == SPATE_ECORRUPT || rc == SPATE_ENOMEM, "rc %d: %s", rc, err);
    FUZZ_CHECK(err[0] && t.nops == 0 && t.ops == NULL, "a failed decode left '%s' and ops", err);
  } else {
    for (int i = 0; i < t.nops; i++) assign(&t.ops[i].section, 1, t.ops[i].max_parallelism);
    snap_task_free(&t);
  }

  /* The same bytes as state file 0-0 of a checkpoint. */
  const char *dir = fuzz_dir();
  ckpt_file f = {.name = "0-0.state", .vertex = 0, .subtask = 0, .parallelism = 1};
  int claimed = size >= 12 ? (int32_t)fuzz_le32(data + 8) : 1;
  if (claimed >= 1 && claimed <= 32768) f.parallelism = claimed;
  f.length = size;
  FUZZ_CHECK(
      ckpt_write_file(dir, f.name, CKPT_STATE_MAGIC, data, size, &f.checksum, err, sizeof err) == 0,
      "%s", err);
  ckpt_metadata m = {
      .job_id = "00000000000000000000000000000000", .id = 1, .nfiles = 1, .files = &f};
  FUZZ_CHECK(ckpt_write_metadata(dir, &m, err, sizeof err) == 0, "%s", err);
  ckpt_loaded *l = NULL;
  rc = ckpt_load(dir, false, &l, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(l == NULL && strstr(err, dir) && strstr(err, f.name),
               "rc %d, message names neither checkpoint nor file: %s", rc, err);
    return 0;
  }
  for (int j = 0; j < l->nops; j++)
    assign(l->ops[j].sections, l->ops[j].parallelism, l->ops[j].max_parallelism);
  for (int c = 0; c < l->nchannels; c++) {
    FUZZ_CHECK(l->channels[c].head_uid != NULL && l->channels[c].subtask == 0,
               "channel state of an unexpected subtask");
    fuzz_touch(l->channels[c].state.data, l->channels[c].state.len);
  }
  int nops = l->nops, nchannels = l->nchannels;
  ckpt_loaded_free(l);

  /* What the JobMaster checks before it restores: the same files, verified only. */
  rc = ckpt_load(dir, true, &l, err, sizeof err);
  FUZZ_CHECK(rc == 0, "a checkpoint that loads fails to verify: %s", err);
  FUZZ_CHECK(l->nops == nops && l->nchannels == nchannels && l->nbufs == 0,
             "verifying gives %d operators and %d channels, loading %d and %d", l->nops,
             l->nchannels, nops, nchannels);
  ckpt_loaded_free(l);
  return 0;
}
