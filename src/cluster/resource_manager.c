/*
 * resource_manager.c: the slot registry. TaskExecutors register their slots (and the address of
 * their data server); JobMasters request slots for a job and release them.
 *
 * A request the free slots cannot meet waits, in order of arrival, until TaskExecutors register
 * or slots are released, for at most slot_wait_ms; then it is refused with Flink's
 * NoResourceAvailableException. A MiniCluster registers every TaskExecutor before the first job
 * arrives and waits 0 ms: waiting would only turn a clear error into a hang.
 *
 * In a standalone cluster the ResourceManager sends every registered TaskExecutor a heartbeat
 * each heartbeat interval (cluster/heartbeat_monitor.h); one that has not answered for
 * heartbeat.timeout is lost, and so is one heartbeat.rpc-failure-threshold heartbeats in a row
 * could not be delivered to, one whose process's connection closed (MSG_PEER_LOST) and one that
 * registers again (it dropped its tasks when it lost this JobManager). A lost TaskExecutor's slots are gone, and each JobMaster
 * that held some is told (MSG_TM_LOST), which fails the tasks there.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "cluster/cluster_view.h"
#include "cluster/components.h"
#include "cluster/heartbeat_monitor.h"
#include "cluster/messages.h"

typedef struct rm_te {
  char *address; /* the TaskExecutor's RPC address */
  char *data;    /* its data server ("" in a MiniCluster) */
  int slots;
  char (*owner)[33];    /* job id per slot, "" if free */
  int64_t registration; /* the TaskExecutor's registration number (see messages.h) */
} rm_te;

typedef struct rm_request {
  struct rm_request *next;
  int64_t id;
  char job[33];
  char *reply;
  int n;
} rm_request;

struct resource_manager {
  rpc_service *rpc;
  rpc_endpoint *ep;
  rm_options opt;
  char *address; /* as TaskExecutors reach it */
  rm_te *tes;
  int ntes;
  rm_request *pending; /* oldest first */
  int64_t next_request;
  hb_monitor hb; /* the registered TaskExecutors (with heartbeats on) */
  /* the JobMasters that asked for slots, by job (with heartbeats on): Flink's ResourceManager
   * heartbeats its JobMasters too, and frees the slots of one it lost */
  hb_monitor hb_jm;
  struct rm_jm {
    char job[33];
    char *address;
  } * jms;
  int njms;
};

/* The cluster clock's deadline time: heartbeats time out on it. */
static int64_t now_ns(const resource_manager *rm) {
  return sp_clock_mono_ns(rpc_service_clock(rm->rpc));
}

/* Shows the TaskManagers and their slots as they are now to the REST endpoint. */
static void publish(resource_manager *rm) {
  cluster_view *v = rm->opt.view;
  if (!v) return;
  int64_t now = now_ns(rm), now_ms = sp_wall_ms();
  cv_taskmanagers_begin(v);
  for (int i = 0; i < rm->ntes; i++) {
    int nfree = 0;
    for (int s = 0; s < rm->tes[i].slots; s++) nfree += !rm->tes[i].owner[s][0];
    int h = hb_monitor_find(&rm->hb, rm->tes[i].address);
    int64_t last = h >= 0 ? rm->hb.targets[h].last_ns : now;
    cv_taskmanager_add(v, rm->tes[i].address, rm->tes[i].data, rm->tes[i].slots, nfree,
                       now_ms - (now - last) / 1000000);
  }
  cv_taskmanagers_end(v);
}

static void offer_error(resource_manager *rm, const char *reply, const char *msg) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u8(&w, 0);
  sp_put_str(&w, msg);
  sp_put_u32(&w, 0);
  rpc_send(rm->rpc, reply, MSG_SLOTS_OFFER, &w);
}

static int free_slots(const resource_manager *rm, int *total) {
  int n = 0, t = 0;
  for (int i = 0; i < rm->ntes; i++)
    for (int s = 0; s < rm->tes[i].slots; s++) {
      t++;
      if (!rm->tes[i].owner[s][0]) n++;
    }
  if (total) *total = t;
  return n;
}

static void refuse(resource_manager *rm, const char *reply, int n) {
  int total, nfree = free_slots(rm, &total);
  char msg[640];
  snprintf(msg, sizeof msg,
           "NoResourceAvailableException: Could not acquire the minimum required resources: "
           "the job needs %d task slots but only %d of %d are free (%d TaskManager%s with "
           "taskmanager.numberOfTaskSlots = %d)%s. Lower the parallelism (-p) or raise "
           "taskmanager.numberOfTaskSlots%s.",
           n, nfree, total, rm->ntes, rm->ntes == 1 ? "" : "s", rm->ntes ? rm->tes[0].slots : 0,
           rm->opt.slot_wait_ms > 0 ? " after waiting slot.request.timeout" : "",
           rm->opt.slot_wait_ms > 0 ? ", or start more TaskManagers" : "");
  SP_WARN("resourcemanager", "%s", msg);
  offer_error(rm, reply, msg);
}

static void grant(resource_manager *rm, const char *job, const char *reply, int n) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u8(&w, 1);
  sp_put_str(&w, "");
  sp_put_u32(&w, (uint32_t)n);
  int granted = 0;
  for (int i = 0; i < rm->ntes && granted < n; i++)
    for (int s = 0; s < rm->tes[i].slots && granted < n; s++)
      if (!rm->tes[i].owner[s][0]) {
        snprintf(rm->tes[i].owner[s], 33, "%s", job);
        sp_put_str(&w, rm->tes[i].address);
        sp_put_i32(&w, s);
        sp_put_str(&w, rm->tes[i].data);
        granted++;
      }
  SP_INFO("resourcemanager", "Allocated %d slots for job %s.", n, job);
  rpc_send(rm->rpc, reply, MSG_SLOTS_OFFER, &w);
}

/* Grants waiting requests, oldest first, while the free slots meet them. */
static void serve_pending(resource_manager *rm) {
  while (rm->pending && free_slots(rm, NULL) >= rm->pending->n) {
    rm_request *q = rm->pending;
    rm->pending = q->next;
    grant(rm, q->job, q->reply, q->n);
    sp_free(q->reply);
    sp_free(q);
  }
}

/* Heartbeats the JobMaster of job at address from now on (once per job). */
static void watch_job_master(resource_manager *rm, const char *job, const char *address) {
  if (!hb_monitor_enabled(&rm->hb_jm)) return;
  for (int i = 0; i < rm->njms; i++)
    if (strcmp(rm->jms[i].job, job) == 0) return;
  struct rm_jm *grown = sp_realloc(rm->jms, (size_t)(rm->njms + 1) * sizeof *grown);
  if (!grown) return;
  rm->jms = grown;
  char *a = sp_strdup(address);
  if (!a || hb_monitor_add(&rm->hb_jm, address, now_ns(rm)) < 0) {
    sp_free(a);
    return;
  }
  snprintf(rm->jms[rm->njms].job, sizeof rm->jms[rm->njms].job, "%s", job);
  rm->jms[rm->njms++].address = a;
}

/* Stops heartbeating the JobMaster of job (its slots are released). */
static void forget_job_master(resource_manager *rm, const char *job) {
  for (int i = 0; i < rm->njms; i++) {
    if (strcmp(rm->jms[i].job, job) != 0) continue;
    char *a = rm->jms[i].address;
    rm->jms[i] = rm->jms[--rm->njms];
    bool shared = false; /* one JobMaster address per job, but be exact */
    for (int k = 0; k < rm->njms; k++) shared |= strcmp(rm->jms[k].address, a) == 0;
    if (!shared) hb_monitor_remove(&rm->hb_jm, a);
    sp_free(a);
    return;
  }
}

/* Frees job's slots and drops its waiting requests. */
static void release_job(resource_manager *rm, const char *job) {
  for (int i = 0; i < rm->ntes; i++)
    for (int s = 0; s < rm->tes[i].slots; s++)
      if (strcmp(rm->tes[i].owner[s], job) == 0) rm->tes[i].owner[s][0] = 0;
  for (rm_request **pp = &rm->pending; *pp;) {
    rm_request *q = *pp;
    if (strcmp(q->job, job) == 0) {
      *pp = q->next;
      sp_free(q->reply);
      sp_free(q);
    } else {
      pp = &q->next;
    }
  }
  forget_job_master(rm, job);
  serve_pending(rm);
}

static void request_slots(resource_manager *rm, sp_reader *r) {
  char *job = sp_get_str(r), *reply = sp_get_str(r);
  int32_t n = sp_get_i32(r);
  /* a job id is 32 characters (what a slot keeps of it to release it later), a count positive */
  const char *bad = !sp_reader_ok(r)                      ? r->error
                    : !job || !job[0] || strlen(job) > 32 ? "no valid job id"
                    : !reply                              ? "no reply address"
                    : n < 1                               ? "slot count not positive"
                                                          : NULL;
  if (!bad) watch_job_master(rm, job, reply);
  if (bad) {
    SP_WARN("resourcemanager", "dropping a slot request: %s", bad);
  } else if (!rm->pending && free_slots(rm, NULL) >= n) {
    grant(rm, job, reply, n);
  } else if (rm->opt.slot_wait_ms <= 0) {
    refuse(rm, reply, n);
  } else {
    rm_request *q = sp_calloc(1, sizeof *q);
    if (!q) {
      offer_error(rm, reply, "out of memory");
    } else {
      q->id = ++rm->next_request;
      snprintf(q->job, sizeof q->job, "%s", job);
      q->reply = reply;
      reply = NULL;
      q->n = n;
      rm_request **pp = &rm->pending;
      while (*pp) pp = &(*pp)->next;
      *pp = q;
      SP_INFO("resourcemanager",
              "Job %s needs %d slots, %d are free: waiting up to %lld ms for TaskManagers.", job, n,
              free_slots(rm, NULL), (long long)rm->opt.slot_wait_ms);
      sp_writer w;
      sp_writer_init(&w);
      sp_put_i64(&w, q->id);
      rpc_send_after(rm->rpc, RM_ADDRESS, MSG_SLOT_REQUEST_TIMEOUT, &w, rm->opt.slot_wait_ms);
    }
  }
  sp_free(job);
  sp_free(reply);
}

static void request_timeout(resource_manager *rm, int64_t id) {
  for (rm_request **pp = &rm->pending; *pp; pp = &(*pp)->next)
    if ((*pp)->id == id) {
      rm_request *q = *pp;
      *pp = q->next;
      refuse(rm, q->reply, q->n);
      sp_free(q->reply);
      sp_free(q);
      serve_pending(rm); /* the next one may fit now */
      return;
    }
}

/* Forgets TaskExecutor i: its slots are gone; every job that held one hears why. */
static void te_lost(resource_manager *rm, int i, const char *reason) {
  rm_te *te = &rm->tes[i];
  SP_WARN("resourcemanager", "TaskManager %s is lost: %s. Its %d slots are released.", te->address,
          reason, te->slots);
  for (int s = 0; s < te->slots; s++) {
    const char *job = te->owner[s];
    if (!job[0]) continue;
    bool told = false;
    for (int p = 0; p < s && !told; p++) told = strcmp(te->owner[p], job) == 0;
    if (told) continue;
    char jm[48];
    snprintf(jm, sizeof jm, "jobmaster-%s", job);
    sp_writer w;
    sp_writer_init(&w);
    sp_put_str(&w, te->address);
    sp_put_str(&w, reason);
    rpc_send(rm->rpc, jm, MSG_TM_LOST, &w);
  }
  hb_monitor_remove(&rm->hb, te->address);
  sp_free(te->address);
  sp_free(te->data);
  sp_free(te->owner);
  rm->tes[i] = rm->tes[--rm->ntes];
}

static void register_te(resource_manager *rm, sp_reader *r) {
  char *addr = sp_get_str(r);
  int32_t slots = sp_get_i32(r);
  char *data = sp_get_str(r);
  int64_t registration = sp_get_i64(r);
  /* slots at most 32768 (taskmanager.numberOfTaskSlots) */
  const char *bad = !sp_reader_ok(r)             ? r->error
                    : !addr || !addr[0] || !data ? "no valid address"
                    : slots < 1 || slots > 32768 ? "slot count not in [1, 32768]"
                                                 : NULL;
  if (bad) {
    SP_WARN("resourcemanager", "dropping a TaskManager registration: %s", bad);
    goto out;
  }
  for (int i = 0; i < rm->ntes; i++) {
    if (strcmp(rm->tes[i].address, addr) != 0) continue;
    if (rm->tes[i].registration == registration) { /* a retry that arrived late: taken already */
      hb_monitor_heard(&rm->hb, addr, now_ns(rm));
      sp_writer w;
      sp_writer_init(&w);
      sp_put_str(&w, rm->address);
      sp_put_i64(&w, registration);
      rpc_send(rm->rpc, addr, MSG_REGISTERED, &w);
      goto out;
    }
    te_lost(rm, i, "it registered again"); /* it lost us meanwhile and dropped its tasks */
    break;
  }
  rm_te *nt = sp_realloc(rm->tes, sizeof *nt * (size_t)(rm->ntes + 1));
  if (!nt) goto out;
  rm->tes = nt;
  rm_te *te = &rm->tes[rm->ntes];
  te->owner = sp_calloc((size_t)slots, sizeof *te->owner);
  if (!te->owner) goto out;
  if (hb_monitor_enabled(&rm->hb) && hb_monitor_add(&rm->hb, addr, now_ns(rm)) < 0) {
    sp_free(te->owner);
    goto out; /* out of memory: it registers again */
  }
  te->address = addr;
  te->data = data;
  addr = data = NULL;
  te->slots = slots;
  te->registration = registration;
  rm->ntes++;
  SP_INFO("resourcemanager", "Registered TaskManager %s with %d slots.", te->address, slots);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, rm->address);
  sp_put_i64(&w, registration);
  rpc_send(rm->rpc, te->address, MSG_REGISTERED, &w);
  serve_pending(rm);
out:
  sp_free(addr);
  sp_free(data);
}

/* The heartbeat monitor found a TaskExecutor lost (timed out or unreachable). */
static void hb_lost(void *ctx, const char *target, const char *reason) {
  resource_manager *rm = ctx;
  for (int i = 0; i < rm->ntes; i++)
    if (strcmp(rm->tes[i].address, target) == 0) {
      te_lost(rm, i, reason);
      return;
    }
}

/* The heartbeat monitor found a JobMaster lost: its jobs' slots are freed, as Flink's
 * ResourceManager closes the connection of a JobManager whose heartbeat timed out. */
static void jm_lost(void *ctx, const char *target, const char *reason) {
  resource_manager *rm = ctx;
  SP_WARN("resourcemanager", "%s Freeing its slots.", reason);
  for (int i = 0; i < rm->njms;) {
    if (strcmp(rm->jms[i].address, target) != 0) {
      i++;
      continue;
    }
    char job[33];
    snprintf(job, sizeof job, "%s", rm->jms[i].job);
    release_job(rm, job); /* removes entry i */
  }
}

/* A heartbeat round: TaskExecutors and JobMasters silent for longer than the timeout are lost,
 * the others get a heartbeat request. */
static void tick(resource_manager *rm) {
  hb_monitor_expire(&rm->hb, now_ns(rm), hb_lost, rm);
  hb_monitor_expire(&rm->hb_jm, now_ns(rm), jm_lost, rm);
  sp_writer req;
  sp_writer_init(&req);
  sp_put_str(&req, rm->address);
  hb_monitor_send_all(&rm->hb, rm->rpc, RM_ADDRESS, MSG_HEARTBEAT, &req, hb_lost, rm);
  hb_monitor_send_all(&rm->hb_jm, rm->rpc, RM_ADDRESS, MSG_RM_JM_HEARTBEAT, &req, jm_lost, rm);
  sp_writer_free(&req);
  sp_writer w;
  sp_writer_init(&w);
  rpc_send_after(rm->rpc, RM_ADDRESS, MSG_RM_TICK, &w, rm->opt.heartbeat_interval_ms);
}

static void handle_message(resource_manager *rm, uint32_t type, sp_reader *r);

static void handle(void *self, uint32_t type, sp_reader *r) {
  resource_manager *rm = self;
  handle_message(rm, type, r);
  publish(rm); /* slots, registrations and heartbeats may have changed */
}

static void handle_message(resource_manager *rm, uint32_t type, sp_reader *r) {
  switch (type) {
  case MSG_REGISTER_TASK_EXECUTOR: register_te(rm, r); break;
  case MSG_REQUEST_SLOTS: request_slots(rm, r); break;
  case MSG_RELEASE_SLOTS: {
    char *job = sp_get_str(r);
    /* requests of that job still waiting are dropped too: it gave up on them */
    if (job) release_job(rm, job);
    sp_free(job);
    break;
  }
  case MSG_SLOT_REQUEST_TIMEOUT: {
    int64_t id = sp_get_i64(r);
    if (sp_reader_ok(r)) request_timeout(rm, id);
    break;
  }
  case MSG_HEARTBEAT_REPLY: {
    char *addr = sp_get_str(r);
    if (addr) hb_monitor_heard(&rm->hb, addr, now_ns(rm));
    sp_free(addr);
    break;
  }
  case MSG_RM_JM_HEARTBEAT_REPLY: {
    char *addr = sp_get_str(r);
    if (addr) hb_monitor_heard(&rm->hb_jm, addr, now_ns(rm));
    sp_free(addr);
    break;
  }
  case MSG_UNDELIVERED: { /* a heartbeat request that could not be sent: a failed RPC */
    hb_undelivered u;
    if (!hb_undelivered_read(r, &u)) break;
    if (u.type == MSG_HEARTBEAT) hb_monitor_rpc_failed(&rm->hb, u.to, u.reason, hb_lost, rm);
    if (u.type == MSG_RM_JM_HEARTBEAT)
      hb_monitor_rpc_failed(&rm->hb_jm, u.to, u.reason, jm_lost, rm);
    hb_undelivered_free(&u);
    break;
  }
  case MSG_RM_TICK: /* without heartbeats a stray tick starts no rounds (0 ms apart) */
    if (hb_monitor_enabled(&rm->hb)) tick(rm);
    break;
  case MSG_PEER_LOST: {
    char *peer = sp_get_str(r), *reason = sp_get_str(r);
    char proc[300];
    for (int i = 0; peer && reason && i < rm->ntes; i++)
      if (rpc_address_process(rm->tes[i].address, proc, sizeof proc) && strcmp(proc, peer) == 0) {
        char why[600];
        snprintf(why, sizeof why, "TaskManager with id %s is no longer reachable (%s)",
                 rm->tes[i].address, reason);
        te_lost(rm, i--, why);
      }
    sp_free(peer);
    sp_free(reason);
    break;
  }
  default: SP_WARN("resourcemanager", "ignoring unexpected message %u", type);
  }
}

int rm_start(rpc_service *rpc, const rm_options *opt, resource_manager **out) {
  resource_manager *rm = sp_calloc(1, sizeof *rm);
  if (!rm) return SPATE_ENOMEM;
  rm->rpc = rpc;
  if (opt) rm->opt = *opt;
  hb_monitor_init(&rm->hb,
                  &(hb_settings){.interval_ms = rm->opt.heartbeat_interval_ms,
                                 .timeout_ms = rm->opt.heartbeat_timeout_ms,
                                 .failure_threshold = rm->opt.heartbeat_failure_threshold},
                  "TaskManager");
  hb_monitor_init(&rm->hb_jm, &rm->hb.set, "JobManager");
  rm->address = rpc_address_of(rpc, RM_ADDRESS);
  int rc = rm->address ? rpc_endpoint_start(rpc, RM_ADDRESS, handle, rm, &rm->ep) : SPATE_ENOMEM;
  if (rc == 0 && rm->opt.heartbeat_interval_ms > 0) {
    rc = rpc_watch_peers(rpc, RM_ADDRESS);
    sp_writer w;
    sp_writer_init(&w);
    if (rc == 0)
      rpc_send_after(rpc, RM_ADDRESS, MSG_RM_TICK, &w, rm->opt.heartbeat_interval_ms);
    else
      sp_writer_free(&w);
  }
  if (rc < 0) {
    rm_stop(rm);
    return rc;
  }
  *out = rm;
  return 0;
}

void rm_stop(resource_manager *rm) {
  if (!rm) return;
  if (rm->ep) rpc_endpoint_stop(rm->ep);
  for (int i = 0; i < rm->ntes; i++) {
    sp_free(rm->tes[i].address);
    sp_free(rm->tes[i].data);
    sp_free(rm->tes[i].owner);
  }
  while (rm->pending) {
    rm_request *q = rm->pending;
    rm->pending = q->next;
    sp_free(q->reply);
    sp_free(q);
  }
  sp_free(rm->tes);
  hb_monitor_free(&rm->hb);
  hb_monitor_free(&rm->hb_jm);
  for (int i = 0; i < rm->njms; i++) sp_free(rm->jms[i].address);
  sp_free(rm->jms);
  sp_free(rm->address);
  sp_free(rm);
}
