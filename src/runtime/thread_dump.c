/*
 * thread_dump.c: this process's threads from /proc/self/task, named by the task they run
 * (thread_dump.h). The task threads' names are kept in a small table under a mutex: a thread
 * enters at its start and leaves at its end, so the cost is two locks per task, none per record.
 * Java's thread states are mapped from Linux's: R RUNNABLE, S and D WAITING, T and t WAITING,
 * Z and X TERMINATED.
 */
#define _GNU_SOURCE
#include "runtime/thread_dump.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"

typedef struct named {
  struct named *next;
  pid_t tid;
  char *name;
} named;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static named *tasks;

void thread_dump_task_begin(const char *name) {
  named *n = sp_calloc(1, sizeof *n);
  if (!n) return; /* then the dump shows the thread by its comm */
  n->tid = gettid();
  n->name = sp_strdup(name ? name : "");
  if (!n->name) {
    sp_free(n);
    return;
  }
  pthread_mutex_lock(&mu);
  n->next = tasks;
  tasks = n;
  pthread_mutex_unlock(&mu);
}

void thread_dump_task_end(void) {
  pid_t tid = gettid();
  pthread_mutex_lock(&mu);
  for (named **pp = &tasks; *pp; pp = &(*pp)->next)
    if ((*pp)->tid == tid) {
      named *n = *pp;
      *pp = n->next;
      sp_free(n->name);
      sp_free(n);
      break;
    }
  pthread_mutex_unlock(&mu);
}

static const char *java_state(char s) {
  switch (s) {
  case 'R': return "RUNNABLE";
  case 'Z':
  case 'X': return "TERMINATED";
  default: return "WAITING";
  }
}

static int by_tid(const void *a, const void *b) {
  long x = atol(*(char *const *)a), y = atol(*(char *const *)b);
  return (x > y) - (x < y);
}

/* Reads /proc/self/task/<tid>/stat: comm, state letter, CPU ms; false if it is gone. */
static bool read_stat(const char *tid, char *comm, size_t comm_cap, char *state, long long *cpu) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/self/task/%s/stat", tid);
  FILE *f = fopen(path, "re");
  if (!f) return false;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *open = strchr(buf, '('), *close = strrchr(buf, ')');
  if (!open || !close || close < open || close[1] != ' ') return false;
  snprintf(comm, comm_cap, "%.*s", (int)(close - open - 1), open + 1);
  unsigned long long utime = 0, stime = 0;
  /* after ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
   * utime(14) stime(15) */
  if (sscanf(close + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", state, &utime,
             &stime) != 3)
    return false;
  long hz = sysconf(_SC_CLK_TCK);
  *cpu = hz > 0 ? (long long)((utime + stime) * 1000 / (unsigned long long)hz) : 0;
  return true;
}

int thread_dump_take(thread_dump *out) {
  out->threads = NULL;
  out->n = 0;
  DIR *d = opendir("/proc/self/task");
  if (!d) return SPATE_EIO;
  char **tids = NULL;
  size_t nt = 0, cap = 0;
  int rc = 0;
  for (struct dirent *e; rc == 0 && (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    if (nt == cap) {
      size_t nc = cap ? cap * 2 : 32;
      char **p = sp_realloc(tids, nc * sizeof *p);
      if (!p) {
        rc = SPATE_ENOMEM;
        break;
      }
      tids = p;
      cap = nc;
    }
    if (!(tids[nt] = sp_strdup(e->d_name)))
      rc = SPATE_ENOMEM;
    else
      nt++;
  }
  closedir(d);
  if (rc == 0 && nt) qsort(tids, nt, sizeof *tids, by_tid);
  if (rc == 0 && nt && !(out->threads = sp_calloc(nt, sizeof *out->threads))) rc = SPATE_ENOMEM;
  for (size_t i = 0; rc == 0 && i < nt; i++) {
    char comm[64], state = '?', text[1024], task[512] = "";
    long long cpu = 0;
    if (!read_stat(tids[i], comm, sizeof comm, &state, &cpu)) continue; /* it ended meanwhile */
    pid_t tid = (pid_t)atol(tids[i]);
    pthread_mutex_lock(&mu);
    for (named *n = tasks; n; n = n->next)
      if (n->tid == tid) snprintf(task, sizeof task, "%s", n->name);
    pthread_mutex_unlock(&mu);
    const char *name = task[0] ? task : comm;
    int len = snprintf(text, sizeof text,
                       "\"%s\" Id=%s %s\n\tlinux state: %c, cpu time: %lld ms, comm: %s\n", name,
                       tids[i], java_state(state), state, cpu, comm);
    if (task[0] && len > 0 && (size_t)len < sizeof text)
      snprintf(text + len, sizeof text - (size_t)len, "\ttask: %s\n", task);
    thread_info *t = &out->threads[out->n];
    t->name = sp_strdup(name);
    t->text = sp_strdup(text);
    if (!t->name || !t->text) {
      sp_free(t->name);
      sp_free(t->text);
      rc = SPATE_ENOMEM;
    } else {
      out->n++;
    }
  }
  for (size_t i = 0; i < nt; i++) sp_free(tids[i]);
  sp_free(tids);
  if (rc < 0) thread_dump_free(out);
  return rc;
}

void thread_dump_free(thread_dump *d) {
  for (size_t i = 0; i < d->n; i++) {
    sp_free(d->threads[i].name);
    sp_free(d->threads[i].text);
  }
  sp_free(d->threads);
  d->threads = NULL;
  d->n = 0;
}
