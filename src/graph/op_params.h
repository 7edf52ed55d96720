/*
 * op_params.h: the typed parameters of every operator kind that has any, and their one encoding.
 *
 * A StreamGraph node carries its kind's parameters as bytes (sg_node.params), because the
 * JobGraph travels as bytes to where the job runs. The API builds a node's parameters as the C
 * struct of its kind and stores it (op_X_params_store); the operator loads the same struct
 * (op_X_params_load). Each struct is declared once, as a list of fields below, and that list
 * generates the struct, its encoder and its decoder (op_params.c): a field added to a list is
 * written by the API's store and read by the operator's load, and cannot be forgotten on
 * either side. The API fills the structs with designated initialisers, so a field it does not
 * name is zero.
 *
 * Encoding: the fields in list order, nothing around them. U8 and BOOL are one byte, I32 and
 * I64 little-endian, F64 the IEEE bits as a u64, STR as base/bytes.h writes strings (NULL
 * allowed), SCHEMA a u8 (0: absent, 1: present) then the schema's encoding, STRS a u32 count
 * then that many strings (none NULL), BLOBS a u32 count then that many blobs, I32S a u32 count
 * then that many I32.
 *
 * Decoding is strict and never trusts a count: a short read, a BOOL that is neither 0 nor 1, a
 * NULL in STRS, a malformed schema or bytes left after the last field fail with SPATE_ECORRUPT
 * and a message naming the operator kind and the field. Whether the values make sense for the
 * operator (window sizes, known enum values, ...) is the operator's check.
 *
 * Ownership: a loaded struct owns its strings, schemas and lists (op_X_params_free, also after
 * a failed load); BLOBS entries are views into the decoded bytes (the node's params), only
 * their array is owned. A struct given to store is only read. op_params_take_str and
 * op_params_take_schema move one owned field out of a loaded struct.
 */
#ifndef SPATE_GRAPH_OP_PARAMS_H
#define SPATE_GRAPH_OP_PARAMS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "base/err.h" /* SPATE_E* codes; SP_ERRMSG_MAX for the messages */
#include "graph/stream_graph.h"
#include "types/schema.h"

/* STRS: n strings. */
typedef struct op_str_list {
  uint32_t n;
  const char *const *v;
} op_str_list;

/* One BLOBS entry: len bytes at data. */
typedef struct op_blob {
  const uint8_t *data;
  uint32_t len;
} op_blob;

/* BLOBS: n byte strings. */
typedef struct op_blob_list {
  uint32_t n;
  const op_blob *v;
} op_blob_list;

/* I32S: n 32-bit integers (field indices, enum values of a list). */
typedef struct op_i32_list {
  uint32_t n;
  const int32_t *v;
} op_i32_list;

/* The C type of each field type. */
#define OPP_CTYPE_U8 uint8_t
#define OPP_CTYPE_BOOL bool
#define OPP_CTYPE_I32 int32_t
#define OPP_CTYPE_I64 int64_t
#define OPP_CTYPE_F64 double
#define OPP_CTYPE_STR const char *
#define OPP_CTYPE_SCHEMA const spate_schema *
#define OPP_CTYPE_STRS op_str_list
#define OPP_CTYPE_BLOBS op_blob_list
#define OPP_CTYPE_I32S op_i32_list

/* The aggregate functions of the SQL aggregations' calls (agg_kinds), Flink's built-ins: COUNT(*)
 * (Count1AggFunction), COUNT(x), SUM, MIN, MAX, AVG. */
typedef enum sql_agg_kind {
  SQL_AGG_COUNT_STAR = 1,
  SQL_AGG_COUNT = 2,
  SQL_AGG_SUM = 3,
  SQL_AGG_MIN = 4,
  SQL_AGG_MAX = 5,
  SQL_AGG_AVG = 6,
} sql_agg_kind;

/* The window table functions of OP_SQL_WINDOW_AGG. */
typedef enum sql_window_kind {
  SQL_WINDOW_TUMBLE = 1,
  SQL_WINDOW_HOP = 2,
  SQL_WINDOW_CUMULATE = 3,
  SQL_WINDOW_SESSION = 4,
} sql_window_kind;

/* ---- the fields of each kind, in encoding order: F(S, type, name), S being the struct ------- */
/* The field lists are laid out by hand, a few fields per line as they group: */
/* clang-format off */

/* OP_SRC_ELEMENTS: the rows of the collection, encoded with the node's output schema. */
#define OP_ELEMENTS_PARAMS(F, S) F(S, BLOBS, rows)
/* OP_SRC_FILE: the paths to read (at least one); the record format (connectors/format.h: kind,
 * then option key/value pairs; empty: text lines); monitor_ms > 0 keeps monitoring the one
 * directory in paths for new files at that interval. */
#define OP_FILE_SOURCE_PARAMS(F, S) F(S, STRS, paths) F(S, STRS, format) F(S, I64, monitor_ms)
/* OP_SRC_SEQUENCE: from..to, both inclusive. */
#define OP_SEQUENCE_PARAMS(F, S) F(S, I64, from) F(S, I64, to)
/* OP_SRC_GENERATOR (udf = generator): count (-1: unbounded), records per second (0: no limit),
 * records per checkpoint (0: no limit). */
#define OP_GENERATOR_PARAMS(F, S)                                                                 \
  F(S, I64, count) F(S, F64, records_per_second) F(S, I64, records_per_checkpoint)
/* OP_SRC_SOCKET: the format as OP_SRC_FILE's (empty: text lines). */
#define OP_SOCKET_PARAMS(F, S) F(S, STR, host) F(S, I32, port) F(S, STRS, format)
/* OP_SRC_NEXMARK: which stream (spate_nexmark_stream), the options (connectors/nexmark_model.h)
 * and the interval of its watermarks (pipeline.auto-watermark-interval; 0: none until the end). */
#define OP_NEXMARK_PARAMS(F, S)                                                                   \
  F(S, U8, stream) F(S, I64, events_num) F(S, I64, base_time) F(S, I32, first_rate)               \
  F(S, I32, next_rate) F(S, BOOL, max_emit_speed) F(S, I32, person_proportion)                    \
  F(S, I32, auction_proportion) F(S, I32, bid_proportion) F(S, I32, hot_sellers)                  \
  F(S, I32, hot_auctions) F(S, I32, hot_bidders) F(S, I32, person_avg) F(S, I32, auction_avg)     \
  F(S, I32, bid_avg) F(S, I64, watermark_interval)
/* OP_SRC_DATAGEN: the DataGen connector's options (connectors/datagen.h: key, value, ...) for
 * rows of the node's output schema, and the seed of its random values. */
#define OP_DATAGEN_PARAMS(F, S) F(S, STRS, options) F(S, I64, seed)
/* OP_AGG (keyed): agg is an agg_kind, field the aggregated field of the input. */
#define OP_AGG_PARAMS(F, S) F(S, U8, agg) F(S, I32, field)
/* OP_SINK_PRINT: the identifier printed before each line (may be NULL); sql: rows print as
 * Flink's Row.toString ("+I[1, a]"), the kind from the last field ROW_KIND_FIELD_NAME when
 * row_kind (an updating stream), else +I; standard_error: to stderr (SQL's print connector). */
#define OP_PRINT_PARAMS(F, S)                                                                     \
  F(S, STR, identifier) F(S, BOOL, sql) F(S, BOOL, row_kind) F(S, BOOL, standard_error)
/* OP_SINK_TEXT: overwrite is set from fs.overwrite-files when the job is executed; the format
 * as OP_SRC_FILE's (empty: rows as print() formats them). */
#define OP_TEXT_SINK_PARAMS(F, S) F(S, STR, path) F(S, BOOL, overwrite) F(S, STRS, format)
/* OP_SINK_COLLECT: the name the client finds the rows under. */
#define OP_COLLECT_PARAMS(F, S) F(S, STR, name)
/* OP_PROCESS (udf = process function): the timer function (may be NULL). */
#define OP_PROCESS_PARAMS(F, S) F(S, STR, on_timer)
/* OP_CO_PROCESS (udf = function of input 0): the timer function (may be NULL) and the function
 * of input 1. */
#define OP_CO_PROCESS_PARAMS(F, S) F(S, STR, on_timer) F(S, STR, second)
/* OP_INTERVAL_JOIN (udf = join function): inclusive bounds (exclusive ones already moved in). */
#define OP_INTERVAL_JOIN_PARAMS(F, S) F(S, I64, lower) F(S, I64, upper)
/* OP_WINDOW_JOIN (udf = join or coGroup function): assigner is a spate_window_kind (tumbling,
 * sliding or session, event time; a session's gap is its size and slide), mode 1 join, 2
 * coGroup. */
#define OP_WINDOW_JOIN_PARAMS(F, S)                                                               \
  F(S, U8, assigner) F(S, I64, size) F(S, I64, slide) F(S, I64, offset) F(S, U8, mode)
/* OP_WINDOW (keyed; udf = reduce or window function, or the aggregate's add):
 *  - the assigner (spate_window_kind, spate_time_domain, sizes in ms), allowed lateness and the
 *    side-output tag of late records (may be NULL);
 *  - fn: WINDOW_FN_REDUCE, WINDOW_FN_APPLY or WINDOW_FN_AGGREGATE;
 *  - the trigger (spate_trigger_kind, purging, count, interval, delta threshold and function)
 *    and the evictor (spate_evictor_kind, evict after, count, window, threshold, function);
 *  - window_all: every record has one constant key (the node's key is then only nominal, and
 *    the operator runs at parallelism 1);
 *  - the function symbols (each may be NULL): session gap, aggregate create, add, result and
 *    merge, the window function called with the one incremental result, the custom trigger's
 *    callbacks;
 *  - the aggregate's accumulator and result schemas (NULL unless fn is WINDOW_FN_AGGREGATE);
 *  - arrival_order: spate_window_arrival_order, no panes;
 *  - process_fn: the window function (udf for WINDOW_FN_APPLY, else window_fn) is a
 *    spate_process_window_fn (spate_window_process & co), which gets the key; window_clear
 *    (may be NULL) its clear function (spate_window_clear). */
#define OP_WINDOW_PARAMS(F, S)                                                                    \
  F(S, U8, assigner) F(S, U8, domain) F(S, I64, size) F(S, I64, slide) F(S, I64, offset)          \
  F(S, I64, gap) F(S, I64, lateness) F(S, STR, late_tag) F(S, U8, fn)                             \
  F(S, U8, trigger) F(S, BOOL, purging) F(S, I64, trigger_count) F(S, I64, trigger_interval)      \
  F(S, F64, trigger_threshold) F(S, STR, trigger_delta_fn)                                        \
  F(S, U8, evictor) F(S, BOOL, evict_after) F(S, I64, evictor_count) F(S, I64, evictor_window)    \
  F(S, F64, evictor_threshold) F(S, STR, evictor_delta_fn)                                        \
  F(S, BOOL, window_all)                                                                          \
  F(S, STR, gap_fn) F(S, STR, agg_create) F(S, STR, agg_add) F(S, STR, agg_result)                \
  F(S, STR, agg_merge) F(S, STR, window_fn) F(S, STR, on_element) F(S, STR, on_event_time)        \
  F(S, STR, on_processing_time) F(S, STR, on_clear) F(S, STR, on_merge)                           \
  F(S, SCHEMA, acc_schema) F(S, SCHEMA, result_schema) F(S, BOOL, arrival_order)              \
  F(S, BOOL, process_fn) F(S, STR, window_clear)
/* OP_TIMESTAMPS (udf = timestamp function, or none with a field): watermarks is a
 * spate_watermarks, bound the max out-of-orderness, idleness 0 for none (spate_with_idleness),
 * field -1 when the udf extracts timestamps, the custom generator's functions (may be NULL),
 * interval the periodic watermark interval (set from pipeline.auto-watermark-interval when the
 * job is executed). Times in ms. */
#define OP_TIMESTAMPS_PARAMS(F, S)                                                                \
  F(S, U8, watermarks) F(S, I64, bound) F(S, I64, idleness) F(S, I32, field)                      \
  F(S, STR, on_event) F(S, STR, on_periodic) F(S, I64, interval)
/* OP_SINK_FILE (exactly once): as given to spate_sink_file (0 and NULL: the defaults); the
 * format as OP_SRC_FILE's (empty: rows as print() formats them); partition_keys the names of
 * the partition fields (empty: no partitions); schema (may be NULL: the input's) the names rows
 * are written under, over the input's types (a SQL table's columns). */
#define OP_FILE_SINK_PARAMS(F, S)                                                                 \
  F(S, STR, dir) F(S, I64, max_part_size) F(S, I64, rollover_ms) F(S, I64, inactivity_ms)         \
  F(S, STR, bucket_format) F(S, STR, part_prefix) F(S, STR, part_suffix) F(S, STRS, format)       \
  F(S, STRS, partition_keys) F(S, STRS, options) F(S, SCHEMA, schema)
/* OP_PARTITION_COMMIT: the file sink's directory, partition keys and options (key, value, ...:
 * connectors/file_sink_options.h), as its writer's. */
#define OP_PARTITION_COMMIT_PARAMS(F, S)                                                          \
  F(S, STR, dir) F(S, STRS, partition_keys) F(S, STRS, options)
/* OP_SINK_TWO_PHASE (udf = invoke): the transaction functions. */
#define OP_TWO_PHASE_PARAMS(F, S)                                                                 \
  F(S, STR, begin) F(S, STR, pre_commit) F(S, STR, commit) F(S, STR, abort)
/* OP_SQL_WINDOW_AGG (keyed by the GROUP BY fields besides window_start and window_end;
 * operators/sql_window_agg.c): Flink's window table function aggregation, append-only output.
 * window a sql_window_kind; size (TUMBLE, HOP, CUMULATE's largest window), slide (HOP), step
 * (CUMULATE), gap (SESSION), offset (TUMBLE, HOP, CUMULATE), all in ms; time_field the input's
 * time attribute, TIMESTAMP(3) or TIMESTAMP_LTZ(3) NOT NULL, for event time, or -1 for processing
 * time; input_updating must be false (the operator refuses an updating input); group_fields and
 * the aggregate calls as OP_SQL_GROUP_AGG's; emit_start, emit_end, emit_time: whether the output
 * has window_start, window_end, window_time (= window_end - 1 ms). The output schema is the group
 * fields, then those of window_start, window_end, window_time that are emitted, in that order
 * (TIMESTAMP(3) NOT NULL, or TIMESTAMP_LTZ(3) NOT NULL for a TIMESTAMP_LTZ or processing time
 * attribute, as Flink), then one field per call; no $row_kind. */
#define OP_SQL_WINDOW_AGG_PARAMS(F, S)                                                            \
  F(S, U8, window) F(S, I64, size) F(S, I64, slide) F(S, I64, step) F(S, I64, gap)                \
  F(S, I64, offset) F(S, I32, time_field) F(S, BOOL, input_updating) F(S, I32S, group_fields)     \
  F(S, I32S, agg_kinds) F(S, I32S, agg_args) F(S, I32S, agg_distinct) F(S, I32S, agg_filters)     \
  F(S, BOOL, emit_start) F(S, BOOL, emit_end) F(S, BOOL, emit_time)

/* OP_SQL_GROUP_AGG (keyed by the GROUP BY fields; operators/sql_group_agg.c): Flink's
 * GroupAggFunction. input_updating: the input rows carry the $row_kind last field
 * (types/row_kind.h); group_fields the input fields of the GROUP BY, copied to the output's
 * first fields in this order (none for a global aggregation); the aggregate calls as four
 * parallel lists, one entry per call (operators/sql_aggregates.h): agg_kinds a sql_agg_kind,
 * agg_args the input field aggregated (-1 for COUNT(*)), agg_distinct 0/1, agg_filters the
 * BOOLEAN input field of FILTER (WHERE ...) (-1: none); state_ttl_ms table.exec.state.ttl (0:
 * none); update_before: emit -U before +U (Flink's default; false: +U only). The output schema
 * (the node's) is the group fields, one field per call of its result type, then $row_kind. */
#define OP_SQL_GROUP_AGG_PARAMS(F, S)                                                             \
  F(S, BOOL, input_updating) F(S, I32S, group_fields) F(S, I32S, agg_kinds) F(S, I32S, agg_args)  \
  F(S, I32S, agg_distinct) F(S, I32S, agg_filters) F(S, I64, state_ttl_ms)                        \
  F(S, BOOL, update_before)

/* OP_SQL_CALC: the calc programs (operators/sql_program.h) the SQL compiler wrote: one for a
 * Calc, one per grouping set for an Expand (each record through every program in turn). */
#define OP_SQL_CALC_PARAMS(F, S) F(S, BLOBS, program)

/* OP_SQL_WINDOW_TVF (operators/sql_window_tvf.c): a window table function without aggregation,
 * Flink's AlignedWindowTableFunctionOperator. window (TUMBLE, HOP or CUMULATE), size, slide,
 * step, offset and time_field as OP_SQL_WINDOW_AGG's. The output schema is the input's fields
 * (no $row_kind: the input is insert-only), then window_start, window_end, window_time of
 * OP_SQL_WINDOW_AGG's types. */
#define OP_SQL_WINDOW_TVF_PARAMS(F, S)                                                            \
  F(S, U8, window) F(S, I64, size) F(S, I64, slide) F(S, I64, step) F(S, I64, offset)             \
  F(S, I32, time_field)

/* OP_SQL_JOIN (two inputs, each keyed by its join key: the same number of fields of the same
 * types; operators/sql_join.c): Flink's StreamingJoinOperator. join_type an OP_SQL_JOIN_* below;
 * left_updating, right_updating: that input's rows carry $row_kind last; output_updating: the
 * output's do; condition: none, or one calc program (operators/sql_program.h) over the output's
 * row whose filter is the residual condition of a pair (its projections copy every field);
 * state_ttl_ms table.exec.state.ttl (0: none); singleton: the join has no key, each input's
 * last data field is a constant the planner added as its key (not part of the output). The
 * output schema is the left input's data fields, the right's (nullable where padded), then
 * $row_kind when output_updating. */
enum { OP_SQL_JOIN_INNER = 1, OP_SQL_JOIN_LEFT, OP_SQL_JOIN_RIGHT, OP_SQL_JOIN_FULL };
#define OP_SQL_JOIN_PARAMS(F, S)                                                                  \
  F(S, U8, join_type) F(S, BOOL, left_updating) F(S, BOOL, right_updating)                        \
  F(S, BOOL, output_updating) F(S, BLOBS, condition) F(S, I64, state_ttl_ms)                     \
  F(S, BOOL, singleton)

/* OP_SQL_RANK (keyed by the PARTITION BY fields; operators/sql_rank.c): Flink's Top-N
 * functions. strategy OP_SQL_RANK_APPEND (insert-only input: AppendOnlyTopNFunction, or
 * FastTop1Function for rows 1 to 1) or OP_SQL_RANK_RETRACT (updating input, $row_kind last:
 * RetractableTopNFunction); order_fields, order_desc and order_nulls_first (0/1 each) the ORDER BY;
 * rank_start, rank_end the rows kept (1-based, inclusive); output_number: the row number is an
 * output field; update_before: emit -U before +U; state_ttl_ms table.exec.state.ttl (0: none);
 * singleton: no PARTITION BY, the input's last data field is a constant the planner added as its
 * key (not stored, not output). The output schema is the input's data fields, the number (BIGINT
 * NOT NULL) when output_number, then $row_kind. */
enum { OP_SQL_RANK_APPEND = 1, OP_SQL_RANK_RETRACT };
#define OP_SQL_RANK_PARAMS(F, S)                                                                  \
  F(S, U8, strategy) F(S, I32S, order_fields) F(S, I32S, order_desc)                              \
  F(S, I32S, order_nulls_first) F(S, I64, rank_start) F(S, I64, rank_end)                        \
  F(S, BOOL, output_number) F(S, BOOL, update_before) F(S, I64, state_ttl_ms)                    \
  F(S, BOOL, singleton)

/* OP_SQL_DEDUPLICATE (keyed by the PARTITION BY fields, insert-only input;
 * operators/sql_deduplicate.c): Flink's deduplicate functions. keep_last: the last row (else the
 * first); time_field the rowtime field rows are ordered on, or -1 for processing time (arrival
 * order); update_before, state_ttl_ms and singleton as OP_SQL_RANK's. The output schema is the
 * input's data fields, then $row_kind unless the output is insert-only (the first row on
 * processing time). */
#define OP_SQL_DEDUPLICATE_PARAMS(F, S)                                                           \
  F(S, BOOL, keep_last) F(S, I32, time_field) F(S, BOOL, update_before) F(S, I64, state_ttl_ms)  \
  F(S, BOOL, singleton)

/* OP_SQL_OVER_AGG (keyed by the PARTITION BY fields, insert-only input;
 * operators/sql_over_agg.c): Flink's over-aggregate functions. time_field the ORDER BY's rowtime
 * field (TIMESTAMP(3) or TIMESTAMP_LTZ(3)), or -1 for processing time; rows: a ROWS frame (else
 * RANGE); preceding: the rows (ROWS) or ms (RANGE) before the current row in the frame, -1 for
 * UNBOUNDED PRECEDING; the aggregate calls as OP_SQL_GROUP_AGG's; state_ttl_ms and singleton as
 * OP_SQL_RANK's. The output schema is the input's data fields, then one field per call. */
#define OP_SQL_OVER_AGG_PARAMS(F, S)                                                              \
  F(S, I32, time_field) F(S, BOOL, rows) F(S, I64, preceding) F(S, I32S, agg_kinds)               \
  F(S, I32S, agg_args) F(S, I32S, agg_distinct) F(S, I32S, agg_filters) F(S, I64, state_ttl_ms)   \
  F(S, BOOL, singleton)

/* clang-format on */

/* Every kind with parameters: X(kind, struct name, field list). Kinds not listed (map, flat
 * map, filter, reduce, discard, the UDF sink) have none: their params are empty. */
#define OP_PARAMS_KINDS(X)                                                       \
  X(OP_SRC_ELEMENTS, op_elements_params, OP_ELEMENTS_PARAMS)                     \
  X(OP_SRC_FILE, op_file_source_params, OP_FILE_SOURCE_PARAMS)                   \
  X(OP_SRC_SEQUENCE, op_sequence_params, OP_SEQUENCE_PARAMS)                     \
  X(OP_SRC_GENERATOR, op_generator_params, OP_GENERATOR_PARAMS)                  \
  X(OP_SRC_SOCKET, op_socket_params, OP_SOCKET_PARAMS)                           \
  X(OP_AGG, op_agg_params, OP_AGG_PARAMS)                                        \
  X(OP_SINK_PRINT, op_print_params, OP_PRINT_PARAMS)                             \
  X(OP_SINK_TEXT, op_text_sink_params, OP_TEXT_SINK_PARAMS)                      \
  X(OP_SINK_COLLECT, op_collect_params, OP_COLLECT_PARAMS)                       \
  X(OP_PROCESS, op_process_params, OP_PROCESS_PARAMS)                            \
  X(OP_CO_PROCESS, op_co_process_params, OP_CO_PROCESS_PARAMS)                   \
  X(OP_INTERVAL_JOIN, op_interval_join_params, OP_INTERVAL_JOIN_PARAMS)          \
  X(OP_WINDOW_JOIN, op_window_join_params, OP_WINDOW_JOIN_PARAMS)                \
  X(OP_WINDOW, op_window_params, OP_WINDOW_PARAMS)                               \
  X(OP_TIMESTAMPS, op_timestamps_params, OP_TIMESTAMPS_PARAMS)                   \
  X(OP_SINK_FILE, op_file_sink_params, OP_FILE_SINK_PARAMS)                      \
  X(OP_PARTITION_COMMIT, op_partition_commit_params, OP_PARTITION_COMMIT_PARAMS) \
  X(OP_SINK_TWO_PHASE, op_two_phase_params, OP_TWO_PHASE_PARAMS)                 \
  X(OP_SRC_NEXMARK, op_nexmark_params, OP_NEXMARK_PARAMS)                        \
  X(OP_SRC_DATAGEN, op_datagen_params, OP_DATAGEN_PARAMS)                        \
  X(OP_SQL_GROUP_AGG, op_sql_group_agg_params, OP_SQL_GROUP_AGG_PARAMS)          \
  X(OP_SQL_WINDOW_AGG, op_sql_window_agg_params, OP_SQL_WINDOW_AGG_PARAMS)       \
  X(OP_SQL_CALC, op_sql_calc_params, OP_SQL_CALC_PARAMS)                         \
  X(OP_SQL_WINDOW_TVF, op_sql_window_tvf_params, OP_SQL_WINDOW_TVF_PARAMS)       \
  X(OP_SQL_JOIN, op_sql_join_params, OP_SQL_JOIN_PARAMS)                         \
  X(OP_SQL_RANK, op_sql_rank_params, OP_SQL_RANK_PARAMS)                         \
  X(OP_SQL_DEDUPLICATE, op_sql_deduplicate_params, OP_SQL_DEDUPLICATE_PARAMS)    \
  X(OP_SQL_OVER_AGG, op_sql_over_agg_params, OP_SQL_OVER_AGG_PARAMS)

/* ---- by kind ------------------------------------------------------------------------------ */

/* Size of kind k's struct; 0 for a kind without parameters. */
size_t op_params_size(op_kind k);
/* Appends the encoding of p (kind k's struct; NULL for a kind without parameters) to w;
 * SPATE_ENOMEM when w failed. */
int op_params_encode(op_kind k, const void *p, sp_writer *w);
/* Decodes len bytes into p (kind k's struct, zeroed first), strictly (see the top); 0, or
 * SPATE_ECORRUPT / SPATE_ENOMEM with a message in err and p owning nothing. A kind without
 * parameters accepts only empty bytes (p may then be NULL). */
int op_params_decode(op_kind k, const void *data, size_t len, void *p, char *err, size_t err_len);
/* Frees what a decoded struct of kind k owns and zeroes it. */
void op_params_free(op_kind k, void *p);
/* Replaces node n's params by the encoding of p (n->kind's struct); SPATE_ENOMEM. */
int op_params_store(sg_node *n, const void *p);
/* Decodes node n's params into p (n->kind's struct); see op_params_decode. */
int op_params_load(const sg_node *n, void *p, char *err, size_t err_len);

/* Moves an owned string or schema out of a loaded struct (the field becomes NULL); the caller
 * frees it (sp_free, schema_unref). */
static inline char *op_params_take_str(const char **field) {
  char *s = (char *)(uintptr_t)*field;
  *field = NULL;
  return s;
}
static inline spate_schema *op_params_take_schema(const spate_schema **field) {
  spate_schema *s = (spate_schema *)(uintptr_t)*field;
  *field = NULL;
  return s;
}

/* ---- the structs and their typed functions --------------------------------------------------
 * For each kind: typedef struct op_X_params {...} op_X_params; and
 *   int op_X_params_store(sg_node *n, const op_X_params *p);   n->kind must be the kind
 *   int op_X_params_load(const sg_node *n, op_X_params *p, char *err, size_t err_len);
 *   void op_X_params_free(op_X_params *p);
 * which are op_params_store, _load and _free with the struct's type checked by the compiler and
 * the node's kind checked at run time (a mismatch is SPATE_EINVAL). */
#define OPP_MEMBER(S, T, name) OPP_CTYPE_##T name;
#define OPP_DECLARE(KIND, NAME, FIELDS)                                  \
  typedef struct NAME {                                                  \
    FIELDS(OPP_MEMBER, NAME)                                             \
  } NAME;                                                                \
  int NAME##_store(sg_node *n, const NAME *p);                           \
  int NAME##_load(const sg_node *n, NAME *p, char *err, size_t err_len); \
  static inline void NAME##_free(NAME *p) { op_params_free(KIND, p); }
OP_PARAMS_KINDS(OPP_DECLARE)
#undef OPP_DECLARE
#endif
