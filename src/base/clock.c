/* clock.c: clock_gettime wrappers and the processing-time service (system or manual). */
#include "base/clock.h"

#include <time.h>

#include "base/alloc.h"

static int64_t read_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t sp_mono_ns(void) { return read_ns(CLOCK_MONOTONIC); }
int64_t sp_mono_ms(void) { return read_ns(CLOCK_MONOTONIC) / 1000000; }
int64_t sp_wall_ms(void) { return read_ns(CLOCK_REALTIME) / 1000000; }

static sp_clock system_clock = {.manual = false};

sp_clock *sp_clock_system(void) { return &system_clock; }

sp_clock *sp_clock_manual(int64_t start_ms) {
  sp_clock *c = sp_calloc(1, sizeof *c);
  if (!c) return NULL;
  c->manual = true;
  atomic_store(&c->now_ms, start_ms);
  pthread_mutex_init(&c->mu, NULL);
  return c;
}

void sp_clock_free(sp_clock *c) {
  if (!c || !c->manual) return;
  pthread_mutex_destroy(&c->mu);
  sp_free(c);
}

int64_t sp_clock_now(const sp_clock *c) {
  return c && c->manual ? atomic_load_explicit(&c->now_ms, memory_order_acquire) : sp_wall_ms();
}

int64_t sp_clock_mono_ns(const sp_clock *c) {
  return c && c->manual ? atomic_load_explicit(&c->now_ms, memory_order_acquire) * 1000000LL
                        : sp_mono_ns();
}

void sp_clock_set(sp_clock *c, int64_t to_ms) {
  if (!c || !c->manual) return;
  pthread_mutex_lock(&c->mu);
  /* under the lock: concurrent advances cannot move the time backwards */
  if (to_ms > atomic_load(&c->now_ms))
    atomic_store_explicit(&c->now_ms, to_ms, memory_order_release);
  for (sp_clock_sub *s = c->subs; s; s = s->next) s->wake(s->arg);
  pthread_mutex_unlock(&c->mu);
}

void sp_clock_subscribe(sp_clock *c, sp_clock_sub *s) {
  if (!c || !c->manual) return;
  pthread_mutex_lock(&c->mu);
  s->next = c->subs;
  c->subs = s;
  pthread_mutex_unlock(&c->mu);
}

void sp_clock_unsubscribe(sp_clock *c, sp_clock_sub *s) {
  if (!c || !c->manual) return;
  pthread_mutex_lock(&c->mu);
  for (sp_clock_sub **pp = &c->subs; *pp; pp = &(*pp)->next)
    if (*pp == s) {
      *pp = s->next;
      break;
    }
  pthread_mutex_unlock(&c->mu);
}
