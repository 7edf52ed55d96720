/*
 * bench_sql.c: `sql-window` and `sql-groupby`: a SQL query run through a SQL session, as the SQL
 * client runs it, against the DataStream job that does the same work through the C API.
 *
 *   sql-window:  datagen (a sequence id 0..rows-1) with computed columns k = id % 10000,
 *                v = id * 7 % 2001 - 1000, ts = CAST(TO_TIMESTAMP_LTZ(id / 1000, 3) AS
 *                TIMESTAMP(3)) (the session's time zone is UTC) and WATERMARK FOR ts AS ts ->
 *                (a TIMESTAMP_LTZ rowtime itself is refused by Spate's watermark assigner) ->
 *                SELECT k, window_start, window_end, SUM(v), COUNT(*)
 *                FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND))
 *                GROUP BY k, window_start, window_end -> blackhole;
 *                baseline: generate the same (k, v, ts) -> monotonous timestamps -> key by k ->
 *                tumbling 1 s event-time window -> aggregate (sum, count) with a window function
 *                emitting (k, start, end, sum, count) -> sink.
 *   sql-groupby: the same table without the watermark ->
 *                SELECT k, COUNT(*), SUM(v) FROM t GROUP BY k -> blackhole (an updating result:
 *                the blackhole takes updates without their -U, so the aggregation emits
 *                changelogMode=[I,UA], as Flink's does in front of it);
 *                baseline: generate (k, v) -> key by k -> a process function keeping (count, sum)
 *                in value state and emitting, as Flink's GroupAggFunction does without
 *                generateUpdateBefore, +I for a key's first row and +U (the new result) for
 *                every other row.
 *
 * Timing: the engine's figure is the wall time of the INSERT statement under table.dml-sync
 * (planning, translation and the job to its end), the baseline's the DataStream job's from the
 * creation of its environment to its end; both at parallelism 1, both over the same rows.
 *
 * Results: the timed INSERT writes into a blackhole, so the results are checked by a run of the
 * same query as a SELECT collected by the session (untimed), whose rows are folded into an
 * order-independent checksum and compared with the baseline's over the same rows. For the window
 * query that run covers all the rows; the group-by's changelog has a record per row or two, which
 * a collected result (strings) cannot hold for millions of rows, so its check covers the first
 * CHECK_ROWS rows (the same query and operators as the timed run). The client's result takes
 * -U, so the collected changelog has them: the fold skips them and compares the +I and +U rows,
 * which are the same with or without -U. A difference fails the benchmark.
 *
 *   bench_sql [build_dir] [--groupby] [--only engine|baseline] [-n rows] [-r runs]
 *
 * --only runs one side's timed runs alone, with no check (for a profiler, or `perf stat` on a
 * loaded machine); it reports that side's figure and no ratio.
 */
#include <stdatomic.h>

#include "base/config.h"
#include "base/strbuf.h"
#include "bench_util.h"
#include "sql/sql_session.h"

#define DEFAULT_WINDOW_ROWS 20000000LL
#define DEFAULT_GROUPBY_ROWS 10000000LL
#define CHECK_ROWS 200000LL /* rows of the group-by's checked SELECT */
#define KEYS 10000

/* The generated row i: the computed columns of the SQL table, in C. */
#define KEY_OF(i) ((i) % KEYS)
#define VALUE_OF(i) ((i)*7 % 2001 - 1000)
#define TS_OF(i) ((i) / 1000)

/* Flink's RowKind bytes: +I, -U, +U. */
enum { KIND_INSERT = 0, KIND_UPDATE_BEFORE = 1, KIND_UPDATE_AFTER = 2 };

int bs_generate_window(spate_ctx *ctx, int64_t index, spate_row_builder *out);
int bs_generate_groupby(spate_ctx *ctx, int64_t index, spate_row_builder *out);
int bs_acc_create(spate_ctx *ctx, spate_row_builder *acc);
int bs_acc_add(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out);
int bs_acc_result(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out);
int bs_window_fn(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *elements,
                 spate_collector *out);
int bs_window_sink(spate_ctx *ctx, const spate_row *in);
int bs_group_open(spate_ctx *ctx, void **user);
void bs_group_close(spate_ctx *ctx, void *user);
int bs_group_process(spate_ctx *ctx, const spate_row *in, spate_collector *out);
int bs_group_sink(spate_ctx *ctx, const spate_row *in);

/* ---- checksums ------------------------------------------------------------------------------ */

/* Order-independent folds: the sum of a hash per output record, and the number of records. */
typedef struct fold {
  uint64_t sum, records;
} fold;

static uint64_t window_mix(int64_t k, int64_t start, int64_t end, int64_t sum, int64_t count) {
  return bench_splitmix64((uint64_t)k * 1000003u ^ (uint64_t)start ^ ((uint64_t)end << 40)) +
         (uint64_t)sum * 31u + (uint64_t)count;
}

static uint64_t change_mix(int kind, int64_t k, int64_t count, int64_t sum) {
  return bench_splitmix64((uint64_t)k * 1000003u ^ (uint64_t)kind << 56) +
         (uint64_t)count * 1000033u + (uint64_t)sum;
}

static _Atomic uint64_t sink_sum, sink_records;

/* ---- the DataStream jobs ---------------------------------------------------------------------- */

int bs_generate_window(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, KEY_OF(i));
  spate_rb_set_bigint(out, 1, VALUE_OF(i));
  spate_rb_set_bigint(out, 2, TS_OF(i));
  return 0;
}

int bs_generate_groupby(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, KEY_OF(i));
  spate_rb_set_bigint(out, 1, VALUE_OF(i));
  return 0;
}

/* Accumulator (k, sum, count): the key rides along so that the window function has it. */
int bs_acc_create(spate_ctx *ctx, spate_row_builder *acc) {
  spate_rb_set_bigint(acc, 0, 0);
  spate_rb_set_bigint(acc, 1, 0);
  spate_rb_set_bigint(acc, 2, 0);
  return 0;
}

int bs_acc_add(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(in, 1));
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2) + 1);
  return 0;
}

int bs_acc_result(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out) {
  for (int f = 0; f < 3; f++) spate_rb_set_bigint(out, f, spate_row_bigint(acc, f));
  return 0;
}

/* Emits (k, window_start, window_end, sum, count), the SQL query's row. */
int bs_window_fn(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *elements,
                 spate_collector *out) {
  spate_row r;
  while (spate_window_next(elements, &r)) {
    spate_row_builder *b = spate_collect_begin(out);
    spate_rb_set_bigint(b, 0, spate_row_bigint(&r, 0));
    spate_rb_set_bigint(b, 1, w->start);
    spate_rb_set_bigint(b, 2, w->end);
    spate_rb_set_bigint(b, 3, spate_row_bigint(&r, 1));
    spate_rb_set_bigint(b, 4, spate_row_bigint(&r, 2));
    int rc = spate_collect_emit(out);
    if (rc < 0) return rc;
  }
  return 0;
}

int bs_window_sink(spate_ctx *ctx, const spate_row *in) {
  atomic_fetch_add(&sink_sum, window_mix(spate_row_bigint(in, 0), spate_row_bigint(in, 1),
                                         spate_row_bigint(in, 2), spate_row_bigint(in, 3),
                                         spate_row_bigint(in, 4)));
  atomic_fetch_add(&sink_records, 1);
  return 0;
}

/* The group-by's keyed process function: value state (count, sum) per key. */
typedef struct group_user {
  spate_state *acc;
  spate_row_builder *rb;
} group_user;

int bs_group_open(spate_ctx *ctx, void **user) {
  group_user *u = calloc(1, sizeof *u);
  spate_schema *s = NULL;
  char err[64];
  if (!u || spate_schema_parse("c BIGINT NOT NULL, s BIGINT NOT NULL", &s, err, sizeof err) < 0)
    return -1;
  spate_state_desc d = {.name = "acc", .kind = SPATE_STATE_VALUE, .schema = s};
  u->acc = spate_ctx_state(ctx, &d);
  u->rb = spate_rb_new(s);
  spate_schema_free(s);
  *user = u;
  return u->acc && u->rb ? 0 : -1;
}

void bs_group_close(spate_ctx *ctx, void *user) {
  group_user *u = user;
  if (!u) return;
  spate_rb_free(u->rb);
  free(u);
}

static int emit_change(spate_collector *out, int kind, int64_t k, int64_t c, int64_t s) {
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_bigint(b, 0, k);
  spate_rb_set_bigint(b, 1, c);
  spate_rb_set_bigint(b, 2, s);
  spate_rb_set_tinyint(b, 3, (int8_t)kind);
  return spate_collect_emit(out);
}

int bs_group_process(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  group_user *u = spate_ctx_user(ctx);
  int64_t k = spate_row_bigint(in, 0), v = spate_row_bigint(in, 1);
  spate_row cur, next;
  int found = spate_value_get(u->acc, &cur);
  if (found < 0) return found;
  int64_t c = found ? spate_row_bigint(&cur, 0) : 0, s = found ? spate_row_bigint(&cur, 1) : 0;
  spate_rb_begin(u->rb);
  spate_rb_set_bigint(u->rb, 0, c + 1);
  spate_rb_set_bigint(u->rb, 1, s + v);
  if (spate_rb_finish(u->rb, &next) < 0) return -1;
  int rc = spate_value_update(u->acc, &next);
  if (rc < 0) return rc;
  return emit_change(out, found ? KIND_UPDATE_AFTER : KIND_INSERT, k, c + 1, s + v);
}

int bs_group_sink(spate_ctx *ctx, const spate_row *in) {
  atomic_fetch_add(&sink_sum, change_mix(spate_row_tinyint(in, 3), spate_row_bigint(in, 0),
                                         spate_row_bigint(in, 1), spate_row_bigint(in, 2)));
  atomic_fetch_add(&sink_records, 1);
  return 0;
}

/* Runs the DataStream job over rows rows at parallelism 1: its seconds (-1 on failure) and the
 * fold of its output. */
static double run_baseline(bool groupby, int64_t rows, bool verbose, fold *out) {
  atomic_store(&sink_sum, 0);
  atomic_store(&sink_records, 0);
  double t0 = bench_now();
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "WARN");
  spate_env_set_parallelism(env, 1);
  spate_stream *s;
  if (groupby) {
    const spate_schema *in = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
    const spate_schema *changes = spate_env_schema(
        env, "k BIGINT NOT NULL, c BIGINT NOT NULL, s BIGINT NOT NULL, kind TINYINT NOT NULL");
    s = spate_name(spate_generate(env, in, bs_generate_groupby, rows), "gen");
    s = spate_process(spate_key_by(s, 0), bs_group_process, NULL, changes);
    spate_udf_lifecycle(spate_name(s, "group-agg"), bs_group_open, bs_group_close);
    spate_sink(s, bs_group_sink);
  } else {
    const spate_schema *in =
        spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL, ts BIGINT NOT NULL");
    const spate_schema *acc =
        spate_env_schema(env, "k BIGINT NOT NULL, s BIGINT NOT NULL, c BIGINT NOT NULL");
    const spate_schema *res = spate_env_schema(
        env,
        "k BIGINT NOT NULL, ws BIGINT NOT NULL, we BIGINT NOT NULL, s BIGINT NOT NULL, "
        "c BIGINT NOT NULL");
    s = spate_name(spate_generate(env, in, bs_generate_window, rows), "gen");
    s = spate_assign_timestamps(s, 2, SPATE_WATERMARKS_MONOTONOUS, 0);
    s = spate_window(spate_key_by(s, 0), spate_tumbling_windows(SPATE_EVENT_TIME, 1000, 0));
    spate_aggregate_fns fns = {.create = bs_acc_create, .add = bs_acc_add, .result = bs_acc_result};
    s = spate_window_aggregate_apply(s, &fns, acc, acc, bs_window_fn, res);
    spate_sink(spate_name(s, "window-agg"), bs_window_sink);
  }
  double t = bench_execute(
      env, groupby ? "bench sql-groupby baseline" : "bench sql-window baseline", t0, verbose);
  out->sum = atomic_load(&sink_sum);
  out->records = atomic_load(&sink_records);
  return t;
}

/* ---- the SQL side ---------------------------------------------------------------------------- */

static sql_session *session;

/* Executes one statement; on failure prints it and the error and returns -1. r (may be NULL) gets
 * the result, which the caller frees. */
static int sql(const char *text, sql_result *r) {
  sql_result own = {0};
  sql_error_kind kind = SQL_ERR_PARSE;
  sp_strbuf err = {0};
  sp_strbuf_add(&err, "");
  int rc = sql_session_execute(session, text, strlen(text), 1, 1, r ? r : &own, &kind, &err);
  if (rc < 0)
    fprintf(stderr, "FAIL: %s\n  %s: %s\n", text, sql_error_kind_name(kind),
            err.data ? err.data : "");
  sql_result_free(&own);
  sp_strbuf_free(&err);
  return rc < 0 ? -1 : 0;
}

/* (Re)creates the source table t over rows rows, and the blackhole sink. */
static int sql_tables(bool groupby, int64_t rows) {
  char ddl[1024];
  if (sql("DROP TABLE IF EXISTS t", NULL) < 0) return -1;
  snprintf(
      ddl, sizeof ddl,
      "CREATE TABLE t (id BIGINT NOT NULL, k AS id %% %d, v AS id * 7 %% 2001 - 1000%s) "
      "WITH ('connector' = 'datagen', 'number-of-rows' = '%lld', 'rows-per-second' = '0', "
      "'fields.id.kind' = 'sequence', 'fields.id.start' = '0', 'fields.id.end' = '%lld')",
      KEYS,
      groupby
          ? ""
          : ", ts AS CAST(TO_TIMESTAMP_LTZ(id / 1000, 3) AS TIMESTAMP(3)), WATERMARK FOR ts AS ts",
      (long long)rows, (long long)rows - 1);
  if (sql(ddl, NULL) < 0) return -1;
  if (sql("DROP TABLE IF EXISTS sink", NULL) < 0) return -1;
  /* the sink's columns have the query's types (k and SUM(v) are INT: Flink's MOD takes the
   * divisor's type; SUM is nullable), so that no implicit cast adds a calc before the sink */
  return sql(groupby ? "CREATE TABLE sink (k INT NOT NULL, c BIGINT NOT NULL, s INT) "
                       "WITH ('connector' = 'blackhole')"
                     : "CREATE TABLE sink (k INT NOT NULL, window_start TIMESTAMP(3) NOT NULL, "
                       "window_end TIMESTAMP(3) NOT NULL, s INT, c BIGINT NOT NULL) "
                       "WITH ('connector' = 'blackhole')",
             NULL);
}

static const char *query(bool groupby) {
  return groupby ? "SELECT k, COUNT(*) AS c, SUM(v) AS s FROM t GROUP BY k"
                 : "SELECT k, window_start, window_end, SUM(v) AS s, COUNT(*) AS c "
                   "FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND)) "
                   "GROUP BY k, window_start, window_end";
}

/* The timed run: INSERT INTO sink <query> over rows rows; its seconds or -1. */
static double run_engine(bool groupby, int64_t rows) {
  if (sql_tables(groupby, rows) < 0) return -1;
  char insert[1024];
  snprintf(insert, sizeof insert, "INSERT INTO sink %s", query(groupby));
  double t0 = bench_now();
  if (sql(insert, NULL) < 0) return -1;
  return bench_now() - t0;
}

static bool parse_i64(const char *s, int64_t *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end) return false;
  *out = v;
  return true;
}

/* "YYYY-MM-DD HH:MM:SS.mmm" (UTC) to milliseconds since the epoch. */
static bool parse_ts(const char *s, int64_t *out) {
  int y, mo, d, h, mi, sec, ms;
  if (!s || sscanf(s, "%d-%d-%d %d:%d:%d.%d", &y, &mo, &d, &h, &mi, &sec, &ms) != 7) return false;
  /* days from civil (Howard Hinnant's algorithm) */
  y -= mo <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  *out = ((days * 24 + h) * 60 + mi) * 60000 + sec * 1000LL + ms;
  return true;
}

/* The checked run: the query as a SELECT over rows rows, its collected rows folded as the
 * baseline's sink folds its records. Returns 0, or -1 after printing why. */
static int check_engine(bool groupby, int64_t rows, fold *out) {
  if (sql_tables(groupby, rows) < 0) return -1;
  sql_result r = {0};
  if (sql(query(groupby), &r) < 0) return -1;
  int rc = 0;
  memset(out, 0, sizeof *out);
  for (int64_t i = 0; i < r.nrows && rc == 0; i++) {
    char **c = r.rows[i];
    if (groupby) {
      int64_t k, cnt, s;
      int kind = !strcmp(c[0], "+I")   ? KIND_INSERT
                 : !strcmp(c[0], "-U") ? KIND_UPDATE_BEFORE
                 : !strcmp(c[0], "+U") ? KIND_UPDATE_AFTER
                                       : -1;
      if (kind < 0 || !parse_i64(c[1], &k) || !parse_i64(c[2], &cnt) || !parse_i64(c[3], &s))
        rc = -1;
      else if (kind == KIND_UPDATE_BEFORE) /* the client's result only (above) */
        continue;
      else
        out->sum += change_mix(kind, k, cnt, s);
    } else {
      int64_t k, ws, we, s, cnt;
      if (strcmp(c[0], "+I") || !parse_i64(c[1], &k) || !parse_ts(c[2], &ws) ||
          !parse_ts(c[3], &we) || !parse_i64(c[4], &s) || !parse_i64(c[5], &cnt))
        rc = -1;
      else
        out->sum += window_mix(k, ws, we, s, cnt);
    }
    if (rc) {
      fprintf(stderr, "FAIL: unexpected result row %lld:", (long long)i);
      for (int f = 0; f < r.ncols; f++) fprintf(stderr, " %s", c[f] ? c[f] : "NULL");
      fprintf(stderr, "\n");
    }
    out->records++;
  }
  sql_result_free(&r);
  return rc;
}

static sql_session *new_session(void) {
  sp_config *cfg = sp_config_new();
  char err[256];
  sql_session *s = NULL;
  if (!cfg) return NULL;
  /* the configuration a DataStream environment starts from: conf/config.yaml when present */
  if (bench_file_exists("conf/config.yaml") &&
      sp_config_load_file(cfg, "conf/config.yaml", err, sizeof err) < 0)
    fprintf(stderr, "bench_sql: conf/config.yaml: %s\n", err);
  if (sp_config_set(cfg, "log.level", "WARN", "bench", err, sizeof err) < 0 ||
      sql_session_new(cfg, &s) < 0)
    s = NULL;
  sp_config_free(cfg);
  return s;
}

int main(int argc, char **argv) {
  bool groupby = false;
  const char *only = NULL;
  int n = 0;
  for (int i = 0; i < argc; i++) { /* drop our options before the shared parser sees them */
    if (strcmp(argv[i], "--groupby") == 0)
      groupby = true;
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      only = argv[++i];
    else
      argv[n++] = argv[i];
  }
  bench_opts o = bench_parse_args(n, argv);
  int64_t rows = o.count ? o.count : groupby ? DEFAULT_GROUPBY_ROWS : DEFAULT_WINDOW_ROWS;
  int64_t check_rows = groupby && rows > CHECK_ROWS ? CHECK_ROWS : rows;
  const char *name = groupby ? "sql-groupby" : "sql-window";
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("%s: %lld rows over %d keys at parallelism 1: %s\n", name, (long long)rows, KEYS,
         query(groupby));
  if (!(session = new_session())) {
    fprintf(stderr, "FAIL: could not create a SQL session\n");
    return 1;
  }
  if (sql("SET 'table.dml-sync' = 'true'", NULL) < 0 ||
      sql("SET 'parallelism.default' = '1'", NULL) < 0 ||
      sql("SET 'table.local-time-zone' = 'UTC'", NULL) < 0)
    return 1;
  if (only) {
    bool engine = strcmp(only, "engine") == 0;
    if (!engine && strcmp(only, "baseline") != 0) bench_usage(argv[0]);
    bench_best one = {0};
    while (bench_again(&one, &o)) {
      fold f;
      double t = engine ? run_engine(groupby, rows) : run_baseline(groupby, rows, false, &f);
      if (t < 0) return 1;
      bench_record(&one, only, t);
    }
    printf("%s: %lld events in %.3f s = %.0f events/s\n", only, (long long)rows, one.best_s,
           (double)rows / one.best_s);
    sql_session_free(session);
    return 0;
  }

  /* the results, over check_rows rows */
  fold fe, fb;
  if (check_engine(groupby, check_rows, &fe) < 0) return 1;
  if (run_baseline(groupby, check_rows, false, &fb) < 0) return 1;
  printf(
      "check over %lld rows: engine %llu records checksum %llu, baseline %llu records "
      "checksum %llu\n",
      (long long)check_rows, (unsigned long long)fe.records, (unsigned long long)fe.sum,
      (unsigned long long)fb.records, (unsigned long long)fb.sum);
  if (fe.records != fb.records || fe.sum != fb.sum) {
    fprintf(stderr, "FAIL: results differ\n");
    return 1;
  }

  /* the timed runs, over rows rows */
  int64_t expect = groupby ? rows : -1; /* a +I or +U per row */
  bench_best base = {0}, eng = {0};
  while (bench_again(&base, &o) || bench_again(&eng, &o)) {
    if (bench_again(&base, &o)) {
      fold f;
      double t = run_baseline(groupby, rows, base.done == 0, &f);
      if (t < 0) return 1;
      if (rows == check_rows && (f.records != fb.records || f.sum != fb.sum)) {
        fprintf(stderr, "FAIL: the baseline's results changed between runs\n");
        return 1;
      }
      if (expect >= 0 && (int64_t)f.records != expect) {
        fprintf(stderr, "FAIL: the baseline emitted %llu records, not %lld\n",
                (unsigned long long)f.records, (long long)expect);
        return 1;
      }
      bench_record(&base, "baseline", t);
    }
    if (bench_again(&eng, &o)) {
      double t = run_engine(groupby, rows);
      if (t < 0) return 1;
      bench_record(&eng, "engine", t);
    }
  }
  sql_session_free(session);
  bench_report(name, rows, eng.best_s, base.best_s);
  return 0;
}
