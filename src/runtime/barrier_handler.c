/*
 * barrier_handler.c: barrier alignment, unaligned checkpoints with channel state, and the
 * cancellation of a checkpoint in progress. See barrier_handler.h.
 */
#include "runtime/barrier_handler.h"

#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "runtime/task_snapshot.h"

static const el_barrier *barrier_of(const barrier_handler *h) {
  return (const el_barrier *)h->barrier;
}

void bh_reset(barrier_handler *h) {
  h->id = 0;
  h->snapshotted = h->unaligned = false;
  h->nrecording = 0;
  if (h->nch && h->got) memset(h->got, 0, (size_t)h->nch);
  if (h->nch && h->recording) memset(h->recording, 0, (size_t)h->nch);
  task_snapshot_free(h->snap);
  h->snap = NULL;
  sp_writer_free(&h->channel);
  sp_free(h->barrier);
  h->barrier = NULL;
  h->barrier_len = 0;
}

int bh_init(barrier_handler *h, input_gate *gates, int ngates, bool unaligned,
            int64_t aligned_timeout_ms, sp_clock *clock, const char *name, const bh_hooks *hooks) {
  int nch = 0;
  for (int g = 0; g < ngates; g++) nch += gates[g].nch;
  h->nch = nch;
  h->source = ngates == 0;
  h->announcements = unaligned || aligned_timeout_ms > 0;
  h->clock = clock;
  h->name = name;
  h->hooks = *hooks;
  h->chs = sp_calloc((size_t)nch + 1, sizeof *h->chs);
  h->got = sp_calloc((size_t)nch + 1, 1);
  h->recording = sp_calloc((size_t)nch + 1, 1);
  h->announced = sp_calloc((size_t)nch + 1, sizeof *h->announced);
  if (!h->chs || !h->got || !h->recording || !h->announced) return SPATE_ENOMEM;
  for (int g = 0; g < ngates; g++)
    for (int c = 0; c < gates[g].nch; c++) h->chs[gates[g].ch[c].vidx] = &gates[g].ch[c];
  return 0;
}

void bh_destroy(barrier_handler *h) {
  bh_reset(h);
  sp_free(h->got);
  sp_free(h->recording);
  sp_free(h->announced);
  sp_free(h->chs);
  h->got = h->recording = NULL;
  h->announced = NULL;
  h->chs = NULL;
  h->nch = 0;
}

static int ck_remember_barrier(barrier_handler *h, const void *payload, uint32_t len) {
  if (h->barrier) return 0;
  if (!(h->barrier = sp_malloc(len))) return SPATE_ENOMEM;
  memcpy(h->barrier, payload, len);
  h->barrier_len = len;
  return 0;
}

static void ck_start(barrier_handler *h, int64_t id) {
  bh_reset(h);
  h->id = id;
  h->start_ns = sp_mono_ns();
  h->start_wall_ms = sp_wall_ms();
}

/* Drops the checkpoint in progress (superseded, cancelled or aborted); with forward, sends a
 * cancel marker downstream so the tasks there stop aligning on it too. */
static int ck_abort(barrier_handler *h, int64_t id, bool forward) {
  if (h->id) SP_INFO("task", "%s: checkpoint %lld dropped.", h->name, (long long)h->id);
  bh_reset(h);
  if (id > h->last) h->last = id;
  return forward ? h->hooks.forward_cancel(h->hooks.owner, id) : 0;
}

/* The synchronous part (the task's snapshot hook: due timers, then every operator of the chain
 * in chain order), then the barrier goes downstream. */
static int ck_snapshot(barrier_handler *h) {
  const el_barrier *b = barrier_of(h);
  int64_t start = 0;
  int rc = h->hooks.snapshot(h->hooks.owner, b->id, &h->snap, &start);
  if (rc < 0) return rc;
  h->sync_ms = (sp_mono_ns() - start) / 1000000;
  h->align_ms = !h->source ? (start - h->start_ns) / 1000000 : 0;
  h->snapshotted = true;
  if (b->id > h->last) h->last = b->id;
  return h->hooks.forward_barrier(h->hooks.owner, b->id, h->barrier, h->barrier_len);
}

/* The snapshot is complete (channel state included): hand it over for writing. */
static int ck_finish(barrier_handler *h) {
  const el_barrier *b = barrier_of(h);
  if (h->channel.failed) return SPATE_ENOMEM;
  char dir[4096];
  uint32_t dl = b->dir_len < sizeof dir - 1 ? b->dir_len : (uint32_t)sizeof dir - 1;
  memcpy(dir, h->barrier + sizeof(el_barrier), dl);
  dir[dl] = 0;
  task_snapshot_done d = {.id = b->id,
                          .flags = b->flags,
                          .dir = dir,
                          .sync_ms = h->sync_ms,
                          .alignment_ms = h->align_ms,
                          .first_barrier_ms = h->start_wall_ms,
                          .unaligned = h->unaligned};
  task_snapshot *snap = h->snap;
  h->snap = NULL;
  task_snapshot_set_channel_state(snap, &h->channel);
  h->hooks.hand_over(h->hooks.owner, &d, snap);
  bh_reset(h);
  return 0;
}

static bool ck_channel_done(const barrier_handler *h, int c) {
  return h->got[c] || h->chs[c]->finished;
}

static bool ck_all_done(const barrier_handler *h) {
  for (int c = 0; c < h->nch; c++)
    if (!ck_channel_done(h, c)) return false;
  return true;
}

/* Takes the snapshot now and records what the channels without their barrier still deliver. */
static int ck_go_unaligned(barrier_handler *h) {
  h->unaligned = true;
  int rc = ck_snapshot(h);
  if (rc < 0) return rc;
  sp_writer_init(&h->channel);
  for (int c = 0; c < h->nch; c++)
    if (!ck_channel_done(h, c)) {
      h->recording[c] = 1;
      h->nrecording++;
    }
  return h->nrecording ? 0 : ck_finish(h);
}

/* Takes the snapshot and hands it over at once: no channel state to wait for. */
static int ck_take(barrier_handler *h) {
  int rc = ck_snapshot(h);
  if (rc == 0) {
    sp_writer_init(&h->channel);
    rc = ck_finish(h);
  }
  return rc;
}

/* After a channel delivered its barrier or ended: take the snapshot or finish when due. */
static int ck_progress(barrier_handler *h) {
  if (!h->id || !h->barrier) return 0;
  if (h->snapshotted) return h->nrecording ? 0 : ck_finish(h);
  return ck_all_done(h) ? ck_take(h) : 0;
}

static bool ck_may_go_unaligned(const barrier_handler *h, const el_barrier *b) {
  if (b->flags & (BARRIER_SAVEPOINT | BARRIER_AT_LEAST_ONCE)) return false;
  if (b->flags & BARRIER_UNALIGNED) return true;
  return b->aligned_timeout_ms > 0 &&
         sp_clock_now(h->clock) - b->timestamp >= b->aligned_timeout_ms;
}

/* A barrier read in-band on channel c. */
int bh_on_barrier(barrier_handler *h, int c, const uint8_t *payload, uint32_t len) {
  el_barrier b;
  if (len < sizeof b) return 0;
  memcpy(&b, payload, sizeof b);
  if (b.id <= h->last && !(h->id == b.id)) return 0; /* taken or dropped already */
  if (h->id && b.id < h->id) return 0; /* an older one a newer checkpoint superseded */
  int rc = 0;
  if (h->id && b.id > h->id && (rc = ck_abort(h, h->id, false)) < 0) return rc;
  if (!h->id) ck_start(h, b.id);
  if ((rc = ck_remember_barrier(h, payload, len)) < 0) return rc;
  if (h->got[c]) return 0;
  h->got[c] = 1;
  if (h->recording[c]) {
    h->recording[c] = 0;
    h->nrecording--;
  }
  if (!h->snapshotted && ck_may_go_unaligned(h, &b) && !ck_all_done(h)) return ck_go_unaligned(h);
  return ck_progress(h);
}

/* Announced barriers (unaligned checkpoints): act before reading up to them. */
static int ck_poll_announcements(barrier_handler *h) {
  for (int c = 0; c < h->nch; c++) {
    input_channel *ch = h->chs[c];
    if (ch->finished) continue;
    int64_t a = atomic_load_explicit(&ch->rp->subs[ch->sub].announced, memory_order_acquire);
    if (a <= h->announced[c]) continue;
    h->announced[c] = a;
    if (a <= h->last || a < h->id || (h->id == a && h->snapshotted) || h->got[c]) continue;
    uint8_t buf[sizeof(el_barrier) + 4096];
    uint32_t len = rp_announced_barrier(ch->rp, ch->sub, buf, sizeof buf);
    el_barrier b;
    if (len < sizeof b) continue;
    memcpy(&b, buf, sizeof b);
    if (b.id != a || (b.flags & (BARRIER_SAVEPOINT | BARRIER_AT_LEAST_ONCE))) continue;
    int rc = 0;
    if (h->id && b.id > h->id && (rc = ck_abort(h, h->id, false)) < 0) return rc;
    if (!h->id) ck_start(h, b.id);
    if ((rc = ck_remember_barrier(h, buf, len)) < 0) return rc;
    /* unaligned: act now; aligned with a timeout: the checkpoint is known now, so the timeout
     * (ck_check_timeout, bh_timeout_wait_ms) runs from here even before its barrier is read */
    if (ck_may_go_unaligned(h, &b) && (rc = ck_go_unaligned(h)) < 0) return rc;
  }
  return 0;
}

/* The aligned-checkpoint timeout passed while aligning: continue unaligned. */
static int ck_check_timeout(barrier_handler *h) {
  if (!h->id || h->snapshotted || !h->barrier) return 0;
  const el_barrier *b = barrier_of(h);
  if (!ck_may_go_unaligned(h, b)) return 0;
  SP_INFO("task", "%s: checkpoint %lld switches to unaligned after %lld ms of alignment.", h->name,
          (long long)b->id, (long long)b->aligned_timeout_ms);
  return ck_go_unaligned(h);
}

/* Milliseconds until the alignment timeout of the checkpoint being aligned (-1: none). */
int64_t bh_timeout_wait_ms(const barrier_handler *h) {
  if (!h->id || h->snapshotted || !h->barrier) return -1;
  const el_barrier *b = barrier_of(h);
  if (b->flags & (BARRIER_SAVEPOINT | BARRIER_AT_LEAST_ONCE | BARRIER_UNALIGNED) ||
      b->aligned_timeout_ms <= 0)
    return -1;
  int64_t left = b->timestamp + b->aligned_timeout_ms - sp_clock_now(h->clock);
  return left < 0 ? 0 : left;
}

int bh_poll(barrier_handler *h) {
  int rc = ck_poll_announcements(h);
  if (rc == 0) rc = ck_check_timeout(h);
  return rc;
}

bool bh_trigger_current(const barrier_handler *h, int64_t id) {
  return id > h->last && !(h->id && h->id > id);
}

int bh_trigger(barrier_handler *h, const uint8_t *payload, uint32_t len) {
  el_barrier b;
  memcpy(&b, payload, sizeof b);
  if (!bh_trigger_current(h, b.id)) return 0;
  int rc = 0;
  if (h->id && h->id < b.id) rc = ck_abort(h, h->id, false);
  if (rc == 0 && !h->id) ck_start(h, b.id); /* same id: joins the alignment under way */
  if (rc == 0) rc = ck_remember_barrier(h, payload, len);
  if (rc == 0 && !h->source)
    rc = ck_progress(h);
  else if (rc == 0)
    rc = ck_take(h);
  return rc < 0 ? rc : 1;
}

int bh_checkpoint_aborted(barrier_handler *h, int64_t id) {
  int rc = 0;
  if (h->id && h->id <= id) rc = ck_abort(h, id, true);
  if (id > h->last) h->last = id; /* not to be taken later */
  return rc;
}

int bh_on_cancel_barrier(barrier_handler *h, int64_t id) {
  if (id == h->id || id > (h->id > h->last ? h->id : h->last)) return ck_abort(h, id, true);
  return 0;
}

int bh_on_end_of_partition(barrier_handler *h, int c) {
  if (h->recording[c]) {
    h->recording[c] = 0;
    h->nrecording--;
  }
  return ck_progress(h);
}
