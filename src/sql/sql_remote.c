/*
 * sql_remote.c: the SQL client's jobs on a cluster (sql_remote.h): the submission target, and a
 * query's rows read from its collect sink over REST with Flink's version/offset protocol.
 *
 * The reader asks for the rows after the offset it has; an empty answer makes it wait a little
 * longer each time (10 ms doubling to 200 ms; any row starts again at 10 ms), as Flink's
 * CollectResultFetcher backs off. A failed request is normal before the sink runs (409, 404): the
 * reader then asks the job's state and gives up only when the job has ended.
 */
#include "sql/sql_remote.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/err.h"
#include "base/hash.h"
#include "connectors/collect_remote.h"
#include "rest/rest_client.h"

#define BACKOFF_MIN_MS 10
#define BACKOFF_MAX_MS 200
/* How long a cancelled or ended job's final state is awaited. */
#define END_TIMEOUT_MS 60000

bool sql_remote_target(const sp_config *cfg, rest_remote *out, bool detached) {
  const char *target = sp_config_str(cfg, "execution.target");
  if (!target || strcasecmp(target, "remote") != 0) return false;
  rest_remote_init(out, sp_config_str(cfg, "rest.address"), (int)sp_config_int(cfg, "rest.port"),
                   detached);
  return true;
}

int sql_random_token(char out[33]) {
  uint8_t raw[16];
  if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) return SPATE_EIO;
  sp_hex_id(raw, sizeof raw, 0, out);
  return 0;
}

static void pause_ms(int64_t ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/* One round trip: the answer to (name, version, offset) decoded into a (rows of s) over *bytes,
 * which the caller frees after the rows. */
static int fetch(const rest_client *c, const char *path, const char *name, const char *version,
                 int64_t offset, const spate_schema *s, uint8_t **bytes, collect_answer *a,
                 char *err, size_t err_len) {
  sp_writer w;
  sp_writer_init(&w);
  collect_request_encode(&w, name, version, offset);
  sp_strbuf body = {0};
  int rc = w.failed ? SPATE_ENOMEM : sp_strbuf_add(&body, "{\"serializedCoordinationRequest\":\"");
  if (rc == 0) rc = sp_base64_append(&body, w.data, w.len);
  if (rc == 0) rc = sp_strbuf_add(&body, "\"}");
  sp_writer_free(&w);
  json_t *reply = NULL;
  long status = 0;
  if (rc == 0) rc = rest_request_json(c, "POST", path, body.data, &status, &reply, err, err_len);
  sp_strbuf_free(&body);
  if (rc < 0) {
    json_decref(reply);
    return rc;
  }
  const char *text = json_string_value(json_object_get(reply, "serializedCoordinationResult"));
  if (!text) {
    json_decref(reply);
    return sp_err(err, err_len, SPATE_EIO,
                  "the cluster's coordination answer has no serializedCoordinationResult");
  }
  size_t tl = strlen(text), n = 0;
  *bytes = sp_malloc(tl / 4 * 3 + 1);
  if (!*bytes)
    rc = SPATE_ENOMEM;
  else if (!sp_base64_decode(text, tl, *bytes, &n))
    rc = sp_err(err, err_len, SPATE_EIO, "the cluster's coordination answer is not base64");
  else
    rc = collect_answer_decode(*bytes, n, s, a, err, err_len);
  json_decref(reply);
  if (rc < 0) {
    sp_free(*bytes);
    *bytes = NULL;
  }
  return rc;
}

/* The job's state from GET /jobs/:jobid into state (empty when unknown). */
static int job_state(const rest_client *c, const char *job_id, char *state, size_t len) {
  char path[80], err[SP_ERRMSG_MAX];
  snprintf(path, sizeof path, "/jobs/%s", job_id);
  json_t *body = NULL;
  long status = 0;
  int rc = rest_request_json(c, "GET", path, NULL, &status, &body, err, sizeof err);
  const char *st = rc == 0 ? json_string_value(json_object_get(body, "state")) : NULL;
  snprintf(state, len, "%s", st ? st : "");
  json_decref(body);
  return rc;
}

static bool terminal(const char *state) {
  return strcmp(state, "FINISHED") == 0 || strcmp(state, "FAILED") == 0 ||
         strcmp(state, "CANCELED") == 0;
}

/* Awaits the job's end; 0 with *st, or an error in err. */
static int await_end(const rest_client *c, const char *job_id, rest_job_state *st, char **failure,
                     char *err, size_t err_len) {
  rest_job_result res = {0};
  int rc = rest_wait_job_result(c->host, c->port, job_id, END_TIMEOUT_MS, &res, err, err_len);
  if (rc == 0) {
    *st = res.state;
    *failure = res.failure;
    res.failure = NULL;
  }
  rest_job_result_free(&res);
  return rc;
}

int sql_remote_collect(const sp_config *cfg, const char *job_id, const char *operator_id,
                       const char *name, const spate_schema *s, sql_remote_row_fn fn, void *arg,
                       volatile sig_atomic_t *cancel, bool *cancelled, sp_strbuf *err) {
  *cancelled = false;
  rest_client c;
  if (rest_client_init(&c, sp_config_str(cfg, "rest.address"), (int)sp_config_int(cfg, "rest.port"),
                       0, "rest.address:rest.port") < 0)
    return SPATE_ENOMEM;
  char path[160], version[COLLECT_VERSION_LEN + 1] = "", msg[SP_ERRMSG_MAX] = "";
  snprintf(path, sizeof path, "/jobs/%s/coordinators/%s", job_id, operator_id);
  int64_t offset = 0, backoff = BACKOFF_MIN_MS;
  bool ended = false, asked_after_end = false;
  int rc = 0;
  while (!ended && rc == 0) {
    if (cancel && *cancel) { /* Ctrl-C: the job is cancelled, the rows so far kept */
      char e[SP_ERRMSG_MAX], p[96];
      snprintf(p, sizeof p, "/jobs/%s?mode=cancel", job_id);
      long status = 0;
      json_t *b = NULL;
      rest_request_json(&c, "PATCH", p, NULL, &status, &b, e, sizeof e); /* ended already: 409 */
      json_decref(b);
      *cancelled = true;
      break;
    }
    uint8_t *bytes = NULL;
    collect_answer a;
    int frc = fetch(&c, path, name, version, offset, s, &bytes, &a, msg, sizeof msg);
    if (frc == SPATE_ENOMEM) {
      rc = frc;
      break;
    }
    if (frc == 0) {
      msg[0] = 0;
      if (version[0] && strcmp(version, a.version) != 0) {
        snprintf(msg, sizeof msg,
                 "the query's collect sink restarted (a failover of job %s): its rows cannot be "
                 "resumed without duplicates",
                 job_id);
        rc = SPATE_EINVAL;
      } else if (a.offset != offset) {
        snprintf(msg, sizeof msg, "the collect sink answered rows from offset %lld, not %lld",
                 (long long)a.offset, (long long)offset);
        rc = SPATE_EINVAL;
      } else {
        snprintf(version, sizeof version, "%s", a.version);
        for (uint32_t i = 0; i < a.n; i++) fn(arg, &a.rows[i]);
        offset += a.n;
        ended = a.ended;
        backoff = a.n ? BACKOFF_MIN_MS : backoff;
      }
      bool empty = a.n == 0;
      collect_answer_free(&a);
      sp_free(bytes);
      if (rc == 0 && !ended && empty) {
        pause_ms(backoff);
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
      }
      continue;
    }
    /* not (yet, or any more) answering: fine while the job runs */
    char state[32];
    if (job_state(&c, job_id, state, sizeof state) == 0 && terminal(state)) {
      /* the sink may have opened, ended and kept its rows since that answer (a job that ran
       * whole between the two requests): one more request after the job's end tells */
      if (strcmp(state, "FINISHED") == 0 && !asked_after_end) {
        asked_after_end = true;
        continue;
      }
      if (strcmp(state, "FINISHED") == 0) {
        char why[SP_ERRMSG_MAX + 80];
        snprintf(why, sizeof why, "the rows of the finished query are no longer on the cluster: %s",
                 msg);
        snprintf(msg, sizeof msg, "%.*s", (int)sizeof msg - 1, why);
      }
      ended = true; /* the job's end tells below */
      break;
    }
    pause_ms(backoff);
    backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
  }
  if (rc == 0) {
    rest_job_state st = REST_JOB_FAILED;
    char *failure = NULL, e[SP_ERRMSG_MAX];
    if (await_end(&c, job_id, &st, &failure, e, sizeof e) < 0) {
      snprintf(msg, sizeof msg, "%s", e);
      rc = SPATE_EINVAL;
    } else if (st == REST_JOB_FINISHED && ended && !msg[0]) {
      rc = 0;
    } else if (st == REST_JOB_CANCELED && *cancelled) {
      rc = 0;
    } else {
      if (!msg[0] || (st == REST_JOB_FAILED && failure) || st == REST_JOB_CANCELED)
        snprintf(msg, sizeof msg, "%s",
                 st == REST_JOB_FAILED && failure ? failure
                 : st == REST_JOB_CANCELED        ? "the job was cancelled on the cluster"
                                                  : "the job ended before its rows were read");
      rc = SPATE_EINVAL;
    }
    sp_free(failure);
  }
  if (rc == SPATE_EINVAL) sp_strbuf_add(err, msg);
  rest_client_free(&c);
  return rc;
}
