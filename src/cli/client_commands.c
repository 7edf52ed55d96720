/*
 * client_commands.c: `spate list`, `cancel`, `stop`, `savepoint` and `checkpoint`, Flink's CLI
 * actions against a cluster, as clients of the JobManager's REST endpoint (rest/rest_client.h).
 *
 * Options follow Flink's commons-cli parsing: -m/--jobmanager <host:port> and -D key=value on
 * every verb, then each verb's own flags; single-dash long flags (-type, -detached, -full) as
 * Flink spells them. `savepoint -j <job.so>` (Flink's --jarfile) checks that the file loads as
 * a job object (dlopen, spate_main) before the savepoint is disposed of or triggered. The printed lines and the two error forms are CliFrontend's: an argument
 * error prints its message, a blank line and "Use the help option (-h or --help) to get help on
 * the command." on stdout; a failed action prints Flink's exception banner and the cause on
 * stderr. Both exit 1.
 */
#include "cli/client_commands.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/alloc.h"
#include "base/err.h"
#include "cli/remote_submit.h"
#include "rest/rest_client.h"
#include "rest/rest_requests.h"

#define MAX_POSITIONAL 16

static const char *const verbs[] = {"list", "cancel", "stop", "savepoint", "checkpoint"};

bool client_command_known(const char *cmd) {
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp(cmd, verbs[i]) == 0) return true;
  return false;
}

typedef struct cli_opts {
  const char *jobmanager;
  bool help;
  bool running, scheduled, all; /* list */
  bool has_path;                /* stop -p */
  const char *path;             /* stop -p <dir> */
  bool drain, detached, full;   /* stop -d, -detached; checkpoint -full */
  const char *type;             /* -type canonical|native */
  const char *dispose;          /* savepoint -d <path> */
  const char *jarfile;          /* savepoint -j <job.so> */
  const char *pos[MAX_POSITIONAL];
  int npos;
} cli_opts;

static void usage(const char *cmd) {
  printf("Usage: spate %s [OPTIONS] ", cmd);
  if (strcmp(cmd, "list") == 0)
    printf(
        "\n  -r,--running     show only running programs and their JobIDs\n"
        "  -s,--scheduled   show only scheduled programs and their JobIDs\n"
        "  -a,--all         show all programs and their JobIDs\n");
  else if (strcmp(cmd, "cancel") == 0)
    printf("<Job ID>\n");
  else if (strcmp(cmd, "stop") == 0)
    printf(
        "<Job ID>\n"
        "  -p,--savepointPath <savepointPath>   directory of the savepoint (optional when\n"
        "                                       state.savepoints.dir is set)\n"
        "  -d,--drain                           emit MAX_WATERMARK before the savepoint\n"
        "  -type,--type <canonical|native>      the savepoint's format\n"
        "  -detached,--detached                 only trigger; print the trigger id\n");
  else if (strcmp(cmd, "savepoint") == 0)
    printf(
        "<Job ID> [<target directory>]\n"
        "  -d,--dispose <arg>                   path of the savepoint to dispose of\n"
        "  -j,--jarfile <arg>                   the job's shared object (checked to load first)\n"
        "  -type,--type <canonical|native>      the savepoint's format\n"
        "  -detached,--detached                 only trigger; print the trigger id\n");
  else
    printf(
        "<Job ID>\n"
        "  -full,--full   take a full checkpoint (default: the configured kind)\n");
  printf(
      "  Options for every command:\n"
      "  -m,--jobmanager <arg>   address (host:port) of the JobManager's REST endpoint;\n"
      "                          default rest.address:rest.port of the configuration\n"
      "  -D <property=value>     set a configuration key\n");
}

/* An argument error as CliFrontend.handleArgException: message, blank line, hint; exit 1. */
__attribute__((format(printf, 1, 2))) static int arg_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n\nUse the help option (-h or --help) to get help on the command.\n");
  return 1;
}

/* A failed action as CliFrontend.handleError: the banner, what failed and why; exit 1. */
static int action_error(const char *what, const char *cause) {
  fflush(stdout);
  fprintf(stderr,
          "\n------------------------------------------------------------\n"
          " The program finished with the following exception:\n\n%s\nCaused by: %s\n",
          what, cause);
  return 1;
}

/* Whether a is the option -short or --long or -long (Flink's single-dash long names). */
static bool is_flag(const char *a, const char *shrt, const char *lng) {
  return (shrt && strcmp(a + 1, shrt) == 0) || (lng && a[1] == '-' && strcmp(a + 2, lng) == 0) ||
         (lng && strcmp(a + 1, lng) == 0);
}

/* Whether a is -m/--jobmanager in any form: "-m", "-mhost:port", "--jobmanager[=x]". */
static bool is_jobmanager(const char *a) {
  return strncmp(a, "-m", 2) == 0 || strcmp(a, "--jobmanager") == 0 ||
         strncmp(a, "--jobmanager=", 13) == 0;
}

/* Parses the verb's arguments; an argument error is printed and 1 returned, else 0. */
static int parse(const char *cmd, int argc, char **argv, cli_opts *o, sp_config *cfg) {
  bool list = strcmp(cmd, "list") == 0, stop = strcmp(cmd, "stop") == 0,
       sp = strcmp(cmd, "savepoint") == 0, ck = strcmp(cmd, "checkpoint") == 0;
  bool options_end = false;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (options_end || a[0] != '-' || !a[1]) {
      if (o->npos == MAX_POSITIONAL) return arg_error("Too many arguments.");
      o->pos[o->npos++] = a;
      continue;
    }
    if (strcmp(a, "--") == 0) {
      options_end = true;
    } else if (is_flag(a, "h", "help")) {
      o->help = true;
    } else if (is_jobmanager(a)) {
      const char *v = strncmp(a, "--jobmanager=", 13) == 0 ? a + 13
                      : strcmp(a, "-m") == 0 || strcmp(a, "--jobmanager") == 0
                          ? (i + 1 < argc ? argv[++i] : NULL)
                          : a + 2;
      if (!v) return arg_error("Missing argument for option: m");
      o->jobmanager = v;
    } else if (strncmp(a, "-D", 2) == 0) {
      const char *kv = a[2] ? a + 2 : i + 1 < argc ? argv[++i] : NULL;
      char err[SP_ERRMSG_MAX];
      if (!kv) return arg_error("Missing argument for option: D");
      if (sp_config_set_kv(cfg, kv, err, sizeof err) < 0) return arg_error("%s", err);
    } else if (list && is_flag(a, "r", "running")) {
      o->running = true;
    } else if (list && is_flag(a, "s", "scheduled")) {
      o->scheduled = true;
    } else if (list && is_flag(a, "a", "all")) {
      o->all = true;
    } else if (stop && is_flag(a, "p", "savepointPath")) {
      o->has_path = true; /* an optional argument, as Flink's */
      if (i + 1 < argc && argv[i + 1][0] != '-') o->path = argv[++i];
    } else if (stop && is_flag(a, "d", "drain")) {
      o->drain = true;
    } else if ((stop || sp) && is_flag(a, NULL, "detached")) {
      o->detached = true;
    } else if ((stop || sp) && is_flag(a, NULL, "type")) {
      if (i + 1 >= argc) return arg_error("Missing argument for option: type");
      o->type = argv[++i];
    } else if (sp && is_flag(a, "d", "dispose")) {
      if (i + 1 >= argc) return arg_error("Missing argument for option: d");
      o->dispose = argv[++i];
    } else if (sp && is_flag(a, "j", "jarfile")) {
      if (i + 1 >= argc) return arg_error("Missing argument for option: j");
      o->jarfile = argv[++i];
    } else if (ck && is_flag(a, NULL, "full")) {
      o->full = true;
    } else {
      return arg_error("Unrecognized option: %s", a);
    }
  }
  return 0;
}

/* Flink's JobID.fromHexString: 32 hex digits, either case; lower-cased into out. */
static int parse_job_id(const char *s, char *out) {
  if (!s) return arg_error("Missing JobId");
  bool ok = strlen(s) == REST_ID_LEN;
  for (int i = 0; ok && i < REST_ID_LEN; i++) {
    ok = isxdigit((unsigned char)s[i]);
    out[i] = (char)tolower((unsigned char)s[i]);
  }
  out[REST_ID_LEN] = 0;
  if (!ok)
    return arg_error(
        "Cannot parse JobID from \"%s\". The expected format is [0-9a-fA-F]{32}, e.g. "
        "fd72014d4c864993a2e5a9287b4a9c5d.",
        s);
  return 0;
}

/* The client of the JobManager named by -m or the configuration; argument errors print. */
static int connect_to(const cli_opts *o, const sp_config *cfg, rest_client *c) {
  char err[SP_ERRMSG_MAX];
  char *host = NULL;
  int port;
  if (o->jobmanager) {
    if (rest_parse_address(o->jobmanager, &host, &port, err, sizeof err) < 0)
      return arg_error("%s", err);
  } else {
    host = sp_strdup(sp_config_str(cfg, "rest.address"));
    port = (int)sp_config_int(cfg, "rest.port");
  }
  int rc = host ? rest_client_init(c, host, port, 0, o->jobmanager ? "-m" : NULL) : SPATE_ENOMEM;
  sp_free(host);
  return rc < 0 ? action_error("Could not create the REST client.", "out of memory") : 0;
}

/* ---- list ---- */

typedef struct listed {
  const char *id, *name, *state;
  int64_t start;
} listed;

static int by_start(const void *a, const void *b) {
  const listed *x = a, *y = b;
  if (x->start != y->start) return x->start < y->start ? -1 : 1;
  return strcasecmp(x->state, y->state);
}

static void print_block(const char *header, listed *jobs, size_t n) {
  qsort(jobs, n, sizeof *jobs, by_start);
  printf("%s\n", header);
  for (size_t i = 0; i < n; i++) {
    time_t t = (time_t)(jobs[i].start / 1000);
    struct tm tm;
    char when[32];
    localtime_r(&t, &tm);
    strftime(when, sizeof when, "%d.%m.%Y %H:%M:%S", &tm);
    printf("%s : %s : %s (%s)\n", when, jobs[i].id, jobs[i].name, jobs[i].state);
  }
  printf("--------------------------------------------------------------\n");
}

static int cmd_list(const cli_opts *o, rest_client *c) {
  bool running = o->running, scheduled = o->scheduled, all = o->all;
  if (!running && !scheduled && !all) running = scheduled = true;
  printf("Waiting for response...\n");
  fflush(stdout);
  long status;
  json_t *body = NULL;
  char err[SP_ERRMSG_MAX];
  if (rest_request_json(c, "GET", "/jobs/overview", NULL, &status, &body, err, sizeof err) < 0) {
    json_decref(body);
    return action_error("Failed to retrieve job list.", err);
  }
  json_t *arr = json_object_get(body, "jobs");
  size_t n = json_array_size(arr);
  listed *run = sp_calloc(n + 1, sizeof *run), *sch = sp_calloc(n + 1, sizeof *sch),
         *term = sp_calloc(n + 1, sizeof *term);
  size_t nr = 0, ns = 0, nt = 0;
  int rc = 0;
  for (size_t i = 0; run && sch && term && i < n; i++) {
    json_t *j = json_array_get(arr, i);
    listed l = {json_string_value(json_object_get(j, "jid")),
                json_string_value(json_object_get(j, "name")),
                json_string_value(json_object_get(j, "state")),
                json_integer_value(json_object_get(j, "start-time"))};
    int st = rest_job_state_parse(l.state);
    if (!l.id || !l.name || st < 0) {
      snprintf(err, sizeof err,
               "The JobManager at %s:%d sent a job without jid, name or a known state", c->host,
               c->port);
      rc = action_error("Failed to retrieve job list.", err);
      break;
    }
    if (st == REST_JOB_CREATED || st == REST_JOB_INITIALIZING)
      sch[ns++] = l;
    else if (!rest_job_state_terminal((rest_job_state)st))
      run[nr++] = l;
    else
      term[nt++] = l;
  }
  if (rc == 0 && (!run || !sch || !term))
    rc = action_error("Failed to retrieve job list.", "out of memory");
  if (rc == 0) {
    if (running || all) {
      if (nr == 0)
        printf("No running jobs.\n");
      else
        print_block("------------------ Running/Restarting Jobs -------------------", run, nr);
    }
    if (scheduled || all) {
      if (ns == 0)
        printf("No scheduled jobs.\n");
      else
        print_block("----------------------- Scheduled Jobs -----------------------", sch, ns);
    }
    if (all && nt > 0)
      print_block("---------------------- Terminated Jobs -----------------------", term, nt);
  }
  sp_free(run);
  sp_free(sch);
  sp_free(term);
  json_decref(body);
  return rc;
}

/* ---- cancel ---- */

static int cmd_cancel(const cli_opts *o, rest_client *c) {
  char id[REST_ID_LEN + 1], path[96], err[SP_ERRMSG_MAX], what[128];
  if (o->npos == 0) return arg_error("Missing JobID. Specify a JobID to cancel a job.");
  if (parse_job_id(o->pos[0], id)) return 1;
  printf("Cancelling job %s.\n", id);
  fflush(stdout);
  snprintf(path, sizeof path, "/jobs/%s?mode=cancel", id);
  long status;
  json_t *body = NULL;
  int rc = rest_request_json(c, "PATCH", path, NULL, &status, &body, err, sizeof err);
  json_decref(body);
  if (rc < 0) {
    snprintf(what, sizeof what, "Could not cancel job %s.", id);
    return action_error(what, err);
  }
  printf("Cancelled job %s.\n", id);
  return 0;
}

/* ---- the asynchronous ones ---- */

/* POSTs body to path, takes the request-id, and either prints it (detached) or awaits the
 * operation at status_prefix/<id>. *operation on success when awaited. */
static int run_operation(rest_client *c, const char *path, char *body, const char *status_prefix,
                         char *trigger_id, json_t **operation, char *err, size_t err_len) {
  *operation = NULL;
  if (!body) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  long status;
  json_t *reply = NULL;
  int rc = rest_request_json(c, "POST", path, body, &status, &reply, err, err_len);
  sp_free(body);
  const char *tid = json_string_value(json_object_get(reply, "request-id"));
  if (rc == 0 && (!tid || !rest_is_id(tid)))
    rc = sp_err(err, err_len, SPATE_EIO, "The JobManager at %s:%d answered %s without a request-id",
                c->host, c->port, path);
  if (rc == 0) memcpy(trigger_id, tid, REST_ID_LEN + 1);
  json_decref(reply);
  if (rc < 0 || !status_prefix) return rc;
  char poll[160];
  snprintf(poll, sizeof poll, "%s/%s", status_prefix, trigger_id);
  return rest_await_operation(c, poll, operation, err, err_len);
}

static int parse_type(const char *type, rest_savepoint_format *f) {
  *f = REST_SAVEPOINT_CANONICAL;
  if (!type || strcasecmp(type, "canonical") == 0) return 0;
  if (strcasecmp(type, "native") == 0) {
    *f = REST_SAVEPOINT_NATIVE;
    return 0;
  }
  return arg_error("Invalid savepoint format type '%s': it must be canonical or native", type);
}

static int cmd_stop(const cli_opts *o, rest_client *c) {
  char id[REST_ID_LEN + 1], err[SP_ERRMSG_MAX], what[160], path[96], prefix[96],
      tid[REST_ID_LEN + 1];
  rest_savepoint_format f;
  if (parse_type(o->type, &f)) return 1;
  /* As Flink: with no positional argument, the value taken by -p is the job id. */
  const char *target = o->npos > 0 ? o->path : NULL;
  if (parse_job_id(o->npos > 0 ? o->pos[0] : o->path, id)) return 1;
  printf("%s job \"%s\" with a %s savepoint.\n", o->drain ? "Draining" : "Suspending", id,
         rest_savepoint_format_name(f));
  fflush(stdout);
  rest_stop_request r = {.target_directory = (char *)target, .drain = o->drain, .format = f};
  snprintf(path, sizeof path, "/jobs/%s/stop", id);
  snprintf(prefix, sizeof prefix, "/jobs/%s/savepoints", id);
  json_t *op;
  int rc = run_operation(c, path, rest_encode_stop_request(&r), o->detached ? NULL : prefix, tid,
                         &op, err, sizeof err);
  if (rc < 0) {
    json_decref(op);
    snprintf(what, sizeof what, "Could not stop with a savepoint job \"%s\".", id);
    return action_error(what, err);
  }
  if (o->detached) {
    printf("Successfully trigger stop with savepoint, triggerId: %s\n", tid);
    return 0;
  }
  const char *loc = json_string_value(json_object_get(op, "location"));
  printf("Savepoint completed. Path: %s\n", loc ? loc : "");
  json_decref(op);
  return 0;
}

static int cmd_dispose(const cli_opts *o, rest_client *c) {
  char err[SP_ERRMSG_MAX], tid[REST_ID_LEN + 1];
  size_t wl = strlen(o->dispose) + 64;
  printf("Disposing savepoint '%s'.\n", o->dispose);
  rest_disposal_request r = {.savepoint_path = (char *)o->dispose};
  printf("Waiting for response...\n");
  fflush(stdout);
  json_t *op;
  int rc = run_operation(c, "/savepoint-disposal", rest_encode_disposal_request(&r),
                         "/savepoint-disposal", tid, &op, err, sizeof err);
  json_decref(op);
  if (rc < 0) {
    char *what = sp_malloc(wl);
    if (what) snprintf(what, wl, "Disposing the savepoint '%s' failed.", o->dispose);
    rc = action_error(what ? what : "Disposing the savepoint failed.", err);
    sp_free(what);
    return rc;
  }
  printf("Savepoint '%s' disposed.\n", o->dispose);
  return 0;
}

static int cmd_savepoint(const cli_opts *o, rest_client *c) {
  /* -j (Flink's --jarfile, which disposal loads for the job's own state classes): Spate's
   * savepoints need no code of the job to be disposed of, but a file that is not a loadable job
   * object is refused before anything is sent, naming the file and why */
  if (o->jarfile && !cli_load_program("savepoint", o->jarfile)) return 1;
  if (o->dispose) return cmd_dispose(o, c);
  char id[REST_ID_LEN + 1], err[SP_ERRMSG_MAX], what[128], path[96], tid[REST_ID_LEN + 1];
  rest_savepoint_format f;
  if (parse_type(o->type, &f)) return 1;
  if (o->npos == 0) return arg_error("Missing JobID. Specify a Job ID to trigger a savepoint.");
  if (parse_job_id(o->pos[0], id)) return 1;
  if (o->npos >= 3)
    printf("Provided more arguments than required. Ignoring not needed arguments.\n");
  rest_savepoint_request r = {.target_directory = o->npos >= 2 ? (char *)o->pos[1] : NULL,
                              .format = f};
  if (o->detached)
    printf("Triggering savepoint in detached mode for job %s.\n", id);
  else
    printf("Triggering savepoint for job %s.\n", id);
  snprintf(path, sizeof path, "/jobs/%s/savepoints", id);
  if (!o->detached) printf("Waiting for response...\n");
  fflush(stdout);
  json_t *op;
  int rc = run_operation(c, path, rest_encode_savepoint_request(&r), o->detached ? NULL : path, tid,
                         &op, err, sizeof err);
  if (rc < 0) {
    json_decref(op);
    snprintf(what, sizeof what, "Triggering a savepoint for the job %s failed.", id);
    return action_error(what, err);
  }
  if (o->detached) {
    printf("Successfully trigger manual savepoint, triggerId: %s\n", tid);
    return 0;
  }
  const char *loc = json_string_value(json_object_get(op, "location"));
  printf("Savepoint completed. Path: %s\n", loc ? loc : "");
  printf("You can resume your program from this savepoint with the run command.\n");
  json_decref(op);
  return 0;
}

static int cmd_checkpoint(const cli_opts *o, rest_client *c) {
  char id[REST_ID_LEN + 1], err[SP_ERRMSG_MAX], what[128], path[96], tid[REST_ID_LEN + 1];
  if (o->npos == 0) return arg_error("Missing JobID. Specify a Job ID to trigger a checkpoint.");
  if (parse_job_id(o->pos[0], id)) return 1;
  rest_checkpoint_request r = {.type = o->full ? REST_CHECKPOINT_FULL : REST_CHECKPOINT_CONFIGURED};
  printf("Triggering checkpoint for job %s.\n", id);
  printf("Waiting for response...\n");
  fflush(stdout);
  snprintf(path, sizeof path, "/jobs/%s/checkpoints", id);
  json_t *op;
  int rc =
      run_operation(c, path, rest_encode_checkpoint_request(&r), path, tid, &op, err, sizeof err);
  if (rc < 0) {
    json_decref(op);
    snprintf(what, sizeof what, "Triggering a checkpoint for the job %s failed.", id);
    return action_error(what, err);
  }
  json_t *cid = json_object_get(op, "checkpointId");
  printf("Checkpoint(%s) %lld for job %s completed.\n", rest_checkpoint_type_name(r.type),
         (long long)json_integer_value(cid), id);
  json_decref(op);
  return 0;
}

int client_command(const char *cmd, int argc, char **argv, int (*load_config)(sp_config *cfg)) {
  sp_config *cfg = sp_config_new();
  if (!cfg) return 1;
  cli_opts o;
  memset(&o, 0, sizeof o);
  int rc = load_config(cfg) < 0 ? 1 : parse(cmd, argc, argv, &o, cfg);
  if (rc == 0 && o.help) {
    usage(cmd);
    sp_config_free(cfg);
    return 0;
  }
  rest_client c = {0};
  if (rc == 0) rc = connect_to(&o, cfg, &c);
  if (rc == 0) {
    if (strcmp(cmd, "list") == 0)
      rc = cmd_list(&o, &c);
    else if (strcmp(cmd, "cancel") == 0)
      rc = cmd_cancel(&o, &c);
    else if (strcmp(cmd, "stop") == 0)
      rc = cmd_stop(&o, &c);
    else if (strcmp(cmd, "savepoint") == 0)
      rc = cmd_savepoint(&o, &c);
    else
      rc = cmd_checkpoint(&o, &c);
  }
  rest_client_free(&c);
  sp_config_free(cfg);
  return rc;
}
