/*
 * rest_cluster_json.h: Flink's JSON bodies of the cluster-level REST endpoints (/jobmanager/...,
 * /taskmanagers/:id and its logs and thread dump), from Spate's process figures. Where Flink
 * reports a JVM figure, Spate reports its process's own (see rest_json_taskmanager_details).
 * Each returns a new jansson reference, NULL when out of memory.
 */
#ifndef SPATE_REST_REST_CLUSTER_JSON_H
#define SPATE_REST_REST_CLUSTER_JSON_H
#include <jansson.h>
#include <stdbool.h>

#include "base/config.h"
#include "rest/rest_server.h"

/* Whether a configuration key's value is hidden ("******") in /jobmanager/config: the key
 * contains (case-insensitively) one of Flink's GlobalConfiguration.SENSITIVE_KEYS: password,
 * secret, fs.azure.account.key, apikey, api-key, auth-params, service-key, token, basic-auth,
 * jaas.config, http-headers. */
bool rest_config_key_sensitive(const char *key);
/* GET /jobmanager/config: ClusterConfigurationInfo, [{key, value}] of the keys set in cfg
 * (NULL: []), sensitive values masked. */
json_t *rest_json_cluster_config(const sp_config *cfg);
/* GET /jobmanager/environment: EnvironmentInfo of this process (jvm {version "Spate <version>
 * (C, <compiler>)", arch, options: the command line}, classpath []). */
json_t *rest_json_environment(void);
/* LogListInfo: {"logs": [{name, size, mtime}]}. */
json_t *rest_json_log_list(const sp_log_file_list *l);
/* ThreadDumpInfo: {"threadInfos": [{threadName, stringifiedThreadInfo}]}. */
json_t *rest_json_thread_dump(const thread_dump *d);
/* TaskManagerDetailsInfo: TaskManagerInfo plus allocatedSlots and metrics. The metrics map the
 * process's figures onto the JVM's keys: heapUsed = memory allocated through base/alloc.h now,
 * heapCommitted = the resident set, heapMax = physical memory; nonHeapUsed/Committed = the
 * resident set minus the accounted allocation (code, stacks, libraries), nonHeapMax = the
 * virtual size; direct, mapped and memory segment figures 0 (Spate has no such pools);
 * garbageCollectors [] (no garbage collector). allocatedSlots: one entry per job with tasks on
 * the TaskManager. */
json_t *rest_json_taskmanager_details(const rest_taskmanager_details *d);
#endif
