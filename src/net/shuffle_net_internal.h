/*
 * shuffle_net_internal.h: what the two halves of the network shuffle share (see shuffle_net.h):
 * shuffle_net.c (the work list, connections, the data server's channels, the loop thread, start
 * and stop) and shuffle_net_input.c (the consuming side: remote input channels, their mirrors,
 * credit, and the input gates' floating buffers). Not for use outside src/net/shuffle_net*.c.
 */
#ifndef SPATE_NET_SHUFFLE_NET_INTERNAL_H
#define SPATE_NET_SHUFFLE_NET_INTERNAL_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "base/bytes.h"
#include "base/sync.h"
#include "net/frame.h"
#include "net/shuffle_net.h"
#include "net/shuffle_protocol.h"
#include "runtime/buffer_pool.h"
#include "runtime/result_partition.h"

/* What a channel asks of the loop thread (work.bits). */
enum { W_OPEN = 1, W_CREDIT = 2, W_CANCEL = 4, W_DATA = 8 };

/* A channel with something for the loop thread to do; the list is guarded by net->mu. */
typedef struct work {
  struct work *next;
  unsigned bits;
  bool listed;
  bool server; /* a schan, else a cch */
  uint32_t id; /* its receiver id on its connection (loop thread) */
} work;

typedef struct conn conn;
typedef struct gate gate;

/* A client channel: a mirror partition filled from a producer in another TaskManager. */
typedef struct cch {
  work w;
  _Atomic int refs;
  pthread_mutex_t mu;   /* guards net and rp */
  shuffle_net *net;     /* NULL once the net stopped */
  result_partition *rp; /* the mirror; NULL once its last reference went */
  uint32_t credit_due;  /* recycled buffers not yet announced (net->mu) */
  /* Its input gate's floating buffers (NULL gate: exclusive credit only). The fields below are
   * guarded by gate->mu. */
  gate *g;
  result_partition *mirror; /* ch->rp as opened; read by the gate while ch is in its list */
  struct cch *gnext;        /* g->chans: channels whose mirror lives */
  struct cch *wnext;        /* g's waiting list */
  bool waiting;
  rt_buffer **held; /* floating buffers granted as credit and not yet filled (cap g->floating) */
  uint32_t nheld;
  uint32_t backlog; /* the producer's last announced backlog */
  uint32_t deficit; /* floating buffers still wanted to cover it */
  /* loop thread only */
  conn *c;
  struct cch *all_next;
  char *address;
  struct sockaddr_storage sa;
  shuf_request req;
} cch;

/* A server channel: one subpartition of a local partition, sent against credit. */
typedef struct schan {
  work w;
  conn *c;
  result_partition *rp; /* referenced */
  int sub;
  sp_event ev; /* the subpartition's consumer event, hooked to wake the loop */
  uint32_t credit;
  uint32_t backlog_sent; /* the backlog the consumer side last heard of */
  int64_t announced;     /* highest announced barrier forwarded */
} schan;

/* An input gate's floating buffers (Flink's LocalBufferPool of a SingleInputGate): one per
 * (job, edge, consumer subtask) with remote channels here, shared by those channels. A channel
 * whose producer's backlog exceeds its credit takes floating buffers from the pool and announces
 * them as credit; the consuming task recycles them into this pool, whose hook hands them to the
 * channels waiting, in order. So a gate's mirrors hold at most their exclusive buffers plus the
 * gate's floating ones. Lock order: ch->mu, then g->mu, then net->mu. */
struct gate {
  gate *next;       /* net->gates (net->mu) */
  _Atomic int refs; /* the registry's while listed, and one per channel */
  int members;      /* channels not yet cancelled (net->mu) */
  bool listed;      /* in net->gates (net->mu) */
  char *job;
  int edge, consumer;
  uint32_t floating, size;
  bufpool *pool;
  pthread_mutex_t mu;
  shuffle_net *net; /* NULL once the net stopped: no more credit announced */
  cch *chans;
  cch *wait_head, *wait_tail;
};

#define MAX_SLOTS 65536u

struct conn {
  uv_tcp_t tcp;
  shuffle_net *net;
  conn *next;
  bool client, connected, closing;
  char *peer; /* the client's dialed "host:port", or the accepted peer's address */
  sp_wire_reader rd;
  sp_writer pending; /* bytes written before the connection was established */
  work **slots;      /* channels by receiver id & 0xffff */
  uint32_t nslots;
  uint32_t gen;
  uint8_t rbuf[64 * 1024];
};

struct shuffle_net {
  shuffle_env *env;
  uv_loop_t loop;
  uv_tcp_t server;
  uv_async_t wake;
  pthread_t thread;
  char *address;
  pthread_mutex_t mu; /* guards the work list and stopping */
  work *head, *tail;
  bool stopping;
  bool shut;               /* loop thread: the shutdown ran */
  conn *conns;             /* loop thread */
  cch *all;                /* loop thread: client channels holding the net's reference */
  gate *gates;             /* input gates with floating buffers (net->mu) */
  _Atomic uint64_t opened; /* client connections opened */
};

/* ---- shuffle_net.c ---- */

/* Lists w with bits (and credit more buffers to announce); net->mu held. */
void sn_post_locked(shuffle_net *net, work *w, unsigned bits, uint32_t credit);
/* The same, taking net->mu, and wakes the loop thread. */
void sn_post(shuffle_net *net, work *w, unsigned bits, uint32_t credit);
/* The channel with receiver id on c, or NULL (loop thread). */
work *sn_slot_get(conn *c, uint32_t id);
/* Grows c's slot table to hold slot s; false when out of memory (loop thread). */
bool sn_slots_reserve(conn *c, uint32_t s);
/* Writes w's frame(s) to c, or fails c if w failed; frees w (loop thread). */
void sn_conn_send(conn *c, sp_writer *w);
/* The open client connection to ch's address, or a new one being established (loop thread). */
conn *sn_client_conn(shuffle_net *net, cch *ch);
/* Splits "host:port" (IPv6 hosts in brackets) and resolves it. */
int sn_resolve(const char *address, bool passive, struct sockaddr_storage *out, char *err,
               size_t err_len);

/* ---- shuffle_net_input.c ---- */

/* Fails a client channel's mirror: its consumer reads what arrived, then fails with why. */
void sn_cch_fail(cch *ch, const char *why);
/* Does a client channel's posted work: W_OPEN, W_CREDIT (credit more), W_CANCEL (loop thread). */
void sn_cch_work(shuffle_net *net, cch *ch, unsigned bits, uint32_t credit);
/* Drops one reference to a client channel (the net's or its mirror's). */
void sn_cch_unref(cch *ch);
/* Drops one reference to a gate (NULL: no-op). */
void sn_gate_unref(gate *g);
/* A frame on a connection this process opened (it reads partitions): 0, or a negative code with
 * the reason in err, which closes the connection. */
int sn_client_frame(conn *c, const sp_wire_frame *f, char *err, size_t err_len);
/* The shuffle_env's remote side (shuffle_remote_open_fn): a channel's mirror and its request. */
int sn_open_input(void *arg, const char *address, const shuffle_input *in, result_partition **out,
                  char *err, size_t err_len);
#endif
