/*
 * rest_operations.h: the REST endpoint's asynchronous operations (savepoint, stop with
 * savepoint, checkpoint, savepoint disposal), as Flink's trigger/poll pattern: a POST starts the
 * operation and answers 202 {"request-id": "<triggerid>"} at once; GET .../:triggerid answers
 * {"status": {"id": "IN_PROGRESS"}, "operation": null} until it ended, then COMPLETED with the
 * operation's result or its failure-cause.
 *
 * Each operation runs the cluster's blocking call (rest_cluster_ops) on a thread of its own. The
 * table keeps at most max entries, in progress and completed (Flink's CompletedOperationCache):
 * a new trigger evicts the oldest completed one; when every entry is still in progress the
 * trigger is refused. Entries are keyed as Flink keys them: savepoints and stops by job id and
 * trigger id (both polled at /jobs/:jobid/savepoints/:triggerid), checkpoints by job id and
 * trigger id, disposals by trigger id. Thread-safe.
 */
#ifndef SPATE_REST_REST_OPERATIONS_H
#define SPATE_REST_REST_OPERATIONS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "rest/rest_server.h"

typedef enum rest_op_kind {
  REST_OP_SAVEPOINT,
  REST_OP_STOP,
  REST_OP_CHECKPOINT,
  REST_OP_DISPOSAL
} rest_op_kind;

/* What an operation is asked to do. */
typedef struct rest_op_request {
  rest_op_kind kind;
  const char *job_id; /* NULL for a disposal */
  const char *path;   /* target directory (NULL: default) or the savepoint to dispose */
  bool flag;          /* cancel-job (savepoint), drain (stop) */
  rest_savepoint_format format;
  rest_checkpoint_type checkpoint_type;
  const char *trigger_id; /* chosen by the client, or NULL for a fresh one */
} rest_op_request;

typedef struct rest_operations rest_operations;

rest_operations *rest_operations_new(const rest_cluster_ops *ops, void *ctx, size_t max);
/* Starts the operation and writes its trigger id (33 bytes) into trigger_id. A trigger id the
 * client chose that is already known for the same kind and job starts nothing and answers with
 * it again. SPATE_ENORESOURCE (message in err) when the table is full of running operations,
 * SPATE_EIO when no thread could be started, SPATE_ENOMEM. */
int rest_operations_trigger(rest_operations *t, const rest_op_request *req, char *trigger_id,
                            char *err, size_t err_len);
/* The AsynchronousOperationResult JSON of the operation (new reference), or NULL if no operation
 * of these kinds (savepoint polls find stops too) has this job id and trigger id. */
json_t *rest_operations_result(rest_operations *t, rest_op_kind kind, const char *job_id,
                               const char *trigger_id);
/* Waits for every operation still running, then frees the table. NULL is a no-op. */
void rest_operations_free(rest_operations *t);

/* A fresh random id of 32 lowercase hex digits into out (33 bytes). */
void rest_random_id(char *out);
/* Flink's SerializedThrowable as JSON: {"class", "stack-trace", "serialized-throwable"}. */
json_t *rest_failure_cause(const char *message);
#endif
