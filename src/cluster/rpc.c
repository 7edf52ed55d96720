/*
 * rpc.c: the endpoints of one process: an endpoint table and one queue + thread per endpoint.
 * Messages for endpoints of other processes go through net/rpc_net.h, and messages from them
 * arrive through it.
 */
#include "cluster/rpc.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/hash_table.h"
#include "base/log.h"
#include "net/rpc_net.h"
#include "spate/spate.h"

/* rpc_flush's marker: set once the endpoint's thread reached it. */
typedef struct rpc_flush_wait {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  bool reached;
} rpc_flush_wait;

typedef struct rpc_msg {
  struct rpc_msg *next;
  rpc_flush_wait *flush; /* a marker, not a message */
  int64_t due_ns;        /* delayed messages: clock time (sp_clock_mono_ns) at which they are due */
  uint32_t type;
  uint8_t *data;
  size_t len;
  int stop;
} rpc_msg;

struct rpc_endpoint {
  rpc_service *svc;
  char *address;
  rpc_handler handler;
  void *self;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  rpc_msg *head, *tail;
  rpc_msg *delayed;       /* rpc_send_after: sorted by due_ns */
  sp_clock_sub clock_sub; /* a manual clock's advances wake the thread for delayed messages */
};

struct rpc_service {
  pthread_mutex_t mu;
  sp_htab endpoints; /* rpc_endpoint by address */
  sp_clock *clock;
  rpc_net *net;    /* set once by rpc_service_listen */
  char **watchers; /* endpoints told of lost peers; under mu */
  int nwatchers;
};

int rpc_service_create(sp_clock *clock, rpc_service **out) {
  rpc_service *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  pthread_mutex_init(&s->mu, NULL);
  s->clock = clock ? clock : sp_clock_system();
  *out = s;
  return 0;
}

sp_clock *rpc_service_clock(const rpc_service *s) { return s->clock; }

void rpc_service_destroy(rpc_service *s) {
  if (!s) return;
  rpc_net_stop(s->net);
  for (int i = 0; i < s->nwatchers; i++) sp_free(s->watchers[i]);
  sp_free(s->watchers);
  sp_htab_free(&s->endpoints);
  pthread_mutex_destroy(&s->mu);
  sp_free(s);
}

static void enqueue(rpc_endpoint *ep, rpc_msg *m) {
  pthread_mutex_lock(&ep->mu);
  if (ep->tail)
    ep->tail->next = m;
  else
    ep->head = m;
  ep->tail = m;
  pthread_cond_signal(&ep->cond);
  pthread_mutex_unlock(&ep->mu);
}

/* The clock moved: the thread re-checks its delayed messages. Called under the clock's lock. */
static void wake_on_clock(void *arg) {
  rpc_endpoint *ep = arg;
  pthread_mutex_lock(&ep->mu);
  pthread_cond_signal(&ep->cond);
  pthread_mutex_unlock(&ep->mu);
}

static void *endpoint_main(void *arg) {
  rpc_endpoint *ep = arg;
  sp_clock *clock = ep->svc->clock;
  for (;;) {
    pthread_mutex_lock(&ep->mu);
    for (;;) {
      int64_t now = sp_clock_mono_ns(clock);
      while (ep->delayed && ep->delayed->due_ns <= now) { /* due: to the end of the queue */
        rpc_msg *d = ep->delayed;
        ep->delayed = d->next;
        d->next = NULL;
        if (ep->tail)
          ep->tail->next = d;
        else
          ep->head = d;
        ep->tail = d;
      }
      if (ep->head) break;
      if (ep->delayed && !clock->manual) {
        struct timespec ts;
        int64_t due = ep->delayed->due_ns;
        ts.tv_sec = (time_t)(due / 1000000000);
        ts.tv_nsec = (long)(due % 1000000000);
        pthread_cond_timedwait(&ep->cond, &ep->mu, &ts);
      } else {
        pthread_cond_wait(&ep->cond, &ep->mu);
      }
    }
    rpc_msg *m = ep->head;
    ep->head = m->next;
    if (!ep->head) ep->tail = NULL;
    pthread_mutex_unlock(&ep->mu);
    int stop = m->stop;
    if (m->flush) {
      pthread_mutex_lock(&m->flush->mu);
      m->flush->reached = true;
      pthread_cond_signal(&m->flush->cond);
      pthread_mutex_unlock(&m->flush->mu);
    } else if (!stop) {
      sp_reader r;
      sp_reader_init(&r, m->data, m->len);
      ep->handler(ep->self, m->type, &r);
    }
    sp_free(m->data);
    sp_free(m);
    if (stop) return NULL;
  }
}

static uint64_t address_hash(const char *address) { return sp_hash64(address, strlen(address)); }

/* The slot of the endpoint at address, or NULL; under s->mu. */
static sp_htab_slot *find_slot(rpc_service *s, const char *address) {
  uint64_t h = address_hash(address);
  sp_htab_slot *slot = sp_htab_first(&s->endpoints, h);
  while (slot && strcmp(((rpc_endpoint *)slot->entry)->address, address) != 0)
    slot = sp_htab_next(&s->endpoints, slot);
  return slot;
}

static rpc_endpoint *find(rpc_service *s, const char *address) {
  sp_htab_slot *slot = find_slot(s, address);
  return slot ? slot->entry : NULL;
}

int rpc_endpoint_start(rpc_service *s, const char *address, rpc_handler handler, void *self,
                       rpc_endpoint **out) {
  *out = NULL;
  rpc_endpoint *ep = sp_calloc(1, sizeof *ep);
  if (!ep || !(ep->address = sp_strdup(address))) {
    sp_free(ep);
    return SPATE_ENOMEM;
  }
  ep->svc = s;
  ep->handler = handler;
  ep->self = self;
  ep->clock_sub = (sp_clock_sub){.wake = wake_on_clock, .arg = ep};
  pthread_mutex_init(&ep->mu, NULL);
  pthread_condattr_t ca; /* timed waits for delayed messages use the monotonic clock */
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&ep->cond, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_lock(&s->mu);
  int rc = find_slot(s, address) ? SPATE_EINVAL : sp_htab_reserve(&s->endpoints, 1);
  if (rc == 0 && pthread_create(&ep->thread, NULL, endpoint_main, ep) != 0) rc = SPATE_ENOMEM;
  if (rc < 0) {
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_destroy(&ep->mu);
    pthread_cond_destroy(&ep->cond);
    sp_free(ep->address);
    sp_free(ep);
    return rc;
  }
  sp_htab_insert(&s->endpoints, address_hash(address), ep);
  pthread_mutex_unlock(&s->mu);
  sp_clock_subscribe(s->clock, &ep->clock_sub);
  *out = ep;
  return 0;
}

void rpc_endpoint_stop(rpc_endpoint *ep) {
  if (!ep) return;
  rpc_service *s = ep->svc;
  pthread_mutex_lock(&s->mu); /* unregister first: later sends fail instead of queueing */
  sp_htab_slot *slot = find_slot(s, ep->address);
  if (slot) sp_htab_remove(&s->endpoints, slot);
  for (int i = 0; i < s->nwatchers; i++) /* no longer told of lost peers */
    if (strcmp(s->watchers[i], ep->address) == 0) {
      sp_free(s->watchers[i]);
      s->watchers[i--] = s->watchers[--s->nwatchers];
    }
  pthread_mutex_unlock(&s->mu);
  sp_clock_unsubscribe(s->clock, &ep->clock_sub);
  rpc_msg *m = sp_calloc(1, sizeof *m);
  if (m) {
    m->stop = 1;
    enqueue(ep, m);
  }
  pthread_join(ep->thread, NULL);
  for (rpc_msg *q = ep->head, *n; q; q = n) {
    n = q->next;
    sp_free(q->data);
    sp_free(q);
  }
  for (rpc_msg *q = ep->delayed, *n; q; q = n) { /* never due now */
    n = q->next;
    sp_free(q->data);
    sp_free(q);
  }
  pthread_mutex_destroy(&ep->mu);
  pthread_cond_destroy(&ep->cond);
  sp_free(ep->address);
  sp_free(ep);
}

/* Queues data (taken over) for the local endpoint `to`: at once (due_ns 0) or when due_ns has
 * come. */
static int deliver_local(rpc_service *s, const char *to, uint32_t type, uint8_t *data, size_t len,
                         int64_t due_ns) {
  rpc_msg *m = sp_calloc(1, sizeof *m);
  if (!m) {
    sp_free(data);
    return SPATE_ENOMEM;
  }
  m->type = type;
  m->data = data;
  m->len = len;
  m->due_ns = due_ns;
  pthread_mutex_lock(&s->mu);
  rpc_endpoint *ep = find(s, to);
  if (ep && !due_ns) {
    enqueue(ep, m); /* under the table lock: the endpoint cannot be freed meanwhile */
  } else if (ep) {
    pthread_mutex_lock(&ep->mu);
    rpc_msg **pp = &ep->delayed;
    while (*pp && (*pp)->due_ns <= m->due_ns) pp = &(*pp)->next;
    m->next = *pp;
    *pp = m;
    pthread_cond_signal(&ep->cond);
    pthread_mutex_unlock(&ep->mu);
  }
  pthread_mutex_unlock(&s->mu);
  if (!ep) {
    sp_free(m->data);
    sp_free(m);
    return SPATE_ENOENT;
  }
  return 0;
}

/* The local endpoint name of a qualified address of this process, else NULL. */
static const char *local_name(const rpc_service *s, const char *to) {
  const char *slash = strchr(to, '/');
  if (!slash) return to;
  const char *self = s->net ? rpc_net_address(s->net) : NULL;
  size_t pl = (size_t)(slash - to);
  return self && strlen(self) == pl && memcmp(self, to, pl) == 0 ? slash + 1 : NULL;
}

/* Sends the writer's bytes to `to`, local or remote: at once (due_ns 0) or when due. A remote
 * message that is dropped is reported to the local endpoint `from` (NULL: to nobody). */
static int deliver(rpc_service *s, const char *from, const char *to, uint32_t type,
                   sp_writer *payload, int64_t due_ns) {
  if (payload->failed) {
    sp_writer_free(payload);
    return SPATE_ENOMEM;
  }
  const char *name = local_name(s, to);
  if (name) {
    size_t len;
    uint8_t *data = sp_writer_take(payload, &len);
    return deliver_local(s, name, type, data, len, due_ns);
  }
  /* another process: its "host:port" and the endpoint's name there */
  const char *slash = strchr(to, '/');
  char peer[300];
  size_t pl = (size_t)(slash - to);
  int rc = SPATE_ENOENT;
  if (due_ns || pl >= sizeof peer) {
    rc = SPATE_EINVAL; /* timers are for the sender's own endpoints */
  } else if (s->net) {
    memcpy(peer, to, pl);
    peer[pl] = 0;
    rc = rpc_net_send_from(s->net, from, peer, slash + 1, type, payload->data, payload->len);
  }
  sp_writer_free(payload);
  return rc;
}

int rpc_send_after(rpc_service *s, const char *to, uint32_t type, sp_writer *payload,
                   int64_t delay_ms) {
  if (delay_ms <= 0) return deliver(s, NULL, to, type, payload, 0);
  return deliver(s, NULL, to, type, payload, sp_clock_mono_ns(s->clock) + delay_ms * 1000000LL);
}

int rpc_send(rpc_service *s, const char *to, uint32_t type, sp_writer *payload) {
  return deliver(s, NULL, to, type, payload, 0);
}

int rpc_send_tracked(rpc_service *s, const char *from, const char *to, uint32_t type,
                     sp_writer *payload) {
  return deliver(s, from, to, type, payload, 0);
}

int rpc_flush(rpc_service *s, const char *to) {
  rpc_flush_wait fw = {.reached = false};
  rpc_msg *m = sp_calloc(1, sizeof *m);
  if (!m) return SPATE_ENOMEM;
  m->flush = &fw;
  pthread_mutex_init(&fw.mu, NULL);
  pthread_cond_init(&fw.cond, NULL);
  pthread_mutex_lock(&s->mu);
  rpc_endpoint *ep = find(s, to);
  /* under the table lock: a stop that follows queues its marker after this one */
  if (ep) enqueue(ep, m);
  pthread_mutex_unlock(&s->mu);
  if (ep) {
    pthread_mutex_lock(&fw.mu);
    while (!fw.reached) pthread_cond_wait(&fw.cond, &fw.mu);
    pthread_mutex_unlock(&fw.mu);
  } else {
    sp_free(m);
  }
  pthread_mutex_destroy(&fw.mu);
  pthread_cond_destroy(&fw.cond);
  return ep ? 0 : SPATE_ENOENT;
}

static void net_deliver(void *arg, const char *from, const char *to, uint32_t type,
                        const uint8_t *msg, size_t len) {
  rpc_service *s = arg;
  uint8_t *copy = sp_malloc(len ? len : 1);
  if (!copy) return;
  if (len) memcpy(copy, msg, len);
  if (deliver_local(s, to, type, copy, len, 0) == SPATE_ENOENT)
    SP_DEBUG("rpc", "dropping message %u from %s for '%s': no such endpoint", type,
             from ? from : "?", to);
}

static void net_peer_lost(void *arg, const char *peer, const char *reason) {
  rpc_service *s = arg;
  pthread_mutex_lock(&s->mu);
  int n = s->nwatchers;
  char **names = n ? sp_calloc((size_t)n, sizeof *names) : NULL;
  for (int i = 0; names && i < n; i++) names[i] = sp_strdup(s->watchers[i]);
  pthread_mutex_unlock(&s->mu);
  for (int i = 0; names && i < n; i++) {
    sp_writer w;
    sp_writer_init(&w);
    sp_put_str(&w, peer);
    sp_put_str(&w, reason ? reason : "");
    if (names[i]) rpc_send(s, names[i], RPC_MSG_PEER_LOST, &w);
    sp_free(names[i]);
  }
  sp_free(names);
}

/* A message from the local endpoint `from` could not be delivered: it hears of it. */
static void net_undelivered(void *arg, const char *from, const char *peer, const char *to,
                            uint32_t type, const char *reason) {
  rpc_service *s = arg;
  size_t cap = strlen(peer) + strlen(to) + 2;
  char *address = sp_malloc(cap);
  if (!address) return;
  snprintf(address, cap, "%s/%s", peer, to);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, address);
  sp_put_u32(&w, type);
  sp_put_str(&w, reason ? reason : "");
  rpc_send(s, from, RPC_MSG_UNDELIVERED, &w); /* a sender that stopped meanwhile wants nothing */
  sp_free(address);
}

int rpc_service_listen(rpc_service *s, const char *bind_host, int port, const char *advertised_host,
                       char *err, size_t err_len) {
  if (s->net) return sp_err(err, err_len, SPATE_ESTATE, "the RPC service listens already");
  rpc_net_hooks h = {
      .arg = s, .deliver = net_deliver, .peer_lost = net_peer_lost, .undelivered = net_undelivered};
  rpc_net *n;
  int rc = rpc_net_start(bind_host, port, advertised_host, &h, &n, err, err_len);
  if (rc == 0) s->net = n; /* before any endpoint hands out a qualified address */
  return rc;
}

const char *rpc_service_address(const rpc_service *s) {
  return s->net ? rpc_net_address(s->net) : NULL;
}

char *rpc_address_of(const rpc_service *s, const char *name) {
  const char *self = rpc_service_address(s);
  if (!self) return sp_strdup(name);
  size_t cap = strlen(self) + strlen(name) + 2;
  char *a = sp_malloc(cap);
  if (a) snprintf(a, cap, "%s/%s", self, name);
  return a;
}

bool rpc_address_process(const char *address, char *out, size_t cap) {
  const char *slash = address ? strchr(address, '/') : NULL;
  if (cap) out[0] = 0;
  if (!slash) return false;
  size_t pl = (size_t)(slash - address);
  if (pl + 1 > cap) return false;
  memcpy(out, address, pl);
  out[pl] = 0;
  return true;
}

bool rpc_address_is_local(const rpc_service *s, const char *address) {
  return local_name(s, address) != NULL;
}

int rpc_watch_peers(rpc_service *s, const char *name) {
  char *copy = sp_strdup(name);
  if (!copy) return SPATE_ENOMEM;
  pthread_mutex_lock(&s->mu);
  char **nw = sp_realloc(s->watchers, sizeof *nw * (size_t)(s->nwatchers + 1));
  if (nw) {
    nw[s->nwatchers++] = copy;
    s->watchers = nw;
  }
  pthread_mutex_unlock(&s->mu);
  if (!nw) sp_free(copy);
  return nw ? 0 : SPATE_ENOMEM;
}
