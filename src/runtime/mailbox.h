/*
 * mailbox.h: the control channel of a task. Other threads post mails (a function and its
 * argument); the task's own thread runs them between batches of records, so everything a mail
 * does happens on the thread that owns the operators and their state: no locks on the data path.
 * Checkpoint triggers and notifications join cancellation here later.
 *
 * Posting takes the mailbox mutex and wakes the task's event; the task checks for pending mails
 * with one relaxed atomic load per batch. Once closed (the task has ended) posts fail with
 * SPATE_ESTATE, and mails still queued are handed back to their functions with run = false so
 * they can release their arguments.
 *
 * Lock: mb->mu guards the queue only; no other lock is taken while holding it.
 */
#ifndef SPATE_RUNTIME_MAILBOX_H
#define SPATE_RUNTIME_MAILBOX_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "base/sync.h"

/* Runs on the owner's thread (run = true), or is told it was discarded (run = false). */
typedef void (*mail_fn)(void *owner, void *arg, bool run);

typedef struct mail {
  struct mail *next;
  mail_fn fn;
  void *arg;
} mail;

typedef struct mailbox {
  pthread_mutex_t mu;
  mail *head, *tail;
  _Atomic uint32_t pending;
  bool closed;
  sp_event *wake; /* notified after each post */
} mailbox;

void mailbox_init(mailbox *mb, sp_event *wake);
/* Discards what is queued (see above) and frees the mailbox's resources. */
void mailbox_destroy(mailbox *mb, void *owner);
/* Queues a mail; SPATE_ESTATE once closed, SPATE_ENOMEM. Safe from any thread. */
int mailbox_post(mailbox *mb, mail_fn fn, void *arg);
static inline bool mailbox_has_mail(mailbox *mb) {
  return atomic_load_explicit(&mb->pending, memory_order_relaxed) != 0;
}
/* Runs the mails queued now, in posting order; returns how many ran. Owner thread only. */
int mailbox_run(mailbox *mb, void *owner);
/* Refuses further posts and discards what is queued. Owner thread only. */
void mailbox_close(mailbox *mb, void *owner);
#endif
