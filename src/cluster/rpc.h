/*
 * rpc.h: messaging between the cluster components (Dispatcher, ResourceManager, JobMaster,
 * TaskExecutor) and the client.
 *
 * Each component is an endpoint with an address and a single thread that runs its handler for
 * one message at a time, in arrival order (Flink's RPC main-thread model), so component state
 * needs no locks. Messages are bytes (base/bytes.h encodings), never pointers, so a TCP
 * transport can carry them between processes without changing the components: this file is the
 * in-process transport.
 *
 * Lock: service->mu guards the endpoint table; each endpoint's queue has its own mutex.
 */
#ifndef SPATE_CLUSTER_RPC_H
#define SPATE_CLUSTER_RPC_H
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
#endif
