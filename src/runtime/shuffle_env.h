/*
 * shuffle_env.h: where producers and consumers in one process find each other's partitions.
 *
 * Keyed by (job id, job edge, producer subtask). Either side may ask first: the first call
 * creates the partition, every call returns it with one more reference, and the registry drops
 * its own entry when asked to release the job. A TCP shuffle for remote TaskManagers will put
 * the same interface in front of network channels.
 *
 * Lock: env->mu guards the registry; taken at task set-up and teardown only.
 */
#ifndef SPATE_RUNTIME_SHUFFLE_ENV_H
#define SPATE_RUNTIME_SHUFFLE_ENV_H
#include <pthread.h>
#include "runtime/result_partition.h"

typedef struct shuffle_env shuffle_env;

int shuffle_env_create(shuffle_env **out);
void shuffle_env_destroy(shuffle_env *env);
/* Returns the partition with a reference for the caller, creating it with nsub subpartitions and
 * a pool of `buffers` buffers of `size` bytes if needed. */
int shuffle_env_partition(shuffle_env *env, const char *job_id, int edge, int producer, int nsub,
                          uint32_t buffers, uint32_t size, result_partition **out);
/* Drops the registry's references to all partitions of a job. */
void shuffle_env_release_job(shuffle_env *env, const char *job_id);
#endif
