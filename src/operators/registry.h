/*
 * registry.h: the built-in transformation operators by kind (map, flat map, filter, keyed reduce
 * and aggregations, user sinks and two-phase-commit sinks). Sources and the built-in sinks are
 * connectors (connectors/registry.h); the TaskExecutor combines both for its tasks.
 */
#ifndef SPATE_OPERATORS_REGISTRY_H
#define SPATE_OPERATORS_REGISTRY_H
#include "runtime/operator.h"

const op_vtable *op_vtable_for(op_kind kind);

extern const op_vtable op_map_vt, op_flat_map_vt, op_filter_vt, op_reduce_vt, op_agg_vt,
    op_sink_udf_vt, op_timestamps_vt, op_process_vt, op_window_vt, op_sink_two_phase_vt;
/* SQL's calc: a compiled filter and projections (sql_calc_operator.c). */
extern const op_vtable op_sql_calc_vt;
/* The process operator running a keyed map, flat map or filter (transform_operators.c). */
extern const op_vtable op_keyed_map_vt, op_keyed_flat_map_vt, op_keyed_filter_vt;
/* SQL's aggregations (sql_group_agg.c, sql_window_agg.c). */
extern const op_vtable op_sql_group_agg_vt, op_sql_window_agg_vt, op_sql_window_tvf_vt,
    op_sql_join_vt, op_sql_rank_vt, op_sql_deduplicate_vt, op_sql_over_agg_vt;
#endif
