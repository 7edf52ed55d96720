/*
 * sql_execute.h: what runs a query for a session: EXPLAIN, a SELECT collected into a result, an
 * INSERT submitted as a job. Each plans the statement (sql_plan_query.c), optimizes the plan
 * (sql_plan_rules.c) and, to run it, translates it into a job (sql_translate.c) executed on an
 * embedded MiniCluster or, with execution.target: remote, on the cluster the configuration
 * names, as Flink's SQL client does.
 *
 * INSERT jobs run detached from the statement, as Flink's client submits them: the statement
 * returns once the job is submitted, with its id; with table.dml-sync it waits for the job's end.
 * An embedded MiniCluster's jobs end with the session, which waits for them (sql_jobs_wait).
 */
#ifndef SPATE_SQL_SQL_EXECUTE_H
#define SPATE_SQL_SQL_EXECUTE_H
#include <signal.h>

#include "base/config.h"
#include "sql/sql_catalog.h"
#include "sql/sql_session.h"

/* The session's running INSERT jobs. */
typedef struct sql_jobs sql_jobs;
void sql_jobs_free(sql_jobs *jobs);
/* Waits for every running job to end; returns how many failed (their errors on stderr). */
int sql_jobs_wait(sql_jobs *jobs);

/* EXPLAIN [PLAN FOR | CHANGELOG_MODE, ...] <query or INSERT>: the plan as a text result. */
int sql_execute_explain(sql_catalog *c, const sp_config *cfg, const sql_node *stmt, sql_result *r,
                        sql_error_kind *kind, sp_strbuf *err);
/* A query: run to its end, its rows (with the op column of their kinds) as a table result, or
 * with live each row handed to it as it comes (SQL_RESULT_STREAMED); *cancel set while it runs
 * cancels its job. With dry_run the job is built (its JobGraph too) but not run: an INFO result
 * says so. */
int sql_execute_select(sql_catalog *c, const sp_config *cfg, const sql_node *query, bool dry_run,
                       const sql_stream_listener *live, volatile sig_atomic_t *cancel,
                       sql_result *r, sql_error_kind *kind, sp_strbuf *err);
/* INSERT INTO (plain or under EXECUTE): submitted; *jobs created on first use. dry_run as
 * above. With table.dml-sync its end is awaited, and *cancel set meanwhile cancels its job
 * (Ctrl-C, or the client's end by SIGTERM or SIGHUP). */
int sql_execute_insert(sql_catalog *c, const sp_config *cfg, const sql_node *insert, bool dry_run,
                       volatile sig_atomic_t *cancel, sql_jobs **jobs, sql_result *r,
                       sql_error_kind *kind, sp_strbuf *err);
#endif
