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

/* Whether the unverified headers of l (CKPT_LOAD_HEADERS) hold an operator state that does not
 * map onto jg as it is (an unknown uid, another max parallelism). A checkpoint is refused for
 * that, or its state skipped, only after its files were verified: a damaged uid must read as a
 * corrupt checkpoint, not as an operator that went away. */
static bool headers_disagree(const job_graph *jg, const ckpt_loaded *l) {
  for (int i = 0; i < l->nops; i++) {
    if (!l->ops[i].has_state) continue;
    const sg_node *n = NULL;
    for (int k = 0; k < jg->nnodes && !n; k++)
      if (strcmp(jg->nodes[k].uid, l->ops[i].uid) == 0) n = &jg->nodes[k];
    if (!n || n->max_parallelism != l->ops[i].max_parallelism) return true;
  }
  return false;
}

/* Loads the headers of the checkpoint at path (for a job's checkpoint directory the newest that
 * is not in bad) and, if they disagree with jg, verifies its state files. SPATE_ECORRUPT when
 * they are corrupt, with *l NULL and the checkpoint's directory in dir (dir_len bytes). */
static int load_headers(const job_graph *jg, const char *path, const ckpt_restore_bad *bad,
                        ckpt_loaded **l, char *dir, size_t dir_len, char *err, size_t err_len) {
  int rc = ckpt_load_except(path, CKPT_LOAD_HEADERS, bad ? (const char *const *)bad->dirs : NULL,
                            bad ? (const char *const *)bad->why : NULL, bad ? bad->n : 0, l, err,
                            err_len);
  if (rc || !headers_disagree(jg, *l)) return rc;
  ckpt_loaded *v = NULL;
  rc = ckpt_load((*l)->dir, CKPT_LOAD_VERIFY, &v, err, err_len);
  ckpt_loaded_free(v);
  if (rc == SPATE_ECORRUPT) {
    if (dir) snprintf(dir, dir_len, "%s", (*l)->dir);
    ckpt_loaded_free(*l);
    *l = NULL;
  }
  return rc;
}

int ckpt_restore_open(const job_graph *jg, const char *uri, bool allow_non_restored, char *dir,
                      size_t dir_len, int64_t *id, char *err, size_t err_len) {
  char path[4096], bad_dir[4096];
  ckpt_loaded *l = NULL;
  ckpt_restore_bad bad = {0};
  int rc = ckpt_path_from_uri(uri, path, sizeof path, err, err_len);
  /* a checkpoint of a job's directory whose files turn out corrupt is passed over for the next
   * older one, as ckpt_load does for one whose framing is corrupt */
  while (rc == 0 &&
         (rc = load_headers(jg, path, &bad, &l, bad_dir, sizeof bad_dir, err, err_len)) ==
             SPATE_ECORRUPT &&
         strcmp(bad_dir, path) != 0 && !ckpt_restore_is_bad(&bad, bad_dir)) {
    if ((rc = ckpt_restore_mark_bad(&bad, bad_dir, err)) < 0)
      sp_err(err, err_len, rc, "out of memory");
  }
  ckpt_restore_bad_free(&bad);
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

int ckpt_restore_mark_bad(ckpt_restore_bad *b, const char *dir, const char *why) {
  if (ckpt_restore_is_bad(b, dir)) return 0;
  char **dirs = sp_realloc(b->dirs, (size_t)(b->n + 1) * sizeof *dirs);
  if (dirs) b->dirs = dirs;
  char **whys = dirs ? sp_realloc(b->why, (size_t)(b->n + 1) * sizeof *whys) : NULL;
  if (whys) b->why = whys;
  char *d = whys ? sp_strdup(dir) : NULL, *w = d ? sp_strdup(why ? why : "") : NULL;
  if (!w) {
    sp_free(d);
    return SPATE_ENOMEM;
  }
  b->dirs[b->n] = d;
  b->why[b->n++] = w;
  return 0;
}

/* Why dir failed to restore, or NULL when it is not bad. */
static const char *bad_why(const ckpt_restore_bad *b, const char *dir) {
  for (int i = 0; b && i < b->n; i++)
    if (strcmp(b->dirs[i], dir) == 0) return b->why[i];
  return NULL;
}

bool ckpt_restore_is_bad(const ckpt_restore_bad *b, const char *dir) {
  return bad_why(b, dir) != NULL;
}

void ckpt_restore_bad_free(ckpt_restore_bad *b) {
  for (int i = 0; i < b->n; i++) {
    sp_free(b->dirs[i]);
    sp_free(b->why[i]);
  }
  sp_free(b->dirs);
  sp_free(b->why);
  *b = (ckpt_restore_bad){0};
}

/* Where the job started, unless that is bad: then, if it started from a job's checkpoint
 * directory, the newest good checkpoint there (ckpt_load_except logs the fallback). */
static int choose_start(const char *start_uri, const char *start_dir, const ckpt_restore_bad *bad,
                        char *out, size_t out_len, char *err, size_t err_len) {
  const char *why = start_dir[0] ? bad_why(bad, start_dir) : NULL;
  if (!why) {
    snprintf(out, out_len, "%s", start_dir);
    return 0;
  }
  char path[4096];
  ckpt_loaded *l = NULL;
  int rc = start_uri && start_uri[0]
               ? ckpt_path_from_uri(start_uri, path, sizeof path, err, err_len)
               : SPATE_ECORRUPT;
  if (rc == 0 && strcmp(path, start_dir) != 0)
    rc = ckpt_load_except(path, CKPT_LOAD_HEADERS, (const char *const *)bad->dirs,
                          (const char *const *)bad->why, bad->n, &l, err, err_len);
  else
    rc = SPATE_ECORRUPT;
  if (rc == 0 && ckpt_restore_is_bad(bad, l->dir)) rc = SPATE_ECORRUPT; /* the uri names it */
  if (rc == 0) snprintf(out, out_len, "%s", l->dir);
  ckpt_loaded_free(l);
  if (rc) {
    out[0] = 0;
    return sp_err(err, err_len, SPATE_ECORRUPT, "%s", why);
  }
  return 0;
}

int ckpt_restore_choose(const job_graph *jg, const ckpt_completed *completed, int n,
                        const char *start_uri, const char *start_dir, const ckpt_restore_bad *bad,
                        char *out, size_t out_len, char *errbuf, size_t errbuf_len) {
  const char *job_id = jg->job_id;
  int64_t newest_bad = 0; /* the newest checkpoint that could not be restored */
  for (int i = n - 1; i >= 0; i--) {
    ckpt_loaded *l = NULL;
    char err[SP_ERRMSG_MAX];
    const char *why = bad_why(bad, completed[i].dir);
    if (why)
      snprintf(err, sizeof err, "%s", why);
    else if (load_headers(jg, completed[i].dir, bad, &l, NULL, 0, err, sizeof err) == 0) {
      ckpt_loaded_free(l);
      snprintf(out, out_len, "%s", completed[i].dir);
      if (newest_bad)
        SP_WARN("jobmaster",
                "Job %s falls back from checkpoint %lld to checkpoint %lld: output "
                "that exactly-once sinks committed with the checkpoints after %lld (up to %lld) "
                "may be published again.",
                job_id, (long long)newest_bad, (long long)completed[i].id,
                (long long)completed[i].id, (long long)newest_bad);
      return 0;
    }
    SP_WARN("jobmaster", "Checkpoint %lld (%s) cannot be restored (%s); trying an older one.",
            (long long)completed[i].id, completed[i].dir, err);
    if (!newest_bad) newest_bad = completed[i].id;
  }
  int rc = choose_start(start_uri, start_dir, bad, out, out_len, errbuf, errbuf_len);
  if (rc) return rc;
  if (newest_bad)
    SP_WARN("jobmaster",
            "Job %s falls back from checkpoint %lld to %s: output that "
            "exactly-once sinks committed since may be published again.",
            job_id, (long long)newest_bad, out[0] ? out : "its start");
  return 0;
}
