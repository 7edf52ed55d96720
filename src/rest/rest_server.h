/*
 * rest_server.h: the JobManager's REST endpoint, with the paths and JSON of Flink's REST API (v1)
 * for what the CLI and a client need: /config, /overview, /jobs, /jobs/overview, /jobs/:jobid
 * (GET, PATCH ?mode=cancel), /jobs/:jobid/execution-result, POST /jobs (multipart submission),
 * savepoints, stop, checkpoints, /savepoint-disposal, /taskmanagers and DELETE /cluster. Every
 * path is also served under /v1.
 *
 * The server knows no cluster. It calls the operations of a rest_cluster_ops table, which the
 * JobManager implements on top of its Dispatcher (and a test with a small table of jobs). The
 * operations take and fill the plain C structs below; the REST layer turns them into Flink's
 * JSON, so the field names and types of the wire live here and in rest_jobs_model.h (the
 * jobs part's: vertices, subtasks and attempts, job configuration, exceptions, accumulators).
 *
 * Threads: libmicrohttpd runs one thread per connection; every operation is called on such a
 * thread, possibly on several at once (the implementation locks what it shares), and may block
 * a little (a round trip to the Dispatcher). The four asynchronous operations (savepoint, stop,
 * checkpoint, disposal) may block for as long as they take: the REST layer calls them on a
 * worker thread of its own and keeps their trigger ids and results (rest_operations.h, Flink's
 * CompletedOperationCache), so the operations themselves are plain blocking calls.
 *
 * Errors: an operation returns 0 or a negative SPATE_E* code with a message in err (err_len
 * bytes, SP_ERRMSG_MAX from the server). The code picks the HTTP status of the reply:
 * SPATE_ENOENT 404 (unknown job: "Job <id> not found"), SPATE_EINVAL 400, SPATE_ESTATE 409 (not
 * valid in the job's state, e.g. cancelling a finished job), anything else 500. For the
 * asynchronous operations the message becomes the failure-cause of the operation's result.
 */
#ifndef SPATE_REST_REST_SERVER_H
#define SPATE_REST_REST_SERVER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "base/log_files.h"
#include "base/process_stats.h"
#include "runtime/thread_dump.h"

struct ckpt_stats_snapshot; /* checkpoint/checkpoint_stats.h */

/* A job id, a trigger id: 32 lowercase hex digits. */
#define REST_ID_LEN 32

/* Flink's JobStatus, in its declaration order. */
typedef enum rest_job_state {
  REST_JOB_INITIALIZING,
  REST_JOB_CREATED,
  REST_JOB_RUNNING,
  REST_JOB_FAILING,
  REST_JOB_FAILED,
  REST_JOB_CANCELLING,
  REST_JOB_CANCELED,
  REST_JOB_FINISHED,
  REST_JOB_RESTARTING,
  REST_JOB_SUSPENDED,
  REST_JOB_RECONCILING,
  REST_JOB_STATES
} rest_job_state;

/* Flink's ExecutionState (a subtask's state), in its ordinal order. */
typedef enum rest_exec_state {
  REST_EXEC_CREATED,
  REST_EXEC_SCHEDULED,
  REST_EXEC_DEPLOYING,
  REST_EXEC_RUNNING,
  REST_EXEC_FINISHED,
  REST_EXEC_CANCELING,
  REST_EXEC_CANCELED,
  REST_EXEC_FAILED,
  REST_EXEC_RECONCILING,
  REST_EXEC_INITIALIZING,
  REST_EXEC_STATES
} rest_exec_state;

/* "RUNNING", "CANCELLING", ...; NULL for a value out of range. */
const char *rest_job_state_name(rest_job_state s);
/* "RUNNING", "CANCELING", ...; NULL for a value out of range. */
const char *rest_exec_state_name(rest_exec_state s);
/* The state named s (exact, upper case), or -1. */
int rest_job_state_parse(const char *s);
/* FINISHED, FAILED, CANCELED: the states a job never leaves. */
bool rest_job_state_terminal(rest_job_state s);

/* One job, as /jobs, /jobs/overview and /overview show it. */
typedef struct rest_job_summary {
  char id[REST_ID_LEN + 1];
  char *name; /* owned by the list (rest_job_list_add copies it) */
  rest_job_state state;
  int64_t start_time;          /* epoch ms */
  int64_t end_time;            /* epoch ms, -1 while the job runs */
  int64_t last_modification;   /* epoch ms of the last state change */
  int tasks[REST_EXEC_STATES]; /* subtasks in each state */
} rest_job_summary;

typedef struct rest_job_list {
  rest_job_summary *jobs;
  size_t n, cap;
} rest_job_list;

/* Appends a zeroed job (end_time -1) named name (copied) and returns it for the caller to fill;
 * NULL when out of memory. */
rest_job_summary *rest_job_list_add(rest_job_list *l, const char *name);
void rest_job_list_free(rest_job_list *l);

/* Flink's IOMetricsInfo of a vertex or subtask ("read" is numBytesIn/numRecordsIn, "write" the
 * Out counterparts; *_complete whether every subtask reported). The JobManager fills 0 today;
 * the metrics part fills them from its metric store. */
typedef struct rest_io_metrics {
  int64_t read_bytes, write_bytes, read_records, write_records;
  bool read_bytes_complete, write_bytes_complete, read_records_complete, write_records_complete;
  int64_t backpressured_ms, idle_ms; /* accumulated-backpressured-time, accumulated-idle-time */
  double busy_ms;                    /* accumulated-busy-time (Flink's may be NaN: sent as 0) */
} rest_io_metrics;

/* One job vertex of /jobs/:jobid. */
typedef struct rest_vertex_info {
  char id[REST_ID_LEN + 1];
  char *name; /* owned (rest_job_details_add_vertex copies it) */
  int parallelism, max_parallelism;
  int64_t start_time, end_time; /* epoch ms; -1 when not set */
  int tasks[REST_EXEC_STATES];  /* its subtasks in each state; the vertex's status derives */
  rest_io_metrics metrics;      /* summed over its subtasks */
} rest_vertex_info;

/* GET /jobs/:jobid (Flink's JobDetailsInfo, the fields Spate has). */
typedef struct rest_job_details {
  rest_job_summary job; /* job.name owned by the details */
  bool stoppable;
  int64_t timestamps[REST_JOB_STATES]; /* when the job entered each state, 0 if never */
  rest_vertex_info *vertices;
  size_t n_vertices, cap_vertices;
  char *plan_json; /* Flink's JSON plan (graph/plan_json.c), sp_malloc'd, or NULL */
} rest_job_details;

/* Sets the job's name (copied); 0 or SPATE_ENOMEM. */
int rest_job_details_set_name(rest_job_details *d, const char *name);
/* Appends a zeroed vertex (times -1) named name (copied); NULL when out of memory. */
rest_vertex_info *rest_job_details_add_vertex(rest_job_details *d, const char *name);
void rest_job_details_free(rest_job_details *d);

/* GET /jobs/:jobid/execution-result. */
typedef struct rest_job_result {
  bool done;               /* false: the job still runs (IN_PROGRESS) */
  rest_job_state state;    /* FINISHED, FAILED or CANCELED when done */
  int64_t net_runtime;     /* ms */
  char *failure;           /* why it failed (sp_malloc'd), or NULL */
  char *accumulators_json; /* a JSON object of accumulator results (sp_malloc'd), or NULL */
} rest_job_result;
void rest_job_result_free(rest_job_result *r);

/* GET /overview, besides the job counts the server takes from list_jobs. */
typedef struct rest_cluster_overview {
  int taskmanagers, slots_total, slots_available;
} rest_cluster_overview;

/* One TaskManager of /taskmanagers. */
typedef struct rest_taskmanager_info {
  char *id;   /* its ResourceID (owned) */
  char *path; /* its RPC address, e.g. "spate://host:6122/taskmanager" (owned) */
  int data_port, jmx_port;
  int64_t last_heartbeat; /* epoch ms (Flink's timeSinceLastHeartbeat is this timestamp) */
  int slots, free_slots;
  int cpu_cores;
  int64_t physical_memory, free_memory, managed_memory; /* bytes */
  int64_t network_memory;                               /* bytes */
} rest_taskmanager_info;

typedef struct rest_taskmanager_list {
  rest_taskmanager_info *tms;
  size_t n, cap;
} rest_taskmanager_list;

/* Appends a zeroed TaskManager with id and path (copied); NULL when out of memory. */
rest_taskmanager_info *rest_taskmanager_list_add(rest_taskmanager_list *l, const char *id,
                                                 const char *path);
void rest_taskmanager_list_free(rest_taskmanager_list *l);

/* GET /taskmanagers/:taskmanagerid (TaskManagerDetailsInfo): the list's figures, the process's
 * own (rss, accounted allocation, CPU, threads: where Flink shows the JVM's) and the jobs whose
 * tasks run there (allocatedSlots). */
typedef struct rest_taskmanager_details {
  rest_taskmanager_info info; /* info.id and info.path owned */
  sp_process_stats stats;
  char **jobs; /* owned, n_jobs of them */
  size_t n_jobs;
} rest_taskmanager_details;
void rest_taskmanager_details_free(rest_taskmanager_details *d);

/* Which file of a TaskManager's: its .log, its .out, or a named one of its log directory. */
typedef enum rest_log_kind { REST_LOG_MAIN, REST_LOG_STDOUT, REST_LOG_NAMED } rest_log_kind;

/* POST /jobs/:jobid/savepoints formatType, stop -type. */
typedef enum rest_savepoint_format {
  REST_SAVEPOINT_CANONICAL,
  REST_SAVEPOINT_NATIVE
} rest_savepoint_format;

/* POST /jobs/:jobid/checkpoints checkpointType. */
typedef enum rest_checkpoint_type {
  REST_CHECKPOINT_CONFIGURED,
  REST_CHECKPOINT_FULL,
  REST_CHECKPOINT_INCREMENTAL
} rest_checkpoint_type;

/* The jobs part's structs (rest/rest_jobs_model.h). */
typedef struct rest_vertex_details rest_vertex_details;
typedef struct rest_job_config rest_job_config;
typedef struct rest_exception_history rest_exception_history;
typedef struct rest_accumulator_list rest_accumulator_list;

/*
 * What the REST endpoint asks of the cluster. ctx is rest_server_config.ctx. Outputs are zeroed
 * by the caller (lists empty), filled by the operation, freed by the caller with the matching
 * *_free, also after an error. job_id arguments are always 32 lowercase hex digits (the server
 * checks the path before calling). Every operation must be set.
 */
typedef struct rest_cluster_ops {
  /* Every job the Dispatcher knows, running and terminated (/jobs, /jobs/overview, /overview). */
  int (*list_jobs)(void *ctx, rest_job_list *out, char *err, size_t err_len);
  /* TaskManagers and slots (/overview). */
  int (*overview)(void *ctx, rest_cluster_overview *out, char *err, size_t err_len);
  /* One job; SPATE_ENOENT if unknown. */
  int (*job_details)(void *ctx, const char *job_id, rest_job_details *out, char *err,
                     size_t err_len);
  /* Starts cancelling the job and returns (PATCH /jobs/:jobid?mode=cancel, 202). SPATE_ENOENT
   * if unknown, SPATE_ESTATE if it already ended. */
  int (*cancel_job)(void *ctx, const char *job_id, char *err, size_t err_len);
  /* The job's result if it ended (out->done), else out->done false. SPATE_ENOENT if unknown.
   * Also asked before a savepoint, stop or checkpoint is triggered, so that an unknown job is
   * 404 at once (as Flink) rather than a failed operation. */
  int (*job_result)(void *ctx, const char *job_id, rest_job_result *out, char *err, size_t err_len);
  /* Submits a job: graph is Spate's binary JobGraph encoding (graph/graph_codec.c), artifacts
   * the paths of the uploaded job objects (the shared object with spate_main and the UDFs),
   * n_artifacts of them. The files are in the request's temporary directory, removed when the
   * call returns: copy or move what must stay (the BlobServer). Fills job_id (33 bytes) with the
   * new job's id; SPATE_EINVAL (400) for a graph that does not decode. */
  int (*submit_job)(void *ctx, const void *graph, size_t graph_len, const char *const *artifacts,
                    size_t n_artifacts, char *job_id, char *err, size_t err_len);
  /* Blocking: takes a savepoint into target_dir (NULL: the configured default) and, if
   * cancel_job, cancels the job after it; *location (sp_malloc'd) is the savepoint's path. */
  int (*savepoint)(void *ctx, const char *job_id, const char *target_dir, bool cancel_job,
                   rest_savepoint_format format, char **location, char *err, size_t err_len);
  /* Blocking: stop with a savepoint (drain: emit MAX_WATERMARK first); as savepoint. */
  int (*stop_job)(void *ctx, const char *job_id, const char *target_dir, bool drain,
                  rest_savepoint_format format, char **location, char *err, size_t err_len);
  /* Blocking: triggers a checkpoint and waits for it; *checkpoint_id its id. */
  int (*checkpoint)(void *ctx, const char *job_id, rest_checkpoint_type type,
                    int64_t *checkpoint_id, char *err, size_t err_len);
  /* Blocking: disposes of the savepoint at path. SPATE_ENOENT if there is none. */
  int (*dispose_savepoint)(void *ctx, const char *path, char *err, size_t err_len);
  /* The registered TaskManagers. */
  int (*taskmanagers)(void *ctx, rest_taskmanager_list *out, char *err, size_t err_len);
  /* DELETE /cluster: called after the reply (200 {}) went out, on a server thread. It only
   * starts the JobManager's shutdown (wakes its main thread): stopping this server from inside
   * the call would wait for the very thread it runs on. */
  void (*shutdown)(void *ctx);

  /* ---- jobs, vertices and subtasks (issue 11, the jobs part; rest/rest_jobs_model.h). NULL:
   * the routes answer 501. ---- */
  /* One vertex (vertex_id: its JobVertexID) with every subtask's current and prior attempts.
   * SPATE_ENOENT for an unknown job or vertex. */
  int (*job_vertex)(void *ctx, const char *job_id, const char *vertex_id, rest_vertex_details *out,
                    char *err, size_t err_len);
  /* The job's execution configuration (GET /jobs/:jobid/config). */
  int (*job_config)(void *ctx, const char *job_id, rest_job_config *out, char *err, size_t err_len);
  /* The job's exception history, newest first (GET /jobs/:jobid/exceptions). */
  int (*job_exceptions)(void *ctx, const char *job_id, rest_exception_history *out, char *err,
                        size_t err_len);
  /* User accumulators of the job (vertex_id NULL), of a vertex (subtask -1) or of one subtask.
   * SPATE_ENOENT for an unknown job or vertex. */
  int (*user_accumulators)(void *ctx, const char *job_id, const char *vertex_id, int subtask,
                           rest_accumulator_list *out, char *err, size_t err_len);
  /* POST /jobs/:jobid/coordinators/:operatorid (Flink's ClientCoordinationHandler): hands the
   * client's serialized request (its base64 text) to the operator's coordinator; *result
   * (sp_malloc'd) is the answer's base64 text. SPATE_ENOENT for an unknown job, operator or
   * coordinated state, SPATE_ESTATE when the operator's subtask is not deployed, SPATE_EINVAL for
   * a request the coordinator refuses, SPATE_EIO when its TaskManager does not answer. */
  int (*coordination)(void *ctx, const char *job_id, const char *operator_id, const char *request,
                      char **result, char *err, size_t err_len);
  /* ---- checkpoint statistics (issue 11, checkpoints part; NULL: the routes answer 501) ---- */
  /* The job's checkpoint statistics, entries without subtasks (ckpt_stats_read fills out;
   * freed with ckpt_stats_snapshot_free). SPATE_ENOENT if the job is unknown. */
  int (*checkpoint_stats)(void *ctx, const char *job_id, struct ckpt_stats_snapshot *out, char *err,
                          size_t err_len);
  /* Checkpoint checkpoint_id of the job with its subtasks (ckpt_stats_read_checkpoint).
   * SPATE_ENOENT if the job is unknown ("Job <id> not found") or the statistics do not hold the
   * checkpoint ("Could not find checkpointing statistics for checkpoint <id>."). */
  int (*checkpoint_details)(void *ctx, const char *job_id, int64_t checkpoint_id,
                            struct ckpt_stats_snapshot *out, char *err, size_t err_len);
  /* ---- metrics (i11-metricrest; may be NULL: the metric routes answer 501) ---- */
  /* The JobManager's metric store (cluster/metric_store.h), fetched again first when older than
   * metrics.fetcher.update-interval (bounded wait; TaskManagers that do not answer keep their
   * last metrics). NULL if there is none. */
  struct metric_store *(*metric_store)(void *ctx);
  /* ---- issue 11, cluster part: one TaskManager (NULL: the route answers 501). tm_id is the
   * client's (unchecked); SPATE_ENOENT for an unknown TaskManager or file, SPATE_EINVAL for a
   * file name outside the log directory (log_files.h), SPATE_EIO when it does not answer. ---- */
  int (*taskmanager_details)(void *ctx, const char *tm_id, rest_taskmanager_details *out, char *err,
                             size_t err_len);
  int (*taskmanager_logs)(void *ctx, const char *tm_id, sp_log_file_list *out, char *err,
                          size_t err_len);
  /* name: REST_LOG_NAMED's file name, else NULL. The content is bounded (its tail if larger). */
  int (*taskmanager_log)(void *ctx, const char *tm_id, rest_log_kind kind, const char *name,
                         sp_log_data *out, char *err, size_t err_len);
  int (*taskmanager_thread_dump)(void *ctx, const char *tm_id, thread_dump *out, char *err,
                                 size_t err_len);
} rest_cluster_ops;

typedef struct rest_server_config {
  const char *bind_address; /* host name or address; NULL: "localhost" */
  int port;                 /* 0 picks a free port (rest_server_port tells which) */
  const rest_cluster_ops *ops;
  void *ctx;
  /* parent of each upload's temporary directory; NULL: $TMPDIR, else /tmp */
  const char *upload_dir;
  size_t max_content_length; /* largest request body (uploads); 0: 104857600 (Flink's) */
  size_t max_json_length;    /* largest JSON body; 0: 1 MiB */
  int refresh_interval_ms;   /* /config refresh-interval; 0: 3000 */
  size_t max_operations;     /* trigger ids kept (in progress and completed); 0: 1024 */
  bool web_submit;           /* web.submit.enable: /jars routes (else 404) */
  bool web_cancel;           /* web.cancel.enable: /config features.web-cancel */
  /* web submission (/jars, rest_routes_jars.c) */
  const char *web_upload_dir; /* web.upload.dir: jars in <it>/flink-web-upload; NULL: a fresh
                               * $TMPDIR/flink-web-<uuid> (removed at stop) */
  const char *program;        /* the spate binary that runs a jar's program; NULL: this one */
  const char *address;        /* rest.address, as GET /jars shows it; NULL: the bind address */
  /* issue 11, cluster part */
  const char *allow_origin; /* web.access-control-allow-origin; NULL: "*" */
  const sp_config *config;  /* /jobmanager/config (the server keeps a copy); NULL: [] */
} rest_server_config;

typedef struct rest_server rest_server;

/* Binds and starts serving. SPATE_EIO with a message naming the address and port (in use,
 * cannot resolve) or SPATE_EINVAL for a bad configuration; *out NULL then. */
int rest_server_start(const rest_server_config *cfg, rest_server **out, char *err, size_t err_len);
/* The port the server listens on (the one picked when the configured port was 0). */
int rest_server_port(const rest_server *s);
/* Binds and listens on host:port (IPv4 preferred when the name has both), for the REST server
 * and the other HTTP servers built like it: the socket, or a negative code with err naming the
 * server ("REST server"), the setting the host came from (address_key) and the reason. *ipv6 (may
 * be NULL) tells the family bound. */
int rest_listen(const char *server, const char *address_key, const char *host, int port, bool *ipv6,
                char *err, size_t err_len);
/* Stops accepting, waits for the connections' threads and the asynchronous operations still
 * running (their blocking calls return on their own), frees everything. NULL is a no-op. */
void rest_server_stop(rest_server *s);

/* Runs GET path (no query) through the routes in this process, without a connection, as a
 * client's request would (the history archive renders a job's responses so). *status is the HTTP
 * status, *body (sp_malloc'd) the JSON text of the reply. 0, or SPATE_ENOMEM. */
int rest_server_get(rest_server *s, const char *path, unsigned *status, char **body);

/* rest_server_config from a configuration: rest.bind-address, rest.bind-port else rest.port,
 * rest.address, web.submit.enable, web.cancel.enable, web.upload.dir, web.refresh-interval,
 * web.access-control-allow-origin, rest.server.max-content-length; config = cfg. */
void rest_server_config_from(rest_server_config *out, const sp_config *cfg,
                             const rest_cluster_ops *ops, void *ctx);
#endif
