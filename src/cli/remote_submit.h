/*
 * remote_submit.h: where `spate run` sends a job when it does not run it on an embedded
 * MiniCluster (api.h's api_remote): a cluster's REST endpoint (`spate run -m host:port`,
 * execution.target: remote), or, in application mode, the JobManager of the same process; and
 * the program loader both `spate run` and application mode use.
 */
#ifndef SPATE_CLI_REMOTE_SUBMIT_H
#define SPATE_CLI_REMOTE_SUBMIT_H
#include <stdbool.h>

#include "api/api.h"
#include "cluster/standalone.h"
#include "rest/rest_remote.h"

/* Loads the job's shared object (dlopen, global symbols) and finds its spate_main; NULL with a
 * message on stderr naming the command and the file. */
typedef int (*program_main)(int, char **);
program_main cli_load_program(const char *cmd, const char *job);

/* standalone_hooks.run_job: runs an application-mode job's program, its spate_execute
 * submitting to the JobManager of this process, and waits for the job to end. */
int cli_application_run(const sp_config *cfg, const standalone_job *job, struct jm_gateway *gw);
#endif
