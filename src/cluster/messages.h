/*
 * messages.h: the RPC messages between cluster components. Every payload is encoded with
 * base/bytes.h in the field order listed; receivers validate with the reader's sticky error and
 * drop (and log) malformed messages.
 */
#ifndef SPATE_CLUSTER_MESSAGES_H
#define SPATE_CLUSTER_MESSAGES_H

enum {
  /* -> ResourceManager */
  MSG_REGISTER_TASK_EXECUTOR = 1, /* str address, i32 slots, str data address ("": in-process
                                     exchanges only), i64 registration: the same for every
                                     retry, a new one after the TaskExecutor lost its tasks */
  MSG_REQUEST_SLOTS,              /* str job id, str reply address, i32 count */
  MSG_RELEASE_SLOTS,              /* str job id */
  /* -> JobMaster */
  MSG_SLOTS_OFFER,        /* u8 ok, str error, u32 n, n x (str task executor, i32 slot,
                                     str its data address) */
  MSG_TASK_STATE,         /* i32 vertex, i32 subtask, i32 attempt, u8 state, str error,
                                     blob report */
  MSG_CANCEL_JOB,         /* (to Dispatcher: str job id) */
  MSG_ACK_CHECKPOINT,     /* i32 attempt, i32 vertex, i32 subtask, i64 id, str file
                                     (empty: no state), u64 length, u64 checksum, i64 sync ms,
                                     i64 async ms, i64 alignment ms, i64 first barrier
                                     (epoch ms; -1: unknown), u8 unaligned */
  MSG_DECLINE_CHECKPOINT, /* i32 attempt, i32 vertex, i32 subtask, i64 id, str reason */
  MSG_CKPT_TIMER,         /* (to itself) i32 attempt: time to trigger a checkpoint */
  MSG_CKPT_EXPIRE,        /* (to itself) i64 id: the checkpoint's timeout */
  MSG_RESTART,            /* (to itself) i32 attempt: the restart backoff is over */
  MSG_TRIGGER_SAVEPOINT,  /* str reply address, str directory (may be empty), u8 what then
                                     (SAVEPOINT_*) */
  MSG_REQUEST_CHECKPOINT, /* str reply address: a checkpoint now (Flink's manual
                                     checkpoint trigger) */
  /* -> TaskExecutor */
  MSG_SUBMIT_TASK,        /* str job master, blob job graph, i32 vertex, i32 subtask,
                                     i32 attempt, i32 slot, str restore path (empty: none),
                                     str artifact blob key (empty: the graph's artifact path),
                                     str blob server ("host:port"), u32 n, n x str data address
                                     of each subtask of the job (global index) */
  MSG_CANCEL_TASK,        /* str job id, i32 vertex, i32 subtask, i32 attempt */
  MSG_TRIGGER_CHECKPOINT, /* str job id, i32 attempt, i32 vertex, i32 subtask, i64 id,
                                     i64 timestamp, u32 flags, i64 aligned timeout, str dir */
  MSG_NOTIFY_CHECKPOINT,  /* str job id, i32 attempt, i64 id, u8 complete */
  MSG_TASK_EXITED,        /* u64 task pointer (sent by the TaskExecutor to itself) */
  MSG_RELEASE_PARTITIONS, /* str "<job id>-<attempt>" */
  /* -> Dispatcher */
  MSG_SUBMIT_JOB, /* str reply address, blob job graph, u8 send job events to
                                     the reply address, str artifact blob key (may be empty) */
  MSG_JOB_DONE,   /* str job id, blob result */
  /* -> client */
  MSG_JOB_RESULT,    /* blob result (see job_result.h) */
  MSG_SNAPSHOT_DONE, /* answers a savepoint or checkpoint request: i64 id (0 if
                                     never triggered), str path (empty on failure), str error */
  MSG_JOB_EVENT,     /* u8 spate_job_event_type, str state, str task, i32 vertex,
                                     i32 subtask, i32 attempt, i64 checkpoint id, u8 savepoint,
                                     str path, str message */
  /* the standalone cluster: registration, heartbeats, lost TaskManagers, slot waits */
  MSG_REGISTERED,           /* -> TaskExecutor, from the ResourceManager: str its address, i64 the
                               registration taken */
  MSG_HEARTBEAT,            /* -> TaskExecutor, from the ResourceManager: str reply address */
  MSG_HEARTBEAT_REPLY,      /* -> ResourceManager: str task executor address */
  MSG_RM_TICK,              /* (ResourceManager to itself) heartbeat round */
  MSG_TE_TICK,              /* (TaskExecutor to itself) registration retry, heartbeat check */
  MSG_SLOT_REQUEST_TIMEOUT, /* (ResourceManager to itself) i64 request id */
  MSG_TM_LOST,              /* -> JobMaster: str task executor address, str reason */
  MSG_RESTART_REGION,       /* (JobMaster to itself) i32 region, i32 token: its backoff is over */
  MSG_RESTORE_CORRUPT,      /* -> JobMaster, from a TaskExecutor: str checkpoint directory, str
                               error: a subtask found the state files it restores from corrupt
                               (sent before the subtask's FAILED) */
  /* heartbeats between a JobMaster and the TaskExecutors that hold its slots */
  MSG_JM_HEARTBEAT,       /* -> TaskExecutor, from a JobMaster: str its address, str job id */
  MSG_JM_HEARTBEAT_REPLY, /* -> JobMaster: str task executor address */
  MSG_JM_HB_TICK,         /* (JobMaster to itself) heartbeat round */
  /* heartbeats between the ResourceManager and the JobMasters that asked it for slots */
  MSG_RM_JM_HEARTBEAT,       /* -> JobMaster, from the ResourceManager: str its address */
  MSG_RM_JM_HEARTBEAT_REPLY, /* -> ResourceManager: str job master address */
  /* metrics for the REST endpoint (Flink's MetricQueryService and MetricFetcher) */
  MSG_METRICS_REQUEST, /* -> TaskExecutor, from the JobManager's metric fetcher: str reply
                          address, i64 round */
  MSG_METRICS_REPLY,   /* -> the metric fetcher: str task executor address, i64 round, blob
                          the process's metric dump (metric_dump_encode) */
  /* issue 11, cluster REST (cluster/taskmanager_info.h): the JobManager asks a TaskExecutor
   * about its process */
  MSG_TM_INFO_REQUEST,    /* -> TaskExecutor: str reply address, str file name, u8 tm_info_kind */
  MSG_TM_INFO_REPLY,      /* -> the asker: i32 rc, str error, then the kind's payload */
  MSG_PEER_LOST = 1000,   /* from rpc.c (RPC_MSG_PEER_LOST): str peer "host:port", str reason */
  MSG_UNDELIVERED = 1001, /* from rpc.c (RPC_MSG_UNDELIVERED) to the sender of a message sent with
                             rpc_send_tracked: str to, u32 type, str reason */
};

#define RM_ADDRESS "resourcemanager"
#define DISPATCHER_ADDRESS "dispatcher"

/* MSG_TRIGGER_SAVEPOINT's last field: the job runs on, stops (Flink's stop-with-savepoint), or
 * stops after the end of event time went out before the barrier (stop --drain). */
enum { SAVEPOINT_ONLY = 0, SAVEPOINT_STOP = 1, SAVEPOINT_STOP_DRAIN = 2 };
#endif
