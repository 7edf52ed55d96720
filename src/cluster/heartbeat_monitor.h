/*
 * heartbeat_monitor.h: the heartbeat targets of one component (Flink's HeartbeatManager and its
 * HeartbeatMonitors): who it watches, when each was last heard from, and how many heartbeat RPCs
 * to it failed in a row.
 *
 * Used by the ResourceManager (its TaskExecutors), each JobMaster (the TaskExecutors that hold
 * its slots) and each TaskExecutor (its ResourceManager and the JobMasters it runs tasks for).
 * The side that requests heartbeats runs a round every heartbeat.interval (hb_monitor_round);
 * the side that answers marks the requester heard whenever a request arrives. Either side:
 *   - a target not heard from for heartbeat.timeout is lost ("The heartbeat of <what> with id
 *     <target> timed out.");
 *   - heartbeat.rpc-failure-threshold consecutive failed heartbeat RPCs (sends that could not be
 *     delivered: rpc_send_tracked's synchronous failure or its RPC_MSG_UNDELIVERED) make the
 *     target unreachable at once; hearing from it resets the count; a threshold <= 0 (Flink's
 *     -1) turns this off, leaving only the timeout.
 * A lost target is removed before the owner's `lost` callback runs.
 *
 * Time is the cluster clock's deadline time (sp_clock_mono_ns of the RPC service's clock), so a
 * manual clock controls timeouts as it controls every other timer. Not thread-safe: the owning
 * endpoint's thread uses it.
 */
#ifndef SPATE_CLUSTER_HEARTBEAT_MONITOR_H
#define SPATE_CLUSTER_HEARTBEAT_MONITOR_H
#include <stdbool.h>
#include <stdint.h>

#include "base/bytes.h"
#include "base/config.h"
#include "cluster/rpc.h"

typedef struct hb_settings {
  int64_t interval_ms;   /* heartbeat.interval; <= 0: no heartbeats (a MiniCluster) */
  int64_t timeout_ms;    /* heartbeat.timeout */
  int failure_threshold; /* heartbeat.rpc-failure-threshold; <= 0: failed RPCs do not count */
} hb_settings;

/* The heartbeat.* settings of a configuration (Flink's defaults where unset). */
hb_settings hb_settings_from_config(const sp_config *cfg);

typedef struct hb_target {
  char *address;
  int64_t last_ns; /* last heard from (or added), clock deadline time */
  int failures;    /* heartbeat RPCs that failed since it was last heard from */
} hb_target;

typedef struct hb_monitor {
  hb_settings set;
  const char *what; /* what the targets are, for messages: "TaskManager", "JobManager", ... */
  hb_target *targets;
  int n;
} hb_monitor;

/* Called for a target found lost, after it was removed from the monitor. */
typedef void (*hb_lost_fn)(void *ctx, const char *target, const char *reason);

void hb_monitor_init(hb_monitor *m, const hb_settings *s, const char *what);
void hb_monitor_free(hb_monitor *m);
/* Whether heartbeats are on (interval > 0). */
static inline bool hb_monitor_enabled(const hb_monitor *m) { return m->set.interval_ms > 0; }
/* Starts monitoring target as heard from at now_ns; a target already monitored is unchanged.
 * 0 or SPATE_ENOMEM. */
int hb_monitor_add(hb_monitor *m, const char *target, int64_t now_ns);
/* Stops monitoring target: true if it was monitored. */
bool hb_monitor_remove(hb_monitor *m, const char *target);
/* The target's index, or -1. */
int hb_monitor_find(const hb_monitor *m, const char *target);
/* Target heard from (a heartbeat request or answer): its timeout starts again and its failed
 * RPCs are forgotten. False if it is not monitored. */
bool hb_monitor_heard(hb_monitor *m, const char *target, int64_t now_ns);
/* A heartbeat RPC to target failed (reason: why). If that makes threshold failures in a row the
 * target is removed and lost() called; returns true then. */
bool hb_monitor_rpc_failed(hb_monitor *m, const char *target, const char *reason, hb_lost_fn lost,
                           void *ctx);
/* Loses (removes, then lost()) every target not heard from for the timeout at now_ns. */
void hb_monitor_expire(hb_monitor *m, int64_t now_ns, hb_lost_fn lost, void *ctx);
/* Sends every target the message (type; a copy of payload's bytes for each) from the local
 * endpoint `from` with rpc_send_tracked; a send that fails at once counts as a failed RPC. */
void hb_monitor_send_all(hb_monitor *m, rpc_service *rpc, const char *from, uint32_t type,
                         const sp_writer *payload, hb_lost_fn lost, void *ctx);
/* An RPC_MSG_UNDELIVERED message (rpc.h): the message of `type` for `to` was dropped, why. */
typedef struct hb_undelivered {
  char *to, *reason;
  uint32_t type;
} hb_undelivered;
/* Decodes one: true, or false (nothing to free) if malformed. */
bool hb_undelivered_read(sp_reader *r, hb_undelivered *out);
void hb_undelivered_free(hb_undelivered *u);
#endif
