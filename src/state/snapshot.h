/*
 * snapshot.h: what one operator subtask's state looks like in a checkpoint, and how the state
 * of an operator's old subtasks is handed to its new subtasks on restore.
 *
 * An operator snapshot has two parts, as Flink's OperatorSubtaskState:
 *  - keyed state: one opaque byte section per key group of the subtask's range (the operator
 *    decides what goes in it: keyed-state records, timers, ...). A key group is the unit that
 *    moves when the parallelism changes, so nothing in a section may depend on the subtask.
 *  - operator state: named lists of opaque entries, each with a redistribution mode:
 *      SNAP_SPLIT      even-split redistribution (Flink's ListState / getListState): all
 *                      entries of all old subtasks are pooled in subtask order and cut into
 *                      contiguous runs; subtask i of p gets entries [i*n/p, (i+1)*n/p). With
 *                      the parallelism unchanged every subtask gets back exactly its own.
 *      SNAP_UNION      union redistribution (getUnionListState): every new subtask gets every
 *                      entry of every old subtask, in old subtask order.
 *      SNAP_BROADCAST  broadcast state: all old subtasks hold the same, so new subtask i gets
 *                      the entries of old subtask i % old_parallelism.
 *
 * Writing: snap_writer_init with the subtask's key-group range, then for each key group in
 * increasing order snap_key_group (returns the writer that section is appended to; a group
 * never asked for is empty), snap_list_add for operator state, then snap_encode. The encoding is
 * self-describing and checked on decode (snap_assign never trusts a count or an offset):
 *   u32 SNAP_OP_MAGIC, u32 version (1), i32 max parallelism, i32 first, i32 last (the range),
 *   u32 nkg, nkg x (i32 key group, blob section)   non-empty groups only, strictly increasing,
 *                                                   inside the range
 *   u32 nlists, nlists x (str name, u8 mode, u32 count, count x blob entry)
 * An empty encoding (length 0) stands for a subtask that has no state at all.
 *
 * Restoring: snap_assign takes the encoded sections of all old subtasks of one operator (in old
 * subtask order) and builds the view of new subtask `index` of `parallelism`: the sections of
 * the key groups in its range and the list entries it gets. The view points into the old
 * sections' bytes, which must outlive it. Changing the max parallelism is refused
 * (SPATE_ESTATE with a message saying both values), as Flink refuses it.
 *
 * Errors: SPATE_ENOMEM; SPATE_ECORRUPT with a message naming what is malformed and where.
 */
#ifndef SPATE_STATE_SNAPSHOT_H
#define SPATE_STATE_SNAPSHOT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "state/keyed_state.h" /* ks_key_group_range */

typedef enum snap_list_mode { SNAP_SPLIT = 0, SNAP_UNION = 1, SNAP_BROADCAST = 2 } snap_list_mode;

#define SNAP_OP_MAGIC 0x534F5053u /* "SPOS": one operator subtask's snapshot */

typedef struct snap_list {
  char *name;
  snap_list_mode mode;
  uint32_t count;
  sp_writer entries; /* count blobs */
} snap_list;

typedef struct snap_writer {
  int max_parallelism;
  ks_key_group_range range;
  sp_writer keyed;  /* the key groups' sections, back to back */
  uint64_t *kg_end; /* per key group of the range: end offset of its section in keyed */
  int next_kg;      /* groups before this one are closed */
  int nlists;
  snap_list *lists;
  /* key-group sections written later (snap_defer_key_groups) */
  int (*defer_fn)(void *arg, int kg, sp_writer *w);
  void *defer_arg;
  void (*defer_release)(void *arg);
} snap_writer;

/* max_parallelism 1..32768; range inside [0, max) or empty. SPATE_EINVAL / SPATE_ENOMEM; the
 * writer may be freed with snap_writer_free whatever this returns. */
int snap_writer_init(snap_writer *w, int max_parallelism, ks_key_group_range range);
void snap_writer_free(snap_writer *w);
/* The writer for key group kg's section; kg must be in the range and not below a group asked
 * for before (asking for the current group again is fine). NULL if kg is out of order or out
 * of range. The pointer is the same for every group: bytes put through it belong to the group
 * last asked for. */
sp_writer *snap_key_group(snap_writer *w, int kg);
/* The asynchronous part of a snapshot: instead of writing key groups now, the operator hands
 * over fn, which snap_encode calls (on the snapshot thread, while the operator goes on
 * processing) for every key group of the range in increasing order, appending the group's
 * section to w after what snap_key_group wrote for it, if anything. fn must read only state
 * frozen for this snapshot (e.g. ks_snapshot_begin). release(arg) runs when the writer is freed,
 * which the task does on its own thread once the snapshot is written. One per writer. */
int snap_defer_key_groups(snap_writer *w, int (*fn)(void *arg, int kg, sp_writer *w), void *arg,
                          void (*release)(void *arg));
/* Appends an entry to the named list (created with `mode` on first use; a later call with
 * another mode for the same name is SPATE_EINVAL). The entry is copied. On SPATE_ENOMEM the
 * list is as it was. */
int snap_list_add(snap_writer *w, const char *name, snap_list_mode mode, const void *data,
                  uint32_t len);
/* Encodes the snapshot into out (appended); the writer is unchanged and may be encoded again.
 * SPATE_ENOMEM if a writer failed, SPATE_EINVAL if a key group's section reached 4 GiB. */
int snap_encode(snap_writer *w, sp_writer *out);

/* Where an encoding goes when it is too large to hold whole: bytes are appended to buf, and
 * whenever buf holds flush_at bytes or more between two key groups, they are handed over by
 * put(arg, &buf), which takes buf's bytes and leaves buf empty, possibly another buffer (a
 * writer thread writes the old one meanwhile: ckpt_stream_put); a length written earlier is
 * fixed later through
 * patch(arg, offset, bytes, n) when its bytes are already flushed. Offsets count from the start
 * of the stream (base = bytes flushed so far). flush_at 0 keeps everything in buf. */
typedef struct snap_out {
  sp_writer buf;
  uint64_t base;
  size_t flush_at;
  int (*put)(void *arg, sp_writer *buf);
  int (*patch)(void *arg, uint64_t off, const void *p, size_t n);
  void *arg;
} snap_out;
static inline uint64_t snap_out_pos(const snap_out *o) { return o->base + o->buf.len; }
/* Overwrites 4 bytes at stream offset off with v (little-endian). */
int snap_out_patch_u32(snap_out *o, uint64_t off, uint32_t v);
/* Flushes buf when it holds flush_at bytes or more. */
int snap_out_maybe_flush(snap_out *o);
/* snap_encode into a stream. */
int snap_encode_to(snap_writer *w, snap_out *o);

/* One old subtask's encoded operator snapshot. */
typedef struct snap_section {
  const uint8_t *data;
  size_t len;
} snap_section;

typedef struct snap_kg_view {
  int kg;
  const uint8_t *data;
  uint32_t len;
} snap_kg_view;

typedef struct snap_list_view {
  char *name;
  snap_list_mode mode;
  uint32_t count;
  const uint8_t **data; /* count entries */
  uint32_t *len;
} snap_list_view;

typedef struct snap_restore {
  int max_parallelism;
  ks_key_group_range range; /* of the new subtask */
  int nkg;
  snap_kg_view *kgs; /* non-empty sections of the range, increasing kg */
  int nlists;
  snap_list_view *lists;
} snap_restore;

/* Builds the view of new subtask `index` of `parallelism` from the old subtasks' sections
 * (nold >= 1, in old subtask order; an empty section is an old subtask without state).
 * max_parallelism is the new operator's: it must equal the one the snapshot was taken with.
 * On success *out is owned by the caller (snap_restore_free); on error it is empty. A list
 * this subtask gets no entry of is left out of out->lists. SPATE_EINVAL for bad arguments,
 * SPATE_ESTATE for a changed max parallelism, SPATE_ECORRUPT naming the old subtask, what is
 * wrong and the offset, SPATE_ENOMEM. */
int snap_assign(const snap_section *old, int nold, int max_parallelism, int parallelism, int index,
                snap_restore *out, char *err, size_t err_len);
void snap_restore_free(snap_restore *r);
/* Whether a new subtask with key-group range `range` reads anything of the old subtask's
 * section s in snap_assign: a non-empty key group inside range, or any operator-state list
 * (their redistribution needs every old subtask's entries). Reads only the section's framing
 * (one length per key group and list entry), not the state; a section that does not decode is
 * needed, so that the reader's checks report it. */
bool snap_section_needed(const snap_section *s, ks_key_group_range range);
/* The section of key group kg: 1 and data/len if present, 0 if the group has no state. */
int snap_restore_key_group(const snap_restore *r, int kg, const uint8_t **data, uint32_t *len);
/* The named list, or NULL if this subtask gets no entries of it. */
const snap_list_view *snap_restore_list(const snap_restore *r, const char *name);

/* ---------------------------------------------------------------------------------------------
 * A task's snapshot: the payload of one state file (one per subtask of a job vertex and
 * checkpoint), written by the task (runtime/task_snapshot.c) and read by checkpoint/storage:
 *   u32 SNAP_TASK_MAGIC, u32 version (1), i32 vertex parallelism, u32 nops,
 *   nops x (str uid, i32 max parallelism, blob operator snapshot (snap_encode)),
 *   blob channel state (empty unless the checkpoint was unaligned; recorded by
 *   runtime/barrier_handler.c, replayed by runtime/task.c)
 * in chain order. Every operator of the chain should be listed, one without state with an
 * empty section, so that the first is the vertex's head: checkpoint/storage.h reports it as
 * the head_uid that channel state is matched by. */
#define SNAP_TASK_MAGIC 0x4B545053u /* "SPTK" */

typedef struct snap_task_op {
  char *uid;
  int max_parallelism;
  snap_section section; /* points into the decoded bytes */
} snap_task_op;

typedef struct snap_task {
  int parallelism;
  int nops;
  snap_task_op *ops;
  snap_section channel_state;
} snap_task;

/* Decodes a task payload; the views point into data. Checks the task layer (magic, version,
 * counts, unique non-empty uids, max parallelism 1..32768, no trailing bytes); the operator
 * sections themselves are checked by snap_assign. SPATE_ECORRUPT names what is wrong and the
 * offset; SPATE_ENOMEM. On error *out is empty. */
int snap_task_decode(const uint8_t *data, size_t len, snap_task *out, char *err, size_t err_len);
void snap_task_free(snap_task *t);

#endif
