/*
 * taskmanager_info.h: how the JobManager learns about a TaskManager's process for the REST
 * endpoint (/taskmanagers/:id, its logs, log files and thread dump): a MSG_TM_INFO_REQUEST to
 * the TaskExecutor, which answers from its own process (base/process_stats.h,
 * base/log_files.h, runtime/thread_dump.h) with a MSG_TM_INFO_REPLY. The asker (a REST thread,
 * through the JobManager's RPC service) waits on an endpoint of its own with a deadline.
 *
 * A log file travels in one message: at most TM_INFO_MAX_FILE bytes, its tail when larger
 * (the reply says so), under the wire's frame limit (net/frame.h).
 */
#ifndef SPATE_CLUSTER_TASKMANAGER_INFO_H
#define SPATE_CLUSTER_TASKMANAGER_INFO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "base/err.h"
#include "base/log_files.h"
#include "base/process_stats.h"
#include "cluster/rpc.h"
#include "runtime/thread_dump.h"

#define TM_INFO_MAX_FILE (8u * 1024 * 1024)

typedef enum tm_info_kind {
  TM_INFO_DETAILS = 1, /* process figures and the jobs whose tasks run there */
  TM_INFO_LOGS,        /* the files of its log directory */
  TM_INFO_LOG,         /* its .log file */
  TM_INFO_STDOUT,      /* its .out file */
  TM_INFO_FILE,        /* a named file of its log directory */
  TM_INFO_THREAD_DUMP,
  TM_INFO_COLLECT, /* a collect sink's rows for a client (connectors/collect_remote.h): the
                      request's base64 text in the file name, the answer's bytes in file */
} tm_info_kind;

typedef struct tm_info_reply {
  int rc; /* the TaskExecutor's answer: 0 or SPATE_E* (SPATE_ENOENT: no such file) */
  char error[SP_ERRMSG_MAX];
  sp_process_stats stats; /* TM_INFO_DETAILS */
  char **jobs;            /* TM_INFO_DETAILS: ids of the jobs with tasks there */
  size_t n_jobs;
  sp_log_file_list logs; /* TM_INFO_LOGS */
  sp_log_data file;      /* TM_INFO_LOG, TM_INFO_STDOUT, TM_INFO_FILE, TM_INFO_COLLECT */
  thread_dump dump;      /* TM_INFO_THREAD_DUMP */
} tm_info_reply;

/* TaskExecutor side: answers the request in r (a MSG_TM_INFO_REQUEST's payload) about this
 * process; jobs are the ids of the jobs with tasks here. A malformed request is dropped. */
void tm_info_answer(rpc_service *rpc, sp_reader *r, const char *const *jobs, size_t n_jobs);

/* Asker side: sends the request to the TaskExecutor at address and waits for its answer up to
 * timeout_ms. 0 with *out filled (out->rc is the TaskExecutor's own answer), or SPATE_EIO (no
 * answer in time, err says so) / SPATE_ENOMEM. file: TM_INFO_FILE's name, else ignored. */
int tm_info_request(rpc_service *rpc, const char *address, tm_info_kind kind, const char *file,
                    int64_t timeout_ms, tm_info_reply *out, char *err, size_t err_len);

/* Encodes a reply of kind (rc, error, payload) into w; decodes one from r into out (zeroed by
 * the caller): 0 or SPATE_ECORRUPT. Exposed for the fuzzer. */
void tm_info_encode_reply(sp_writer *w, tm_info_kind kind, const tm_info_reply *in);
int tm_info_decode_reply(sp_reader *r, tm_info_kind kind, tm_info_reply *out);
void tm_info_reply_free(tm_info_reply *r);
#endif
