/*
 * mailbox.c: a mutex-protected FIFO of mails with an atomic count for the cheap check.
 */
#include "runtime/mailbox.h"

#include "base/alloc.h"
#include "spate/spate.h"

void mailbox_init(mailbox *mb, sp_event *wake) {
  pthread_mutex_init(&mb->mu, NULL);
  mb->head = mb->tail = NULL;
  atomic_store(&mb->pending, 0);
  mb->closed = false;
  mb->wake = wake;
}

int mailbox_post(mailbox *mb, mail_fn fn, void *arg) {
  mail *m = sp_malloc(sizeof *m);
  if (!m) return SPATE_ENOMEM;
  m->next = NULL;
  m->fn = fn;
  m->arg = arg;
  pthread_mutex_lock(&mb->mu);
  if (mb->closed) {
    pthread_mutex_unlock(&mb->mu);
    sp_free(m);
    return SPATE_ESTATE;
  }
  if (mb->tail)
    mb->tail->next = m;
  else
    mb->head = m;
  mb->tail = m;
  atomic_fetch_add(&mb->pending, 1);
  pthread_mutex_unlock(&mb->mu);
  if (mb->wake) sp_event_notify(mb->wake);
  return 0;
}

/* Takes the whole queue. */
static mail *take_all(mailbox *mb) {
  pthread_mutex_lock(&mb->mu);
  mail *m = mb->head;
  mb->head = mb->tail = NULL;
  atomic_store(&mb->pending, 0);
  pthread_mutex_unlock(&mb->mu);
  return m;
}

static int deliver(mail *m, void *owner, bool run) {
  int n = 0;
  while (m) {
    mail *next = m->next;
    m->fn(owner, m->arg, run);
    sp_free(m);
    m = next;
    n++;
  }
  return n;
}

int mailbox_run(mailbox *mb, void *owner) { return deliver(take_all(mb), owner, true); }

void mailbox_close(mailbox *mb, void *owner) {
  pthread_mutex_lock(&mb->mu);
  mb->closed = true;
  pthread_mutex_unlock(&mb->mu);
  deliver(take_all(mb), owner, false);
}

void mailbox_destroy(mailbox *mb, void *owner) {
  mailbox_close(mb, owner);
  pthread_mutex_destroy(&mb->mu);
}
