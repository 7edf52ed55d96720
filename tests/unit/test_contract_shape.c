/*
 * test_contract_shape.c: the shape checker of the dashboard contract (tests/rest/contract_shape.h)
 * reports each mismatch once with its JSON pointer (missing keys, wrong JSON types, enums,
 * unions with null, arrays, maps, a base type's keys, metric values as numeric strings, ids that
 * must be one URL path segment), accepts
 * what matches, lints malformed shapes, and the committed contract itself lints clean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "contract_shape.h"

static const char *const types_json =
    "{\"Io\": {\"keys\": {\"read-bytes\": \"integer\", \"read-bytes-complete\": \"boolean\"}},"
    " \"Vertex\": {\"keys\": {\"id\": \"hex32\", \"metrics\": \"@Io\","
    "                         \"status\": {\"enum\": [\"RUNNING\", \"FINISHED\"]}},"
    "              \"optional\": {\"slot\": \"string\"}},"
    " \"Wide\": {\"base\": \"@Vertex\", \"keys\": {\"extra\": \"string|null\"}}}";

/* The messages of checking doc against shape, joined by newlines (caller frees with sp_free). */
static char *check(const char *shape_text, const char *doc_text) {
  json_error_t e;
  json_t *types = json_loads(types_json, 0, &e);
  json_t *shape = json_loads(shape_text, JSON_DECODE_ANY, &e);
  json_t *doc = json_loads(doc_text, JSON_DECODE_ANY, &e);
  assert_non_null(types);
  assert_non_null(shape);
  assert_non_null(doc);
  msg_list out = {0};
  shape_check(types, shape, doc, "", &out);
  size_t len = 1;
  for (int i = 0; i < out.n; i++) len += strlen(out.items[i]) + 1;
  char *all = sp_calloc(1, len);
  for (int i = 0; i < out.n; i++) {
    strcat(all, out.items[i]);
    strcat(all, "\n");
  }
  msgs_free(&out);
  json_decref(types);
  json_decref(shape);
  json_decref(doc);
  return all;
}

static void expect(const char *shape, const char *doc, const char *messages) {
  char *got = check(shape, doc);
  assert_string_equal(got, messages);
  sp_free(got);
}

static void matching_documents_pass(void **state) {
  (void)state;
  const char *v =
      "{\"id\": \"0123456789abcdef0123456789abcdef\", \"status\": \"RUNNING\","
      " \"metrics\": {\"read-bytes\": 5, \"read-bytes-complete\": true}, \"new\": 1}";
  expect("\"@Vertex\"", v, "");
  expect("{\"items\": \"@Vertex\", \"min_items\": 1}", "[]",
         "/: 0 elements, expected at least 1\n");
  expect("\"string|null\"", "null", "");
  expect("{\"ref\": \"@Vertex\", \"nullable\": true}", "null", "");
  expect("{\"items\": {\"keys\": {\"id\": \"string\", \"value\": \"numstring\"}}}",
         "[{\"id\": \"0.x\", \"value\": \"-9223372036854775808\"}, {\"id\": \"y\", \"value\": "
         "\"0.5\"}]",
         "");
  expect("{\"values\": \"integer\"}", "{\"RUNNING\": 1, \"CREATED\": 0}", "");
  expect("\"segment\"", "\"localhost:6122-1a2b3c\"", "");
}

static void each_mismatch_is_reported_with_its_pointer(void **state) {
  (void)state;
  expect("\"@Vertex\"",
         "{\"id\": \"XYZ\", \"status\": \"RUNNIN\", \"metrics\": {\"read-bytes\": \"5\"},"
         " \"slot\": 3}",
         "/id: expected hex32, got string \"XYZ\"\n"
         "/metrics/read-bytes: expected integer, got string \"5\"\n"
         "/metrics/read-bytes-complete: missing key\n"
         "/status: \"RUNNIN\" is not one of [\"RUNNING\",\"FINISHED\"]\n"
         "/slot: expected string, got integer\n");
  expect("{\"items\": {\"keys\": {\"id\": \"string\", \"value\": \"numstring\"}}}",
         "[{\"id\": \"a\", \"value\": 12}, {\"id\": \"b\", \"value\": \"twelve\"}]",
         "/0/value: expected numstring, got integer\n"
         "/1/value: expected numstring, got string \"twelve\"\n");
  expect("\"integer\"", "1.5", "/: expected integer, got real\n");
  /* a TaskManager id with a slash breaks the dashboard's /taskmanagers/<id> URLs */
  expect("\"segment\"", "\"localhost:6122/taskexecutor-0\"",
         "/: expected segment, got string \"localhost:6122/taskexecutor-0\"\n");
  expect("\"segment\"", "\"..\"", "/: expected segment, got string \"..\"\n");
  expect("\"string|null\"", "7", "/: expected string|null, got integer\n");
  expect("{\"values\": \"integer\"}", "{\"a/b\": \"x\"}",
         "/a~1b: expected integer, got string \"x\"\n");
  expect("{\"keys\": {\"x\": \"object\"}}", "[]", "/: expected object, got array\n");
}

static void base_keys_are_required_and_overridable(void **state) {
  (void)state;
  expect("\"@Wide\"", "{\"extra\": null}",
         "/id: missing key\n/metrics: missing key\n/status: missing key\n");
  /* the shape's own keys win over its base's: extra is required here */
  expect("\"@Wide\"",
         "{\"id\": \"0123456789abcdef0123456789abcdef\", \"status\": \"FINISHED\","
         " \"metrics\": {\"read-bytes\": 0, \"read-bytes-complete\": false}}",
         "/extra: missing key\n");
}

static void malformed_shapes_are_contract_errors(void **state) {
  (void)state;
  expect("\"strin\"", "\"x\"", "/: contract error: unknown type 'strin'\n");
  expect("\"@Nope\"", "{}", "/: contract error: no type @Nope\n");
  json_error_t e;
  json_t *types = json_loads(types_json, 0, &e);
  json_t *shape =
      json_loads("{\"keys\": {\"a\": \"@Nope\", \"b\": \"intger|null\"}, \"itms\": 1}", 0, &e);
  msg_list out = {0};
  shape_lint(types, shape, "/x", &out);
  assert_int_equal(out.n, 3);
  assert_string_equal(out.items[0], "/x: unknown shape key \"itms\"");
  assert_string_equal(out.items[1], "/x/keys/a: no type @Nope");
  assert_string_equal(out.items[2], "/x/keys/b: unknown type 'intger'");
  msgs_free(&out);
  json_decref(shape);
  json_decref(types);
}

/* The committed contract is well-formed: every type, rule and request lints clean. */
static void the_dashboard_contract_lints_clean(void **state) {
  (void)state;
  json_error_t e;
  json_t *contract = json_load_file("rest/dashboard_contract.json", 0, &e);
  if (!contract) fail_msg("rest/dashboard_contract.json:%d:%d: %s", e.line, e.column, e.text);
  msg_list out = {0};
  contract_lint(contract, &out);
  for (int i = 0; i < out.n; i++) print_error("%s\n", out.items[i]);
  assert_int_equal(out.n, 0);
  assert_true(json_array_size(json_object_get(contract, "requests")) > 40);
  msgs_free(&out);
  json_decref(contract);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(matching_documents_pass),
      cmocka_unit_test(each_mismatch_is_reported_with_its_pointer),
      cmocka_unit_test(base_keys_are_required_and_overridable),
      cmocka_unit_test(malformed_shapes_are_contract_errors),
      cmocka_unit_test(the_dashboard_contract_lints_clean),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
