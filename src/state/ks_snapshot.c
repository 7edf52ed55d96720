/*
 * ks_snapshot.c: copy-on-write snapshots of the heap keyed-state backend, the asynchronous part
 * of a checkpoint (keyed_state.h: ks_snapshot_begin, ks_snapshot_write_key_group,
 * ks_snapshot_release). ks_internal.h describes how entries are frozen and ks_table.c how writes
 * copy them; the encoding is ks_codec.c's. (Not state/snapshot.c: that is an operator's whole
 * snapshot, key-group sections and list states, and its redistribution.)
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/err.h"
#include "state/ks_internal.h"

/* ---------------------------------------------------------------------------------------------
 * Copy-on-write snapshots (see ks_internal.h). Begin copies what the owner would otherwise
 * overwrite in place and is small: the table header of each key group (slot array pointer, mask,
 * count), the list of states (ks_register may grow it) and the descriptions of the pending runs
 * (their buffers are kept, not copied: pending_free_at leaves them to release). The slot arrays
 * themselves are shared: a key group's array is copied only when the owner first touches that
 * group while the snapshot is active (ks_group_writable, ks_snapshot_own_group below), and the
 * owner goes on with the copy while the snapshot keeps the original. Before, begin copied every
 * array (16 MiB for a million entries, tens of milliseconds of synchronous part on a loaded
 * machine); now begin costs a few bytes per key group, and the copies are spread over the
 * groups the task touches while the writer runs. Entries are not copied; the version bump
 * freezes them all. The writer then encodes from the snapshot's tables with the encoder
 * ks_write_key_group uses, so the bytes are the same. */

static void snapshot_free(ks_snapshot *s) {
  sp_free(s->groups);
  sp_free(s->shared);
  sp_free(s->states);
  sp_free(s->pending);
  sp_free(s);
}

/* Versions are 32 bits. Before the bump that would wrap, every live entry (nested map entries
 * too) gets version 0 and the backend version 0, so the bump to 1 freezes them all as usual and
 * no entry of an old version can ever equal the current one. No snapshot is active here, so
 * nothing is frozen and the writes are the owner's. Once per 2^32 snapshots: O(entries). */
static void renumber_table(ks_backend *b, ks_table *t, bool maps) {
  for (uint32_t i = 0; t->slots && i <= t->mask; i++) {
    ks_entry *e = tbl_at(t, i);
    if (!e) continue;
    e->version = 0;
    if (maps && b->states[e->state]->kind == KS_MAP) renumber_table(b, e_map(e), false);
  }
}

static void renumber(ks_backend *b) {
  int n = ks_key_group_range_size(b->range);
  for (int g = 0; g < n; g++) renumber_table(b, &b->groups[g], true);
  b->version = 0;
}

int ks_snapshot_begin(ks_backend *b, ks_snapshot **out) {
  *out = NULL;
  if (b->snap)
    return ks_fail(b, SPATE_ESTATE,
                   "a snapshot of this backend is still in progress (one at a time): release it, or"
                   " write the key groups synchronously");
  int n = ks_key_group_range_size(b->range);
  ks_snapshot *s = sp_calloc(1, sizeof *s);
  if (!s) return ks_fail(b, SPATE_ENOMEM, "out of memory beginning a snapshot");
  s->groups = sp_malloc((size_t)n * sizeof *s->groups);
  s->shared = sp_malloc((size_t)n);
  s->states = b->nstates ? sp_malloc(b->nstates * sizeof *s->states) : NULL;
  s->pending = b->npending ? sp_malloc(b->npending * sizeof *s->pending) : NULL;
  if (!s->groups || !s->shared || (b->nstates && !s->states) || (b->npending && !s->pending)) {
    snapshot_free(s);
    return ks_fail(b, SPATE_ENOMEM, "out of memory beginning a snapshot");
  }
  s->b = b;
  s->range = b->range;
  s->nstates = b->nstates;
  copy_bytes(s->states, b->states, b->nstates * sizeof *s->states);
  s->npending = b->npending;
  copy_bytes(s->pending, b->pending, b->npending * sizeof *s->pending);
  s->now = ks_filter_now(b, -1);
  if (b->version == UINT32_MAX) renumber(b);
  for (int g = 0; g < n; g++) {
    s->groups[g] = b->groups[g];
    s->shared[g] = b->groups[g].slots != NULL;
  }
  b->version++;
  b->snap = s;
  *out = s;
  return 0;
}

/* The owner is about to touch key group index gi, whose slot array the active snapshot shares:
 * the live table gets a copy of it and the snapshot keeps the original (freed by release). The
 * writer thread may be reading the original meanwhile; this only reads it too. */
int ks_snapshot_own_group(ks_backend *b, int gi) {
  ks_snapshot *s = b->snap;
  ks_table *t = &b->groups[gi];
  sp_assert(s && s->shared[gi] && t->slots == s->groups[gi].slots);
  ks_slot *copy = ks_tbl_copy_slots(t);
  if (!copy) return SPATE_ENOMEM;
  t->slots = copy;
  s->shared[gi] = 0;
  return 0;
}

int ks_snapshot_write_key_group(ks_snapshot *s, int key_group, sp_writer *w) {
  if (!ks_key_group_range_contains(s->range, key_group)) {
    snprintf(s->err, sizeof s->err, "key group %d is outside the snapshot's range [%d, %d]",
             key_group, s->range.first, s->range.last);
    return SPATE_EINVAL;
  }
  group_src src = {.states = s->states,
                   .nstates = s->nstates,
                   .t = &s->groups[key_group - s->range.first],
                   .now = s->now,
                   .pending = s->pending,
                   .npending = s->npending};
  uint32_t bad = 0;
  int rc = ks_encode_group(&src, key_group, w, &bad);
  if (rc == SPATE_EINVAL)
    snprintf(s->err, sizeof s->err, "state '%s' has more than 2^32 records in key group %d",
             s->states[bad]->name, key_group);
  else if (rc < 0)
    snprintf(s->err, sizeof s->err, "out of memory writing key group %d", key_group);
  return rc;
}

const char *ks_snapshot_error(const ks_snapshot *s) { return s->err; }

void ks_snapshot_release(ks_snapshot *s) {
  if (!s) return;
  ks_backend *b = s->b;
  b->snap = NULL;
  for (ks_entry *e = s->retired, *next; e; e = next) {
    next = e->next_retired;
    ks_entry_free(b, e);
  }
  for (ks_entry *e = s->retired_maps, *next; e; e = next) {
    next = e->next_retired;
    ks_tbl_free_leaf(b, e_map(e));
    ks_entry_free(b, e);
  }
  for (ks_entry *e = s->retired_shells, *next; e; e = next) {
    next = e->next_retired;
    sp_free(e_map(e)->slots);
    ks_entry_free(b, e);
  }
  /* The original slot arrays of the groups the owner copied are the snapshot's alone; the others
   * are still the live tables'. */
  int n = ks_key_group_range_size(s->range);
  for (int g = 0; g < n; g++)
    if (!s->shared[g]) sp_free(s->groups[g].slots);
  /* Pending runs dropped while the snapshot lived (registered, cleared) kept their buffers. */
  for (uint32_t i = 0; i < s->npending; i++) {
    bool live = false;
    for (uint32_t j = 0; j < b->npending && !live; j++)
      live = b->pending[j].data == s->pending[i].data;
    if (!live) {
      sp_free(s->pending[i].name);
      sp_free(s->pending[i].data);
    }
  }
  snapshot_free(s);
}
