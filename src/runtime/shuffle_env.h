/*
 * shuffle_env.h: where producers and consumers find each other's partitions.
 *
 * Keyed by (job id, job edge, producer subtask). Either side may ask first: the first call
 * creates the partition, every call returns it with one more reference, and the registry drops
 * its own entry when asked to release the job.
 *
 * A consumer asks for its input with shuffle_env_input. Without a placement for the job (the
 * MiniCluster) every producer is in this process and the answer is the producer's partition
 * itself: the pointer hand-off, no cost added. With a placement (Flink's shuffle descriptors:
 * where each producer subtask runs), a producer on another TaskManager is reached through the
 * remote side installed by the network shuffle (net/shuffle_net.h): the answer is a local
 * "mirror" partition of one subpartition whose bounded pool is the channel's credit and which
 * the network fills. The consumer reads both the same way; no component reads another
 * process's memory.
 *
 * Lock: env->mu guards the registry, the placements and the remote side; taken at task set-up
 * and teardown only.
 */
#ifndef SPATE_RUNTIME_SHUFFLE_ENV_H
#define SPATE_RUNTIME_SHUFFLE_ENV_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "runtime/result_partition.h"

typedef struct shuffle_env shuffle_env;

/* How many released job keys a shuffle_env remembers to refuse late requests (a ring: a request
 * that comes later than this many releases after its own would create its partition again). */
#define SHUFFLE_ENV_RELEASED_KEPT 256

int shuffle_env_create(shuffle_env **out);
void shuffle_env_destroy(shuffle_env *env);
/* Returns the partition with a reference for the caller, creating it with nsub subpartitions and
 * a pool of `buffers` buffers of `size` bytes if needed. */
int shuffle_env_partition(shuffle_env *env, const char *job_id, int edge, int producer, int nsub,
                          uint32_t buffers, uint32_t size, result_partition **out);
/* The same for a request from another TaskManager (the data server): refused with SPATE_ENOENT,
 * creating nothing, when the job was released here and not deployed here again since
 * (shuffle_env_set_placement). A consumer of an attempt that ended may ask after the release;
 * the partition it would create has no producer and nobody to release it. */
int shuffle_env_partition_for_request(shuffle_env *env, const char *job_id, int edge, int producer,
                                      int nsub, uint32_t buffers, uint32_t size,
                                      result_partition **out);
/* Whether the registry holds the partition (diagnostics and tests). */
bool shuffle_env_has_partition(shuffle_env *env, const char *job_id, int edge, int producer);
/* Drops the registry's references to all partitions of a job, and its placement, and remembers
 * the job as released (the last SHUFFLE_ENV_RELEASED_KEPT released jobs) until it is deployed
 * here again. */
void shuffle_env_release_job(shuffle_env *env, const char *job_id);

/* What a consumer subtask reads: subpartition `sub` of producer subtask `producer` of job edge
 * `edge`. */
typedef struct shuffle_input {
  const char *job_key; /* "<job id>-<attempt>" */
  int edge;            /* the job edge's id */
  int producer_index;  /* the producer's global subtask index in the job graph (placement) */
  int producer;        /* the producer's subtask index in its vertex */
  int sub;             /* the producer's subpartition this consumer reads */
  int nsub;            /* the producer's subpartitions on this edge */
  uint32_t buffers;    /* the producer's pool: buffers of `size` bytes (it may not exist yet) */
  uint32_t size;
  uint32_t credit; /* a remote channel's exclusive buffers
                           (taskmanager.network.memory.buffers-per-channel) */
  /* The input gate the channel belongs to: the consumer subtask's index in its vertex (with
   * job_key and edge it names the gate), and the gate's floating buffers
   * (taskmanager.network.memory.floating-buffers-per-gate), shared by its remote channels. The
   * first remote channel of a gate fixes its floating count; 0: exclusive credit only. */
  int consumer;
  uint32_t floating;
} shuffle_input;

/* The remote side's request: the input above and the producer's TaskManager "host:port". */
typedef int (*shuffle_remote_open_fn)(void *arg, const char *address, const shuffle_input *in,
                                      result_partition **out, char *err, size_t err_len);

/* Installs (open != NULL) or removes the remote side; self_address is this process's data
 * address "host:port" (a placement naming it means local). */
void shuffle_env_set_remote(shuffle_env *env, const char *self_address, shuffle_remote_open_fn open,
                            void *arg);
/* A deployment of job_key here: where each subtask of job_key runs: locations[i] is the data address "host:port" of the
 * TaskManager running the subtask with global index i (each vertex's subtasks in vertex order:
 * the parallelism of earlier vertices + subtask); NULL, "" or this env's own address mean this
 * process. Replaces an earlier placement of the job and forgets an earlier release of job_key.
 * 0 or SPATE_ENOMEM. */
int shuffle_env_set_placement(shuffle_env *env, const char *job_key, const char *const *locations,
                              int n);
/* The partition to read and its subpartition (*out_sub): the producer's own partition when it
 * runs here (shuffle_env_partition), else a mirror filled over the network (*out_sub = 0). The
 * caller owns one reference. A negative code with a message in err if the remote side cannot
 * open the channel. */
int shuffle_env_input(shuffle_env *env, const shuffle_input *in, result_partition **out,
                      int *out_sub, char *err, size_t err_len);
#endif
