/*
 * jobmanager_rest_tm.h: the JobManager's REST operations about one TaskManager (details, log
 * files, thread dump), which ask the TaskExecutor's process (cluster/taskmanager_info.h) through
 * the JobManager's gateway; ctx is the jm_gateway. Used by jobmanager_rest.c's operations table.
 *
 * A TaskManager's id is 32 hex digits derived from its RPC address (stable while it is
 * registered, and safe in a URL path, which its address with its '/' is not).
 */
#ifndef SPATE_REST_JOBMANAGER_REST_TM_H
#define SPATE_REST_JOBMANAGER_REST_TM_H
#include <stddef.h>

#include "rest/rest_server.h"

/* How long a REST call waits for a TaskManager's answer. */
#define JMR_TM_TIMEOUT_MS 10000
/* How long /taskmanagers waits for each TaskManager's figures (missing ones stay 0). */
#define JMR_TM_LIST_TIMEOUT_MS 2000

/* The REST id of the TaskManager at address (33 bytes with the NUL). */
void jmr_tm_id(const char *address, char *out);
/* Fills the hardware figures of the listed TaskManagers from their processes (ids as
 * jmr_tm_id's; a TaskManager that does not answer in time keeps zeros). */
void jmr_tm_enrich(void *ctx, rest_taskmanager_list *l);

int jmr_taskmanager_details(void *ctx, const char *tm_id, rest_taskmanager_details *out, char *err,
                            size_t err_len);
int jmr_taskmanager_logs(void *ctx, const char *tm_id, sp_log_file_list *out, char *err,
                         size_t err_len);
int jmr_taskmanager_log(void *ctx, const char *tm_id, rest_log_kind kind, const char *name,
                        sp_log_data *out, char *err, size_t err_len);
int jmr_taskmanager_thread_dump(void *ctx, const char *tm_id, thread_dump *out, char *err,
                                size_t err_len);
#endif
