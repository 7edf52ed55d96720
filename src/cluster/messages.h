/*
 * messages.h: the RPC messages between cluster components. Every payload is encoded with
 * base/bytes.h in the field order listed; receivers validate with the reader's sticky error and
 * drop (and log) malformed messages.
 */
#ifndef SPATE_CLUSTER_MESSAGES_H
#define SPATE_CLUSTER_MESSAGES_H

enum {
  /* -> ResourceManager */
  MSG_REGISTER_TASK_EXECUTOR = 1, /* str address, i32 slots */
  MSG_REQUEST_SLOTS,              /* str job id, str reply address, i32 count */
  MSG_RELEASE_SLOTS,              /* str job id */
  /* -> JobMaster */
  MSG_SLOTS_OFFER,                /* u8 ok, str error, u32 n, n x (str task executor, i32 slot) */
  MSG_TASK_STATE,                 /* i32 vertex, i32 subtask, u8 state, str error, blob report */
  MSG_CANCEL_JOB,                 /* (to Dispatcher: str job id) */
  /* -> TaskExecutor */
  MSG_SUBMIT_TASK,                /* str job master, blob job graph, i32 vertex, i32 subtask,
                                     i32 attempt, i32 slot */
  MSG_CANCEL_TASK,                /* str job id, i32 vertex, i32 subtask */
  MSG_TASK_EXITED,                /* u64 task pointer (sent by the TaskExecutor to itself) */
  MSG_RELEASE_PARTITIONS,         /* str job id */
  /* -> Dispatcher */
  MSG_SUBMIT_JOB,                 /* str reply address, blob job graph */
  MSG_JOB_DONE,                   /* str job id, blob result */
  /* -> client */
  MSG_JOB_RESULT,                 /* blob result (see job_result.h) */
};

#define RM_ADDRESS "resourcemanager"
#define DISPATCHER_ADDRESS "dispatcher"
#endif
