/*
 * rpc_net.h: the RPC transport between processes: framed messages over TCP (libuv), for the
 * endpoints of cluster/rpc.h in a JobManager, a TaskManager or a client talking to them.
 *
 * A process listens on one address ("host:port", the port may be chosen by the system) and sends
 * a message for an endpoint of another process over a connection it opened to that process; it
 * receives on connections others opened to it. So two processes that talk both ways have two
 * connections, each carrying messages one way. Each connection starts with the hellos of
 * net/frame.h (protocol version checked) and, from the side that opened it, an IDENT frame with
 * its own listening address; then MESSAGE frames follow:
 *
 *   IDENT   (1): str address of the sender ("host:port")
 *   MESSAGE (2): str endpoint name at the receiver, u32 message type, the message's bytes (the
 *                rest of the payload)
 *
 * Strings and integers as base/bytes.h writes them (little-endian, length-prefixed strings).
 * A malformed or unexpected frame, a foreign peer or another protocol version closes that
 * connection with a logged reason; the process carries on. An open connection that closes (or
 * breaks on a write) is reported as the loss of that peer (peer_lost), which the cluster counts as
 * the loss of the process at once. A connection that cannot be opened (resolving or connecting
 * fails) is no loss: the messages queued for it are dropped, and those sent with a sender
 * (rpc_net_send_from) are reported to it (undelivered): the failed RPCs that
 * heartbeat.rpc-failure-threshold counts. A peer that stops answering without closing is found
 * by the heartbeats above this layer.
 *
 * Threads: one libuv loop thread per transport runs every socket. rpc_net_send may be called
 * from any thread; it queues the message and wakes the loop. The hooks run on the loop thread
 * and must not block for long.
 */
#ifndef SPATE_NET_RPC_NET_H
#define SPATE_NET_RPC_NET_H
#include <stddef.h>
#include <stdint.h>

typedef struct rpc_net rpc_net;

typedef struct rpc_net_hooks {
  void *arg;
  /* A message for local endpoint `to` arrived from `from` (the peer's listening address, or ""
   * if it never identified itself). */
  void (*deliver)(void *arg, const char *from, const char *to, uint32_t type, const uint8_t *msg,
                  size_t len);
  /* The connection to or from `peer` closed, failed or could not be opened. Messages queued for
   * it are dropped. The next send to it opens a new connection. */
  void (*peer_lost)(void *arg, const char *peer, const char *reason);
  /* A message that local endpoint `from` sent to endpoint `to` of `peer` was dropped without
   * being written: no connection to the peer could be opened, or it failed before opening. */
  void (*undelivered)(void *arg, const char *from, const char *peer, const char *to, uint32_t type,
                      const char *reason);
} rpc_net_hooks;

/* Listens on bind_host:port (NULL or "" binds every interface; port 0 picks a free one) and
 * starts the loop thread. advertised_host is the host others reach this process at (NULL:
 * bind_host, else "localhost"). 0, or a negative SPATE_E* code with err saying why (a port in
 * use names the port). Every process that sends also listens, so that its peers know where
 * its messages come from. */
int rpc_net_start(const char *bind_host, int port, const char *advertised_host,
                  const rpc_net_hooks *hooks, rpc_net **out, char *err, size_t err_len);
/* The listening address others reach this process at: "host:port". */
const char *rpc_net_address(const rpc_net *n);
/* Queues a message for endpoint `to` of the process at `peer` ("host:port"). 0 once queued (a
 * connection that closes is reported through peer_lost, one that cannot be opened drops the
 * message), SPATE_EINVAL for a malformed peer address or
 * a message over the frame limit, SPATE_ENOMEM, SPATE_ESTATE once stopping. */
int rpc_net_send(rpc_net *n, const char *peer, const char *to, uint32_t type, const void *msg,
                 size_t len);
/* The same from local endpoint `from` (NULL: rpc_net_send), which hears through the undelivered
 * hook if the message is dropped unwritten. */
int rpc_net_send_from(rpc_net *n, const char *from, const char *peer, const char *to, uint32_t type,
                      const void *msg, size_t len);
/* Closes every connection at once (what is not yet written is dropped) and stops the thread. */
void rpc_net_stop(rpc_net *n);

/* Splits "host:port" into host (at most host_cap bytes with its terminator) and port: 0, or
 * SPATE_EINVAL. Bracketed IPv6 ("[::1]:6123") is accepted. */
int rpc_net_split_address(const char *address, char *host, size_t host_cap, int *port);
#endif
