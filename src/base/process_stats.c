/*
 * process_stats.c: this process's and machine's figures from sysconf and /proc
 * (process_stats.h).
 */
#define _GNU_SOURCE
#include "base/process_stats.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"

/* MemAvailable of /proc/meminfo in bytes, or 0. */
static int64_t mem_available(void) {
  FILE *f = fopen("/proc/meminfo", "re");
  if (!f) return 0;
  char line[256];
  long long kb = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1) break;
  fclose(f);
  return (int64_t)kb * 1024;
}

static int32_t count_threads(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return 0;
  int32_t n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

void sp_process_stats_read(sp_process_stats *out) {
  memset(out, 0, sizeof *out);
  long page = sysconf(_SC_PAGESIZE), pages = sysconf(_SC_PHYS_PAGES);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  out->cpu_cores = cores > 0 ? (int32_t)cores : 1;
  if (page > 0 && pages > 0) out->physical_memory = (int64_t)page * pages;
  out->free_memory = mem_available();
  FILE *f = fopen("/proc/self/statm", "re");
  if (f) {
    long long size = 0, resident = 0;
    if (fscanf(f, "%lld %lld", &size, &resident) == 2 && page > 0) {
      out->vsize = (int64_t)size * page;
      out->rss = (int64_t)resident * page;
    }
    fclose(f);
  }
  out->alloc_current = sp_alloc_current();
  out->alloc_peak = sp_alloc_peak();
  struct timespec ts;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0)
    out->cpu_time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  out->threads = count_threads();
}
