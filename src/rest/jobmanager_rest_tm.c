/*
 * jobmanager_rest_tm.c: the JobManager's REST operations about one TaskManager
 * (jobmanager_rest_tm.h): find it in the cluster view by its id, ask its process, hand the
 * answer over.
 */
#include "rest/jobmanager_rest_tm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "cluster/jobmanager_gateway.h"
#include "cluster/taskmanager_info.h"

void jmr_tm_id(const char *address, char *out) { sp_hex_id(address, strlen(address), 0, out); }

/* The TaskManager with REST id tm_id: its address into addr and, if info, its view figures.
 * SPATE_ENOENT (err set) when none has that id. */
static int find_tm(jm_gateway *g, const char *tm_id, char *addr, size_t cap,
                   rest_taskmanager_info *info, char *err, size_t err_len) {
  cluster_view *v = jm_gateway_view(g);
  int rc = SPATE_ENOENT;
  cluster_view_lock(v);
  for (int i = 0; i < v->ntms && rc < 0; i++) {
    char id[REST_ID_LEN + 1];
    jmr_tm_id(v->tms[i].address, id);
    if (strcmp(id, tm_id) != 0) continue;
    rc = 0;
    snprintf(addr, cap, "%s", v->tms[i].address);
    if (!info) continue;
    size_t n = strlen(v->tms[i].address) + 16;
    info->id = sp_strdup(id);
    info->path = sp_malloc(n);
    if (info->path) snprintf(info->path, n, "spate://%s", v->tms[i].address);
    const char *colon = strrchr(v->tms[i].data, ':');
    info->data_port = colon ? atoi(colon + 1) : -1;
    info->jmx_port = -1;
    info->last_heartbeat = v->tms[i].last_heartbeat_ms;
    info->slots = v->tms[i].slots;
    info->free_slots = v->tms[i].free_slots;
    if (!info->id || !info->path) rc = SPATE_ENOMEM;
  }
  cluster_view_unlock(v);
  if (rc == SPATE_ENOENT) return sp_err(err, err_len, rc, "TaskManager %s not found", tm_id);
  if (rc < 0) return sp_err(err, err_len, rc, "out of memory");
  return 0;
}

static void set_hardware(rest_taskmanager_info *t, const sp_process_stats *s) {
  t->cpu_cores = s->cpu_cores;
  t->physical_memory = s->physical_memory;
  t->free_memory = s->free_memory;
}

void jmr_tm_enrich(void *ctx, rest_taskmanager_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    char addr[600], err[SP_ERRMSG_MAX];
    if (find_tm(ctx, l->tms[i].id, addr, sizeof addr, NULL, err, sizeof err) < 0) continue;
    tm_info_reply r;
    if (tm_info_request(jm_gateway_rpc(ctx), addr, TM_INFO_DETAILS, NULL, JMR_TM_LIST_TIMEOUT_MS,
                        &r, err, sizeof err) == 0 &&
        r.rc == 0)
      set_hardware(&l->tms[i], &r.stats);
    tm_info_reply_free(&r);
  }
}

/* Asks the TaskManager tm_id for kind; on success *r holds its (successful) answer. */
static int ask(void *ctx, const char *tm_id, tm_info_kind kind, const char *file,
               rest_taskmanager_info *info, tm_info_reply *r, char *err, size_t err_len) {
  char addr[600];
  memset(r, 0, sizeof *r);
  int rc = find_tm(ctx, tm_id, addr, sizeof addr, info, err, err_len);
  if (rc < 0) return rc;
  rc = tm_info_request(jm_gateway_rpc(ctx), addr, kind, file, JMR_TM_TIMEOUT_MS, r, err, err_len);
  if (rc == 0 && r->rc < 0) {
    rc = sp_err(err, err_len, r->rc, "%s", r->error);
    tm_info_reply_free(r);
  }
  return rc;
}

int jmr_taskmanager_details(void *ctx, const char *tm_id, rest_taskmanager_details *out, char *err,
                            size_t err_len) {
  tm_info_reply r;
  int rc = ask(ctx, tm_id, TM_INFO_DETAILS, NULL, &out->info, &r, err, err_len);
  if (rc < 0) return rc;
  set_hardware(&out->info, &r.stats);
  out->stats = r.stats;
  out->jobs = r.jobs; /* handed over */
  out->n_jobs = r.n_jobs;
  r.jobs = NULL;
  r.n_jobs = 0;
  tm_info_reply_free(&r);
  return 0;
}

int jmr_taskmanager_logs(void *ctx, const char *tm_id, sp_log_file_list *out, char *err,
                         size_t err_len) {
  tm_info_reply r;
  int rc = ask(ctx, tm_id, TM_INFO_LOGS, NULL, NULL, &r, err, err_len);
  if (rc < 0) return rc;
  *out = r.logs;
  r.logs = (sp_log_file_list){0};
  tm_info_reply_free(&r);
  return 0;
}

int jmr_taskmanager_log(void *ctx, const char *tm_id, rest_log_kind kind, const char *name,
                        sp_log_data *out, char *err, size_t err_len) {
  tm_info_kind k = kind == REST_LOG_MAIN     ? TM_INFO_LOG
                   : kind == REST_LOG_STDOUT ? TM_INFO_STDOUT
                                             : TM_INFO_FILE;
  tm_info_reply r;
  int rc = ask(ctx, tm_id, k, name, NULL, &r, err, err_len);
  if (rc < 0) return rc;
  *out = r.file;
  r.file = (sp_log_data){0};
  tm_info_reply_free(&r);
  return 0;
}

int jmr_taskmanager_thread_dump(void *ctx, const char *tm_id, thread_dump *out, char *err,
                                size_t err_len) {
  tm_info_reply r;
  int rc = ask(ctx, tm_id, TM_INFO_THREAD_DUMP, NULL, NULL, &r, err, err_len);
  if (rc < 0) return rc;
  *out = r.dump;
  r.dump = (thread_dump){0};
  tm_info_reply_free(&r);
  return 0;
}
