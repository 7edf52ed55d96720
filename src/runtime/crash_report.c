/*
 * crash_report.c: the fatal-signal handler that names the task and operator a crash happened in
 * (see crash_report.h). Everything the handler calls is async-signal-safe: write(2), sigaction,
 * raise, nanosleep, lock-free atomics, and the formatting below, which touches no locale, no
 * allocator and no stdio.
 */
#define _GNU_SOURCE
#include "runtime/crash_report.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/outbuf.h"
#include "runtime/thread_dump.h"
#include "runtime/udf_context.h"

__thread const struct spate_ctx *crash_current_op __attribute__((tls_model("initial-exec")));
static __thread const char *current_task __attribute__((tls_model("initial-exec")));
static __thread void *own_altstack __attribute__((tls_model("initial-exec")));

#define ALTSTACK_SIZE (64 << 10)

static const struct fatal_signal {
  int sig;
  const char *name, *what;
} fatal[] = {
    {SIGSEGV, "SIGSEGV", "invalid memory access"},
    {SIGBUS, "SIGBUS", "bus error"},
    {SIGFPE, "SIGFPE", "arithmetic error"},
    {SIGILL, "SIGILL", "illegal instruction"},
    {SIGABRT, "SIGABRT", "abort"},
};
#define NFATAL ((int)(sizeof fatal / sizeof fatal[0]))

/* The actions found when Spate's handler was installed, by index in fatal[]. */
static struct sigaction previous[NFATAL];
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
/* Set while a thread writes its report: a second crashing thread waits for it, so reports do
 * not interleave and the first one is complete before its re-raise ends the process. */
static _Atomic int reporting;

/* ---- async-signal-safe formatting ------------------------------------------------------------ */
typedef struct report {
  char buf[2048];
  size_t len;
} report;

/* Appends at most max bytes of s (names are bounded in case the crash scribbled over them). */
static void put(report *r, const char *s, size_t max) {
  if (!s) s = "(null)";
  for (size_t i = 0; s[i] && i < max && r->len < sizeof r->buf - 1; i++) r->buf[r->len++] = s[i];
}

static void put_int(report *r, long v) {
  char tmp[24];
  int n = 0;
  unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) tmp[n++] = '-';
  while (n > 0 && r->len < sizeof r->buf - 1) r->buf[r->len++] = tmp[--n];
}

static void put_hex(report *r, uintptr_t v) {
  char tmp[2 + 2 * sizeof v];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  put(r, "0x", 2);
  while (n > 0 && r->len < sizeof r->buf - 1) r->buf[r->len++] = tmp[--n];
}

static void write_report(const report *r) {
  const char *p = r->buf;
  size_t n = r->len;
  while (n > 0) {
    ssize_t w = write(STDERR_FILENO, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

/* ---- the handler ----------------------------------------------------------------------------- */
static void on_fatal(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  int saved_errno = errno;
  int idx = 0;
  while (idx < NFATAL - 1 && fatal[idx].sig != sig) idx++;
  while (atomic_exchange(&reporting, 1)) {
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL); /* another thread is reporting; its re-raise will end the process */
  }

  struct sigaction prev = previous[idx];
  bool chained =
      (prev.sa_flags & SA_SIGINFO) ? prev.sa_sigaction != NULL : prev.sa_handler != SIG_DFL;
  report r = {.len = 0};
  put(&r, "\nspate: fatal signal ", 32);
  put(&r, fatal[idx].name, 16);
  put(&r, " (", 2);
  put(&r, fatal[idx].what, 64);
  if (si && si->si_code > 0 && sig != SIGABRT) { /* raised by a faulting instruction */
    put(&r, " at address ", 16);
    put_hex(&r, (uintptr_t)si->si_addr);
  } else if (si && si->si_code == SI_USER) {
    put(&r, ", sent by process ", 32);
    put_int(&r, (long)si->si_pid);
  }
  put(&r, ")", 1);
  const spate_ctx *op = crash_current_op;
  if (op) {
    put(&r, " in operator '", 16);
    put(&r, op->name, 256);
    put(&r, "' (subtask ", 16);
    put_int(&r, op->subtask + 1);
    put(&r, "/", 1);
    put_int(&r, op->parallelism);
    put(&r, ")", 1);
  }
  if (current_task) {
    put(&r, op ? " of task '" : " in task '", 16);
    put(&r, current_task, 512);
    put(&r, op ? "'" : "', outside any operator call", 32);
  } else if (!op) {
    put(&r, " outside any task (in a thread of the runtime or of the program)", 80);
  }
  put(&r,
      chained ? ".\nspate: writing out what print and text sinks buffered, then handing the "
                "signal to the program's own handler.\n"
              : ".\nspate: writing out what print and text sinks buffered; the process then "
                "ends with this signal.\n",
      160);
  write_report(&r);
  sp_outbuf_flush_all_from_signal();

  /* Back to the action found at install time (the default, or the program's own handler), and
   * the signal again: it is blocked while this handler runs, so it is delivered as soon as the
   * handler returns, before the faulting instruction could run again. */
  sigaction(sig, &prev, NULL);
  if (chained) atomic_store(&reporting, 0); /* the program's handler may carry on */
  raise(sig);
  errno = saved_errno;
}

void crash_report_install(void) {
  pthread_mutex_lock(&install_lock);
  for (int i = 0; i < NFATAL; i++) {
    struct sigaction cur;
    if (sigaction(fatal[i].sig, NULL, &cur) < 0) continue;
    if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_fatal) continue; /* ours */
    if (!(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_IGN) continue;   /* the program's */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (int k = 0; k < NFATAL; k++) sigaddset(&sa.sa_mask, fatal[k].sig);
    previous[i] = cur;
    sigaction(fatal[i].sig, &sa, NULL);
  }
  pthread_mutex_unlock(&install_lock);
}

void crash_thread_begin(const char *task_name) {
  current_task = task_name;
  thread_dump_task_begin(task_name); /* thread dumps name the task too */
  crash_current_op = NULL;
  stack_t cur;
  if (sigaltstack(NULL, &cur) < 0 || !(cur.ss_flags & SS_DISABLE)) return; /* has one */
  void *mem = sp_malloc(ALTSTACK_SIZE);
  if (!mem) return; /* then a stack overflow goes unreported; nothing else changes */
  stack_t ss = {.ss_sp = mem, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) == 0)
    own_altstack = mem;
  else
    sp_free(mem);
}

void crash_thread_end(void) {
  current_task = NULL;
  thread_dump_task_end();
  crash_current_op = NULL;
  if (!own_altstack) return;
  stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
  if (sigaltstack(&ss, NULL) == 0) sp_free(own_altstack);
  own_altstack = NULL;
}
