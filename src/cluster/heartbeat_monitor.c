/*
 * heartbeat_monitor.c: heartbeat targets, timeouts and failed heartbeat RPCs
 * (heartbeat_monitor.h). A small array: a component monitors a handful of peers.
 */
#include "cluster/heartbeat_monitor.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

hb_settings hb_settings_from_config(const sp_config *cfg) {
  return (hb_settings){
      .interval_ms = sp_config_duration_ms(cfg, "heartbeat.interval"),
      .timeout_ms = sp_config_duration_ms(cfg, "heartbeat.timeout"),
      .failure_threshold = (int)sp_config_int(cfg, "heartbeat.rpc-failure-threshold"),
  };
}

void hb_monitor_init(hb_monitor *m, const hb_settings *s, const char *what) {
  memset(m, 0, sizeof *m);
  if (s) m->set = *s;
  m->what = what;
}

void hb_monitor_free(hb_monitor *m) {
  for (int i = 0; i < m->n; i++) sp_free(m->targets[i].address);
  sp_free(m->targets);
  m->targets = NULL;
  m->n = 0;
}

int hb_monitor_find(const hb_monitor *m, const char *target) {
  for (int i = 0; target && i < m->n; i++)
    if (strcmp(m->targets[i].address, target) == 0) return i;
  return -1;
}

int hb_monitor_add(hb_monitor *m, const char *target, int64_t now_ns) {
  if (hb_monitor_find(m, target) >= 0) return 0;
  hb_target *nt = sp_realloc(m->targets, sizeof *nt * (size_t)(m->n + 1));
  if (!nt) return SPATE_ENOMEM;
  m->targets = nt;
  char *copy = sp_strdup(target);
  if (!copy) return SPATE_ENOMEM;
  m->targets[m->n++] = (hb_target){.address = copy, .last_ns = now_ns};
  return 0;
}

/* Removes target i; its address is handed to the caller (to free). */
static char *take(hb_monitor *m, int i) {
  char *a = m->targets[i].address;
  m->targets[i] = m->targets[--m->n];
  return a;
}

bool hb_monitor_remove(hb_monitor *m, const char *target) {
  int i = hb_monitor_find(m, target);
  if (i < 0) return false;
  sp_free(take(m, i));
  return true;
}

bool hb_monitor_heard(hb_monitor *m, const char *target, int64_t now_ns) {
  int i = hb_monitor_find(m, target);
  if (i < 0) return false;
  m->targets[i].last_ns = now_ns;
  m->targets[i].failures = 0;
  return true;
}

bool hb_monitor_rpc_failed(hb_monitor *m, const char *target, const char *reason, hb_lost_fn lost,
                           void *ctx) {
  int i = hb_monitor_find(m, target);
  if (i < 0) return false;
  int failures = ++m->targets[i].failures;
  SP_DEBUG("heartbeat", "heartbeat RPC %d to %s %s failed: %s", failures, m->what, target,
           reason ? reason : "");
  if (m->set.failure_threshold <= 0 || failures < m->set.failure_threshold) return false;
  char *a = take(m, i);
  char why[SP_ERRMSG_MAX];
  snprintf(why, sizeof why,
           "%s with id %s is no longer reachable: %d heartbeat RPCs in a row failed "
           "(heartbeat.rpc-failure-threshold), the last one: %s",
           m->what, a, failures, reason ? reason : "");
  lost(ctx, a, why);
  sp_free(a);
  return true;
}

void hb_monitor_expire(hb_monitor *m, int64_t now_ns, hb_lost_fn lost, void *ctx) {
  for (int i = 0; i < m->n; i++) {
    if (now_ns - m->targets[i].last_ns < m->set.timeout_ms * 1000000) continue;
    char *a = take(m, i--);
    char why[SP_ERRMSG_MAX];
    snprintf(why, sizeof why, "The heartbeat of %s with id %s timed out.", m->what, a);
    lost(ctx, a, why);
    sp_free(a);
  }
}

void hb_monitor_send_all(hb_monitor *m, rpc_service *rpc, const char *from, uint32_t type,
                         const sp_writer *payload, hb_lost_fn lost, void *ctx) {
  for (int i = 0; i < m->n; i++) {
    sp_writer w;
    sp_writer_init(&w);
    sp_put_bytes(&w, payload->data, payload->len);
    int rc = rpc_send_tracked(rpc, from, m->targets[i].address, type, &w);
    if (rc < 0 && hb_monitor_rpc_failed(m, m->targets[i].address, spate_strerror(rc), lost, ctx))
      i--; /* lost and removed: the next target moved to i */
  }
}

bool hb_undelivered_read(sp_reader *r, hb_undelivered *out) {
  out->to = sp_get_str(r);
  out->type = sp_get_u32(r);
  out->reason = sp_get_str(r);
  if (sp_reader_ok(r) && out->to && out->reason) return true;
  hb_undelivered_free(out);
  return false;
}

void hb_undelivered_free(hb_undelivered *u) {
  sp_free(u->to);
  sp_free(u->reason);
  u->to = u->reason = NULL;
}
