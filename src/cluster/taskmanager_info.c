/*
 * taskmanager_info.c: the TaskExecutor's answers about its process and the JobManager's wait
 * for them (taskmanager_info.h).
 */
#include "cluster/taskmanager_info.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "cluster/messages.h"
#include "connectors/collect_remote.h"

#define MAX_LIST 100000 /* files, threads or jobs a reply may list */

/* ---- the payloads ---- */

static void put_stats(sp_writer *w, const sp_process_stats *s) {
  sp_put_i32(w, s->cpu_cores);
  sp_put_i64(w, s->physical_memory);
  sp_put_i64(w, s->free_memory);
  sp_put_i64(w, s->rss);
  sp_put_i64(w, s->vsize);
  sp_put_i64(w, s->alloc_current);
  sp_put_i64(w, s->alloc_peak);
  sp_put_i64(w, s->cpu_time_ms);
  sp_put_i32(w, s->threads);
}

static void get_stats(sp_reader *r, sp_process_stats *s) {
  s->cpu_cores = sp_get_i32(r);
  s->physical_memory = sp_get_i64(r);
  s->free_memory = sp_get_i64(r);
  s->rss = sp_get_i64(r);
  s->vsize = sp_get_i64(r);
  s->alloc_current = sp_get_i64(r);
  s->alloc_peak = sp_get_i64(r);
  s->cpu_time_ms = sp_get_i64(r);
  s->threads = sp_get_i32(r);
}

void tm_info_encode_reply(sp_writer *w, tm_info_kind kind, const tm_info_reply *in) {
  sp_put_i32(w, in->rc);
  sp_put_str(w, in->error);
  if (in->rc < 0) return;
  switch (kind) {
  case TM_INFO_DETAILS:
    put_stats(w, &in->stats);
    sp_put_u32(w, (uint32_t)in->n_jobs);
    for (size_t i = 0; i < in->n_jobs; i++) sp_put_str(w, in->jobs[i]);
    break;
  case TM_INFO_LOGS:
    sp_put_u32(w, (uint32_t)in->logs.n);
    for (size_t i = 0; i < in->logs.n; i++) {
      sp_put_str(w, in->logs.files[i].name);
      sp_put_i64(w, in->logs.files[i].size);
      sp_put_i64(w, in->logs.files[i].mtime);
    }
    break;
  case TM_INFO_LOG:
  case TM_INFO_STDOUT:
  case TM_INFO_FILE:
  case TM_INFO_COLLECT:
    sp_put_i64(w, in->file.size);
    sp_put_u8(w, in->file.truncated);
    sp_put_blob(w, in->file.data, in->file.len);
    break;
  case TM_INFO_THREAD_DUMP:
    sp_put_u32(w, (uint32_t)in->dump.n);
    for (size_t i = 0; i < in->dump.n; i++) {
      sp_put_str(w, in->dump.threads[i].name);
      sp_put_str(w, in->dump.threads[i].text);
    }
    break;
  }
}

int tm_info_decode_reply(sp_reader *r, tm_info_kind kind, tm_info_reply *out) {
  out->rc = sp_get_i32(r);
  char *error = sp_get_str(r);
  snprintf(out->error, sizeof out->error, "%s", error ? error : "");
  sp_free(error);
  if (!sp_reader_ok(r) || out->rc > 0 || out->rc < -100) return SPATE_ECORRUPT;
  if (out->rc < 0) return 0;
  uint32_t n;
  switch (kind) {
  case TM_INFO_DETAILS:
    get_stats(r, &out->stats);
    n = sp_get_u32(r);
    if (!sp_reader_ok(r) || n > MAX_LIST) return SPATE_ECORRUPT;
    if (n && !(out->jobs = sp_calloc(n, sizeof *out->jobs))) return SPATE_ENOMEM;
    for (uint32_t i = 0; i < n && sp_reader_ok(r); i++) {
      char *j = sp_get_str(r);
      if (j) out->jobs[out->n_jobs++] = j;
    }
    break;
  case TM_INFO_LOGS:
    n = sp_get_u32(r);
    if (!sp_reader_ok(r) || n > MAX_LIST) return SPATE_ECORRUPT;
    if (n && !(out->logs.files = sp_calloc(n, sizeof *out->logs.files))) return SPATE_ENOMEM;
    for (uint32_t i = 0; i < n && sp_reader_ok(r); i++) {
      char *name = sp_get_str(r);
      int64_t size = sp_get_i64(r), mtime = sp_get_i64(r);
      if (!name) continue;
      out->logs.files[out->logs.n++] = (sp_log_file){.name = name, .size = size, .mtime = mtime};
    }
    break;
  case TM_INFO_LOG:
  case TM_INFO_STDOUT:
  case TM_INFO_FILE:
  case TM_INFO_COLLECT: {
    out->file.size = sp_get_i64(r);
    out->file.truncated = sp_get_u8(r) != 0;
    uint32_t len = 0;
    const void *p = sp_get_blob(r, &len);
    if (!sp_reader_ok(r) || !p) return SPATE_ECORRUPT;
    if (!(out->file.data = sp_malloc((size_t)len + 1))) return SPATE_ENOMEM;
    memcpy(out->file.data, p, len);
    out->file.data[len] = 0;
    out->file.len = len;
    break;
  }
  case TM_INFO_THREAD_DUMP:
    n = sp_get_u32(r);
    if (!sp_reader_ok(r) || n > MAX_LIST) return SPATE_ECORRUPT;
    if (n && !(out->dump.threads = sp_calloc(n, sizeof *out->dump.threads))) return SPATE_ENOMEM;
    for (uint32_t i = 0; i < n && sp_reader_ok(r); i++) {
      char *name = sp_get_str(r), *text = sp_get_str(r);
      if (!name || !text) {
        sp_free(name);
        sp_free(text);
        continue;
      }
      out->dump.threads[out->dump.n++] = (thread_info){.name = name, .text = text};
    }
    break;
  default: return SPATE_ECORRUPT;
  }
  return sp_reader_ok(r) ? 0 : SPATE_ECORRUPT;
}

void tm_info_reply_free(tm_info_reply *r) {
  for (size_t i = 0; i < r->n_jobs; i++) sp_free(r->jobs[i]);
  sp_free(r->jobs);
  r->jobs = NULL;
  r->n_jobs = 0;
  sp_log_file_list_free(&r->logs);
  sp_log_data_free(&r->file);
  thread_dump_free(&r->dump);
}

/* ---- the TaskExecutor's answer ---- */

/* Reads the file of a log request into out (rc and error included). */
static void answer_file(tm_info_kind kind, const char *name, tm_info_reply *out) {
  char path[PATH_MAX], dir[PATH_MAX];
  int rc;
  if (kind == TM_INFO_LOG) {
    rc = sp_log_files_log(path, sizeof path);
    if (rc < 0) sp_err(out->error, sizeof out->error, rc, "This TaskManager has no log file");
  } else if (kind == TM_INFO_STDOUT) {
    rc = sp_log_files_stdout(path, sizeof path);
    if (rc < 0) sp_err(out->error, sizeof out->error, rc, "This TaskManager has no .out file");
  } else {
    rc = sp_log_files_dir(dir, sizeof dir);
    if (rc < 0)
      sp_err(out->error, sizeof out->error, rc, "This TaskManager has no log directory");
    else
      rc = sp_log_files_resolve(dir, name, path, sizeof path, out->error, sizeof out->error);
  }
  if (rc == 0)
    rc = sp_log_files_read(path, TM_INFO_MAX_FILE, &out->file, out->error, sizeof out->error);
  out->rc = rc;
}

void tm_info_answer(rpc_service *rpc, sp_reader *r, const char *const *jobs, size_t n_jobs) {
  char *reply = sp_get_str(r), *name = sp_get_str(r);
  uint8_t kind = sp_get_u8(r);
  if (!reply || !name || !sp_reader_ok(r) || kind < TM_INFO_DETAILS || kind > TM_INFO_COLLECT) {
    sp_free(reply);
    sp_free(name);
    return;
  }
  tm_info_reply out = {0};
  char dir[PATH_MAX];
  switch ((tm_info_kind)kind) {
  case TM_INFO_DETAILS:
    sp_process_stats_read(&out.stats);
    out.jobs = (char **)jobs; /* borrowed: only encoded */
    out.n_jobs = n_jobs;
    break;
  case TM_INFO_LOGS:
    out.rc = sp_log_files_dir(dir, sizeof dir);
    if (out.rc == 0)
      out.rc = sp_log_files_list(dir, &out.logs, out.error, sizeof out.error);
    else
      sp_err(out.error, sizeof out.error, out.rc, "This TaskManager has no log directory");
    break;
  case TM_INFO_LOG:
  case TM_INFO_STDOUT:
  case TM_INFO_FILE: answer_file((tm_info_kind)kind, name, &out); break;
  case TM_INFO_THREAD_DUMP:
    out.rc = thread_dump_take(&out.dump);
    if (out.rc < 0) sp_err(out.error, sizeof out.error, out.rc, "cannot take a thread dump");
    break;
  case TM_INFO_COLLECT: {
    sp_writer a;
    sp_writer_init(&a);
    out.rc = collect_remote_answer(name, &a, out.error, sizeof out.error);
    if (out.rc == 0) {
      out.file.data = (char *)sp_writer_take(&a, &out.file.len);
      if (!out.file.data) out.file.data = sp_strdup("");
    }
    sp_writer_free(&a);
    break;
  }
  }
  sp_writer w;
  sp_writer_init(&w);
  tm_info_encode_reply(&w, (tm_info_kind)kind, &out);
  rpc_send(rpc, reply, MSG_TM_INFO_REPLY, &w); /* an asker that gave up has no endpoint */
  out.jobs = NULL;
  out.n_jobs = 0;
  tm_info_reply_free(&out);
  sp_free(reply);
  sp_free(name);
}

/* ---- the asker ---- */

typedef struct info_wait {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  bool done;
  int rc; /* of decoding */
  tm_info_kind kind;
  tm_info_reply *out;
} info_wait;

static void on_reply(void *self, uint32_t type, sp_reader *r) {
  info_wait *w = self;
  if (type != MSG_TM_INFO_REPLY) return;
  pthread_mutex_lock(&w->mu);
  if (!w->done) {
    w->rc = tm_info_decode_reply(r, w->kind, w->out);
    w->done = true;
    pthread_cond_broadcast(&w->cond);
  }
  pthread_mutex_unlock(&w->mu);
}

int tm_info_request(rpc_service *rpc, const char *address, tm_info_kind kind, const char *file,
                    int64_t timeout_ms, tm_info_reply *out, char *err, size_t err_len) {
  static _Atomic int next;
  memset(out, 0, sizeof *out);
  info_wait w = {.kind = kind, .out = out};
  pthread_mutex_init(&w.mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&w.cond, &ca);
  pthread_condattr_destroy(&ca);
  char name[48];
  snprintf(name, sizeof name, "tminfo-%d", atomic_fetch_add(&next, 1));
  char *reply = rpc_address_of(rpc, name);
  rpc_endpoint *ep = NULL;
  int rc = reply ? rpc_endpoint_start(rpc, name, on_reply, &w, &ep) : SPATE_ENOMEM;
  if (rc == 0) {
    sp_writer m;
    sp_writer_init(&m);
    sp_put_str(&m, reply);
    sp_put_str(&m, file ? file : "");
    sp_put_u8(&m, (uint8_t)kind);
    rc = rpc_send(rpc, address, MSG_TM_INFO_REQUEST, &m);
    if (rc < 0) rc = sp_err(err, err_len, SPATE_EIO, "TaskManager %s cannot be reached", address);
  } else {
    sp_err(err, err_len, rc, "cannot start an endpoint for the answer");
  }
  if (rc == 0) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&w.mu);
    while (!w.done && pthread_cond_timedwait(&w.cond, &w.mu, &until) != ETIMEDOUT) {
    }
    if (!w.done) {
      w.done = true; /* a late answer is dropped */
      rc = sp_err(err, err_len, SPATE_EIO, "TaskManager %s did not answer within %lld ms", address,
                  (long long)timeout_ms);
    } else if (w.rc < 0) {
      rc = sp_err(err, err_len, SPATE_EIO, "TaskManager %s sent a malformed answer", address);
    }
    pthread_mutex_unlock(&w.mu);
  }
  if (ep) rpc_endpoint_stop(ep);
  sp_free(reply);
  pthread_mutex_destroy(&w.mu);
  pthread_cond_destroy(&w.cond);
  if (rc < 0) tm_info_reply_free(out);
  return rc;
}
