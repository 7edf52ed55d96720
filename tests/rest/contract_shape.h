/*
 * contract_shape.h: the JSON shapes of tests/rest/dashboard_contract.json and their check against
 * a REST answer (used by rest_contract_check.c). A shape is one of:
 *   "string" | "integer" | "number" | "boolean" | "object" | "array" | "null" | "any"
 *   "hex32"      a string of 32 lower-case hexadecimal digits (Flink's ids)
 *   "segment"    a string usable unescaped as one URL path segment (no '/', '?', '#', '%', '\\',
 *                blank or control character; not "." or ".."): TaskManager ids, log file names
 *   "numstring"  a string holding a number (metric values: "123", "0.5", "-9223372036854775808")
 *   "@Name"      the contract's types.Name
 *   "a|b"        any of the alternatives ("string|null")
 *   {"ref": "@Name"}                       as "@Name"
 *   {"enum": ["A", "B"]}                   one of these strings
 *   {"keys": {k: shape}, "optional": {k: shape}, "base": "@Name"}
 *                                          an object with every key of keys (and of base's keys),
 *                                          the optional ones checked when present; keys not named
 *                                          are allowed (Flink adds keys over versions)
 *   {"items": shape, "min_items": n}       an array whose every element has the shape
 *   {"values": shape, "min_values": n}     an object used as a map: every value has the shape
 * and any object shape may add "nullable": true (null accepted) and "note" (ignored).
 */
#ifndef SPATE_TESTS_REST_CONTRACT_SHAPE_H
#define SPATE_TESTS_REST_CONTRACT_SHAPE_H
#include <jansson.h>

/* Messages (mismatches or contract errors), each one line. */
typedef struct msg_list {
  char **items;
  int n, cap;
} msg_list;

void msgs_add(msg_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void msgs_clear(msg_list *l);
void msgs_free(msg_list *l);

/* Appends to out one message per way value departs from shape, each starting with the JSON
 * pointer of the offending value ("/vertices/0/metrics/read-bytes: expected integer, got
 * string"). pointer is value's own pointer ("" for the document). types is the contract's
 * "types" object. A shape the format does not know is reported as a contract error. */
void shape_check(const json_t *types, const json_t *shape, const json_t *value, const char *pointer,
                 msg_list *out);

/* Appends to out one message per malformed shape inside shape (unknown type names, unknown
 * @references, keys of the wrong kind); where names the shape's place in the contract. */
void shape_lint(const json_t *types, const json_t *shape, const char *where, msg_list *out);

/* Lints a whole contract (tests/rest/dashboard_contract.json): types, discovery rules (each
 * names its placeholder, from, array and field) and requests (each has id, level core|extra|
 * optional, method, path, pages and a valid response shape). One message per fault into out. */
void contract_lint(const json_t *contract, msg_list *out);

/* The JSON type name of a value as messages print it ("integer", "real", "boolean", ...). */
const char *json_kind(const json_t *v);

/* Appends key to pointer in JSON-pointer form (~ and / escaped) into buf. */
void pointer_join(char *buf, size_t len, const char *pointer, const char *key);

#endif
