/*
 * sql_connectors.h: Flink's table factories for the planner: a catalog table's WITH options
 * checked as Flink's FactoryUtil checks them, and the StreamGraph nodes that read or write the
 * table.
 *
 * Connectors ('connector' = ...):
 *   datagen     source (connectors/datagen.h: rows-per-second, number-of-rows, fields.#.*)
 *   filesystem  source and exactly-once sink: path, format (csv | json with their csv.* and
 *               json.* options), source.monitor-interval (source: keep reading new files of the
 *               directory), sink.rolling-policy.*, sink.partition-commit.*, partition.* (sink,
 *               connectors/file_sink_options.h); PARTITIONED BY columns become the sink's
 *               partition directories (a partitioned table cannot be read yet)
 *   print       sink: print-identifier, standard-error; rows as Flink's PrintSink shows them
 *   blackhole   sink: discards rows
 *   socket      source (Flink's example socket connector): hostname, port, format,
 *               byte-delimiter (10 only: lines)
 *   nexmark     source (nexmark-flink's connector over connectors/nexmark_source.c): its
 *               options events.num, first-event.rate, next-event.rate, max-emit-speed,
 *               *.proportion, *.hot-ratio.*, *.avg-size, base-time; the table's physical
 *               columns must be one of Spate's streams (include/spate/nexmark.h): the table
 *               flattened or the person, auction or bid view (nexmark-flink's nested ROW table
 *               is not read); its watermarks are the planner's (from the table's WATERMARK)
 *
 * Errors are Flink's texts, wrapped as FactoryUtil wraps them:
 *   "Unable to create a source for reading table 'default_catalog.default_database.t'.\n\n
 *    Table options are:\n\n'connector'='datagen'\n...\n\nCaused by: <the cause>"
 * (a sink: "Unable to create a sink for writing table ..."), the cause being a missing or
 * unknown connector, unsupported or missing options, or a value that does not parse.
 *
 * The planner calls, for each table a query reads, sql_source_add, and for the table an INSERT
 * writes, sql_sink_add. Computed columns, metadata and watermarks are the planner's: the source
 * produces the table's physical columns, in declaration order.
 */
#ifndef SPATE_SQL_SQL_CONNECTORS_H
#define SPATE_SQL_SQL_CONNECTORS_H
#include <stdbool.h>
#include <stddef.h>

#include "base/config.h"
#include "graph/stream_graph.h"
#include "sql/sql_catalog.h"
#include "types/schema.h"

/* Checks t's options for reading (sql_source_check) or writing (sql_sink_check) it, without
 * building anything: 0, or SPATE_EINVAL with Flink's wrapped message, or SPATE_ENOMEM. */
int sql_source_check(const sql_table *t, char *err, size_t cap);
int sql_sink_check(const sql_table *t, char *err, size_t cap);
/* Whether t's sink wants the -U of an update (Flink's DynamicTableSink.getChangelogMode with
 * updates requested): print does, blackhole does not (its factory drops UPDATE_BEFORE), and a
 * table whose options do not name a sink answers true (the sink's check reports it). */
bool sql_sink_takes_update_before(const sql_table *t);

/* Adds the node(s) reading table t to g, producing its physical columns: *node_out is the node
 * whose output the planner consumes, *physical_schema_out (the caller's reference) its schema.
 * The node is named as Flink's scan, "TableSourceScan(table=[[default_catalog,
 * default_database, t]], fields=[a, b])", with the uid "table-source-<t>" (a second scan of the
 * same table in one graph gets "-2", ...). parallelism <= 0: the graph's default (a socket
 * source runs at 1). session_cfg may be NULL. Errors as sql_source_check, or a physical column
 * whose type has no row field. */
int sql_source_add(stream_graph *g, const sql_table *t, const sp_config *session_cfg,
                   int parallelism, int *node_out, spate_schema **physical_schema_out, char *err,
                   size_t cap);

/* What the planner pushed into a scan (Flink's source abilities). */
typedef struct sql_scan_spec {
  int nproject;       /* < 0: every physical column; else the columns read, in this order */
  const int *project; /* indices of the table's physical columns */
  const char *digest; /* the abilities in the node's name, ", filter=[...], project=[a, b],
                         metadata=[]" (NULL: none) */
} sql_scan_spec;
/* sql_source_add reading only spec's columns (spec may be NULL: all): *physical_schema_out is
 * then the projected columns' schema. Only a source with the ability may be given a
 * projection (sql_source_abilities). */
int sql_source_add_spec(stream_graph *g, const sql_table *t, const sql_scan_spec *spec,
                        int parallelism, int *node_out, spate_schema **schema_out, char *err,
                        size_t cap);
/* The abilities of t's connector as Flink's table sources have them: *project, reading selected
 * columns (SupportsProjectionPushDown, with SupportsReadingMetadata: the plan shows
 * metadata=[]), and *filter, being offered the conditions (SupportsFilterPushDown, which the
 * filesystem source accepts while the calc still applies them). Only filesystem has both;
 * datagen, socket and nexmark have neither. */
void sql_source_abilities(const sql_table *t, bool *project, bool *filter);

/* Adds the sink node(s) writing table t, fed by input_node of input_schema (the query's
 * columns, then ROW_KIND_FIELD_NAME when updating). producer describes the node that produces
 * the updates (Flink's message names it: "GroupAggregate(groupBy=[a], select=[a, COUNT(*) AS
 * cnt])"); only read when updating. Checks, besides the options, that the query's columns fit
 * the table's physical columns (Flink's "Column types of query result and sink for '...' do not
 * match." with the cause and both schemas) and that an updating input goes to a sink that takes
 * updates (print, blackhole; filesystem refuses with Flink's "Table sink '...' doesn't support
 * consuming update [and delete] changes which is produced by node ...": deletes says which,
 * producer names the node). parallelism <= 0: the graph's
 * default. Named "Sink(table=[default_catalog.default_database.t], fields=[a, b])", uid
 * "table-sink-<t>". Returns 0, SPATE_EINVAL with the message, or SPATE_ENOMEM. */
int sql_sink_add(stream_graph *g, const sql_table *t, int input_node,
                 const spate_schema *input_schema, bool updating, bool deletes,
                 const char *producer, const sp_config *session_cfg, int parallelism, char *err,
                 size_t cap);

/* Whether reading t ends (*bounded): datagen with number-of-rows or a sequence field, a
 * filesystem table without source.monitor-interval, nexmark with events.num; socket never. Errors as sql_source_check. */
int sql_table_is_bounded(const sql_table *t, bool *bounded, char *err, size_t cap);
#endif
