/*
 * shuffle_env.c: the in-process partition registry, a small list (a job has edges x producer
 * subtasks entries; lookups happen at deployment only).
 */
#include "runtime/shuffle_env.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "spate/spate.h"

typedef struct entry {
  struct entry *next;
  char job[48]; /* "<job id>-<attempt>" */
  int edge, producer;
  result_partition *rp; /* the registry's reference */
} entry;

struct shuffle_env {
  pthread_mutex_t mu;
  entry *head;
};

int shuffle_env_create(shuffle_env **out) {
  shuffle_env *e = sp_calloc(1, sizeof *e);
  if (!e) return SPATE_ENOMEM;
  pthread_mutex_init(&e->mu, NULL);
  *out = e;
  return 0;
}

void shuffle_env_destroy(shuffle_env *env) {
  if (!env) return;
  for (entry *e = env->head, *n; e; e = n) {
    n = e->next;
    rp_unref(e->rp);
    sp_free(e);
  }
  pthread_mutex_destroy(&env->mu);
  sp_free(env);
}

int shuffle_env_partition(shuffle_env *env, const char *job_id, int edge, int producer, int nsub,
                          uint32_t buffers, uint32_t size, result_partition **out) {
  int rc = 0;
  pthread_mutex_lock(&env->mu);
  entry *e = env->head;
  while (e && !(e->edge == edge && e->producer == producer && strcmp(e->job, job_id) == 0))
    e = e->next;
  if (!e) {
    e = sp_calloc(1, sizeof *e);
    if (!e) {
      rc = SPATE_ENOMEM;
      goto done;
    }
    if ((rc = rp_create(nsub, buffers, size, &e->rp)) < 0) {
      sp_free(e);
      goto done;
    }
    snprintf(e->job, sizeof e->job, "%s", job_id);
    e->edge = edge;
    e->producer = producer;
    e->next = env->head;
    env->head = e;
  }
  rp_ref(e->rp);
  *out = e->rp;
done:
  pthread_mutex_unlock(&env->mu);
  return rc;
}

void shuffle_env_release_job(shuffle_env *env, const char *job_id) {
  pthread_mutex_lock(&env->mu);
  for (entry **pp = &env->head; *pp;) {
    entry *e = *pp;
    if (strcmp(e->job, job_id) == 0) {
      *pp = e->next;
      rp_unref(e->rp);
      sp_free(e);
    } else {
      pp = &e->next;
    }
  }
  pthread_mutex_unlock(&env->mu);
}
