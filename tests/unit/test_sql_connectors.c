/*
 * test_sql_connectors.c: the table factories' checks (sql/sql_connectors.h) on tables created
 * from CREATE TABLE statements in a catalog: Flink's messages for a missing or unknown
 * connector, a connector of the other role, unsupported, missing and mistyped options, datagen's
 * field options, format options, query columns that do not fit the sink, updates into an
 * append-only sink; boundedness; the nodes a source and a sink add (names, uids, params).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "graph/op_params.h"
#include "sql/sql_catalog.h"
#include "sql/sql_connectors.h"
#include "sql/sql_parser.h"

static sql_table *create(sql_catalog *cat, const char *ddl) {
  sql_ast *ast = NULL;
  char err[1024];
  if (sql_parse_statement(ddl, strlen(ddl), (sql_pos){0, 0}, &ast, err, sizeof err) < 0)
    fail_msg("parse: %s", err);
  bool skipped;
  if (sql_catalog_create(cat, ast, &skipped, err, sizeof err) < 0) fail_msg("create: %s", err);
  return cat->tables; /* newest first */
}

typedef struct check_case {
  const char *ddl;
  bool sink;
  const char *expect; /* the whole message; NULL: accepted */
} check_case;

#define WRAP_SRC(opts)                                                                    \
  "Unable to create a source for reading table 'default_catalog.default_database.t'.\n\n" \
  "Table options are:\n\n" opts "\n\nCaused by: "
#define WRAP_SINK(opts)                                                                 \
  "Unable to create a sink for writing table 'default_catalog.default_database.t'.\n\n" \
  "Table options are:\n\n" opts "\n\nCaused by: "

static const check_case CASES[] = {
    {"CREATE TABLE t (a INT) WITH ('rows-per-second' = '1')", false,
     WRAP_SRC("'rows-per-second'='1'") "Table options do not contain an option key 'connector' "
                                       "for discovering a connector."},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'kafka')", false,
     WRAP_SRC("'connector'='kafka'") "Could not find any factory for identifier 'kafka' that "
                                     "implements "
                                     "'org.apache.flink.table.factories.DynamicTableSourceFactory' "
                                     "in the classpath.\n\nAvailable factory identifiers "
                                     "are:\n\ndatagen\nfilesystem\nnexmark\nsocket"},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'kafka')", true,
     WRAP_SINK("'connector'='kafka'") "Could not find any factory for identifier 'kafka' that "
                                      "implements "
                                      "'org.apache.flink.table.factories.DynamicTableSinkFactory' "
                                      "in the classpath.\n\nAvailable factory identifiers "
                                      "are:\n\nblackhole\nfilesystem\nprint"},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'print')", false,
     WRAP_SRC("'connector'='print'") "Connector 'print' can only be used as a sink. It cannot be "
                                     "used as a source."},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'datagen')", true,
     WRAP_SINK("'connector'='datagen'") "Connector 'datagen' can only be used as a source. It "
                                        "cannot be used as a sink."},
    /* Flink's own example (its ExceptionClassifier test), with null-rate added */
    {"CREATE TABLE t (i INT) WITH ('connector' = 'datagen', 'invalid' = 'option')", false,
     WRAP_SRC("'connector'='datagen'\n'invalid'='option'") "Unsupported options found for "
                                                           "'datagen'.\n\nUnsupported "
                                                           "options:\n\ninvalid\n\nSupported "
                                                           "options:\n\nconnector\nfields.i."
                                                           "kind\nfields.i.max\nfields.i.min\n"
                                                           "fields.i.null-rate\nnumber-of-"
                                                           "rows\nrows-per-second"},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'datagen', 'rows-per-second' = 'abc')", false,
     WRAP_SRC("'connector'='datagen'\n'rows-per-second'='abc'") "Could not parse value 'abc' for "
                                                                "key 'rows-per-second'."},
    {"CREATE TABLE t (a INT, s STRING) WITH ('connector' = 'datagen', 'fields.a.kind' = "
     "'sequence', 'fields.a.start' = '1', 'fields.s.min' = '3')",
     false,
     WRAP_SRC("'connector'='datagen'\n'fields.a.kind'='sequence'\n'fields.a.start'='1'\n'fields.s."
              "min'='3'") "Could not find required property 'fields.a.end' for sequence "
                          "generator."},
    {"CREATE TABLE t (a INT, s STRING) WITH ('connector' = 'datagen', 'fields.a.kind' = "
     "'sequence', 'fields.a.start' = '1', 'fields.a.end' = '5', 'fields.s.min' = '3')",
     false,
     WRAP_SRC("'connector'='datagen'\n'fields.a.end'='5'\n'fields.a.kind'='sequence'\n'fields.a."
              "start'='1'\n'fields.s.min'='3'") "Unsupported options found for "
                                                "'datagen'.\n\nUnsupported "
                                                "options:\n\nfields.s.min\n\nSupported "
                                                "options:\n\nconnector\nfields.a.end\nfields.a."
                                                "kind\nfields.a.null-rate\nfields.a.start\n"
                                                "fields.s.kind\nfields.s.length\nfields.s.null-"
                                                "rate\nnumber-of-rows\nrows-per-second"},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'datagen', 'fields.a.min' = 'x')", false,
     WRAP_SRC("'connector'='datagen'\n'fields.a.min'='x'") "Could not parse value 'x' for key "
                                                           "'fields.a.min'."},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'datagen', 'fields.a.kind' = 'weird')", false,
     WRAP_SRC("'connector'='datagen'\n'fields.a.kind'='weird'") "Unsupported generator kind: "
                                                                "weird"},
    {"CREATE TABLE t (a ARRAY<ARRAY<INT>>) WITH ('connector' = 'datagen')", false,
     WRAP_SRC("'connector'='datagen'") "Unsupported type: ARRAY<ARRAY<INT>>"},
    {"CREATE TABLE t (a MULTISET<INT>) WITH ('connector' = 'datagen')", false,
     WRAP_SRC("'connector'='datagen'") "Unsupported type: MULTISET<INT>"},
    {"CREATE TABLE t (a ARRAY<INT>, s VARCHAR(3000000)) WITH ('connector' = 'datagen', "
     "'fields.a.length' = '5')",
     false,
     WRAP_SRC("'connector'='datagen'\n'fields.a.length'='5'") "The length 3000000 of field 's' is "
                                                              "over the 1048576 the datagen "
                                                              "source generates: set "
                                                              "'fields.s.length'."},
    {"CREATE TABLE t (s VARCHAR(10)) WITH ('connector' = 'datagen', 'fields.s.length' = '20')",
     false,
     WRAP_SRC("'connector'='datagen'\n'fields.s.length'='20'") "Custom length '20' for "
                                                               "variable-length type "
                                                               "(VARCHAR/STRING/VARBINARY/BYTES) "
                                                               "field 's' should be shorter than "
                                                               "'10' defined in the schema."},
    {"CREATE TABLE t (a INT, ts TIMESTAMP(3)) WITH ('connector' = 'datagen', 'number-of-rows' = "
     "'10', 'fields.ts.max-past' = '5 s', 'fields.a.null-rate' = '0.5')",
     false, NULL},
    {"CREATE TABLE t (a INT NOT NULL) WITH ('connector' = 'datagen', 'fields.a.null-rate' = "
     "'0.1')",
     false,
     WRAP_SRC("'connector'='datagen'\n'fields.a.null-rate'='0.1'") "The null rate of field 'a' "
                                                                   "must be 0: the field is NOT "
                                                                   "NULL."},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'format' = 'csv')", false,
     WRAP_SRC("'connector'='filesystem'\n'format'='csv'") "One or more required options are "
                                                          "missing.\n\nMissing required options "
                                                          "are:\n\npath"},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = "
     "'avro')",
     true,
     WRAP_SINK("'connector'='filesystem'\n'format'='avro'\n'path'='/tmp/x'") "Could not find any "
                                                                             "factory for "
                                                                             "identifier 'avro' "
                                                                             "that implements "
                                                                             "'org.apache.flink."
                                                                             "table.factories."
                                                                             "SerializationForma"
                                                                             "tFactory' in the "
                                                                             "classpath.\n\nAvail"
                                                                             "able factory "
                                                                             "identifiers "
                                                                             "are:\n\ncsv\njson"},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = "
     "'csv', 'csv.field-delimiter' = ';', 'sink.rolling-policy.file-size' = '1MB')",
     true, NULL},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = "
     "'json', 'csv.field-delimiter' = ';')",
     false, NULL /* checked by prefix below: the list is long */},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'print', 'standard-error' = 'maybe')", true,
     WRAP_SINK("'connector'='print'\n'standard-error'='maybe'") "Could not parse value 'maybe' "
                                                                "for key 'standard-error'."},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'print', 'print-identifier' = 'x')", true, NULL},
    {"CREATE TABLE t (auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, "
     "dateTime TIMESTAMP(3), extra STRING, WATERMARK FOR dateTime AS dateTime - INTERVAL '4' "
     "SECOND) WITH ('connector' = 'nexmark', 'events.num' = '100', 'first-event.rate' = '1000')",
     false, NULL},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'nexmark', 'rate.limited' = 'true')", false,
     NULL /* checked below */},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'nexmark')", false, NULL /* checked below */},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'blackhole', 'x' = 'y')", true,
     WRAP_SINK("'connector'='blackhole'\n'x'='y'") "Unsupported options found for "
                                                   "'blackhole'.\n\nUnsupported "
                                                   "options:\n\nx\n\nSupported "
                                                   "options:\n\nconnector"},
    {"CREATE TABLE t (a INT) WITH ('connector' = 'socket', 'hostname' = 'localhost', 'port' = "
     "'99999', 'format' = 'csv')",
     false,
     WRAP_SRC(
         "'connector'='socket'\n'format'='csv'\n'hostname'='localhost'\n'port'='99999'") "Could "
                                                                                         "not "
                                                                                         "parse "
                                                                                         "value "
                                                                                         "'99999' "
                                                                                         "for key "
                                                                                         "'port'."},
};

static void test_option_checks(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
    const check_case *c = &CASES[i];
    sql_catalog cat = {0};
    sql_table *t = create(&cat, c->ddl);
    char err[4096] = "";
    int rc = c->sink ? sql_sink_check(t, err, sizeof err) : sql_source_check(t, err, sizeof err);
    if (strstr(c->ddl, "'nexmark', 'rate.limited'")) { /* not Spate's: unsupported */
      assert_int_equal(rc, SPATE_EINVAL);
      assert_non_null(strstr(err,
                             "Unsupported options found for 'nexmark'.\n\nUnsupported "
                             "options:\n\nrate.limited\n\nSupported options:\n\n"
                             "auction.avg-size\n"));
    } else if (strstr(c->ddl, "(a INT) WITH ('connector' = 'nexmark')")) {
      assert_int_equal(rc, SPATE_EINVAL);
      assert_non_null(strstr(err,
                             "Caused by: The nexmark source table must be in the schema of "
                             "one of the streams"));
      assert_non_null(strstr(err, "However, it is\na INT"));
    } else if (strstr(c->ddl, "'json', 'csv.field-delimiter'")) {
      /* json with a csv option: unsupported, json's options listed */
      assert_int_equal(rc, SPATE_EINVAL);
      assert_non_null(strstr(err, "Unsupported options:\n\ncsv.field-delimiter\n\nSupported"));
      assert_non_null(strstr(err, "\njson.fail-on-missing-field\n"));
      assert_null(strstr(err, "\ncsv.quote-character"));
    } else if (!c->expect) {
      if (rc != 0) fail_msg("case %zu: refused: %s", i, err);
    } else {
      assert_int_equal(rc, SPATE_EINVAL);
      if (strcmp(err, c->expect) != 0)
        fail_msg("case %zu:\n--- got:\n%s\n--- expected:\n%s", i, err, c->expect);
    }
    sql_catalog_free(&cat);
  }
}

static void test_bounded(void **state) {
  (void)state;
  static const struct {
    const char *ddl;
    bool bounded;
  } cases[] = {
      {"CREATE TABLE t (a INT) WITH ('connector' = 'datagen')", false},
      {"CREATE TABLE t (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '5')", true},
      {"CREATE TABLE t (a INT, b INT) WITH ('connector' = 'datagen', 'fields.b.kind' = "
       "'sequence', 'fields.b.start' = '1', 'fields.b.end' = '3')",
       true},
      {"CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '/x', 'format' = "
       "'csv')",
       true},
      {"CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '/x', 'format' = "
       "'csv', 'source.monitor-interval' = '1 s')",
       false},
      {"CREATE TABLE t (a INT) WITH ('connector' = 'socket', 'hostname' = 'h', 'port' = '9', "
       "'format' = 'json')",
       false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sql_catalog cat = {0};
    sql_table *t = create(&cat, cases[i].ddl);
    char err[2048];
    bool b = !cases[i].bounded;
    if (sql_table_is_bounded(t, &b, err, sizeof err) < 0) fail_msg("case %zu: %s", i, err);
    assert_int_equal(b, cases[i].bounded);
    sql_catalog_free(&cat);
  }
}

/* The scan and sink nodes: names, uids, schemas, params; a second scan gets its own uid. */
static void test_nodes(void **state) {
  (void)state;
  sql_catalog cat = {0};
  sql_table *src = create(&cat,
                          "CREATE TABLE s (a BIGINT, b STRING, c AS a + 1) WITH "
                          "('connector' = 'datagen', 'number-of-rows' = '3')");
  stream_graph *g = sg_new("t");
  char err[2048];
  int node = -1, node2 = -1;
  spate_schema *schema = NULL, *schema2 = NULL;
  if (sql_source_add(g, src, NULL, 2, &node, &schema, err, sizeof err) < 0) fail_msg("%s", err);
  assert_int_equal(schema->nfields, 2); /* physical columns only */
  assert_string_equal(g->nodes[node].name,
                      "TableSourceScan(table=[[default_catalog, default_database, s]], "
                      "fields=[a, b])");
  assert_string_equal(g->nodes[node].uid, "table-source-s");
  assert_int_equal(g->nodes[node].kind, OP_SRC_DATAGEN);
  assert_int_equal(g->nodes[node].parallelism, 2);
  if (sql_source_add(g, src, NULL, 2, &node2, &schema2, err, sizeof err) < 0) fail_msg("%s", err);
  assert_string_equal(g->nodes[node2].uid, "table-source-s-2");

  sql_table *out = create(&cat,
                          "CREATE TABLE o (x BIGINT, y STRING) WITH ('connector' = "
                          "'print', 'print-identifier' = 'id')");
  if (sql_sink_add(g, out, node, schema, false, false, NULL, NULL, 1, err, sizeof err) < 0)
    fail_msg("%s", err);
  const sg_node *sn = &g->nodes[g->nnodes - 1];
  assert_string_equal(sn->name, "Sink(table=[default_catalog.default_database.o], fields=[x, y])");
  assert_string_equal(sn->uid, "table-sink-o");
  op_print_params pp;
  assert_int_equal(op_print_params_load(sn, &pp, err, sizeof err), 0);
  assert_string_equal(pp.identifier, "id");
  assert_true(pp.sql);
  assert_false(pp.row_kind);
  op_print_params_free(&pp);

  /* query columns that do not fit */
  sql_table *bad = create(&cat,
                          "CREATE TABLE t (x INT, y STRING) WITH ('connector' = "
                          "'blackhole')");
  assert_int_equal(sql_sink_add(g, bad, node, schema, false, false, NULL, NULL, 1, err, sizeof err),
                   SPATE_EINVAL);
  assert_string_equal(err,
                      "Column types of query result and sink for "
                      "'default_catalog.default_database.t' do not match.\n"
                      "Cause: Incompatible types for sink column 'x' at position 0.\n\n"
                      "Query schema: [a: BIGINT, b: STRING]\n"
                      "Sink schema:  [x: INT, y: STRING]");
  sql_table *few = create(&cat, "CREATE TABLE f (x BIGINT) WITH ('connector' = 'blackhole')");
  assert_int_equal(sql_sink_add(g, few, node, schema, false, false, NULL, NULL, 1, err, sizeof err),
                   SPATE_EINVAL);
  assert_non_null(strstr(err, "Cause: Different number of columns.\n\n"));

  /* updates: print takes them, filesystem does not */
  const char *u =
      "CREATE TABLE u (x BIGINT, y STRING) WITH ('connector' = 'filesystem', 'path' "
      "= '/tmp/u', 'format' = 'csv')";
  sql_table *fs = create(&cat, u);
  spate_schema *upd = NULL;
  assert_int_equal(
      spate_schema_parse("a BIGINT, b STRING, `$row_kind` TINYINT NOT NULL", &upd, err, sizeof err),
      0);
  assert_int_equal(sql_sink_add(g, fs, node, upd, true, false,
                                "GroupAggregate(groupBy=[b], select=[b, "
                                "COUNT(*) AS cnt])",
                                NULL, 1, err, sizeof err),
                   SPATE_EINVAL);
  assert_string_equal(err,
                      "Table sink 'default_catalog.default_database.u' doesn't support "
                      "consuming update changes which is produced by node "
                      "GroupAggregate(groupBy=[b], select=[b, COUNT(*) AS cnt])");
  if (sql_sink_add(g, out, node, upd, true, false, "x", NULL, 1, err, sizeof err) < 0)
    fail_msg("%s", err);
  sn = &g->nodes[g->nnodes - 1];
  assert_int_equal(op_print_params_load(sn, &pp, err, sizeof err), 0);
  assert_true(pp.row_kind);
  op_print_params_free(&pp);

  schema_unref(upd);
  schema_unref(schema);
  schema_unref(schema2);
  sg_free(g);
  sql_catalog_free(&cat);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_option_checks),
      cmocka_unit_test(test_bounded),
      cmocka_unit_test(test_nodes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
