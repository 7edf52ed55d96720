/*
 * row_composite.c: building ARRAY, MAP, MULTISET and ROW values: the array builder and the row
 * builder's setters that copy a finished composite value into a row's tail.
 *
 * Composites are built bottom-up, as Flink's BinaryArrayWriter and BinaryRowWriter do: the
 * innermost value first, then copied into its container. An array builder is a row builder over
 * a schema of `cap` nullable fields of the element type, so every setter (with its checks) serves
 * elements too; finish compacts the first n fields into the array layout (spate.h): the bitmap
 * and slots of n fields, the tail moved up, slot offsets of tail values shifted by the same
 * amount. The builder only grows (cap doubles when an array is longer), so after warm-up no
 * array allocates.
 *
 * A value handed to a setter is checked against the field's type with row validation before it
 * is copied (a wrong shape is an error on the builder, never bytes that a later reader trips on).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "types/row.h"

struct spate_array_builder {
  schema_field elem;    /* the element type (its part schema referenced) */
  spate_schema *syn;    /* cap nullable fields of elem's type */
  spate_row_builder rb; /* over syn */
  uint32_t cap, n;
  uint8_t *out; /* the finished array: header, bitmap and slots of n fields, tail */
  uint32_t out_cap;
};

static int grow(spate_array_builder *ab, uint32_t n) {
  uint32_t cap = ab->cap ? ab->cap : 4;
  while (cap < n) cap = cap > UINT32_MAX / 2 ? n : cap * 2;
  if (cap > (uint32_t)INT32_MAX / 16) return SPATE_ENOMEM; /* slots alone would pass 4 GiB */
  spate_schema *syn = schema_repeat(&ab->elem, (int)cap);
  if (!syn) return SPATE_ENOMEM;
  spate_row_builder rb;
  if (rb_init(&rb, syn) != 0) {
    schema_unref(syn);
    return SPATE_ENOMEM;
  }
  schema_unref(syn); /* the builder holds its own reference */
  if (ab->syn) rb_destroy(&ab->rb);
  ab->rb = rb;
  ab->syn = syn;
  ab->cap = cap;
  return 0;
}

spate_array_builder *spate_ab_new(const spate_schema *schema, int field, int part) {
  if (!schema || field < 0 || field >= schema->nfields) return NULL;
  const schema_field *f = &schema->fields[field];
  if (!type_is_composite(f->type) || f->type == SPATE_ROW || !f->sub) return NULL;
  if (part < 0 || part > (f->type == SPATE_ARRAY ? 0 : 1)) return NULL;
  spate_array_builder *ab = sp_calloc(1, sizeof *ab);
  if (!ab) return NULL;
  ab->elem = f->sub->fields[part];
  schema_ref(ab->elem.sub);
  if (grow(ab, 4) != 0) {
    schema_unref(ab->elem.sub);
    sp_free(ab);
    return NULL;
  }
  spate_ab_begin(ab, 0);
  return ab;
}

void spate_ab_free(spate_array_builder *ab) {
  if (!ab) return;
  if (ab->syn) rb_destroy(&ab->rb);
  schema_unref(ab->elem.sub);
  sp_free(ab->out);
  sp_free(ab);
}

int spate_ab_begin(spate_array_builder *ab, uint32_t n) {
  if (n > ab->cap) {
    int rc = grow(ab, n);
    if (rc) return rc;
  }
  ab->n = n;
  spate_rb_begin(&ab->rb);
  return 0;
}

spate_row_builder *spate_ab_elements(spate_array_builder *ab) { return &ab->rb; }

int spate_ab_finish(spate_array_builder *ab, spate_array *out) {
  spate_row_builder *b = &ab->rb;
  *out = (spate_array){{0, 0, 0}};
  uint32_t n = ab->n, cap = ab->cap;
  /* Elements past n must stay NULL, and NOT NULL elements below n must be set. */
  for (uint32_t k = 0; k < cap && !b->error[0]; k++) {
    uint64_t w;
    memcpy(&w, b->buf + (size_t)(k / 64) * 8, 8);
    bool null = (w >> (k % 64)) & 1;
    if (k >= n && !null)
      rb_fail(b, "element %u set in an array of %u elements", k, n);
    else if (k < n && null && !ab->elem.nullable)
      rb_fail(b, "element %u is NOT NULL but was not set", k);
  }
  spate_row row;
  if (spate_rb_finish(b, &row) != 0) return SPATE_EINVAL;
  uint32_t hcap = spate_row_header_size(cap), hn = spate_row_header_size(n);
  uint64_t size = 8 + (uint64_t)hn + (row.len - hcap);
  if (size > UINT32_MAX - 8) {
    rb_fail(b, "an array of %" PRIu64 " bytes is too large for a row", size);
    return SPATE_EINVAL;
  }
  if (size > ab->out_cap) {
    uint8_t *o = sp_realloc(ab->out, (size_t)size);
    if (!o) {
      rb_fail(b, "out of memory finishing an array");
      return SPATE_ENOMEM;
    }
    ab->out = o;
    ab->out_cap = (uint32_t)size;
  }
  uint8_t *o = ab->out;
  uint32_t count = n, zero = 0;
  memcpy(o, &count, 4);
  memcpy(o + 4, &zero, 4);
  uint32_t words = (n + 63) / 64;
  memcpy(o + 8, row.data, (size_t)words * 8);
  if (n % 64) { /* the bits of elements past n (NULL in the builder) are zero in the array */
    uint64_t w;
    memcpy(&w, o + 8 + (size_t)(words - 1) * 8, 8);
    w &= ((uint64_t)1 << (n % 64)) - 1;
    memcpy(o + 8 + (size_t)(words - 1) * 8, &w, 8);
  }
  uint32_t shift = hcap - hn; /* every tail value moves up by this much */
  bool var = type_is_var(&ab->elem);
  for (uint32_t k = 0; k < n; k++) {
    uint64_t v;
    memcpy(&v, row.data + (size_t)((cap + 63) / 64) * 8 + (size_t)k * 8, 8);
    if (var && !spate_row_is_null(&row, (int)k)) v -= (uint64_t)shift << 32;
    memcpy(o + 8 + (size_t)words * 8 + (size_t)k * 8, &v, 8);
  }
  memcpy(o + 8 + hn, row.data + hcap, row.len - hcap);
  out->elems = (spate_row){o + 8, (uint32_t)size - 8, n};
  return 0;
}

/* The kind check of the setters below: field i exists and is one of the kinds. */
static const schema_field *composite_field(spate_row_builder *b, int i, spate_type t,
                                           spate_type t2) {
  return rb_check_kind(b, i, t, t2) ? &b->schema->fields[i] : NULL;
}

void spate_rb_set_row(spate_row_builder *b, int i, const spate_row *value) {
  const schema_field *f = composite_field(b, i, SPATE_ROW, SPATE_ROW);
  if (!f) return;
  char err[200];
  if (!value || value->nfields != (uint32_t)f->sub->nfields ||
      row_validate(value->data, value->len, f->sub, false, err, sizeof err) != 0) {
    rb_fail(b, "field %d '%s': the value is not a row of its ROW type%s%s", i, f->name,
            value && value->nfields == (uint32_t)f->sub->nfields ? ": " : "",
            value && value->nfields == (uint32_t)f->sub->nfields ? err : "");
    return;
  }
  rb_put_var(b, i, value->data, value->len);
}

/* Checks that a (a view from an array builder or a row: its header lies right before elems)
 * holds elements of elem's type; on failure an error on b naming the field. */
static bool check_array_value(spate_row_builder *b, int i, const schema_field *f,
                              const schema_field *elem, const spate_array *a) {
  char err[200] = "no array";
  bool ok = a && a->elems.data;
  if (ok) {
    uint32_t n;
    memcpy(&n, a->elems.data - 8, 4);
    ok = n == a->elems.nfields;
  }
  if (ok) {
    spate_row r = a->elems;
    if ((uint64_t)r.nfields * 8 > r.len) {
      ok = false;
      snprintf(err, sizeof err, "%u elements in %u bytes", r.nfields, r.len);
    }
  }
  if (ok) /* the elements checked as row validation checks an array inside a row */
    ok = row_validate_array(a->elems.data - 8, a->elems.len + 8, elem, err, sizeof err) == 0;
  if (!ok) rb_fail(b, "field %d '%s': the value is not an array of its type: %s", i, f->name, err);
  return ok;
}

void spate_rb_set_array(spate_row_builder *b, int i, const spate_array *value) {
  const schema_field *f = composite_field(b, i, SPATE_ARRAY, SPATE_ARRAY);
  if (!f || !check_array_value(b, i, f, &f->sub->fields[0], value)) return;
  rb_put_var(b, i, value->elems.data - 8, (size_t)value->elems.len + 8);
}

void spate_rb_set_map(spate_row_builder *b, int i, const spate_array *keys,
                      const spate_array *values) {
  const schema_field *f = composite_field(b, i, SPATE_MAP, SPATE_MULTISET);
  if (!f || !check_array_value(b, i, f, &f->sub->fields[0], keys) ||
      !check_array_value(b, i, f, &f->sub->fields[1], values))
    return;
  if (keys->elems.nfields != values->elems.nfields) {
    rb_fail(b, "field %d '%s': %u keys but %u values", i, f->name, keys->elems.nfields,
            values->elems.nfields);
    return;
  }
  /* One tail value in three pieces: the header, the keys padded to 8 bytes, the values. An
   * array may lie in this builder's own area (copied from the row being built), so its place is
   * kept as an offset across the tail's growth. */
  uint32_t k = keys->elems.len + 8, kpad = (k + 7) & ~(uint32_t)7, v = values->elems.len + 8;
  uint64_t total = 8 + (uint64_t)kpad + v;
  const uint8_t *src[2] = {keys->elems.data - 8, values->elems.data - 8};
  uintptr_t base = (uintptr_t)b->buf;
  size_t rel[2];
  bool inside[2];
  for (int j = 0; j < 2; j++) {
    inside[j] = (uintptr_t)src[j] >= base && (uintptr_t)src[j] < base + b->cap;
    rel[j] = inside[j] ? (uintptr_t)src[j] - base : 0;
  }
  if (total > UINT32_MAX - 8 || rb_reserve(b, (uint32_t)total) != 0) {
    rb_fail(b, "field %d '%s': no room for a map of %" PRIu64 " bytes", i, f->name, total);
    return;
  }
  for (int j = 0; j < 2; j++)
    if (inside[j]) src[j] = b->buf + rel[j];
  uint8_t hdr[8] = {0};
  memcpy(hdr, &k, 4);
  uint8_t *at = b->buf + b->len;
  memcpy(at, hdr, 8);
  memmove(at + 8, src[0], k);
  memset(at + 8 + k, 0, kpad - k);
  memmove(at + 8 + kpad, src[1], v);
  uint32_t off = b->len;
  b->len += (uint32_t)total;
  /* point the field at it, as rb_put_var does: a zero-length copy from the bytes in place */
  uint64_t slot = (uint64_t)off << 32 | (uint32_t)total;
  uint64_t w;
  memcpy(&w, b->buf + (size_t)(i / 64) * 8, 8);
  w &= ~((uint64_t)1 << (i % 64));
  memcpy(b->buf + (size_t)(i / 64) * 8, &w, 8);
  memcpy(b->buf + b->slots + (size_t)i * 8, &slot, 8);
}
