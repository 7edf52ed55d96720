/*
 * shuffle_net.h: the exchange between TaskManagers over TCP with credit-based flow control
 * (Flink's Netty shuffle: PartitionRequestServer/Client, CreditBasedPartitionRequestClientHandler,
 * PartitionRequestQueue).
 *
 * One per process, beside its shuffle_env. It serves the process's result partitions to other
 * TaskManagers (the server) and reads the partitions of producers placed on other TaskManagers
 * into local mirror partitions (the client); shuffle_env_input picks it for every producer whose
 * placement names another TaskManager. One libuv loop thread does all of its I/O; one TCP
 * connection per pair of TaskManagers and direction (the consumer's side connects) multiplexes
 * all their channels.
 *
 * Flow control: a channel's consumer side owns a mirror with a pool of `credit` buffers
 * (taskmanager.network.memory.buffers-per-channel) and grants the producer side that many
 * buffers up front; the producer side sends a buffer only against credit and gives it back to
 * the producer's pool once the write has completed; every mirror buffer the consuming task
 * recycles is announced as one more credit. So a consumer that does not read stops its producer
 * through the producer's own pool, exactly as in one process. Each input gate (job edge and
 * consumer subtask) with remote channels here also has a pool of floating buffers
 * (taskmanager.network.memory.floating-buffers-per-gate) shared by those channels: a channel whose
 * producer reports a backlog (with each BUFFER, or in a BACKLOG frame while it has no credit)
 * beyond its credit takes floating buffers and announces them as more credit; the consuming task
 * recycles them into the gate's pool, which hands them to the next channel waiting. A gate's
 * mirrors hold at most exclusive x channels + floating buffers.
 *
 * Failure: a data connection that closes or errs fails every channel on it; the consuming task
 * reads what had arrived and then fails with the connection's reason. A malformed or unexpected
 * frame closes its connection with a logged reason (SP_WARN) and nothing else.
 */
#ifndef SPATE_NET_SHUFFLE_NET_H
#define SPATE_NET_SHUFFLE_NET_H
#include <stddef.h>
#include <stdint.h>

#include "runtime/shuffle_env.h"

typedef struct shuffle_net shuffle_net;

/* Listens on bind_host:port (port 0: a free port) and installs itself as env's remote side.
 * Its data address "<advertised_host>:<port>" (advertised_host NULL: bind_host) is what
 * placements name for this process. 0, or a negative code with a message in err. */
int shuffle_net_start(shuffle_env *env, const char *bind_host, int port,
                      const char *advertised_host, shuffle_net **out, char *err, size_t err_len);
/* "host:port", valid until shuffle_net_stop. */
const char *shuffle_net_address(const shuffle_net *net);
/* Data connections this process opened to other TaskManagers so far (tests: one per peer). */
uint64_t shuffle_net_connections_opened(const shuffle_net *net);
/* An input gate's buffers at one moment (tests and diagnostics). */
typedef struct shuffle_gate_stats {
  int channels;           /* its remote channels whose mirror lives */
  uint32_t exclusive;     /* their exclusive buffers */
  uint32_t floating;      /* the gate's floating buffers */
  uint32_t floating_free; /* of those, in the gate's pool */
  uint32_t floating_held; /* of those, granted to channels as credit and not yet filled */
  uint32_t queued;        /* buffers queued in its mirrors (exclusive and floating) */
  int waiting;            /* channels waiting for floating buffers */
} shuffle_gate_stats;

/* The floating-buffer gate of consumer subtask `consumer` of job edge `edge` of job_key: 0, or
 * SPATE_ENOENT while it has no remote channel with floating buffers. */
int shuffle_net_gate_stats(shuffle_net *net, const char *job_key, int edge, int consumer,
                           shuffle_gate_stats *out);
/* Uninstalls it from its env, closes every connection (their channels fail), stops the loop
 * thread and frees it. Mirrors still held by consumers stay valid and fail. No task of this
 * process may be inside shuffle_env_input meanwhile (stop after the tasks, or before any).
 * NULL: no-op. */
void shuffle_net_stop(shuffle_net *net);
#endif
