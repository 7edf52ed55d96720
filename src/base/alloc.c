/*
 * alloc.c: the accounting allocator. Each block carries a 16-byte header holding its size (16
 * keeps the user pointer aligned for any type), so sp_free knows how much to subtract.
 *
 * The byte count is kept per thread, so the allocation paths of task threads touch no cache
 * line shared with other threads (one global counter was a line bounced between every core on
 * every allocation). Each thread owns a slot, linked once into a list that only grows: the
 * thread alone writes its slot's balance (a relaxed load and store, no read-modify-write), and a
 * reader sums the balances. A block freed by another thread than the one that allocated it
 * makes one balance go down and another up; only the sum means anything. When a thread ends its
 * slot is released, balance kept, and the next new thread takes it over.
 *
 * The peak is kept within SLACK bytes per thread: each thread adds its change to the shared
 * total only once it has moved by SLACK since the last time, and the peak follows that total
 * (and the exact sum whenever someone reads the current figure or the peak). Counters are
 * statistics, read for reports, never for synchronisation.
 */
#include "base/alloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define HDR 16
#define SLACK (16 * 1024)

typedef struct alloc_slot {
  _Atomic int64_t bytes;           /* this thread's balance; written by its owner only */
  int64_t unflushed;               /* change not yet added to total (owner only) */
  _Atomic bool taken;              /* owned by a live thread */
  struct alloc_slot *_Atomic next; /* the list only grows; slots are never freed */
} alloc_slot;

static alloc_slot *_Atomic slots;
static _Atomic int64_t total_bytes;    /* the sum, up to SLACK per thread (for the peak) */
static _Atomic int64_t slotless_bytes; /* counted by threads that could not get a slot */
static _Atomic int64_t peak_bytes;
static _Atomic int64_t fail_countdown; /* > 0: allocations left before failing */
static _Atomic int fail_sticky;
static pthread_key_t slot_key;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;
/* initial-exec: libspate is loaded with the program, and the hot path then skips __tls_get_addr */
static __thread alloc_slot *my_slot __attribute__((tls_model("initial-exec")));

static void raise_peak(int64_t now) {
  int64_t peak = atomic_load_explicit(&peak_bytes, memory_order_relaxed);
  while (now > peak && !atomic_compare_exchange_weak_explicit(
                           &peak_bytes, &peak, now, memory_order_relaxed, memory_order_relaxed)) {
  }
}

static void flush(alloc_slot *s) {
  if (!s->unflushed) return;
  int64_t now =
      atomic_fetch_add_explicit(&total_bytes, s->unflushed, memory_order_relaxed) + s->unflushed;
  s->unflushed = 0;
  raise_peak(now);
}

/* A thread ends: what it has not added to the total goes there, and its slot is free for the
 * next thread (its balance stays in the sum). */
static void release_slot(void *p) {
  alloc_slot *s = p;
  flush(s);
  my_slot = NULL; /* a later free in this thread (another key's destructor) claims a slot anew */
  atomic_store_explicit(&s->taken, false, memory_order_release);
}

static void make_key(void) { (void)pthread_key_create(&slot_key, release_slot); }

/* The calling thread's slot: a released one if any, else a new one pushed on the list. NULL only
 * when even that allocation fails; the caller then counts in the shared total directly. */
static alloc_slot *claim_slot(void) {
  pthread_once(&slot_once, make_key);
  alloc_slot *s = atomic_load_explicit(&slots, memory_order_acquire);
  for (; s; s = atomic_load_explicit(&s->next, memory_order_acquire)) {
    bool free_slot = false;
    if (atomic_compare_exchange_strong_explicit(&s->taken, &free_slot, true, memory_order_acquire,
                                                memory_order_relaxed))
      break;
  }
  if (!s) {
    s = calloc(1, sizeof *s); /* not sp_calloc: this is the accounting itself */
    if (!s) return NULL;
    atomic_store_explicit(&s->taken, true, memory_order_relaxed);
    alloc_slot *head = atomic_load_explicit(&slots, memory_order_relaxed);
    do {
      atomic_store_explicit(&s->next, head, memory_order_relaxed);
    } while (!atomic_compare_exchange_weak_explicit(&slots, &head, s, memory_order_release,
                                                    memory_order_relaxed));
  }
  (void)pthread_setspecific(slot_key, s);
  return s;
}

static int should_fail(void) {
  int64_t n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
  if (n <= 0) return 0;
  n = atomic_fetch_sub(&fail_countdown, 1);
  if (n == 1) {
    if (atomic_load(&fail_sticky)) atomic_store(&fail_countdown, 1);
    return 1;
  }
  return 0;
}

static void account(int64_t delta) {
  alloc_slot *s = my_slot ? my_slot : (my_slot = claim_slot());
  if (!s) { /* no memory even for a slot: count where every thread may write */
    atomic_fetch_add_explicit(&slotless_bytes, delta, memory_order_relaxed);
    raise_peak(atomic_fetch_add_explicit(&total_bytes, delta, memory_order_relaxed) + delta);
    return;
  }
  atomic_store_explicit(&s->bytes, atomic_load_explicit(&s->bytes, memory_order_relaxed) + delta,
                        memory_order_relaxed);
  s->unflushed += delta;
  if (s->unflushed > SLACK || s->unflushed < -SLACK) flush(s);
}

void *sp_malloc(size_t n) {
  if (should_fail() || n > SIZE_MAX - HDR) return NULL;
  unsigned char *p = malloc(n + HDR);
  if (!p) return NULL;
  memcpy(p, &n, sizeof n);
  account((int64_t)n);
  return p + HDR;
}

void *sp_calloc(size_t count, size_t n) {
  if (n && count > SIZE_MAX / n) return NULL;
  void *p = sp_malloc(count * n);
  if (p) memset(p, 0, count * n);
  return p;
}

void *sp_realloc(void *ptr, size_t n) {
  if (!ptr) return sp_malloc(n);
  if (should_fail() || n > SIZE_MAX - HDR) return NULL;
  unsigned char *old = (unsigned char *)ptr - HDR;
  size_t oldn;
  memcpy(&oldn, old, sizeof oldn);
  unsigned char *p = realloc(old, n + HDR);
  if (!p) return NULL;
  memcpy(p, &n, sizeof n);
  account((int64_t)n - (int64_t)oldn);
  return p + HDR;
}

void sp_free(void *ptr) {
  if (!ptr) return;
  unsigned char *p = (unsigned char *)ptr - HDR;
  size_t n;
  memcpy(&n, p, sizeof n);
  account(-(int64_t)n);
  free(p);
}

char *sp_strdup(const char *s) { return s ? sp_strndup(s, strlen(s)) : NULL; }

char *sp_strndup(const char *s, size_t n) {
  if (!s) return NULL;
  size_t len = strnlen(s, n);
  char *d = sp_malloc(len + 1);
  if (!d) return NULL;
  memcpy(d, s, len);
  d[len] = 0;
  return d;
}

int64_t sp_alloc_current(void) {
  int64_t sum = atomic_load_explicit(&slotless_bytes, memory_order_relaxed);
  for (alloc_slot *s = atomic_load_explicit(&slots, memory_order_acquire); s;
       s = atomic_load_explicit(&s->next, memory_order_acquire))
    sum += atomic_load_explicit(&s->bytes, memory_order_relaxed);
  raise_peak(sum);
  return sum;
}

int64_t sp_alloc_peak(void) {
  sp_alloc_current(); /* the exact current figure may be above the peak the total reached */
  return atomic_load_explicit(&peak_bytes, memory_order_relaxed);
}

void sp_alloc_fail_after(int64_t n, int sticky) {
  atomic_store(&fail_sticky, sticky);
  atomic_store(&fail_countdown, n);
}
