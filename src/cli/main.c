/*
 * main.c: the `spate` command, a thin layer over libspate, with Flink's CLI verbs.
 *
 *   spate run  [-p N] [-D key=value]... [-s path [-n]] <job.so> [job args]
 *                                                            run a job on the embedded MiniCluster
 *   spate info [-p N] [-D key=value]... <job.so> [job args]   print the job's plan as JSON
 *   spate nexmark run <query> [options] | list     a Nexmark query (cli/nexmark_command.h)
 *   spate sql [-f script.sql] [-i init.sql] [-D key=value]...   the SQL client (cli/sql_client.h)
 *   spate list|cancel|stop|savepoint|checkpoint [-m host:port] ...
 *                                       act on a cluster through its REST endpoint (client_commands.c)
 *
 *   spate jobmanager|taskmanager|standalone-job|cluster <action> ...
 *                                  a standalone cluster's daemons (cli/daemon_commands.h)
 *
 * The configuration is conf/config.yaml from $SPATE_CONF_DIR, ./conf, or the installation's
 * conf directory (next to bin/ or one level further up, as in a build tree; cli/install_paths.h),
 * then -D overrides.
 * The job object is loaded with dlopen and its spate_main is called with the job arguments.
 * A crash in the job's code (SIGSEGV, abort, ...) is reported naming the task, operator and
 * signal before the process dies with that signal (runtime/crash_report.h).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/log.h"
#include "cli/client_commands.h"
#include "cli/daemon_commands.h"
#include "cli/install_paths.h"
#include "cli/nexmark_command.h"
#include "cli/remote_submit.h"
#include "cli/sql_client.h"
#include "rest/jobmanager_rest.h"
#include "rest/rest_client.h"
#include "runtime/crash_report.h"

#ifndef SPATE_VERSION
#define SPATE_VERSION "0.1.0"
#endif

static void usage_main(FILE *f) {
  fprintf(f,
          "Usage: spate <command> [options]\n"
          "\n"
          "Spate: a stream processor with Apache Flink's model, in C.\n"
          "\n"
          "Commands:\n"
          "  run       run a job on the embedded MiniCluster, or on a cluster with -m\n"
          "  info      print the execution plan of a job as JSON\n"
          "  nexmark   run|list the Nexmark benchmark's queries (spate nexmark --help)\n"
          "  sql       the SQL client: statements at a prompt, or a script with -f\n"
          "            (spate sql --help)\n"
          "  jobmanager, taskmanager, standalone-job, historyserver\n"
          "            start|start-foreground|stop|stop-all a daemon of a standalone cluster\n"
          "  cluster   start|stop a standalone cluster (JobManager + conf/workers' TaskManagers)\n"
          "  list, cancel, stop, savepoint, checkpoint\n"
          "            list jobs, cancel or stop one, take or dispose of a savepoint, trigger a\n"
          "            checkpoint on a cluster (its JobManager: -m host:port, else\n"
          "            rest.address:rest.port)\n"
          "\n"
          "Options:\n"
          "  -h, --help      show this help (also after a command: spate run --help)\n"
          "  -v, --version   show the version\n");
}

static void usage_cmd(FILE *f, const char *cmd) {
  fprintf(
      f,
      "Usage: spate %s [options] <job.so> [job arguments]\n"
      "\n"
      "%s\n"
      "\n"
      "Options:\n"
      "  -p, --parallelism <n>   default parallelism of the job (overrides parallelism.default)\n"
      "  -D <key>=<value>        set a configuration key (overrides conf/config.yaml)\n"
      "  -s, --fromSavepoint <path>\n"
      "                          start from a savepoint or retained checkpoint: its\n"
      "                          directory, its _metadata file, or a job's checkpoint\n"
      "                          directory (the newest complete checkpoint in it)\n"
      "  -n, --allowNonRestoredState\n"
      "                          skip state that maps to no operator of the job\n"
      "  -m, --jobmanager <host:port>\n"
      "                          (run) submit to the cluster whose REST endpoint is there\n"
      "                          (also -D execution.target=remote: rest.address:rest.port)\n"
      "  -d, --detached          (run, with a cluster) return once the job is submitted\n"
      "  --rest                  (run, embedded) serve the REST API on rest.port while the\n"
      "                          job runs (as -D rest.bind-port=<port>), to watch it with curl\n"
      "  -h, --help              show this help\n"
      "\n"
      "The job object defines int spate_main(int argc, char **argv); build it with\n"
      "  cc -shared -fPIC -Iinclude job.c -o job.so\n"
      "Configuration: $SPATE_CONF_DIR/config.yaml, else ./conf/config.yaml, else the\n"
      "installation's conf/config.yaml.\n",
      cmd,
      strcmp(cmd, "run") == 0
          ? "Runs the job on an embedded MiniCluster, or submits it to a cluster (-m), and\n"
            "waits for it to end (unless -d). Prints the job id when the job is submitted\n"
            "and its runtime when it finishes; exits non-zero when the job fails."
          : "Prints the job's execution plan (vertices, chained operators, parallelism,\n"
            "edges and partitioners) as JSON without running it.");
}

static int load_config(sp_config *cfg) { return cli_load_config(cfg); }

static int parse_parallelism(const char *cmd, const char *s, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (!*s || *end || errno || v < 1 || v > 32768) {
    fprintf(stderr,
            "spate %s: invalid parallelism '%s' for -p: must be an integer from 1 to 32768\n", cmd,
            s);
    return -1;
  }
  *out = (int)v;
  return 0;
}

/* Whether a looks like an option rather than a value: "-x..." but not a negative number. */
static bool is_option(const char *a) {
  return a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9');
}

/* The value of the option at argv[*i] (spelt `a`, e.g. "-p" or "--parallelism"): the text after
 * "--long=" or, for the short form, after the letter ("-p4"), else the next argument, which is
 * consumed. An option with no value (the last argument, or followed by another option) is
 * reported, naming the option and what it needs, as commons-cli does for Flink's CLI; NULL then. */
static const char *option_value(const char *cmd, int argc, char **argv, int *i, const char *shrt,
                                const char *lng, const char *what) {
  const char *a = argv[*i];
  size_t ln = strlen(lng);
  if (strncmp(a, lng, ln) == 0 && a[ln] == '=') return a + ln + 1;
  if (strcmp(a, shrt) != 0 && strcmp(a, lng) != 0) return a + strlen(shrt); /* joined: -p4 */
  if (*i + 1 < argc && !is_option(argv[*i + 1])) return argv[++*i];
  fprintf(stderr, "spate %s: %s needs a value: %s%s%s\n", cmd, a, what,
          *i + 1 < argc ? ", not the option " : "", *i + 1 < argc ? argv[*i + 1] : "");
  return NULL;
}

/* Whether a is option `shrt` / `lng` in any of its forms: "-p", "-p4", "--parallelism",
 * "--parallelism=4". */
static bool is_opt(const char *a, const char *shrt, const char *lng) {
  size_t ln = strlen(lng);
  return strcmp(a, lng) == 0 || (strncmp(a, lng, ln) == 0 && a[ln] == '=') ||
         strncmp(a, shrt, strlen(shrt)) == 0;
}

/* run and info */
static int run_job(const char *cmd, int argc, char **argv) {
  bool is_run = strcmp(cmd, "info") != 0; /* "run", or "nexmark run" (cli/nexmark_command.h) */
  sp_config *cfg = sp_config_new();
  if (!cfg) return 1;
  int parallelism = 0, i, rc = load_config(cfg);
  const char *target = NULL; /* -m host:port */
  bool detached = false, rest = false;
  if (rc < 0) {
    sp_config_free(cfg);
    return 1;
  }
  for (i = 0; i < argc; i++) {
    const char *a = argv[i];
    char err[SP_ERRMSG_MAX];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage_cmd(stdout, cmd);
      sp_config_free(cfg);
      return 0;
    } else if (is_opt(a, "-p", "--parallelism")) {
      const char *v = option_value(cmd, argc, argv, &i, "-p", "--parallelism",
                                   "the parallelism, an integer from 1 to 32768");
      if (!v || parse_parallelism(cmd, v, &parallelism) < 0) goto bad;
    } else if (is_opt(a, "-D", "-D")) {
      const char *kv = option_value(cmd, argc, argv, &i, "-D", "-D", "key=value");
      if (!kv) goto bad;
      if (sp_config_set_kv(cfg, kv, err, sizeof err) < 0) {
        fprintf(stderr, "spate %s: %s\n", cmd, err);
        goto bad;
      }
    } else if (strcmp(a, "-s") == 0 || is_opt(a, "--fromSavepoint", "--fromSavepoint")) {
      const char *sp = option_value(cmd, argc, argv, &i, "-s", "--fromSavepoint",
                                    "a savepoint or checkpoint path");
      if (!sp) goto bad;
      if (!sp[0]) {
        fprintf(stderr, "spate %s: %s needs a savepoint or checkpoint path, got ''\n", cmd, a);
        goto bad;
      }
      if (sp_config_set(cfg, "execution.savepoint.path", sp, a, err, sizeof err) < 0) {
        fprintf(stderr, "spate %s: %s\n", cmd, err);
        goto bad;
      }
    } else if (is_opt(a, "-m", "--jobmanager")) {
      if (!(target = option_value(cmd, argc, argv, &i, "-m", "--jobmanager",
                                  "the JobManager's REST address, host:port")))
        goto bad;
    } else if (strcmp(a, "-d") == 0 || strcmp(a, "--detached") == 0) {
      detached = true;
    } else if (strcmp(a, "--rest") == 0) {
      rest = true;
    } else if (strcmp(a, "-n") == 0 || strcmp(a, "--allowNonRestoredState") == 0) {
      if (sp_config_set(cfg, "execution.savepoint.ignore-unclaimed-state", "true", a, err,
                        sizeof err) < 0) {
        fprintf(stderr, "spate %s: %s\n", cmd, err);
        goto bad;
      }
    } else if (a[0] == '-') {
      fprintf(stderr, "spate %s: unknown option '%s' (see spate %s --help)\n", cmd, a, cmd);
      goto bad;
    } else {
      break;
    }
  }
  if (i >= argc) {
    fprintf(stderr, "spate %s: no job file given\n", cmd);
    usage_cmd(stderr, cmd);
    goto bad;
  }
  int level = sp_log_parse_level(sp_config_str(cfg, "log.level"));
  if (level >= 0) sp_log_set_level((sp_log_level)level);
  if (parallelism > 0) { /* as Flink's -p: the job's parallelism.default, so its config says so */
    char p[16], err[SP_ERRMSG_MAX];
    snprintf(p, sizeof p, "%d", parallelism);
    if (sp_config_set(cfg, "parallelism.default", p, "-p", err, sizeof err) < 0) {
      fprintf(stderr, "spate %s: %s\n", cmd, err);
      goto bad;
    }
  }
  if (rest && !sp_config_is_set(cfg, "rest.bind-port")) { /* the MiniCluster serves REST */
    char port[16], err[SP_ERRMSG_MAX];
    snprintf(port, sizeof port, "%d", (int)sp_config_int(cfg, "rest.port"));
    if (sp_config_set(cfg, "rest.bind-port", port, "--rest", err, sizeof err) < 0) {
      fprintf(stderr, "spate %s: %s\n", cmd, err);
      goto bad;
    }
  }

  const char *job = argv[i];
  program_main entry = cli_load_program(cmd, job);
  if (!entry) goto bad;
  /* a cluster's REST endpoint: -m, or execution.target: remote with rest.address:rest.port */
  rest_remote remote;
  bool to_cluster = target || strcmp(sp_config_str(cfg, "execution.target"), "remote") == 0;
  if (to_cluster && is_run) {
    char *host = NULL, err[SP_ERRMSG_MAX];
    int port = (int)sp_config_int(cfg, "rest.port");
    if (target && rest_parse_address(target, &host, &port, err, sizeof err) < 0) {
      fprintf(stderr, "spate %s: %s\n", cmd, err);
      goto bad;
    }
    rest_remote_init(&remote, host ? host : sp_config_str(cfg, "rest.address"), port, detached);
    sp_free(host);
  } else if (detached) {
    fprintf(stderr, "spate %s: -d (detached) needs a cluster to submit to: -m host:port\n", cmd);
    goto bad;
  }
  /* a fixed job id (what POST /jars/:jarid/run's jobId sets): Flink's $internal.pipeline.job-id */
  const char *fixed_id = NULL;
  if (sp_config_is_set(cfg, "$internal.pipeline.job-id")) {
    fixed_id = sp_config_str(cfg, "$internal.pipeline.job-id");
    bool ok = strlen(fixed_id) == 32;
    for (size_t k = 0; ok && k < 32; k++)
      ok = (fixed_id[k] >= '0' && fixed_id[k] <= '9') || (fixed_id[k] >= 'a' && fixed_id[k] <= 'f');
    if (!ok) {
      fprintf(stderr,
              "spate %s: invalid $internal.pipeline.job-id '%s': must be 32 lowercase hex "
              "digits\n",
              cmd, fixed_id);
      goto bad;
    }
  }
  cli_context cli = {.config = cfg,
                     .job_id = fixed_id,
                     .parallelism = parallelism,
                     .plan_only = strcmp(cmd, "info") == 0,
                     .remote = to_cluster && is_run ? &remote.api : NULL,
                     .job_path = job};
  api_set_cli_context(&cli);
  rc = entry(argc - i, argv + i);
  api_set_cli_context(NULL);
  sp_config_free(cfg);
  if (cli.plan_only) {
    if (cli.planned && cli.failures == 0) return 0;
    if (cli.executions == 0)
      fprintf(stderr, "spate info: the job did not call spate_execute, so there is no plan\n");
    else
      fprintf(stderr, "spate info: %s\n", cli.error[0] ? cli.error : "the plan could not be built");
    return 1;
  }
  if (cli.failures > 0) {
    fprintf(stderr,
            "\n------------------------------------------------------------\n"
            " The program finished with the following exception:\n\n%s\n",
            cli.error);
    return rc > 0 && rc < 126 ? rc : 1;
  }
  /* detached, a program cannot learn how its job ended (Flink's DetachedJobExecutionResult):
   * what it concludes from the result it got is not the job's outcome */
  if (rc != 0 && cli.remote && cli.remote->detached && cli.executions > 0) return 0;
  if (rc != 0) fprintf(stderr, "spate %s: the job's spate_main returned %d\n", cmd, rc);
  return rc ? (rc > 0 && rc < 126 ? rc : 1) : 0;
bad:
  sp_config_free(cfg);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage_main(stderr);
    return 1;
  }
  const char *cmd = argv[1];
  crash_report_install();
  /* what a JobManager started by this command adds above the cluster layer */
  standalone_set_hooks(&(standalone_hooks){.rest_start = jobmanager_rest_start,
                                           .rest_stop = jobmanager_rest_stop,
                                           .run_job = cli_application_run});
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    usage_main(stdout);
    return 0;
  }
  if (strcmp(cmd, "-v") == 0 || strcmp(cmd, "--version") == 0) {
    printf("spate %s\n", SPATE_VERSION);
    return 0;
  }
  if (strcmp(cmd, "run") == 0 || strcmp(cmd, "info") == 0) return run_job(cmd, argc - 2, argv + 2);
  if (strcmp(cmd, "nexmark") == 0) return nexmark_command(argc - 2, argv + 2, run_job);
  if (client_command_known(cmd)) return client_command(cmd, argc - 2, argv + 2, load_config);
  if (daemon_command_known(cmd)) return daemon_command_run(cmd, argc - 2, argv + 2);
  if (strcmp(cmd, "sql") == 0) return sql_client_main(argc - 2, argv + 2);
  fprintf(stderr, "spate: unknown command '%s'\n\n", cmd);
  usage_main(stderr);
  return 1;
}
