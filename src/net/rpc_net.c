/*
 * rpc_net.c: the RPC transport over TCP (rpc_net.h): a listener, the connections this process
 * opened (one per peer, for sending) and those others opened to it (for receiving), all run by
 * one libuv loop thread. Other threads hand messages over through a locked outbox and an async
 * wake-up.
 */
#include "net/rpc_net.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/alloc.h"
#include "base/bytes.h"
#include "base/err.h"
#include "base/log.h"
#include "net/address.h"
#include "net/frame.h"
#include "spate/spate.h"

enum { RN_IDENT = 1, RN_MESSAGE = 2 };

/* A whole frame waiting to be written to `peer`. */
typedef struct rn_out {
  struct rn_out *next;
  char *peer;
  uint8_t *data;
  size_t len;
  char *from, *to; /* the sending endpoint to tell if it is dropped, and its endpoint there
                      (both NULL: nobody to tell) */
  uint32_t type;
} rn_out;

typedef struct rn_conn {
  struct rn_conn *next;
  rpc_net *net;
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_getaddrinfo_t gai;
  bool outgoing;
  bool has_tcp;   /* tcp is initialised (and must be closed) */
  bool resolving; /* gai is in flight: its callback frees a connection that failed meanwhile */
  bool connected;
  bool closing;
  char *peer; /* outgoing: where it goes; incoming: the IDENT of the peer, NULL before it */
  sp_wire_reader rd;
  rn_out *pending, *pending_tail; /* frames waiting for the connection to open */
} rn_conn;

typedef struct rn_write {
  uv_write_t req;
  uint8_t *data;
} rn_write;

struct rpc_net {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_async_t wake;
  pthread_t thread;
  rpc_net_hooks hooks;
  char *address;
  pthread_mutex_t mu; /* guards out_*, stopping */
  rn_out *out_head, *out_tail;
  bool stopping;
  /* loop thread only */
  rn_conn *conns;
  bool shut; /* stopping: no more hooks, no new connections */
  char rbuf[65536];
};

static void out_free(rn_out *o) {
  if (!o) return;
  sp_free(o->from);
  sp_free(o->to);
  sp_free(o->peer);
  sp_free(o->data);
  sp_free(o);
}

static void conn_free(rn_conn *c) {
  for (rn_out *o = c->pending, *n; o; o = n) {
    n = o->next;
    out_free(o);
  }
  sp_wire_reader_free(&c->rd);
  sp_free(c->peer);
  sp_free(c);
}

static void on_closed(uv_handle_t *h) { conn_free(h->data); }

/* A message is dropped unwritten: its sender hears of it (unless the transport is stopping). */
static void out_dropped(rpc_net *n, const rn_out *o, const char *reason) {
  SP_DEBUG("rpc", "dropping message %u for %s: %s", o->type, o->peer, reason);
  if (!n->shut && o->from && n->hooks.undelivered)
    n->hooks.undelivered(n->hooks.arg, o->from, o->peer, o->to, o->type, reason);
}

/* Ends a connection: unlinks it, reports the peer lost if the connection was open (unless the
 * transport is stopping), or else the messages that waited for it as dropped, and closes the
 * socket. Safe to call twice. */
static void conn_fail(rn_conn *c, const char *reason) {
  if (c->closing) return;
  c->closing = true;
  rpc_net *n = c->net;
  for (rn_conn **pp = &n->conns; *pp; pp = &(*pp)->next)
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  if (c->outgoing && !c->connected) /* never opened: no loss, the waiting messages are dropped */
    for (rn_out *o = c->pending; o; o = o->next) out_dropped(n, o, reason);
  else if (!n->shut && c->peer && n->hooks.peer_lost)
    n->hooks.peer_lost(n->hooks.arg, c->peer, reason);
  if (c->has_tcp)
    uv_close((uv_handle_t *)&c->tcp, on_closed);
  else if (!c->resolving)
    conn_free(c);
}

static void on_written(uv_write_t *req, int status) {
  rn_write *w = (rn_write *)req;
  rn_conn *c = req->handle->data;
  sp_free(w->data);
  sp_free(w);
  if (status < 0 && status != UV_ECANCELED && !c->closing) {
    char reason[160];
    snprintf(reason, sizeof reason, "could not send to %s: %s", c->peer ? c->peer : "a peer",
             uv_strerror(status));
    SP_WARN("rpc", "%s", reason);
    conn_fail(c, reason);
  }
}

/* Writes data (taken over) to the connection. */
static void conn_write(rn_conn *c, uint8_t *data, size_t len) {
  rn_write *w = sp_calloc(1, sizeof *w);
  if (!w) {
    sp_free(data);
    conn_fail(c, "out of memory");
    return;
  }
  w->data = data;
  uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
  int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
  if (rc < 0) {
    sp_free(data);
    sp_free(w);
    char reason[160];
    snprintf(reason, sizeof reason, "could not send: %s", uv_strerror(rc));
    conn_fail(c, reason);
  }
}

static void write_writer(rn_conn *c, sp_writer *w) {
  if (w->failed) {
    sp_writer_free(w);
    conn_fail(c, "out of memory");
    return;
  }
  size_t len;
  uint8_t *data = sp_writer_take(w, &len);
  conn_write(c, data, len);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  rn_conn *c = h->data;
  *buf = uv_buf_init(c->net->rbuf, sizeof c->net->rbuf);
}

/* One frame from an incoming connection. Returns false if the connection is to be closed
 * (reason in `why`). */
static bool handle_frame(rn_conn *c, const sp_wire_frame *f, char *why, size_t why_len) {
  sp_reader r;
  sp_reader_init(&r, f->payload, f->len);
  if (c->outgoing) {
    snprintf(why, why_len, "unexpected frame of type %u on a connection this side opened", f->type);
    return false;
  }
  if (!c->peer) {
    char *addr = f->type == RN_IDENT ? sp_get_str(&r) : NULL;
    if (!addr || !sp_reader_ok(&r) || !addr[0] || r.pos != r.len) {
      sp_free(addr);
      snprintf(why, why_len, "the first frame is not a valid IDENT (type %u, %u bytes)", f->type,
               f->len);
      return false;
    }
    c->peer = addr;
    return true;
  }
  if (f->type != RN_MESSAGE) {
    snprintf(why, why_len, "unexpected frame of type %u", f->type);
    return false;
  }
  char *to = sp_get_str(&r);
  uint32_t type = sp_get_u32(&r);
  if (!to || !sp_reader_ok(&r) || !to[0]) {
    sp_free(to);
    snprintf(why, why_len, "malformed MESSAGE frame (%u bytes): %s", f->len,
             r.error[0] ? r.error : "no endpoint name");
    return false;
  }
  rpc_net *n = c->net;
  if (!n->shut && n->hooks.deliver)
    n->hooks.deliver(n->hooks.arg, c->peer, to, type, f->payload + r.pos, f->len - r.pos);
  sp_free(to);
  return true;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  rn_conn *c = s->data;
  (void)buf;
  if (c->closing) return;
  if (nread == 0) return;
  char why[300];
  if (nread < 0) {
    snprintf(why, sizeof why, "%s",
             nread == UV_EOF ? "connection closed by the peer" : uv_strerror((int)nread));
    if (nread != UV_EOF)
      SP_WARN("rpc", "connection %s %s: %s", c->outgoing ? "to" : "from",
              c->peer ? c->peer : "an unidentified peer", why);
    conn_fail(c, why);
    return;
  }
  if (sp_wire_feed(&c->rd, c->net->rbuf, (size_t)nread) < 0) {
    conn_fail(c, "out of memory");
    return;
  }
  for (;;) {
    sp_wire_frame f;
    int rc = sp_wire_next(&c->rd, &f);
    if (rc == 0) return;
    if (rc < 0) {
      snprintf(why, sizeof why, "%s", c->rd.error);
    } else if (handle_frame(c, &f, why, sizeof why)) {
      continue;
    }
    SP_WARN("rpc", "closing the connection %s %s: %s", c->outgoing ? "to" : "from",
            c->peer ? c->peer : "an unidentified peer", why);
    conn_fail(c, why);
    return;
  }
}

static void on_connected(uv_connect_t *req, int status) {
  rn_conn *c = req->data;
  if (c->closing) return;
  if (status < 0) {
    char why[200];
    snprintf(why, sizeof why, "could not connect to %s: %s", c->peer, uv_strerror(status));
    SP_DEBUG("rpc", "%s", why);
    conn_fail(c, why);
    return;
  }
  c->connected = true;
  uv_tcp_nodelay(&c->tcp, 1);
  int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  if (rc < 0) {
    conn_fail(c, uv_strerror(rc));
    return;
  }
  sp_writer w, p;
  sp_writer_init(&w);
  sp_writer_init(&p);
  sp_wire_put_hello(&w);
  sp_put_str(&p, c->net->address);
  sp_wire_put_frame(&w, RN_IDENT, p.data, p.len);
  sp_writer_free(&p);
  write_writer(c, &w);
  while (c->pending && !c->closing) {
    rn_out *o = c->pending;
    c->pending = o->next;
    conn_write(c, o->data, o->len);
    o->data = NULL;
    out_free(o);
  }
  c->pending_tail = NULL;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *ai) {
  rn_conn *c = req->data;
  c->resolving = false;
  if (c->closing) { /* failed (or the transport stopped) meanwhile */
    if (ai) uv_freeaddrinfo(ai);
    conn_free(c);
    return;
  }
  char why[200];
  if (status < 0 || !ai) {
    snprintf(why, sizeof why, "could not resolve %s: %s", c->peer, uv_strerror(status));
    SP_WARN("rpc", "%s", why);
    if (ai) uv_freeaddrinfo(ai);
    conn_fail(c, why);
    return;
  }
  uv_tcp_init(&c->net->loop, &c->tcp);
  c->tcp.data = c;
  c->has_tcp = true;
  c->connect.data = c;
  int rc = uv_tcp_connect(&c->connect, &c->tcp, ai->ai_addr, on_connected);
  uv_freeaddrinfo(ai);
  if (rc < 0) {
    snprintf(why, sizeof why, "could not connect to %s: %s", c->peer, uv_strerror(rc));
    conn_fail(c, why);
  }
}

/* The outgoing connection to peer, opened (resolving first) if there is none. */
static rn_conn *outgoing_to(rpc_net *n, const char *peer) {
  for (rn_conn *c = n->conns; c; c = c->next)
    if (c->outgoing && strcmp(c->peer, peer) == 0) return c;
  char host[256], port[16];
  int p;
  if (rpc_net_split_address(peer, host, sizeof host, &p) < 0) return NULL;
  snprintf(port, sizeof port, "%d", p);
  rn_conn *c = sp_calloc(1, sizeof *c);
  if (!c || !(c->peer = sp_strdup(peer))) {
    sp_free(c);
    return NULL;
  }
  c->net = n;
  c->outgoing = true;
  sp_wire_reader_init(&c->rd, 0);
  c->gai.data = c;
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  c->resolving = true;
  c->next = n->conns;
  n->conns = c;
  int rc = uv_getaddrinfo(&n->loop, &c->gai, on_resolved, host, port, &hints);
  if (rc < 0) {
    c->resolving = false;
    char why[200];
    snprintf(why, sizeof why, "could not resolve %s: %s", peer, uv_strerror(rc));
    conn_fail(c, why);
    return NULL;
  }
  return c;
}

static void on_connection(uv_stream_t *server, int status) {
  rpc_net *n = server->data;
  if (status < 0 || n->shut) return;
  rn_conn *c = sp_calloc(1, sizeof *c);
  if (!c) return;
  c->net = n;
  sp_wire_reader_init(&c->rd, 0);
  uv_tcp_init(&n->loop, &c->tcp);
  c->tcp.data = c;
  c->has_tcp = true;
  c->connected = true;
  c->next = n->conns;
  n->conns = c;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
      uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
    conn_fail(c, "could not accept");
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  sp_writer w;
  sp_writer_init(&w);
  sp_wire_put_hello(&w);
  write_writer(c, &w);
}

static void close_walk(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void on_wake(uv_async_t *a) {
  rpc_net *n = a->data;
  pthread_mutex_lock(&n->mu);
  rn_out *o = n->out_head;
  n->out_head = n->out_tail = NULL;
  bool stopping = n->stopping;
  pthread_mutex_unlock(&n->mu);
  while (o) {
    rn_out *next = o->next;
    o->next = NULL;
    rn_conn *c = n->shut ? NULL : outgoing_to(n, o->peer);
    if (!c) {
      out_dropped(n, o, "could not open a connection");
      out_free(o);
    } else if (c->connected) {
      conn_write(c, o->data, o->len);
      o->data = NULL;
      out_free(o);
    } else {
      if (c->pending_tail)
        c->pending_tail->next = o;
      else
        c->pending = o;
      c->pending_tail = o;
    }
    o = next;
  }
  if (stopping && !n->shut) {
    n->shut = true;
    while (n->conns) conn_fail(n->conns, "stopping");
    uv_close((uv_handle_t *)&n->listener, NULL);
    uv_close((uv_handle_t *)&n->wake, NULL);
  }
}

static void *loop_main(void *arg) {
  rpc_net *n = arg;
  uv_run(&n->loop, UV_RUN_DEFAULT);
  return NULL;
}

int rpc_net_split_address(const char *address, char *host, size_t host_cap, int *port) {
  if (!address) return SPATE_EINVAL;
  const char *colon = strrchr(address, ':');
  if (!colon || colon == address || !colon[1]) return SPATE_EINVAL;
  const char *h = address;
  size_t hl = (size_t)(colon - address);
  if (h[0] == '[') { /* [v6]:port */
    if (hl < 3 || h[hl - 1] != ']') return SPATE_EINVAL;
    h++;
    hl -= 2;
  }
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (*end || p < 1 || p > 65535 || hl + 1 > host_cap) return SPATE_EINVAL;
  memcpy(host, h, hl);
  host[hl] = 0;
  *port = (int)p;
  return 0;
}

/* Binds the listener to host:port; err says why not. */
static int bind_listener(rpc_net *n, const char *host, int port, char *err, size_t err_len) {
  struct addrinfo hints = {
      .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
  uv_getaddrinfo_t req;
  char ps[16];
  snprintf(ps, sizeof ps, "%d", port);
  int rc = uv_getaddrinfo(&n->loop, &req, NULL, host, ps, &hints); /* synchronous */
  if (rc < 0)
    return sp_err(err, err_len, SPATE_EINVAL, "cannot resolve the bind address '%s': %s",
                  host ? host : "*", uv_strerror(rc));
  rc = uv_tcp_bind(&n->listener, req.addrinfo->ai_addr, 0);
  uv_freeaddrinfo(req.addrinfo);
  if (rc == 0) rc = uv_listen((uv_stream_t *)&n->listener, 128, on_connection);
  if (rc < 0)
    return sp_err(err, err_len, SPATE_EIO, "cannot listen on %s:%d: %s", host ? host : "*", port,
                  uv_strerror(rc));
  return 0;
}

int rpc_net_start(const char *bind_host, int port, const char *advertised_host,
                  const rpc_net_hooks *hooks, rpc_net **out, char *err, size_t err_len) {
  *out = NULL;
  rpc_net *n = sp_calloc(1, sizeof *n);
  if (!n) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  n->hooks = *hooks;
  pthread_mutex_init(&n->mu, NULL);
  int rc = uv_loop_init(&n->loop);
  if (rc < 0) {
    pthread_mutex_destroy(&n->mu);
    sp_free(n);
    return sp_err(err, err_len, SPATE_EIO, "cannot start an event loop: %s", uv_strerror(rc));
  }
  uv_tcp_init(&n->loop, &n->listener);
  n->listener.data = n;
  uv_async_init(&n->loop, &n->wake, on_wake);
  n->wake.data = n;
  const char *bh = bind_host && bind_host[0] ? bind_host : NULL;
  rc = bind_listener(n, bh, port, err, err_len);
  struct sockaddr_storage ss;
  int sl = sizeof ss;
  if (rc == 0 && uv_tcp_getsockname(&n->listener, (struct sockaddr *)&ss, &sl) == 0 &&
      !(n->address = net_listen_address(&ss, bh, advertised_host)))
    rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  if (rc == 0 && pthread_create(&n->thread, NULL, loop_main, n) != 0)
    rc = sp_err(err, err_len, SPATE_ENOMEM, "cannot start the RPC thread");
  if (rc < 0) {
    uv_walk(&n->loop, close_walk, NULL);
    uv_run(&n->loop, UV_RUN_DEFAULT);
    uv_loop_close(&n->loop);
    pthread_mutex_destroy(&n->mu);
    sp_free(n->address);
    sp_free(n);
    return rc;
  }
  *out = n;
  return 0;
}

const char *rpc_net_address(const rpc_net *n) { return n->address; }

int rpc_net_send(rpc_net *n, const char *peer, const char *to, uint32_t type, const void *msg,
                 size_t len) {
  return rpc_net_send_from(n, NULL, peer, to, type, msg, len);
}

int rpc_net_send_from(rpc_net *n, const char *from, const char *peer, const char *to, uint32_t type,
                      const void *msg, size_t len) {
  char host[256];
  int port;
  if (rpc_net_split_address(peer, host, sizeof host, &port) < 0) return SPATE_EINVAL;
  sp_writer p, w;
  sp_writer_init(&p);
  sp_put_str(&p, to);
  sp_put_u32(&p, type);
  sp_put_bytes(&p, msg, len);
  if (p.failed) {
    sp_writer_free(&p);
    return SPATE_ENOMEM;
  }
  if (p.len > SP_WIRE_MAX_PAYLOAD) {
    SP_WARN("rpc", "not sending message %u to %s/%s: %zu bytes exceed the frame limit", type, peer,
            to, p.len);
    sp_writer_free(&p);
    return SPATE_EINVAL;
  }
  sp_writer_init(&w);
  sp_wire_put_frame(&w, RN_MESSAGE, p.data, p.len);
  sp_writer_free(&p);
  rn_out *o = sp_calloc(1, sizeof *o);
  if (!o || w.failed || !(o->peer = sp_strdup(peer)) ||
      (from && (!(o->from = sp_strdup(from)) || !(o->to = sp_strdup(to))))) {
    out_free(o);
    sp_writer_free(&w);
    return SPATE_ENOMEM;
  }
  o->data = sp_writer_take(&w, &o->len);
  o->type = type;
  pthread_mutex_lock(&n->mu);
  bool stopping = n->stopping;
  if (!stopping) {
    if (n->out_tail)
      n->out_tail->next = o;
    else
      n->out_head = o;
    n->out_tail = o;
    uv_async_send(&n->wake);
  }
  pthread_mutex_unlock(&n->mu);
  if (stopping) {
    out_free(o);
    return SPATE_ESTATE;
  }
  return 0;
}

void rpc_net_stop(rpc_net *n) {
  if (!n) return;
  pthread_mutex_lock(&n->mu);
  n->stopping = true;
  uv_async_send(&n->wake);
  pthread_mutex_unlock(&n->mu);
  pthread_join(n->thread, NULL);
  uv_walk(&n->loop, close_walk, NULL); /* nothing should be left; be sure */
  uv_run(&n->loop, UV_RUN_DEFAULT);
  uv_loop_close(&n->loop);
  for (rn_out *o = n->out_head, *x; o; o = x) {
    x = o->next;
    out_free(o);
  }
  pthread_mutex_destroy(&n->mu);
  sp_free(n->address);
  sp_free(n);
}
