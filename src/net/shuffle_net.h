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
 * through the producer's own pool, exactly as in one process. Floating buffers per gate are not
 * granted yet (the backlog is sent, and ignored).
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
/* Uninstalls it from its env, closes every connection (their channels fail), stops the loop
 * thread and frees it. Mirrors still held by consumers stay valid and fail. No task of this
 * process may be inside shuffle_env_input meanwhile (stop after the tasks, or before any).
 * NULL: no-op. */
void shuffle_net_stop(shuffle_net *net);
#endif
