/*
 * jobmanager_metrics.c: the JobManager's metric fetcher for its REST endpoint
 * (jobmanager_metrics.h).
 */
#include "rest/jobmanager_metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/hash.h"
#include "cluster/metric_fetcher.h"
#include "rest/jobmanager_rest_tm.h"

/* A TaskManager's REST id, as the TaskManager routes name it. */
static void tm_rest_id(const char *address, char *out, size_t cap) {
  char id[REST_ID_LEN + 1];
  jmr_tm_id(address, id);
  snprintf(out, cap, "%s", id);
}

int jobmanager_metrics_start(const sp_config *cfg, jm_gateway *gw, char *err, size_t err_len) {
  metric_fetcher_options o = {
      .update_interval_ms = sp_config_int(cfg, "metrics.fetcher.update-interval"),
      .tm_id = tm_rest_id};
  metric_fetcher *f = NULL;
  int rc = metric_fetcher_create(jm_gateway_rpc(gw), jm_gateway_view(gw), &o, &f);
  if (rc < 0)
    return sp_err(err, err_len, rc, "cannot start the metric fetcher: %s", spate_strerror(rc));
  jm_gateway_set_metrics(gw, f);
  return 0;
}

void jobmanager_metrics_stop(jm_gateway *gw) {
  metric_fetcher *f = jm_gateway_metrics(gw);
  jm_gateway_set_metrics(gw, NULL);
  metric_fetcher_free(f);
}

struct metric_store *jobmanager_metric_store(void *ctx) {
  metric_fetcher *f = jm_gateway_metrics(ctx);
  return f ? metric_fetcher_update(f) : NULL;
}

int jobmanager_metrics_io(void *ctx, const char *job_id, const char *vertex_id, int subtask,
                          ms_io_metrics *out) {
  metric_store *s = jobmanager_metric_store(ctx);
  if (!s) {
    memset(out, 0, sizeof *out);
    return 0;
  }
  return metric_store_io(s, job_id, vertex_id, subtask, out);
}

int jobmanager_metrics_user_counters(void *ctx, const char *job_id, const char *vertex_id,
                                     int subtask, ms_list *out) {
  metric_store *s = jobmanager_metric_store(ctx);
  return s ? metric_store_user_counters(s, job_id, vertex_id, subtask, out) : 0;
}

static void to_rest(const ms_io_metrics *m, rest_io_metrics *out) {
  *out = (rest_io_metrics){.read_bytes = m->read_bytes,
                           .write_bytes = m->write_bytes,
                           .read_records = m->read_records,
                           .write_records = m->write_records,
                           .read_bytes_complete = m->read_bytes_complete,
                           .write_bytes_complete = m->write_bytes_complete,
                           .read_records_complete = m->read_records_complete,
                           .write_records_complete = m->write_records_complete,
                           .backpressured_ms = m->accumulated_backpressured_ms,
                           .idle_ms = m->accumulated_idle_ms,
                           .busy_ms = isnan(m->accumulated_busy_ms) ? 0 : m->accumulated_busy_ms};
}

void jobmanager_metrics_fill_job(void *ctx, rest_job_details *d) {
  for (size_t i = 0; i < d->n_vertices; i++) {
    ms_io_metrics m;
    if (jobmanager_metrics_io(ctx, d->job.id, d->vertices[i].id, -1, &m) == 0)
      to_rest(&m, &d->vertices[i].metrics);
  }
}

void jobmanager_metrics_fill_vertex(void *ctx, const char *job_id, rest_vertex_details *d) {
  ms_io_metrics m;
  if (jobmanager_metrics_io(ctx, job_id, d->vertex.id, -1, &m) == 0)
    to_rest(&m, &d->vertex.metrics);
  for (size_t s = 0; s < d->n_subtasks; s++)
    if (jobmanager_metrics_io(ctx, job_id, d->vertex.id, (int)s, &m) == 0)
      to_rest(&m, &d->subtasks[s].current.metrics);
}

int jobmanager_metrics_fill_accumulators(void *ctx, const char *job_id, const char *vertex_id,
                                         int subtask, rest_accumulator_list *out) {
  ms_list l = {0};
  int rc = jobmanager_metrics_user_counters(ctx, job_id, vertex_id, subtask, &l);
  for (size_t i = 0; rc == 0 && i < l.n; i++)
    rc = rest_accumulator_add(out, l.m[i].id, "LongCounter", l.m[i].value);
  ms_list_free(&l);
  return rc;
}
