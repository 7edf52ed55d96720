/*
 * rest_jobs_model.c: growth and frees of the jobs part's structs (rest_jobs_model.h).
 */
#include "rest/rest_jobs_model.h"

#include <string.h>

#include "base/alloc.h"
#include "spate/spate.h"

/* A copy of s, or NULL for NULL; *failed set when out of memory. */
static char *dup_opt(const char *s, bool *failed) {
  if (!s) return NULL;
  char *c = sp_strdup(s);
  if (!c) *failed = true;
  return c;
}

/* Makes room for one more element of size elem in *items (n used, *cap allocated). */
static bool make_room(void **items, size_t n, size_t *cap, size_t elem) {
  if (n < *cap) return true;
  size_t nc = *cap ? *cap * 2 : 8;
  void *p = sp_realloc(*items, nc * elem);
  if (!p) return false;
  *items = p;
  *cap = nc;
  return true;
}

int rest_vertex_details_init(rest_vertex_details *d, const char *name, size_t n) {
  bool failed = false;
  d->vertex.name = dup_opt(name ? name : "", &failed);
  d->vertex.start_time = d->vertex.end_time = -1;
  d->subtasks = sp_calloc(n + 1, sizeof *d->subtasks);
  if (failed || !d->subtasks) return SPATE_ENOMEM;
  d->n_subtasks = n;
  return 0;
}

int rest_attempt_set_location(rest_attempt_info *a, const char *tm_id, const char *endpoint) {
  bool failed = false;
  a->tm_id = dup_opt(tm_id, &failed);
  a->endpoint = dup_opt(endpoint, &failed);
  return failed ? SPATE_ENOMEM : 0;
}

int rest_subtask_alloc_prior(rest_subtask_info *s, size_t n) {
  s->prior = sp_calloc(n + 1, sizeof *s->prior);
  if (!s->prior) return SPATE_ENOMEM;
  s->n_prior = n;
  return 0;
}

static void attempt_free(rest_attempt_info *a) {
  sp_free(a->tm_id);
  sp_free(a->endpoint);
}

void rest_vertex_details_free(rest_vertex_details *d) {
  sp_free(d->vertex.name);
  for (size_t i = 0; d->subtasks && i < d->n_subtasks; i++) {
    attempt_free(&d->subtasks[i].current);
    for (size_t k = 0; k < d->subtasks[i].n_prior; k++) attempt_free(&d->subtasks[i].prior[k]);
    sp_free(d->subtasks[i].prior);
  }
  sp_free(d->subtasks);
  memset(d, 0, sizeof *d);
}

int rest_job_config_add(rest_job_config *c, const char *key, const char *value) {
  bool failed = false;
  rest_config_entry e = {dup_opt(key ? key : "", &failed), dup_opt(value ? value : "", &failed)};
  if (failed || !make_room((void **)&c->user_config, c->n, &c->cap, sizeof *c->user_config)) {
    sp_free(e.key);
    sp_free(e.value);
    return SPATE_ENOMEM;
  }
  c->user_config[c->n++] = e;
  return 0;
}

void rest_job_config_free(rest_job_config *c) {
  sp_free(c->name);
  sp_free(c->restart_strategy);
  for (size_t i = 0; i < c->n; i++) {
    sp_free(c->user_config[i].key);
    sp_free(c->user_config[i].value);
  }
  sp_free(c->user_config);
  memset(c, 0, sizeof *c);
}

static void exception_free(rest_exception *e) {
  sp_free(e->name);
  sp_free(e->stacktrace);
  sp_free(e->task);
  sp_free(e->endpoint);
  sp_free(e->tm_id);
  for (size_t i = 0; i < e->n_concurrent; i++) exception_free(&e->concurrent[i]);
  sp_free(e->concurrent);
}

rest_exception *rest_exception_add(rest_exception_history *h, rest_exception *root,
                                   const char *name, const char *stacktrace, const char *task,
                                   const char *endpoint, const char *tm_id, int64_t timestamp) {
  rest_exception e = {.timestamp = timestamp};
  bool failed = false;
  e.name = dup_opt(name ? name : "", &failed);
  e.stacktrace = dup_opt(stacktrace ? stacktrace : "", &failed);
  e.task = dup_opt(task, &failed);
  e.endpoint = dup_opt(endpoint, &failed);
  e.tm_id = dup_opt(tm_id, &failed);
  bool room =
      !failed && (root ? make_room((void **)&root->concurrent, root->n_concurrent,
                                   &root->cap_concurrent, sizeof *root->concurrent)
                       : make_room((void **)&h->entries, h->n, &h->cap, sizeof *h->entries));
  if (!room) {
    exception_free(&e);
    return NULL;
  }
  rest_exception *slot = root ? &root->concurrent[root->n_concurrent++] : &h->entries[h->n++];
  *slot = e;
  return slot;
}

void rest_exception_history_free(rest_exception_history *h) {
  for (size_t i = 0; i < h->n; i++) exception_free(&h->entries[i]);
  sp_free(h->entries);
  memset(h, 0, sizeof *h);
}

int rest_accumulator_add(rest_accumulator_list *l, const char *name, const char *type,
                         const char *value) {
  bool failed = false;
  rest_accumulator a = {dup_opt(name ? name : "", &failed), dup_opt(type ? type : "", &failed),
                        dup_opt(value ? value : "", &failed)};
  if (failed || !make_room((void **)&l->items, l->n, &l->cap, sizeof *l->items)) {
    sp_free(a.name);
    sp_free(a.type);
    sp_free(a.value);
    return SPATE_ENOMEM;
  }
  l->items[l->n++] = a;
  return 0;
}

void rest_accumulator_list_free(rest_accumulator_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    sp_free(l->items[i].name);
    sp_free(l->items[i].type);
    sp_free(l->items[i].value);
  }
  sp_free(l->items);
  memset(l, 0, sizeof *l);
}
