/*
 * rest_operations.c: the table of the REST endpoint's asynchronous operations and their worker
 * threads (rest_operations.h).
 */
#include "rest/rest_operations.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/err.h"
#include "base/log.h"

typedef struct op_entry {
  bool used, done;
  rest_op_kind kind;
  char job_id[REST_ID_LEN + 1];
  char trigger_id[REST_ID_LEN + 1];
  char *path;
  bool flag;
  rest_savepoint_format format;
  rest_checkpoint_type checkpoint_type;
  uint64_t seq; /* trigger order: the oldest completed entry goes first */
  pthread_t thread;
  /* the result, set once done */
  int rc;
  char *location;
  int64_t checkpoint_id;
  char err[SP_ERRMSG_MAX];
  struct rest_operations *table;
} op_entry;

struct rest_operations {
  const rest_cluster_ops *ops;
  void *ctx;
  pthread_mutex_t lock;
  op_entry *entries;
  size_t max;
  uint64_t seq;
};

void rest_random_id(char *out) {
  unsigned char b[REST_ID_LEN / 2];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = getrandom(b + got, sizeof b - got, 0);
    if (n <= 0) break;
    got += (size_t)n;
  }
  if (got < sizeof b) { /* no entropy source: still unique within the process */
    static uint64_t counter;
    uint64_t c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    for (size_t i = 0; i < sizeof b; i++) b[i] = (unsigned char)(c >> (8 * (i % 8))) ^ (i * 37u);
  }
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < sizeof b; i++) {
    out[2 * i] = hex[b[i] >> 4];
    out[2 * i + 1] = hex[b[i] & 15];
  }
  out[REST_ID_LEN] = 0;
}

json_t *rest_failure_cause(const char *message) {
  const char *cls = "org.apache.flink.util.FlinkException";
  size_t n = strlen(cls) + strlen(message) + 3;
  char *trace = sp_malloc(n);
  sp_strbuf b64 = {0};
  json_t *o = NULL;
  if (trace && sp_base64_append(&b64, message, strlen(message)) == 0) {
    snprintf(trace, n, "%s: %s", cls, message);
    o = json_pack("{s:s, s:s, s:s}", "class", cls, "stack-trace", trace, "serialized-throwable",
                  b64.data);
  }
  sp_free(trace);
  sp_strbuf_free(&b64);
  return o;
}

rest_operations *rest_operations_new(const rest_cluster_ops *ops, void *ctx, size_t max) {
  rest_operations *t = sp_calloc(1, sizeof *t);
  if (!t) return NULL;
  t->entries = sp_calloc(max ? max : 1, sizeof *t->entries);
  if (!t->entries) {
    sp_free(t);
    return NULL;
  }
  t->ops = ops;
  t->ctx = ctx;
  t->max = max ? max : 1;
  pthread_mutex_init(&t->lock, NULL);
  return t;
}

static void *op_main(void *arg) {
  op_entry *e = arg;
  rest_operations *t = e->table;
  const rest_cluster_ops *ops = t->ops;
  /* The entry's request fields are fixed while it runs; only the result is written, then done
   * under the lock. */
  char err[SP_ERRMSG_MAX] = "";
  char *location = NULL;
  int64_t id = 0;
  int rc;
  switch (e->kind) {
  case REST_OP_SAVEPOINT:
    rc = ops->savepoint(t->ctx, e->job_id, e->path, e->flag, e->format, &location, err, sizeof err);
    break;
  case REST_OP_STOP:
    rc = ops->stop_job(t->ctx, e->job_id, e->path, e->flag, e->format, &location, err, sizeof err);
    break;
  case REST_OP_CHECKPOINT:
    rc = ops->checkpoint(t->ctx, e->job_id, e->checkpoint_type, &id, err, sizeof err);
    break;
  default: rc = ops->dispose_savepoint(t->ctx, e->path, err, sizeof err); break;
  }
  if (rc < 0 && !err[0]) snprintf(err, sizeof err, "%s", spate_strerror(rc));
  if (rc < 0) SP_WARN("rest", "asynchronous operation %s failed: %s", e->trigger_id, err);
  pthread_mutex_lock(&t->lock);
  e->rc = rc;
  e->location = rc == 0 ? location : NULL;
  e->checkpoint_id = id;
  memcpy(e->err, err, sizeof err);
  e->done = true;
  pthread_mutex_unlock(&t->lock);
  if (rc < 0) sp_free(location);
  return NULL;
}

/* Frees an entry's fields after its thread ended (joined). */
static void entry_clear(op_entry *e) {
  pthread_join(e->thread, NULL);
  sp_free(e->path);
  sp_free(e->location);
  memset(e, 0, sizeof *e);
}

static bool same_family(rest_op_kind a, rest_op_kind b) {
  bool sa = a == REST_OP_SAVEPOINT || a == REST_OP_STOP;
  bool sb = b == REST_OP_SAVEPOINT || b == REST_OP_STOP;
  return a == b || (sa && sb);
}

/* The entry for kind/job/trigger; caller holds the lock. */
static op_entry *find(rest_operations *t, rest_op_kind kind, const char *job_id,
                      const char *trigger_id) {
  for (size_t i = 0; i < t->max; i++) {
    op_entry *e = &t->entries[i];
    if (e->used && same_family(e->kind, kind) && strcmp(e->trigger_id, trigger_id) == 0 &&
        (kind == REST_OP_DISPOSAL || strcmp(e->job_id, job_id ? job_id : "") == 0))
      return e;
  }
  return NULL;
}

int rest_operations_trigger(rest_operations *t, const rest_op_request *req, char *trigger_id,
                            char *err, size_t err_len) {
  pthread_mutex_lock(&t->lock);
  if (req->trigger_id) {
    op_entry *known = find(t, req->kind, req->job_id, req->trigger_id);
    if (known) {
      memcpy(trigger_id, known->trigger_id, REST_ID_LEN + 1);
      pthread_mutex_unlock(&t->lock);
      return 0;
    }
  }
  op_entry *slot = NULL, *oldest = NULL;
  for (size_t i = 0; i < t->max && !slot; i++) {
    op_entry *e = &t->entries[i];
    if (!e->used)
      slot = e;
    else if (e->done && (!oldest || e->seq < oldest->seq))
      oldest = e;
  }
  if (!slot && oldest) {
    entry_clear(oldest); /* its thread has set done and is returning: the join is short */
    slot = oldest;
  }
  if (!slot) {
    pthread_mutex_unlock(&t->lock);
    return sp_err(err, err_len, SPATE_ENORESOURCE,
                  "Too many asynchronous operations in progress (%zu); try again later", t->max);
  }
  char *path = req->path ? sp_strdup(req->path) : NULL;
  if (req->path && !path) {
    pthread_mutex_unlock(&t->lock);
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  memset(slot, 0, sizeof *slot);
  slot->used = true;
  slot->kind = req->kind;
  snprintf(slot->job_id, sizeof slot->job_id, "%s", req->job_id ? req->job_id : "");
  if (req->trigger_id)
    snprintf(slot->trigger_id, sizeof slot->trigger_id, "%s", req->trigger_id);
  else
    rest_random_id(slot->trigger_id);
  slot->path = path;
  slot->flag = req->flag;
  slot->format = req->format;
  slot->checkpoint_type = req->checkpoint_type;
  slot->seq = ++t->seq;
  slot->table = t;
  if (pthread_create(&slot->thread, NULL, op_main, slot) != 0) {
    sp_free(path);
    memset(slot, 0, sizeof *slot);
    pthread_mutex_unlock(&t->lock);
    return sp_err(err, err_len, SPATE_EIO, "cannot start a thread for the operation");
  }
  memcpy(trigger_id, slot->trigger_id, REST_ID_LEN + 1);
  pthread_mutex_unlock(&t->lock);
  return 0;
}

json_t *rest_operations_result(rest_operations *t, rest_op_kind kind, const char *job_id,
                               const char *trigger_id) {
  pthread_mutex_lock(&t->lock);
  op_entry *e = find(t, kind, job_id, trigger_id);
  json_t *out = NULL;
  if (e && !e->done) {
    out = json_pack("{s:{s:s}, s:n}", "status", "id", "IN_PROGRESS", "operation");
  } else if (e) {
    json_t *op;
    if (e->rc < 0)
      op = json_pack("{s:o*}", "failure-cause", rest_failure_cause(e->err));
    else if (e->kind == REST_OP_CHECKPOINT)
      op = json_pack("{s:I}", "checkpointId", (json_int_t)e->checkpoint_id);
    else if (e->kind == REST_OP_DISPOSAL)
      op = json_object();
    else
      op = json_pack("{s:s?}", "location", e->location);
    out = json_pack("{s:{s:s}, s:o*}", "status", "id", "COMPLETED", "operation", op);
  }
  pthread_mutex_unlock(&t->lock);
  return out;
}

void rest_operations_free(rest_operations *t) {
  if (!t) return;
  for (size_t i = 0; i < t->max; i++)
    if (t->entries[i].used) entry_clear(&t->entries[i]);
  pthread_mutex_destroy(&t->lock);
  sp_free(t->entries);
  sp_free(t);
}
