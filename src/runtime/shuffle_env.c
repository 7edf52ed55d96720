/*
 * shuffle_env.c: the partition registry, a small list (a job has edges x producer subtasks
 * entries; lookups happen at deployment only), the jobs' placements and the choice between a
 * local partition and the remote side (see shuffle_env.h).
 */
#include "runtime/shuffle_env.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "spate/spate.h"

typedef struct entry {
  struct entry *next;
  char job[48]; /* "<job id>-<attempt>" */
  int edge, producer;
  result_partition *rp; /* the registry's reference */
} entry;

typedef struct placement {
  struct placement *next;
  char *job;
  char **where; /* by global subtask index; NULL: this process */
  int n;
} placement;

struct shuffle_env {
  pthread_mutex_t mu;
  entry *head;
  placement *placements;
  /* released job keys, a ring of the most recent ones ("" empty), next at released_next */
  char released[SHUFFLE_ENV_RELEASED_KEPT][48];
  int released_next;
  char *self;                  /* this process's data address, or NULL */
  shuffle_remote_open_fn open; /* the remote side, or NULL */
  void *open_arg;
};

static void placement_free(placement *p) {
  for (int i = 0; i < p->n; i++) sp_free(p->where[i]);
  sp_free(p->where);
  sp_free(p->job);
  sp_free(p);
}

/* Unlinks and frees the placement of job; env->mu held. */
static void drop_placement(shuffle_env *env, const char *job) {
  for (placement **pp = &env->placements; *pp; pp = &(*pp)->next)
    if (strcmp((*pp)->job, job) == 0) {
      placement *p = *pp;
      *pp = p->next;
      placement_free(p);
      return;
    }
}

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
  while (env->placements) drop_placement(env, env->placements->job);
  sp_free(env->self);
  pthread_mutex_destroy(&env->mu);
  sp_free(env);
}

/* The slot of job_id among the released keys, or -1; env->mu held. */
static int released_slot(shuffle_env *env, const char *job_id) {
  for (int i = 0; i < SHUFFLE_ENV_RELEASED_KEPT; i++)
    if (env->released[i][0] && strncmp(env->released[i], job_id, sizeof env->released[i]) == 0)
      return i;
  return -1;
}

/* shuffle_env_partition; refuse_released: SPATE_ENOENT for a released job instead of creating. */
static int partition(shuffle_env *env, const char *job_id, int edge, int producer, int nsub,
                     uint32_t buffers, uint32_t size, bool refuse_released,
                     result_partition **out) {
  int rc = 0;
  pthread_mutex_lock(&env->mu);
  entry *e = env->head;
  while (e && !(e->edge == edge && e->producer == producer && strcmp(e->job, job_id) == 0))
    e = e->next;
  if (!e && refuse_released && released_slot(env, job_id) >= 0) {
    rc = SPATE_ENOENT;
    goto done;
  }
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

int shuffle_env_partition(shuffle_env *env, const char *job_id, int edge, int producer, int nsub,
                          uint32_t buffers, uint32_t size, result_partition **out) {
  return partition(env, job_id, edge, producer, nsub, buffers, size, false, out);
}

int shuffle_env_partition_for_request(shuffle_env *env, const char *job_id, int edge, int producer,
                                      int nsub, uint32_t buffers, uint32_t size,
                                      result_partition **out) {
  return partition(env, job_id, edge, producer, nsub, buffers, size, true, out);
}

bool shuffle_env_has_partition(shuffle_env *env, const char *job_id, int edge, int producer) {
  pthread_mutex_lock(&env->mu);
  entry *e = env->head;
  while (e && !(e->edge == edge && e->producer == producer && strcmp(e->job, job_id) == 0))
    e = e->next;
  pthread_mutex_unlock(&env->mu);
  return e != NULL;
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
  drop_placement(env, job_id);
  if (released_slot(env, job_id) < 0) {
    snprintf(env->released[env->released_next], sizeof env->released[0], "%s", job_id);
    env->released_next = (env->released_next + 1) % SHUFFLE_ENV_RELEASED_KEPT;
  }
  pthread_mutex_unlock(&env->mu);
}

void shuffle_env_set_remote(shuffle_env *env, const char *self_address, shuffle_remote_open_fn open,
                            void *arg) {
  char *self = open && self_address ? sp_strdup(self_address) : NULL;
  pthread_mutex_lock(&env->mu);
  sp_free(env->self);
  env->self = self;
  env->open = open;
  env->open_arg = open ? arg : NULL;
  pthread_mutex_unlock(&env->mu);
}

int shuffle_env_set_placement(shuffle_env *env, const char *job_key, const char *const *locations,
                              int n) {
  placement *p = sp_calloc(1, sizeof *p);
  if (!p) return SPATE_ENOMEM;
  p->job = sp_strdup(job_key);
  p->where = sp_calloc((size_t)(n > 0 ? n : 1), sizeof *p->where);
  bool ok = p->job && p->where;
  if (ok) p->n = n;
  for (int i = 0; ok && i < n; i++)
    if (locations[i] && locations[i][0] && !(p->where[i] = sp_strdup(locations[i]))) ok = false;
  if (!ok) {
    placement_free(p);
    return SPATE_ENOMEM;
  }
  pthread_mutex_lock(&env->mu);
  drop_placement(env, job_key);
  int r = released_slot(env, job_key); /* deployed again: its requests are served */
  if (r >= 0) env->released[r][0] = 0;
  p->next = env->placements;
  env->placements = p;
  pthread_mutex_unlock(&env->mu);
  return 0;
}

int shuffle_env_input(shuffle_env *env, const shuffle_input *in, result_partition **out,
                      int *out_sub, char *err, size_t err_len) {
  char *remote = NULL; /* the producer's TaskManager, when it is another process */
  bool nomem = false;
  shuffle_remote_open_fn open = NULL;
  void *arg = NULL;
  pthread_mutex_lock(&env->mu);
  for (placement *p = env->placements; p; p = p->next)
    if (strcmp(p->job, in->job_key) == 0) {
      const char *w = in->producer_index >= 0 && in->producer_index < p->n
                          ? p->where[in->producer_index]
                          : NULL;
      if (w && !(env->self && strcmp(w, env->self) == 0)) nomem = !(remote = sp_strdup(w));
      break;
    }
  open = env->open;
  arg = env->open_arg;
  pthread_mutex_unlock(&env->mu);
  if (nomem) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  if (!remote) {
    *out_sub = in->sub;
    return shuffle_env_partition(env, in->job_key, in->edge, in->producer, in->nsub, in->buffers,
                                 in->size, out);
  }
  int rc;
  if (!open)
    rc = sp_err(err, err_len, SPATE_ESTATE,
                "producer subtask %d of edge %d runs on TaskManager '%s', but this process has "
                "no network shuffle to reach it",
                in->producer, in->edge, remote);
  else
    rc = open(arg, remote, in, out, err, err_len);
  sp_free(remote);
  *out_sub = 0;
  return rc;
}
