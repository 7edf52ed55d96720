/*
 * shuffle_net_input.c: the consuming side of the network shuffle (see shuffle_net.h): client
 * channels reading a producer in another TaskManager into a local mirror partition, the credit
 * they announce, and the input gates' floating buffers shared by a gate's channels. The loop
 * thread, connections and the data server are in shuffle_net.c; both share
 * shuffle_net_internal.h (threads, lifetimes and lock order are described in shuffle_net.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "net/shuffle_net_internal.h"
#include "net/shuffle_protocol.h"
#include "spate/spate.h"

/* ---- client channels and their gates' floating buffers ---- */

/* Fails a client channel's mirror: its consumer reads what arrived, then fails with why. */
void sn_cch_fail(cch *ch, const char *why) {
  pthread_mutex_lock(&ch->mu);
  if (ch->rp) rp_fail(ch->rp, why);
  pthread_mutex_unlock(&ch->mu);
}

void sn_gate_unref(gate *g) {
  if (!g || atomic_fetch_sub(&g->refs, 1) != 1) return;
  bufpool_destroy(g->pool);
  pthread_mutex_destroy(&g->mu);
  sp_free(g->job);
  sp_free(g);
}

/* Takes floating buffers for ch's deficit as far as the pool has them and announces them as
 * credit; true if a deficit remains. g->mu held, ch in g->chans. */
static bool gate_grant_locked(gate *g, cch *ch) {
  uint32_t n = 0;
  rt_buffer *b;
  while (ch->deficit > 0 && ch->nheld < g->floating && (b = bufpool_try_get(g->pool)) != NULL) {
    ch->held[ch->nheld++] = b;
    ch->deficit--;
    n++;
  }
  if (n && g->net) sn_post(g->net, &ch->w, W_CREDIT, n);
  return ch->deficit > 0;
}

/* The gate pool's hook: a floating buffer came back; the channels waiting get it in order. */
static void gate_floating_back(void *arg) {
  gate *g = arg;
  pthread_mutex_lock(&g->mu);
  while (g->wait_head) {
    cch *ch = g->wait_head;
    if (ch->deficit > 0 && gate_grant_locked(g, ch)) break; /* the pool is empty again */
    g->wait_head = ch->wnext;
    if (!g->wait_head) g->wait_tail = NULL;
    ch->wnext = NULL;
    ch->waiting = false;
  }
  pthread_mutex_unlock(&g->mu);
}

/* The producer of ch has `backlog` buffers queued: what its credit (free exclusive buffers and
 * floating ones held) does not cover is asked of the gate. ch->mu held, ch->rp set. */
static void cch_backlog(cch *ch, uint32_t backlog) {
  gate *g = ch->g;
  pthread_mutex_lock(&g->mu);
  ch->backlog = backlog;
  uint32_t avail = bufpool_available(ch->rp->pool) + ch->nheld;
  ch->deficit = backlog > avail ? backlog - avail : 0;
  if (ch->deficit > g->floating - ch->nheld) ch->deficit = g->floating - ch->nheld;
  if (ch->deficit > 0 && !ch->waiting && gate_grant_locked(g, ch)) {
    ch->waiting = true;
    ch->wnext = NULL;
    if (g->wait_tail)
      g->wait_tail->wnext = ch;
    else
      g->wait_head = ch;
    g->wait_tail = ch;
  }
  pthread_mutex_unlock(&g->mu);
}

void sn_cch_unref(cch *ch) {
  if (atomic_fetch_sub(&ch->refs, 1) != 1) return;
  sn_gate_unref(ch->g);
  sp_free(ch->held);
  pthread_mutex_destroy(&ch->mu);
  sp_free(ch->address);
  sp_free(ch->req.job_key);
  sp_free(ch);
}

/* ---- the client side: mirrors of remote partitions ---- */

/* A frame on a connection this process opened (it reads partitions). */
int sn_client_frame(conn *c, const sp_wire_frame *f, char *err, size_t err_len) {
  uint32_t id, backlog, n;
  const uint8_t *data;
  int rc;
  switch (f->type) {
  case SHUF_BUFFER: {
    if ((rc = shuf_decode_buffer(f->payload, f->len, &id, &backlog, &data, &n, err, err_len)) < 0)
      return rc;
    cch *ch = (cch *)sn_slot_get(c, id);
    if (!ch) return 0; /* sent before the producer side saw our cancel */
    pthread_mutex_lock(&ch->mu);
    if (ch->rp) {
      rt_buffer *b = NULL;
      if (n <= ch->rp->pool->buffer_size) {
        if (ch->g) { /* a floating buffer held as credit first, as Flink's AvailableBufferQueue */
          pthread_mutex_lock(&ch->g->mu);
          if (ch->nheld) b = ch->held[--ch->nheld];
          pthread_mutex_unlock(&ch->g->mu);
        }
        if (!b) b = bufpool_try_get(ch->rp->pool);
        if (b) b->size = 0;
      }
      if (b) {
        memcpy(b->data, data, n);
        b->size = n;
        rp_push(ch->rp, 0, b);
        if (ch->g) cch_backlog(ch, backlog);
      } else {
        rc = sp_err(err, err_len, SPATE_ECORRUPT,
                    n > ch->rp->pool->buffer_size
                        ? "a BUFFER of %u bytes for receiver %u, larger than its buffers"
                        : "a BUFFER of %u bytes for receiver %u beyond its credit",
                    n, id);
      }
    }
    pthread_mutex_unlock(&ch->mu);
    return rc;
  }
  case SHUF_BACKLOG: {
    if ((rc = shuf_decode_backlog(f->payload, f->len, &id, &backlog, err, err_len)) < 0) return rc;
    cch *ch = (cch *)sn_slot_get(c, id);
    if (!ch) return 0;
    pthread_mutex_lock(&ch->mu);
    if (ch->rp && ch->g) cch_backlog(ch, backlog);
    pthread_mutex_unlock(&ch->mu);
    return 0;
  }
  case SHUF_ANNOUNCE: {
    int64_t ckpt;
    if ((rc = shuf_decode_announce(f->payload, f->len, &id, &ckpt, &data, &n, err, err_len)) < 0)
      return rc;
    cch *ch = (cch *)sn_slot_get(c, id);
    if (!ch) return 0;
    pthread_mutex_lock(&ch->mu);
    if (ch->rp) rp_announce(ch->rp, 0, ckpt, data, n);
    pthread_mutex_unlock(&ch->mu);
    return 0;
  }
  case SHUF_ERROR: {
    const char *m;
    if ((rc = shuf_decode_error(f->payload, f->len, &id, &m, &n, err, err_len)) < 0) return rc;
    char msg[512];
    snprintf(msg, sizeof msg, "Error at remote task manager '%s': %.*s", c->peer, (int)n, m);
    if (id == SHUF_ALL) return sp_err(err, err_len, SPATE_EIO, "%s", msg);
    cch *ch = (cch *)sn_slot_get(c, id);
    if (ch) sn_cch_fail(ch, msg);
    return 0;
  }
  default: {
    char t[32];
    return sp_err(err, err_len, SPATE_ECORRUPT, "unexpected %s from a producer",
                  shuf_type_name(f->type, t, sizeof t));
  }
  }
}

/* Sends the partition request of a new channel. */
static void cch_open(shuffle_net *net, cch *ch) {
  ch->all_next = net->all;
  net->all = ch;
  conn *c = sn_client_conn(net, ch);
  if (!c) {
    char msg[400];
    snprintf(msg, sizeof msg, "Connecting to remote task manager '%s' has failed.", ch->address);
    sn_cch_fail(ch, msg);
    return;
  }
  uint32_t s = 0;
  while (s < c->nslots && c->slots[s]) s++;
  if (s >= MAX_SLOTS || !sn_slots_reserve(c, s)) {
    sn_cch_fail(ch, "too many channels on one data connection");
    return;
  }
  ch->w.id = (++c->gen & 0xffffu) << 16 | s;
  if (ch->w.id == SHUF_ALL) ch->w.id = (++c->gen & 0xffffu) << 16 | s;
  c->slots[s] = &ch->w;
  ch->c = c;
  ch->req.id = ch->w.id;
  sp_writer w;
  sp_writer_init(&w);
  shuf_put_request(&w, &ch->req);
  sn_conn_send(c, &w);
}

void sn_cch_work(shuffle_net *net, cch *ch, unsigned bits, uint32_t credit) {
  if (bits & W_OPEN) cch_open(net, ch);
  if ((bits & W_CREDIT) && credit && ch->c) {
    sp_writer w;
    sp_writer_init(&w);
    shuf_put_credit(&w, ch->w.id, credit);
    sn_conn_send(ch->c, &w);
  }
  if (bits & W_CANCEL) {
    if (ch->c) {
      sp_writer w;
      sp_writer_init(&w);
      shuf_put_cancel(&w, ch->w.id);
      conn *c = ch->c;
      c->slots[ch->w.id & 0xffffu] = NULL;
      ch->c = NULL;
      sn_conn_send(c, &w);
    }
    gate *unlisted = NULL;
    if (ch->g) {
      pthread_mutex_lock(&net->mu);
      gate *g = ch->g;
      if (--g->members == 0 && g->listed) { /* its last channel: the registry lets it go */
        for (gate **pp = &net->gates; *pp; pp = &(*pp)->next)
          if (*pp == g) {
            *pp = g->next;
            break;
          }
        g->listed = false;
        unlisted = g;
      }
      pthread_mutex_unlock(&net->mu);
    }
    sn_gate_unref(unlisted);
    for (cch **pp = &net->all; *pp; pp = &(*pp)->all_next)
      if (*pp == ch) {
        *pp = ch->all_next;
        sn_cch_unref(ch); /* the net's reference */
        break;
      }
  }
}

/* The mirror's pool hook: the consuming task recycled a buffer, one more credit. */
static void mirror_recycled(void *arg) {
  cch *ch = arg;
  pthread_mutex_lock(&ch->mu);
  if (ch->net) {
    /* An exclusive buffer back while ch holds floating ones its backlog does not need: one
     * floating buffer goes back to the gate instead, and the producer's credit stays as it is
     * (Flink's AvailableBufferQueue.addExclusiveBuffer). */
    rt_buffer *surplus = NULL;
    if (ch->g) {
      pthread_mutex_lock(&ch->g->mu);
      if (ch->nheld && bufpool_available(ch->rp->pool) + ch->nheld > ch->backlog)
        surplus = ch->held[--ch->nheld];
      pthread_mutex_unlock(&ch->g->mu);
    }
    if (surplus)
      bufpool_recycle(surplus); /* the gate's hook may hand it to another channel */
    else
      sn_post(ch->net, &ch->w, W_CREDIT, 1);
  }
  pthread_mutex_unlock(&ch->mu);
}

/* The mirror's free hook: its consumer is gone, the channel is cancelled. */
static void mirror_freed(void *arg) {
  cch *ch = arg;
  pthread_mutex_lock(&ch->mu);
  bufpool_set_recycle_hook(ch->rp->pool, NULL, NULL); /* its queued buffers go back silently */
  result_partition *rp = ch->rp;
  ch->rp = NULL; /* no more pushes: the loop thread pushes under ch->mu */
  gate *g = ch->g;
  if (g) {
    /* The gate's floating buffers go back to it now (it may outlive no channel): those held as
     * credit and those queued in the mirror; the gate hands them to channels waiting. */
    pthread_mutex_lock(&g->mu);
    for (cch **pp = &g->chans; *pp; pp = &(*pp)->gnext)
      if (*pp == ch) {
        *pp = ch->gnext;
        break;
      }
    if (ch->waiting) {
      cch *prev = NULL;
      for (cch *x = g->wait_head; x; prev = x, x = x->wnext)
        if (x == ch) {
          if (prev)
            prev->wnext = ch->wnext;
          else
            g->wait_head = ch->wnext;
          if (g->wait_tail == ch) g->wait_tail = prev;
          break;
        }
      ch->waiting = false;
    }
    ch->deficit = 0;
    uint32_t n = ch->nheld;
    ch->nheld = 0;
    pthread_mutex_unlock(&g->mu);
    for (uint32_t i = 0; i < n; i++) bufpool_recycle(ch->held[i]);
    rt_buffer *b;
    while ((b = sp_spsc_pop(&rp->subs[0].queue)) != NULL) bufpool_recycle(b);
  }
  if (ch->net) sn_post(ch->net, &ch->w, W_CANCEL, 0);
  pthread_mutex_unlock(&ch->mu);
  sn_cch_unref(ch); /* the mirror's reference */
}

/* ---- the remote side of the shuffle_env ---- */

/* A channel's mirror: one subpartition whose own pool holds the exclusive buffers (the channel's
 * credit) and whose queue also has room for the gate's floating buffers it may receive. */
static int mirror_create(const shuffle_input *in, result_partition **out) {
  if (in->floating == 0) return rp_create(1, in->credit, in->size, out);
  /* rp_create sizes the queue and the pool alike: a queue for both kinds of buffer and a token
   * pool, which is then replaced by the exclusive buffers (no other code has seen it yet) */
  result_partition *rp;
  int rc = rp_create(1, in->credit + in->floating, 64, &rp);
  if (rc < 0) return rc;
  bufpool *exclusive;
  if ((rc = bufpool_create(in->credit, in->size, &exclusive)) < 0) {
    rp_unref(rp);
    return rc;
  }
  bufpool_destroy(rp->pool);
  rp->pool = exclusive;
  *out = rp;
  return 0;
}

int shuffle_net_gate_stats(shuffle_net *net, const char *job_key, int edge, int consumer,
                           shuffle_gate_stats *out) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&net->mu);
  gate *g = net->gates;
  while (g && !(g->edge == edge && g->consumer == consumer && strcmp(g->job, job_key) == 0))
    g = g->next;
  if (g) atomic_fetch_add(&g->refs, 1);
  pthread_mutex_unlock(&net->mu);
  if (!g) return SPATE_ENOENT;
  pthread_mutex_lock(&g->mu);
  out->floating = g->floating;
  out->floating_free = bufpool_available(g->pool);
  for (cch *ch = g->chans; ch; ch = ch->gnext) {
    out->channels++;
    out->exclusive += ch->mirror->pool->count;
    out->queued += sp_spsc_size(&ch->mirror->subs[0].queue);
    out->floating_held += ch->nheld;
    out->waiting += ch->waiting;
  }
  pthread_mutex_unlock(&g->mu);
  sn_gate_unref(g);
  return 0;
}

int sn_open_input(void *arg, const char *address, const shuffle_input *in, result_partition **out,
                  char *err, size_t err_len) {
  shuffle_net *net = arg;
  *out = NULL;
  if (in->size > SHUF_MAX_BUFFER_SIZE || in->credit == 0 || in->credit > SHUF_MAX_CREDIT ||
      in->floating > SHUF_MAX_CREDIT || strlen(in->job_key) > SHUF_MAX_JOB_KEY)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "a network channel needs buffers of at most %u bytes, 1..65536 buffers of "
                  "credit, at most 65536 floating buffers and a job key of at most 47 bytes",
                  SHUF_MAX_BUFFER_SIZE);
  cch *ch = sp_calloc(1, sizeof *ch);
  if (!ch) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  char why[300];
  int rc = sn_resolve(address, false, &ch->sa, why, sizeof why);
  if (rc < 0) {
    sp_free(ch);
    return sp_err(err, err_len, rc, "remote task manager '%s': %s", address, why);
  }
  ch->address = sp_strdup(address);
  ch->req.job_key = sp_strdup(in->job_key);
  result_partition *rp = NULL;
  gate *fresh = NULL; /* the gate, should this be its first channel */
  rc = ch->address && ch->req.job_key ? mirror_create(in, &rp) : SPATE_ENOMEM;
  if (rc == 0 && in->floating > 0) {
    ch->held = sp_calloc(in->floating, sizeof *ch->held);
    fresh = sp_calloc(1, sizeof *fresh);
    if (fresh) fresh->job = sp_strdup(in->job_key);
    rc = ch->held && fresh && fresh->job ? bufpool_create(in->floating, in->size, &fresh->pool)
                                         : SPATE_ENOMEM;
    if (rc == 0) {
      pthread_mutex_init(&fresh->mu, NULL);
      atomic_init(&fresh->refs, 1); /* the registry's */
      fresh->edge = in->edge;
      fresh->consumer = in->consumer;
      fresh->floating = in->floating;
      fresh->size = in->size;
      fresh->net = net;
      bufpool_set_recycle_hook(fresh->pool, gate_floating_back, fresh);
    } else {
      if (fresh) sp_free(fresh->job);
      sp_free(fresh);
      fresh = NULL;
      sp_free(ch->held);
      rp_unref(rp);
    }
  }
  if (rc < 0) {
    sp_free(ch->address);
    sp_free(ch->req.job_key);
    sp_free(ch);
    return sp_err(err, err_len, rc, "cannot create a channel's buffers: %s", spate_strerror(rc));
  }
  ch->req.credit = in->credit;
  ch->req.edge = in->edge;
  ch->req.producer = in->producer;
  ch->req.sub = in->sub;
  ch->req.nsub = in->nsub;
  ch->req.buffers = in->buffers;
  ch->req.size = in->size;
  atomic_init(&ch->refs, 2);
  pthread_mutex_init(&ch->mu, NULL);
  ch->net = net;
  ch->rp = rp;
  bufpool_set_recycle_hook(rp->pool, mirror_recycled, ch);
  rp_set_free_hook(rp, mirror_freed, ch);
  ch->mirror = rp;
  pthread_mutex_lock(&net->mu);
  bool stopping = net->stopping;
  if (!stopping && in->floating > 0) {
    gate *g = net->gates;
    while (g &&
           !(g->edge == in->edge && g->consumer == in->consumer && g->floating == in->floating &&
             g->size == in->size && strcmp(g->job, in->job_key) == 0))
      g = g->next;
    if (!g) {
      g = fresh;
      fresh = NULL;
      g->listed = true;
      g->next = net->gates;
      net->gates = g;
    }
    atomic_fetch_add(&g->refs, 1); /* the channel's */
    g->members++;
    ch->g = g;
  }
  if (!stopping) sn_post_locked(net, &ch->w, W_OPEN, 0);
  pthread_mutex_unlock(&net->mu);
  sn_gate_unref(fresh); /* not needed: the gate existed */
  if (ch->g) {
    pthread_mutex_lock(&ch->g->mu);
    ch->gnext = ch->g->chans;
    ch->g->chans = ch;
    pthread_mutex_unlock(&ch->g->mu);
  }
  if (stopping) {
    pthread_mutex_lock(&ch->mu);
    ch->net = NULL;
    pthread_mutex_unlock(&ch->mu);
    rp_unref(rp); /* its free hook drops the mirror's reference */
    sn_cch_unref(ch);
    return sp_err(err, err_len, SPATE_ESTATE, "the network shuffle of this TaskManager stopped");
  }
  uv_async_send(&net->wake);
  *out = rp;
  return 0;
}
