/*
 * sql_remote.h: the SQL client's jobs on a standalone cluster (execution.target: remote, which
 * `spate sql -m host:port` sets), as Flink's SQL client runs them with its remote executor.
 *
 * Jobs are submitted through the cluster's REST endpoint (rest/rest_remote.h: POST /jobs; a
 * SQL job's operators are all built in, so its artifact is only the library of the C functions
 * it calls, if any: sql_execute.c). A query's rows come back while its job runs
 * through its collect sink's coordinator, POST /jobs/:jobid/coordinators/:operatorid
 * (connectors/collect_remote.h has the protocol), and a cancelled query's job is cancelled with
 * PATCH /jobs/:jobid?mode=cancel.
 */
#ifndef SPATE_SQL_SQL_REMOTE_H
#define SPATE_SQL_SQL_REMOTE_H
#include <signal.h>
#include <stdbool.h>

#include "base/config.h"
#include "base/strbuf.h"
#include "rest/rest_remote.h"
#include "spate/spate.h"

/* True when cfg runs jobs on a cluster (execution.target: remote); then *out is the submission
 * target of rest.address:rest.port (detached: the submission returns at once). */
bool sql_remote_target(const sp_config *cfg, rest_remote *out, bool detached);

/* 32 random lowercase hex digits (and a NUL): the name a query's rows are kept under. 0 or
 * SPATE_EIO when the system has no randomness to give. */
int sql_random_token(char out[33]);

typedef void (*sql_remote_row_fn)(void *arg, const spate_row *row);

/* Reads the rows of the collect sink `name` (OperatorID operator_id, rows of schema s) of job
 * job_id on cfg's cluster and hands each to fn in order, once, until the job ends. With *cancel
 * set meanwhile, the job is cancelled over REST (and its end awaited): *cancelled then says so.
 * Returns 0 when the job finished with every row read, or ended cancelled as asked; else
 * SPATE_EINVAL with the reason (the job's failure, the cluster's error) in err. */
int sql_remote_collect(const sp_config *cfg, const char *job_id, const char *operator_id,
                       const char *name, const spate_schema *s, sql_remote_row_fn fn, void *arg,
                       volatile sig_atomic_t *cancel, bool *cancelled, sp_strbuf *err);
#endif
