/*
 * rpc.h: messaging between the cluster components (Dispatcher, ResourceManager, JobMaster,
 * TaskExecutor) and the client.
 *
 * Each component is an endpoint with an address and a single thread that runs its handler for
 * one message at a time, in arrival order (Flink's RPC main-thread model), so component state
 * needs no locks. Messages are bytes (base/bytes.h encodings), never pointers, so they cross
 * processes unchanged: an address "host:port/name" names endpoint `name` of the process listening
 * at host:port (net/rpc_net.h carries the message there), a bare name an endpoint of this process.
 * A service that listens (rpc_service_listen) gives its endpoints such qualified addresses
 * (rpc_address_of); in a MiniCluster every address is a bare name.
 *
 * Lock: service->mu guards the endpoint table; each endpoint's queue has its own mutex.
 */
#ifndef SPATE_CLUSTER_RPC_H
#define SPATE_CLUSTER_RPC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/bytes.h"
#include "base/clock.h"

typedef struct rpc_service rpc_service;
typedef struct rpc_endpoint rpc_endpoint;

/* Handles one message; `msg` is valid only during the call. */
typedef void (*rpc_handler)(void *self, uint32_t type, sp_reader *msg);

/* Delayed messages (rpc_send_after) are due on `clock` (NULL: the system clock), which must
 * outlive the service. */
int rpc_service_create(sp_clock *clock, rpc_service **out);
/* The clock the components of this service read (never NULL). */
sp_clock *rpc_service_clock(const rpc_service *s);
void rpc_service_destroy(rpc_service *s);
/* Registers an endpoint and starts its thread. Address must be unique (SPATE_EINVAL). */
int rpc_endpoint_start(rpc_service *s, const char *address, rpc_handler handler, void *self,
                       rpc_endpoint **out);
/* Processes what is queued, stops the thread, unregisters and frees the endpoint. Must not be
 * called from the endpoint's own thread. */
void rpc_endpoint_stop(rpc_endpoint *ep);
/* Sends the writer's bytes to an address (the writer is reset). SPATE_ENOENT if there is no such
 * endpoint, SPATE_ENOMEM if the writer failed. */
int rpc_send(rpc_service *s, const char *to, uint32_t type, sp_writer *payload);
/* rpc_send that reports a message it could not deliver to the local endpoint `from`: a
 * synchronous failure is the return value, as for rpc_send; a message for another process that
 * is dropped because no connection to it could be opened (or it closed before the message was
 * written) comes back to `from` as RPC_MSG_UNDELIVERED (str to, u32 type, str reason). Heartbeat
 * requests and answers go this way: a failed heartbeat RPC counts towards
 * heartbeat.rpc-failure-threshold (cluster/heartbeat_monitor.h). */
int rpc_send_tracked(rpc_service *s, const char *from, const char *to, uint32_t type,
                     sp_writer *payload);
/* Same, delivered after delay_ms of the service's clock (timers of the components: checkpoint
 * triggers and timeouts, restart backoff). Messages not yet due when the endpoint stops are
 * dropped. */
int rpc_send_after(rpc_service *s, const char *to, uint32_t type, sp_writer *payload,
                   int64_t delay_ms);
/* Waits until the endpoint at `to` has handled every message queued for it before the call
 * (delayed messages that are not yet due excepted): 0, or SPATE_ENOENT if there is no such
 * endpoint. For programs that drive components message by message (tests/fuzz/fuzz_messages.c);
 * must not be called from an endpoint's thread. */
int rpc_flush(rpc_service *s, const char *to);

/* Makes the service reachable from other processes: listens on bind_host:port (port 0 picks a
 * free one) and advertises advertised_host (see rpc_net_start). Sends to "host:port/name" of
 * other processes work without listening too, but peers can then not answer. */
int rpc_service_listen(rpc_service *s, const char *bind_host, int port, const char *advertised_host,
                       char *err, size_t err_len);
/* "host:port" others reach this service at, or NULL if it does not listen. */
const char *rpc_service_address(const rpc_service *s);
/* The address of this service's endpoint `name` as other processes know it ("host:port/name"
 * when listening, else name); the caller frees it. NULL only if out of memory. */
char *rpc_address_of(const rpc_service *s, const char *name);
/* The process part ("host:port") of a qualified address, copied into out (cap bytes): true, or
 * false for a bare name (out gets ""). */
bool rpc_address_process(const char *address, char *out, size_t cap);
/* Whether address names an endpoint of this service (a bare name, or this service's own
 * "host:port/"). */
bool rpc_address_is_local(const rpc_service *s, const char *address);
/* Subscribes the local endpoint `name` to losses of peer processes: when an open connection to or
 * from another process closes, it gets MSG_PEER_LOST (messages.h: str peer "host:port", str
 * reason). A connection that cannot be opened is no loss: no connection closed; the messages it
 * was to carry are dropped (rpc_send_tracked reports them to their sender). */
int rpc_watch_peers(rpc_service *s, const char *name);
/* The message type rpc.c sends watchers (messages.h gives it a name in the components' enum). */
#define RPC_MSG_PEER_LOST 1000u
/* The message type rpc_send_tracked's senders get for a message that was not delivered. */
#define RPC_MSG_UNDELIVERED 1001u
#endif
