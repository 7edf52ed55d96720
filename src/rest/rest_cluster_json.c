/*
 * rest_cluster_json.c: the JSON of /jobmanager/... and /taskmanagers/:id (rest_cluster_json.h).
 */
#define _GNU_SOURCE
#include "rest/rest_cluster_json.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "base/alloc.h"
#include "rest/rest_json.h"

#ifndef SPATE_VERSION
#define SPATE_VERSION "0.1.0"
#endif

bool rest_config_key_sensitive(const char *key) {
  static const char *const sensitive[] = {
      "password",    "secret", "fs.azure.account.key", "apikey",      "api-key",     "auth-params",
      "service-key", "token",  "basic-auth",           "jaas.config", "http-headers"};
  for (size_t i = 0; i < sizeof sensitive / sizeof sensitive[0]; i++)
    if (strcasestr(key, sensitive[i])) return true;
  return false;
}

static void add_entry(void *arg, const char *key, const char *value) {
  json_t *arr = arg;
  json_array_append_new(arr, json_pack("{s:s, s:s}", "key", key, "value",
                                       rest_config_key_sensitive(key) ? "******" : value));
}

json_t *rest_json_cluster_config(const sp_config *cfg) {
  json_t *arr = json_array();
  if (arr && cfg) sp_config_each(cfg, add_entry, arr);
  return arr;
}

/* This process's command line (/proc/self/cmdline) as a JSON array of strings. */
static json_t *command_line(void) {
  json_t *arr = json_array();
  FILE *f = fopen("/proc/self/cmdline", "re");
  if (!arr || !f) {
    if (f) fclose(f);
    return arr;
  }
  char buf[8192];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
    json_array_append_new(arr, json_string(buf + i));
  return arr;
}

json_t *rest_json_environment(void) {
  struct utsname u;
  const char *arch = uname(&u) == 0 ? u.machine : "unknown";
  char version[256];
#ifdef __clang__
  snprintf(version, sizeof version, "Spate %s (C, clang %s)", SPATE_VERSION, __clang_version__);
#elif defined(__GNUC__)
  snprintf(version, sizeof version, "Spate %s (C, gcc %s)", SPATE_VERSION, __VERSION__);
#else
  snprintf(version, sizeof version, "Spate %s (C)", SPATE_VERSION);
#endif
  return json_pack("{s:{s:s, s:s, s:o}, s:[]}", "jvm", "version", version, "arch", arch, "options",
                   command_line(), "classpath");
}

json_t *rest_json_log_list(const sp_log_file_list *l) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < l->n; i++)
    json_array_append_new(
        arr, json_pack("{s:s, s:I, s:I}", "name", l->files[i].name, "size",
                       (json_int_t)l->files[i].size, "mtime", (json_int_t)l->files[i].mtime));
  return arr ? json_pack("{s:o}", "logs", arr) : NULL;
}

json_t *rest_json_thread_dump(const thread_dump *d) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < d->n; i++)
    json_array_append_new(arr, json_pack("{s:s, s:s}", "threadName", d->threads[i].name,
                                         "stringifiedThreadInfo", d->threads[i].text));
  return arr ? json_pack("{s:o}", "threadInfos", arr) : NULL;
}

json_t *rest_json_taskmanager_details(const rest_taskmanager_details *d) {
  json_t *o = rest_json_taskmanager(&d->info), *slots = json_array();
  if (!o || !slots) {
    json_decref(o);
    json_decref(slots);
    return NULL;
  }
  const rest_taskmanager_info *t = &d->info;
  int per = t->slots > 0 ? t->slots : 1;
  for (size_t i = 0; i < d->n_jobs; i++)
    json_array_append_new(
        slots, json_pack("{s:s, s:o}", "jobId", d->jobs[i], "resource",
                         rest_json_resource((double)t->cpu_cores / per, t->managed_memory / per,
                                            t->network_memory / per)));
  const sp_process_stats *s = &d->stats;
  int64_t non_heap = s->rss > s->alloc_current ? s->rss - s->alloc_current : 0;
  json_t *metrics = json_pack(
      "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
      " s:I, s:I, s:I, s:[]}",
      "heapUsed", (json_int_t)s->alloc_current, "heapCommitted", (json_int_t)s->rss, "heapMax",
      (json_int_t)s->physical_memory, "nonHeapUsed", (json_int_t)non_heap, "nonHeapCommitted",
      (json_int_t)non_heap, "nonHeapMax", (json_int_t)s->vsize, "directCount", (json_int_t)0,
      "directUsed", (json_int_t)0, "directMax", (json_int_t)0, "mappedCount", (json_int_t)0,
      "mappedUsed", (json_int_t)0, "mappedMax", (json_int_t)0, "memorySegmentsAvailable",
      (json_int_t)0, "memorySegmentsTotal", (json_int_t)0, "nettyShuffleMemorySegmentsAvailable",
      (json_int_t)0, "nettyShuffleMemorySegmentsUsed", (json_int_t)0,
      "nettyShuffleMemorySegmentsTotal", (json_int_t)0, "nettyShuffleMemoryAvailable",
      (json_int_t)0, "nettyShuffleMemoryUsed", (json_int_t)0, "nettyShuffleMemoryTotal",
      (json_int_t)t->network_memory, "garbageCollectors");
  if (json_object_set_new(o, "allocatedSlots", slots) || !metrics ||
      json_object_set_new(o, "metrics", metrics)) {
    json_decref(o);
    return NULL;
  }
  return o;
}
