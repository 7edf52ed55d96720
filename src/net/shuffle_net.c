/*
 * shuffle_net.c: the network shuffle's work list, connections, data server and loop thread (see
 * shuffle_net.h; the messages are in shuffle_protocol.h, the consuming side -- input channels,
 * mirrors, credit, input gates' floating buffers -- in shuffle_net_input.c; what both share in
 * shuffle_net_internal.h).
 *
 * Threads. Everything about connections happens on the loop thread. Other threads reach it
 * through a work list (net->mu): a producer's push wakes the server channel that reads its
 * subpartition (its sp_event is hooked, so rp_push needs nothing new), a consuming task's
 * recycle of a mirror buffer adds a credit, and the consumer's last reference to a mirror
 * cancels the channel. Each wake-up is one short lock and a uv_async_send, once per buffer;
 * nothing in the network path looks at records.
 *
 * Copies. A producer's buffer is written from its own memory (the write holds a reference to
 * its partition and recycles the buffer when the write completes). On receive the bytes are
 * copied from the frame reader into a mirror buffer.
 *
 * Lifetimes. A server channel belongs to its connection and is freed on the loop thread after
 * rp_set_consumer(NULL) has waited out producer notifies in flight. A client channel has two
 * references: the net's (dropped when its cancel is processed or the net stops) and its
 * mirror's (dropped by the mirror's free hook); ch->mu guards the pointers both sides use.
 * Lock order: ch->mu, then net->mu.
 */
#include "net/shuffle_net.h"

#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "net/address.h"
#include "net/frame.h"
#include "net/shuffle_net_internal.h"
#include "net/shuffle_protocol.h"
#include "runtime/element.h"
#include "spate/spate.h"

/* Buffers carry elements (runtime/element.h: u32 headers, i64 timestamps, barrier structs) and
 * rows (types/row.h) in host order, and the consumer reads them in place, without a per-record
 * conversion. The wire order of those bytes is declared little-endian; a big-endian host would
 * need a byte swap of every element on the way in or out, which the data path does not have. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the network shuffle sends host-order elements and needs a little-endian host"
#endif

/* ---- the work list ---- */

/* Lists w with bits (and credit more buffers to announce); net->mu held. */
void sn_post_locked(shuffle_net *net, work *w, unsigned bits, uint32_t credit) {
  w->bits |= bits;
  if (credit) ((cch *)w)->credit_due += credit;
  if (w->listed) return;
  w->listed = true;
  w->next = NULL;
  if (net->tail)
    net->tail->next = w;
  else
    net->head = w;
  net->tail = w;
}

void sn_post(shuffle_net *net, work *w, unsigned bits, uint32_t credit) {
  pthread_mutex_lock(&net->mu);
  sn_post_locked(net, w, bits, credit);
  pthread_mutex_unlock(&net->mu);
  uv_async_send(&net->wake);
}

/* Takes w off the list (teardown only: a scan). */
static void unlist(shuffle_net *net, work *w) {
  pthread_mutex_lock(&net->mu);
  if (w->listed) {
    work *prev = NULL;
    for (work *x = net->head; x; prev = x, x = x->next)
      if (x == w) {
        if (prev)
          prev->next = w->next;
        else
          net->head = w->next;
        if (net->tail == w) net->tail = prev;
        break;
      }
    w->listed = false;
  }
  w->bits = 0;
  pthread_mutex_unlock(&net->mu);
}

/* ---- connections: slots, writes, failure ---- */

work *sn_slot_get(conn *c, uint32_t id) {
  uint32_t s = id & 0xffffu;
  return s < c->nslots && c->slots[s] && c->slots[s]->id == id ? c->slots[s] : NULL;
}

bool sn_slots_reserve(conn *c, uint32_t s) {
  if (s < c->nslots) return true;
  uint32_t n = c->nslots ? c->nslots : 16;
  while (n <= s) n *= 2;
  work **p = sp_realloc(c->slots, n * sizeof *p);
  if (!p) return false;
  memset(p + c->nslots, 0, (n - c->nslots) * sizeof *p);
  c->slots = p;
  c->nslots = n;
  return true;
}

typedef struct wreq {
  uv_write_t req;
  rt_buffer *b;         /* a producer's buffer being sent, or NULL */
  result_partition *rp; /* its partition, referenced until the write is done */
  uint8_t data[];       /* the frame (or a BUFFER's header) */
} wreq;

static void conn_fail(conn *c, const char *why, bool warn);

/* A read or write of c failed with status. A peer that closed or reset the connection (it
 * closed with our bytes unread) is lost, the same for every side that notices it first: a
 * consumer's TaskManager going is no news, a producer's is. */
static void conn_io_failed(conn *c, const char *what, int status) {
  if (status == UV_EOF || status == UV_ECONNRESET || status == UV_EPIPE) {
    conn_fail(c, "closed by the peer", c->client);
    return;
  }
  char why[160];
  snprintf(why, sizeof why, "a %s failed: %s", what, uv_strerror(status));
  conn_fail(c, why, true);
}

static void write_done(uv_write_t *req, int status) {
  wreq *r = (wreq *)req;
  conn *c = req->handle->data;
  if (r->b) {
    bufpool_recycle(r->b);
    rp_unref(r->rp);
  }
  sp_free(r);
  if (status < 0 && status != UV_ECANCELED) conn_io_failed(c, "write", status);
}

static void conn_write(conn *c, const void *data, size_t n) {
  if (c->closing) return;
  if (!c->connected) {
    sp_put_bytes(&c->pending, data, n);
    if (c->pending.failed) conn_fail(c, "out of memory queueing a frame", true);
    return;
  }
  wreq *r = sp_malloc(sizeof *r + n);
  if (!r) {
    conn_fail(c, "out of memory writing a frame", true);
    return;
  }
  r->b = NULL;
  r->rp = NULL;
  memcpy(r->data, data, n);
  uv_buf_t buf = uv_buf_init((char *)r->data, (unsigned)n);
  int rc = uv_write(&r->req, (uv_stream_t *)&c->tcp, &buf, 1, write_done);
  if (rc < 0) {
    sp_free(r);
    conn_io_failed(c, "write", rc);
  }
}

void sn_conn_send(conn *c, sp_writer *w) {
  if (w->failed)
    conn_fail(c, "out of memory encoding a frame", true);
  else
    conn_write(c, w->data, w->len);
  sp_writer_free(w);
}

static void schan_release(schan *sc) {
  shuffle_net *net = sc->c->net;
  rp_set_consumer(sc->rp, sc->sub, NULL); /* no producer notifies after this */
  unlist(net, &sc->w);
  conn *c = sc->c;
  uint32_t s = sc->w.id & 0xffffu;
  if (s < c->nslots && c->slots[s] == &sc->w) c->slots[s] = NULL;
  rp_unref(sc->rp);
  sp_event_destroy(&sc->ev);
  sp_free(sc);
}

static void conn_closed(uv_handle_t *h) {
  conn *c = h->data;
  sp_wire_reader_free(&c->rd);
  sp_writer_free(&c->pending);
  sp_free(c->slots);
  sp_free(c->peer);
  sp_free(c);
}

/* Closes the connection: its server channels are released, its client channels fail with
 * Flink's words for a lost peer. why: the reason for the log (warn) and the channels. */
static void conn_fail(conn *c, const char *why, bool warn) {
  if (c->closing) return;
  c->closing = true;
  if (warn)
    SP_WARN("shuffle", "closing the data connection %s %s: %s", c->client ? "to" : "from", c->peer,
            why);
  char msg[512];
  if (c->client && strcmp(why, "closed by the peer") == 0)
    snprintf(msg, sizeof msg,
             "Connection unexpectedly closed by remote task manager '%s'. This might indicate "
             "that the remote task manager was lost.",
             c->peer);
  else if (c->client && !c->connected)
    snprintf(msg, sizeof msg,
             "Connecting to remote task manager '%s' has failed: %s. This might indicate that "
             "the remote task manager has been lost.",
             c->peer, why);
  else
    snprintf(msg, sizeof msg, "Lost the data connection to remote task manager '%s': %s", c->peer,
             why);
  for (uint32_t s = 0; s < c->nslots; s++) {
    work *w = c->slots[s];
    if (!w) continue;
    if (w->server) {
      schan_release((schan *)w);
    } else {
      cch *ch = (cch *)w;
      ch->c = NULL;
      c->slots[s] = NULL;
      sn_cch_fail(ch, msg);
    }
  }
  for (conn **pp = &c->net->conns; *pp; pp = &(*pp)->next)
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static conn *conn_new(shuffle_net *net, bool client, const char *peer) {
  conn *c = sp_calloc(1, sizeof *c);
  if (!c) return NULL;
  c->peer = sp_strdup(peer);
  if (!c->peer || uv_tcp_init(&net->loop, &c->tcp) < 0) {
    sp_free(c->peer);
    sp_free(c);
    return NULL;
  }
  c->tcp.data = c;
  c->net = net;
  c->client = client;
  sp_wire_reader_init(&c->rd, 0);
  sp_writer_init(&c->pending);
  c->next = net->conns;
  net->conns = c;
  return c;
}

/* ---- the server side: channels of local partitions ---- */

/* The hook of a server channel's event: the producer pushed a buffer or announced a barrier. */
static void schan_notified(void *arg) {
  schan *sc = arg;
  sn_post(sc->c->net, &sc->w, W_DATA, 0);
}

/* Forwards an announced barrier, then as many queued buffers as there is credit. */
static void schan_serve(schan *sc) {
  conn *c = sc->c;
  subpartition *s = &sc->rp->subs[sc->sub];
  int64_t a = atomic_load_explicit(&s->announced, memory_order_acquire);
  if (a > sc->announced && !c->closing) {
    sc->announced = a;
    uint8_t buf[sizeof(el_barrier) + 4096]; /* what a consumer in this process would take */
    uint32_t len = rp_announced_barrier(sc->rp, sc->sub, buf, sizeof buf);
    if (len) {
      sp_writer w;
      sp_writer_init(&w);
      shuf_put_announce(&w, sc->w.id, a, buf, len);
      sn_conn_send(c, &w);
    }
  }
  while (sc->credit > 0 && !c->closing) {
    rt_buffer *b = sp_spsc_pop(&s->queue);
    if (!b) break;
    uint32_t backlog = sp_spsc_size(&s->queue);
    wreq *r = sp_malloc(sizeof *r + SP_WIRE_HEADER_SIZE + SHUF_BUFFER_HEADER);
    if (!r) {
      bufpool_recycle(b);
      conn_fail(c, "out of memory sending a buffer", true);
      return;
    }
    shuf_buffer_header(r->data, sc->w.id, backlog, b->size);
    sc->backlog_sent = backlog;
    r->b = b;
    r->rp = sc->rp;
    rp_ref(sc->rp);
    uv_buf_t bufs[2] = {uv_buf_init((char *)r->data, SP_WIRE_HEADER_SIZE + SHUF_BUFFER_HEADER),
                        uv_buf_init((char *)b->data, b->size)};
    sc->credit--;
    int rc = uv_write(&r->req, (uv_stream_t *)&c->tcp, bufs, 2, write_done);
    if (rc < 0) {
      bufpool_recycle(b);
      rp_unref(sc->rp);
      sp_free(r);
      conn_io_failed(c, "write", rc);
      return;
    }
  }
  /* Without credit, a growing backlog is announced so the consumer side may grant floating
   * buffers (at most one small frame per buffer the producer queues). */
  uint32_t backlog = sp_spsc_size(&s->queue);
  if (sc->credit == 0 && backlog > sc->backlog_sent && !c->closing) {
    sc->backlog_sent = backlog;
    sp_writer w;
    sp_writer_init(&w);
    shuf_put_backlog(&w, sc->w.id, backlog);
    sn_conn_send(c, &w);
  }
}

/* Refuses one channel's request with a message for its consumer. */
static void send_error(conn *c, uint32_t id, const char *msg) {
  sp_writer w;
  sp_writer_init(&w);
  shuf_put_error(&w, id, msg);
  sn_conn_send(c, &w);
}

static int on_request(conn *c, const uint8_t *p, uint32_t len, char *err, size_t err_len) {
  shuf_request q;
  int rc = shuf_decode_request(p, len, &q, err, err_len);
  if (rc < 0) return rc;
  uint32_t s = q.id & 0xffffu;
  if (s < c->nslots && c->slots[s]) {
    sp_free(q.job_key);
    return sp_err(err, err_len, SPATE_ECORRUPT, "PARTITION_REQUEST for receiver id %u in use",
                  q.id);
  }
  result_partition *rp = NULL;
  char msg[300];
  rc = shuffle_env_partition_for_request(c->net->env, q.job_key, q.edge, q.producer, q.nsub,
                                         q.buffers, q.size, &rp);
  if (rc == SPATE_ENOENT) {
    snprintf(msg, sizeof msg, "partition %s/%d/%d was released: its job attempt ended here",
             q.job_key, q.edge, q.producer);
  } else if (rc < 0) {
    snprintf(msg, sizeof msg, "cannot create partition %s/%d/%d: %s", q.job_key, q.edge, q.producer,
             spate_strerror(rc));
  } else if (q.sub >= rp->nsub) {
    snprintf(msg, sizeof msg, "partition %s/%d/%d has %d subpartitions, no subpartition %d",
             q.job_key, q.edge, q.producer, rp->nsub, q.sub);
    rc = SPATE_EINVAL;
  } else if (atomic_load(&rp->subs[q.sub].consumer)) {
    snprintf(msg, sizeof msg, "subpartition %d of partition %s/%d/%d already has a consumer", q.sub,
             q.job_key, q.edge, q.producer);
    rc = SPATE_ESTATE;
  }
  schan *sc = rc == 0 ? sp_calloc(1, sizeof *sc) : NULL;
  if (rc == 0 && (!sc || !sn_slots_reserve(c, s))) {
    snprintf(msg, sizeof msg, "out of memory");
    rc = SPATE_ENOMEM;
  }
  if (rc < 0) {
    sp_free(sc);
    if (rp) rp_unref(rp);
    SP_WARN("shuffle", "refusing a partition request from %s: %s", c->peer, msg);
    send_error(c, q.id, msg);
    sp_free(q.job_key);
    return 0; /* the connection serves on */
  }
  sp_free(q.job_key);
  sc->w.server = true;
  sc->w.id = q.id;
  sc->c = c;
  sc->rp = rp;
  sc->sub = q.sub;
  sc->credit = q.credit;
  sp_event_init_hook(&sc->ev, schan_notified, sc);
  c->slots[s] = &sc->w;
  rp_set_consumer(rp, q.sub, &sc->ev);
  schan_serve(sc); /* what the producer pushed before the request */
  return 0;
}

/* A frame on a connection this process accepted (it serves partitions). */
static int server_frame(conn *c, const sp_wire_frame *f, char *err, size_t err_len) {
  uint32_t id, n;
  int rc;
  switch (f->type) {
  case SHUF_PARTITION_REQUEST: return on_request(c, f->payload, f->len, err, err_len);
  case SHUF_ADD_CREDIT: {
    if ((rc = shuf_decode_credit(f->payload, f->len, &id, &n, err, err_len)) < 0) return rc;
    schan *sc = (schan *)sn_slot_get(c, id);
    if (!sc) return 0; /* a channel released just before: nothing to send it */
    if (sc->credit + n > 2 * SHUF_MAX_CREDIT) /* exclusive and floating buffers */
      return sp_err(err, err_len, SPATE_ECORRUPT, "ADD_CREDIT beyond 131072 buffers");
    sc->credit += n;
    schan_serve(sc);
    return 0;
  }
  case SHUF_CANCEL: {
    if ((rc = shuf_decode_cancel(f->payload, f->len, &id, err, err_len)) < 0) return rc;
    schan *sc = (schan *)sn_slot_get(c, id);
    if (sc) schan_release(sc);
    return 0;
  }
  default: {
    char t[32];
    return sp_err(err, err_len, SPATE_ECORRUPT, "unexpected %s from a consumer",
                  shuf_type_name(f->type, t, sizeof t));
  }
  }
}

/* ---- reading frames; client connections ---- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  conn *c = h->data;
  *buf = uv_buf_init((char *)c->rbuf, sizeof c->rbuf);
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  conn *c = stream->data;
  if (c->closing) return;
  if (nread < 0) {
    conn_io_failed(c, "read", (int)nread);
    return;
  }
  if (nread == 0) return;
  if (sp_wire_feed(&c->rd, buf->base, (size_t)nread) < 0) {
    conn_fail(c, "out of memory reading a frame", true);
    return;
  }
  sp_wire_frame f;
  int rc = 0;
  char err[400] = "";
  while (!c->closing && (rc = sp_wire_next(&c->rd, &f)) == 1) {
    rc = c->client ? sn_client_frame(c, &f, err, sizeof err) : server_frame(c, &f, err, sizeof err);
    if (rc < 0) {
      conn_fail(c, err, true);
      return;
    }
  }
  if (!c->closing && rc < 0) conn_fail(c, c->rd.error, true);
}

static void on_connect(uv_connect_t *req, int status) {
  conn *c = req->data;
  sp_free(req);
  if (c->closing) return;
  if (status < 0) {
    conn_fail(c, uv_strerror(status), true);
    return;
  }
  c->connected = true;
  sp_writer w;
  sp_writer_init(&w);
  sp_wire_put_hello(&w);
  sp_put_bytes(&w, c->pending.data, c->pending.len);
  sp_writer_free(&c->pending);
  sp_writer_init(&c->pending);
  sn_conn_send(c, &w);
  if (!c->closing) uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

/* The open client connection to address, or a new one being established. */
conn *sn_client_conn(shuffle_net *net, cch *ch) {
  for (conn *c = net->conns; c; c = c->next)
    if (c->client && !c->closing && strcmp(c->peer, ch->address) == 0) return c;
  conn *c = conn_new(net, true, ch->address);
  if (!c) return NULL;
  atomic_fetch_add(&net->opened, 1);
  uv_tcp_nodelay(&c->tcp, 1);
  uv_connect_t *req = sp_malloc(sizeof *req);
  int rc =
      req ? uv_tcp_connect(req, &c->tcp, (const struct sockaddr *)&ch->sa, on_connect) : UV_ENOMEM;
  if (rc < 0) {
    sp_free(req);
    conn_fail(c, uv_strerror(rc), true);
    return NULL;
  }
  req->data = c;
  return c;
}

/* ---- the loop ---- */

static void shutdown_loop(shuffle_net *net) {
  net->shut = true;
  for (cch *ch = net->all; ch; ch = ch->all_next) {
    pthread_mutex_lock(&ch->mu);
    ch->net = NULL; /* no more posts from its mirror's hooks */
    if (ch->rp) rp_fail(ch->rp, "the network shuffle of this TaskManager stopped");
    pthread_mutex_unlock(&ch->mu);
  }
  while (net->conns) conn_fail(net->conns, "this TaskManager's network shuffle stopped", false);
  pthread_mutex_lock(&net->mu);
  gate *gates = net->gates;
  net->gates = NULL;
  for (gate *g = gates; g; g = g->next) g->listed = false;
  pthread_mutex_unlock(&net->mu);
  while (gates) {
    gate *g = gates;
    gates = g->next;
    pthread_mutex_lock(&g->mu);
    g->net = NULL; /* no more credit announced; mirrors may outlive the net */
    pthread_mutex_unlock(&g->mu);
    sn_gate_unref(g); /* the registry's reference */
  }
  pthread_mutex_lock(&net->mu); /* what is still listed: client channels released below */
  for (work *w = net->head; w; w = w->next) {
    w->listed = false;
    w->bits = 0;
  }
  net->head = net->tail = NULL;
  pthread_mutex_unlock(&net->mu);
  while (net->all) {
    cch *ch = net->all;
    net->all = ch->all_next;
    sn_cch_unref(ch);
  }
  uv_close((uv_handle_t *)&net->server, NULL);
  uv_close((uv_handle_t *)&net->wake, NULL);
}

static void on_wake(uv_async_t *a) {
  shuffle_net *net = a->data;
  if (net->shut) return;
  for (;;) {
    pthread_mutex_lock(&net->mu);
    work *w = net->head;
    if (!w) {
      bool stopping = net->stopping;
      pthread_mutex_unlock(&net->mu);
      if (stopping) shutdown_loop(net);
      return;
    }
    net->head = w->next;
    if (!net->head) net->tail = NULL;
    unsigned bits = w->bits;
    uint32_t credit = 0;
    if (!w->server) {
      credit = ((cch *)w)->credit_due;
      ((cch *)w)->credit_due = 0;
    }
    w->bits = 0;
    w->listed = false;
    w->next = NULL;
    bool stopping = net->stopping;
    pthread_mutex_unlock(&net->mu);
    if (w->server) {
      schan_serve((schan *)w);
    } else if (stopping && (bits & W_OPEN)) {
      cch *ch = (cch *)w; /* opened as the net stops: it fails at once */
      ch->all_next = net->all;
      net->all = ch;
      sn_cch_fail(ch, "the network shuffle of this TaskManager stopped");
      if (bits & W_CANCEL) sn_cch_work(net, ch, W_CANCEL, 0);
    } else {
      sn_cch_work(net, (cch *)w, bits, credit);
    }
  }
}

static void on_connection(uv_stream_t *server, int status) {
  shuffle_net *net = server->data;
  if (status < 0) {
    SP_WARN("shuffle", "accepting a data connection failed: %s", uv_strerror(status));
    return;
  }
  conn *c = conn_new(net, false, "?");
  if (!c) {
    SP_WARN("shuffle", "out of memory accepting a data connection");
    return;
  }
  if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
    conn_fail(c, "accept failed", true);
    return;
  }
  struct sockaddr_storage ss;
  int len = sizeof ss;
  char ip[64] = "?", name[96];
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
    uv_ip_name((struct sockaddr *)&ss, ip, sizeof ip);
    int port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                        : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    snprintf(name, sizeof name, "%s:%d", ip, port);
    char *p = sp_strdup(name);
    if (p) {
      sp_free(c->peer);
      c->peer = p;
    }
  }
  uv_tcp_nodelay(&c->tcp, 1);
  c->connected = true;
  sp_writer w;
  sp_writer_init(&w);
  sp_wire_put_hello(&w);
  sn_conn_send(c, &w);
  if (!c->closing) uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

static void *loop_main(void *arg) {
  shuffle_net *net = arg;
  /* A write to a connection the peer closed raises SIGPIPE in the writing thread, which would
   * end the process; blocked here (all writes are on this thread) the write fails with EPIPE
   * and closes that connection only. The process's own disposition stays as it was. */
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, NULL);
  uv_run(&net->loop, UV_RUN_DEFAULT);
  return NULL;
}

/* ---- addresses, start and stop ---- */

/* Splits "host:port" (IPv6 hosts in brackets) and resolves it. */
int sn_resolve(const char *address, bool passive, struct sockaddr_storage *out, char *err,
               size_t err_len) {
  const char *colon = strrchr(address, ':');
  if (!colon || colon == address || !colon[1])
    return sp_err(err, err_len, SPATE_EINVAL, "'%s' is not host:port", address);
  size_t hl = (size_t)(colon - address);
  const char *h = address;
  if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
    h++;
    hl -= 2;
  }
  char *host = sp_strndup(h, hl);
  if (!host) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
  if (passive) hints.ai_flags = AI_PASSIVE;
  int g = getaddrinfo(host, colon + 1, &hints, &res);
  sp_free(host);
  if (g != 0 || !res)
    return sp_err(err, err_len, SPATE_EINVAL, "cannot resolve '%s': %s", address,
                  g ? gai_strerror(g) : "no address");
  memcpy(out, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  return 0;
}

int shuffle_net_start(shuffle_env *env, const char *bind_host, int port,
                      const char *advertised_host, shuffle_net **out, char *err, size_t err_len) {
  *out = NULL;
  if (!bind_host || !bind_host[0]) bind_host = "0.0.0.0";
  if (port < 0 || port > 65535)
    return sp_err(err, err_len, SPATE_EINVAL, "data port %d is not a port", port);
  char addr[300], why[300];
  bool v6 = strchr(bind_host, ':') != NULL;
  snprintf(addr, sizeof addr, v6 ? "[%s]:%d" : "%s:%d", bind_host, port);
  struct sockaddr_storage ss;
  int rc = sn_resolve(addr, true, &ss, why, sizeof why);
  if (rc < 0) return sp_err(err, err_len, rc, "the data port's bind address: %s", why);
  shuffle_net *net = sp_calloc(1, sizeof *net);
  if (!net) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  net->env = env;
  pthread_mutex_init(&net->mu, NULL);
  if ((rc = uv_loop_init(&net->loop)) < 0) {
    pthread_mutex_destroy(&net->mu);
    sp_free(net);
    return sp_err(err, err_len, SPATE_EIO, "cannot start the data loop: %s", uv_strerror(rc));
  }
  uv_async_init(&net->loop, &net->wake, on_wake);
  net->wake.data = net;
  uv_tcp_init(&net->loop, &net->server);
  net->server.data = net;
  rc = uv_tcp_bind(&net->server, (const struct sockaddr *)&ss, 0);
  if (rc == 0) rc = uv_listen((uv_stream_t *)&net->server, 128, on_connection);
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  if (rc == 0) rc = uv_tcp_getsockname(&net->server, (struct sockaddr *)&bound, &blen);
  if (rc == 0 && !(net->address = net_listen_address(&bound, bind_host, advertised_host)))
    rc = UV_ENOMEM;
  if (rc == 0 && pthread_create(&net->thread, NULL, loop_main, net) != 0) rc = UV_EAGAIN;
  if (rc < 0) {
    uv_close((uv_handle_t *)&net->server, NULL);
    uv_close((uv_handle_t *)&net->wake, NULL);
    uv_run(&net->loop, UV_RUN_DEFAULT);
    uv_loop_close(&net->loop);
    pthread_mutex_destroy(&net->mu);
    sp_free(net->address);
    sp_free(net);
    return sp_err(err, err_len, SPATE_EIO, "cannot listen on data port %s:%d: %s", bind_host, port,
                  uv_strerror(rc));
  }
  shuffle_env_set_remote(env, net->address, sn_open_input, net);
  *out = net;
  return 0;
}

const char *shuffle_net_address(const shuffle_net *net) { return net->address; }

uint64_t shuffle_net_connections_opened(const shuffle_net *net) {
  return atomic_load(&((shuffle_net *)net)->opened);
}

void shuffle_net_stop(shuffle_net *net) {
  if (!net) return;
  shuffle_env_set_remote(net->env, NULL, NULL, NULL);
  pthread_mutex_lock(&net->mu);
  net->stopping = true;
  pthread_mutex_unlock(&net->mu);
  uv_async_send(&net->wake);
  pthread_join(net->thread, NULL);
  uv_loop_close(&net->loop);
  pthread_mutex_destroy(&net->mu);
  sp_free(net->address);
  sp_free(net);
}
