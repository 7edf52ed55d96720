/*
 * rest_routes_jars.c: web submission, Flink's /jars routes (WebSubmissionExtension), served while
 * web.submit.enable is true (else every one answers 404 as an unknown path):
 *
 *   GET    /jars                  the uploaded job objects (JarListInfo)
 *   POST   /jars/upload           multipart, one file part: stores an ELF shared object
 *   GET|POST /jars/:jarid/plan    the job's plan (JobPlanInfo), from `spate info`
 *   POST   /jars/:jarid/run       runs the job's program, which submits to this server; {"jobid"}
 *   DELETE /jars/:jarid           deletes it
 *
 * A "jar" is a job's shared object (jar_store.h). Its program (spate_main) runs in a child
 * process of the spate binary (program_runner.h): `spate info` for a plan, `spate run -d -m
 * <this server>` for a run, whose output gives the plan or the job id. The request's fields
 * become that command's options: parallelism -p, savepointPath -s, allowNonRestoredState -n,
 * flinkConfiguration -D key=value, jobId -D $internal.pipeline.job-id=<id>, the program
 * arguments after the object. Legacy query parameters (entry-class, program-args, programArg,
 * parallelism, savepointPath, allowNonRestoredState) count where the body leaves a field unset.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "rest/jar_store.h"
#include "rest/program_runner.h"
#include "rest/rest_requests.h"
#include "rest/rest_server_internal.h"

/* How long a program may take to build its plan or submit its job (Flink's web.timeout is 10
 * minutes; a program that takes longer holds a REST connection that long). */
#define PROGRAM_TIMEOUT_MS (5 * 60 * 1000)
#define MAX_ARGS 4096

int rest_jars_open(rest_server *s, const rest_server_config *cfg, char *err, size_t err_len) {
  int rc = jar_store_open(cfg->web_upload_dir, &s->jar_dir, &s->jar_root, err, err_len);
  if (rc < 0) return rc;
  char exe[PATH_MAX];
  const char *program = cfg->program;
  if (!program) {
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    program = exe;
  }
  const char *b = cfg->bind_address;
  bool wildcard = !b || !b[0] || strcmp(b, "0.0.0.0") == 0 || strcmp(b, "::") == 0;
  s->program = sp_strdup(program);
  s->address = sp_strdup(cfg->address && cfg->address[0] ? cfg->address
                         : wildcard                      ? "localhost"
                                                         : b);
  s->self_host = sp_strdup(wildcard ? "localhost" : b);
  if (!s->program || !s->address || !s->self_host)
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  SP_INFO("rest", "Web submission enabled: uploaded jobs are stored in %s", s->jar_dir);
  return 0;
}

void rest_jars_close(rest_server *s) {
  jar_store_remove(s->jar_root);
  sp_free(s->jar_dir);
  sp_free(s->jar_root);
  sp_free(s->program);
  sp_free(s->address);
  sp_free(s->self_host);
  s->jar_dir = s->jar_root = s->program = s->address = s->self_host = NULL;
}

/* 404 as for a path no route has, while web submission is off; true when it is on. */
static bool enabled(rest_request *req, int *reply) {
  if (req->server->web_submit && req->server->jar_dir) return true;
  *reply = rest_reply_error(req, MHD_HTTP_NOT_FOUND, "Not found: %s", req->url ? req->url : "");
  return false;
}

static int h_list(rest_request *req, char **p) {
  (void)p;
  int reply;
  if (!enabled(req, &reply)) return reply;
  jar_entry *e;
  size_t n;
  char err[SP_ERRMSG_MAX] = "";
  int rc = jar_store_list(req->server->jar_dir, &e, &n, err, sizeof err);
  if (rc < 0) return rest_reply_op_error(req, rc, err);
  char address[600];
  snprintf(address, sizeof address, "http://%s:%d", req->server->address, req->server->port);
  json_t *files = json_array();
  for (size_t i = 0; files && i < n; i++)
    json_array_append_new(files, json_pack("{s:s, s:s, s:I, s:[{s:s, s:n}]}", "id", e[i].id, "name",
                                           e[i].name, "uploaded", (json_int_t)e[i].uploaded,
                                           "entry", "name", "spate_main", "description"));
  jar_store_list_free(e, n);
  return rest_reply_json(
      req, MHD_HTTP_OK, files ? json_pack("{s:s, s:o}", "address", address, "files", files) : NULL);
}

static int h_upload(rest_request *req, char **p) {
  (void)p;
  int reply;
  if (!enabled(req, &reply)) return reply;
  if (req->n_files != 1)
    return rest_reply_error(req, MHD_HTTP_BAD_REQUEST, "Exactly 1 file must be sent, received %zu.",
                            req->n_files);
  char err[SP_ERRMSG_MAX] = "";
  rest_upload *f = &req->files[0];
  if (!jar_store_is_shared_object(f->path, f->name, err, sizeof err))
    return rest_reply_error(req, MHD_HTTP_BAD_REQUEST, "%s", err);
  char *stored;
  int rc = jar_store_add(req->server->jar_dir, f->path, f->name, &stored, err, sizeof err);
  if (rc < 0) return rest_reply_op_error(req, rc, err);
  SP_INFO("rest", "Uploaded job object %s", stored);
  reply = rest_reply_json(req, MHD_HTTP_OK,
                          json_pack("{s:s, s:s}", "filename", stored, "status", "success"));
  sp_free(stored);
  return reply;
}

static int h_delete(rest_request *req, char **p) {
  int reply;
  if (!enabled(req, &reply)) return reply;
  char err[SP_ERRMSG_MAX] = "";
  int rc = jar_store_delete(req->server->jar_dir, p[0], err, sizeof err);
  if (rc < 0) return rest_reply_op_error(req, rc, err);
  return rest_reply_json(req, MHD_HTTP_OK, json_object());
}

/* ---- plan and run: the command line of the child ---- */

typedef struct argv_builder {
  char *argv[MAX_ARGS + 1];
  int n;
  bool full;
} argv_builder;

/* Appends a copy of the text (printf-style). */
__attribute__((format(printf, 2, 3))) static void add(argv_builder *b, const char *fmt, ...) {
  if (b->n >= MAX_ARGS) {
    b->full = true;
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->full = true;
    return;
  }
  b->argv[b->n++] = sp_strdup(s);
  free(s);
  if (!b->argv[b->n - 1]) b->full = true;
}

static void argv_free(argv_builder *b) {
  for (int i = 0; i < b->n; i++) sp_free(b->argv[i]);
}

/* Splits Flink's programArgs string into arguments (whitespace-separated; single or double quotes
 * group, as JarHandlerUtils.tokenizeArguments). */
static void add_tokens(argv_builder *b, const char *s) {
  while (*s) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    if (!*s) break;
    size_t cap = strlen(s) + 1, n = 0;
    char *tok = sp_malloc(cap);
    if (!tok) {
      b->full = true;
      return;
    }
    char quote = 0;
    for (; *s && (quote || !(*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')); s++) {
      if (!quote && (*s == '"' || *s == '\'')) {
        quote = *s;
      } else if (quote && *s == quote) {
        quote = 0;
      } else {
        tok[n++] = *s;
      }
    }
    tok[n] = 0;
    add(b, "%s", tok);
    sp_free(tok);
  }
}

/* Flink's programArg query parameter: a comma-separated list. */
static void add_list(argv_builder *b, const char *s) {
  while (s && *s) {
    const char *c = strchr(s, ',');
    size_t n = c ? (size_t)(c - s) : strlen(s);
    add(b, "%.*s", (int)n, s);
    s = c ? c + 1 : NULL;
  }
}

/* Decodes the body and merges the legacy query parameters into it; replies 400 and returns false
 * on a bad one. */
static bool read_request(rest_request *req, bool plan, rest_jar_run_request *r, int *reply) {
  char err[SP_ERRMSG_MAX] = "";
  int rc =
      rest_decode_jar_run_request(req->body ? req->body : "", req->len, plan, r, err, sizeof err);
  if (rc < 0) {
    *reply = rest_reply_op_error(req, rc, err);
    return false;
  }
  const char *par = rest_query(req, "parallelism");
  if (!r->parallelism && par) {
    char *end;
    errno = 0;
    long v = strtol(par, &end, 10);
    if (!*par || *end || errno || v < 1 || v > 32768) {
      *reply = rest_reply_error(req, MHD_HTTP_BAD_REQUEST,
                                "Bad request, could not parse parameters: invalid parallelism "
                                "'%.40s': it must be an integer from 1 to 32768",
                                par);
      return false;
    }
    r->parallelism = (int)v;
  }
  if (!plan) {
    const char *sp = rest_query(req, "savepointPath");
    if (!r->savepoint_path && sp && sp[0] && !(r->savepoint_path = sp_strdup(sp))) {
      *reply = rest_reply_json(req, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
      return false;
    }
    const char *an = rest_query(req, "allowNonRestoredState");
    if (an && strcmp(an, "true") == 0) r->allow_non_restored = true;
  }
  return true;
}

/* The child's command line for the request: spate info|run [options] <object> [args]. */
static void build_argv(rest_request *req, bool plan, const rest_jar_run_request *r,
                       const char *path, argv_builder *b) {
  rest_server *s = req->server;
  add(b, "%s", s->program);
  add(b, "%s", plan ? "info" : "run");
  if (!plan) {
    add(b, "-d");
    add(b, "-m");
    add(b, "%s:%d", s->self_host, s->port);
    if (r->savepoint_path) add(b, "--fromSavepoint=%s", r->savepoint_path);
    if (r->allow_non_restored) add(b, "-n");
  }
  if (r->parallelism) add(b, "-p%d", r->parallelism);
  for (size_t i = 0; i < r->n_config; i++)
    add(b, "-D%s=%s", r->config_keys[i], r->config_values[i]);
  if (r->job_id) add(b, "-D$internal.pipeline.job-id=%s", r->job_id);
  add(b, "%s", path);
  /* the arguments: programArgsList, else programArgs, else the legacy query parameters */
  if (r->has_args_list) {
    for (size_t i = 0; i < r->n_args; i++) add(b, "%s", r->args_list[i]);
  } else if (r->program_args) {
    add_tokens(b, r->program_args);
  } else if (rest_query(req, "programArg")) {
    add_list(b, rest_query(req, "programArg"));
  } else if (rest_query(req, "program-args")) {
    add_tokens(b, rest_query(req, "program-args"));
  }
}

/* The last lines of a child's stderr, for an error message. */
static const char *tail(const char *s, size_t max) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' ')) n--;
  const char *t = n > max ? s + n - max : s;
  return t;
}

/* Runs the program for plan or run; replies with what it gave. */
static int run_program(rest_request *req, char **p, bool plan) {
  int reply;
  if (!enabled(req, &reply)) return reply;
  char err[SP_ERRMSG_MAX] = "", *path = NULL;
  int rc = jar_store_find(req->server->jar_dir, p[0], &path, err, sizeof err);
  if (rc < 0) return rest_reply_op_error(req, rc, err);
  rest_jar_run_request r;
  if (!read_request(req, plan, &r, &reply)) {
    rest_jar_run_request_free(&r);
    sp_free(path);
    return reply;
  }
  argv_builder b = {.n = 0};
  build_argv(req, plan, &r, path, &b);
  rest_jar_run_request_free(&r);
  sp_free(path);
  if (b.full) {
    argv_free(&b);
    return rest_reply_error(req, MHD_HTTP_BAD_REQUEST, "too many program arguments (at most %d)",
                            MAX_ARGS - 32);
  }
  program_output o;
  rc = program_run(b.argv, PROGRAM_TIMEOUT_MS, &o, err, sizeof err);
  argv_free(&b);
  if (rc < 0) return rest_reply_op_error(req, rc, err);
  const char *what = plan ? "Could not get the plan of the job" : "Could not run the job";
  if (o.timed_out) {
    reply = rest_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "%s %s: its program did not finish within %d s", what, p[0],
                             PROGRAM_TIMEOUT_MS / 1000);
  } else if (plan) {
    json_t *planj = NULL;
    const char *brace = o.exit_code == 0 ? strchr(o.out, '{') : NULL;
    if (brace) planj = json_loads(brace, JSON_DISABLE_EOF_CHECK, NULL);
    if (planj)
      reply = rest_reply_json(req, MHD_HTTP_OK, json_pack("{s:o}", "plan", planj));
    else
      reply = rest_reply_error(req, MHD_HTTP_BAD_REQUEST, "%s %s (exit code %d): %s", what, p[0],
                               o.exit_code, tail(o.err, 1500));
  } else {
    const char *mark = "Job has been submitted with JobID ";
    const char *at = strstr(o.out, mark);
    char id[REST_ID_LEN + 1] = "";
    if (at) snprintf(id, sizeof id, "%.32s", at + strlen(mark));
    if (rest_is_id(id))
      reply = rest_reply_json(req, MHD_HTTP_OK, json_pack("{s:s}", "jobid", id));
    else if (o.exit_code == 0)
      reply = rest_reply_error(req, MHD_HTTP_BAD_REQUEST,
                               "%s %s: its program submitted no job (it did not call "
                               "spate_execute)",
                               what, p[0]);
    else
      reply = rest_reply_error(req, MHD_HTTP_BAD_REQUEST, "%s %s (exit code %d): %s", what, p[0],
                               o.exit_code, tail(o.err, 1500));
    if (rest_is_id(id)) SP_INFO("rest", "Ran the program of %s: job %s", p[0], id);
  }
  program_output_free(&o);
  return reply;
}

static int h_plan(rest_request *req, char **p) { return run_program(req, p, true); }
static int h_run(rest_request *req, char **p) { return run_program(req, p, false); }

static const rest_route_def routes[] = {
    {"GET", "jars", h_list},
    {"POST", "jars/upload", h_upload},
    {"GET", "jars/:jarid/plan", h_plan},
    {"POST", "jars/:jarid/plan", h_plan},
    {"POST", "jars/:jarid/run", h_run},
    {"DELETE", "jars/:jarid", h_delete},
};

const rest_route_table rest_routes_jars = {routes, sizeof routes / sizeof routes[0]};
