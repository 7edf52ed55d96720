/*
 * process_stats.h: the figures of this process and its machine that the REST endpoint shows
 * where Flink shows the JVM's (a TaskManager's hardware and memory, /taskmanagers/:id's metrics):
 * CPU cores, physical and available memory, the process's resident and virtual size, the memory
 * allocated through base/alloc.h, its CPU time and threads. Read from sysconf and /proc.
 */
#ifndef SPATE_BASE_PROCESS_STATS_H
#define SPATE_BASE_PROCESS_STATS_H
#include <stdint.h>

typedef struct sp_process_stats {
  int32_t cpu_cores;
  int64_t physical_memory; /* bytes of the machine */
  int64_t free_memory;     /* bytes available on the machine (MemAvailable) */
  int64_t rss;             /* resident bytes of this process */
  int64_t vsize;           /* virtual bytes of this process */
  int64_t alloc_current;   /* bytes allocated through sp_malloc now (accounted allocation) */
  int64_t alloc_peak;      /* the most ever allocated through sp_malloc at once */
  int64_t cpu_time_ms;     /* user + system CPU time of the process */
  int32_t threads;         /* threads of the process */
} sp_process_stats;

/* Fills out; a figure that cannot be read is 0. */
void sp_process_stats_read(sp_process_stats *out);
#endif
