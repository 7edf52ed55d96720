/* collect_live.c: listeners of collect sinks in this process (collect_live.h). */
#include "connectors/collect_live.h"

#include <pthread.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

typedef struct listener {
  char *name;
  collect_live_fn fn;
  void *arg;
  struct listener *next;
} listener;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static listener *listeners;

int collect_live_register(const char *name, collect_live_fn fn, void *arg) {
  listener *l = sp_calloc(1, sizeof *l);
  char *copy = sp_strdup(name);
  if (!l || !copy) {
    sp_free(l);
    sp_free(copy);
    return SPATE_ENOMEM;
  }
  l->name = copy;
  l->fn = fn;
  l->arg = arg;
  pthread_mutex_lock(&mu);
  for (listener *o = listeners; o; o = o->next)
    if (strcmp(o->name, name) == 0) {
      pthread_mutex_unlock(&mu);
      sp_free(copy);
      sp_free(l);
      return SPATE_EINVAL;
    }
  l->next = listeners;
  listeners = l;
  pthread_mutex_unlock(&mu);
  return 0;
}

void collect_live_unregister(const char *name) {
  pthread_mutex_lock(&mu);
  for (listener **p = &listeners; *p; p = &(*p)->next)
    if (strcmp((*p)->name, name) == 0) {
      listener *l = *p;
      *p = l->next;
      sp_free(l->name);
      sp_free(l);
      break;
    }
  pthread_mutex_unlock(&mu);
}

bool collect_live_find(const char *name, collect_live_fn *fn, void **arg) {
  bool found = false;
  pthread_mutex_lock(&mu);
  for (listener *l = listeners; l && !found; l = l->next)
    if (strcmp(l->name, name) == 0) {
      *fn = l->fn;
      *arg = l->arg;
      found = true;
    }
  pthread_mutex_unlock(&mu);
  return found;
}
