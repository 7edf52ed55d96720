/*
 * restore_ops.h: the operators fuzz_operator_restore restores from fuzzed snapshots, and the
 * script that drives them, shared with make_seeds.c (which snapshots each after half the script
 * to make the seeds). Each operator runs alone in the operator harness (tests/unit/harness.h)
 * as subtask 0 of parallelism 1 with max parallelism 128, on rows (k BIGINT, v BIGINT).
 *
 * Header-only and for one program each: the UDFs have external linkage (found by name with
 * dlsym, so the program is linked with -rdynamic) and an fr_ prefix. Include fuzz.h and
 * <cmocka.h> (which the harness needs for declarations only) before it.
 */
#ifndef SPATE_TESTS_FUZZ_RESTORE_OPS_H
#define SPATE_TESTS_FUZZ_RESTORE_OPS_H
#include "../unit/harness.h"
#include "../unit/sql_agg_harness.h"
#include "spate/nexmark.h"

#define FR_MAX_PARALLELISM 128

enum {
  FR_KEYED_REDUCE,
  FR_TUMBLING_REDUCE,
  FR_SESSION_APPLY,
  FR_SLIDING_COUNT_TRIGGER,
  FR_COUNT_WINDOWS,
  FR_KEYED_PROCESS,
  FR_INTERVAL_JOIN,
  FR_SEQUENCE_SOURCE,
  FR_ELEMENTS_SOURCE,
  FR_FILE_SOURCE,
  FR_TWO_PHASE_SINK,
  FR_OPERATOR_STATE,
  FR_NEXMARK_SOURCE,
  FR_SQL_GROUP_AGG,
  FR_SQL_WINDOW_AGG,
  FR_SQL_RANK,
  FR_SQL_DEDUPLICATE,
  FR_SQL_OVER_AGG,
  FR_NKINDS
};

static inline const char *fr_kind_name(int kind) {
  static const char *const names[FR_NKINDS] = {
      "keyed-reduce",    "tumbling-reduce", "session-apply",  "sliding-count-trigger",
      "count-windows",   "keyed-process",   "interval-join",  "sequence-source",
      "elements-source", "file-source",     "two-phase-sink", "operator-state",
      "nexmark-source",  "sql-group-agg",   "sql-window-agg", "sql-rank",
      "sql-deduplicate", "sql-over-agg"};
  return kind >= 0 && kind < FR_NKINDS ? names[kind] : "?";
}

/* ---- UDFs ------------------------------------------------------------------------------------ */

int fr_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out);
int fr_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_field(out, 0, acc, 0);
  spate_rb_set_bigint(
      out, 1, (int64_t)((uint64_t)spate_row_bigint(acc, 1) + (uint64_t)spate_row_bigint(in, 1)));
  return 0;
}

/* (k, number of elements) */
int fr_apply(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *el,
             spate_collector *out);
int fr_apply(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *el,
             spate_collector *out) {
  spate_row r;
  int64_t n = 0, k = 0;
  while (spate_window_next(el, &r)) {
    k = spate_row_bigint(&r, 0);
    n++;
  }
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_bigint(b, 0, k);
  spate_rb_set_bigint(b, 1, n);
  return spate_collect_emit(out);
}

/* Keyed process: a count per key in VALUE state "count" (n BIGINT NOT NULL), an event-time
 * timer at v + 10 and a processing-time timer at 1000 + k; a timer emits (k, count). */
static const spate_schema *fr_count_schema(void) {
  static spate_schema *s; /* one per process, like a job's own schemas */
  if (!s) {
    char err[128];
    FUZZ_CHECK(spate_schema_parse("n BIGINT NOT NULL", &s, err, sizeof err) == 0, "%s", err);
  }
  return s;
}

static spate_state *fr_count_state(spate_ctx *ctx) {
  spate_state_desc d = {.name = "count", .kind = SPATE_STATE_VALUE, .schema = fr_count_schema()};
  return spate_ctx_state(ctx, &d);
}

int fr_count(spate_ctx *ctx, const spate_row *in, spate_collector *out);
int fr_count(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_state *st = fr_count_state(ctx);
  if (!st) return -1;
  spate_row cur, next;
  int rc = spate_value_get(st, &cur);
  if (rc < 0) return rc;
  spate_row_builder *b = spate_rb_new(fr_count_schema());
  spate_rb_begin(b);
  spate_rb_set_bigint(b, 0, rc == 1 ? spate_row_bigint(&cur, 0) + 1 : 1);
  rc = spate_rb_finish(b, &next);
  if (rc == 0) rc = spate_value_update(st, &next);
  spate_rb_free(b);
  if (rc < 0) return rc;
  if ((rc = spate_ctx_register_event_timer(ctx, spate_row_bigint(in, 1) + 10)) < 0) return rc;
  return spate_ctx_register_processing_timer(ctx, 1000 + spate_row_bigint(in, 0));
}

int fr_fired(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out);
int fr_fired(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out) {
  spate_row cur;
  int rc = spate_value_get(fr_count_state(ctx), &cur);
  if (rc < 0) return rc;
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_field(b, 0, spate_ctx_current_key(ctx), 0);
  spate_rb_set_bigint(b, 1, rc == 1 ? spate_row_bigint(&cur, 0) : 0);
  return spate_collect_emit(out);
}

/* Interval join: (left k, right v) */
int fr_join(spate_ctx *ctx, const spate_row *l, const spate_row *r, spate_row_builder *out);
int fr_join(spate_ctx *ctx, const spate_row *l, const spate_row *r, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(l, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(r, 1));
  return 0;
}

/* Two-phase sink: transactions named "txn-<n>", nothing written anywhere. */
int fr_txn_begin(spate_ctx *ctx, spate_txn *txn);
int fr_txn_begin(spate_ctx *ctx, spate_txn *txn) {
  static int n;
  char id[32];
  int len = snprintf(id, sizeof id, "txn-%d", n++);
  return spate_txn_set_id(txn, id, (size_t)len);
}
int fr_txn_invoke(spate_ctx *ctx, spate_txn *txn, const spate_row *in);
int fr_txn_invoke(spate_ctx *ctx, spate_txn *txn, const spate_row *in) { return 0; }
int fr_txn_done(spate_ctx *ctx, spate_txn *txn);
int fr_txn_done(spate_ctx *ctx, spate_txn *txn) {
  size_t len = 0;
  const void *id = spate_txn_id(txn, &len);
  if (id) fuzz_touch(id, len);
  return 0;
}

/* Operator state: a map whose open declares a SPLIT list "seen" of its input rows and whose
 * map adds every row to it. */
int fr_state_open(spate_ctx *ctx, void **user);
int fr_state_open(spate_ctx *ctx, void **user) {
  static spate_schema *s; /* the state keeps the pointer: one per process */
  char err[64];
  if (!s)
    FUZZ_CHECK(spate_schema_parse("k BIGINT NOT NULL, v BIGINT NOT NULL", &s, err, sizeof err) == 0,
               "%s", err);
  spate_operator_state *st = spate_ctx_operator_state(ctx, "seen", s, SPATE_LIST_SPLIT);
  if (!st) return -1;
  for (size_t i = 0; i < spate_operator_state_size(st); i++) {
    spate_row r;
    FUZZ_CHECK(spate_operator_state_get(st, i, &r), "row %zu missing", i);
    fuzz_touch(r.data, r.len);
  }
  *user = st;
  return 0;
}
int fr_state_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out);
int fr_state_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  spate_operator_state *st = spate_ctx_user(ctx);
  int rc = spate_operator_state_add(st, in);
  if (rc < 0) return rc;
  spate_rb_set_field(out, 0, in, 0);
  spate_rb_set_field(out, 1, in, 1);
  return 0;
}

/* ---- the operators ----------------------------------------------------------------------------- */

static inline spate_stream *fr_rows(spate_env *env) {
  return spate_from_rows(env, spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL"), NULL,
                         0);
}

/* The file the file source reads. Checkpoints name the file, so its path is the same in
 * every process (seeds made by one process restore in another); its contents never change, so
 * processes that write it at the same time agree (each writes its own copy and renames it). */
#define FR_INPUT_FILE "/tmp/spate-fuzz-lines.txt"
static inline const char *fr_input_file(void) {
  static bool written;
  if (!written) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.%d", FR_INPUT_FILE, (int)getpid());
    static const char text[] = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n";
    fuzz_write_file(tmp, text, sizeof text - 1);
    FUZZ_CHECK(rename(tmp, FR_INPUT_FILE) == 0, "cannot create %s", FR_INPUT_FILE);
    written = true;
  }
  return FR_INPUT_FILE;
}

/* Builds the operator of `kind` in env; NULL for a kind out of range. */
static inline spate_stream *fr_build(spate_env *env, int kind) {
  const spate_schema *kv = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  spate_stream *s = NULL;
  switch (kind) {
  case FR_KEYED_REDUCE: s = spate_reduce(spate_key_by(fr_rows(env), 0), fr_sum); break;
  case FR_TUMBLING_REDUCE:
    s = spate_window_reduce(spate_window(spate_key_by(fr_rows(env), 0),
                                         spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0)),
                            fr_sum);
    break;
  case FR_SESSION_APPLY:
    s = spate_window_apply(
        spate_window(spate_key_by(fr_rows(env), 0), spate_session_windows(SPATE_EVENT_TIME, 5)),
        fr_apply, kv);
    break;
  case FR_SLIDING_COUNT_TRIGGER: {
    spate_stream *w = spate_window(spate_key_by(fr_rows(env), 0),
                                   spate_sliding_windows(SPATE_EVENT_TIME, 10, 5, 0));
    s = spate_window_apply(spate_window_trigger(w, spate_count_trigger(2)), fr_apply, kv);
    break;
  }
  case FR_COUNT_WINDOWS:
    s = spate_window_reduce(spate_window(spate_key_by(fr_rows(env), 0), spate_count_windows(3, 2)),
                            fr_sum);
    break;
  case FR_KEYED_PROCESS:
    s = spate_process(spate_key_by(fr_rows(env), 0), fr_count, fr_fired, kv);
    break;
  case FR_INTERVAL_JOIN:
    s = spate_interval_join(spate_key_by(fr_rows(env), 0), spate_key_by(fr_rows(env), 0), -5, 5,
                            false, false, fr_join, kv);
    break;
  case FR_SEQUENCE_SOURCE: s = spate_from_sequence(env, 1, 40); break;
  case FR_NEXMARK_SOURCE: {
    const char *opts[] = {"events.num", "40", "base-time", "1700000000000", NULL};
    s = spate_nexmark_source(env, SPATE_NEXMARK_EVENTS, opts);
    break;
  }
  case FR_ELEMENTS_SOURCE: {
    spate_row_builder *b = spate_rb_new(kv);
    spate_row rows[6];
    for (int i = 0; i < 6; i++) {
      spate_row r = harness_row2(b, i, 10 * i);
      FUZZ_CHECK(spate_row_copy(&r, &rows[i]) == 0, "out of memory");
    }
    s = spate_from_rows(env, kv, rows, 6);
    for (int i = 0; i < 6; i++) spate_row_free(&rows[i]);
    spate_rb_free(b);
    break;
  }
  case FR_FILE_SOURCE: s = spate_read_text_file(env, fr_input_file()); break;
  case FR_TWO_PHASE_SINK:
    s = spate_sink_two_phase(fr_rows(env), fr_txn_begin, fr_txn_invoke, fr_txn_done, fr_txn_done,
                             fr_txn_done);
    break;
  case FR_OPERATOR_STATE:
    s = spate_udf_lifecycle(spate_map(fr_rows(env), fr_state_map, kv), fr_state_open, NULL);
    break;
  case FR_SQL_GROUP_AGG: { /* k, COUNT(DISTINCT v), SUM(v), MIN(v), MAX(v), AVG(v) */
    op_sql_group_agg_params p = {
        .group_fields = SQL_LIST(0),
        .agg_kinds = SQL_LIST(SQL_AGG_COUNT, SQL_AGG_SUM, SQL_AGG_MIN, SQL_AGG_MAX, SQL_AGG_AVG),
        .agg_args = SQL_LIST(1, 1, 1, 1, 1),
        .agg_distinct = SQL_LIST(1, 0, 0, 0, 0),
        .agg_filters = SQL_LIST(-1, -1, -1, -1, -1),
        .update_before = true};
    const spate_schema *out =
        spate_env_schema(env,
                         "k BIGINT NOT NULL, c BIGINT NOT NULL, s BIGINT, mi BIGINT, "
                         "ma BIGINT, av BIGINT, `$row_kind` TINYINT NOT NULL");
    s = sql_agg_node(spate_key_by(fr_rows(env), 0), OP_SQL_GROUP_AGG, &p, out);
    break;
  }
  case FR_SQL_WINDOW_AGG: { /* processing-time sessions (the rows have no TIMESTAMP field) */
    op_sql_window_agg_params p = {.window = SQL_WINDOW_SESSION,
                                  .gap = 2,
                                  .time_field = -1,
                                  .group_fields = SQL_LIST(0),
                                  .agg_kinds = SQL_LIST(SQL_AGG_COUNT, SQL_AGG_SUM),
                                  .agg_args = SQL_LIST(1, 1),
                                  .agg_distinct = SQL_LIST(1, 0),
                                  .agg_filters = SQL_LIST(-1, -1),
                                  .emit_start = true,
                                  .emit_end = true};
    const spate_schema *out = spate_env_schema(
        env,
        "k BIGINT NOT NULL, ws TIMESTAMP_LTZ(3) NOT NULL, we TIMESTAMP_LTZ(3) NOT NULL, "
        "c BIGINT NOT NULL, s BIGINT");
    s = sql_agg_node(spate_key_by(fr_rows(env), 0), OP_SQL_WINDOW_AGG, &p, out);
    break;
  }
  case FR_SQL_RANK: { /* the top 3 per k on v descending, numbered */
    op_sql_rank_params p = {.strategy = OP_SQL_RANK_APPEND,
                            .order_fields = SQL_LIST(1),
                            .order_desc = SQL_LIST(1),
                            .order_nulls_first = SQL_LIST(0),
                            .rank_start = 1,
                            .rank_end = 3,
                            .output_number = true,
                            .update_before = true};
    const spate_schema *out = spate_env_schema(
        env,
        "k BIGINT NOT NULL, v BIGINT NOT NULL, rn BIGINT NOT NULL, `$row_kind` TINYINT NOT NULL");
    s = sql_agg_node(spate_key_by(fr_rows(env), 0), OP_SQL_RANK, &p, out);
    break;
  }
  case FR_SQL_DEDUPLICATE: { /* the last row per k in arrival order */
    op_sql_deduplicate_params p = {.keep_last = true, .time_field = -1, .update_before = true};
    const spate_schema *out =
        spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL, `$row_kind` TINYINT NOT NULL");
    s = sql_agg_node(spate_key_by(fr_rows(env), 0), OP_SQL_DEDUPLICATE, &p, out);
    break;
  }
  case FR_SQL_OVER_AGG: { /* processing time, RANGE 3 ms: rows wait for their millisecond */
    op_sql_over_agg_params p = {.time_field = -1,
                                .preceding = 3,
                                .agg_kinds = SQL_LIST(SQL_AGG_SUM, SQL_AGG_MAX),
                                .agg_args = SQL_LIST(1, 1),
                                .agg_distinct = SQL_LIST(0, 0),
                                .agg_filters = SQL_LIST(-1, -1)};
    const spate_schema *out =
        spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL, s BIGINT, m BIGINT");
    s = sql_agg_node(spate_key_by(fr_rows(env), 0), OP_SQL_OVER_AGG, &p, out);
    break;
  }
  default: return NULL;
  }
  return spate_max_parallelism(spate_parallelism(s, 1), FR_MAX_PARALLELISM);
}

static inline bool fr_is_source(int kind) {
  return kind == FR_SEQUENCE_SOURCE || kind == FR_ELEMENTS_SOURCE || kind == FR_FILE_SOURCE ||
         kind == FR_NEXMARK_SOURCE;
}

/* Plays steps [from, to) of the script into the opened operator (or polls a source that many
 * times); stops at the first error and returns it (the message is in h->err). */
static inline int fr_drive(harness *h, int kind, int from, int to) {
  int rc = 0;
  for (int i = from; i < to && rc >= 0; i++) {
    if (fr_is_source(kind)) {
      rc = h->op->vt->poll(h->op, 1);
      if (rc == SRC_END) break;
      continue;
    }
    spate_row_builder *b =
        spate_rb_new(h->op->in_schema ? h->op->in_schema : h->op->node->out_schema);
    int64_t k = (i * 7) % 5, ts = 3 * i;
    spate_row r = harness_row2(b, k, ts);
    rc = harness_element(h, kind == FR_INTERVAL_JOIN ? i % 2 : 0, ts, &r);
    spate_rb_free(b);
    if (rc >= 0 && i % 4 == 3) rc = op_watermark(h->op, 0, ts - 4);
    if (rc >= 0 && kind == FR_INTERVAL_JOIN && i % 4 == 3) rc = op_watermark(h->op, 1, ts - 4);
    if (rc >= 0 && i % 8 == 7) rc = harness_processing_time(h, 1000 + i / 4);
  }
  return rc;
}

#define FR_STEPS 24

/* The operator's snapshot as a task takes it (its own state and the user's operator state),
 * appended to out. */
static inline int fr_snapshot(harness *h, int64_t id, sp_writer *out) {
  op_t *op = h->op;
  snap_writer w;
  int rc = snap_writer_init(
      &w, op->node->max_parallelism,
      ks_key_group_range_for(op->node->max_parallelism, op->ctx.parallelism, op->ctx.subtask));
  if (rc == 0 && op->vt->snapshot) rc = op->vt->snapshot(op, id, &w);
  if (rc == 0) rc = op_snapshot_user_state(op, &w);
  if (rc == 0) rc = snap_encode(&w, out);
  snap_writer_free(&w);
  return rc;
}

/* The end of every run: event time and processing time to the end, so every window, timer and
 * buffered element is fired or dropped. */
static inline int fr_finish(harness *h, int kind) {
  if (fr_is_source(kind)) return 0;
  int rc = op_watermark(h->op, 0, INT64_MAX);
  if (rc >= 0 && kind == FR_INTERVAL_JOIN) rc = op_watermark(h->op, 1, INT64_MAX);
  if (rc >= 0) rc = harness_processing_time(h, INT64_MAX);
  return rc;
}
#endif
