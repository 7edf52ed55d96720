/*
 * job_master_heartbeats.c: a JobMaster's TaskExecutors: the heartbeats with those that hold the
 * job's slots (cluster/heartbeat_monitor.h; heartbeat.interval, heartbeat.timeout,
 * heartbeat.rpc-failure-threshold from the JobManager's configuration through jm_context), and
 * losing one, by the heartbeats or by the ResourceManager's MSG_TM_LOST: its subtasks fail with
 * the reason, and the job fails over asking for slots anew.
 *
 * Split out of job_master.c, whose state it shares through job_master_internal.h; it runs on the
 * JobMaster's thread like the rest of it.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "cluster/job_master_internal.h"
#include "cluster/messages.h"

/* A TaskManager that ran subtasks of this job is gone: they failed with it (nobody is left to
 * report them), and the job fails over on the slots that remain. One found silent by the
 * heartbeats may still be there: it cancels them itself when it finds this JobMaster silent in
 * turn (telling it here would race a report of the cancellation with their redeployment). */
static void lose_te(job_master *jm, const char *te, const char *reason) {
  hb_monitor_remove(&jm->hb, te);
  bool had = false;
  for (int k = 0; k < jm->ntasks; k++)
    if (jm->slot_te[k] && strcmp(jm->slot_te[k], te) == 0) had = true;
  if (had) jm->slots_lost = true;
  char msg[SP_ERRMSG_MAX];
  snprintf(msg, sizeof msg, "%s", reason);
  bool failed = false;
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++) {
      execution *e = &jm->exec[v][s];
      if (!e->te || strcmp(e->te, te) != 0 || task_state_terminal(e->state)) continue;
      const jg_vertex *vx = &jm->jg->vertices[v];
      SP_WARN("jobmaster", "%s (%d/%d) (%.16s_%d_%d_%d) switched from %s to FAILED: %s", vx->name,
              s + 1, vx->parallelism, jm->jg->job_id, v, s, jm->attempt, task_state_name(e->state),
              msg);
      jm_exec_switch_why(jm, v, s, e->state == TS_CANCELING ? TS_CANCELED : TS_FAILED, msg);
      failed = true;
    }
  if (failed) {
    /* jm_fail_job cancels (and, once nothing runs, ends or restarts) a running job; otherwise the
     * job was ending or restarting already and waited for these subtasks */
    bool running = jm->status == JOB_RUNNING || jm->status == JOB_CREATED;
    jm_fail_job(jm, msg);
    if (!running && jm->remaining == 0) jm_all_terminal(jm);
  }
}

/* MSG_TM_LOST: the ResourceManager lost a TaskManager. */
static void tm_lost(job_master *jm, sp_reader *r) {
  char *te = sp_get_str(r), *reason = sp_get_str(r);
  if (te && reason && sp_reader_ok(r)) lose_te(jm, te, reason);
  sp_free(te);
  sp_free(reason);
}

static int64_t clock_ns(const job_master *jm) {
  return sp_clock_mono_ns(rpc_service_clock(jm->rpc));
}

/* The heartbeat monitor found a TaskExecutor silent for heartbeat.timeout, or unreachable. */
static void hb_lost(void *ctx, const char *target, const char *reason) {
  job_master *jm = ctx;
  SP_WARN("jobmaster", "Job %s (%s): %s", jm->jg->job_name, jm->jg->job_id, reason);
  lose_te(jm, target, reason);
}

/* Monitors the TaskExecutors of the slots just offered (and no others). */
void jm_heartbeats_watch(job_master *jm) {
  if (!hb_monitor_enabled(&jm->hb)) return;
  hb_monitor_free(&jm->hb);
  for (int k = 0; k < jm->ntasks; k++)
    if (jm->slot_te[k]) hb_monitor_add(&jm->hb, jm->slot_te[k], clock_ns(jm));
}

/* The ResourceManager has not asked for a heartbeat for heartbeat.timeout. Flink's JobMaster
 * then reconnects to it and keeps the slots it holds; here it shares the process, so there is
 * nothing to reconnect: it is said and watched again. */
static void rm_lost(void *ctx, const char *target, const char *reason) {
  job_master *jm = ctx;
  SP_WARN("jobmaster", "Job %s (%s): %s", jm->jg->job_name, jm->jg->job_id, reason);
  hb_monitor_add(&jm->hb_rm, target, clock_ns(jm));
}

/* A heartbeat round: silent TaskExecutors are lost, the others are asked for a heartbeat. */
static void hb_tick(job_master *jm) {
  /* the job ended: no more rounds; without heartbeats a stray tick must not start any (a
   * 0 ms interval would run them back to back) */
  if (jm->done || !hb_monitor_enabled(&jm->hb)) return;
  hb_monitor_expire(&jm->hb, clock_ns(jm), hb_lost, jm);
  hb_monitor_expire(&jm->hb_rm, clock_ns(jm), rm_lost, jm);
  sp_writer req;
  sp_writer_init(&req);
  sp_put_str(&req, jm->address);
  sp_put_str(&req, jm->jg->job_id);
  hb_monitor_send_all(&jm->hb, jm->rpc, jm->name, MSG_JM_HEARTBEAT, &req, hb_lost, jm);
  sp_writer_free(&req);
  sp_writer w;
  sp_writer_init(&w);
  rpc_send_after(jm->rpc, jm->name, MSG_JM_HB_TICK, &w, jm->hb.set.interval_ms);
}

void jm_heartbeats_start(job_master *jm) {
  if (!hb_monitor_enabled(&jm->hb)) return;
  hb_monitor_add(&jm->hb_rm, RM_ADDRESS, clock_ns(jm));
  sp_writer w;
  sp_writer_init(&w);
  rpc_send_after(jm->rpc, jm->name, MSG_JM_HB_TICK, &w, jm->hb.set.interval_ms);
}

void jm_taskmanager_message(job_master *jm, uint32_t type, sp_reader *r) {
  switch (type) {
  case MSG_TM_LOST: tm_lost(jm, r); break;
  case MSG_JM_HB_TICK: hb_tick(jm); break;
  case MSG_RM_JM_HEARTBEAT: { /* the ResourceManager's request: answered, and it is heard */
    char *rm = sp_get_str(r);
    if (rm && sp_reader_ok(r)) {
      hb_monitor_heard(&jm->hb_rm, RM_ADDRESS, clock_ns(jm));
      sp_writer w;
      sp_writer_init(&w);
      sp_put_str(&w, jm->address);
      rpc_send(jm->rpc, rm, MSG_RM_JM_HEARTBEAT_REPLY, &w);
    }
    sp_free(rm);
    break;
  }
  case MSG_JM_HEARTBEAT_REPLY: {
    char *te = sp_get_str(r);
    if (te) hb_monitor_heard(&jm->hb, te, clock_ns(jm));
    sp_free(te);
    break;
  }
  case MSG_UNDELIVERED: { /* a heartbeat request that could not be sent: a failed RPC */
    hb_undelivered u;
    if (!hb_undelivered_read(r, &u)) break;
    if (u.type == MSG_JM_HEARTBEAT) hb_monitor_rpc_failed(&jm->hb, u.to, u.reason, hb_lost, jm);
    hb_undelivered_free(&u);
    break;
  }
  default: break;
  }
}
