/*
 * contract_shape.c: checks a JSON value against a shape of the dashboard contract (the format is
 * described in contract_shape.h), reporting every mismatch with its JSON pointer, and lints the
 * contract's own shapes so a typo in the contract is an error, not a silently passing check.
 */
#define _GNU_SOURCE
#include "contract_shape.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

/* Longest type spec ("string|null|...") the checker splits. */
#define SPEC_MAX 256

void msgs_add(msg_list *l, const char *fmt, ...) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->items = sp_realloc(l->items, (size_t)l->cap * sizeof *l->items);
  }
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0) s = NULL;
  va_end(ap);
  l->items[l->n++] = sp_strdup(s ? s : "(out of memory)");
  free(s); /* vasprintf's buffer comes from malloc */
}

void msgs_clear(msg_list *l) {
  for (int i = 0; i < l->n; i++) sp_free(l->items[i]);
  l->n = 0;
}

void msgs_free(msg_list *l) {
  msgs_clear(l);
  sp_free(l->items);
  l->items = NULL;
  l->cap = 0;
}

const char *json_kind(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "object";
  case JSON_ARRAY: return "array";
  case JSON_STRING: return "string";
  case JSON_INTEGER: return "integer";
  case JSON_REAL: return "real";
  case JSON_TRUE:
  case JSON_FALSE: return "boolean";
  case JSON_NULL: return "null";
  }
  return "?";
}

void pointer_join(char *buf, size_t len, const char *pointer, const char *key) {
  size_t n = (size_t)snprintf(buf, len, "%s/", pointer);
  for (const char *k = key; *k && n + 3 < len; k++) {
    if (*k == '~') {
      buf[n++] = '~', buf[n++] = '0';
    } else if (*k == '/') {
      buf[n++] = '~', buf[n++] = '1';
    } else {
      buf[n++] = *k;
    }
  }
  buf[n < len ? n : len - 1] = 0;
}

static const char *show(const char *pointer) { return *pointer ? pointer : "/"; }

static bool is_hex32(const char *s) {
  size_t n = 0;
  for (; s[n]; n++) {
    if (!isdigit((unsigned char)s[n]) && !(s[n] >= 'a' && s[n] <= 'f')) return false;
  }
  return n == 32;
}

/* A string the dashboard can put into a URL path as one segment unescaped (it builds
 * `/taskmanagers/${id}` and `#/task-manager/${id}` from TaskManager ids and log names). */
static bool is_segment(const char *s) {
  if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) return false;
  for (const char *p = s; *p; p++) {
    if ((unsigned char)*p <= ' ' || strchr("/?#%\\", *p)) return false;
  }
  return true;
}

static bool is_numstring(const char *s) {
  if (!*s) return false;
  if (strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
    return true; /* what Java's String.valueOf(double) prints; parseFloat reads them */
  }
  char *end;
  strtod(s, &end);
  return *end == 0;
}

/* Whether value is of the primitive type name; -1 if name is no primitive type. */
static int primitive_match(const char *name, const json_t *v) {
  if (strcmp(name, "any") == 0) return 1;
  if (strcmp(name, "string") == 0) return json_is_string(v);
  if (strcmp(name, "integer") == 0) return json_is_integer(v);
  if (strcmp(name, "number") == 0) return json_is_number(v);
  if (strcmp(name, "boolean") == 0) return json_is_boolean(v);
  if (strcmp(name, "object") == 0) return json_is_object(v);
  if (strcmp(name, "array") == 0) return json_is_array(v);
  if (strcmp(name, "null") == 0) return json_is_null(v);
  if (strcmp(name, "hex32") == 0) return json_is_string(v) && is_hex32(json_string_value(v));
  if (strcmp(name, "segment") == 0) return json_is_string(v) && is_segment(json_string_value(v));
  if (strcmp(name, "numstring") == 0) {
    return json_is_string(v) && is_numstring(json_string_value(v));
  }
  return -1;
}

static void check_object(const json_t *types, const json_t *shape, const json_t *v,
                         const char *pointer, msg_list *out);

/* The named type of "@Name", or NULL (reported) if the contract has none. */
static const json_t *named(const json_t *types, const char *ref, const char *pointer,
                           msg_list *out) {
  const json_t *t = json_object_get(types, ref + 1);
  if (!t) msgs_add(out, "%s: contract error: no type %s", show(pointer), ref);
  return t;
}

/* "expected <spec>, got <kind>", with a string's value (a string of the wrong form says why). */
static void mismatch(msg_list *out, const char *pointer, const char *spec, const json_t *v) {
  if (json_is_string(v)) {
    msgs_add(out, "%s: expected %s, got string \"%.80s\"", show(pointer), spec,
             json_string_value(v));
  } else {
    msgs_add(out, "%s: expected %s, got %s", show(pointer), spec, json_kind(v));
  }
}

/* A string spec: alternatives separated by '|'. */
static void check_spec(const json_t *types, const char *spec, const json_t *v, const char *pointer,
                       msg_list *out) {
  if (!strchr(spec, '|')) {
    if (spec[0] == '@') {
      const json_t *t = named(types, spec, pointer, out);
      if (t) shape_check(types, t, v, pointer, out);
      return;
    }
    int m = primitive_match(spec, v);
    if (m < 0) {
      msgs_add(out, "%s: contract error: unknown type '%s'", show(pointer), spec);
    } else if (!m) {
      mismatch(out, pointer, spec, v);
    }
    return;
  }
  char buf[SPEC_MAX];
  snprintf(buf, sizeof buf, "%s", spec);
  char *save = NULL;
  for (char *alt = strtok_r(buf, "|", &save); alt; alt = strtok_r(NULL, "|", &save)) {
    msg_list tmp = {0};
    check_spec(types, alt, v, pointer, &tmp);
    int bad = tmp.n;
    msgs_free(&tmp);
    if (!bad) return;
  }
  mismatch(out, pointer, spec, v);
}

void shape_check(const json_t *types, const json_t *shape, const json_t *v, const char *pointer,
                 msg_list *out) {
  if (json_is_string(shape)) {
    check_spec(types, json_string_value(shape), v, pointer, out);
    return;
  }
  if (!json_is_object(shape)) {
    msgs_add(out, "%s: contract error: a shape is a string or an object", show(pointer));
    return;
  }
  if (json_is_null(v) && json_is_true(json_object_get(shape, "nullable"))) return;
  const json_t *ref = json_object_get(shape, "ref");
  if (ref) {
    const json_t *t = named(types, json_string_value(ref), pointer, out);
    if (t) shape_check(types, t, v, pointer, out);
    return;
  }
  const json_t *e = json_object_get(shape, "enum");
  if (e) {
    size_t i;
    const json_t *x;
    if (json_is_string(v)) {
      json_array_foreach(e, i, x) {
        if (strcmp(json_string_value(x), json_string_value(v)) == 0) return;
      }
      char *allowed = json_dumps(e, JSON_COMPACT);
      msgs_add(out, "%s: \"%s\" is not one of %s", show(pointer), json_string_value(v),
               allowed ? allowed : "the enum");
      free(allowed);
    } else {
      msgs_add(out, "%s: expected a string of an enum, got %s", show(pointer), json_kind(v));
    }
    return;
  }
  const json_t *items = json_object_get(shape, "items");
  if (items) {
    if (!json_is_array(v)) {
      msgs_add(out, "%s: expected array, got %s", show(pointer), json_kind(v));
      return;
    }
    json_int_t min = json_integer_value(json_object_get(shape, "min_items"));
    if ((json_int_t)json_array_size(v) < min) {
      msgs_add(out, "%s: %zu elements, expected at least %lld", show(pointer), json_array_size(v),
               (long long)min);
    }
    size_t i;
    const json_t *x;
    char p[1024], idx[32];
    json_array_foreach(v, i, x) {
      snprintf(idx, sizeof idx, "%zu", i);
      pointer_join(p, sizeof p, pointer, idx);
      shape_check(types, items, x, p, out);
    }
    return;
  }
  const json_t *values = json_object_get(shape, "values");
  if (values) {
    if (!json_is_object(v)) {
      msgs_add(out, "%s: expected object, got %s", show(pointer), json_kind(v));
      return;
    }
    json_int_t min = json_integer_value(json_object_get(shape, "min_values"));
    if ((json_int_t)json_object_size(v) < min) {
      msgs_add(out, "%s: %zu entries, expected at least %lld", show(pointer), json_object_size(v),
               (long long)min);
    }
    const char *k;
    const json_t *x;
    char p[1024];
    json_object_foreach((json_t *)v, k, x) {
      pointer_join(p, sizeof p, pointer, k);
      shape_check(types, values, x, p, out);
    }
    return;
  }
  check_object(types, shape, v, pointer, out);
}

/* Gathers the effective required and optional keys of an object shape into req and opt (objects
 * key -> shape, borrowed): base's first, then the shape's own, which win. */
static void gather_keys(const json_t *types, const json_t *shape, json_t *req, json_t *opt) {
  const json_t *base = json_object_get(shape, "base");
  if (json_is_string(base)) {
    const json_t *t = json_object_get(types, json_string_value(base) + 1);
    if (json_is_object(t)) gather_keys(types, t, req, opt);
  }
  const char *k;
  json_t *x;
  json_object_foreach(json_object_get(shape, "keys"), k, x) {
    json_object_del(opt, k);
    json_object_set(req, k, x);
  }
  json_object_foreach(json_object_get(shape, "optional"), k, x) {
    json_object_del(req, k);
    json_object_set(opt, k, x);
  }
}

static void check_object(const json_t *types, const json_t *shape, const json_t *v,
                         const char *pointer, msg_list *out) {
  if (!json_is_object(v)) {
    msgs_add(out, "%s: expected object, got %s", show(pointer), json_kind(v));
    return;
  }
  json_t *req = json_object(), *opt = json_object();
  gather_keys(types, shape, req, opt);
  const char *k;
  json_t *x;
  char p[1024];
  json_object_foreach(req, k, x) {
    pointer_join(p, sizeof p, pointer, k);
    const json_t *got = json_object_get(v, k);
    if (!got) {
      msgs_add(out, "%s: missing key", p);
    } else {
      shape_check(types, x, got, p, out);
    }
  }
  json_object_foreach(opt, k, x) {
    const json_t *got = json_object_get(v, k);
    if (!got) continue;
    pointer_join(p, sizeof p, pointer, k);
    shape_check(types, x, got, p, out);
  }
  json_decref(req);
  json_decref(opt);
}

static void lint_spec(const json_t *types, const char *spec, const char *where, msg_list *out) {
  char buf[SPEC_MAX];
  snprintf(buf, sizeof buf, "%s", spec);
  char *save = NULL;
  for (char *alt = strtok_r(buf, "|", &save); alt; alt = strtok_r(NULL, "|", &save)) {
    if (alt[0] == '@') {
      if (!json_object_get(types, alt + 1)) msgs_add(out, "%s: no type %s", where, alt);
    } else if (primitive_match(alt, json_null()) < 0) {
      msgs_add(out, "%s: unknown type '%s'", where, alt);
    }
  }
}

void shape_lint(const json_t *types, const json_t *shape, const char *where, msg_list *out) {
  static const char *const known[] = {"ref",   "enum",      "keys",     "optional",   "base",
                                      "items", "min_items", "values",   "min_values", "nullable",
                                      "note",  "text",      "nonempty", NULL};
  if (json_is_string(shape)) {
    lint_spec(types, json_string_value(shape), where, out);
    return;
  }
  if (!json_is_object(shape)) {
    msgs_add(out, "%s: a shape is a string or an object, not %s", where, json_kind(shape));
    return;
  }
  const char *k;
  json_t *x;
  char w[1024];
  json_object_foreach((json_t *)shape, k, x) {
    int i = 0;
    while (known[i] && strcmp(known[i], k) != 0) i++;
    if (!known[i]) msgs_add(out, "%s: unknown shape key \"%s\"", where, k);
  }
  const char *refs[] = {"ref", "base"};
  for (int i = 0; i < 2; i++) {
    const json_t *r = json_object_get(shape, refs[i]);
    if (r && (!json_is_string(r) || json_string_value(r)[0] != '@' ||
              !json_object_get(types, json_string_value(r) + 1))) {
      msgs_add(out, "%s/%s: not the @name of a type", where, refs[i]);
    }
  }
  const json_t *e = json_object_get(shape, "enum");
  if (e) {
    size_t i;
    json_array_foreach(e, i, x) {
      if (!json_is_string(x)) msgs_add(out, "%s/enum/%zu: not a string", where, i);
    }
  }
  const char *maps[] = {"keys", "optional"};
  for (int i = 0; i < 2; i++) {
    json_object_foreach(json_object_get(shape, maps[i]), k, x) {
      snprintf(w, sizeof w, "%s/%s/%s", where, maps[i], k);
      shape_lint(types, x, w, out);
    }
  }
  const char *subs[] = {"items", "values"};
  for (int i = 0; i < 2; i++) {
    const json_t *s = json_object_get(shape, subs[i]);
    if (!s) continue;
    snprintf(w, sizeof w, "%s/%s", where, subs[i]);
    shape_lint(types, s, w, out);
  }
}

/* Lints the contract: every entry has id, level, method, path and a valid response shape; every
 * rule names its placeholder, source, array and field. Messages into out. */
void contract_lint(const json_t *contract, msg_list *out) {
  const json_t *types = json_object_get(contract, "types");
  const json_t *requests = json_object_get(contract, "requests");
  const json_t *rules = json_object_get(contract, "discovery");
  if (!json_is_object(types)) msgs_add(out, "/types: missing or not an object");
  if (!json_is_array(requests)) msgs_add(out, "/requests: missing or not an array");
  if (!json_is_array(rules)) msgs_add(out, "/discovery: missing or not an array");
  if (out->n) return;
  const char *k;
  json_t *x;
  char where[256];
  json_object_foreach((json_t *)types, k, x) {
    snprintf(where, sizeof where, "/types/%s", k);
    shape_lint(types, x, where, out);
  }
  size_t i;
  json_array_foreach(rules, i, x) {
    const char *keys[] = {"placeholder", "from", "array", "field"};
    for (int j = 0; j < 4; j++) {
      if (!json_is_string(json_object_get(x, keys[j]))) {
        msgs_add(out, "/discovery/%zu/%s: missing or not a string", i, keys[j]);
      }
    }
  }
  json_array_foreach(requests, i, x) {
    const char *keys[] = {"id", "level", "method", "path"};
    for (int j = 0; j < 4; j++) {
      if (!json_is_string(json_object_get(x, keys[j]))) {
        msgs_add(out, "/requests/%zu/%s: missing or not a string", i, keys[j]);
      }
    }
    const char *level = json_string_value(json_object_get(x, "level"));
    if (level && strcmp(level, "core") && strcmp(level, "extra") && strcmp(level, "optional")) {
      msgs_add(out, "/requests/%zu/level: \"%s\" is not core, extra or optional", i, level);
    }
    if (!json_is_array(json_object_get(x, "pages"))) {
      msgs_add(out, "/requests/%zu/pages: missing or not an array", i);
    }
    const json_t *resp = json_object_get(x, "response");
    snprintf(where, sizeof where, "/requests/%zu/response", i);
    if (!resp) {
      msgs_add(out, "%s: missing", where);
    } else {
      shape_lint(types, resp, where, out);
    }
  }
}
