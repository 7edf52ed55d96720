/*
 * op_params.c: the encoder and decoder of operator parameters (op_params.h). The field lists of
 * op_params.h become one table of fields per kind (type, offset in the struct, name), and one
 * encoder and one decoder walk a kind's table: the struct and its encoding cannot disagree.
 */
#include "graph/op_params.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

typedef enum field_type {
  FT_U8,
  FT_BOOL,
  FT_I32,
  FT_I64,
  FT_F64,
  FT_STR,
  FT_SCHEMA,
  FT_STRS,
  FT_BLOBS,
  FT_I32S
} field_type;

typedef struct field {
  field_type type;
  size_t offset;
  const char *name;
} field;

typedef struct kind_params {
  op_kind kind;
  size_t size; /* of the struct */
  const field *fields;
  int nfields;
} kind_params;

#define FIELD(S, T, name) {FT_##T, offsetof(S, name), #name},
#define FIELDS(KIND, NAME, LIST) static const field NAME##_fields[] = {LIST(FIELD, NAME)};
OP_PARAMS_KINDS(FIELDS)
#undef FIELDS
#define KIND(KIND, NAME, LIST) \
  {KIND, sizeof(NAME), NAME##_fields, (int)(sizeof NAME##_fields / sizeof(field))},
static const kind_params kinds[] = {OP_PARAMS_KINDS(KIND)};
#undef KIND
#undef FIELD

static const kind_params *find(op_kind k) {
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (kinds[i].kind == k) return &kinds[i];
  return NULL;
}

size_t op_params_size(op_kind k) {
  const kind_params *kp = find(k);
  return kp ? kp->size : 0;
}

static void encode_field(const field *f, const uint8_t *p, sp_writer *w) {
  const void *at = p + f->offset;
  switch (f->type) {
  case FT_U8: sp_put_u8(w, *(const uint8_t *)at); break;
  case FT_BOOL: sp_put_u8(w, *(const bool *)at ? 1 : 0); break;
  case FT_I32: sp_put_i32(w, *(const int32_t *)at); break;
  case FT_I64: sp_put_i64(w, *(const int64_t *)at); break;
  case FT_F64: {
    uint64_t bits;
    memcpy(&bits, at, 8);
    sp_put_u64(w, bits);
    break;
  }
  case FT_STR: sp_put_str(w, *(const char *const *)at); break;
  case FT_SCHEMA: {
    const spate_schema *s = *(const spate_schema *const *)at;
    sp_put_u8(w, s != NULL);
    if (s) schema_encode(w, s);
    break;
  }
  case FT_STRS: {
    const op_str_list *l = at;
    sp_put_u32(w, l->n);
    for (uint32_t i = 0; i < l->n; i++) sp_put_str(w, l->v[i]);
    break;
  }
  case FT_BLOBS: {
    const op_blob_list *l = at;
    sp_put_u32(w, l->n);
    for (uint32_t i = 0; i < l->n; i++) sp_put_blob(w, l->v[i].data, l->v[i].len);
    break;
  }
  case FT_I32S: {
    const op_i32_list *l = at;
    sp_put_u32(w, l->n);
    for (uint32_t i = 0; i < l->n; i++) sp_put_i32(w, l->v[i]);
    break;
  }
  }
}

int op_params_encode(op_kind k, const void *p, sp_writer *w) {
  const kind_params *kp = find(k);
  for (int i = 0; kp && i < kp->nfields; i++) encode_field(&kp->fields[i], p, w);
  return w->failed ? SPATE_ENOMEM : 0;
}

/* A list count: each entry takes at least 4 bytes, so a count the rest cannot hold is refused
 * before anything is allocated for it. */
static uint32_t get_count(sp_reader *r) {
  uint32_t n = sp_get_u32(r);
  if (sp_reader_ok(r) && n > (r->len - r->pos) / 4) {
    char what[64];
    snprintf(what, sizeof what, "count %u larger than the bytes left", n);
    sp_reader_fail(r, what);
    return 0;
  }
  return n;
}

/* Decodes one field into p; false with r's error set (what it owns so far is in p). */
static bool decode_field(const field *f, uint8_t *p, sp_reader *r) {
  void *at = p + f->offset;
  switch (f->type) {
  case FT_U8: *(uint8_t *)at = sp_get_u8(r); break;
  case FT_BOOL: {
    uint8_t b = sp_get_u8(r);
    if (b > 1) sp_reader_fail(r, "a boolean that is neither 0 nor 1");
    *(bool *)at = b == 1;
    break;
  }
  case FT_I32: *(int32_t *)at = sp_get_i32(r); break;
  case FT_I64: *(int64_t *)at = sp_get_i64(r); break;
  case FT_F64: {
    uint64_t bits = sp_get_u64(r);
    memcpy(at, &bits, 8);
    break;
  }
  case FT_STR: *(const char **)at = sp_get_str(r); break;
  case FT_SCHEMA: {
    uint8_t present = sp_get_u8(r);
    if (present > 1) sp_reader_fail(r, "a schema marker that is neither 0 nor 1");
    if (present == 1 && sp_reader_ok(r)) {
      *(const spate_schema **)at = schema_decode(r);
      if (!*(const spate_schema **)at && sp_reader_ok(r)) sp_reader_fail(r, "malformed schema");
    }
    break;
  }
  case FT_STRS: {
    op_str_list *l = at;
    uint32_t n = get_count(r);
    if (!sp_reader_ok(r) || n == 0) break;
    char **v = sp_calloc(n, sizeof *v);
    if (!v) {
      sp_reader_fail(r, "out of memory");
      break;
    }
    l->v = (const char *const *)v;
    for (uint32_t i = 0; i < n && sp_reader_ok(r); i++) {
      v[i] = sp_get_str(r);
      l->n = i + 1;
      if (!v[i] && sp_reader_ok(r)) sp_reader_fail(r, "a NULL string in a list");
    }
    break;
  }
  case FT_BLOBS: {
    op_blob_list *l = at;
    uint32_t n = get_count(r);
    if (!sp_reader_ok(r) || n == 0) break;
    op_blob *v = sp_calloc(n, sizeof *v);
    if (!v) {
      sp_reader_fail(r, "out of memory");
      break;
    }
    l->v = v;
    l->n = n;
    for (uint32_t i = 0; i < n && sp_reader_ok(r); i++) v[i].data = sp_get_blob(r, &v[i].len);
    break;
  }
  case FT_I32S: { /* get_count bounds n by the bytes left: 4 per entry */
    op_i32_list *l = at;
    uint32_t n = get_count(r);
    if (!sp_reader_ok(r) || n == 0) break;
    int32_t *v = sp_calloc(n, sizeof *v);
    if (!v) {
      sp_reader_fail(r, "out of memory");
      break;
    }
    l->v = v;
    l->n = n;
    for (uint32_t i = 0; i < n; i++) v[i] = sp_get_i32(r);
    break;
  }
  }
  return sp_reader_ok(r);
}

int op_params_decode(op_kind k, const void *data, size_t len, void *p, char *err, size_t err_len) {
  const kind_params *kp = find(k);
  if (kp) memset(p, 0, kp->size);
  sp_reader r;
  sp_reader_init(&r, data, len);
  for (int i = 0; kp && i < kp->nfields; i++) {
    if (!decode_field(&kp->fields[i], p, &r)) {
      snprintf(err, err_len, "%s parameters: field '%s': %s", op_kind_name(k), kp->fields[i].name,
               r.error);
      bool oom = strstr(r.error, "out of memory") != NULL;
      op_params_free(k, p);
      return oom ? SPATE_ENOMEM : SPATE_ECORRUPT;
    }
  }
  if (r.pos != len) {
    if (kp)
      snprintf(err, err_len, "%s parameters: %zu bytes after the last field '%s'", op_kind_name(k),
               len - r.pos, kp->fields[kp->nfields - 1].name);
    else
      snprintf(err, err_len, "%s has no parameters, but %zu bytes were given", op_kind_name(k),
               len);
    if (kp) op_params_free(k, p);
    return SPATE_ECORRUPT;
  }
  return 0;
}

void op_params_free(op_kind k, void *p) {
  const kind_params *kp = find(k);
  if (!kp || !p) return;
  for (int i = 0; i < kp->nfields; i++) {
    void *at = (uint8_t *)p + kp->fields[i].offset;
    switch (kp->fields[i].type) {
    case FT_STR: sp_free(op_params_take_str(at)); break;
    case FT_SCHEMA: schema_unref(*(const spate_schema **)at); break;
    case FT_STRS: {
      op_str_list *l = at;
      for (uint32_t j = 0; l->v && j < l->n; j++) sp_free((void *)(uintptr_t)l->v[j]);
      sp_free((void *)(uintptr_t)l->v);
      break;
    }
    case FT_BLOBS: sp_free((void *)(uintptr_t)((op_blob_list *)at)->v); break;
    case FT_I32S: sp_free((void *)(uintptr_t)((op_i32_list *)at)->v); break;
    default: break;
    }
  }
  memset(p, 0, kp->size);
}

int op_params_store(sg_node *n, const void *p) {
  sp_writer w;
  sp_writer_init(&w);
  if (op_params_encode(n->kind, p, &w) < 0) {
    sp_writer_free(&w);
    return SPATE_ENOMEM;
  }
  sp_free(n->params);
  n->params = sp_writer_take(&w, &n->params_len);
  return 0;
}

int op_params_load(const sg_node *n, void *p, char *err, size_t err_len) {
  return op_params_decode(n->kind, n->params, n->params_len, p, err, err_len);
}

/* The typed functions: the kind checked, then the generic ones. */
#define TYPED(KIND, NAME, LIST)                                           \
  int NAME##_store(sg_node *n, const NAME *p) {                           \
    return n->kind == KIND ? op_params_store(n, p) : SPATE_EINVAL;        \
  }                                                                       \
  int NAME##_load(const sg_node *n, NAME *p, char *err, size_t err_len) { \
    if (n->kind == KIND) return op_params_load(n, p, err, err_len);       \
    memset(p, 0, sizeof *p);                                              \
    snprintf(err, err_len, "%s has no " #NAME, op_kind_name(n->kind));    \
    return SPATE_EINVAL;                                                  \
  }
OP_PARAMS_KINDS(TYPED)
#undef TYPED
