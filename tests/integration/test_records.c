/*
 * test_records.c: typed records (spate/record.h) in jobs on the MiniCluster:
 *  - a record of every field type (nullable and NOT NULL) goes through a job at parallelism 2:
 *    built by a generator (struct write for even rows, setters for odd ones), copied by a map
 *    through the struct view, and read back from the job's result with the getters, field by
 *    field, NULLs included;
 *  - a record's schema in a state descriptor: a keyed process function keeps a per-key summary
 *    record in value state, checked against sums computed here;
 *  - the debug checks: a stream read with a record whose field has another type (same field
 *    count), or another field count, and a setter writing into a row of another schema, each
 *    fail the job with a message naming the record and the field; so do the struct view's
 *    whole-record checks, also after a read or write of the right record in the same call.
 * The compile-time checks are tested by tests/unit/record_compile_errors.sh.
 * UDFs have external linkage (the program is linked with -rdynamic) and an rc_ prefix.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "support/testkit.h"

SPATE_RECORD(reading, (id, STRING_NOT_NULL), (ts, TIMESTAMP), (temp, DOUBLE), (ok, BOOLEAN),
             (n, INT_NOT_NULL), (blob, BYTES), (big, BIGINT));
SPATE_RECORD(summary, (id, STRING_NOT_NULL), (total, DOUBLE_NOT_NULL), (count, BIGINT_NOT_NULL));
/* reading's field count, with temp as BIGINT: reading a reading stream with it is a mistake */
SPATE_RECORD(wrong, (id, STRING), (ts, TIMESTAMP), (temp, BIGINT), (ok, BOOLEAN), (n, INT),
             (blob, BYTES), (big, BIGINT));
SPATE_RECORD(pair, (a, BIGINT), (b, BIGINT));

#define NROWS 200
#define NKEYS 5

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "WARN");
  return env;
}

/* The expected fields of row i. */
static bool temp_null(int64_t i) { return i % 7 == 0; }
static double temp_of(int64_t i) { return (double)i * 0.5 - 20; }
static int64_t big_of(int64_t i) { return i * 10000000000LL - 5; }

int rc_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  char id[8], blob[3] = {(char)i, (char)(i + 1), 0};
  snprintf(id, sizeof id, "s%d", (int)(i % NKEYS));
  if (i % 2 == 0) { /* the struct view */
    struct reading r = {.id = {id, (uint32_t)strlen(id)},
                        .ts = 1000 + i,
                        .temp = temp_of(i),
                        .ok = i % 3 == 0,
                        .n = (int32_t)i,
                        .blob = {temp_null(i) ? NULL : blob, 3},
                        .big = big_of(i)};
    reading_write(out, &r);
    if (temp_null(i)) reading_set_temp_null(out);
    return 0;
  }
  reading_set_id_str(out, id); /* the setters */
  reading_set_ts(out, 1000 + i);
  if (temp_null(i))
    reading_set_temp_null(out);
  else
    reading_set_temp(out, temp_of(i));
  reading_set_ok(out, i % 3 == 0);
  reading_set_n(out, (int32_t)i);
  if (temp_null(i))
    reading_set_blob_null(out);
  else
    reading_set_blob(out, blob, 3);
  reading_set_big(out, big_of(i));
  return 0;
}

/* Copies a reading through its struct view (NULL numbers are set NULL again). */
int rc_copy(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  struct reading r = reading_read(in);
  reading_write(out, &r);
  if (reading_temp_is_null(in)) reading_set_temp_null(out);
  return 0;
}

/* Keeps a summary per key in value state (a record's schema in a state descriptor). */
int rc_open_summary(spate_ctx *ctx, void **user) {
  spate_state_desc d = {.name = "summary", .kind = SPATE_STATE_VALUE, .schema = summary_schema()};
  *user = spate_ctx_state(ctx, &d);
  return *user ? 0 : spate_ctx_fail(ctx, "no state");
}

int rc_summarize(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_state *st = spate_ctx_user(ctx);
  spate_row cur;
  struct summary s = {.id = reading_id(in)};
  int rc = spate_value_get(st, &cur);
  if (rc < 0) return rc;
  if (rc == 1) {
    s.total = summary_total(&cur);
    s.count = summary_count(&cur);
  }
  if (!reading_temp_is_null(in)) s.total += reading_temp(in);
  s.count++;
  spate_row_builder *b = spate_collect_begin(out);
  summary_write(b, &s);
  spate_row row;
  if (spate_rb_finish(b, &row) < 0) return spate_ctx_fail(ctx, "%s", spate_rb_error(b));
  if ((rc = spate_value_update(st, &row)) < 0) return rc;
  return summary_emit(out, &s);
}

static void test_round_trip_at_parallelism_2(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 2);
  spate_stream *src = spate_generate(env, reading_schema(), rc_gen, NROWS);
  spate_stream *copied = spate_map(src, rc_copy, reading_schema());
  spate_collect(copied, "rows");
  spate_stream *sums =
      spate_process(spate_key_by(copied, reading_id_FIELD), rc_summarize, NULL, summary_schema());
  spate_collect(spate_udf_lifecycle(sums, rc_open_summary, NULL), "sums");
  spate_job_result *res = tk_run(env, "records");
  if (spate_job_result_status(res) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(res));

  const spate_row *rows;
  const spate_schema *schema;
  size_t n = spate_job_result_collected(res, "rows", &rows, &schema);
  assert_int_equal(n, NROWS);
  assert_int_equal(spate_schema_num_fields(schema), reading_FIELD_COUNT);
  bool seen[NROWS] = {0};
  for (size_t k = 0; k < n; k++) {
    const spate_row *r = &rows[k];
    int32_t i = reading_n(r);
    assert_true(i >= 0 && i < NROWS);
    assert_false(seen[i]);
    seen[i] = true;
    char id[8];
    snprintf(id, sizeof id, "s%d", i % NKEYS);
    spate_bytes got = reading_id(r);
    assert_int_equal(got.len, strlen(id));
    assert_memory_equal(got.ptr, id, got.len);
    assert_int_equal(reading_ts(r), 1000 + i);
    assert_int_equal(reading_temp_is_null(r), temp_null(i));
    assert_int_equal(reading_blob_is_null(r), temp_null(i));
    if (!temp_null(i)) {
      assert_true(reading_temp(r) == temp_of(i));
      spate_bytes blob = reading_blob(r);
      char want[3] = {(char)i, (char)(i + 1), 0};
      assert_int_equal(blob.len, 3);
      assert_memory_equal(blob.ptr, want, 3);
    } else {
      assert_null(reading_blob(r).ptr);
    }
    assert_int_equal(reading_ok(r), i % 3 == 0);
    assert_int_equal(reading_big(r), big_of(i));
    struct reading v = reading_read(r);
    assert_int_equal(v.n, i);
    assert_int_equal(v.big, big_of(i));
  }

  /* the last summary of each key holds all its readings */
  double total[NKEYS] = {0};
  int64_t count[NKEYS] = {0}, best[NKEYS] = {0};
  double got_total[NKEYS] = {0};
  for (int i = 0; i < NROWS; i++) {
    count[i % NKEYS]++;
    if (!temp_null(i)) total[i % NKEYS] += temp_of(i);
  }
  n = spate_job_result_collected(res, "sums", &rows, NULL);
  assert_int_equal(n, NROWS);
  for (size_t k = 0; k < n; k++) {
    spate_bytes id = summary_id(&rows[k]);
    assert_true(id.len == 2 && id.ptr[0] == 's');
    int key = id.ptr[1] - '0';
    if (summary_count(&rows[k]) > best[key]) {
      best[key] = summary_count(&rows[k]);
      got_total[key] = summary_total(&rows[k]);
    }
  }
  for (int key = 0; key < NKEYS; key++) {
    assert_int_equal(best[key], count[key]);
    assert_true(got_total[key] == total[key]);
  }
  spate_job_result_free(res);
  spate_env_free(env);
}

/* ---- debug checks ------------------------------------------------------------------------- */
int rc_read_wrong_type(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  pair_set_a(out, wrong_temp(in)); /* temp is DOUBLE in the stream */
  pair_set_b(out, 0);
  return 0;
}

int rc_read_wrong_count(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  pair_set_a(out, pair_b(in)); /* the stream's rows have 7 fields */
  pair_set_b(out, 0);
  return 0;
}

int rc_set_wrong_builder(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  summary_set_id(out, "x", 1);
  summary_set_total(out, 1.0);
  summary_set_count(out, 1); /* out is a pair row */
  return 0;
}

/* The struct view checks the whole record once (R_read, R_write) and remembers a match per
 * operator input or builder: a right read first must not let a wrong one through after it. */
int rc_read_struct_after_right_one(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  struct reading r = reading_read(in);
  struct wrong w = wrong_read(in); /* temp is DOUBLE in the stream */
  pair_write(out, &(struct pair){r.big, w.big});
  return 0;
}

int rc_write_struct_after_right_one(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  pair_write(out, &(struct pair){1, 2});
  summary_write(out, &(struct summary){{"x", 1}, 1.0, 1}); /* out is a pair row */
  return 0;
}

/* Runs source -> map(fn) -> collect at parallelism 2 and returns the job's error. */
static char *run_failing(spate_map_fn fn) {
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 2);
  spate_stream *src = spate_generate(env, reading_schema(), rc_gen, NROWS);
  spate_collect(spate_name(spate_map(src, fn, pair_schema()), "reader"), "out");
  return tk_run_failing(env, "wrong record");
}

static void test_wrong_field_type_fails_naming_field(void **state) {
  (void)state;
  if (!SPATE_RECORD_CHECKS) skip();
  char *err = run_failing(rc_read_wrong_type);
  tk_assert_contains(err, "'reader'");
  tk_assert_contains(err, "record 'wrong', field 'temp' is BIGINT");
  tk_assert_contains(err, "'temp' DOUBLE");
  free(err);
}

static void test_wrong_field_count_fails_naming_field(void **state) {
  (void)state;
  if (!SPATE_RECORD_CHECKS) skip();
  char *err = run_failing(rc_read_wrong_count);
  tk_assert_contains(err, "record 'pair', field 'b': the row has 7 fields, the record 2");
  free(err);
}

static void test_setter_on_other_schema_fails_naming_field(void **state) {
  (void)state;
  if (!SPATE_RECORD_CHECKS) skip();
  char *err = run_failing(rc_set_wrong_builder);
  tk_assert_contains(err, "record 'summary', field 'id': the row being built has 2 fields");
  free(err);
}

static void test_struct_read_of_wrong_record_fails_after_right_one(void **state) {
  (void)state;
  if (!SPATE_RECORD_CHECKS) skip();
  char *err = run_failing(rc_read_struct_after_right_one);
  tk_assert_contains(err, "'reader'");
  tk_assert_contains(err, "record 'wrong', field 'temp' is BIGINT");
  free(err);
}

static void test_struct_write_into_other_schema_fails_after_right_one(void **state) {
  (void)state;
  if (!SPATE_RECORD_CHECKS) skip();
  char *err = run_failing(rc_write_struct_after_right_one);
  tk_assert_contains(err, "record 'summary', field 'id': the row being built has 2 fields");
  free(err);
}

/* A record's schema is one per process and equals the parsed spec. */
static void test_schema(void **state) {
  (void)state;
  const spate_schema *s = reading_schema();
  assert_non_null(s);
  assert_ptr_equal(s, reading_schema());
  assert_int_equal(spate_schema_num_fields(s), 7);
  assert_string_equal(spate_schema_field_name(s, reading_blob_FIELD), "blob");
  assert_int_equal(spate_schema_field_type(s, reading_blob_FIELD), SPATE_BYTES);
  assert_int_equal(spate_schema_field_type(s, reading_ts_FIELD), SPATE_TIMESTAMP);
  assert_int_equal(reading_big_FIELD, 6);
  spate_schema *parsed = NULL;
  char err[256];
  assert_int_equal(spate_schema_parse("id STRING NOT NULL, ts TIMESTAMP, temp DOUBLE, ok BOOLEAN, "
                                      "n INT NOT NULL, blob BYTES, big BIGINT",
                                      &parsed, err, sizeof err),
                   0);
  spate_env *env = new_env(); /* equal schemas: a union of the two is accepted */
  spate_stream *a = spate_generate(env, s, rc_gen, 1), *b = spate_generate(env, parsed, rc_gen, 1);
  assert_non_null(spate_union(a, b));
  assert_null(spate_env_error(env));
  spate_env_free(env);
  spate_schema_free(parsed);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_schema),
      cmocka_unit_test(test_round_trip_at_parallelism_2),
      cmocka_unit_test(test_wrong_field_type_fails_naming_field),
      cmocka_unit_test(test_wrong_field_count_fails_naming_field),
      cmocka_unit_test(test_setter_on_other_schema_fails_naming_field),
      cmocka_unit_test(test_struct_read_of_wrong_record_fails_after_right_one),
      cmocka_unit_test(test_struct_write_into_other_schema_fails_after_right_one),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
