/*
 * metric_query.c: a process's answer to its JobManager's metric fetcher (metric_query.h): the
 * dump of the process's metric source, encoded, sent back with the round it answers.
 */
#include "cluster/metric_query.h"

#include <pthread.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "cluster/messages.h"

static pthread_mutex_t source_mu = PTHREAD_MUTEX_INITIALIZER;
static metric_source_fn source_fn;
static void *source_ctx;

void metric_query_set_source(metric_source_fn fn, void *ctx) {
  pthread_mutex_lock(&source_mu);
  source_fn = fn;
  source_ctx = ctx;
  pthread_mutex_unlock(&source_mu);
}

void metric_query_clear_source(metric_source_fn fn, void *ctx) {
  pthread_mutex_lock(&source_mu);
  if (source_fn == fn && source_ctx == ctx) {
    source_fn = NULL;
    source_ctx = NULL;
  }
  pthread_mutex_unlock(&source_mu);
}

int metric_query_dump(metric_dump *out) {
  /* held across the call: a source cleared at shutdown is not called after it was cleared */
  pthread_mutex_lock(&source_mu);
  int rc = source_fn ? source_fn(source_ctx, out) : 0;
  pthread_mutex_unlock(&source_mu);
  if (rc < 0) metric_dump_free(out);
  return rc;
}

void metric_query_answer(rpc_service *rpc, const char *self, sp_reader *r) {
  char *reply_to = sp_get_str(r);
  int64_t round = sp_get_i64(r);
  if (!reply_to || !sp_reader_ok(r)) {
    SP_WARN("metrics", "%s: dropping a malformed metrics request", self);
    sp_free(reply_to);
    return;
  }
  metric_dump d = {0};
  int rc = metric_query_dump(&d);
  if (rc < 0)
    SP_WARN("metrics", "%s: cannot dump the metrics: %s; answering none", self, spate_strerror(rc));
  sp_writer body, w;
  sp_writer_init(&body);
  metric_dump_encode(&d, &body);
  metric_dump_free(&d);
  sp_writer_init(&w);
  sp_put_str(&w, self);
  sp_put_i64(&w, round);
  sp_put_blob(&w, body.data, body.len);
  sp_writer_free(&body);
  /* a fetcher that gave up on this round answers nothing: dropped on arrival */
  rpc_send(rpc, reply_to, MSG_METRICS_REPLY, &w);
  sp_writer_free(&w);
  sp_free(reply_to);
}
