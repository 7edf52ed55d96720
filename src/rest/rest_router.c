/*
 * rest_router.c: dispatches a request to the route of its path, over the route tables of the
 * REST endpoint's files (rest_routes_*.c). Every path is also served under /v1. A path no route
 * has is 404 {"errors": ["Not found: <path>"]}; a known path with another method 405 (with an
 * Allow header). Path parameters are checked here, as Flink's path parameter parsing: ids
 * (:jobid, :vertexid, :triggerid) are 32 hexadecimal digits (lower-cased for the handler),
 * :checkpointid a non-negative long, :subtaskindex and :attempt non-negative ints; a malformed one
 * is 400. Other parameters (:taskmanagerid, :jarid, :filename) reach the handler as they are.
 *
 * When several patterns match a path ("checkpoints/config" and "checkpoints/:triggerid"), the
 * one with more literal segments wins, whatever the order of the tables.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "rest/rest_server_internal.h"

#define MAX_SEGMENTS 10

/* Every table the endpoint serves. */
static const rest_route_table *const tables[] = {
    &rest_routes_core,        &rest_routes_jars,    &rest_routes_jobs,
    &rest_routes_checkpoints, &rest_routes_metrics, &rest_routes_cluster,
};

/* Splits path ("a/b/c", no leading slash; modified) into at most MAX_SEGMENTS segments; -1 if
 * there are more or an empty one. */
static int split(char *path, char **seg) {
  int n = 0;
  if (!*path) return 0;
  for (char *s = path;;) {
    if (n == MAX_SEGMENTS) return -1;
    char *slash = strchr(s, '/');
    if (slash) *slash = 0;
    if (!*s) return -1;
    seg[n++] = s;
    if (!slash) return n;
    s = slash + 1;
  }
}

/* Whether the route's pattern matches the segments: -1 if not, else its number of literal
 * segments; parameters into params and their names into names. */
static int match(const char *pattern, char **seg, int n, char **params, const char **names,
                 char *pat, size_t pat_len) {
  snprintf(pat, pat_len, "%s", pattern);
  char *ps[MAX_SEGMENTS];
  int np = split(pat, ps), k = 0, literal = 0;
  if (np != n) return -1;
  for (int i = 0; i < n; i++) {
    if (ps[i][0] == ':') {
      names[k] = ps[i] + 1;
      params[k++] = seg[i];
    } else if (strcmp(ps[i], seg[i]) != 0) {
      return -1;
    } else {
      literal++;
    }
  }
  return literal;
}

static bool is_id_param(const char *name) {
  return strcmp(name, "jobid") == 0 || strcmp(name, "vertexid") == 0 ||
         strcmp(name, "triggerid") == 0 || strcmp(name, "operatorid") == 0;
}

static const char *param_label(const char *name) {
  if (strcmp(name, "jobid") == 0) return "job id";
  if (strcmp(name, "vertexid") == 0) return "vertex id";
  if (strcmp(name, "triggerid") == 0) return "trigger id";
  if (strcmp(name, "operatorid") == 0) return "operator id";
  if (strcmp(name, "checkpointid") == 0) return "checkpoint id";
  if (strcmp(name, "subtaskindex") == 0) return "subtask index";
  return "attempt";
}

/* Checks (and lower-cases an id) parameter name = value; replies 400 and returns false if it is
 * malformed. */
static bool check_param(rest_request *req, const char *name, char *value, int *reply) {
  bool ok = true;
  const char *what = "";
  if (is_id_param(name)) {
    size_t n = strlen(value);
    ok = n == REST_ID_LEN;
    for (size_t i = 0; ok && i < n; i++) {
      ok = isxdigit((unsigned char)value[i]);
      value[i] = (char)tolower((unsigned char)value[i]);
    }
    what = "it must be 32 hexadecimal digits";
  } else if (strcmp(name, "checkpointid") == 0 || strcmp(name, "subtaskindex") == 0 ||
             strcmp(name, "attempt") == 0) {
    bool is_long = strcmp(name, "checkpointid") == 0;
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    ok = isdigit((unsigned char)value[0]) && !*end && errno == 0 && (is_long || v <= 0x7fffffff);
    what = is_long ? "it must be a non-negative long" : "it must be a non-negative int";
  } else {
    return true;
  }
  if (!ok)
    *reply = rest_reply_error(req, MHD_HTTP_BAD_REQUEST,
                              "Bad request, could not parse parameters: invalid %s '%.80s': %s",
                              param_label(name), value, what);
  return ok;
}

int rest_route(rest_request *req, const char *url, const char *method) {
  const char *path = url;
  if (strncmp(path, "/v1/", 4) == 0 || strcmp(path, "/v1") == 0) path += 3;
  if (*path == '/') path++;
  size_t len = strlen(path);
  char *copy = sp_malloc(len + 1);
  if (!copy) return MHD_NO;
  memcpy(copy, path, len + 1);
  if (len && copy[len - 1] == '/') copy[len - 1] = 0;
  char *seg[MAX_SEGMENTS];
  int n = split(copy, seg), reply = MHD_NO;
  char allowed[64] = "";
  const rest_route_def *best = NULL;
  int best_literal = -1;
  char *params[REST_MAX_PARAMS] = {NULL};
  const char *names[REST_MAX_PARAMS] = {NULL};
  char best_pat[256];
  for (size_t t = 0; n >= 0 && t < sizeof tables / sizeof tables[0]; t++) {
    for (size_t r = 0; r < tables[t]->n; r++) {
      const rest_route_def *d = &tables[t]->routes[r];
      char *ps[REST_MAX_PARAMS] = {NULL};
      const char *ns[REST_MAX_PARAMS] = {NULL};
      char pat[256];
      int literal = match(d->pattern, seg, n, ps, ns, pat, sizeof pat);
      if (literal < 0) continue;
      if (strcmp(d->method, method) != 0) {
        size_t l = strlen(allowed);
        if (!strstr(allowed, d->method))
          snprintf(allowed + l, sizeof allowed - l, "%s%s", l ? ", " : "", d->method);
        continue;
      }
      if (literal <= best_literal) continue;
      best = d;
      best_literal = literal;
      memcpy(params, ps, sizeof params);
      /* names point into pat: keep a copy of it for the best route */
      memcpy(best_pat, pat, sizeof best_pat);
      for (int k = 0; k < REST_MAX_PARAMS; k++) names[k] = ns[k] ? best_pat + (ns[k] - pat) : NULL;
    }
  }
  if (best) {
    bool ok = true;
    for (int k = 0; ok && k < REST_MAX_PARAMS && params[k]; k++)
      ok = check_param(req, names[k], params[k], &reply);
    if (ok) reply = best->handler(req, params);
    sp_free(copy);
    return reply;
  }
  sp_free(copy);
  if (allowed[0]) {
    req->allow = allowed;
    reply = rest_reply_error(req, MHD_HTTP_METHOD_NOT_ALLOWED,
                             "Method %s is not allowed for %s (allowed: %s)", method, url, allowed);
    req->allow = NULL;
    return reply;
  }
  return rest_reply_error(req, MHD_HTTP_NOT_FOUND, "Not found: %s", url);
}
