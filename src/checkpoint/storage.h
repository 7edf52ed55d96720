/*
 * storage.h: checkpoints and savepoints on the file system (Flink's FsCheckpointStorage).
 *
 * Layout (state.checkpoints.dir = file:///ckpts):
 *   /ckpts/<job id>/chk-<n>/<vertex>-<subtask>.state   one state file per subtask that has state
 *   /ckpts/<job id>/chk-<n>/_metadata                   written last, atomically
 *   /savepoints/savepoint-<first 6 of job id>-<12 hex>/ same files and _metadata
 * A checkpoint directory is complete exactly when its _metadata exists: the metadata is
 * written to a temporary file, fsynced, renamed, and the directory fsynced. Every file name in
 * the metadata is relative to the directory holding it, so checkpoints and savepoints are
 * self-contained and can be moved.
 *
 * File format (state files and metadata alike):
 *   u32 magic, u32 version, u64 payload length, payload, u64 checksum
 * The checksum depends on the version: 2 (ckpt_write_file) has XXH3-64(payload, seed 0); 3
 * (streamed state files, ckpt_stream) has XXH3-64 of the concatenated little-endian u64
 * XXH3-64s of the payload's 1 MiB blocks (the last one shorter; none for an empty payload), so
 * a stream checksums its bytes while writing them and re-reads only the blocks it patched; 1
 * (still read) has XXH64(payload, seed 0).
 * The metadata payload:
 *   str job id, i64 checkpoint id, i64 timestamp ms, u8 savepoint,
 *   u32 nfiles, nfiles x (str file name, i32 vertex, i32 subtask, i32 vertex parallelism,
 *                         u64 payload length, u64 checksum),
 *   u32 nfinished, nfinished x (str chain uids, i32 subtask, i32 parallelism)
 * A state file's payload is a task snapshot (state/snapshot.h, snap_task).
 *
 * Reading never trusts a byte: a wrong magic, a short file, a length that does not match, a
 * checksum mismatch, or a state file whose size or checksum differs from what the metadata says
 * is SPATE_ECORRUPT with a message naming the file and what is wrong. A path that does not exist
 * is SPATE_ENOENT naming it.
 *
 * Threads: every function is safe to call from any thread; none keeps global state.
 *
 * Implemented by storage.c (paths, directories, discarding), storage_file.c (the file format),
 * storage_stream.c (streamed state files), storage_metadata.c (_metadata) and storage_load.c
 * (ckpt_load, ckpt_list_complete).
 */
#ifndef SPATE_CHECKPOINT_STORAGE_H
#define SPATE_CHECKPOINT_STORAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/snapshot.h"

#define CKPT_STATE_MAGIC 0x54535053u /* "SPST" */
#define CKPT_META_MAGIC 0x444D5053u  /* "SPMD" */

/* Turns "file:///a/b", "file:/a/b", "file://localhost/a/b" or a plain path into a plain path
 * (taken literally: no percent-decoding). Other schemes and hosts are SPATE_EINVAL naming the
 * URI. */
int ckpt_path_from_uri(const char *uri, char *out, size_t out_len, char *err, size_t err_len);

/* mkdir -p; SPATE_EIO naming the directory on failure. */
int ckpt_mkdirs(const char *dir, char *err, size_t err_len);

/* Writes <dir>/<name> in the file format above (temporary name in dir, fsync, rename, fsync
 * of dir). *checksum (optional) receives what the metadata records; the payload length is len.
 * name must be a plain file name (no '/', not starting with '.', which temporary files use):
 * SPATE_EINVAL otherwise. SPATE_EIO naming the file. */
int ckpt_write_file(const char *dir, const char *name, uint32_t magic, const void *payload,
                    size_t len, uint64_t *checksum, char *err, size_t err_len);
/* Reads and verifies a file in that format; *payload is sp_malloc'ed (caller frees; never NULL
 * on success, even for an empty payload), *checksum (optional) is the verified checksum. */
int ckpt_read_file(const char *path, uint32_t magic, uint8_t **payload, size_t *len,
                   uint64_t *checksum, char *err, size_t err_len);

/* A state file written as it is encoded, for snapshots too large to hold twice in memory: the
 * payload is appended in order (written in 1 MiB pieces, each checksummed as it goes out, and
 * handed to the disk's writeback every few MiB so that the final fsync has little left to do),
 * bytes already written may be patched, and finish re-reads the patched blocks only, writes the
 * trailer and the length, fsyncs and renames it into place. On any failure the temporary file
 * is removed (finish and abort both free the stream). Errors: SPATE_EIO naming the file. */
typedef struct ckpt_stream ckpt_stream;
int ckpt_stream_open(const char *dir, const char *name, uint32_t magic, ckpt_stream **out,
                     char *err, size_t err_len);
int ckpt_stream_write(ckpt_stream *s, const void *p, size_t n);
/* Appends buf's bytes (as ckpt_stream_write) without waiting for them to be written: the
 * stream's thread writes them while the caller goes on, and buf is swapped for an empty buffer
 * (the one the thread wrote before, so two buffers serve a whole stream). The next call to any
 * ckpt_stream_* function waits for that write first. SPATE_EIO when an earlier write failed,
 * SPATE_ENOMEM when buf did. */
int ckpt_stream_put(ckpt_stream *s, sp_writer *buf);
int ckpt_stream_patch(ckpt_stream *s, uint64_t payload_offset, const void *p, size_t n);
int ckpt_stream_finish(ckpt_stream *s, uint64_t *length, uint64_t *checksum, char *err,
                       size_t err_len);
void ckpt_stream_abort(ckpt_stream *s);

typedef struct ckpt_file {
  char *name; /* relative to the checkpoint directory */
  int vertex, subtask, parallelism;
  uint64_t length, checksum;
} ckpt_file;

/* A subtask that had finished when the checkpoint was taken (Flink's finished tasks in
 * checkpoints, FLIP-147): it has no state file, and a restore does not run it again. Named by
 * the uids of its task's operators in chain order, joined by '\n' (jobgraph_chain_uids). */
typedef struct ckpt_finished {
  char *head_uid; /* the chain's uids */
  int subtask, parallelism;
} ckpt_finished;

typedef struct ckpt_metadata {
  char job_id[33];
  int64_t id;
  int64_t timestamp;
  bool savepoint;
  int nfiles;
  ckpt_file *files;
  int nfinished;
  ckpt_finished *finished;
} ckpt_metadata;

/* Writes <dir>/_metadata atomically (and fsyncs dir). Every file name must be a plain name as
 * ckpt_write_file requires (SPATE_EINVAL). */
int ckpt_write_metadata(const char *dir, const ckpt_metadata *m, char *err, size_t err_len);
/* Reads and checks <dir>/_metadata into *m (caller frees with ckpt_metadata_free): besides the
 * file format, every name must be a plain name, (vertex, subtask) pairs unique, 0 <= subtask <
 * parallelism, and a vertex's parallelism the same in all its files. SPATE_ENOENT if there is
 * no _metadata, SPATE_ECORRUPT naming the file and the problem. */
int ckpt_read_metadata(const char *dir, ckpt_metadata *m, char *err, size_t err_len);
void ckpt_metadata_free(ckpt_metadata *m);

/* A checkpoint or savepoint loaded for restore: its metadata and its state files, how far
 * checked depends on the mode of ckpt_load. */
typedef struct ckpt_loaded_op {
  char *uid;
  int parallelism, max_parallelism; /* of the operator when the snapshot was taken */
  snap_section *sections;           /* [parallelism], subtask order (empty: no state file) */
  int *files;                       /* [parallelism]: the state file holding each section (index
                                       into meta.files), -1 where there is none */
  bool has_state;                   /* some subtask's section is not empty (stateless operators
                                       are listed too) */
} ckpt_loaded_op;

typedef struct ckpt_loaded_channel {
  int vertex, subtask, parallelism;
  int file;           /* index into meta.files */
  char *head_uid;     /* uid of the first operator in the task payload (never NULL; ""
                            if it lists none): the vertex's head only if the task writes every
                            operator of its chain, stateless ones with an empty section */
  snap_section state; /* the subtask's channel state (empty in verify-only loads) */
} ckpt_loaded_channel;

/* A state file mapped read-only (storage_file.c, ckpt_map_file); ckpt_unmap releases it. */
typedef struct ckpt_mapped {
  void *map; /* NULL when nothing is mapped */
  size_t map_len;
  const uint8_t *payload; /* the verified payload inside the mapping */
  size_t len;
  uint64_t checksum;
  uint32_t version; /* of the file format (which checksum) */
} ckpt_mapped;
void ckpt_unmap(ckpt_mapped *m);

typedef struct ckpt_loaded {
  char dir[4096]; /* the checkpoint directory */
  ckpt_metadata meta;
  int nops;
  ckpt_loaded_op *ops;
  int nchannels;
  ckpt_loaded_channel *channels; /* only subtasks with non-empty channel state */
  int nbufs;
  ckpt_mapped *bufs; /* the state files' payloads the sections point into */
  snap_task *tasks;  /* [nbufs] decoded payloads */
  bool *verified;    /* [nbufs] whether file i's checksum was checked */
} ckpt_loaded;

/* How much of a checkpoint ckpt_load reads. Every mode checks the metadata (its own checksum
 * and entries) and each state file's framing (magic, version, payload length against the file
 * and against the metadata, the checksum its trailer claims against the metadata's) and task
 * layer (snap_task_decode, which reads a few bytes per operator, not the state). */
typedef enum ckpt_load_mode {
  CKPT_LOAD_ALL = 0,    /* every state file verified (checksum) and kept */
  CKPT_LOAD_VERIFY = 1, /* every state file verified, none kept: ops' sections are empty, the
                           channels say which subtasks had in-flight data but hold none */
  CKPT_LOAD_HEADERS,    /* no state file verified, none kept (what a JobMaster needs to check
                           a restore against the job: uids, parallelism, finished subtasks) */
  CKPT_LOAD_LAZY,       /* no state file verified, all kept mapped lazily: a reader verifies the
                           files it uses with ckpt_loaded_verify before it reads their sections,
                           so that each reads only what it owns (a TaskExecutor) */
} ckpt_load_mode;

/* Loads a checkpoint or savepoint. `path` may be the directory holding _metadata, the
 * _metadata file itself, or a job's checkpoint directory (<dir>/<job id>): then the newest
 * complete chk-<n> that loads without error is taken, and each newer one that fails is logged
 * as a warning naming the file and the problem ("falling back to chk-<m>"); only corrupt
 * checkpoints (SPATE_ECORRUPT) are skipped, any other error ends the load. A checkpoint whose
 * state files are not verified (HEADERS, LAZY) counts as loading when its metadata and the
 * files' framing do. On success *out is owned by the caller (ckpt_loaded_free). */
int ckpt_load(const char *path, ckpt_load_mode mode, ckpt_loaded **out, char *err, size_t err_len);
/* ckpt_load, where path is a job's checkpoint directory, taking the nbad checkpoint
 * directories in bad as corrupt for the reasons in bad_why (what restoring them found): the
 * newest complete chk-<n> that loads and is not among them is taken, with the same warnings. */
int ckpt_load_except(const char *path, ckpt_load_mode mode, const char *const *bad,
                     const char *const *bad_why, int nbad, ckpt_loaded **out, char *err,
                     size_t err_len);
/* Checks state file `file` (index into meta.files) of a LAZY load against its checksum, once:
 * later calls for the same file return at once. SPATE_ECORRUPT naming the checkpoint and the
 * file. Not thread-safe: one thread verifies a load's files. */
int ckpt_loaded_verify(ckpt_loaded *l, int file, char *err, size_t err_len);
void ckpt_loaded_free(ckpt_loaded *l);
const ckpt_loaded_op *ckpt_loaded_find(const ckpt_loaded *l, const char *uid);

/* The complete checkpoints (those with _metadata) under a job's checkpoint directory, newest
 * first: fills ids (up to max) and returns how many it filled. SPATE_ENOENT if job_dir does
 * not exist. */
int ckpt_list_complete(const char *job_dir, int64_t *ids, int max, char *err, size_t err_len);
/* Deletes a checkpoint directory and everything in it (missing is fine; symbolic links are
 * removed, never followed). Refuses "" and "/" (SPATE_EINVAL); SPATE_EIO naming the path. */
int ckpt_discard(const char *dir, char *err, size_t err_len);

#endif
