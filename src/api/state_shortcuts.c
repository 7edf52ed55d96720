/*
 * state_shortcuts.c: keyed state of single BIGINT, DOUBLE and STRING values
 * (spate/state_shortcuts.h), over the state API of api/state_api.c. A scalar state is an
 * ordinary keyed state whose values are one-field rows "v <TYPE> NOT NULL" (map keys
 * "k <TYPE> NOT NULL"); its handle remembers the types (spate_state.vtype, ktype) and keeps a
 * row builder per row kind, so reading and writing allocate nothing once the builders have
 * grown. The schemas are shared by the whole process (made once, never freed).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "operators/process_operator.h"

static spate_schema *val_schema[SPATE_TIMESTAMP + 1], *key_schema[SPATE_TIMESTAMP + 1];
static pthread_once_t schemas_once = PTHREAD_ONCE_INIT;

static void make_schemas(void) {
  static const char *const names[] = {
      [SPATE_BIGINT] = "BIGINT", [SPATE_DOUBLE] = "DOUBLE", [SPATE_STRING] = "STRING"};
  char spec[64];
  for (int t = SPATE_BIGINT; t <= SPATE_STRING; t++) {
    if (!names[t]) continue;
    snprintf(spec, sizeof spec, "v %s NOT NULL", names[t]);
    (void)spate_schema_parse(spec, &val_schema[t], NULL, 0); /* NULL only out of memory */
    snprintf(spec, sizeof spec, "k %s NOT NULL", names[t]);
    (void)spate_schema_parse(spec, &key_schema[t], NULL, 0);
  }
}

static const char *type_name(int t) {
  return t == SPATE_BIGINT ? "BIGINT" : t == SPATE_DOUBLE ? "DOUBLE" : "STRING";
}

spate_state *spate_scalar_state(spate_ctx *ctx, const char *name, spate_state_kind kind,
                                spate_type key_type, spate_type value_type, bool per_window) {
  pthread_once(&schemas_once, make_schemas);
  bool vt = value_type == SPATE_BIGINT || value_type == SPATE_DOUBLE || value_type == SPATE_STRING;
  bool kt = kind != SPATE_STATE_MAP || key_type == SPATE_BIGINT || key_type == SPATE_STRING;
  if (!vt || !kt ||
      (kind != SPATE_STATE_VALUE && kind != SPATE_STATE_LIST && kind != SPATE_STATE_MAP)) {
    spate_ctx_fail(ctx,
                   "scalar state '%s': a VALUE, LIST or MAP state of BIGINT, DOUBLE or STRING "
                   "(map keys BIGINT or STRING)",
                   name ? name : "(unnamed)");
    return NULL;
  }
  if (!val_schema[value_type] || (kind == SPATE_STATE_MAP && !key_schema[key_type])) {
    spate_ctx_fail(ctx, "out of memory");
    return NULL;
  }
  spate_state_desc d = {.name = name,
                        .kind = kind,
                        .schema = val_schema[value_type],
                        .key_schema = kind == SPATE_STATE_MAP ? key_schema[key_type] : NULL};
  spate_state *s = per_window ? spate_ctx_window_state(ctx, &d) : spate_ctx_state(ctx, &d);
  if (!s || s->vrb) return s;
  s->vrb = spate_rb_new(d.schema);
  if (kind == SPATE_STATE_MAP) s->krb = spate_rb_new(d.key_schema);
  if (!s->vrb || (kind == SPATE_STATE_MAP && !s->krb)) {
    if (s->vrb) spate_rb_free(s->vrb);
    s->vrb = NULL;
    spate_ctx_fail(ctx, "out of memory");
    return NULL;
  }
  s->vtype = (uint8_t)value_type;
  s->ktype = kind == SPATE_STATE_MAP ? (uint8_t)key_type : 0;
  return s;
}

#define DECLARE(kind_name, KIND, type_name_, TYPE)                                        \
  spate_state *spate_##kind_name##_state_##type_name_(spate_ctx *ctx, const char *name) { \
    return spate_scalar_state(ctx, name, KIND, 0, TYPE, false);                           \
  }
DECLARE(value, SPATE_STATE_VALUE, bigint, SPATE_BIGINT)
DECLARE(value, SPATE_STATE_VALUE, double, SPATE_DOUBLE)
DECLARE(value, SPATE_STATE_VALUE, string, SPATE_STRING)
DECLARE(list, SPATE_STATE_LIST, bigint, SPATE_BIGINT)
DECLARE(list, SPATE_STATE_LIST, double, SPATE_DOUBLE)
DECLARE(list, SPATE_STATE_LIST, string, SPATE_STRING)

/* Checks that s is a scalar state of this kind and types (key_type 0: not a map). */
static int typed(spate_state *s, spate_state_kind kind, int key_type, int value_type,
                 const char *api) {
  if (!s) return SPATE_EINVAL;
  spate_ctx *ctx = &s->p->op->ctx;
  const char *name = ks_state_name(s->ks);
  if (!s->vtype)
    return spate_ctx_fail(
        ctx, "%s: state '%s' was declared with a descriptor, not as a scalar state", api, name);
  if (s->kind != kind || s->vtype != value_type || (key_type && s->ktype != key_type)) {
    if (s->kind == SPATE_STATE_MAP)
      return spate_ctx_fail(ctx, "%s: state '%s' is a MAP of %s to %s", api, name,
                            type_name(s->ktype), type_name(s->vtype));
    return spate_ctx_fail(ctx, "%s: state '%s' is a %s of %s", api, name,
                          s->kind == SPATE_STATE_VALUE ? "VALUE" : "LIST", type_name(s->vtype));
  }
  return 0;
}

/* One-field rows of the state's builders. */
static int row_of(spate_state *s, spate_row_builder *b, int type, int64_t i, double d,
                  const char *p, size_t len, spate_row *out) {
  spate_rb_begin(b);
  if (type == SPATE_BIGINT)
    spate_rb_set_bigint(b, 0, i);
  else if (type == SPATE_DOUBLE)
    spate_rb_set_double(b, 0, d);
  else
    spate_rb_set_string(b, 0, p ? p : "", p && len == SPATE_STRLEN ? strlen(p) : p ? len : 0);
  if (spate_rb_finish(b, out) < 0)
    return spate_ctx_fail(&s->p->op->ctx, "state '%s': %s", ks_state_name(s->ks),
                          spate_rb_error(b));
  return 0;
}

static void read_bigint(const spate_row *r, int64_t *v) { *v = spate_row_bigint(r, 0); }
static void read_double(const spate_row *r, double *v) { *v = spate_row_double(r, 0); }
static void read_string(const spate_row *r, spate_bytes *v) { *v = spate_row_string(r, 0); }

/* The arguments of a value of each type, as row_of takes them. */
#define ARGS_bigint(v) v, 0.0, NULL, 0
#define ARGS_double(v) 0, v, NULL, 0
#define ARGS_string(v) 0, 0.0, v, v##_len
#define PARAM_bigint(v) int64_t v
#define PARAM_double(v) double v
#define PARAM_string(v) const char *v, size_t v##_len
#define OUT_bigint int64_t
#define OUT_double double
#define OUT_string spate_bytes
#define TYPE_bigint SPATE_BIGINT
#define TYPE_double SPATE_DOUBLE
#define TYPE_string SPATE_STRING

/* The state of a tagged iterator (state_iter_tag) when it is of this kind and types, else NULL
 * (with a context error when the state is of other types). */
static spate_state *iter_state(spate_state_iter *it, spate_state_kind kind, int key_type,
                               int value_type, const char *api) {
  if ((it->opaque_[7] & ~0xffull) != SPATE_ITER_TAG) return NULL;
  spate_state *s = (spate_state *)(uintptr_t)it->opaque_[6];
  return typed(s, kind, key_type, value_type, api) == 0 ? s : NULL;
}

/* ---- value and list ---------------------------------------------------------------------------- */
#define VALUE_AND_LIST(T)                                                        \
  int spate_value_get_##T(spate_state *s, OUT_##T *v) {                          \
    int rc = typed(s, SPATE_STATE_VALUE, 0, TYPE_##T, "spate_value_get_" #T);    \
    spate_row r;                                                                 \
    if (rc == 0 && (rc = spate_value_get(s, &r)) == 1) read_##T(&r, v);          \
    return rc;                                                                   \
  }                                                                              \
  int spate_value_set_##T(spate_state *s, PARAM_##T(v)) {                        \
    int rc = typed(s, SPATE_STATE_VALUE, 0, TYPE_##T, "spate_value_set_" #T);    \
    spate_row r;                                                                 \
    if (rc == 0) rc = row_of(s, s->vrb, TYPE_##T, ARGS_##T(v), &r);              \
    return rc < 0 ? rc : spate_value_update(s, &r);                              \
  }                                                                              \
  int spate_list_add_##T(spate_state *s, PARAM_##T(v)) {                         \
    int rc = typed(s, SPATE_STATE_LIST, 0, TYPE_##T, "spate_list_add_" #T);      \
    spate_row r;                                                                 \
    if (rc == 0) rc = row_of(s, s->vrb, TYPE_##T, ARGS_##T(v), &r);              \
    return rc < 0 ? rc : spate_list_add(s, &r);                                  \
  }                                                                              \
  bool spate_list_next_##T(spate_state_iter *it, OUT_##T *v) {                   \
    spate_row r;                                                                 \
    if (!iter_state(it, SPATE_STATE_LIST, 0, TYPE_##T, "spate_list_next_" #T) || \
        !spate_list_next(it, &r))                                                \
      return false;                                                              \
    read_##T(&r, v);                                                             \
    return true;                                                                 \
  }
VALUE_AND_LIST(bigint)
VALUE_AND_LIST(double)
VALUE_AND_LIST(string)

/* ---- map --------------------------------------------------------------------------------------- */
#define MAP_KEY(K)                                                                            \
  static int key_##K(spate_state *s, PARAM_##K(key), spate_row *r) {                          \
    return row_of(s, s->krb, TYPE_##K, ARGS_##K(key), r);                                     \
  }                                                                                           \
  int spate_map_remove_##K(spate_state *s, PARAM_##K(key)) {                                  \
    spate_row k;                                                                              \
    int rc = typed(s, SPATE_STATE_MAP, TYPE_##K, s ? s->vtype : 0, "spate_map_remove_" #K);   \
    if (rc == 0) rc = key_##K(s, ARGS_KEY_##K(key), &k);                                      \
    return rc < 0 ? rc : spate_map_remove(s, &k);                                             \
  }                                                                                           \
  int spate_map_contains_##K(spate_state *s, PARAM_##K(key)) {                                \
    spate_row k;                                                                              \
    int rc = typed(s, SPATE_STATE_MAP, TYPE_##K, s ? s->vtype : 0, "spate_map_contains_" #K); \
    if (rc == 0) rc = key_##K(s, ARGS_KEY_##K(key), &k);                                      \
    return rc < 0 ? rc : spate_map_contains(s, &k);                                           \
  }
#define ARGS_KEY_bigint(v) v
#define ARGS_KEY_string(v) v, v##_len
MAP_KEY(bigint)
MAP_KEY(string)

#define MAP(K, T)                                                                            \
  int spate_map_get_##K##_##T(spate_state *s, PARAM_##K(key), OUT_##T *v) {                  \
    int rc = typed(s, SPATE_STATE_MAP, TYPE_##K, TYPE_##T, "spate_map_get_" #K "_" #T);      \
    spate_row k, r;                                                                          \
    if (rc == 0) rc = key_##K(s, ARGS_KEY_##K(key), &k);                                     \
    if (rc == 0 && (rc = spate_map_get(s, &k, &r)) == 1) read_##T(&r, v);                    \
    return rc;                                                                               \
  }                                                                                          \
  int spate_map_put_##K##_##T(spate_state *s, PARAM_##K(key), PARAM_##T(v)) {                \
    int rc = typed(s, SPATE_STATE_MAP, TYPE_##K, TYPE_##T, "spate_map_put_" #K "_" #T);      \
    spate_row k, r;                                                                          \
    if (rc == 0) rc = key_##K(s, ARGS_KEY_##K(key), &k);                                     \
    if (rc == 0) rc = row_of(s, s->vrb, TYPE_##T, ARGS_##T(v), &r);                          \
    return rc < 0 ? rc : spate_map_put(s, &k, &r);                                           \
  }                                                                                          \
  bool spate_map_next_##K##_##T(spate_state_iter *it, OUT_##K *key, OUT_##T *v) {            \
    spate_row k, r;                                                                          \
    if (!iter_state(it, SPATE_STATE_MAP, TYPE_##K, TYPE_##T, "spate_map_next_" #K "_" #T) || \
        !spate_map_next(it, &k, &r))                                                         \
      return false;                                                                          \
    read_##K(&k, key);                                                                       \
    read_##T(&r, v);                                                                         \
    return true;                                                                             \
  }
MAP(bigint, bigint)
MAP(bigint, double)
MAP(bigint, string)
MAP(string, bigint)
MAP(string, double)
MAP(string, string)
