/*
 * storage_load.c: loading a checkpoint or savepoint for restore (storage.h, ckpt_load), and
 * listing a job's complete checkpoints.
 *
 * Loading trusts nothing: each file's framing and checksum are checked, each state file must match
 * the length and checksum the metadata recorded, and the payloads are decoded with
 * snap_task_decode before the operators' sections are grouped by uid. Inner errors name the file
 * relative to its checkpoint ("file 1-0.state: ..."); ckpt_load prefixes the directory. Given a
 * job's directory, the newest complete checkpoint that loads is taken.
 */
#include <dirent.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xxhash.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "checkpoint/storage_internal.h"

#define LOG_COMP "checkpoint"

/* ---------------------------------------------------------------------------------------------
 * Loading. */

/* Maps state file i into l->bufs[i], checks it against the metadata (with verify: its
 * checksum too) and decodes its task layer into l->tasks[i]. */
static int load_state_file(ckpt_loaded *l, int i, bool verify, char *err, size_t err_len) {
  const ckpt_file *f = &l->meta.files[i];
  char path[PATH_CAP];
  if (!join(path, sizeof path, l->dir, f->name))
    return sp_err(err, err_len, SPATE_EINVAL, "file %s: path too long", f->name);
  int rc = ckpt_map_file(path, f->name, CKPT_STATE_MAGIC, verify, &l->bufs[i], err, err_len);
  l->verified[i] = rc == 0 && verify;
  size_t len = l->bufs[i].len;
  uint64_t sum = l->bufs[i].checksum;
  if (rc == SPATE_ENOENT)
    return sp_err(err, err_len, SPATE_ECORRUPT, "file %s listed in the metadata is missing",
                  f->name);
  if (rc) return rc;
  if (len != f->length)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: payload of %zu bytes, but the metadata records %llu", f->name, len,
                  (unsigned long long)f->length);
  if (sum != f->checksum)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: checksum %016llx differs from the %016llx the metadata records",
                  f->name, (unsigned long long)sum, (unsigned long long)f->checksum);
  char inner[SP_ERRMSG_MAX];
  rc = snap_task_decode(l->bufs[i].payload, len, &l->tasks[i], inner, sizeof inner);
  if (rc) return sp_err(err, err_len, rc, "file %s: %s", f->name, inner);
  if (l->tasks[i].parallelism != f->parallelism)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: written by a subtask of parallelism %d, but the metadata records %d",
                  f->name, l->tasks[i].parallelism, f->parallelism);
  return 0;
}

/* Places the operators of state file i into l->ops (vertex[k] is op k's vertex). */
static int group_file(ckpt_loaded *l, int *vertex, int i, char *err, size_t err_len) {
  const ckpt_file *f = &l->meta.files[i];
  const snap_task *t = &l->tasks[i];
  for (int k = 0; k < t->nops; k++) {
    const snap_task_op *op = &t->ops[k];
    int j = 0;
    while (j < l->nops && strcmp(l->ops[j].uid, op->uid) != 0) j++;
    if (j == l->nops) {
      ckpt_loaded_op *o = &l->ops[l->nops];
      o->uid = sp_strdup(op->uid);
      o->sections = sp_calloc((size_t)f->parallelism, sizeof *o->sections);
      o->files = sp_malloc((size_t)f->parallelism * sizeof *o->files);
      o->parallelism = f->parallelism;
      o->max_parallelism = op->max_parallelism;
      vertex[l->nops++] = f->vertex;
      if (!o->uid || !o->sections || !o->files)
        return sp_err(err, err_len, SPATE_ENOMEM, "out of memory loading operator %s", op->uid);
      for (int s = 0; s < o->parallelism; s++) o->files[s] = -1;
    }
    ckpt_loaded_op *o = &l->ops[j];
    if (vertex[j] != f->vertex)
      return sp_err(err, err_len, SPATE_ECORRUPT,
                    "file %s: operator %s belongs to vertex %d but also appears in vertex %d",
                    f->name, op->uid, vertex[j], f->vertex);
    if (o->max_parallelism != op->max_parallelism)
      return sp_err(err, err_len, SPATE_ECORRUPT,
                    "file %s: operator %s has max parallelism %d, other subtasks have %d", f->name,
                    op->uid, op->max_parallelism, o->max_parallelism);
    if (o->sections[f->subtask].data)
      return sp_err(err, err_len, SPATE_ECORRUPT,
                    "file %s: operator %s has two states for "
                    "subtask %d",
                    f->name, op->uid, f->subtask);
    o->sections[f->subtask] = op->section;
    o->files[f->subtask] = i;
  }
  return 0;
}

static int group_ops(ckpt_loaded *l, char *err, size_t err_len) {
  size_t cap = 0;
  for (int i = 0; i < l->nbufs; i++) cap += (size_t)l->tasks[i].nops;
  if (cap == 0) return 0;
  l->ops = sp_calloc(cap, sizeof *l->ops);
  int *vertex = sp_calloc(cap, sizeof *vertex);
  int rc = l->ops && vertex ? 0 : sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  for (int i = 0; i < l->nbufs && rc == 0; i++) rc = group_file(l, vertex, i, err, err_len);
  sp_free(vertex);
  return rc;
}

static int collect_channels(ckpt_loaded *l, char *err, size_t err_len) {
  int n = 0;
  for (int i = 0; i < l->nbufs; i++) n += l->tasks[i].channel_state.len > 0;
  if (n == 0) return 0;
  l->channels = sp_calloc((size_t)n, sizeof *l->channels);
  if (!l->channels) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  for (int i = 0; i < l->nbufs; i++) {
    const snap_task *t = &l->tasks[i];
    if (t->channel_state.len == 0) continue;
    ckpt_loaded_channel *c = &l->channels[l->nchannels++];
    c->vertex = l->meta.files[i].vertex;
    c->subtask = l->meta.files[i].subtask;
    c->parallelism = l->meta.files[i].parallelism;
    c->file = i;
    c->state = t->channel_state;
    /* Never NULL, so callers can compare it; "" when the payload names no operator. */
    if (!(c->head_uid = sp_strdup(t->nops > 0 ? t->ops[0].uid : "")))
      return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  return 0;
}

/* Frees the payloads of a load that keeps none; what pointed into them is emptied. */
static void drop_payloads(ckpt_loaded *l) {
  for (int i = 0; i < l->nbufs; i++) {
    snap_task_free(&l->tasks[i]);
    ckpt_unmap(&l->bufs[i]);
  }
  sp_free(l->tasks);
  sp_free(l->bufs);
  sp_free(l->verified);
  l->tasks = NULL;
  l->bufs = NULL;
  l->verified = NULL;
  l->nbufs = 0;
  for (int j = 0; j < l->nops; j++) {
    for (int k = 0; k < l->ops[j].parallelism; k++)
      l->ops[j].has_state |= l->ops[j].sections[k].len > 0;
    memset(l->ops[j].sections, 0, (size_t)l->ops[j].parallelism * sizeof *l->ops[j].sections);
  }
  for (int c = 0; c < l->nchannels; c++) /* which subtasks had in-flight data stays known */
    l->channels[c].state = (snap_section){0};
}

/* Loads the checkpoint in dir; messages name files relative to it. */
static int load_dir(const char *dir, ckpt_load_mode mode, ckpt_loaded **out, char *err,
                    size_t err_len) {
  ckpt_loaded *l = sp_calloc(1, sizeof *l);
  if (!l) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  int rc = 0;
  if (strlen(dir) >= sizeof l->dir)
    rc = sp_err(err, err_len, SPATE_EINVAL, "checkpoint path %s is too long", dir);
  else
    memcpy(l->dir, dir, strlen(dir) + 1);
  if (rc == 0) rc = ckpt_read_metadata_inner(dir, &l->meta, err, err_len);
  int n = l->meta.nfiles;
  if (rc == 0 && n > 0) {
    l->bufs = sp_calloc((size_t)n, sizeof *l->bufs);
    l->tasks = sp_calloc((size_t)n, sizeof *l->tasks);
    l->verified = sp_calloc((size_t)n, sizeof *l->verified);
    l->nbufs = n;
    if (!l->bufs || !l->tasks || !l->verified)
      rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  bool verify = mode == CKPT_LOAD_ALL || mode == CKPT_LOAD_VERIFY;
  for (int i = 0; i < n && rc == 0; i++) rc = load_state_file(l, i, verify, err, err_len);
  if (rc == 0) rc = group_ops(l, err, err_len);
  if (rc == 0) rc = collect_channels(l, err, err_len);
  for (int j = 0; rc == 0 && j < l->nops; j++)
    for (int k = 0; k < l->ops[j].parallelism; k++)
      l->ops[j].has_state |= l->ops[j].sections[k].len > 0;
  if (rc) {
    ckpt_loaded_free(l);
    return rc;
  }
  if (mode == CKPT_LOAD_VERIFY || mode == CKPT_LOAD_HEADERS) drop_payloads(l);
  *out = l;
  return 0;
}

int ckpt_loaded_verify(ckpt_loaded *l, int file, char *err, size_t err_len) {
  if (file < 0 || file >= l->nbufs)
    return sp_err(err, err_len, SPATE_EINVAL, "checkpoint %s has no state file %d", l->dir, file);
  if (l->verified[file]) return 0;
  const ckpt_file *f = &l->meta.files[file];
  /* the file was mapped lazily: its pages come in one call rather than a fault each (the
   * subtask reads them all anyway); where the kernel cannot, they fault in as read */
  if (l->bufs[file].map) madvise(l->bufs[file].map, l->bufs[file].map_len, MADV_POPULATE_READ);
  uint64_t sum = ckpt_checksum(l->bufs[file].version, l->bufs[file].payload, l->bufs[file].len);
  if (sum != f->checksum)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "checkpoint %s is corrupt: file %s: checksum mismatch (computed %016llx, the "
                  "metadata records %016llx)",
                  l->dir, f->name, (unsigned long long)sum, (unsigned long long)f->checksum);
  l->verified[file] = true;
  return 0;
}

/* Whether dir is one of the n directories in bad; *why gets its reason. */
static bool is_bad(const char *dir, const char *const *bad, const char *const *bad_why, int n,
                   const char **why) {
  for (int i = 0; i < n; i++)
    if (strcmp(bad[i], dir) == 0) {
      *why = bad_why[i];
      return true;
    }
  return false;
}

/* load_dir with the directory named in the message. */
static int load_one(const char *dir, ckpt_load_mode mode, ckpt_loaded **out, char *err,
                    size_t err_len) {
  char inner[SP_ERRMSG_MAX];
  int rc = load_dir(dir, mode, out, inner, sizeof inner);
  if (rc == SPATE_ECORRUPT)
    return sp_err(err, err_len, rc, "checkpoint %s is corrupt: %s", dir, inner);
  if (rc) return sp_err(err, err_len, rc, "cannot load checkpoint %s: %s", dir, inner);
  return 0;
}

static int cmp_desc(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x < y) - (x > y);
}

/* "chk-<n>" with n a plain decimal number; -1 for anything else. */
static int64_t chk_id(const char *name) {
  if (strncmp(name, "chk-", 4) != 0 || !name[4]) return -1;
  int64_t v = 0;
  for (const char *p = name + 4; *p; p++) {
    if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10) return -1;
    v = v * 10 + (*p - '0');
  }
  return v;
}

/* The complete checkpoints under job_dir, newest first (*ids sp_malloc'ed, may be NULL when
 * *n is 0); *incomplete counts chk-<n> directories without _metadata. */
static int list_complete(const char *job_dir, int64_t **ids, int *n, int *incomplete, char *err,
                         size_t err_len) {
  *ids = NULL;
  *n = *incomplete = 0;
  DIR *d = opendir(job_dir);
  if (!d) {
    int e = errno;
    return sp_err(err, err_len, e == ENOENT ? SPATE_ENOENT : SPATE_EIO,
                  "cannot list checkpoint directory %s: %s", job_dir, strerror(e));
  }
  int rc = 0, cap = 0;
  struct dirent *de;
  while (rc == 0 && (de = readdir(d)) != NULL) {
    int64_t id = chk_id(de->d_name);
    char path[PATH_CAP], sub[PATH_CAP];
    if (id < 0 || !join(sub, sizeof sub, job_dir, de->d_name) || !is_dir(sub)) continue;
    if (!join(path, sizeof path, sub, METADATA_NAME) || !is_file(path)) {
      (*incomplete)++;
      continue;
    }
    if (*n == cap) {
      int64_t *grown = sp_realloc(*ids, (size_t)(cap ? cap * 2 : 16) * sizeof *grown);
      if (!grown) {
        rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory listing %s", job_dir);
        break;
      }
      *ids = grown;
      cap = cap ? cap * 2 : 16;
    }
    (*ids)[(*n)++] = id;
  }
  closedir(d);
  if (rc) {
    sp_free(*ids);
    *ids = NULL;
    *n = 0;
    return rc;
  }
  if (*n > 1) qsort(*ids, (size_t)*n, sizeof **ids, cmp_desc);
  return 0;
}

int ckpt_list_complete(const char *job_dir, int64_t *ids, int max, char *err, size_t err_len) {
  int64_t *all;
  int n, incomplete;
  int rc = list_complete(job_dir, &all, &n, &incomplete, err, err_len);
  if (rc) return rc;
  int k = n < max ? n : max;
  if (k > 0) memcpy(ids, all, (size_t)k * sizeof *ids);
  sp_free(all);
  return k;
}

/* Loads the newest complete checkpoint under job_dir that is not corrupt (nor in bad). */
static int load_job_dir(const char *job_dir, ckpt_load_mode mode, const char *const *bad,
                        const char *const *bad_why, int nbad, ckpt_loaded **out, char *err,
                        size_t err_len) {
  int64_t *ids;
  int n, incomplete;
  int rc = list_complete(job_dir, &ids, &n, &incomplete, err, err_len);
  if (rc) return rc;
  if (n == 0) {
    return incomplete ? sp_err(err, err_len, SPATE_ENOENT,
                               "no complete checkpoint in %s: %d chk-<n> directories, none with %s",
                               job_dir, incomplete, METADATA_NAME)
                      : sp_err(err, err_len, SPATE_ENOENT,
                               "%s holds neither a %s file nor chk-<n> checkpoint directories",
                               job_dir, METADATA_NAME);
  }
  char newest[SP_ERRMSG_MAX] = "", inner[SP_ERRMSG_MAX], dir[PATH_CAP];
  rc = SPATE_ECORRUPT;
  for (int i = 0; i < n && rc == SPATE_ECORRUPT; i++) {
    char name[32];
    snprintf(name, sizeof name, "chk-%lld", (long long)ids[i]);
    if (!join(dir, sizeof dir, job_dir, name)) {
      rc = sp_err(err, err_len, SPATE_EINVAL, "checkpoint path %s is too long", job_dir);
      break;
    }
    const char *why = NULL;
    if (is_bad(dir, bad, bad_why, nbad, &why)) {
      snprintf(inner, sizeof inner, "%s", why);
      rc = SPATE_ECORRUPT;
    } else {
      rc = load_dir(dir, mode, out, inner, sizeof inner);
    }
    /* A checkpoint discarded while we looked (its _metadata gone) is skipped like a corrupt
     * one; any other error (memory, I/O) ends the search rather than restore older state. */
    if (rc == SPATE_ENOENT) rc = SPATE_ECORRUPT;
    if (rc == SPATE_ECORRUPT && i == 0) snprintf(newest, sizeof newest, "%s", inner);
    if (rc == SPATE_ECORRUPT && i + 1 < n)
      SP_WARN(LOG_COMP,
              "checkpoint %s is corrupt (%s); falling back to chk-%lld. Output that "
              "exactly-once sinks committed with chk-%lld (the newest, %lld) may be published "
              "again.",
              dir, inner, (long long)ids[i + 1], (long long)ids[0], (long long)ids[0]);
    else if (rc == SPATE_ECORRUPT && n > 1)
      SP_WARN(LOG_COMP, "checkpoint %s is corrupt (%s); no older checkpoint is left", dir, inner);
    else if (rc)
      sp_err(err, err_len, rc, "cannot load checkpoint %s: %s", dir, inner);
  }
  if (rc == SPATE_ECORRUPT)
    sp_err(err, err_len, rc, "every complete checkpoint in %s is corrupt; the newest, chk-%lld: %s",
           job_dir, (long long)ids[0], newest);
  sp_free(ids);
  return rc;
}

int ckpt_load(const char *path, ckpt_load_mode mode, ckpt_loaded **out, char *err, size_t err_len) {
  return ckpt_load_except(path, mode, NULL, NULL, 0, out, err, err_len);
}

int ckpt_load_except(const char *path, ckpt_load_mode mode, const char *const *bad,
                     const char *const *bad_why, int nbad, ckpt_loaded **out, char *err,
                     size_t err_len) {
  *out = NULL;
  struct stat st;
  if (!path || !path[0]) return sp_err(err, err_len, SPATE_EINVAL, "empty checkpoint path");
  if (stat(path, &st) != 0) {
    int e = errno;
    return sp_err(err, err_len, e == ENOENT ? SPATE_ENOENT : SPATE_EIO, "checkpoint path %s: %s",
                  path, strerror(e));
  }
  if (S_ISREG(st.st_mode)) {
    /* the _metadata file itself: its directory is the checkpoint */
    char dir[PATH_CAP];
    const char *slash = strrchr(path, '/');
    if (strcmp(slash ? slash + 1 : path, METADATA_NAME) != 0)
      return sp_err(err, err_len, SPATE_EINVAL,
                    "%s is a file but not a checkpoint's %s: expected a checkpoint directory, "
                    "its %s file, or a job's checkpoint directory",
                    path, METADATA_NAME, METADATA_NAME);
    size_t n = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);
    if (n >= sizeof dir) return sp_err(err, err_len, SPATE_EINVAL, "path %s is too long", path);
    memcpy(dir, n ? path : ".", n ? n : 1);
    dir[n ? n : 1] = 0;
    return load_one(dir, mode, out, err, err_len);
  }
  if (!S_ISDIR(st.st_mode))
    return sp_err(err, err_len, SPATE_EINVAL,
                  "checkpoint path %s is neither a file nor a directory", path);
  char meta[PATH_CAP];
  if (join(meta, sizeof meta, path, METADATA_NAME) && is_file(meta))
    return load_one(path, mode, out, err, err_len);
  return load_job_dir(path, mode, bad, bad_why, nbad, out, err, err_len);
}

void ckpt_loaded_free(ckpt_loaded *l) {
  if (!l) return;
  for (int j = 0; j < l->nops; j++) {
    sp_free(l->ops[j].uid);
    sp_free(l->ops[j].sections);
    sp_free(l->ops[j].files);
  }
  sp_free(l->ops);
  for (int c = 0; c < l->nchannels; c++) sp_free(l->channels[c].head_uid);
  sp_free(l->channels);
  for (int i = 0; i < l->nbufs; i++) {
    if (l->tasks) snap_task_free(&l->tasks[i]);
    if (l->bufs) ckpt_unmap(&l->bufs[i]);
  }
  sp_free(l->tasks);
  sp_free(l->bufs);
  sp_free(l->verified);
  ckpt_metadata_free(&l->meta);
  sp_free(l);
}

const ckpt_loaded_op *ckpt_loaded_find(const ckpt_loaded *l, const char *uid) {
  for (int j = 0; l && uid && j < l->nops; j++)
    if (strcmp(l->ops[j].uid, uid) == 0) return &l->ops[j];
  return NULL;
}
