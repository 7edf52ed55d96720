/*
 * metric_fetcher.c: the JobManager's metric fetcher (metric_fetcher.h). Its endpoint receives the
 * TaskManagers' answers; a fetch numbers its round, asks every TaskManager of the cluster view,
 * and waits on a condition variable until each answered, was found unreachable (an undelivered
 * request comes back to the endpoint) or the timeout passed. Answers of an earlier round are
 * dropped: their TaskManager was skipped and answers again next time.
 */
#include "cluster/metric_fetcher.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "cluster/heartbeat_monitor.h"
#include "cluster/messages.h"
#include "cluster/metric_query.h"

#define DEFAULT_TIMEOUT_MS 5000

struct metric_fetcher {
  rpc_service *rpc;
  cluster_view *view;
  metric_store *store;
  int64_t interval_ms, timeout_ms;
  void (*tm_id)(const char *address, char *out, size_t cap);
  rpc_endpoint *ep;
  char name[48];
  char *address;            /* the endpoint as TaskManagers reach it */
  pthread_mutex_t fetch_mu; /* one fetch at a time; held for its whole length */
  int64_t last_ms;          /* mono ms of the last fetch's end; 0: never */
  /* the round in flight, guarded by mu */
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int64_t round;
  char **waiting; /* the TaskManagers not answered yet in this round */
  size_t n_waiting;
};

static _Atomic int next_id;

/* Removes tm from the round's waiting list: true if it was there. Under mu. */
static bool answered(metric_fetcher *f, const char *tm) {
  for (size_t i = 0; i < f->n_waiting; i++)
    if (strcmp(f->waiting[i], tm) == 0) {
      sp_free(f->waiting[i]);
      f->waiting[i] = f->waiting[--f->n_waiting];
      pthread_cond_broadcast(&f->cond);
      return true;
    }
  return false;
}

static void on_reply(metric_fetcher *f, sp_reader *r) {
  char *tm = sp_get_str(r);
  int64_t round = sp_get_i64(r);
  uint32_t len = 0;
  const void *blob = sp_get_blob(r, &len);
  if (!tm || !sp_reader_ok(r)) {
    SP_WARN("metrics", "dropping a malformed metrics answer");
    sp_free(tm);
    return;
  }
  pthread_mutex_lock(&f->mu);
  bool current = round == f->round;
  pthread_mutex_unlock(&f->mu);
  if (current) {
    metric_dump d;
    char err[SP_ERRMSG_MAX];
    if (metric_dump_decode(blob, len, &d, err, sizeof err) < 0) {
      SP_WARN("metrics", "the metrics of %s do not decode: %s", tm, err);
    } else {
      char id[600];
      snprintf(id, sizeof id, "%s", tm);
      if (f->tm_id) f->tm_id(tm, id, sizeof id);
      if (metric_store_put(f->store, id, &d) < 0)
        SP_WARN("metrics", "out of memory storing the metrics of %s", tm);
      metric_dump_free(&d);
    }
    pthread_mutex_lock(&f->mu);
    if (round == f->round) answered(f, tm);
    pthread_mutex_unlock(&f->mu);
  }
  sp_free(tm);
}

static void handle(void *self, uint32_t type, sp_reader *r) {
  metric_fetcher *f = self;
  if (type == MSG_METRICS_REPLY) {
    on_reply(f, r);
  } else if (type == MSG_UNDELIVERED) { /* a TaskManager that cannot be reached: skipped */
    hb_undelivered u;
    if (!hb_undelivered_read(r, &u)) return;
    pthread_mutex_lock(&f->mu);
    if (u.type == MSG_METRICS_REQUEST) answered(f, u.to);
    pthread_mutex_unlock(&f->mu);
    hb_undelivered_free(&u);
  }
}

int metric_fetcher_create(rpc_service *rpc, cluster_view *view, const metric_fetcher_options *opt,
                          metric_fetcher **out) {
  metric_fetcher *f = sp_calloc(1, sizeof *f);
  if (!f) return SPATE_ENOMEM;
  f->rpc = rpc;
  f->view = view;
  f->interval_ms = opt ? opt->update_interval_ms : 10000;
  f->timeout_ms = opt && opt->timeout_ms > 0 ? opt->timeout_ms : DEFAULT_TIMEOUT_MS;
  f->tm_id = opt ? opt->tm_id : NULL;
  pthread_mutex_init(&f->fetch_mu, NULL);
  pthread_mutex_init(&f->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&f->cond, &ca);
  pthread_condattr_destroy(&ca);
  snprintf(f->name, sizeof f->name, "metricfetcher-%d", atomic_fetch_add(&next_id, 1));
  int rc = metric_store_create(&f->store);
  if (rc == 0 && !(f->address = rpc_address_of(rpc, f->name))) rc = SPATE_ENOMEM;
  if (rc == 0) rc = rpc_endpoint_start(rpc, f->name, handle, f, &f->ep);
  if (rc < 0) {
    metric_fetcher_free(f);
    return rc;
  }
  *out = f;
  return 0;
}

static void clear_waiting(metric_fetcher *f) {
  for (size_t i = 0; i < f->n_waiting; i++) sp_free(f->waiting[i]);
  sp_free(f->waiting);
  f->waiting = NULL;
  f->n_waiting = 0;
}

void metric_fetcher_free(metric_fetcher *f) {
  if (!f) return;
  if (f->ep) rpc_endpoint_stop(f->ep);
  clear_waiting(f);
  metric_store_free(f->store);
  sp_free(f->address);
  pthread_cond_destroy(&f->cond);
  pthread_mutex_destroy(&f->mu);
  pthread_mutex_destroy(&f->fetch_mu);
  sp_free(f);
}

metric_store *metric_fetcher_store(metric_fetcher *f) { return f->store; }

/* Adds a gauge with an integer value to d unless d has a JobManager metric of that name. */
static void add_jm_gauge(metric_dump *d, const char *name, long long v) {
  for (size_t i = 0; i < d->n; i++)
    if (d->entries[i].scope == METRIC_SCOPE_JM && strcmp(d->entries[i].name, name) == 0) return;
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", v);
  metric_dump_entry *e = metric_dump_add(d);
  if (!e) return;
  e->scope = METRIC_SCOPE_JM;
  e->kind = METRIC_GAUGE;
  e->name = sp_strdup(name);
  e->gauge = sp_strdup(buf);
  if (!e->name || !e->gauge) { /* out of memory: the entry goes again */
    sp_free(e->name);
    sp_free(e->gauge);
    d->n--;
  }
}

/* The JobManager's own metrics, with the cluster figures from the view. */
static void fetch_own(metric_fetcher *f) {
  metric_dump d = {0};
  if (metric_query_dump(&d) < 0) memset(&d, 0, sizeof d);
  int tms = 0, total = 0, avail = 0, running = 0;
  cluster_view_lock(f->view);
  tms = f->view->ntms;
  for (int i = 0; i < f->view->ntms; i++) {
    total += f->view->tms[i].slots;
    avail += f->view->tms[i].free_slots;
  }
  for (int i = 0; i < f->view->njobs; i++) running += !f->view->jobs[i].done;
  cluster_view_unlock(f->view);
  add_jm_gauge(&d, "numRegisteredTaskManagers", tms);
  add_jm_gauge(&d, "taskSlotsTotal", total);
  add_jm_gauge(&d, "taskSlotsAvailable", avail);
  add_jm_gauge(&d, "numRunningJobs", running);
  if (metric_store_put(f->store, NULL, &d) < 0)
    SP_WARN("metrics", "out of memory storing the JobManager's metrics");
  metric_dump_free(&d);
}

/* The TaskManagers of the view (addresses, sp_malloc'd each); *n their number. */
static char **view_tms(metric_fetcher *f, size_t *n) {
  char **tms = NULL;
  *n = 0;
  cluster_view_lock(f->view);
  if (f->view->ntms > 0) tms = sp_calloc((size_t)f->view->ntms, sizeof *tms);
  for (int i = 0; tms && i < f->view->ntms; i++)
    if ((tms[*n] = sp_strdup(f->view->tms[i].address))) (*n)++;
  cluster_view_unlock(f->view);
  return tms;
}

/* Asks every TaskManager of the view and waits for the answers, up to the timeout. */
static void fetch_tms(metric_fetcher *f) {
  size_t n = 0;
  char **tms = view_tms(f, &n);
  /* the waiting list (shrinks as answers come) and the store's ids: copies of the same list */
  char **wait = n ? sp_calloc(n, sizeof *wait) : NULL, **ids = n ? sp_calloc(n, sizeof *ids) : NULL;
  size_t n2 = 0, n3 = 0;
  for (size_t i = 0; i < n; i++) {
    char id[600];
    snprintf(id, sizeof id, "%s", tms[i]);
    if (f->tm_id) f->tm_id(tms[i], id, sizeof id);
    if (wait && (wait[n2] = sp_strdup(tms[i]))) n2++;
    if (ids && (ids[n3] = sp_strdup(id))) n3++;
  }
  if (n3 == n) metric_store_retain_tms(f->store, (const char *const *)ids, n3);
  for (size_t i = 0; i < n3; i++) sp_free(ids[i]);
  sp_free(ids);
  pthread_mutex_lock(&f->mu);
  int64_t round = ++f->round;
  clear_waiting(f);
  f->waiting = wait;
  f->n_waiting = n2;
  pthread_mutex_unlock(&f->mu);
  for (size_t i = 0; i < n; i++) {
    sp_writer w;
    sp_writer_init(&w);
    sp_put_str(&w, f->address);
    sp_put_i64(&w, round);
    if (rpc_send_tracked(f->rpc, f->name, tms[i], MSG_METRICS_REQUEST, &w) < 0) {
      pthread_mutex_lock(&f->mu);
      answered(f, tms[i]); /* gone already: skipped */
      pthread_mutex_unlock(&f->mu);
    }
    sp_writer_free(&w);
  }
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += f->timeout_ms / 1000;
  deadline.tv_nsec += (f->timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&f->mu);
  while (f->n_waiting > 0 && pthread_cond_timedwait(&f->cond, &f->mu, &deadline) == 0) {
  }
  for (size_t i = 0; i < f->n_waiting; i++)
    SP_WARN("metrics", "TaskManager %s did not answer the metrics request in %lld ms; skipped",
            f->waiting[i], (long long)f->timeout_ms);
  clear_waiting(f);
  f->round++; /* answers still on their way are of an earlier round now */
  pthread_mutex_unlock(&f->mu);
  for (size_t i = 0; i < n; i++) sp_free(tms[i]);
  sp_free(tms);
}

metric_store *metric_fetcher_update(metric_fetcher *f) {
  pthread_mutex_lock(&f->fetch_mu);
  int64_t now = sp_mono_ms();
  if (f->last_ms == 0 || now - f->last_ms >= f->interval_ms) {
    fetch_own(f);
    fetch_tms(f);
    f->last_ms = sp_mono_ms();
    metric_store_set_updated(f->store, sp_wall_ms());
  }
  pthread_mutex_unlock(&f->fetch_mu);
  return f->store;
}
