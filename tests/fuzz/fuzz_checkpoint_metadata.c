/*
 * fuzz_checkpoint_metadata.c: a checkpoint's _metadata file (checkpoint/storage_metadata.c,
 * ckpt_read_metadata and ckpt_load). The input is the metadata payload: the target frames it
 * as storage.h describes (magic, version, length, payload, XXH64), so mutations get past the
 * checksum to the payload's checks. An input that starts with the metadata magic is written as
 * the whole file instead, for the framing checks themselves.
 *
 * The metadata is either rejected with SPATE_ECORRUPT and a message naming the checkpoint and
 * the file, or every entry holds what storage.h promises (plain names, subtask below
 * parallelism, ...). Loading the checkpoint (whose state files are missing unless the metadata
 * lists none) must fail cleanly or succeed.
 */
#include "fuzz.h"

#include <xxhash.h>

#include "base/err.h"
#include "base/log.h"
#include "checkpoint/storage.h"

static void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void check_metadata(const ckpt_metadata *m) {
  FUZZ_CHECK(strlen(m->job_id) < sizeof m->job_id, "job id not terminated");
  for (int i = 0; i < m->nfiles; i++) {
    const ckpt_file *f = &m->files[i];
    FUZZ_CHECK(f->name && f->name[0] && f->name[0] != '.' && !strchr(f->name, '/'),
               "file %d has a name that is not plain", i);
    FUZZ_CHECK(f->vertex >= 0 && f->subtask >= 0 && f->subtask < f->parallelism,
               "file %s: vertex %d subtask %d of %d", f->name, f->vertex, f->subtask,
               f->parallelism);
  }
  for (int i = 0; i < m->nfinished; i++)
    FUZZ_CHECK(m->finished[i].head_uid && m->finished[i].subtask >= 0 &&
                   m->finished[i].subtask < m->finished[i].parallelism,
               "finished entry %d is impossible", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_log_set_level(SP_LOG_OFF);
  char path[4200];
  fuzz_path(path, sizeof path, "_metadata");
  if (size >= 4 && fuzz_le32(data) == CKPT_META_MAGIC) {
    fuzz_write_file(path, data, size);
  } else {
    uint8_t *file = sp_malloc(size + 24);
    FUZZ_CHECK(file != NULL, "out of memory");
    put_le(file, CKPT_META_MAGIC, 4);
    put_le(file + 4, 1, 4);
    put_le(file + 8, size, 8);
    if (size) memcpy(file + 16, data, size);
    put_le(file + 16 + size, XXH64(data, size, 0), 8);
    fuzz_write_file(path, file, size + 24);
    sp_free(file);
  }

  ckpt_metadata m;
  char err[SP_ERRMSG_MAX] = "";
  int rc = ckpt_read_metadata(fuzz_dir(), &m, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(rc == SPATE_ECORRUPT || rc == SPATE_ENOMEM, "rc %d: %s", rc, err);
    FUZZ_CHECK(strstr(err, fuzz_dir()) && strstr(err, "_metadata"),
               "the message names neither the checkpoint nor the file: %s", err);
  } else {
    check_metadata(&m);
    ckpt_metadata_free(&m);
  }

  for (int verify_only = 0; verify_only <= 1; verify_only++) {
    ckpt_loaded *l = NULL;
    err[0] = 0;
    rc = ckpt_load(fuzz_dir(), verify_only, &l, err, sizeof err);
    if (rc == 0) {
      check_metadata(&l->meta);
      ckpt_loaded_free(l);
    } else {
      FUZZ_CHECK(l == NULL && strstr(err, fuzz_dir()), "rc %d, message '%s'", rc, err);
    }
  }
  return 0;
}
