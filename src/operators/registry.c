/* registry.c: maps the transformation kinds of the job graph to the built-in operators. */
#include "operators/registry.h"

const op_vtable *op_vtable_for(op_kind k) {
  switch (k) {
  case OP_MAP: return &op_map_vt;
  case OP_FLAT_MAP: return &op_flat_map_vt;
  case OP_FILTER: return &op_filter_vt;
  case OP_REDUCE: return &op_reduce_vt;
  case OP_AGG: return &op_agg_vt;
  case OP_SINK_UDF: return &op_sink_udf_vt;
  case OP_SINK_TWO_PHASE: return &op_sink_two_phase_vt;
  case OP_TIMESTAMPS: return &op_timestamps_vt;
  case OP_PROCESS:
  case OP_CO_PROCESS:
  case OP_INTERVAL_JOIN:
  case OP_WINDOW_JOIN: return &op_process_vt;
  case OP_WINDOW: return &op_window_vt;
  case OP_SQL_GROUP_AGG: return &op_sql_group_agg_vt;
  case OP_SQL_WINDOW_AGG: return &op_sql_window_agg_vt;
  case OP_SQL_CALC: return &op_sql_calc_vt;
  case OP_SQL_WINDOW_TVF: return &op_sql_window_tvf_vt;
  case OP_SQL_JOIN: return &op_sql_join_vt;
  case OP_SQL_RANK: return &op_sql_rank_vt;
  case OP_SQL_DEDUPLICATE: return &op_sql_deduplicate_vt;
  case OP_SQL_OVER_AGG: return &op_sql_over_agg_vt;
  default: return NULL;
  }
}
