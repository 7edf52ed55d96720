/*
 * remote_submit.c: submitting a job to a cluster (remote_submit.h): in application mode through
 * the JobManager gateway of this process (a REST endpoint's target is rest/rest_remote.h).
 */
#include "cli/remote_submit.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "cluster/jobmanager_gateway.h"

program_main cli_load_program(const char *cmd, const char *job) {
  char path[PATH_MAX + 8];
  snprintf(path, sizeof path, "%s%s", strchr(job, '/') ? "" : "./", job);
  if (access(path, R_OK) != 0) {
    fprintf(stderr, "spate %s: cannot read job file '%s': %s\n", cmd, job, strerror(errno));
    return NULL;
  }
  void *dl = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (!dl) {
    fprintf(stderr, "spate %s: cannot load job file '%s': %s\n", cmd, job, dlerror());
    return NULL;
  }
  program_main entry;
  void *sym = dlsym(dl, "spate_main");
  memcpy(&entry, &sym, sizeof entry);
  if (!sym) {
    fprintf(stderr,
            "spate %s: job file '%s' has no entry point: it must define "
            "int spate_main(int argc, char **argv)\n",
            cmd, job);
    return NULL;
  }
  return entry;
}

/* Application mode: the JobManager of this process is the cluster. */
static int gw_submit(void *arg, const void *graph, size_t len, const char *artifact,
                     const char *job_id, char *err, size_t err_len) {
  char got[33];
  int rc = jm_gateway_submit(arg, graph, len, artifact, got, err, err_len);
  if (rc == 0 && strcmp(got, job_id) != 0)
    return sp_err(err, err_len, SPATE_EIO, "submitted job %s as %s", job_id, got);
  return rc;
}

static int gw_wait(void *arg, const char *job_id, spate_job_status *status, int64_t *runtime_ms,
                   char **failure, char *err, size_t err_len) {
  jm_gateway *gw = arg;
  (void)err;
  (void)err_len;
  jm_gateway_wait_done(gw, job_id, -1);
  cluster_view *v = jm_gateway_view(gw);
  cluster_view_lock(v);
  cv_job *j = cluster_view_find(v, job_id);
  *status = !j                                   ? SPATE_JOB_FAILED
            : strcmp(j->status, "FINISHED") == 0 ? SPATE_JOB_FINISHED
            : strcmp(j->status, "CANCELED") == 0 ? SPATE_JOB_CANCELED
                                                 : SPATE_JOB_FAILED;
  *runtime_ms = j ? j->runtime_ms : 0;
  *failure = j && j->failure ? sp_strdup(j->failure) : NULL;
  cluster_view_unlock(v);
  return 0;
}

int cli_application_run(const sp_config *cfg, const standalone_job *job, struct jm_gateway *gw) {
  program_main entry = cli_load_program("standalone-job", job->job_path);
  if (!entry) return 1;
  api_remote remote = {.arg = gw, .submit = gw_submit, .wait = gw_wait};
  /* Flink's application mode: the fixed all-zero job id unless --job-id gives one; -s and -n
   * as for spate run */
  sp_config *conf = sp_config_clone(cfg);
  char err[SP_ERRMSG_MAX];
  if (!conf) return 1;
  if ((job->savepoint && sp_config_set(conf, "execution.savepoint.path", job->savepoint, "-s", err,
                                       sizeof err) < 0) ||
      (job->allow_non_restored && sp_config_set(conf, "execution.savepoint.ignore-unclaimed-state",
                                                "true", "-n", err, sizeof err) < 0)) {
    fprintf(stderr, "spate standalone-job: %s\n", err);
    sp_config_free(conf);
    return 1;
  }
  cli_context cli = {.config = conf,
                     .remote = &remote,
                     .job_path = job->job_path,
                     .job_id = job->job_id ? job->job_id : "00000000000000000000000000000000"};
  api_set_cli_context(&cli);
  char *argv0[] = {(char *)job->job_path, NULL};
  int rc = job->argc > 0 ? entry(job->argc, job->argv) : entry(1, argv0);
  api_set_cli_context(NULL);
  sp_config_free(conf);
  if (cli.failures > 0) fprintf(stderr, "spate standalone-job: %s\n", cli.error);
  return rc != 0 || cli.failures > 0 || cli.executions == 0 ? 1 : 0;
}
