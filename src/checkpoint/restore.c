/*
 * restore.c: choosing the checkpoint a job restores and checking that its state fits the job
 * (uids, max parallelism, chaining of finished tasks, in-flight data), see restore.h. Loading
 * and verifying the files themselves is checkpoint storage's (storage.h, ckpt_load); mapping the
 * state onto subtasks is the tasks' (state/snapshot.h, snap_assign).
 */
#include "checkpoint/restore.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

/* Whether two chains ('\n'-joined uids, jobgraph_chain_uids) have an operator in common. */
static bool chains_share_uid(const char *a, const char *b) {
  for (const char *u = a; *u;) {
    size_t n = strcspn(u, "\n");
    for (const char *c = b; *c;) {
      size_t k = strcspn(c, "\n");
      if (k == n && memcmp(c, u, n) == 0) return true;
      c += k + (c[k] ? 1 : 0);
    }
    u += n + (u[n] ? 1 : 0);
  }
  return false;
}

int ckpt_restore_check(const job_graph *jg, const ckpt_loaded *l, bool allow_non_restored,
                       char *err, size_t err_len) {
  for (int i = 0; i < l->nops; i++) {
    const ckpt_loaded_op *op = &l->ops[i];
    if (!op->has_state) continue; /* stateless operators may come and go */
    const sg_node *n = NULL;
    for (int k = 0; k < jg->nnodes && !n; k++)
      if (strcmp(jg->nodes[k].uid, op->uid) == 0) n = &jg->nodes[k];
    if (!n) {
      if (allow_non_restored) {
        SP_WARN("jobmaster",
                "Skipping state of operator uid '%s' in %s: no such operator in "
                "the job (--allow-non-restored-state).",
                op->uid, l->dir);
        continue;
      }
      return sp_err(err, err_len, SPATE_ESTATE,
                    "Failed to rollback to checkpoint/savepoint %s. Cannot map checkpoint/"
                    "savepoint state for operator uid '%s' to the new program, because the "
                    "operator is not available in the new program. If you want to allow to skip "
                    "this, you can set the --allowNonRestoredState option on the CLI (-n).",
                    l->dir, op->uid);
    }
    if (op->max_parallelism != n->max_parallelism)
      return sp_err(err, err_len, SPATE_ESTATE,
                    "Failed to rollback to checkpoint/savepoint %s: operator '%s' (uid %s) was "
                    "checkpointed with max parallelism %d but now has %d; the max parallelism "
                    "of an operator cannot change",
                    l->dir, n->name, n->uid, op->max_parallelism, n->max_parallelism);
  }
  for (int f = 0; f < l->meta.nfinished; f++) {
    const ckpt_finished *fin = &l->meta.finished[f];
    size_t head_len = strcspn(fin->head_uid, "\n");
    for (int v = 0; v < jg->nvertices; v++) {
      char *chain = jobgraph_chain_uids(jg, v);
      if (!chain) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
      bool same = strcmp(chain, fin->head_uid) == 0;
      /* a task that shares an operator with a finished one must be that same chain */
      bool overlaps = chains_share_uid(chain, fin->head_uid);
      sp_free(chain);
      if (overlaps && !same)
        return sp_err(err, err_len, SPATE_ESTATE,
                      "%s was taken when the task starting with operator uid '%.*s' had "
                      "finished, and '%s' now chains its operators differently; restore with "
                      "the same chaining",
                      l->dir, (int)head_len, fin->head_uid, jg->vertices[v].name);
    }
  }
  for (int c = 0; c < l->nchannels; c++) {
    const ckpt_loaded_channel *ch = &l->channels[c];
    bool found = false;
    for (int v = 0; v < jg->nvertices; v++)
      found |= strcmp(jg->nodes[jg->vertices[v].head].uid, ch->head_uid) == 0;
    if (!found)
      return sp_err(err, err_len, SPATE_ESTATE,
                    "%s holds in-flight data of an unaligned checkpoint for the task that "
                    "starts with operator uid '%s', and no task of the job starts with it any "
                    "more (the chaining changed); restore from a savepoint or an aligned "
                    "checkpoint",
                    l->dir, ch->head_uid);
    for (int v = 0; v < jg->nvertices; v++)
      if (strcmp(jg->nodes[jg->vertices[v].head].uid, ch->head_uid) == 0 &&
          jg->vertices[v].parallelism != ch->parallelism)
        return sp_err(err, err_len, SPATE_ESTATE,
                      "%s is an unaligned checkpoint with in-flight data for '%s' at "
                      "parallelism %d; it cannot be restored at parallelism %d (rescale from a "
                      "savepoint or an aligned checkpoint)",
                      l->dir, jg->vertices[v].name, ch->parallelism, jg->vertices[v].parallelism);
  }
  return 0;
}

int ckpt_restore_open(const job_graph *jg, const char *uri, bool allow_non_restored, char *dir,
                      size_t dir_len, int64_t *id, char *err, size_t err_len) {
  char path[4096];
  ckpt_loaded *l = NULL;
  int rc = ckpt_path_from_uri(uri, path, sizeof path, err, err_len);
  if (rc == 0) rc = ckpt_load(path, true, &l, err, err_len);
  if (rc == 0) rc = ckpt_restore_check(jg, l, allow_non_restored, err, err_len);
  if (rc == 0) {
    snprintf(dir, dir_len, "%s", l->dir);
    SP_INFO("jobmaster", "Starting job %s from %s %lld (%s).", jg->job_id,
            l->meta.savepoint ? "savepoint" : "checkpoint", (long long)l->meta.id, l->dir);
    *id = l->meta.id;
  }
  ckpt_loaded_free(l);
  return rc;
}

void ckpt_restore_choose(const char *job_id, const ckpt_completed *completed, int n,
                         const char *start_dir, char *out, size_t out_len) {
  int64_t newest_bad = 0; /* the newest checkpoint that could not be restored */
  for (int i = n - 1; i >= 0; i--) {
    ckpt_loaded *l = NULL;
    char err[SP_ERRMSG_MAX];
    if (ckpt_load(completed[i].dir, true, &l, err, sizeof err) == 0) {
      ckpt_loaded_free(l);
      snprintf(out, out_len, "%s", completed[i].dir);
      if (newest_bad)
        SP_WARN("jobmaster",
                "Job %s falls back from checkpoint %lld to checkpoint %lld: output "
                "that exactly-once sinks committed with the checkpoints after %lld (up to %lld) "
                "may be published again.",
                job_id, (long long)newest_bad, (long long)completed[i].id,
                (long long)completed[i].id, (long long)newest_bad);
      return;
    }
    SP_WARN("jobmaster", "Checkpoint %lld (%s) cannot be restored (%s); trying an older one.",
            (long long)completed[i].id, completed[i].dir, err);
    if (!newest_bad) newest_bad = completed[i].id;
  }
  snprintf(out, out_len, "%s", start_dir);
  if (newest_bad)
    SP_WARN("jobmaster",
            "Job %s falls back from checkpoint %lld to %s: output that "
            "exactly-once sinks committed since may be published again.",
            job_id, (long long)newest_bad, start_dir[0] ? start_dir : "its start");
}
