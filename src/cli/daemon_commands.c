/*
 * daemon_commands.c: argument parsing of the daemon verbs and the foreground run of a daemon
 * (daemon_commands.h). Every argument is checked here, before anything starts, so that a wrong
 * one is reported on the terminal rather than in a background daemon's .out file; `start` then
 * hands the same arguments to the daemon's `start-foreground`.
 */
#include "cli/daemon_commands.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "cli/cluster_commands.h"
#include "cli/daemon_launcher.h"
#include "cli/install_paths.h"
#include "cluster/standalone.h"
#include "rest/history_server.h"

typedef struct verb {
  const char *name;        /* "jobmanager" */
  const daemon_kind *kind; /* NULL for cluster */
  const char *actions;     /* for messages: "start, start-foreground, stop or stop-all" */
  const char *description; /* for --help */
} verb;

static const verb VERBS[] = {
    {"jobmanager", &DAEMON_JOBMANAGER, "start, start-foreground, stop or stop-all",
     "Runs a JobManager (Flink's standalonesession daemon): Dispatcher, ResourceManager,\n"
     "JobMasters, BlobServer and the REST endpoint in one process."},
    {"taskmanager", &DAEMON_TASKMANAGER, "start, start-foreground, stop or stop-all",
     "Runs a TaskManager (Flink's taskexecutor daemon) with taskmanager.numberOfTaskSlots\n"
     "slots; it registers at jobmanager.rpc.address:jobmanager.rpc.port."},
    {"standalone-job", &DAEMON_STANDALONE_JOB, "start, start-foreground or stop",
     "Runs a JobManager in application mode (Flink's standalonejob daemon): it runs the\n"
     "job's spate_main itself and shuts down when the job ends."},
    {"historyserver", &DAEMON_HISTORYSERVER, "start, start-foreground, stop or stop-all",
     "Runs the history server (Flink's historyserver daemon): serves the archives of finished\n"
     "jobs (written by JobManagers with jobmanager.archive.fs.dir) read-only, from the\n"
     "directories of historyserver.archive.fs.dir, on historyserver.web.port (8082)."},
    {"cluster", NULL, "start or stop",
     "Starts or stops a standalone cluster as Flink's start-cluster.sh and stop-cluster.sh:\n"
     "one JobManager on this host, then one TaskManager per line of the workers file of the\n"
     "configuration directory ($SPATE_CONF_DIR, else conf/). localhost, 127.0.0.1 and this\n"
     "host's name start locally; other hosts through\n"
     "  ssh -n $SPATE_SSH_OPTS <host> -- \"<installation>/bin/spate taskmanager start ...\".\n"
     "stop stops one TaskManager per line of workers, then the JobManager."},
};

static const verb *find_verb(const char *cmd) {
  for (size_t i = 0; i < sizeof VERBS / sizeof VERBS[0]; i++)
    if (strcmp(VERBS[i].name, cmd) == 0) return &VERBS[i];
  return NULL;
}

bool daemon_command_known(const char *cmd) { return find_verb(cmd) != NULL; }

static void usage(FILE *f, const verb *v) {
  bool job = v->kind == &DAEMON_STANDALONE_JOB, cluster = v->kind == NULL;
  if (job)
    fprintf(f,
            "Usage: spate standalone-job (start|start-foreground) --job <job.so> [options] "
            "[--] [job args]\n"
            "       spate standalone-job stop [-D <key>=<value>]...\n");
  else if (cluster)
    fprintf(f, "Usage: spate cluster (start|stop) [-D <key>=<value>]...\n");
  else
    fprintf(f, "Usage: spate %s (start|start-foreground|stop|stop-all) [-D <key>=<value>]...\n",
            v->name);
  fprintf(f, "\n%s\n\nActions:\n", v->description);
  if (cluster) {
    fprintf(f,
            "  start              start the JobManager and the TaskManagers in the background\n"
            "  stop               stop the TaskManagers, then the JobManager\n");
  } else {
    fprintf(f,
            "  start              run it in the background (a daemon); its output goes to\n"
            "                     <env.log.dir>/spate-<user>-%s-<n>-<host>.log and .out\n"
            "  start-foreground   run it in this process, logging to the console\n"
            "  stop               stop the newest daemon of this kind on this host\n",
            v->kind->name);
    if (!job) fprintf(f, "  stop-all           stop every daemon of this kind on this host\n");
  }
  fprintf(f, "\nOptions:\n");
  if (job)
    fprintf(f,
            "  --job <job.so>          the job's shared object (defines spate_main)\n"
            "  --job-id <id>           the job's id, 32 hex digits (default: all zeros)\n"
            "  -s, --fromSavepoint <path>\n"
            "                          start the job from a savepoint or retained checkpoint\n"
            "  -n, --allowNonRestoredState\n"
            "                          skip state that maps to no operator of the job\n");
  fprintf(f,
          "  -D <key>=<value>        set a configuration key (overrides conf/config.yaml)\n"
          "  -h, --help              show this help\n"
          "\n"
          "Files: pid files in env.pid.dir (default /tmp), spate-<user>-<daemon>.pid with one\n"
          "pid per line; log files in env.log.dir (default: log/ of the installation), the\n"
          "previous ones rotated to .1, .2, ... keeping env.log.max (default 10).\n"
          "<user> is $SPATE_IDENT_STRING, else $USER.\n");
}

/* An argument error as Flink's CliFrontend reports one (reference §3.3), on stdout like the other
 * verbs' (client_commands.c): the message, a blank line and the hint; returns the exit code 1. */
__attribute__((format(printf, 2, 3))) static int arg_error(const verb *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("spate %s: ", v->name);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n\nUse the help option (-h or --help) to get help on the command.\n");
  return 1;
}

/* The value of option argv[*i] (name `opt`): after "opt=" or, for -D, joined ("-Dk=v"), else the
 * next argument (consumed). NULL when there is none. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt) {
  const char *a = argv[*i];
  size_t n = strlen(opt);
  if (strncmp(a, opt, n) == 0 && a[n] == '=' && opt[1] == '-') return a + n + 1;
  if (strncmp(a, opt, n) == 0 && a[n] && opt[1] != '-') return a + n; /* -Dkey=value */
  if (*i + 1 < argc) return argv[++*i];
  return NULL;
}

/* Whether a is option opt, alone or with its value joined ("--job=x", "-Dk=v"). */
static bool is_opt(const char *a, const char *opt) {
  size_t n = strlen(opt);
  if (strncmp(a, opt, n) != 0) return false;
  return a[n] == 0 || (opt[1] == '-' ? a[n] == '=' : true);
}

static bool is_job_id(const char *s) {
  size_t n = strlen(s);
  if (n != 32) return false;
  for (size_t i = 0; i < n; i++)
    if (!isxdigit((unsigned char)s[i])) return false;
  return true;
}

/* Runs the daemon of verb v in this process (flink-console.sh). */
static int run_foreground(const verb *v, sp_config *cfg, const standalone_job *job) {
  int level = sp_log_parse_level(sp_config_str(cfg, "log.level"));
  if (level >= 0) sp_log_set_level((sp_log_level)level);
  if (sp_config_is_set(cfg, "log.file") && sp_log_set_file(sp_config_str(cfg, "log.file")) < 0) {
    fprintf(stderr, "spate %s: cannot open log file '%s'\n", v->name,
            sp_config_str(cfg, "log.file"));
    return 1;
  }
  char host[256];
  daemon_host(host, sizeof host);
  printf("Starting %s as a console application on host %s.\n", v->kind->name, host);
  fflush(stdout);
  if (v->kind == &DAEMON_HISTORYSERVER) return history_server_run(cfg);
  return v->kind == &DAEMON_TASKMANAGER ? standalone_taskmanager_run(cfg)
                                        : standalone_jobmanager_run(cfg, job);
}

int daemon_command_run(const char *cmd, int argc, char **argv) {
  const verb *v = find_verb(cmd);
  if (!v) return 1;
  if (argc < 1) return arg_error(v, "missing action: %s", v->actions);
  const char *action = argv[0];
  if (strcmp(action, "-h") == 0 || strcmp(action, "--help") == 0) {
    usage(stdout, v);
    return 0;
  }
  bool fg = strcmp(action, "start-foreground") == 0, start = strcmp(action, "start") == 0;
  bool stop = strcmp(action, "stop") == 0, stop_all = strcmp(action, "stop-all") == 0;
  bool job_kind = v->kind == &DAEMON_STANDALONE_JOB;
  if (!(start || stop || (v->kind && fg) || (v->kind && !job_kind && stop_all)))
    return arg_error(v, "unknown action '%s': expected %s", action, v->actions);

  /* The configuration with every -D applied: errors now, on the terminal, not in a daemon. */
  sp_config *cfg = sp_config_new();
  if (!cfg) return 1;
  if (cli_load_config(cfg) < 0) {
    sp_config_free(cfg);
    return 1;
  }
  standalone_job job = {0};
  char job_path[PATH_MAX], err[SP_ERRMSG_MAX];
  bool job_opts = job_kind && (start || fg);
  int i, rc = 1;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout, v);
      rc = 0;
      goto done;
    } else if (is_opt(a, "-D")) {
      const char *kv = opt_value(argc, argv, &i, "-D");
      if (!kv) {
        rc = arg_error(v, "-D needs a value: key=value");
        goto done;
      }
      if (sp_config_set_kv(cfg, kv, err, sizeof err) < 0) {
        rc = arg_error(v, "%s", err);
        goto done;
      }
    } else if (job_opts && is_opt(a, "--job")) {
      job.job_path = opt_value(argc, argv, &i, "--job");
      if (!job.job_path || !job.job_path[0]) {
        rc = arg_error(v, "--job needs a value: the job's shared object");
        goto done;
      }
    } else if (job_opts && is_opt(a, "--job-id")) {
      job.job_id = opt_value(argc, argv, &i, "--job-id");
      if (!job.job_id || !is_job_id(job.job_id)) {
        rc = arg_error(v, "invalid job id '%s' for --job-id: must be 32 hex digits",
                       job.job_id ? job.job_id : "");
        goto done;
      }
    } else if (job_opts && (strcmp(a, "-s") == 0 || is_opt(a, "--fromSavepoint"))) {
      job.savepoint = opt_value(argc, argv, &i, a[1] == 's' ? "-s" : "--fromSavepoint");
      if (!job.savepoint || !job.savepoint[0]) {
        rc = arg_error(v, "%s needs a value: a savepoint or checkpoint path", a);
        goto done;
      }
    } else if (job_opts && (strcmp(a, "-n") == 0 || strcmp(a, "--allowNonRestoredState") == 0)) {
      job.allow_non_restored = true;
    } else if (job_opts && strcmp(a, "--") == 0) {
      i++;
      break;
    } else if (job_opts) {
      /* the job's arguments begin at the first argument that is none of the options above, as
       * Flink's entry point parses its command line (commons-cli, stopping at a non-option) */
      break;
    } else {
      rc = a[0] == '-' ? arg_error(v, "unknown option '%s'", a)
                       : arg_error(v, "unexpected argument '%s' for %s", a, action);
      goto done;
    }
  }
  if (job_opts && !job.job_path) {
    rc = arg_error(v, "%s needs --job <job.so>: the job to run", action);
    goto done;
  }
  if (job_opts && access(job.job_path, R_OK) != 0) {
    rc = arg_error(v, "cannot read job file '%s': %s", job.job_path, strerror(errno));
    goto done;
  }
  if (v->kind == &DAEMON_HISTORYSERVER && (start || fg) &&
      !sp_config_is_set(cfg, "historyserver.archive.fs.dir")) {
    rc = arg_error(v,
                   "historyserver.archive.fs.dir is not set: give the directories the "
                   "JobManagers archive to (jobmanager.archive.fs.dir), e.g. "
                   "-D historyserver.archive.fs.dir=file:///tmp/completed-jobs");
    goto done;
  }
  job.argc = argc - i;
  job.argv = argv + i;
  if (!v->kind) {
    rc = start ? cluster_start(cfg, argc - 1, argv + 1) : cluster_stop(cfg, argc - 1, argv + 1);
  } else if (fg) {
    if (job_opts) { /* dlopen needs a path with a slash to not search the library path */
      if (!realpath(job.job_path, job_path)) {
        rc = arg_error(v, "cannot resolve job file '%s'", job.job_path);
        goto done;
      }
      job.job_path = job_path;
    }
    rc = run_foreground(v, cfg, job_kind ? &job : NULL);
  } else if (start) {
    rc = daemon_start(cfg, v->kind, argc - 1, argv + 1);
  } else {
    rc = daemon_stop(cfg, v->kind, stop_all);
  }
done:
  sp_config_free(cfg);
  return rc;
}
