/*
 * sql_eval_json.c: JSON_VALUE and JSON_QUERY of SQL calc programs, with Flink's defaults: NULL
 * ON EMPTY, NULL ON ERROR and (JSON_QUERY) WITHOUT WRAPPER. The text is parsed with jansson
 * (the project's JSON library), which allocates per call: these two functions are the data
 * path's exception to "no allocation per row".
 *
 * Paths: an optional `lax` or `strict` mode (both read as lax), `$`, then member steps `.key`,
 * `."key"` or `['key']` and array steps `[n]`. Anything else (wildcards, filters, `last`) is an
 * error of the path, which gives NULL as every other error does.
 *
 * JSON_VALUE gives the scalar at the path as text (strings unquoted, numbers as Java prints
 * them, booleans true/false); an object, an array or JSON null give NULL. JSON_QUERY gives the
 * object or array at the path as compact JSON; a scalar gives NULL.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "operators/sql_program.h"

/* Follows the path (p, n) from root; NULL when the path is malformed or leads nowhere. */
static json_t *follow(json_t *root, const uint8_t *p, uint32_t n) {
  uint32_t i = 0;
  while (i < n && p[i] == ' ') i++;
  if (n - i >= 4 && (memcmp(p + i, "lax ", 4) == 0))
    i += 4;
  else if (n - i >= 7 && memcmp(p + i, "strict ", 7) == 0)
    i += 7;
  while (i < n && p[i] == ' ') i++;
  if (i >= n || p[i] != '$') return NULL;
  i++;
  json_t *cur = root;
  char key[256];
  while (i < n) {
    if (p[i] == '.') {
      i++;
      uint32_t k = 0;
      if (i < n && p[i] == '"') {
        i++;
        while (i < n && p[i] != '"' && k < sizeof key - 1) key[k++] = (char)p[i++];
        if (i >= n) return NULL;
        i++;
      } else {
        while (i < n && p[i] != '.' && p[i] != '[' && k < sizeof key - 1) key[k++] = (char)p[i++];
      }
      if (k == 0) return NULL;
      key[k] = 0;
      if (!json_is_object(cur)) return NULL;
      cur = json_object_get(cur, key);
    } else if (p[i] == '[') {
      i++;
      if (i < n && (p[i] == '\'' || p[i] == '"')) {
        uint8_t q = p[i++];
        uint32_t k = 0;
        while (i < n && p[i] != q && k < sizeof key - 1) key[k++] = (char)p[i++];
        if (i + 1 >= n || p[i + 1] != ']') return NULL;
        i += 2;
        key[k] = 0;
        if (!json_is_object(cur)) return NULL;
        cur = json_object_get(cur, key);
      } else {
        size_t idx = 0;
        uint32_t d = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9' && d < 9) idx = idx * 10 + (p[i++] - '0'), d++;
        if (d == 0 || i >= n || p[i] != ']') return NULL;
        i++;
        if (!json_is_array(cur)) return NULL;
        cur = json_array_get(cur, idx);
      }
    } else {
      return NULL;
    }
    if (!cur) return NULL;
  }
  return cur;
}

static int put(sqlp_program *p, sqlp_val *dst, const char *s, size_t n) {
  uint8_t *o = sqlp_scratch(p, n ? n : 1);
  if (!o) return SPATE_ENOMEM;
  memcpy(o, s, n);
  dst->null = false;
  dst->p = o;
  dst->len = (uint32_t)n;
  return 0;
}

int sqlp_call_json(sqlp_program *p, const sqlp_ins *in, sqlp_val *dst, const sqlp_val *a,
                   const sqlp_val *b) {
  dst->null = true;
  if (a->null || b->null) return 0;
  json_error_t jerr;
  json_t *root = json_loadb((const char *)a->p, a->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
  if (!root) return 0; /* not JSON: NULL ON ERROR */
  json_t *v = follow(root, b->p, b->len);
  int rc = 0;
  bool query = (in->imm & 0xffff) == SQLP_FN_JSON_QUERY;
  if (!v) {
    /* NULL ON EMPTY */
  } else if (query) {
    if (json_is_object(v) || json_is_array(v)) {
      char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
      if (!text)
        rc = SPATE_ENOMEM;
      else
        rc = put(p, dst, text, strlen(text));
      free(text);
    }
  } else {
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_STRING: rc = put(p, dst, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER:
      rc = put(p, dst, buf,
               (size_t)snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v)));
      break;
    case JSON_REAL: rc = put(p, dst, buf, row_java_number(json_real_value(v), false, buf)); break;
    case JSON_TRUE: rc = put(p, dst, "true", 4); break;
    case JSON_FALSE: rc = put(p, dst, "false", 5); break;
    default: break; /* objects, arrays, null */
    }
  }
  json_decref(root);
  if (rc) snprintf(p->err, sizeof p->err, "out of memory in a JSON function");
  return rc;
}
