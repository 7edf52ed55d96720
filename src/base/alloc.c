/*
 * alloc.c: the accounting allocator. Each block carries a 16-byte header holding its size (16
 * keeps the user pointer aligned for any type), so sp_free knows how much to subtract. Counters
 * are relaxed atomics: they are statistics, read for reports, never for synchronisation.
 */
#include "base/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define HDR 16

static _Atomic int64_t current_bytes;
static _Atomic int64_t peak_bytes;
static _Atomic int64_t fail_countdown; /* > 0: allocations left before failing */
static _Atomic int fail_sticky;

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
  int64_t now = atomic_fetch_add_explicit(&current_bytes, delta, memory_order_relaxed) + delta;
  int64_t peak = atomic_load_explicit(&peak_bytes, memory_order_relaxed);
  while (now > peak && !atomic_compare_exchange_weak_explicit(
                           &peak_bytes, &peak, now, memory_order_relaxed, memory_order_relaxed)) {
  }
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

int64_t sp_alloc_current(void) { return atomic_load(&current_bytes); }
int64_t sp_alloc_peak(void) { return atomic_load(&peak_bytes); }

void sp_alloc_fail_after(int64_t n, int sticky) {
  atomic_store(&fail_sticky, sticky);
  atomic_store(&fail_countdown, n);
}
