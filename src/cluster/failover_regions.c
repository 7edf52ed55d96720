/*
 * failover_regions.c: region failover of a JobMaster (jobmanager.execution.failover-strategy:
 * region, Flink's RestartPipelinedRegionFailoverStrategy): the pipelined regions of a job's
 * subtasks, and restarting only the region of a failed subtask while the job stays RUNNING.
 *
 * Split out of job_master.c, whose state it shares through job_master_internal.h; it runs on the
 * JobMaster's thread like the rest of it. A failure it cannot keep to one region (full strategy,
 * one region only, a lost TaskManager, a two-phase-commit sink that committed its final output,
 * a restart strategy that refuses) fails the whole job over through jm_fail_job.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "checkpoint/coordinator.h"
#include "checkpoint/restore.h"
#include "cluster/cluster_view.h"
#include "cluster/job_master_internal.h"
#include "cluster/messages.h"
#include "cluster/restart_strategy.h"
#include "runtime/result_partition.h"

/* The pipelined regions: subtasks connected by exchanges (every exchange of a streaming job is
 * pipelined) form one region, as Flink's PipelinedRegion; disconnected pipelines, including the
 * separate subtask pipelines of forward edges, are regions of their own. Union-find over the
 * global task indices. */
static int find_root(int *parent, int x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

int jm_compute_regions(job_master *jm) {
  const job_graph *jg = jm->jg;
  int n = jm->ntasks, maxp = 1;
  for (int v = 0; v < jg->nvertices; v++)
    if (jg->vertices[v].parallelism > maxp) maxp = jg->vertices[v].parallelism;
  int *parent = sp_calloc((size_t)n + 1, sizeof *parent);
  int *peers = sp_calloc((size_t)maxp + 1, sizeof *peers);
  jm->region = sp_calloc((size_t)n + 1, sizeof *jm->region);
  if (!parent || !peers || !jm->region) {
    sp_free(parent);
    sp_free(peers);
    return SPATE_ENOMEM;
  }
  for (int i = 0; i < n; i++) parent[i] = i;
  for (int e = 0; e < jg->nedges; e++) {
    const jg_edge *ed = &jg->edges[e];
    int pu = jg->vertices[ed->source_vertex].parallelism;
    int pd = jg->vertices[ed->target_vertex].parallelism;
    for (int s = 0; s < pu; s++) {
      int k = rp_consumers_of(ed->part, pu, pd, s, peers);
      int a = find_root(parent, task_index(jm, ed->source_vertex, s));
      for (int c = 0; c < k; c++) {
        int b = find_root(parent, task_index(jm, ed->target_vertex, peers[c]));
        if (a != b) parent[b] = a;
      }
    }
  }
  jm->nregions = 0;
  for (int i = 0; i < n; i++) jm->region[i] = -1;
  for (int i = 0; i < n; i++) { /* number the roots in order of first appearance */
    int root = find_root(parent, i);
    if (jm->region[root] < 0 || root == i) {
      if (jm->region[root] < 0) jm->region[root] = jm->nregions++;
    }
  }
  for (int i = 0; i < n; i++) jm->region[i] = jm->region[find_root(parent, i)];
  sp_free(parent);
  sp_free(peers);
  jm->region_restarting = sp_calloc((size_t)jm->nregions + 1, sizeof *jm->region_restarting);
  jm->region_token = sp_calloc((size_t)jm->nregions + 1, sizeof *jm->region_token);
  jm->region_restart_at = sp_calloc((size_t)jm->nregions + 1, sizeof *jm->region_restart_at);
  return jm->region_restarting && jm->region_token && jm->region_restart_at ? 0 : SPATE_ENOMEM;
}

/* Whether every subtask of region r is terminal. */
static bool region_terminal(const job_master *jm, int r) {
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++)
      if (jm->region[task_index(jm, v, s)] == r && !task_state_terminal(jm->exec[v][s].state))
        return false;
  return true;
}

/* Whether a subtask outside region r runs as attempt a. */
static bool attempt_used_elsewhere(const job_master *jm, int r, int a) {
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++)
      if (jm->region[task_index(jm, v, s)] != r && jm->exec[v][s].attempt == a) return true;
  return false;
}

/* Once a restarting region's subtasks all ended: drop their partitions and restart it when its
 * backoff is over (counted from the failure, as a full restart's). Partitions are registered per
 * attempt ("<job>-<attempt>"), and regions deployed together share one: that attempt is released
 * only when the last region running as it restarts (or with the job), since releasing it would
 * also take the partitions and placements of other regions still running or still deploying as
 * it (a late request of theirs would find nothing). */
void jm_region_check_done(job_master *jm, int r) {
  if (!jm->region_restarting[r] || !region_terminal(jm, r)) return;
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++)
      if (jm->region[task_index(jm, v, s)] == r) {
        int a = jm->exec[v][s].attempt; /* the region's attempt */
        if (!attempt_used_elsewhere(jm, r, a)) jm_release_attempt(jm, a);
        v = jm->jg->nvertices;
        break;
      }
  sp_writer w;
  sp_writer_init(&w);
  sp_put_i32(&w, r);
  sp_put_i32(&w, ++jm->region_token[r]);
  int64_t left = jm->region_restart_at[r] - clock_deadline_ms(jm);
  rpc_send_after(jm->rpc, jm->name, MSG_RESTART_REGION, &w, left > 0 ? left : 0);
}

/* A subtask failed: with region failover and the restart strategy's consent only its region
 * restarts and the job keeps RUNNING; otherwise the whole job fails over (jm_fail_job). */
void jm_fail_task(job_master *jm, int v, int s, const char *why) {
  int r = jm->region ? jm->region[task_index(jm, v, s)] : -1;
  if (!jm->region_mode || jm->nregions < 2 || r < 0 || jm->status != JOB_RUNNING ||
      jm->final_commits || jm->slots_lost) {
    jm_fail_job(jm, why);
    return;
  }
  if (jm->region_restarting[r]) return; /* one failover per region at a time */
  int64_t delay = 0;
  if (!jm->restart || !restart_strategy_on_failure(jm->restart, clock_now(jm), &delay)) {
    jm_fail_job(jm, why);
    return;
  }
  int size = 0;
  for (int t = 0; t < jm->ntasks; t++) size += jm->region[t] == r;
  SP_INFO("jobmaster",
          "Job %s (%s): %s. Restarting pipelined region %d (%d of %d subtasks) in %lld ms (%s); "
          "the other regions keep running.",
          jm->jg->job_name, jm->jg->job_id, why, r, size, jm->ntasks, (long long)delay,
          restart_strategy_describe(jm->restart));
  ckpt_coord_abort_pending(jm->coord, why);
  jm->region_restarting[r] = true;
  jm->regions_restarting++;
  jm->region_restart_at[r] = clock_deadline_ms(jm) + delay;
  jm->restarts++;
  for (int pv = 0; pv < jm->jg->nvertices; pv++)
    for (int ps = 0; ps < jm->jg->vertices[pv].parallelism; ps++)
      if (jm->region[task_index(jm, pv, ps)] == r) jm_cancel_execution(jm, pv, ps);
  jm_region_check_done(jm, r);
}

/* The region's backoff is over: its subtasks are deployed again as a new attempt, restoring the
 * latest completed checkpoint. */
void jm_on_restart_region(job_master *jm, int32_t r, int32_t token) {
  if (r < 0 || r >= jm->nregions || !jm->region_restarting[r] || token != jm->region_token[r] ||
      jm->status != JOB_RUNNING)
    return;
  jm->region_restarting[r] = false;
  jm->regions_restarting--;
  jm->attempt++;
  job_metrics_restarted(jm->metrics, false);
  ckpt_coord_new_attempt(jm->coord);
  for (int v = 0; v < jm->jg->nvertices; v++)
    for (int s = 0; s < jm->jg->vertices[v].parallelism; s++) {
      if (jm->region[task_index(jm, v, s)] != r) continue;
      execution *e = &jm->exec[v][s];
      sp_free(e->report);
      *e = (execution){.state = TS_CREATED, .attempt = jm->attempt};
      cv_task_state(jm->view, jm->jg->job_id, v, s, TS_CREATED, sp_wall_ms());
      jm->remaining++;
    }
  int ncompleted;
  const ckpt_completed *completed = ckpt_coord_completed(jm->coord, &ncompleted);
  char err[SP_ERRMSG_MAX];
  if (ckpt_restore_choose(jm->jg, completed, ncompleted, jm->restore_uri, jm->restore_from,
                          &jm->bad_restores, jm->restore_dir, sizeof jm->restore_dir, err,
                          sizeof err) < 0) {
    jm_fail_job(jm, err);
    return;
  }
  jm_deploy_region(jm, r);
}
