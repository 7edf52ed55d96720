/*
 * execute_main.c: spate_execute_main, the one call that ends a typical spate_main: execute the
 * job, say on stderr why it failed (a build error kept on the environment, or the job's own
 * failure), free the environment and turn the outcome into the process's exit code. Builder
 * calls accept a NULL stream (the result of an earlier failed call) and keep the first error,
 * so a job needs no error handling between its calls.
 */
#include <stdio.h>

#include "api/api.h"

int spate_execute_main(spate_env *env, const char *job_name) {
  const char *name = job_name && job_name[0] ? job_name : "Spate Streaming Job";
  if (!env) {
    fprintf(stderr, "%s: out of memory creating the execution environment\n", name);
    return 1;
  }
  spate_job_result *r = spate_execute(env, job_name);
  int code = 1;
  /* under `spate run` the CLI reports a failure itself, in the words of Flink's CLI */
  bool report = api_cli_context() == NULL;
  if (!r) {
    fprintf(stderr, "%s: out of memory executing the job\n", name);
  } else {
    spate_job_status st = spate_job_result_status(r);
    /* PLANNED: `spate info` printed the plan; DETACHED: `spate run -d` submitted the job */
    if (st == SPATE_JOB_FINISHED || st == SPATE_JOB_PLANNED || st == SPATE_JOB_DETACHED) {
      code = 0;
    } else if (report) {
      const char *err = spate_job_result_error(r);
      if (st == SPATE_JOB_CANCELED)
        fprintf(stderr, "%s: the job was canceled\n", name);
      else
        fprintf(stderr, "%s: the job failed: %s\n", name, err ? err : "(no message)");
    }
    spate_job_result_free(r);
  }
  spate_env_free(env);
  return code;
}
