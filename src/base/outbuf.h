/*
 * outbuf.h: a buffered writer to a raw file descriptor whose buffered bytes a fatal-signal
 * handler can still write out.
 *
 * The print and plain text sinks write through one. When user code crashes (SIGSEGV, abort, ...)
 * stdio buffers cannot be flushed from the signal handler (fflush takes locks and may find the
 * FILE half updated), so their lines would be lost silently. An sp_outbuf holds only whole
 * records that were formatted completely (`len` grows after the bytes are in place), writes them
 * with write(2), and is listed in a fixed process-wide table of slots that
 * sp_outbuf_flush_all_from_signal walks with async-signal-safe operations only.
 *
 * Slots. Each registered buffer owns a slot whose state is FREE, IDLE, BUSY or CRASH. The owner
 * thread appends without touching the state (the handler reads only the first `len` bytes, which
 * an append never changes); it moves the slot IDLE -> BUSY -> IDLE around anything that rewrites
 * those bytes (a flush) or frees them (release). The handler takes a slot only IDLE -> CRASH, so
 * it never reads bytes being rewritten, and once it holds one the owner never touches the buffer
 * again (the process is ending). Slots are never freed, so the handler cannot read freed memory.
 * When all slots are taken a buffer still works but is not written out on a crash.
 *
 * A buffer is used by one thread (its owner); `lock`, when given, serialises the write(2) calls of
 * several buffers sharing one descriptor (stdout), so that their chunks of whole lines never
 * interleave. The handler ignores it: at a crash, interleaving beats losing lines.
 */
#ifndef SPATE_BASE_OUTBUF_H
#define SPATE_BASE_OUTBUF_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct sp_outbuf {
  int fd;
  char *data;
  size_t cap;
  _Atomic size_t len;    /* complete bytes buffered; the handler writes data[0, len) */
  size_t flush_at;       /* a write that brings len to this flushes (cap: only when full) */
  pthread_mutex_t *lock; /* serialises write(2) on a shared fd, or NULL */
  int slot;              /* crash-flush slot, -1 when none was free */
} sp_outbuf;

/* Sets up a buffer of cap bytes over fd (not owned: the caller closes it) and registers it for
 * crash flushing. flush_at (<= cap; 0 means cap) is the fill level that triggers a flush: 1
 * writes every record at once (a terminal). Returns 0 or SPATE_ENOMEM. */
int sp_outbuf_init(sp_outbuf *b, int fd, size_t cap, size_t flush_at, pthread_mutex_t *lock);
/* Appends n bytes as one unit (they reach the fd in one write(2) unless they exceed the
 * buffer), flushing first when they do not fit. Returns 0, or SPATE_EIO with errno set. */
int sp_outbuf_write(sp_outbuf *b, const void *p, size_t n);
/* Writes out everything buffered. Returns 0, or SPATE_EIO with errno set. */
int sp_outbuf_flush(sp_outbuf *b);
/* Unregisters and frees the buffer without writing it out (flush first to keep the bytes). The
 * fd stays open. Safe on a zeroed or already released buffer. */
void sp_outbuf_release(sp_outbuf *b);
/* Writes out every registered buffer that no thread is flushing at this moment. Only for a
 * fatal-signal handler: async-signal-safe, and the buffers must not be used afterwards. */
void sp_outbuf_flush_all_from_signal(void);
#endif
