/*
 * resource_manager.c: the slot registry. Requests are granted at once or refused at once: in a
 * MiniCluster every TaskExecutor registers before the first job arrives, so waiting would only
 * turn a clear NoResourceAvailable error into a hang.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "cluster/components.h"
#include "cluster/messages.h"

typedef struct rm_te {
  char *address;
  int slots;
  char (*owner)[33]; /* job id per slot, "" if free */
} rm_te;

struct resource_manager {
  rpc_service *rpc;
  rpc_endpoint *ep;
  rm_te *tes;
  int ntes;
};

static void offer_error(resource_manager *rm, const char *reply, const char *msg) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u8(&w, 0);
  sp_put_str(&w, msg);
  sp_put_u32(&w, 0);
  rpc_send(rm->rpc, reply, MSG_SLOTS_OFFER, &w);
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
  if (bad) {
    SP_WARN("resourcemanager", "dropping a slot request: %s", bad);
    goto done;
  }
  int free_slots = 0, total = 0;
  for (int i = 0; i < rm->ntes; i++)
    for (int s = 0; s < rm->tes[i].slots; s++) {
      total++;
      if (!rm->tes[i].owner[s][0]) free_slots++;
    }
  if (free_slots < n) {
    char msg[512];
    snprintf(msg, sizeof msg,
             "NoResourceAvailableException: Could not acquire the minimum required resources: "
             "the job needs %d task slots but only %d of %d are free (%d TaskManager%s with "
             "taskmanager.numberOfTaskSlots = %d). Lower the parallelism (-p) or raise "
             "taskmanager.numberOfTaskSlots.",
             n, free_slots, total, rm->ntes, rm->ntes == 1 ? "" : "s",
             rm->ntes ? rm->tes[0].slots : 0);
    SP_WARN("resourcemanager", "%s", msg);
    offer_error(rm, reply, msg);
    goto done;
  }
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
        granted++;
      }
  SP_INFO("resourcemanager", "Allocated %d slots for job %s.", n, job);
  rpc_send(rm->rpc, reply, MSG_SLOTS_OFFER, &w);
done:
  sp_free(job);
  sp_free(reply);
}

static void handle(void *self, uint32_t type, sp_reader *r) {
  resource_manager *rm = self;
  switch (type) {
  case MSG_REGISTER_TASK_EXECUTOR: {
    char *addr = sp_get_str(r);
    int32_t slots = sp_get_i32(r);
    /* a TaskExecutor's address is at most 47 characters (what JobMasters keep of it), its slots
     * at most 32768 (taskmanager.numberOfTaskSlots), and it registers once */
    const char *bad = !sp_reader_ok(r)                         ? r->error
                      : !addr || !addr[0] || strlen(addr) > 47 ? "no valid address"
                      : slots < 1 || slots > 32768             ? "slot count not in [1, 32768]"
                                                               : NULL;
    for (int i = 0; !bad && i < rm->ntes; i++)
      if (strcmp(rm->tes[i].address, addr) == 0) bad = "registered already";
    rm_te *nt = !bad ? sp_realloc(rm->tes, sizeof *nt * (size_t)(rm->ntes + 1)) : NULL;
    if (bad) SP_WARN("resourcemanager", "dropping a TaskManager registration: %s", bad);
    if (!nt) {
      sp_free(addr);
      return;
    }
    rm->tes = nt;
    rm_te *te = &rm->tes[rm->ntes];
    te->address = addr;
    te->slots = slots;
    te->owner = sp_calloc((size_t)slots, sizeof *te->owner);
    if (!te->owner) {
      sp_free(addr);
      return;
    }
    rm->ntes++;
    SP_INFO("resourcemanager", "Registered TaskManager %s with %d slots.", addr, slots);
    break;
  }
  case MSG_REQUEST_SLOTS: request_slots(rm, r); break;
  case MSG_RELEASE_SLOTS: {
    char *job = sp_get_str(r);
    if (job)
      for (int i = 0; i < rm->ntes; i++)
        for (int s = 0; s < rm->tes[i].slots; s++)
          if (strcmp(rm->tes[i].owner[s], job) == 0) rm->tes[i].owner[s][0] = 0;
    sp_free(job);
    break;
  }
  default: SP_WARN("resourcemanager", "ignoring unexpected message %u", type);
  }
}

int rm_start(rpc_service *rpc, resource_manager **out) {
  resource_manager *rm = sp_calloc(1, sizeof *rm);
  if (!rm) return SPATE_ENOMEM;
  rm->rpc = rpc;
  int rc = rpc_endpoint_start(rpc, RM_ADDRESS, handle, rm, &rm->ep);
  if (rc < 0) {
    sp_free(rm);
    return rc;
  }
  *out = rm;
  return 0;
}

void rm_stop(resource_manager *rm) {
  if (!rm) return;
  rpc_endpoint_stop(rm->ep);
  for (int i = 0; i < rm->ntes; i++) {
    sp_free(rm->tes[i].address);
    sp_free(rm->tes[i].owner);
  }
  sp_free(rm->tes);
  sp_free(rm);
}
