/*
 * process_metrics.h: the process's own figures under the names Flink gives the JVM's, on a
 * JobManager's or TaskManager's group (Flink's MetricUtils.instantiateStatusMetrics):
 *
 *   Status.JVM.CPU.Load                fraction of one CPU used between two reads (0..ncpu)
 *   Status.JVM.CPU.Time                CPU time used, ns (user + system, /proc/self/stat)
 *   Status.JVM.Memory.Heap.Used        bytes allocated through base/alloc.h now
 *   Status.JVM.Memory.Heap.Committed   resident set size, bytes (/proc/self/status VmRSS)
 *   Status.JVM.Memory.Heap.Max         the address-space limit, or the machine's memory
 *   Status.JVM.Memory.NonHeap.Used     resident bytes not accounted as allocated
 *   Status.JVM.Memory.NonHeap.Committed  = NonHeap.Used;  NonHeap.Max  -1 (none)
 *   Status.JVM.Threads.Count           threads of the process (/proc/self/status Threads)
 *   Status.Process.VirtualMemory       virtual size, bytes (VmSize)
 *   Status.Process.PeakResidentMemory  peak resident set, bytes (VmHWM)
 */
#ifndef SPATE_METRICS_PROCESS_METRICS_H
#define SPATE_METRICS_PROCESS_METRICS_H
#include "metrics/metric_registry.h"

/* Registers them on g. 0 or a negative error. */
int process_metrics_add(metric_group *g);
#endif
