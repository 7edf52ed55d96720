/*
 * rest_contract_check.c: checks a live REST endpoint against the dashboard contract
 * (tests/rest/dashboard_contract.json: what Flink's web dashboard reads), as a test program and
 * by hand:
 *
 *     build/tests/rest_contract_check [--contract FILE] [--job ID] [--core | --all]
 *                                     [--timeout SECONDS] [--quiet] http://localhost:8081
 *
 * For every request of the contract it resolves the path's placeholders by discovery (the
 * contract's "discovery" rules: :jobid from /jobs/overview, :vertexid from /jobs/:jobid, ...;
 * a rule with "each" checks the request for every value, as the dashboard loads every graph
 * node), GETs the path and reports every mismatch: a status other than the expected one, a body
 * that is not JSON, a missing key or a value of the wrong JSON type (with its JSON pointer), a
 * metric id the dashboard asks for that the answer lacks ("expect_ids"; "{subtask}" stands for
 * every subtask index of the vertex), and the cross-checks the dashboard depends on: the plan
 * nodes' ids are the vertices' ids (plan_ids_match_vertices), a checkpoint's tasks are keyed by
 * the vertices' ids (checkpoint_tasks_are_vertices). "advisory_ids" only warn.
 *
 * Requests marked "retry" (metrics, watermarks, backpressure: they exist only after the task
 * metrics first reached the JobManager) are requested again every 200 ms while their answer has
 * the right status but does not yet satisfy the contract, until --timeout seconds (default 60)
 * after the start; then their last mismatches are reported. Nothing else waits.
 *
 * Levels: "core" (the pages the issue names) and "extra" entries are checked, "optional" ones
 * only with --all and never fail the run; --core checks core entries only. "destructive" entries
 * (the dashboard's cancel) are listed, never requested.
 *
 * Prints one line per request ("ok   GET /path" or "FAIL GET /path" and the mismatches
 * indented), then a summary per page. Exit 0 if every checked request matched, 1 if any did not
 * (or could not be resolved), 2 on bad arguments or a malformed contract.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "contract_shape.h"

#ifndef CONTRACT_DEFAULT_PATH
#define CONTRACT_DEFAULT_PATH "tests/rest/dashboard_contract.json"
#endif

#define MAX_BINDINGS 8
#define MAX_PRINTED_MSGS 30
#define RETRY_PERIOD_MS 200
#define HTTP_TIMEOUT_MS 30000

/* One answer of the endpoint. */
typedef struct answer {
  long status; /* 0: no answer (error holds why) */
  char *body;  /* NUL-terminated */
  size_t len;
  json_t *json;    /* the body parsed, or NULL */
  char error[512]; /* transport or JSON error */
} answer;

/* A cached GET (discovery reads the same paths again and again). */
typedef struct cached {
  char *path;
  answer a;
  struct cached *next;
} cached;

typedef struct binding {
  const char *name;
  char value[128];
} binding;

/* Results per page of the contract. */
typedef struct page_count {
  const char *page;
  int ok, failed;
} page_count;

typedef struct checker {
  const char *base; /* the REST base URL, without a trailing slash */
  const json_t *contract, *types, *rules;
  const char *job; /* --job, or NULL */
  bool core_only, all, quiet;
  double deadline; /* monotonic seconds: when retries stop */
  cached *cache;
  int checked, ok, failed, unresolved, warnings, skipped;
  page_count pages[32];
  int npages;
  json_t *failed_ids; /* ids of the entries with a failure, in order */
} checker;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* --- HTTP ---------------------------------------------------------------------------------------- */

static size_t on_data(char *p, size_t size, size_t n, void *user) {
  answer *a = user;
  size_t add = size * n;
  a->body = sp_realloc(a->body, a->len + add + 1);
  memcpy(a->body + a->len, p, add);
  a->len += add;
  a->body[a->len] = 0;
  return add;
}

/* GETs base + path into *a (status 0 and a->error if there was no answer); parses a JSON body. */
static void http_get(const checker *c, const char *path, answer *a) {
  memset(a, 0, sizeof *a);
  a->body = sp_strdup("");
  char *url = NULL;
  if (asprintf(&url, "%s%s", c->base, path) < 0) {
    snprintf(a->error, sizeof a->error, "out of memory");
    return;
  }
  CURL *h = curl_easy_init();
  char err[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)HTTP_TIMEOUT_MS);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    snprintf(a->error, sizeof a->error, "no answer: %s", err[0] ? err : curl_easy_strerror(rc));
  } else {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
    json_error_t je;
    a->json = json_loadb(a->body, a->len, JSON_DECODE_ANY, &je);
    if (!a->json) {
      snprintf(a->error, sizeof a->error, "not JSON: %s at line %d column %d", je.text, je.line,
               je.column);
    }
  }
  curl_easy_cleanup(h);
  free(url);
}

static void answer_free(answer *a) {
  sp_free(a->body);
  json_decref(a->json);
  memset(a, 0, sizeof *a);
}

/* The cached answer to GET path. */
static const answer *get_cached(checker *c, const char *path) {
  for (cached *e = c->cache; e; e = e->next) {
    if (strcmp(e->path, path) == 0) return &e->a;
  }
  cached *e = sp_calloc(1, sizeof *e);
  e->path = sp_strdup(path);
  http_get(c, path, &e->a);
  e->next = c->cache;
  c->cache = e;
  return &e->a;
}

/* The first line of an answer's body, for messages (errors bodies are one line). */
static void body_excerpt(const answer *a, char *buf, size_t len) {
  snprintf(buf, len, "%.160s", a->body ? a->body : "");
  char *nl = strchr(buf, '\n');
  if (nl) *nl = 0;
}

/* --- paths and placeholders ---------------------------------------------------------------------- */

static const char *bound(const binding *b, int nb, const char *name) {
  for (int i = 0; i < nb; i++) {
    if (strcmp(b[i].name, name) == 0) return b[i].value;
  }
  return NULL;
}

/* Substitutes the bound placeholders of tmpl (":name" segments of the path) into out; the name
 * of the first unbound one into *unbound (NULL if none). */
static void substitute(const char *tmpl, const binding *b, int nb, char *out, size_t len,
                       char *unbound, size_t ulen) {
  size_t n = 0;
  unbound[0] = 0;
  const char *query = strchr(tmpl, '?');
  for (const char *p = tmpl; *p && n + 1 < len;) {
    if (*p == ':' && p > tmpl && p[-1] == '/' && (!query || p < query)) {
      const char *end = p + 1;
      while (*end && *end != '/' && *end != '?') end++;
      char name[64];
      snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
      const char *v = bound(b, nb, name);
      if (!v && !unbound[0]) snprintf(unbound, ulen, "%s", name);
      int w = v ? snprintf(out + n, len - n, "%s", v)
                : snprintf(out + n, len - n, "%.*s", (int)(end - p), p); /* keep ":name" */
      n += (size_t)w;
      if (n >= len) n = len - 1;
      p = end;
      continue;
    }
    out[n++] = *p++;
  }
  out[n] = 0;
}

/* Evaluates a JSON pointer without wildcards ("/jobs", "/history"). */
static const json_t *pointer_get(const json_t *doc, const char *pointer) {
  const json_t *cur = doc;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", pointer);
  char *save = NULL;
  for (char *tok = strtok_r(buf, "/", &save); tok && cur; tok = strtok_r(NULL, "/", &save)) {
    if (json_is_array(cur)) {
      cur = json_array_get(cur, (size_t)strtoul(tok, NULL, 10));
    } else {
      cur = json_object_get(cur, tok);
    }
  }
  return cur;
}

static void scalar_text(const json_t *v, char *buf, size_t len) {
  if (json_is_string(v)) {
    snprintf(buf, len, "%s", json_string_value(v));
  } else if (json_is_integer(v)) {
    snprintf(buf, len, "%lld", (long long)json_integer_value(v));
  } else {
    buf[0] = 0;
  }
}

/* The discovery rule of placeholder name for a request path (path_prefix narrows a rule). */
static const json_t *rule_for(const checker *c, const char *name, const char *path) {
  size_t i;
  const json_t *r;
  json_array_foreach(c->rules, i, r) {
    if (strcmp(json_string_value(json_object_get(r, "placeholder")), name) != 0) continue;
    const char *prefix = json_string_value(json_object_get(r, "path_prefix"));
    if (prefix && strncmp(path, prefix, strlen(prefix)) != 0) continue;
    return r;
  }
  return NULL;
}

/* --- checks of one answer ------------------------------------------------------------------------ */

/* The vertices array of the job's detail (cached), or NULL. */
static const json_t *job_vertices(checker *c, const binding *b, int nb) {
  const char *job = bound(b, nb, "jobid");
  if (!job) return NULL;
  char path[256];
  snprintf(path, sizeof path, "/jobs/%s", job);
  const answer *a = get_cached(c, path);
  return a->status == 200 ? json_object_get(a->json, "vertices") : NULL;
}

static bool has_id(const json_t *arr, const char *id) {
  size_t i;
  const json_t *x;
  json_array_foreach(arr, i, x) {
    const char *s = json_string_value(json_object_get(x, "id"));
    if (s && strcmp(s, id) == 0) return true;
  }
  return false;
}

/* expect_ids / advisory_ids: the answer (an array of {"id": ...}) holds each id; "{subtask}"
 * expands to every subtask index of the bound vertex. */
static void check_ids(checker *c, const json_t *list, const json_t *doc, const binding *b, int nb,
                      msg_list *out, bool advisory) {
  if (!list) return;
  if (!json_is_array(doc)) return; /* the shape check reported it */
  size_t i;
  const json_t *t;
  json_array_foreach(list, i, t) {
    const char *tmpl = json_string_value(t);
    const char *mark = strstr(tmpl, "{subtask}");
    long parallelism = 1;
    if (mark) {
      parallelism = 0;
      const char *vid = bound(b, nb, "vertexid");
      size_t k;
      const json_t *v;
      json_array_foreach(job_vertices(c, b, nb), k, v) {
        const char *id = json_string_value(json_object_get(v, "id"));
        if (vid && id && strcmp(id, vid) == 0) {
          parallelism = (long)json_integer_value(json_object_get(v, "parallelism"));
        }
      }
      if (parallelism <= 0) {
        msgs_add(out, "cannot expand %s: no parallelism for the vertex in /jobs/:jobid", tmpl);
        continue;
      }
    }
    for (long s = 0; s < parallelism; s++) {
      char id[256];
      if (mark) {
        snprintf(id, sizeof id, "%.*s%ld%s", (int)(mark - tmpl), tmpl, s, mark + 9);
      } else {
        snprintf(id, sizeof id, "%s", tmpl);
      }
      if (has_id(doc, id)) continue;
      msgs_add(out, "%s: no metric \"%s\" (the dashboard asks for it)", advisory ? "advisory" : "/",
               id);
    }
  }
}

/* plan_ids_match_vertices: the graph's nodes are the vertices, its edges join nodes. */
static void check_plan_ids(const json_t *doc, msg_list *out) {
  const json_t *vertices = json_object_get(doc, "vertices");
  const json_t *nodes = json_object_get(json_object_get(doc, "plan"), "nodes");
  if (!json_is_array(vertices) || !json_is_array(nodes)) return; /* the shape check reported it */
  size_t i, j;
  const json_t *n, *v, *in;
  size_t edges = 0;
  json_array_foreach(nodes, i, n) {
    const char *id = json_string_value(json_object_get(n, "id"));
    if (id && !has_id(vertices, id)) {
      msgs_add(out,
               "/plan/nodes/%zu/id: \"%s\" is no vertex's id (the graph node gets no status or "
               "metrics)",
               i, id);
    }
    json_array_foreach(json_object_get(n, "inputs"), j, in) {
      edges++;
      const char *from = json_string_value(json_object_get(in, "id"));
      if (from && !has_id(nodes, from)) {
        msgs_add(out, "/plan/nodes/%zu/inputs/%zu/id: no plan node has id \"%s\"", i, j, from);
      }
    }
  }
  json_array_foreach(vertices, i, v) {
    const char *id = json_string_value(json_object_get(v, "id"));
    if (id && !has_id(nodes, id)) {
      msgs_add(out, "/vertices/%zu/id: vertex \"%s\" has no plan node (not drawn)", i, id);
    }
  }
  if (json_array_size(nodes) > 1 && edges == 0) {
    msgs_add(out, "/plan/nodes: %zu nodes and no inputs: the graph draws no edges",
             json_array_size(nodes));
  }
}

/* checkpoint_tasks_are_vertices: a checkpoint's tasks map is keyed by exactly the job's vertices. */
static void check_checkpoint_tasks(checker *c, const json_t *doc, const binding *b, int nb,
                                   msg_list *out) {
  const json_t *tasks = json_object_get(doc, "tasks");
  const json_t *vertices = job_vertices(c, b, nb);
  if (!json_is_object(tasks)) return; /* the shape check reported it */
  if (!vertices) {
    msgs_add(out, "/tasks: cannot compare with the job's vertices: /jobs/:jobid has none");
    return;
  }
  const char *k;
  const json_t *x;
  json_object_foreach((json_t *)tasks, k, x) {
    if (!has_id(vertices, k)) msgs_add(out, "/tasks/%s: no vertex has this id", k);
  }
  size_t i;
  json_array_foreach(vertices, i, x) {
    const char *id = json_string_value(json_object_get(x, "id"));
    if (id && !json_object_get(tasks, id)) {
      msgs_add(out, "/tasks: no entry for vertex %s", id);
    }
  }
}

/* Checks one answer of an entry; mismatches into out, warnings into warn. Returns whether the
 * status was the expected one (only then does retrying make sense). */
static bool check_answer(checker *c, const json_t *entry, const answer *a, const binding *b, int nb,
                         msg_list *out, msg_list *warn) {
  const json_t *resp = json_object_get(entry, "response");
  json_int_t want = json_integer_value(json_object_get(entry, "status"));
  if (!want) want = 200;
  if (a->status == 0) {
    msgs_add(out, "%s", a->error);
    return false;
  }
  if (a->status != want) {
    char ex[200];
    body_excerpt(a, ex, sizeof ex);
    msgs_add(out, "status %ld, expected %lld: %s", a->status, (long long)want, ex);
    return false;
  }
  if (json_is_true(json_object_get(resp, "text"))) {
    if (json_is_true(json_object_get(resp, "nonempty")) && a->len == 0) {
      msgs_add(out, "empty body, expected the file's text");
    }
    return true;
  }
  if (!a->json) {
    msgs_add(out, "%s", a->error);
    return true;
  }
  shape_check(c->types, resp, a->json, "", out);
  check_ids(c, json_object_get(entry, "expect_ids"), a->json, b, nb, out, false);
  check_ids(c, json_object_get(entry, "advisory_ids"), a->json, b, nb, warn, true);
  size_t i;
  const json_t *chk;
  json_array_foreach(json_object_get(entry, "checks"), i, chk) {
    const char *name = json_string_value(chk);
    if (strcmp(name, "plan_ids_match_vertices") == 0) {
      check_plan_ids(a->json, out);
    } else if (strcmp(name, "checkpoint_tasks_are_vertices") == 0) {
      check_checkpoint_tasks(c, a->json, b, nb, out);
    }
  }
  return true;
}

/* --- walking the contract ------------------------------------------------------------------------ */

static page_count *page(checker *c, const char *name) {
  for (int i = 0; i < c->npages; i++) {
    if (strcmp(c->pages[i].page, name) == 0) return &c->pages[i];
  }
  if (c->npages == (int)(sizeof c->pages / sizeof c->pages[0])) return NULL;
  c->pages[c->npages].page = name;
  return &c->pages[c->npages++];
}

static void count(checker *c, const json_t *entry, bool ok) {
  bool optional = strcmp(json_string_value(json_object_get(entry, "level")), "optional") == 0;
  c->checked++;
  if (ok) {
    c->ok++;
  } else if (!optional) {
    c->failed++;
    const char *id = json_string_value(json_object_get(entry, "id"));
    size_t i;
    const json_t *x;
    bool seen = false;
    json_array_foreach(c->failed_ids, i, x) seen = seen || strcmp(json_string_value(x), id) == 0;
    if (!seen) json_array_append_new(c->failed_ids, json_string(id));
  }
  size_t i;
  const json_t *p;
  json_array_foreach(json_object_get(entry, "pages"), i, p) {
    page_count *pc = page(c, json_string_value(p));
    if (!pc) continue;
    if (ok) {
      pc->ok++;
    } else {
      pc->failed++;
    }
  }
}

static void print_msgs(const char *prefix, const msg_list *m) {
  for (int i = 0; i < m->n && i < MAX_PRINTED_MSGS; i++)
    printf("       %s%s\n", prefix, m->items[i]);
  if (m->n > MAX_PRINTED_MSGS) printf("       ... and %d more\n", m->n - MAX_PRINTED_MSGS);
}

/* Requests one concrete path of an entry (retrying while allowed) and reports it. */
static void check_one(checker *c, const json_t *entry, const char *path, const binding *b, int nb) {
  bool retry = json_is_true(json_object_get(entry, "retry"));
  msg_list out = {0}, warn = {0};
  for (;;) {
    msgs_clear(&out);
    msgs_clear(&warn);
    answer a;
    http_get(c, path, &a);
    bool status_ok = check_answer(c, entry, &a, b, nb, &out, &warn);
    answer_free(&a);
    if (out.n == 0 || !retry || !status_ok || now_s() >= c->deadline) break;
    struct timespec ts = {0, RETRY_PERIOD_MS * 1000000L};
    nanosleep(&ts, NULL); /* polling a live server: the answer has no other signal to wait on */
  }
  const char *level = json_string_value(json_object_get(entry, "level"));
  bool optional = strcmp(level, "optional") == 0;
  if (out.n == 0) {
    if (!c->quiet || warn.n) printf("ok   GET %s\n", path);
  } else {
    printf("%s GET %s  [%s]\n", optional ? "note" : "FAIL", path,
           json_string_value(json_object_get(entry, "id")));
    print_msgs("", &out);
  }
  if (warn.n) print_msgs("warn: ", &warn);
  c->warnings += warn.n;
  count(c, entry, out.n == 0);
  msgs_free(&out);
  msgs_free(&warn);
}

/* Resolves the placeholders of tmpl one after the other (in path order) and checks each
 * concrete path. */
static void expand(checker *c, const json_t *entry, const char *tmpl, binding *b, int nb) {
  char path[1024], next[64];
  substitute(tmpl, b, nb, path, sizeof path, next, sizeof next);
  if (!next[0]) {
    check_one(c, entry, path, b, nb);
    return;
  }
  const char *id = json_string_value(json_object_get(entry, "id"));
  const json_t *rule = rule_for(c, next, tmpl);
  if (!rule || nb == MAX_BINDINGS) {
    printf("FAIL GET %s  [%s]\n       contract error: no discovery rule for :%s\n", tmpl, id, next);
    c->unresolved++;
    count(c, entry, false);
    return;
  }
  if (strcmp(next, "jobid") == 0 && c->job) {
    b[nb].name = "jobid";
    snprintf(b[nb].value, sizeof b[nb].value, "%s", c->job);
    expand(c, entry, tmpl, b, nb + 1);
    return;
  }
  char from[1024], missing[64];
  substitute(json_string_value(json_object_get(rule, "from")), b, nb, from, sizeof from, missing,
             sizeof missing);
  if (missing[0]) {
    printf(
        "FAIL GET %s  [%s]\n       contract error: the rule of :%s reads %s before :%s is known\n",
        tmpl, id, next, from, missing);
    c->unresolved++;
    count(c, entry, false);
    return;
  }
  const answer *a = get_cached(c, from);
  const char *array = json_string_value(json_object_get(rule, "array"));
  const char *field = json_string_value(json_object_get(rule, "field"));
  const json_t *where = json_object_get(rule, "where");
  const json_t *also = json_object_get(rule, "also");
  bool each = json_is_true(json_object_get(rule, "each"));
  const json_t *arr = a->status == 200 && a->json ? pointer_get(a->json, array) : NULL;
  int found = 0;
  size_t i;
  const json_t *el;
  json_array_foreach(arr, i, el) {
    bool match = true;
    const char *k;
    const json_t *want;
    json_object_foreach((json_t *)where, k, want) {
      const char *got = json_string_value(json_object_get(el, k));
      match = match && got && strcmp(got, json_string_value(want)) == 0;
    }
    char value[128];
    scalar_text(json_object_get(el, field), value, sizeof value);
    if (!match || !value[0]) continue;
    int n = nb;
    b[n].name = json_string_value(json_object_get(rule, "placeholder"));
    snprintf(b[n].value, sizeof b[n].value, "%s", value);
    n++;
    const char *ak;
    const json_t *af;
    json_object_foreach((json_t *)also, ak, af) {
      if (n == MAX_BINDINGS) break;
      b[n].name = ak;
      scalar_text(json_object_get(el, json_string_value(af)), b[n].value, sizeof b[n].value);
      n++;
    }
    found++;
    expand(c, entry, tmpl, b, n);
    if (!each) break;
  }
  if (found) return;
  char why[2048];
  if (a->status == 0) {
    snprintf(why, sizeof why, "GET %s: %s", from, a->error);
  } else if (a->status != 200) {
    char ex[200];
    body_excerpt(a, ex, sizeof ex);
    snprintf(why, sizeof why, "GET %s: status %ld: %s", from, a->status, ex);
  } else {
    char *w = where ? json_dumps(where, JSON_COMPACT) : NULL;
    snprintf(why, sizeof why, "GET %s has no %s[].%s%s%s", from, array, field, w ? " where " : "",
             w ? w : "");
    free(w);
  }
  printf("FAIL GET %s  [%s]\n       unresolved :%s: %s\n", tmpl, id, next, why);
  c->unresolved++;
  count(c, entry, false);
}

static bool feature_on(checker *c, const char *feature) {
  const answer *a = get_cached(c, "/config");
  return json_is_true(json_object_get(json_object_get(a->json, "features"), feature));
}

static int usage(const char *msg) {
  if (msg) fprintf(stderr, "rest_contract_check: %s\n", msg);
  fprintf(stderr,
          "Usage: rest_contract_check [--contract FILE] [--job ID] [--core | --all]\n"
          "                           [--timeout SECONDS] [--quiet] BASE_URL\n"
          "  e.g. rest_contract_check http://localhost:8081\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *contract_path = CONTRACT_DEFAULT_PATH;
  checker c = {0};
  double timeout = 60;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--contract") == 0 && i + 1 < argc) {
      contract_path = argv[++i];
    } else if (strcmp(a, "--job") == 0 && i + 1 < argc) {
      c.job = argv[++i];
    } else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) {
      char *end;
      timeout = strtod(argv[++i], &end);
      if (*end || timeout < 0) return usage("--timeout takes a number of seconds");
    } else if (strcmp(a, "--core") == 0) {
      c.core_only = true;
    } else if (strcmp(a, "--all") == 0) {
      c.all = true;
    } else if (strcmp(a, "--quiet") == 0) {
      c.quiet = true;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(NULL);
      return 0;
    } else if (a[0] == '-' || c.base) {
      char m[300];
      snprintf(m, sizeof m, "unexpected argument '%s'", a);
      return usage(m);
    } else {
      c.base = a;
    }
  }
  if (!c.base) return usage("no BASE_URL");
  if (strncmp(c.base, "http://", 7) != 0 && strncmp(c.base, "https://", 8) != 0) {
    return usage("BASE_URL must start with http:// or https://");
  }
  char *base = sp_strdup(c.base);
  while (strlen(base) > 8 && base[strlen(base) - 1] == '/') base[strlen(base) - 1] = 0;
  c.base = base;

  json_error_t je;
  json_t *contract = json_load_file(contract_path, 0, &je);
  if (!contract) {
    if (je.line > 0) {
      fprintf(stderr, "rest_contract_check: contract %s:%d:%d: %s\n", contract_path, je.line,
              je.column, je.text);
    } else {
      fprintf(stderr, "rest_contract_check: contract %s: %s\n", contract_path, je.text);
    }
    sp_free(base);
    return 2;
  }
  msg_list lint = {0};
  contract_lint(contract, &lint);
  if (lint.n) {
    fprintf(stderr, "rest_contract_check: contract %s is malformed:\n", contract_path);
    for (int i = 0; i < lint.n; i++) fprintf(stderr, "  %s\n", lint.items[i]);
    msgs_free(&lint);
    json_decref(contract);
    sp_free(base);
    return 2;
  }
  msgs_free(&lint);
  c.contract = contract;
  c.types = json_object_get(contract, "types");
  c.rules = json_object_get(contract, "discovery");
  c.failed_ids = json_array();
  c.deadline = now_s() + timeout;
  curl_global_init(CURL_GLOBAL_DEFAULT);

  printf("Checking %s against %s\n", c.base, contract_path);
  const answer *probe = get_cached(&c, "/config");
  if (probe->status == 0) {
    /* nothing to check: one line saying why instead of one failure per request */
    printf("FAIL GET /config\n       %s\nRESULT: no REST endpoint answers at %s\n", probe->error,
           c.base);
    c.failed = 1;
  }
  json_t *skipped = json_array();
  size_t i;
  const json_t *entry;
  json_array_foreach(json_object_get(contract, "requests"), i, entry) {
    if (probe->status == 0) break;
    const char *id = json_string_value(json_object_get(entry, "id"));
    const char *level = json_string_value(json_object_get(entry, "level"));
    const char *feature = json_string_value(json_object_get(entry, "when_feature"));
    const char *why = NULL;
    if (strcmp(level, "optional") == 0 && !c.all) {
      why = "optional";
    } else if (c.core_only && strcmp(level, "core") != 0) {
      why = "not core";
    } else if (json_is_true(json_object_get(entry, "destructive"))) {
      why = "destructive, not requested";
    } else if (strcmp(json_string_value(json_object_get(entry, "method")), "GET") != 0) {
      why = "not a GET";
    } else if (feature && !feature_on(&c, feature)) {
      why = "feature off in /config";
    }
    if (why) {
      json_array_append_new(skipped, json_pack("s+++", id, " (", why, ")"));
      c.skipped++;
      continue;
    }
    binding b[MAX_BINDINGS];
    expand(&c, entry, json_string_value(json_object_get(entry, "path")), b, 0);
  }

  if (probe->status == 0) goto done;
  printf("\nSummary for %s: %d requests checked, %d ok, %d failed (%d unresolved), %d warnings\n",
         c.base, c.checked, c.ok, c.failed, c.unresolved, c.warnings);
  for (int p = 0; p < c.npages; p++) {
    printf("  page %-13s %3d ok %3d failed\n", c.pages[p].page, c.pages[p].ok, c.pages[p].failed);
  }
  if (json_array_size(c.failed_ids)) {
    char *f = json_dumps(c.failed_ids, JSON_COMPACT);
    printf("  failing entries: %s\n", f);
    free(f);
  }
  if (json_array_size(skipped)) {
    char *s = json_dumps(skipped, JSON_COMPACT);
    printf("  not checked: %s\n", s);
    free(s);
  }
  printf("%s\n", c.failed ? "RESULT: the endpoint does not meet the dashboard contract"
                          : "RESULT: the endpoint meets the dashboard contract");
done:;
  int rc = c.failed ? 1 : 0;

  while (c.cache) {
    cached *e = c.cache;
    c.cache = e->next;
    answer_free(&e->a);
    sp_free(e->path);
    sp_free(e);
  }
  json_decref(skipped);
  json_decref(c.failed_ids);
  json_decref(contract);
  sp_free(base);
  curl_global_cleanup();
  return rc;
}
