/*
 * jobmanager_metrics.c: the JobManager's metric fetcher for its REST endpoint
 * (jobmanager_metrics.h).
 */
#include "rest/jobmanager_metrics.h"

#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/hash.h"
#include "cluster/metric_fetcher.h"

/* A TaskManager's REST id (/taskmanagers/:taskmanagerid): 32 hex digits hashed from its RPC
 * address, as the TaskManager routes name it (jmr_tm_id of jobmanager_rest_tm.c, on the
 * i11-cluster branch; this is the same hash until both are merged and this calls that one). */
static void tm_rest_id(const char *address, char *out, size_t cap) {
  uint64_t a = sp_hash64(address, strlen(address));
  uint64_t b = sp_hash64(&a, sizeof a);
  snprintf(out, cap, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
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
