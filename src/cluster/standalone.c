/*
 * standalone.c: the JobManager and TaskManager processes of a standalone cluster (standalone.h).
 * Work in progress for the standalone-cluster issue: the entry points exist so the CLI's daemon
 * verbs build against them; the processes themselves arrive next.
 */
#include "cluster/standalone.h"

#include <stdio.h>

int standalone_jobmanager_run(const sp_config *cfg, const standalone_job *job) {
  (void)cfg;
  (void)job;
  fprintf(stderr, "spate: the JobManager process is not built yet\n");
  return 1;
}

int standalone_taskmanager_run(const sp_config *cfg) {
  (void)cfg;
  fprintf(stderr, "spate: the TaskManager process is not built yet\n");
  return 1;
}
