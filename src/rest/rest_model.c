/*
 * rest_model.c: the plain structs that the cluster's operations fill for the REST endpoint
 * (rest_server.h): Flink's JobStatus and ExecutionState names, and the lists' growth and frees.
 */
#include <string.h>

#include "base/alloc.h"
#include "rest/rest_server.h"
#include "spate/spate.h"

static const char *const job_state_names[REST_JOB_STATES] = {
    "INITIALIZING", "CREATED",  "RUNNING",    "FAILING",   "FAILED",     "CANCELLING",
    "CANCELED",     "FINISHED", "RESTARTING", "SUSPENDED", "RECONCILING"};

static const char *const exec_state_names[REST_EXEC_STATES] = {
    "CREATED",   "SCHEDULED", "DEPLOYING", "RUNNING",     "FINISHED",
    "CANCELING", "CANCELED",  "FAILED",    "RECONCILING", "INITIALIZING"};

const char *rest_job_state_name(rest_job_state s) {
  return (unsigned)s < REST_JOB_STATES ? job_state_names[s] : NULL;
}

const char *rest_exec_state_name(rest_exec_state s) {
  return (unsigned)s < REST_EXEC_STATES ? exec_state_names[s] : NULL;
}

int rest_job_state_parse(const char *s) {
  for (int i = 0; s && i < REST_JOB_STATES; i++)
    if (strcmp(s, job_state_names[i]) == 0) return i;
  return -1;
}

bool rest_job_state_terminal(rest_job_state s) {
  return s == REST_JOB_FINISHED || s == REST_JOB_FAILED || s == REST_JOB_CANCELED;
}

/* Makes room for one more element of size elem in *items (n used, *cap allocated). */
static bool grow(void **items, size_t n, size_t *cap, size_t elem) {
  if (n < *cap) return true;
  size_t nc = *cap ? *cap * 2 : 8;
  void *p = sp_realloc(*items, nc * elem);
  if (!p) return false;
  *items = p;
  *cap = nc;
  return true;
}

rest_job_summary *rest_job_list_add(rest_job_list *l, const char *name) {
  char *copy = sp_strdup(name ? name : "");
  if (!copy || !grow((void **)&l->jobs, l->n, &l->cap, sizeof *l->jobs)) {
    sp_free(copy);
    return NULL;
  }
  rest_job_summary *j = &l->jobs[l->n++];
  memset(j, 0, sizeof *j);
  j->name = copy;
  j->end_time = -1;
  return j;
}

void rest_job_list_free(rest_job_list *l) {
  for (size_t i = 0; i < l->n; i++) sp_free(l->jobs[i].name);
  sp_free(l->jobs);
  memset(l, 0, sizeof *l);
}

int rest_job_details_set_name(rest_job_details *d, const char *name) {
  char *copy = sp_strdup(name ? name : "");
  if (!copy) return SPATE_ENOMEM;
  sp_free(d->job.name);
  d->job.name = copy;
  return 0;
}

rest_vertex_info *rest_job_details_add_vertex(rest_job_details *d, const char *name) {
  char *copy = sp_strdup(name ? name : "");
  if (!copy || !grow((void **)&d->vertices, d->n_vertices, &d->cap_vertices, sizeof *d->vertices)) {
    sp_free(copy);
    return NULL;
  }
  rest_vertex_info *v = &d->vertices[d->n_vertices++];
  memset(v, 0, sizeof *v);
  v->name = copy;
  v->start_time = v->end_time = -1;
  return v;
}

void rest_job_details_free(rest_job_details *d) {
  sp_free(d->job.name);
  for (size_t i = 0; i < d->n_vertices; i++) sp_free(d->vertices[i].name);
  sp_free(d->vertices);
  sp_free(d->plan_json);
  memset(d, 0, sizeof *d);
}

void rest_job_result_free(rest_job_result *r) {
  sp_free(r->failure);
  sp_free(r->accumulators_json);
  memset(r, 0, sizeof *r);
}

rest_taskmanager_info *rest_taskmanager_list_add(rest_taskmanager_list *l, const char *id,
                                                 const char *path) {
  char *i = sp_strdup(id ? id : ""), *p = sp_strdup(path ? path : "");
  if (!i || !p || !grow((void **)&l->tms, l->n, &l->cap, sizeof *l->tms)) {
    sp_free(i);
    sp_free(p);
    return NULL;
  }
  rest_taskmanager_info *t = &l->tms[l->n++];
  memset(t, 0, sizeof *t);
  t->id = i;
  t->path = p;
  return t;
}

void rest_taskmanager_details_free(rest_taskmanager_details *d) {
  sp_free(d->info.id);
  sp_free(d->info.path);
  for (size_t i = 0; i < d->n_jobs; i++) sp_free(d->jobs[i]);
  sp_free(d->jobs);
  memset(d, 0, sizeof *d);
}

void rest_taskmanager_list_free(rest_taskmanager_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    sp_free(l->tms[i].id);
    sp_free(l->tms[i].path);
  }
  sp_free(l->tms);
  memset(l, 0, sizeof *l);
}
