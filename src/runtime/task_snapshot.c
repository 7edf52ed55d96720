/*
 * task_snapshot.c: a task's snapshot of one checkpoint: the synchronous part, the encoding the
 * writer thread runs (task_snapshot_encode, declared in task.h) and the way back to the task
 * thread. See task_snapshot.h.
 */
#include "runtime/task_snapshot.h"

#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "runtime/task.h"
#include "state/keyed_state.h"
#include "state/snapshot.h"

struct task_snapshot {
  task_snapshot *next;
  int parallelism;
  int nops;
  struct snap_op {
    const char *uid;
    int max_parallelism;
    bool has_state;
    snap_writer w;
  } * ops;
  sp_writer channel;
};

void task_snapshot_free(task_snapshot *s) {
  if (!s) return;
  for (int i = 0; i < s->nops; i++)
    if (s->ops[i].has_state) snap_writer_free(&s->ops[i].w);
  sp_free(s->ops);
  sp_writer_free(&s->channel);
  sp_free(s);
}

int task_snapshot_take(op_t *const *ops, int nops, int parallelism, int64_t id,
                       const char *task_name, char *err, size_t err_len, task_snapshot **out) {
  *out = NULL;
  task_snapshot *snap = sp_calloc(1, sizeof *snap);
  if (!snap || !(snap->ops = sp_calloc((size_t)nops + 1, sizeof *snap->ops))) {
    sp_free(snap);
    return SPATE_ENOMEM;
  }
  snap->parallelism = parallelism;
  snap->nops = nops;
  sp_writer_init(&snap->channel);
  /* every operator of the chain is listed (stateless ones with an empty section), so the head's
   * uid always names the vertex, which is what channel state is matched by */
  for (int i = 0; i < nops; i++) {
    op_t *op = ops[i];
    struct snap_op *so = &snap->ops[i];
    so->uid = op->uid;
    so->max_parallelism = op->node->max_parallelism;
    if (!op->vt->snapshot && !op->nustates) continue;
    int maxp = so->max_parallelism;
    so->has_state = true;
    int rc = snap_writer_init(&so->w, maxp,
                              ks_key_group_range_for(maxp, op->ctx.parallelism, op->ctx.subtask));
    if (rc == 0 && op->vt->snapshot) rc = op->vt->snapshot(op, id, &so->w);
    if (rc == 0) rc = op_snapshot_user_state(op, &so->w);
    if (rc < 0) {
      if (!err[0])
        sp_err(err, err_len, rc, "%s: could not snapshot '%s' for checkpoint %lld: %s", task_name,
               op->node->name, (long long)id, spate_strerror(rc));
      task_snapshot_free(snap);
      return rc;
    }
  }
  *out = snap;
  return 0;
}

void task_snapshot_set_channel_state(task_snapshot *s, sp_writer *channel) {
  sp_writer_free(&s->channel);
  s->channel = *channel; /* moved */
  sp_writer_init(channel);
}

int task_snapshot_encode(task_snapshot *s, snap_out *o) {
  sp_writer *out = &o->buf;
  sp_put_u32(out, SNAP_TASK_MAGIC);
  sp_put_u32(out, 1);
  sp_put_i32(out, s->parallelism);
  sp_put_u32(out, (uint32_t)s->nops);
  for (int i = 0; i < s->nops; i++) {
    sp_put_str(out, s->ops[i].uid);
    sp_put_i32(out, s->ops[i].max_parallelism);
    uint64_t len_at = snap_out_pos(o);
    sp_put_u32(out, 0); /* the section's length, patched below */
    if (s->ops[i].has_state) {
      int rc = snap_encode_to(&s->ops[i].w, o); /* runs the deferred key-group sections */
      if (rc < 0) return rc;
    }
    if (out->failed) return SPATE_ENOMEM;
    uint64_t len = snap_out_pos(o) - len_at - 4;
    if (len >= UINT32_MAX) return SPATE_EINVAL; /* a section holds at most 4 GiB */
    int rc = snap_out_patch_u32(o, len_at, (uint32_t)len);
    if (rc < 0) return rc;
  }
  if (s->channel.len >= UINT32_MAX) return SPATE_EINVAL;
  sp_put_blob(out, s->channel.data, s->channel.len);
  return out->failed ? SPATE_ENOMEM : 0;
}

/* ---- the way back ---------------------------------------------------------------------------- */

void snapshot_returns_init(snapshot_returns *r, sp_event *event) {
  pthread_mutex_init(&r->mu, NULL);
  r->returned = NULL;
  atomic_store(&r->out, 0);
  atomic_store(&r->back, false);
  r->event = event;
}

void snapshot_returns_destroy(snapshot_returns *r) {
  snapshot_returns_free(r);
  pthread_mutex_destroy(&r->mu);
}

void snapshot_returns_push(snapshot_returns *r, task_snapshot *s) {
  /* all under the lock: the task reads out under it too, so once it sees 0 this thread is past
   * its last touch of the task */
  pthread_mutex_lock(&r->mu);
  s->next = r->returned;
  r->returned = s;
  atomic_store(&r->back, true);
  atomic_fetch_sub(&r->out, 1);
  sp_event_notify(r->event);
  pthread_mutex_unlock(&r->mu);
}

void snapshot_returns_free(snapshot_returns *r) {
  if (!atomic_load_explicit(&r->back, memory_order_acquire)) return;
  pthread_mutex_lock(&r->mu);
  task_snapshot *s = r->returned;
  r->returned = NULL;
  atomic_store(&r->back, false);
  pthread_mutex_unlock(&r->mu);
  while (s) {
    task_snapshot *n = s->next;
    task_snapshot_free(s);
    s = n;
  }
}

void snapshot_returns_await(snapshot_returns *r) {
  for (;;) {
    uint32_t token = sp_event_prepare(r->event);
    snapshot_returns_free(r);
    pthread_mutex_lock(&r->mu);
    int out = atomic_load(&r->out);
    pthread_mutex_unlock(&r->mu);
    if (out == 0) break;
    sp_event_wait(r->event, token, 100000000LL);
  }
  snapshot_returns_free(r);
}
