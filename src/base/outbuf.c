/*
 * outbuf.c: buffered raw-fd writers that a fatal-signal handler can write out (see outbuf.h for
 * the slot protocol).
 */
#include "base/outbuf.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"

/* Enough for every print and text sink subtask of a large local job; beyond that, buffers work
 * but are not written out on a crash. */
#define OUTBUF_SLOTS 512

enum { SLOT_FREE = 0, SLOT_IDLE, SLOT_BUSY, SLOT_CRASH };

static struct outbuf_slot {
  _Atomic int state;
  sp_outbuf *buf; /* valid while the state is IDLE, BUSY or CRASH */
} slots[OUTBUF_SLOTS];

/* write(2) until all n bytes are out; EINTR is retried. Async-signal-safe. */
static int write_fully(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EIO;
      return SPATE_EIO;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int write_out(sp_outbuf *b, const char *p, size_t n) {
  if (b->lock) pthread_mutex_lock(b->lock);
  int rc = write_fully(b->fd, p, n);
  int saved = errno;
  if (b->lock) pthread_mutex_unlock(b->lock);
  errno = saved;
  return rc;
}

/* Takes the buffer's slot for a rewrite of its bytes: false when a crash handler holds it (the
 * process is ending; the bytes must stay as they are). */
static bool claim(sp_outbuf *b) {
  if (b->slot < 0) return true;
  int expect = SLOT_IDLE;
  return atomic_compare_exchange_strong(&slots[b->slot].state, &expect, SLOT_BUSY);
}

static void unclaim(sp_outbuf *b) {
  if (b->slot >= 0) atomic_store(&slots[b->slot].state, SLOT_IDLE);
}

int sp_outbuf_init(sp_outbuf *b, int fd, size_t cap, size_t flush_at, pthread_mutex_t *lock) {
  memset(b, 0, sizeof *b);
  b->fd = fd;
  b->slot = -1;
  b->data = sp_malloc(cap);
  if (!b->data) return SPATE_ENOMEM;
  b->cap = cap;
  b->flush_at = flush_at == 0 || flush_at > cap ? cap : flush_at;
  b->lock = lock;
  atomic_init(&b->len, 0);
  for (int i = 0; i < OUTBUF_SLOTS; i++) {
    int expect = SLOT_FREE;
    if (atomic_compare_exchange_strong(&slots[i].state, &expect, SLOT_BUSY)) {
      slots[i].buf = b;
      b->slot = i;
      atomic_store(&slots[i].state, SLOT_IDLE); /* publishes buf to the handler */
      break;
    }
  }
  return 0;
}

int sp_outbuf_flush(sp_outbuf *b) {
  size_t len = atomic_load_explicit(&b->len, memory_order_relaxed);
  if (len == 0) return 0;
  if (!claim(b)) {
    errno = ECANCELED; /* a fatal signal is being handled: this output is the handler's now */
    return SPATE_EIO;
  }
  int rc = write_out(b, b->data, len);
  int saved = errno;
  /* after a write error the job fails; the bytes are not retried */
  atomic_store_explicit(&b->len, 0, memory_order_relaxed);
  unclaim(b);
  errno = saved;
  return rc;
}

int sp_outbuf_write(sp_outbuf *b, const void *p, size_t n) {
  size_t len = atomic_load_explicit(&b->len, memory_order_relaxed);
  if (n > b->cap - len) {
    int rc = sp_outbuf_flush(b);
    if (rc < 0) return rc;
    len = 0;
  }
  if (n > b->cap) return write_out(b, p, n); /* larger than the buffer: straight out */
  memcpy(b->data + len, p, n);
  /* the bytes are in place before the handler can see them counted */
  atomic_store_explicit(&b->len, len + n, memory_order_release);
  return len + n >= b->flush_at ? sp_outbuf_flush(b) : 0;
}

void sp_outbuf_release(sp_outbuf *b) {
  if (!b->data) return;
  if (b->slot >= 0) {
    if (!claim(b)) return; /* a crash handler may be writing it: leave it to the ending process */
    slots[b->slot].buf = NULL;
    atomic_store(&slots[b->slot].state, SLOT_FREE);
    b->slot = -1;
  }
  sp_free(b->data);
  b->data = NULL;
  b->cap = 0;
  atomic_store_explicit(&b->len, 0, memory_order_relaxed);
}

void sp_outbuf_flush_all_from_signal(void) {
  int saved = errno;
  for (int i = 0; i < OUTBUF_SLOTS; i++) {
    int expect = SLOT_IDLE;
    if (!atomic_compare_exchange_strong(&slots[i].state, &expect, SLOT_CRASH)) continue;
    sp_outbuf *b = slots[i].buf;
    size_t len = atomic_load_explicit(&b->len, memory_order_acquire);
    if (len > 0) (void)write_fully(b->fd, b->data, len);
  }
  errno = saved;
}
