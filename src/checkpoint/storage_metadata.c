/*
 * storage_metadata.c: a checkpoint's _metadata (storage.h): the list of state files with their
 * lengths and checksums, and the subtasks that had finished. It is written last and atomically,
 * which is what makes a checkpoint complete; reading checks every entry (plain names, unique
 * subtasks, consistent parallelism) before anything uses it.
 */
#include "base/alloc.h"
#include "base/err.h"
#include "checkpoint/storage_internal.h"

/* ---------------------------------------------------------------------------------------------
 * Metadata. */

int ckpt_write_metadata(const char *dir, const ckpt_metadata *m, char *err, size_t err_len) {
  if (m->nfiles < 0 || (m->nfiles > 0 && !m->files))
    return sp_err(err, err_len, SPATE_EINVAL, "metadata for %s has no file list", dir);
  for (int i = 0; i < m->nfiles; i++)
    if (!plain_name(m->files[i].name))
      return sp_err(err, err_len, SPATE_EINVAL,
                    "metadata for %s: file name '%s' must be a plain name relative to the "
                    "checkpoint directory",
                    dir, m->files[i].name ? m->files[i].name : "(null)");
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, m->job_id);
  sp_put_i64(&w, m->id);
  sp_put_i64(&w, m->timestamp);
  sp_put_u8(&w, m->savepoint ? 1 : 0);
  sp_put_u32(&w, (uint32_t)m->nfiles);
  for (int i = 0; i < m->nfiles; i++) {
    const ckpt_file *f = &m->files[i];
    sp_put_str(&w, f->name);
    sp_put_i32(&w, f->vertex);
    sp_put_i32(&w, f->subtask);
    sp_put_i32(&w, f->parallelism);
    sp_put_u64(&w, f->length);
    sp_put_u64(&w, f->checksum);
  }
  sp_put_u32(&w, (uint32_t)m->nfinished);
  for (int i = 0; i < m->nfinished; i++) {
    sp_put_str(&w, m->finished[i].head_uid);
    sp_put_i32(&w, m->finished[i].subtask);
    sp_put_i32(&w, m->finished[i].parallelism);
  }
  int rc =
      w.failed
          ? sp_err(err, err_len, SPATE_ENOMEM, "out of memory encoding metadata for %s", dir)
          : ckpt_write_file(dir, METADATA_NAME, CKPT_META_MAGIC, w.data, w.len, NULL, err, err_len);
  sp_writer_free(&w);
  return rc;
}

void ckpt_metadata_free(ckpt_metadata *m) {
  if (!m) return;
  for (int i = 0; i < m->nfiles; i++) sp_free(m->files[i].name);
  sp_free(m->files);
  m->files = NULL;
  m->nfiles = 0;
  for (int i = 0; i < m->nfinished; i++) sp_free(m->finished[i].head_uid);
  sp_free(m->finished);
  m->finished = NULL;
  m->nfinished = 0;
}

/* Checks file i against the ones before it: a plain name, a sane subtask, unique (vertex,
 * subtask) and name, one parallelism per vertex. Reports through the reader at pos. */
static void check_file_entry(sp_reader *r, size_t pos, const ckpt_metadata *m, int i,
                             uint32_t name_len) {
  const ckpt_file *f = &m->files[i];
  char msg[160];
  msg[0] = 0;
  if (!plain_name(f->name) || strlen(f->name) != name_len)
    snprintf(msg, sizeof msg, "file name '%.60s' is not a plain relative name", f->name);
  else if (f->vertex < 0 || f->parallelism < 1 || f->subtask < 0 || f->subtask >= f->parallelism)
    snprintf(msg, sizeof msg, "file %.60s: vertex %d subtask %d of parallelism %d is impossible",
             f->name, f->vertex, f->subtask, f->parallelism);
  for (int k = 0; k < i && !msg[0]; k++) {
    const ckpt_file *g = &m->files[k];
    if (strcmp(g->name, f->name) == 0)
      snprintf(msg, sizeof msg, "file %.60s is listed twice", f->name);
    else if (g->vertex == f->vertex && g->subtask == f->subtask)
      snprintf(msg, sizeof msg, "files %.40s and %.40s are both vertex %d subtask %d", g->name,
               f->name, f->vertex, f->subtask);
    else if (g->vertex == f->vertex && g->parallelism != f->parallelism)
      snprintf(msg, sizeof msg, "vertex %d has parallelism %d in %.40s but %d in %.40s", f->vertex,
               g->parallelism, g->name, f->parallelism, f->name);
  }
  if (msg[0]) {
    r->pos = pos;
    sp_reader_fail(r, msg);
  }
}

/* Decodes a metadata payload into m. Errors go to the reader (ENOMEM returned as such). */
static int decode_metadata(sp_reader *r, ckpt_metadata *m) {
  size_t pos = r->pos;
  uint32_t n = 0;
  const char *job = sp_get_blob(r, &n);
  if (job && (n >= sizeof m->job_id || memchr(job, 0, n))) {
    r->pos = pos;
    sp_reader_fail(r, "job id is longer than 32 characters or holds a NUL byte");
  } else if (job) {
    memcpy(m->job_id, job, n);
    m->job_id[n] = 0;
  }
  m->id = sp_get_i64(r);
  m->timestamp = sp_get_i64(r);
  pos = r->pos;
  uint8_t sp = sp_get_u8(r);
  if (sp > 1) {
    r->pos = pos;
    sp_reader_fail(r, "savepoint flag is neither 0 nor 1");
  }
  m->savepoint = sp == 1;
  pos = r->pos;
  n = sp_get_u32(r);
  /* name (4) + vertex, subtask, parallelism (12) + length, checksum (16) at least */
  if (sp_reader_ok(r) && n > (r->len - r->pos) / 32) {
    r->pos = pos;
    sp_reader_fail(r, "file count exceeds what the remaining bytes can hold");
  }
  if (!sp_reader_ok(r)) return SPATE_ECORRUPT;
  if (n > 0 && !(m->files = sp_calloc(n, sizeof *m->files))) return SPATE_ENOMEM;
  for (uint32_t i = 0; i < n && sp_reader_ok(r); i++) {
    ckpt_file *f = &m->files[m->nfiles];
    pos = r->pos;
    uint32_t name_len = 0;
    const char *name = sp_get_blob(r, &name_len);
    m->nfiles++;
    if (!name) break;
    if (!(f->name = sp_strndup(name, name_len))) return SPATE_ENOMEM;
    f->vertex = sp_get_i32(r);
    f->subtask = sp_get_i32(r);
    f->parallelism = sp_get_i32(r);
    f->length = sp_get_u64(r);
    f->checksum = sp_get_u64(r);
    if (sp_reader_ok(r)) check_file_entry(r, pos, m, (int)i, name_len);
  }
  if (sp_reader_ok(r)) { /* the finished subtasks */
    pos = r->pos;
    n = sp_get_u32(r);
    if (sp_reader_ok(r) && n > (r->len - r->pos) / 12) {
      r->pos = pos;
      sp_reader_fail(r, "finished-subtask count exceeds what the remaining bytes can hold");
    }
    if (!sp_reader_ok(r)) return SPATE_ECORRUPT;
    if (n > 0 && !(m->finished = sp_calloc(n, sizeof *m->finished))) return SPATE_ENOMEM;
    for (uint32_t i = 0; i < n && sp_reader_ok(r); i++) {
      ckpt_finished *f = &m->finished[m->nfinished];
      pos = r->pos;
      uint32_t ulen = 0;
      const char *uid = sp_get_blob(r, &ulen);
      m->nfinished++;
      if (!uid) break;
      if (!(f->head_uid = sp_strndup(uid, ulen))) return SPATE_ENOMEM;
      f->subtask = sp_get_i32(r);
      f->parallelism = sp_get_i32(r);
      if (sp_reader_ok(r) && (f->parallelism < 1 || f->subtask < 0 ||
                              f->subtask >= f->parallelism || strlen(f->head_uid) != ulen)) {
        r->pos = pos;
        sp_reader_fail(r, "a finished subtask entry is impossible");
      }
    }
  }
  if (sp_reader_ok(r) && r->pos != r->len)
    sp_reader_fail(r, "unexpected bytes after the finished subtasks");
  return sp_reader_ok(r) ? 0 : SPATE_ECORRUPT;
}

/* Reads <dir>/_metadata; messages name it as "_metadata". */
int ckpt_read_metadata_inner(const char *dir, ckpt_metadata *m, char *err, size_t err_len) {
  memset(m, 0, sizeof *m);
  char path[PATH_CAP];
  if (!join(path, sizeof path, dir, METADATA_NAME))
    return sp_err(err, err_len, SPATE_EINVAL, "checkpoint path %s is too long", dir);
  uint8_t *payload = NULL;
  size_t len = 0;
  int rc =
      ckpt_read_checked(path, METADATA_NAME, CKPT_META_MAGIC, &payload, &len, NULL, err, err_len);
  if (rc) return rc;
  sp_reader r;
  sp_reader_init(&r, payload, len);
  rc = decode_metadata(&r, m);
  sp_free(payload);
  if (rc == SPATE_ENOMEM)
    rc = sp_err(err, err_len, rc, "out of memory reading %s", path);
  else if (rc)
    rc = sp_err(err, err_len, rc, "file %s: invalid payload: %s", METADATA_NAME, r.error);
  if (rc) ckpt_metadata_free(m);
  return rc;
}

int ckpt_read_metadata(const char *dir, ckpt_metadata *m, char *err, size_t err_len) {
  char inner[SP_ERRMSG_MAX];
  int rc = ckpt_read_metadata_inner(dir, m, inner, sizeof inner);
  if (rc) sp_err(err, err_len, rc, "checkpoint %s: %s", dir, inner);
  return rc;
}
