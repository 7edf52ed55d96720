/*
 * jobmanager_gateway.c: a JobManager's operations for other threads (jobmanager_gateway.h). A
 * call that waits for an answer starts an endpoint of its own ("gateway-N") for the reply, as
 * the MiniCluster's client does, and re-checks the cluster view while it waits, so a job that
 * ends without answering does not leave it hanging.
 */
#include "cluster/jobmanager_gateway.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "checkpoint/storage.h"
#include "cluster/messages.h"

struct jm_gateway {
  rpc_service *rpc;
  blob_server *blobs;
  cluster_view *view;
  _Atomic int next;
  struct metric_fetcher *metrics; /* set and cleared while no REST thread runs */
};

/* One wait for a MSG_SNAPSHOT_DONE. */
typedef struct gw_wait {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  bool done;
  int64_t id;
  char *path, *error;
} gw_wait;

int jm_gateway_create(rpc_service *rpc, blob_server *blobs, cluster_view *view, jm_gateway **out) {
  jm_gateway *g = sp_calloc(1, sizeof *g);
  if (!g) return SPATE_ENOMEM;
  g->rpc = rpc;
  g->blobs = blobs;
  g->view = view;
  *out = g;
  return 0;
}

void jm_gateway_free(jm_gateway *g) { sp_free(g); }

cluster_view *jm_gateway_view(jm_gateway *g) { return g->view; }

rpc_service *jm_gateway_rpc(jm_gateway *g) { return g->rpc; }

void jm_gateway_set_metrics(jm_gateway *g, struct metric_fetcher *f) { g->metrics = f; }

struct metric_fetcher *jm_gateway_metrics(jm_gateway *g) {
  return g->metrics;
}

/* The job's state in the view: -1 unknown, 0 running, 1 ended. */
static int job_known(jm_gateway *g, const char *job_id) {
  cluster_view_lock(g->view);
  cv_job *j = cluster_view_find(g->view, job_id);
  int k = !j ? -1 : j->done ? 1 : 0;
  cluster_view_unlock(g->view);
  return k;
}

static int read_file(const char *path, uint8_t **out, size_t *len, char *err, size_t err_len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    return sp_err(err, err_len, SPATE_EIO, "cannot read the job artifact %s: %s", path,
                  strerror(e));
  }
  uint8_t *b = sp_malloc((size_t)st.st_size + 1);
  size_t got = 0;
  while (b && got < (size_t)st.st_size) {
    ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  if (!b || got != (size_t)st.st_size) {
    sp_free(b);
    return sp_err(err, err_len, SPATE_EIO, "cannot read the job artifact %s", path);
  }
  *out = b;
  *len = got;
  return 0;
}

int jm_gateway_submit(jm_gateway *g, const void *graph, size_t len, const char *artifact,
                      char *job_id, char *err, size_t err_len) {
  job_graph *jg = NULL;
  char why[SP_ERRMSG_MAX];
  if (jobgraph_decode(graph, len, &jg, why, sizeof why) < 0)
    return sp_err(err, err_len, SPATE_EINVAL, "the job graph does not decode: %s", why);
  snprintf(job_id, 33, "%s", jg->job_id);
  if (job_known(g, job_id) == 0) {
    jobgraph_free(jg);
    return sp_err(err, err_len, SPATE_ESTATE, "a job with id %s is running already", job_id);
  }
  char key[BLOB_KEY_LEN + 1] = "";
  if (artifact && !g->blobs) {
    jobgraph_free(jg);
    return sp_err(err, err_len, SPATE_EINVAL,
                  "this cluster takes no job uploads (an embedded MiniCluster)");
  }
  if (artifact) {
    uint8_t *bytes = NULL;
    size_t n = 0;
    int rc = read_file(artifact, &bytes, &n, err, err_len);
    if (rc == 0) rc = blob_server_put(g->blobs, bytes, n, key, err, err_len);
    sp_free(bytes);
    if (rc < 0) {
      jobgraph_free(jg);
      return rc;
    }
  }
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, ""); /* nobody waits for the result: the view keeps it */
  sp_put_blob(&w, graph, (uint32_t)len);
  sp_put_u8(&w, 0);
  sp_put_str(&w, key);
  /* in the view before the answer, so that a client asking for the job right after finds it
   * (the Dispatcher's own add is then a no-op) */
  cv_job_added(g->view, jg, sp_wall_ms());
  jobgraph_free(jg);
  int rc = rpc_send(g->rpc, DISPATCHER_ADDRESS, MSG_SUBMIT_JOB, &w);
  if (rc < 0) return sp_err(err, err_len, rc, "the Dispatcher is not running");
  return 0;
}

int jm_gateway_cancel(jm_gateway *g, const char *job_id, char *err, size_t err_len) {
  int k = job_known(g, job_id);
  if (k < 0) return sp_err(err, err_len, SPATE_ENOENT, "Job %s not found", job_id);
  if (k > 0) return sp_err(err, err_len, SPATE_ESTATE, "Job %s has ended already", job_id);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, job_id);
  int rc = rpc_send(g->rpc, DISPATCHER_ADDRESS, MSG_CANCEL_JOB, &w);
  return rc < 0 ? sp_err(err, err_len, rc, "the Dispatcher is not running") : 0;
}

static void on_reply(void *self, uint32_t type, sp_reader *r) {
  gw_wait *w = self;
  if (type != MSG_SNAPSHOT_DONE) return;
  int64_t id = sp_get_i64(r);
  char *path = sp_get_str(r), *error = sp_get_str(r);
  pthread_mutex_lock(&w->mu);
  if (!w->done && sp_reader_ok(r)) {
    w->done = true;
    w->id = id;
    w->path = path;
    w->error = error;
    path = error = NULL;
    pthread_cond_broadcast(&w->cond);
  }
  pthread_mutex_unlock(&w->mu);
  sp_free(path);
  sp_free(error);
}

int jm_gateway_snapshot(jm_gateway *g, const char *job_id, jm_snapshot_kind kind, const char *dir,
                        int64_t *id, char **path, char *err, size_t err_len) {
  if (path) *path = NULL;
  int k = job_known(g, job_id);
  if (k < 0) return sp_err(err, err_len, SPATE_ENOENT, "Job %s not found", job_id);
  if (k > 0) return sp_err(err, err_len, SPATE_ESTATE, "Job %s has ended already", job_id);
  gw_wait w = {.done = false};
  pthread_mutex_init(&w.mu, NULL);
  pthread_cond_init(&w.cond, NULL);
  char name[48], jm[48];
  snprintf(name, sizeof name, "gateway-%d", atomic_fetch_add(&g->next, 1));
  snprintf(jm, sizeof jm, "jobmaster-%s", job_id);
  rpc_endpoint *ep;
  int rc = rpc_endpoint_start(g->rpc, name, on_reply, &w, &ep);
  if (rc == 0) {
    sp_writer m;
    sp_writer_init(&m);
    sp_put_str(&m, name);
    if (kind != JM_CHECKPOINT) {
      sp_put_str(&m, dir ? dir : "");
      sp_put_u8(&m, kind == JM_STOP         ? SAVEPOINT_STOP
                    : kind == JM_STOP_DRAIN ? SAVEPOINT_STOP_DRAIN
                                            : SAVEPOINT_ONLY);
    }
    rc = rpc_send(g->rpc, jm,
                  kind == JM_CHECKPOINT ? MSG_REQUEST_CHECKPOINT : MSG_TRIGGER_SAVEPOINT, &m);
    if (rc < 0) sp_err(err, err_len, SPATE_ESTATE, "Job %s has ended already", job_id);
  }
  if (rc == 0) {
    pthread_mutex_lock(&w.mu);
    while (!w.done) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 100000000;
      if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
      }
      pthread_cond_timedwait(&w.cond, &w.mu, &ts);
      if (!w.done && job_known(g, job_id) > 0) {
        /* The JobMaster's thread sends its answer before it ends the job: once the job has
         * ended, an answer is queued at our endpoint if one was sent. Handle what is queued,
         * then look again. */
        pthread_mutex_unlock(&w.mu);
        rpc_flush(g->rpc, name);
        pthread_mutex_lock(&w.mu);
        if (w.done) break;
        rc = sp_err(err, err_len, SPATE_ESTATE, "Job %s ended before the %s completed", job_id,
                    kind == JM_CHECKPOINT ? "checkpoint" : "savepoint");
        break;
      }
    }
    pthread_mutex_unlock(&w.mu);
    rpc_endpoint_stop(ep);
  } else if (ep) {
    rpc_endpoint_stop(ep);
  }
  if (rc == 0 && w.error && w.error[0])
    rc = sp_err(err, err_len, SPATE_EIO, "%s", w.error);
  else if (rc == 0 && w.id <= 0)
    rc = sp_err(err, err_len, SPATE_EIO, "the %s was not triggered",
                kind == JM_CHECKPOINT ? "checkpoint" : "savepoint");
  if (rc == 0) {
    if (id) *id = w.id;
    if (path) {
      *path = w.path;
      w.path = NULL;
    }
  }
  sp_free(w.path);
  sp_free(w.error);
  pthread_mutex_destroy(&w.mu);
  pthread_cond_destroy(&w.cond);
  return rc;
}

int jm_gateway_dispose(jm_gateway *g, const char *path, char *err, size_t err_len) {
  (void)g;
  char dir[4096], why[SP_ERRMSG_MAX];
  if (ckpt_path_from_uri(path, dir, sizeof dir, why, sizeof why) < 0)
    return sp_err(err, err_len, SPATE_EINVAL, "%s", why);
  size_t n = strlen(dir);
  if (n > 10 && strcmp(dir + n - 10, "/_metadata") == 0) dir[n - 10] = 0;
  char meta[4200];
  snprintf(meta, sizeof meta, "%s/_metadata", dir);
  if (access(meta, F_OK) != 0)
    return sp_err(err, err_len, SPATE_ENOENT, "%s is not a savepoint: it has no _metadata file",
                  path);
  if (ckpt_discard(dir, why, sizeof why) < 0) return sp_err(err, err_len, SPATE_EIO, "%s", why);
  SP_INFO("jobmanager", "Disposed of savepoint %s.", dir);
  return 0;
}

bool jm_gateway_wait_done(jm_gateway *g, const char *job_id, int64_t timeout_ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += (time_t)(timeout_ms / 1000);
  until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  cluster_view_lock(g->view);
  bool done = false;
  for (;;) {
    cv_job *j = cluster_view_find(g->view, job_id);
    if ((done = j && j->done)) break;
    if (timeout_ms < 0)
      pthread_cond_wait(&g->view->changed, &g->view->mu);
    else if (pthread_cond_timedwait(&g->view->changed, &g->view->mu, &until) != 0)
      break;
  }
  cluster_view_unlock(g->view);
  return done;
}
