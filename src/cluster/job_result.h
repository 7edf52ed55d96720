/*
 * job_result.h: the result of a job as it travels from the JobMaster to the client (encoded) and
 * as the public spate_job_result (decoded).
 *
 * Encoding: str job id, str name, u8 status, str error, i64 runtime ms, u32 n operators
 * (i32 node, str name, u64 in, u64 out, u64 backpressure ns), u32 m collected
 * (str name, schema, u32 count, count blobs), i32 restarts, u32 k checkpoints (i64 id, i64
 * duration, i64 sync, i64 async, i64 alignment (ms), u64 size, u8 unaligned).
 */
#ifndef SPATE_CLUSTER_JOB_RESULT_H
#define SPATE_CLUSTER_JOB_RESULT_H
#include "base/bytes.h"
#include "graph/stream_graph.h"
#include "spate/spate.h"

typedef struct jr_operator {
  char *name;
  uint64_t in, out, backpressure_ns;
} jr_operator;

typedef struct jr_collected {
  char *name;
  spate_schema *schema;
  size_t count;
  spate_row *rows; /* views into data */
  uint8_t *data;   /* row bytes, 8-aligned each */
} jr_collected;

struct spate_job_result {
  char job_id[33];
  char *name;
  spate_job_status status;
  char *error;
  int64_t runtime_ms;
  size_t nops;
  jr_operator *ops;
  size_t ncollected;
  jr_collected *collected;
  int restarts;
  size_t ncheckpoints;
  spate_checkpoint_stats *checkpoints;
};

/* One subtask's report, as its TaskExecutor sent it when the subtask ended (data NULL: none):
 * u32 n (i32 node, u64 in, u64 out, u64 backpressure ns), u32 m collect sinks (str name, u32
 * count, count blobs). */
typedef struct jr_report {
  const uint8_t *data;
  size_t len;
} jr_report;

/* Encodes the result of job jg as above: status (error for FAILED; NULL: "unknown failure"),
 * runtime, the reports of its subtasks (by task index: vertices in order, subtasks in order)
 * summed per operator with the collect sinks' rows in subtask order, restarts, and the nstats
 * checkpoint statistics in stats. */
void jr_encode(sp_writer *w, const job_graph *jg, spate_job_status status, const char *error,
               int64_t runtime_ms, const jr_report *reports, int restarts, const sp_writer *stats,
               uint32_t nstats);

/* A result with just a status and a message (failures before the job ran). */
spate_job_result *jr_new(const char *job_id, const char *name, spate_job_status status,
                         const char *error);
/* Decodes a result: 0, or SPATE_ECORRUPT (SPATE_ENOMEM) with why in err, naming the offset.
 * Every count is checked against the bytes, the status must be one a job ends with (FINISHED,
 * FAILED, CANCELED), and collected rows must match their schema. */
int jr_decode(const void *data, size_t len, spate_job_result **out, char *err, size_t err_len);
#endif
