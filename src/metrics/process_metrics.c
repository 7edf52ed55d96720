/*
 * process_metrics.c: the process's CPU, memory and thread figures read from /proc
 * (process_metrics.h). Each read opens the file again: reads come from reporters, seconds apart.
 */
#define _GNU_SOURCE
#include "metrics/process_metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"

/* A "Key:   value kB" line of /proc/self/status, in bytes (or the plain number for counts);
 * -1 when absent. */
static int64_t status_field(const char *key) {
  FILE *f = fopen("/proc/self/status", "re");
  if (!f) return -1;
  char line[256];
  size_t klen = strlen(key);
  int64_t v = -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, klen) != 0 || line[klen] != ':') continue;
    long long n;
    char unit[8] = "";
    if (sscanf(line + klen + 1, "%lld %7s", &n, unit) >= 1)
      v = strcmp(unit, "kB") == 0 ? n * 1024 : n;
    break;
  }
  fclose(f);
  return v;
}

/* CPU time (user + system) in ns from /proc/self/stat; -1 when unreadable. */
static int64_t cpu_ns(void) {
  FILE *f = fopen("/proc/self/stat", "re");
  if (!f) return -1;
  char buf[1024];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
  unsigned long long ut, st;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    return -1;
  long hz = sysconf(_SC_CLK_TCK);
  return (int64_t)((ut + st) * (1000000000ULL / (unsigned long long)(hz > 0 ? hz : 100)));
}

static int64_t g_cpu_time(void *a) {
  (void)a;
  return cpu_ns();
}

/* The load between this read and the previous one (of any registry of the process). */
static pthread_mutex_t load_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t last_cpu = -1, last_at;
static double last_load;

static double g_cpu_load(void *a) {
  (void)a;
  int64_t now = sp_mono_ns(), cpu = cpu_ns();
  pthread_mutex_lock(&load_mu);
  if (cpu >= 0 && last_cpu >= 0 && now - last_at >= 1000000) /* at least 1 ms apart */
    last_load = (double)(cpu - last_cpu) / (double)(now - last_at);
  if (cpu >= 0 && (last_cpu < 0 || now - last_at >= 1000000)) {
    last_cpu = cpu;
    last_at = now;
  }
  double v = last_load;
  pthread_mutex_unlock(&load_mu);
  return v;
}

static int64_t g_heap_used(void *a) {
  (void)a;
  return sp_alloc_current();
}
static int64_t g_rss(void *a) {
  (void)a;
  return status_field("VmRSS");
}
static int64_t g_heap_max(void *a) {
  (void)a;
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) return (int64_t)rl.rlim_cur;
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (int64_t)pages * size : -1;
}
static int64_t g_nonheap_used(void *a) {
  (void)a;
  int64_t rss = status_field("VmRSS"), heap = sp_alloc_current();
  return rss > heap ? rss - heap : 0;
}
static int64_t g_minus_one(void *a) {
  (void)a;
  return -1;
}
static int64_t g_threads(void *a) {
  (void)a;
  return status_field("Threads");
}
static int64_t g_vm_size(void *a) {
  (void)a;
  return status_field("VmSize");
}
static int64_t g_vm_hwm(void *a) {
  (void)a;
  return status_field("VmHWM");
}

int process_metrics_add(metric_group *g) {
  static const struct {
    const char *name;
    metric_long_fn fn;
  } longs[] = {
      {"Status.JVM.CPU.Time", g_cpu_time},
      {"Status.JVM.Memory.Heap.Used", g_heap_used},
      {"Status.JVM.Memory.Heap.Committed", g_rss},
      {"Status.JVM.Memory.Heap.Max", g_heap_max},
      {"Status.JVM.Memory.NonHeap.Used", g_nonheap_used},
      {"Status.JVM.Memory.NonHeap.Committed", g_nonheap_used},
      {"Status.JVM.Memory.NonHeap.Max", g_minus_one},
      {"Status.JVM.Threads.Count", g_threads},
      {"Status.Process.VirtualMemory", g_vm_size},
      {"Status.Process.PeakResidentMemory", g_vm_hwm},
  };
  int rc = metric_gauge_double(g, "Status.JVM.CPU.Load", g_cpu_load, NULL);
  for (size_t i = 0; i < sizeof longs / sizeof longs[0] && rc == 0; i++)
    rc = metric_gauge_long(g, longs[i].name, longs[i].fn, NULL);
  return rc;
}
