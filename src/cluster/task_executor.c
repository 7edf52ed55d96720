/*
 * task_executor.c: runs subtasks in slots. A job's graph is decoded and its artifact loaded once
 * per TaskExecutor and shared by the job's tasks; both are released when its last task exits.
 *
 * Task threads report state switches through the listener, which only sends messages: to the
 * JobMaster, and (at the end) a TASK_EXITED to this TaskExecutor, whose thread then joins the
 * task. So every piece of TaskExecutor state is touched by its own thread only.
 *
 * Heartbeats (standalone cluster; cluster/heartbeat_monitor.h): the TaskExecutor answers the
 * ResourceManager's and each JobMaster's heartbeat requests, and monitors the ResourceManager
 * and every JobMaster it runs tasks for. A JobMaster silent for heartbeat.timeout (or
 * unreachable by heartbeat.rpc-failure-threshold) loses its tasks here: they are cancelled and
 * their partitions dropped, while the tasks of other jobs run on. Losing the ResourceManager, or
 * the connection to the JobManager's process, loses every task and makes it register again.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "checkpoint/storage.h"
#include "cluster/components.h"
#include "cluster/heartbeat_monitor.h"
#include "cluster/messages.h"
#include "cluster/metric_query.h"
#include "cluster/task_metric_groups.h"
#include "cluster/taskmanager_info.h"
#include "connectors/registry.h"
#include "net/blob.h"
#include "operators/registry.h"

/* A checkpoint or savepoint loaded for restoring tasks; shared by the tasks of one attempt and
 * freed (from whichever task thread releases it last) once they have all restored. */
typedef struct te_restore {
  _Atomic int refs;
  ckpt_loaded *loaded;
  int attempt;
  char path[4096];
} te_restore;

typedef struct te_job {
  struct te_job *next;
  job_graph *jg;
  void *dl;
  int tasks; /* live tasks of this job */
  bool unaligned, checkpointing;
  int64_t aligned_timeout_ms;
  te_restore *restore; /* the latest loaded, until a new attempt asks for another */
} te_job;

/* The restore views of one task; released by the task once it has restored. */
typedef struct te_task_restore {
  te_restore *shared;
  int n;
  snap_restore *views;
  const snap_restore **ptrs;
} te_task_restore;

typedef struct te_task {
  struct te_task *next;
  task_executor *te;
  te_job *job;
  task *t;
  char *jm; /* the JobMaster's address */
  int vertex, subtask, attempt;
  task_metric_groups *metrics; /* removed before the task is freed */
} te_task;

/* A snapshot waiting for the writer thread (the asynchronous part of a checkpoint). */
typedef struct te_write {
  struct te_write *next;
  char *jm;
  int vertex, subtask, attempt;
  task_snapshot_done d;
  char dir[4096];
  task *t;
  task_snapshot *snap;
} te_write;

struct task_executor {
  rpc_service *rpc;
  rpc_endpoint *ep;
  shuffle_env *shuffle;
  task_config cfg;
  char name[48]; /* the endpoint's name: "taskexecutor-<index>" */
  char *address; /* as other processes reach it */
  int slots;
  metric_group *metrics; /* the TaskManager's metric group (te_options), or NULL */
  /* the standalone cluster (te_options) */
  char *rm_address, *data_address, *blob_dir;
  int64_t hb_interval_ms;
  bool registered;
  int64_t registration; /* which registration this is: one more after each loss */
  hb_monitor rm_hb;     /* the ResourceManager (te->rm_address), while registered */
  hb_monitor jm_hb;     /* the JobMasters this TaskExecutor runs tasks for */
  te_job *jobs;
  te_task *tasks;
  /* the writer thread: guarded by wmu, in order of arrival */
  pthread_t writer;
  bool writer_started;
  pthread_mutex_t wmu;
  pthread_cond_t wcond;
  te_write *whead, *wtail;
  bool wstop;
};

/* The cluster clock's deadline time: heartbeats time out on it. */
static int64_t clock_ns(const task_executor *te) {
  return sp_clock_mono_ns(rpc_service_clock(te->rpc));
}

static void restore_unref(te_restore *r) {
  if (!r || atomic_fetch_sub(&r->refs, 1) != 1) return;
  ckpt_loaded_free(r->loaded);
  sp_free(r);
}

static void task_restore_release(void *arg) {
  te_task_restore *tr = arg;
  for (int i = 0; i < tr->n; i++) snap_restore_free(&tr->views[i]);
  sp_free(tr->views);
  sp_free(tr->ptrs);
  restore_unref(tr->shared);
  sp_free(tr);
}

static int stream_put(void *arg, sp_writer *buf) { return ckpt_stream_put(arg, buf); }
static int stream_patch(void *arg, uint64_t off, const void *p, size_t n) {
  return ckpt_stream_patch(arg, off, p, n);
}

/* Writes snapshots and acknowledges them to the JobMaster (Flink's AsyncCheckpointRunnable). */
static void *writer_main(void *arg) {
  task_executor *te = arg;
  for (;;) {
    pthread_mutex_lock(&te->wmu);
    while (!te->whead && !te->wstop) pthread_cond_wait(&te->wcond, &te->wmu);
    te_write *w = te->whead;
    if (w) {
      te->whead = w->next;
      if (!te->whead) te->wtail = NULL;
    }
    pthread_mutex_unlock(&te->wmu);
    if (!w) return NULL; /* stopping and drained */
    int64_t start = sp_mono_ns();
    char name[64] = "", err[SP_ERRMSG_MAX] = "";
    uint64_t checksum = 0, len = 0;
    snprintf(name, sizeof name, "%d-%d.state", w->vertex, w->subtask);
    /* encoded straight into the file, a few MiB at a time (a snapshot is never held twice);
     * the stream's thread writes each piece while the next is encoded */
    ckpt_stream *cs = NULL;
    /* the JobMaster made the directory; if it is gone the checkpoint was aborted meanwhile,
     * and the write fails instead of leaving an orphan directory behind */
    int rc = ckpt_stream_open(w->dir, name, CKPT_STATE_MAGIC, &cs, err, sizeof err);
    snap_out o = {.flush_at = (size_t)8 << 20, .put = stream_put, .patch = stream_patch, .arg = cs};
    sp_writer_init(&o.buf);
    if (rc == 0) {
      rc = task_snapshot_encode(w->snap, &o);
      if (rc == 0 && o.buf.len) rc = ckpt_stream_write(cs, o.buf.data, o.buf.len);
      if (rc < 0)
        rc = sp_err(err, sizeof err, rc, "could not write the snapshot to %s/%s: %s", w->dir, name,
                    spate_strerror(rc));
    }
    sp_writer_free(&o.buf);
    int64_t encoded = sp_mono_ns();
    if (rc == 0) {
      rc = ckpt_stream_finish(cs, &len, &checksum, err, sizeof err);
    } else if (cs) {
      ckpt_stream_abort(cs);
    }
    SP_DEBUG("taskexecutor",
             "checkpoint %lld of %s: %llu bytes encoded and written in %lld ms, "
             "checksummed and synced in %lld ms",
             (long long)w->d.id, name, (unsigned long long)len,
             (long long)((encoded - start) / 1000000),
             (long long)((sp_mono_ns() - encoded) / 1000000));
    sp_writer m;
    sp_writer_init(&m);
    sp_put_i32(&m, w->attempt);
    sp_put_i32(&m, w->vertex);
    sp_put_i32(&m, w->subtask);
    sp_put_i64(&m, w->d.id);
    if (rc < 0) {
      sp_put_str(&m, err);
      rpc_send(te->rpc, w->jm, MSG_DECLINE_CHECKPOINT, &m);
    } else {
      sp_put_str(&m, name);
      sp_put_u64(&m, len);
      sp_put_u64(&m, checksum);
      sp_put_i64(&m, w->d.sync_ms);
      sp_put_i64(&m, (sp_mono_ns() - start) / 1000000);
      sp_put_i64(&m, w->d.alignment_ms);
      sp_put_i64(&m, w->d.first_barrier_ms);
      sp_put_u8(&m, w->d.unaligned);
      rpc_send(te->rpc, w->jm, MSG_ACK_CHECKPOINT, &m);
    }
    /* only now: the task cannot report FINISHED before its acknowledgement is on its way (the
     * JobMaster aborts checkpoints a finished task did not acknowledge) */
    task_snapshot_return(w->t, w->snap);
    sp_free(w->jm);
    sp_free(w);
  }
}

/* On a task thread: queue the snapshot for the writer. */
static void on_snapshot(void *arg, task *t, const task_snapshot_done *d, task_snapshot *snap) {
  te_task *tt = arg;
  task_executor *te = tt->te;
  te_write *w = sp_calloc(1, sizeof *w);
  if (!w) {
    task_snapshot_return(t, snap);
    return; /* the checkpoint expires at the coordinator */
  }
  if (!(w->jm = sp_strdup(tt->jm))) {
    sp_free(w);
    task_snapshot_return(t, snap);
    return;
  }
  w->vertex = tt->vertex;
  w->subtask = tt->subtask;
  w->attempt = tt->attempt;
  w->d = *d;
  snprintf(w->dir, sizeof w->dir, "%s", d->dir ? d->dir : "");
  w->d.dir = NULL;
  w->t = t;
  w->snap = snap;
  pthread_mutex_lock(&te->wmu);
  if (te->wtail)
    te->wtail->next = w;
  else
    te->whead = w;
  te->wtail = w;
  pthread_cond_signal(&te->wcond);
  pthread_mutex_unlock(&te->wmu);
}

static void send_state(rpc_service *rpc, const char *jm, int vertex, int subtask, int attempt,
                       task_state st, const char *error, const task *t) {
  sp_writer w, rep;
  sp_writer_init(&w);
  sp_writer_init(&rep);
  if (t && task_state_terminal(st)) task_report(t, &rep);
  sp_put_i32(&w, vertex);
  sp_put_i32(&w, subtask);
  sp_put_i32(&w, attempt);
  sp_put_u8(&w, (uint8_t)st);
  sp_put_str(&w, error ? error : "");
  sp_put_blob(&w, rep.data, rep.len);
  sp_writer_free(&rep);
  rpc_send(rpc, jm, MSG_TASK_STATE, &w);
}

static void listener(void *arg, task *t, task_state from, task_state to) {
  te_task *tt = arg;
  send_state(tt->te->rpc, tt->jm, tt->vertex, tt->subtask, tt->attempt, to,
             to == TS_FAILED ? task_error(t) : NULL, t);
  if (task_state_terminal(to)) {
    sp_writer w;
    sp_writer_init(&w);
    sp_put_u64(&w, (uint64_t)(uintptr_t)tt);
    rpc_send(tt->te->rpc, tt->te->name, MSG_TASK_EXITED, &w);
  }
}

static void release_job(task_executor *te, te_job *job) {
  if (--job->tasks > 0) return;
  for (te_job **pp = &te->jobs; *pp; pp = &(*pp)->next)
    if (*pp == job) {
      *pp = job->next;
      break;
    }
  if (job->dl) dlclose(job->dl);
  restore_unref(job->restore);
  jobgraph_free(job->jg);
  sp_free(job);
}

/* Verifies the state files whose sections subtask `subtask` of node n reads (snap_section_needed:
 * the old subtasks whose key groups overlap its new range, and those with operator state). */
static int verify_needed(ckpt_loaded *l, const ckpt_loaded_op *op, const sg_node *n, int subtask,
                         char *err, size_t err_len) {
  ks_key_group_range range = ks_key_group_range_for(n->max_parallelism, n->parallelism, subtask);
  for (int k = 0; k < op->parallelism; k++) {
    if (op->files[k] < 0 || !snap_section_needed(&op->sections[k], range)) continue;
    int rc = ckpt_loaded_verify(l, op->files[k], err, err_len);
    if (rc) return rc;
  }
  return 0;
}

/* Loads the checkpoint's metadata and maps its state files (once per attempt and path, lazily:
 * CKPT_LOAD_LAZY), verifies the files this subtask reads, and builds the state of each operator
 * of the task's chain: key groups of its new range, its share of list state, and the channel
 * state when the parallelism is unchanged. So each subtask reads and checks only the state it
 * owns (at an unchanged parallelism its own file), on the TaskManager that runs it. */
static int prepare_restore(te_job *job, const char *path, int attempt, int vertex, int subtask,
                           task_options *opts, te_task_restore **out, char *err, size_t err_len) {
  *out = NULL;
  if (!job->restore || job->restore->attempt != attempt || strcmp(job->restore->path, path) != 0) {
    te_restore *r = sp_calloc(1, sizeof *r);
    if (!r) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
    int rc = ckpt_load(path, CKPT_LOAD_LAZY, &r->loaded, err, err_len);
    if (rc < 0) {
      sp_free(r);
      return rc;
    }
    atomic_store(&r->refs, 1); /* the job's own reference */
    r->attempt = attempt;
    snprintf(r->path, sizeof r->path, "%s", path);
    restore_unref(job->restore);
    job->restore = r;
  }
  const job_graph *jg = job->jg;
  const jg_vertex *v = &jg->vertices[vertex];
  te_task_restore *tr = sp_calloc(1, sizeof *tr);
  if (!tr) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  tr->views = sp_calloc((size_t)v->nnodes, sizeof *tr->views);
  tr->ptrs = sp_calloc((size_t)v->nnodes, sizeof *tr->ptrs);
  tr->shared = job->restore;
  atomic_fetch_add(&tr->shared->refs, 1);
  if (!tr->views || !tr->ptrs) {
    task_restore_release(tr);
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  ckpt_loaded *l = job->restore->loaded;
  for (int i = 0; i < v->nnodes; i++) {
    const sg_node *n = &jg->nodes[v->nodes[i]];
    const ckpt_loaded_op *op = ckpt_loaded_find(l, n->uid);
    if (!op) continue;
    int rc = verify_needed(l, op, n, subtask, err, err_len);
    if (rc < 0) {
      task_restore_release(tr);
      return rc;
    }
    rc = snap_assign(op->sections, op->parallelism, n->max_parallelism, n->parallelism, subtask,
                     &tr->views[i], err, err_len);
    tr->n = i + 1;
    if (rc < 0) {
      char inner[SP_ERRMSG_MAX];
      snprintf(inner, sizeof inner, "%s", err);
      task_restore_release(tr);
      return sp_err(err, err_len, rc, "cannot restore operator '%s' (uid %s) from %s: %s", n->name,
                    n->uid, l->dir, inner);
    }
    tr->ptrs[i] = &tr->views[i];
  }
  const char *head_uid = jg->nodes[v->head].uid;
  /* Subtasks that had finished (FLIP-147) hold no state. A task whose subtasks had all finished
   * stays finished at any parallelism; at the same parallelism a subtask that had finished stays
   * finished; at another one a partly finished task runs again, its state (what the unfinished
   * subtasks held: pending splits, reader positions, key groups) shared out as usual. */
  char *chain = l->meta.nfinished ? jobgraph_chain_uids(jg, vertex) : NULL;
  int nfin = 0, old_parallelism = 0;
  bool this_one = false;
  for (int f = 0; chain && f < l->meta.nfinished; f++) { /* the JobMaster checked the chaining */
    const ckpt_finished *fin = &l->meta.finished[f];
    if (strcmp(fin->head_uid, chain) != 0) continue;
    nfin++;
    old_parallelism = fin->parallelism;
    if (fin->subtask == subtask) this_one = true;
  }
  if (nfin && nfin == old_parallelism)
    opts->finished = true;
  else if (nfin && old_parallelism == v->parallelism && this_one)
    opts->finished = true;
  sp_free(chain);
  for (int c = 0; c < l->nchannels; c++) {
    const ckpt_loaded_channel *ch = &l->channels[c];
    if (strcmp(ch->head_uid, head_uid) != 0 || ch->subtask != subtask) continue;
    if (ch->parallelism != v->parallelism) {
      task_restore_release(tr);
      return sp_err(err, err_len, SPATE_ESTATE,
                    "%s holds in-flight data of an unaligned checkpoint for '%s' at parallelism "
                    "%d; it can only be restored at that parallelism (take a savepoint to "
                    "rescale)",
                    l->dir, v->name, ch->parallelism);
    }
    int rc = ckpt_loaded_verify(l, ch->file, err, err_len);
    if (rc < 0) {
      task_restore_release(tr);
      return rc;
    }
    opts->channel_state = ch->state;
  }
  opts->restore_ops = tr->ptrs;
  opts->release = task_restore_release;
  opts->release_arg = tr;
  *out = tr;
  return 0;
}

/* The job's artifact on this TaskManager: <blob dir>/job_<id>/blob_<key>.so, fetched from the
 * BlobServer the first time (blob_fetch checks its hash) and kept for later attempts. *out
 * (freed by the caller) gets the path. */
static int te_fetch_artifact(task_executor *te, const char *job_id, const char *server,
                             const char *key, char **out, char *err, size_t err_len) {
  if (!te->blob_dir)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "TaskManager %s cannot fetch job artifacts: it has no blob directory",
                  te->address);
  size_t cap = strlen(te->blob_dir) + strlen(job_id) + strlen(key) + 32;
  char *dir = sp_malloc(cap), *path = sp_malloc(cap);
  int rc = dir && path ? 0 : sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  if (rc == 0) {
    snprintf(dir, cap, "%s/job_%s", te->blob_dir, job_id);
    snprintf(path, cap, "%s/blob_%s.so", dir, key);
    if (access(path, R_OK) != 0) {
      char why[SP_ERRMSG_MAX];
      rc = ckpt_mkdirs(dir, why, sizeof why);
      if (rc == 0) rc = blob_fetch(server, key, path, 10000, why, sizeof why);
      if (rc < 0)
        sp_err(err, err_len, rc, "TaskManager %s cannot load the job's artifact: %s", te->address,
               why);
      else
        SP_INFO("taskexecutor", "%s: fetched the job's artifact %s from %s.", te->address, key,
                server);
    }
  }
  sp_free(dir);
  if (rc < 0) {
    sp_free(path);
    return rc;
  }
  *out = path;
  return 0;
}

static void submit_task(task_executor *te, sp_reader *r) {
  char *jm = sp_get_str(r);
  uint32_t len;
  const void *bytes = sp_get_blob(r, &len);
  int32_t vertex = sp_get_i32(r), subtask = sp_get_i32(r), attempt = sp_get_i32(r);
  sp_get_i32(r); /* slot: one task per vertex per slot; nothing to enforce in one process */
  char *restore_path = sp_get_str(r);
  char *blob_key = sp_get_str(r), *blob_addr = sp_get_str(r);
  uint32_t nplaces = sp_get_u32(r);
  /* a data address takes 4 bytes at least */
  if (sp_reader_ok(r) && nplaces > (r->len - r->pos) / 4)
    sp_reader_fail(r, "more task locations than the message holds");
  char **places = sp_reader_ok(r) ? sp_calloc((size_t)nplaces + 1, sizeof *places) : NULL;
  for (uint32_t k = 0; places && k < nplaces && sp_reader_ok(r); k++) places[k] = sp_get_str(r);
  if (!sp_reader_ok(r) || !jm || !blob_key || !blob_addr || !places) {
    SP_ERROR("taskexecutor", "%s: malformed task submission: %s", te->address,
             r->error[0] ? r->error : "out of memory");
    for (uint32_t k = 0; places && k < nplaces; k++) sp_free(places[k]);
    sp_free(places);
    sp_free(jm);
    sp_free(restore_path);
    sp_free(blob_key);
    sp_free(blob_addr);
    return;
  }
  char err[SP_ERRMSG_MAX] = "";
  job_graph *jg = NULL;
  int rc = jobgraph_decode(bytes, len, &jg, err, sizeof err);
  te_job *job = NULL;
  if (rc == 0) {
    for (job = te->jobs; job && strcmp(job->jg->job_id, jg->job_id) != 0; job = job->next) {
    }
    if (job) {
      jobgraph_free(jg);
    } else if (!(job = sp_calloc(1, sizeof *job))) {
      jobgraph_free(jg);
      rc = sp_err(err, sizeof err, SPATE_ENOMEM, "out of memory");
    } else {
      job->jg = jg;
      char *local = NULL; /* the artifact fetched from the BlobServer */
      if (blob_key[0] && (rc = te_fetch_artifact(te, jg->job_id, blob_addr, blob_key, &local, err,
                                                 sizeof err)) == 0)
        job->dl = dlopen(local, RTLD_NOW);
      else if (!blob_key[0])
        job->dl = dlopen(jg->artifact, RTLD_NOW);
      if (!job->dl) {
        if (rc == 0)
          rc = sp_err(err, sizeof err, SPATE_ENOENT,
                      "cannot load job artifact '%s' on TaskManager %s: %s",
                      local          ? local
                      : jg->artifact ? jg->artifact
                                     : "(program)",
                      te->address, dlerror());
        sp_free(local);
        jobgraph_free(jg);
        sp_free(job);
        job = NULL;
      } else {
        sp_free(local);
        job->next = te->jobs;
        te->jobs = job;
        sp_config *cfg = NULL;
        char cerr[SP_ERRMSG_MAX];
        if (jobgraph_config(jg, &cfg, cerr, sizeof cerr) == 0) {
          job->unaligned = sp_config_bool(cfg, "execution.checkpointing.unaligned.enabled");
          job->checkpointing = sp_config_is_set(cfg, "execution.checkpointing.interval") &&
                               sp_config_duration_ms(cfg, "execution.checkpointing.interval") > 0;
          job->aligned_timeout_ms =
              sp_config_duration_ms(cfg, "execution.checkpointing.aligned-checkpoint-timeout");
          sp_config_free(cfg);
        }
      }
    }
  }
  task_options opts = {0};
  te_task_restore *tr = NULL;
  if (rc == 0) {
    opts.unaligned = job->unaligned;
    opts.checkpointing = job->checkpointing;
    opts.aligned_timeout_ms = job->aligned_timeout_ms;
    if (restore_path && restore_path[0])
      rc =
          prepare_restore(job, restore_path, attempt, vertex, subtask, &opts, &tr, err, sizeof err);
    if (rc == SPATE_ECORRUPT) { /* the JobMaster picks another checkpoint for the next attempt */
      sp_writer w;
      sp_writer_init(&w);
      sp_put_str(&w, restore_path);
      sp_put_str(&w, err);
      rpc_send(te->rpc, jm, MSG_RESTORE_CORRUPT, &w);
    }
  }
  if (rc == 0 && (vertex < 0 || vertex >= job->jg->nvertices || subtask < 0 ||
                  subtask >= job->jg->vertices[vertex].parallelism))
    rc = sp_err(err, sizeof err, SPATE_EINVAL, "task %d/%d does not exist in the job", vertex,
                subtask);
  te_task *tt = NULL;
  if (rc == 0 && !(tt = sp_calloc(1, sizeof *tt)))
    rc = sp_err(err, sizeof err, SPATE_ENOMEM, "out of memory");
  if (rc == 0) {
    tt->te = te;
    tt->job = job;
    tt->vertex = vertex;
    tt->subtask = subtask;
    tt->attempt = attempt;
    tt->jm = jm;
    jm = NULL;
    job->tasks++;
    if (hb_monitor_enabled(&te->jm_hb)) /* from now on it must be heard from */
      hb_monitor_add(&te->jm_hb, tt->jm, clock_ns(te));
    /* where the other subtasks run (their TaskManagers' data servers), for exchanges between
     * TaskManagers; a MiniCluster's are all "" and need none */
    bool remote = false;
    for (uint32_t k = 0; k < nplaces && !remote; k++) remote = places[k][0] != 0;
    if (remote) {
      char key[64];
      snprintf(key, sizeof key, "%s-%d", job->jg->job_id, attempt);
      rc = shuffle_env_set_placement(te->shuffle, key, (const char *const *)places, (int)nplaces);
    }
    /* the job's network settings travel with its graph (a TaskManager serves many jobs) */
    task_config tc = te->cfg;
    tc.buffer_size = job->jg->buffer_size;
    tc.buffer_timeout_ms = job->jg->buffer_timeout_ms;
    if (rc == 0)
      rc = task_start(job->jg, vertex, subtask, attempt, te->shuffle, job->dl, &tc, &opts, listener,
                      tt, &tt->t);
    if (rc == 0) tr = NULL; /* the task releases it */
    if (rc < 0) {
      sp_err(err, sizeof err, rc, "could not start task: %s", spate_strerror(rc));
      release_job(te, job);
      jm = tt->jm;
      sp_free(tt);
    } else {
      tt->metrics = task_metric_groups_add(te->metrics, job->jg, vertex, subtask, attempt, tt->t);
      tt->next = te->tasks;
      te->tasks = tt;
    }
  }
  if (tr) task_restore_release(tr);
  if (rc < 0) {
    SP_ERROR("taskexecutor", "%s: %s", te->address, err);
    send_state(te->rpc, jm, vertex, subtask, attempt, TS_FAILED, err, NULL);
  }
  sp_free(jm);
  sp_free(restore_path);
  sp_free(blob_key);
  sp_free(blob_addr);
  for (uint32_t k = 0; k < nplaces; k++) sp_free(places[k]);
  sp_free(places);
}

/* ---- the standalone cluster: registration, heartbeats, losing the JobManager ------------------ */

static void send_registration(task_executor *te) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, te->address);
  sp_put_i32(&w, te->slots);
  sp_put_str(&w, te->data_address ? te->data_address : "");
  sp_put_i64(&w, te->registration);
  rpc_send(te->rpc, te->rm_address, MSG_REGISTER_TASK_EXECUTOR, &w);
}

static void schedule_tick(task_executor *te) {
  /* unregistered: retry within half a second, as a TaskManager started before its JobManager
   * should not wait a whole heartbeat interval */
  int64_t delay = te->registered || te->hb_interval_ms < 500 ? te->hb_interval_ms : 500;
  sp_writer w;
  sp_writer_init(&w);
  rpc_send_after(te->rpc, te->name, MSG_TE_TICK, &w, delay);
}

/* The JobManager is gone (or we are gone to it): every task is cancelled, its partitions
 * dropped, and the TaskExecutor registers again until a JobManager takes it. */
static void jm_lost(task_executor *te, const char *why) {
  if (!te->registered) return;
  te->registered = false;
  te->registration++; /* retries sent while cut off may still arrive: this one is new */
  hb_monitor_free(&te->rm_hb);
  hb_monitor_free(&te->jm_hb); /* its JobMasters are gone with it */
  SP_WARN("taskexecutor",
          "%s: lost the JobManager at %s (%s): cancelling %s tasks and registering again.",
          te->address, te->rm_address, why, te->tasks ? "its" : "no");
  for (te_task *tt = te->tasks; tt; tt = tt->next) {
    task_cancel(tt->t);
    char key[64];
    snprintf(key, sizeof key, "%s-%d", tt->job->jg->job_id, tt->attempt);
    shuffle_env_release_job(te->shuffle, key);
  }
}

/* The heartbeat monitor lost the ResourceManager (timed out, or unreachable). */
static void rm_hb_lost(void *ctx, const char *target, const char *reason) {
  (void)target;
  task_executor *te = ctx;
  jm_lost(te, reason);
  send_registration(te);
}

/* The heartbeat monitor lost a JobMaster: the tasks it deployed here are cancelled and their
 * partitions dropped (Flink's TaskExecutor disconnects the JobManager and fails its tasks). */
static void jm_hb_lost(void *ctx, const char *target, const char *reason) {
  task_executor *te = ctx;
  int n = 0;
  for (te_task *tt = te->tasks; tt; tt = tt->next) n += strcmp(tt->jm, target) == 0;
  SP_WARN("taskexecutor", "%s: %s Cancelling its %d task%s.", te->address, reason, n,
          n == 1 ? "" : "s");
  for (te_task *tt = te->tasks; tt; tt = tt->next) {
    if (strcmp(tt->jm, target) != 0) continue;
    task_cancel(tt->t);
    char key[64];
    snprintf(key, sizeof key, "%s-%d", tt->job->jg->job_id, tt->attempt);
    shuffle_env_release_job(te->shuffle, key);
  }
}

static void on_tick(task_executor *te) {
  if (!te->registered) {
    send_registration(te);
  } else {
    hb_monitor_expire(&te->rm_hb, clock_ns(te), rm_hb_lost, te);
    hb_monitor_expire(&te->jm_hb, clock_ns(te), jm_hb_lost, te);
  }
  schedule_tick(te);
}

/* Answers a heartbeat request (tracked: an answer that cannot be delivered is a failed RPC). */
static void answer_heartbeat(task_executor *te, const char *to, uint32_t type) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, te->address);
  int rc = rpc_send_tracked(te->rpc, te->name, to, type, &w);
  if (rc < 0 && type == MSG_HEARTBEAT_REPLY)
    hb_monitor_rpc_failed(&te->rm_hb, te->rm_address, spate_strerror(rc), rm_hb_lost, te);
  else if (rc < 0)
    hb_monitor_rpc_failed(&te->jm_hb, to, spate_strerror(rc), jm_hb_lost, te);
}

/* Answers the JobManager's question about this process (REST /taskmanagers/:id...), naming the
 * jobs whose tasks run here. */
static void answer_info(task_executor *te, sp_reader *r) {
  const char *jobs[64];
  size_t n = 0;
  for (te_task *tt = te->tasks; tt && n < 64; tt = tt->next) {
    bool seen = false;
    for (size_t i = 0; i < n && !seen; i++) seen = strcmp(jobs[i], tt->job->jg->job_id) == 0;
    if (!seen) jobs[n++] = tt->job->jg->job_id;
  }
  tm_info_answer(te->rpc, r, jobs, n);
}

static void handle(void *self, uint32_t type, sp_reader *r) {
  task_executor *te = self;
  switch (type) {
  case MSG_SUBMIT_TASK: submit_task(te, r); break;
  case MSG_CANCEL_TASK: {
    char *job = sp_get_str(r);
    int32_t vertex = sp_get_i32(r), subtask = sp_get_i32(r), attempt = sp_get_i32(r);
    for (te_task *tt = te->tasks; job && sp_reader_ok(r) && tt; tt = tt->next)
      if (tt->vertex == vertex && tt->subtask == subtask && tt->attempt == attempt &&
          strcmp(tt->job->jg->job_id, job) == 0)
        task_cancel(tt->t);
    sp_free(job);
    break;
  }
  case MSG_TRIGGER_CHECKPOINT: {
    char *job = sp_get_str(r);
    int32_t attempt = sp_get_i32(r), vertex = sp_get_i32(r), subtask = sp_get_i32(r);
    el_barrier b = {0};
    b.id = sp_get_i64(r);
    b.timestamp = sp_get_i64(r);
    b.flags = sp_get_u32(r);
    b.aligned_timeout_ms = sp_get_i64(r);
    char *dir = sp_get_str(r);
    for (te_task *tt = te->tasks; job && sp_reader_ok(r) && tt; tt = tt->next)
      if (tt->vertex == vertex && tt->subtask == subtask && tt->attempt == attempt &&
          strcmp(tt->job->jg->job_id, job) == 0)
        task_trigger_checkpoint(tt->t, &b, dir); /* a task that has ended declines by silence */
    sp_free(job);
    sp_free(dir);
    break;
  }
  case MSG_NOTIFY_CHECKPOINT: {
    char *job = sp_get_str(r);
    int32_t attempt = sp_get_i32(r);
    int64_t id = sp_get_i64(r);
    uint8_t complete = sp_get_u8(r);
    /* attempt -1: every task of the job (its regions may run different attempts) */
    for (te_task *tt = te->tasks; job && sp_reader_ok(r) && tt; tt = tt->next)
      if ((attempt < 0 || tt->attempt == attempt) && strcmp(tt->job->jg->job_id, job) == 0)
        task_notify_checkpoint(tt->t, id, complete != 0);
    sp_free(job);
    break;
  }
  case MSG_TASK_EXITED: {
    te_task *target = (te_task *)(uintptr_t)sp_get_u64(r);
    for (te_task **pp = &te->tasks; *pp; pp = &(*pp)->next)
      if (*pp == target) { /* only pointers this TaskExecutor handed out are accepted */
        *pp = target->next;
        task_metric_groups_remove(target->metrics);
        task_join_free(target->t);
        release_job(te, target->job);
        bool more = false; /* tasks of its JobMaster still here: it stays monitored */
        for (te_task *tt = te->tasks; tt && !more; tt = tt->next)
          more = !strcmp(tt->jm, target->jm);
        if (!more) hb_monitor_remove(&te->jm_hb, target->jm);
        sp_free(target->jm);
        sp_free(target);
        break;
      }
    break;
  }
  case MSG_REGISTERED: {
    char *rm = sp_get_str(r);
    int64_t registration = sp_get_i64(r);
    sp_free(rm);
    if (!sp_reader_ok(r) || registration != te->registration)
      break; /* the answer to a registration from before a loss */
    if (!te->registered)
      SP_INFO("taskexecutor", "%s: registered at the ResourceManager %s.", te->address,
              te->rm_address);
    te->registered = true;
    if (!hb_monitor_heard(&te->rm_hb, te->rm_address, clock_ns(te)) &&
        hb_monitor_enabled(&te->rm_hb))
      hb_monitor_add(&te->rm_hb, te->rm_address, clock_ns(te));
    break;
  }
  case MSG_HEARTBEAT: { /* from the ResourceManager */
    char *reply = sp_get_str(r);
    if (reply && te->registered) {
      hb_monitor_heard(&te->rm_hb, te->rm_address, clock_ns(te));
      answer_heartbeat(te, reply, MSG_HEARTBEAT_REPLY);
    }
    sp_free(reply);
    break;
  }
  case MSG_JM_HEARTBEAT: { /* from a JobMaster; answered even if none of its tasks run here */
    char *jm = sp_get_str(r), *job = sp_get_str(r);
    if (jm && job && sp_reader_ok(r)) {
      hb_monitor_heard(&te->jm_hb, jm, clock_ns(te));
      answer_heartbeat(te, jm, MSG_JM_HEARTBEAT_REPLY);
    }
    sp_free(jm);
    sp_free(job);
    break;
  }
  case MSG_UNDELIVERED: { /* a heartbeat answer that could not be sent: a failed RPC */
    hb_undelivered u;
    if (!hb_undelivered_read(r, &u)) break;
    if (u.type == MSG_HEARTBEAT_REPLY)
      hb_monitor_rpc_failed(&te->rm_hb, te->rm_address, u.reason, rm_hb_lost, te);
    else if (u.type == MSG_JM_HEARTBEAT_REPLY)
      hb_monitor_rpc_failed(&te->jm_hb, u.to, u.reason, jm_hb_lost, te);
    hb_undelivered_free(&u);
    break;
  }
  case MSG_TE_TICK: /* without heartbeats a stray tick starts no rounds (0 ms apart) */
    if (te->hb_interval_ms > 0) on_tick(te);
    break;
  case MSG_PEER_LOST: {
    char *peer = sp_get_str(r), *reason = sp_get_str(r);
    char jm[300];
    if (peer && reason && rpc_address_process(te->rm_address, jm, sizeof jm) &&
        strcmp(jm, peer) == 0) {
      char why[600];
      snprintf(why, sizeof why, "the connection closed: %s", reason);
      jm_lost(te, why);
    }
    sp_free(peer);
    sp_free(reason);
    break;
  }
  case MSG_TM_INFO_REQUEST: answer_info(te, r); break;
  case MSG_RELEASE_PARTITIONS: {
    char *job = sp_get_str(r);
    if (job) shuffle_env_release_job(te->shuffle, job);
    sp_free(job);
    break;
  }
  case MSG_METRICS_REQUEST: metric_query_answer(te->rpc, te->address, r); break;
  default: SP_WARN("taskexecutor", "ignoring unexpected message %u", type);
  }
}

/* Everything this TaskExecutor can run: transformations and connectors. */
static const op_vtable *vtable_for(op_kind kind) {
  const op_vtable *vt = op_vtable_for(kind);
  return vt ? vt : connector_vtable_for(kind);
}

int te_start(rpc_service *rpc, shuffle_env *shuffle, int index, int slots, const task_config *cfg,
             const te_options *opt, task_executor **out) {
  task_executor *te = sp_calloc(1, sizeof *te);
  if (!te) return SPATE_ENOMEM;
  te->rpc = rpc;
  te->shuffle = shuffle;
  te->cfg = *cfg;
  te->cfg.vtable_for = vtable_for;
  te->cfg.on_snapshot = on_snapshot;
  pthread_mutex_init(&te->wmu, NULL);
  pthread_cond_init(&te->wcond, NULL);
  if (pthread_create(&te->writer, NULL, writer_main, te) != 0) {
    pthread_mutex_destroy(&te->wmu);
    pthread_cond_destroy(&te->wcond);
    sp_free(te);
    return SPATE_ENOMEM;
  }
  te->writer_started = true;
  snprintf(te->name, sizeof te->name, "taskexecutor-%d", index);
  te->slots = slots;
  te->address = rpc_address_of(rpc, te->name);
  te->rm_address = sp_strdup(opt && opt->rm_address ? opt->rm_address : RM_ADDRESS);
  te->data_address = sp_strdup(opt && opt->data_address ? opt->data_address : "");
  te->blob_dir = opt && opt->blob_dir ? sp_strdup(opt->blob_dir) : NULL;
  te->hb_interval_ms = opt ? opt->heartbeat_interval_ms : 0;
  te->metrics = opt ? opt->metrics : NULL;
  hb_settings hs = {.interval_ms = te->hb_interval_ms,
                    .timeout_ms = opt ? opt->heartbeat_timeout_ms : 0,
                    .failure_threshold = opt ? opt->heartbeat_failure_threshold : 0};
  hb_monitor_init(&te->rm_hb, &hs, "ResourceManager");
  hb_monitor_init(&te->jm_hb, &hs, "JobManager");
  int rc =
      te->address && te->rm_address && te->data_address && (!(opt && opt->blob_dir) || te->blob_dir)
          ? rpc_endpoint_start(rpc, te->name, handle, te, &te->ep)
          : SPATE_ENOMEM;
  if (rc < 0) {
    te->ep = NULL;
    te_stop(te);
    return rc;
  }
  if (te->hb_interval_ms > 0) { /* a standalone TaskManager: register until taken */
    rc = rpc_watch_peers(rpc, te->name);
    if (rc == 0) { /* the first tick registers: on the endpoint's thread, as every later one,
                      since the answer may already be handled there when this returns */
      sp_writer w;
      sp_writer_init(&w);
      rc = rpc_send(rpc, te->name, MSG_TE_TICK, &w);
    }
  } else {
    sp_writer w;
    sp_writer_init(&w);
    sp_put_str(&w, te->address);
    sp_put_i32(&w, slots);
    sp_put_str(&w, te->data_address);
    sp_put_i64(&w, 0);
    rc = rpc_send(rpc, te->rm_address, MSG_REGISTER_TASK_EXECUTOR, &w);
  }
  if (rc < 0) {
    te_stop(te);
    return rc;
  }
  *out = te;
  return 0;
}

void te_stop(task_executor *te) {
  if (!te) return;
  if (te->ep)
    rpc_endpoint_stop(te->ep); /* no more messages: tasks that exit now are joined below */
  for (te_task *tt = te->tasks; tt; tt = tt->next) task_cancel(tt->t);
  while (te->tasks) {
    te_task *tt = te->tasks;
    te->tasks = tt->next;
    task_metric_groups_remove(tt->metrics);
    task_join_free(tt->t);
    release_job(te, tt->job);
    sp_free(tt->jm);
    sp_free(tt);
  }
  if (te->writer_started) { /* writes still queued finish; their acks find no JobMaster */
    pthread_mutex_lock(&te->wmu);
    te->wstop = true;
    pthread_cond_signal(&te->wcond);
    pthread_mutex_unlock(&te->wmu);
    pthread_join(te->writer, NULL);
    pthread_mutex_destroy(&te->wmu);
    pthread_cond_destroy(&te->wcond);
  }
  sp_free(te->address);
  sp_free(te->rm_address);
  sp_free(te->data_address);
  sp_free(te->blob_dir);
  hb_monitor_free(&te->rm_hb);
  hb_monitor_free(&te->jm_hb);
  sp_free(te);
}
