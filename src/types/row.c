/*
 * row.c: the row builder, row validation, key equality and hashing over row fields, and the
 * Flink-compatible text form of rows (what print() and writeAsText() output).
 *
 * Everything here except validation and formatting runs once or more per record, so the
 * builder's setters do no allocation after warm-up (the area only grows, geometrically) and
 * record errors instead of returning them: a UDF sets fields in a straight line and the operator
 * checks once at finish. Rows produced by the builder are canonical (NULL fields and unused
 * bitmap bits are zero, padding is zero), so equal values give equal bytes.
 *
 * Formatting follows Java's toString of the boxed values Flink would hold (Double.toString,
 * LocalDateTime.toString, Arrays.toString(byte[])) and Flink's Tuple.toString for several
 * fields. One formatter writes either to a growable string or to a fixed caller buffer, so
 * spate_row_format needs no allocation.
 */
#include "types/row.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/utf8.h"
#include "types/calendar.h"

/* Offsets and lengths are 32-bit; the cap stays a multiple of 8 so finish can always pad. */
#define ROW_MAX_BYTES (UINT32_MAX & ~(uint32_t)7)

static inline uint32_t bitmap_bytes(uint32_t nfields) { return ((nfields + 63) / 64) * 8; }

static const char *field_name(const spate_schema *s, int i) { return s->fields[i].name; }

/* Records the first error since begin; later ones are dropped so the message names the cause. */
static void __attribute__((format(printf, 2, 3)))
rb_fail(spate_row_builder *b, const char *fmt, ...) {
  if (b->error[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b->error, sizeof b->error, fmt, ap);
  va_end(ap);
  if (!b->error[0]) snprintf(b->error, sizeof b->error, "row builder error");
}

static void __attribute__((noinline, cold)) bad_set(spate_row_builder *b, int i, spate_type t) {
  const spate_schema *s = b->schema;
  if (i < 0 || i >= s->nfields) {
    rb_fail(b, "field index %d out of range (the schema has %d fields), set as %s", i, s->nfields,
            schema_type_name(t));
    return;
  }
  rb_fail(b, "field %d '%s' is %s, set as %s", i, field_name(s, i),
          schema_type_name(s->fields[i].type), schema_type_name(t));
}

static inline bool check(spate_row_builder *b, int i, spate_type t) {
  if ((unsigned)i < b->nfields && b->types[i] == (uint8_t)t) return true;
  bad_set(b, i, t);
  return false;
}

/* Clears field i's NULL bit and writes its slot. */
static inline void put_slot(spate_row_builder *b, int i, uint64_t v) {
  uint8_t *word = b->buf + (size_t)(i / 64) * 8;
  uint64_t w;
  memcpy(&w, word, 8);
  w &= ~((uint64_t)1 << (i % 64));
  memcpy(word, &w, 8);
  memcpy(b->buf + b->slots + (size_t)i * 8, &v, 8);
}

int rb_reserve(spate_row_builder *b, uint32_t extra) {
  uint64_t need = (uint64_t)b->len + extra;
  if (need <= b->cap) return 0;
  if (need > ROW_MAX_BYTES) return SPATE_EINVAL;
  uint64_t cap = (uint64_t)b->cap * 2;
  if (cap < need) cap = need;
  cap = (cap + 7) & ~(uint64_t)7;
  if (cap > ROW_MAX_BYTES) cap = ROW_MAX_BYTES;
  uint8_t *buf = sp_realloc(b->buf, (size_t)cap);
  if (!buf) return SPATE_ENOMEM;
  b->buf = buf;
  b->cap = (uint32_t)cap;
  return 0;
}

int rb_init(spate_row_builder *b, const spate_schema *schema) {
  memset(b, 0, sizeof *b);
  if (!schema) return SPATE_EINVAL;
  uint32_t n = (uint32_t)schema->nfields;
  b->header = spate_row_header_size(n);
  b->slots = bitmap_bytes(n);
  /* Room for the header and a few short strings; bigger rows grow the area once. */
  b->cap = (b->header + 64 + 7) & ~(uint32_t)7;
  b->buf = sp_malloc(b->cap);
  /* header template, NOT NULL masks, then one type byte per field */
  uint64_t *tmpl = sp_calloc(1, (size_t)b->header + b->slots + n + 8); /* + 8: never 0 bytes */
  if (!b->buf || !tmpl) {
    sp_free(b->buf);
    sp_free(tmpl);
    b->buf = NULL;
    b->cap = 0;
    return SPATE_ENOMEM;
  }
  uint64_t *notnull = tmpl + b->header / 8;
  uint8_t *types = (uint8_t *)(notnull + b->slots / 8);
  for (uint32_t i = 0; i < n; i++) {
    types[i] = (uint8_t)schema->fields[i].type;
    tmpl[i / 64] |= (uint64_t)1 << (i % 64);
    if (!schema->fields[i].nullable) notnull[i / 64] |= (uint64_t)1 << (i % 64);
  }
  b->empty = tmpl;
  b->notnull = notnull;
  b->types = types;
  b->nfields = n;
  b->schema = schema_ref(schema);
  spate_rb_begin(b);
  return 0;
}

void rb_destroy(spate_row_builder *b) {
  if (!b) return;
  sp_free(b->buf);
  sp_free((void *)b->empty);
  schema_unref(b->schema);
  memset(b, 0, sizeof *b);
}

spate_row_builder *spate_rb_new(const spate_schema *schema) {
  if (!schema) return NULL;
  spate_row_builder *b = sp_malloc(sizeof *b);
  if (!b) return NULL;
  if (rb_init(b, schema) != 0) {
    sp_free(b);
    return NULL;
  }
  return b;
}

void spate_rb_free(spate_row_builder *b) {
  if (!b) return;
  rb_destroy(b);
  sp_free(b);
}

void spate_rb_begin(spate_row_builder *b) {
  /* Word by word from the template: headers are short (16 bytes for one field), too short for a
   * call to memcpy to pay. The area is 8-byte aligned (malloc). */
  uint64_t *dst = (uint64_t *)(void *)b->buf;
  const uint64_t *src = b->empty;
  for (uint32_t w = 0, words = b->header / 8; w < words; w++) dst[w] = src[w];
  b->len = b->header;
  b->error[0] = 0;
}

void spate_rb_set_null(spate_row_builder *b, int i) {
  const spate_schema *s = b->schema;
  if (i < 0 || i >= s->nfields) {
    rb_fail(b, "field index %d out of range (the schema has %d fields), set as NULL", i,
            s->nfields);
    return;
  }
  if (!s->fields[i].nullable) {
    rb_fail(b, "field %d '%s' is NOT NULL, set as NULL", i, field_name(s, i));
    return;
  }
  uint8_t *word = b->buf + (size_t)(i / 64) * 8;
  uint64_t w;
  memcpy(&w, word, 8);
  w |= (uint64_t)1 << (i % 64);
  memcpy(word, &w, 8);
  uint64_t zero = 0;
  memcpy(b->buf + b->slots + (size_t)i * 8, &zero, 8);
}

void spate_rb_set_bool(spate_row_builder *b, int i, bool v) {
  if (check(b, i, SPATE_BOOLEAN)) put_slot(b, i, v ? 1 : 0);
}

void spate_rb_set_int(spate_row_builder *b, int i, int32_t v) {
  if (check(b, i, SPATE_INT)) put_slot(b, i, (uint64_t)(int64_t)v);
}

void spate_rb_set_bigint(spate_row_builder *b, int i, int64_t v) {
  if (check(b, i, SPATE_BIGINT)) put_slot(b, i, (uint64_t)v);
}

void spate_rb_set_double(spate_row_builder *b, int i, double v) {
  if (!check(b, i, SPATE_DOUBLE)) return;
  uint64_t bits;
  memcpy(&bits, &v, 8);
  put_slot(b, i, bits);
}

void spate_rb_set_timestamp(spate_row_builder *b, int i, int64_t ms) {
  if (check(b, i, SPATE_TIMESTAMP)) put_slot(b, i, (uint64_t)ms);
}

/* Appends n bytes to the tail and points field i at them. The source may lie in the builder's
 * own area (a field copied from the row being built), so its position is kept as an offset
 * across a possible reallocation. */
static void put_var(spate_row_builder *b, int i, const void *p, size_t n) {
  if (n > ROW_MAX_BYTES) {
    rb_fail(b, "field %d '%s': value of %zu bytes is too large for a row", i,
            field_name(b->schema, i), n);
    return;
  }
  uintptr_t up = (uintptr_t)p, base = (uintptr_t)b->buf;
  bool inside = n > 0 && up >= base && up < base + b->cap;
  size_t rel = inside ? up - base : 0;
  int rc = rb_reserve(b, (uint32_t)n);
  if (rc) {
    rb_fail(b, "field %d '%s': %s growing the row by %zu bytes", i, field_name(b->schema, i),
            rc == SPATE_ENOMEM ? "out of memory" : "4 GiB row limit reached", n);
    return;
  }
  if (inside) p = b->buf + rel;
  uint32_t off = b->len;
  if (n) memcpy(b->buf + off, p, n);
  b->len += (uint32_t)n;
  put_slot(b, i, (uint64_t)off << 32 | (uint32_t)n);
}

void spate_rb_set_string(spate_row_builder *b, int i, const char *s, size_t len) {
  if (!check(b, i, SPATE_STRING)) return;
  if (!s && len) {
    rb_fail(b, "field %d '%s': NULL string pointer with length %zu", i, field_name(b->schema, i),
            len);
    return;
  }
  put_var(b, i, s, len);
}

void spate_rb_set_bytes(spate_row_builder *b, int i, const void *p, size_t len) {
  if (!check(b, i, SPATE_BYTES)) return;
  if (!p && len) {
    rb_fail(b, "field %d '%s': NULL bytes pointer with length %zu", i, field_name(b->schema, i),
            len);
    return;
  }
  put_var(b, i, p, len);
}

void spate_rb_set_field(spate_row_builder *b, int i, const spate_row *src, int j) {
  const spate_schema *s = b->schema;
  if (i < 0 || i >= s->nfields) {
    rb_fail(b, "field index %d out of range (the schema has %d fields)", i, s->nfields);
    return;
  }
  if (!src || j < 0 || (uint32_t)j >= src->nfields) {
    rb_fail(b, "field %d '%s': source field %d out of range (the source row has %u fields)", i,
            field_name(s, i), j, src ? src->nfields : 0);
    return;
  }
  if (spate_row_is_null(src, j)) {
    spate_rb_set_null(b, i);
    return;
  }
  uint64_t v = spate_row_slot_(src, j);
  spate_type t = s->fields[i].type;
  if (t == SPATE_STRING || t == SPATE_BYTES) {
    uint32_t off = (uint32_t)(v >> 32), n = (uint32_t)v;
    if ((uint64_t)off + n > src->len) {
      rb_fail(b, "field %d '%s': source field %d points outside its row", i, field_name(s, i), j);
      return;
    }
    put_var(b, i, src->data + off, n);
    return;
  }
  put_slot(b, i, v);
}

/* finish's rare cases: a sticky error, a NOT NULL field not set, a tail to pad. */
static int __attribute__((noinline)) finish_slow(spate_row_builder *b, spate_row *out) {
  const spate_schema *s = b->schema;
  if (!b->error[0]) {
    const uint64_t *bitmap = (const uint64_t *)(const void *)b->buf;
    for (uint32_t w = 0, words = b->slots / 8; w < words; w++) {
      uint64_t unset = bitmap[w] & b->notnull[w]; /* NOT NULL fields still NULL */
      if (unset) {
        int i = (int)(w * 64 + (uint32_t)__builtin_ctzll(unset));
        rb_fail(b, "field %d '%s' is NOT NULL but was not set", i, field_name(s, i));
        break;
      }
    }
  }
  if (b->error[0]) {
    if (out) *out = (spate_row){0};
    return SPATE_EINVAL;
  }
  /* Pad so rows packed back to back in a buffer stay 8-byte aligned; cap is a multiple of 8. */
  uint32_t padded = (b->len + 7) & ~(uint32_t)7;
  memset(b->buf + b->len, 0, padded - b->len);
  b->len = padded;
  if (out) *out = (spate_row){b->buf, b->len, b->nfields};
  return 0;
}

int spate_rb_finish(spate_row_builder *b, spate_row *out) {
  /* The common case in a few instructions: no error, no more than 64 fields, every NOT NULL
   * field set; a variable-length tail is padded with one masked store. */
  uint64_t bitmap0;
  memcpy(&bitmap0, b->buf, 8);
  if (__builtin_expect(b->error[0] || (bitmap0 & b->notnull[0]) || b->slots != 8, 0))
    return finish_slow(b, out);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (b->len & 7) { /* zero the bytes past the end in the last word (cap is a multiple of 8) */
    uint32_t base = b->len & ~(uint32_t)7;
    uint64_t w;
    memcpy(&w, b->buf + base, 8);
    w &= ((uint64_t)1 << ((b->len & 7) * 8)) - 1;
    memcpy(b->buf + base, &w, 8);
    b->len = base + 8;
  }
#else
  if (b->len & 7) return finish_slow(b, out);
#endif
  if (out) *out = (spate_row){b->buf, b->len, b->nfields};
  return 0;
}

const char *spate_rb_error(const spate_row_builder *b) {
  return b && b->error[0] ? b->error : NULL;
}

int spate_row_copy(const spate_row *src, spate_row *out) {
  *out = (spate_row){0};
  uint8_t *data = sp_malloc(src->len ? src->len : 1);
  if (!data) return SPATE_ENOMEM;
  if (src->len) memcpy(data, src->data, src->len);
  *out = (spate_row){data, src->len, src->nfields};
  return 0;
}

void spate_row_free(spate_row *row) {
  if (!row) return;
  sp_free((void *)row->data);
  *row = (spate_row){0};
}

/* ---------------------------------------------------------------------------------------------
 * Validation. */

int row_validate(const uint8_t *data, uint32_t len, const spate_schema *s, bool check_utf8,
                 char *err, size_t err_len) {
  uint32_t n = (uint32_t)s->nfields;
  uint32_t header = spate_row_header_size(n);
  if (!data || len < header)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "row of %u bytes is shorter than its header (%u bytes for %u fields)", len,
                  header, n);
  spate_row r = {data, len, n};
  for (uint32_t i = 0; i < n; i++) {
    if (spate_row_is_null(&r, (int)i)) {
      if (!s->fields[i].nullable)
        return sp_err(err, err_len, SPATE_ECORRUPT, "row field %u '%s' is NOT NULL but null", i,
                      s->fields[i].name);
      continue;
    }
    uint64_t v = spate_row_slot_(&r, (int)i);
    switch (s->fields[i].type) {
    case SPATE_BOOLEAN:
      if (v > 1)
        return sp_err(err, err_len, SPATE_ECORRUPT,
                      "row field %u '%s': BOOLEAN slot holds %" PRIu64 ", not 0 or 1", i,
                      s->fields[i].name, v);
      break;
    case SPATE_INT: {
      int64_t x = (int64_t)v;
      if (x < INT32_MIN || x > INT32_MAX)
        return sp_err(err, err_len, SPATE_ECORRUPT,
                      "row field %u '%s': INT slot holds %" PRId64 ", outside the 32-bit range", i,
                      s->fields[i].name, x);
      break;
    }
    case SPATE_STRING:
    case SPATE_BYTES: {
      uint32_t off = (uint32_t)(v >> 32), slen = (uint32_t)v;
      if (off < header || (uint64_t)off + slen > len)
        return sp_err(err, err_len, SPATE_ECORRUPT,
                      "row field %u '%s': value at offset %u, length %u lies outside the tail "
                      "[%u, %u)",
                      i, s->fields[i].name, off, slen, header, len);
      if (check_utf8 && s->fields[i].type == SPATE_STRING) {
        long bad = sp_utf8_invalid_at((const char *)data + off, slen);
        if (bad >= 0)
          return sp_err(err, err_len, SPATE_ECORRUPT,
                        "row field %u '%s': invalid UTF-8 at byte %ld of the string", i,
                        s->fields[i].name, bad);
      }
      break;
    }
    default: break; /* DOUBLE, BIGINT and TIMESTAMP accept every bit pattern */
    }
  }
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Equality and hashing of key fields. */

static bool is_var(spate_type t) { return t == SPATE_STRING || t == SPATE_BYTES; }

bool row_fields_equal(const spate_row *a, const int *afields, const spate_row *b,
                      const int *bfields, int n, const spate_schema *as) {
  for (int k = 0; k < n; k++) {
    int i = afields[k], j = bfields[k];
    bool na = spate_row_is_null(a, i), nb = spate_row_is_null(b, j);
    if (na || nb) {
      if (na != nb) return false;
      continue;
    }
    if (is_var(as->fields[i].type)) {
      spate_bytes x = spate_row_string(a, i), y = spate_row_string(b, j);
      if (x.len != y.len || (x.len && memcmp(x.ptr, y.ptr, x.len) != 0)) return false;
    } else if (spate_row_slot_(a, i) != spate_row_slot_(b, j)) {
      /* Doubles compare by bits: this is key identity (like Java's Double.equals, with
       * 0.0 != -0.0), not numeric equality. */
      return false;
    }
  }
  return true;
}

static int32_t java_hash_field(const spate_row *r, int i, spate_type t) {
  if (spate_row_is_null(r, i)) return 0;
  switch (t) {
  case SPATE_BOOLEAN: return sp_java_bool_hash(spate_row_bool(r, i));
  case SPATE_INT: return sp_java_int_hash(spate_row_int(r, i));
  case SPATE_BIGINT:
  case SPATE_TIMESTAMP: return sp_java_long_hash(spate_row_bigint(r, i));
  case SPATE_DOUBLE: return sp_java_double_hash(spate_row_double(r, i));
  case SPATE_STRING: {
    spate_bytes s = spate_row_string(r, i);
    return sp_java_string_hash(s.ptr, s.len);
  }
  case SPATE_BYTES: {
    /* Arrays.hashCode(byte[]): Java bytes are signed. */
    spate_bytes s = spate_row_string(r, i);
    uint32_t h = 1;
    for (uint32_t k = 0; k < s.len; k++) h = 31 * h + (uint32_t)(int32_t)(int8_t)s.ptr[k];
    return (int32_t)h;
  }
  }
  return 0;
}

int32_t row_fields_java_hash(const spate_row *r, const int *fields, int n, const spate_schema *s) {
  /* Flink keys by several positions with a TupleN, whose hashCode is
   * h = f0.hashCode(); h = 31 * h + fi.hashCode() for the rest (null counts 0). Starting from 0
   * gives exactly that, and a single field hashes as its value alone, as Tuple1 does. */
  uint32_t h = 0;
  for (int k = 0; k < n; k++)
    h = 31 * h + (uint32_t)java_hash_field(r, fields[k], s->fields[fields[k]].type);
  return (int32_t)h;
}

bool row_project(const spate_row *src, const int *fields, int n, spate_row_builder *b,
                 spate_row *out) {
  const spate_schema *s = b->schema;
  if (n != s->nfields || n < 1 || n > 64) return false;
  uint32_t header = b->header;
  uint64_t total = header; /* the header, then every variable-length value (64 bits: no wrap) */
  for (int k = 0; k < n; k++) {
    int j = fields[k];
    if (j < 0 || (uint32_t)j >= src->nfields) return false;
    if (is_var(s->fields[k].type) && !spate_row_is_null(src, j)) {
      uint64_t v = spate_row_slot_(src, j);
      if ((v >> 32) + (uint32_t)v > src->len) return false; /* outside the source row */
      total += (uint32_t)v;
    }
  }
  if (total > ROW_MAX_BYTES - 7) return false;
  uint32_t need = ((uint32_t)total + 7) & ~(uint32_t)7;
  b->len = 0;
  if (need > b->cap && rb_reserve(b, need) < 0) return false;
  uint64_t nulls = 0;
  uint32_t tail = header;
  for (int k = 0; k < n; k++) {
    int j = fields[k];
    uint64_t v = 0;
    if (spate_row_is_null(src, j)) {
      if (!s->fields[k].nullable) return false; /* the builder says what is wrong */
      nulls |= 1ull << k;
    } else {
      v = spate_row_slot_(src, j);
      if (is_var(s->fields[k].type)) {
        uint32_t off = (uint32_t)(v >> 32), len = (uint32_t)v; /* checked above */
        memcpy(b->buf + tail, src->data + off, len);
        v = (uint64_t)tail << 32 | len;
        tail += len;
      }
    }
    memcpy(b->buf + 8 + (size_t)k * 8, &v, 8);
  }
  memcpy(b->buf, &nulls, 8);
  memset(b->buf + tail, 0, need - tail);
  b->len = need;
  b->error[0] = 0;
  *out = (spate_row){b->buf, need, (uint32_t)n};
  return true;
}

uint64_t row_fields_hash64(const spate_row *r, const int *fields, int n, const spate_schema *s) {
  uint64_t h = 0x27d4eb2f165667c5ULL;
  for (int k = 0; k < n; k++) {
    int i = fields[k];
    uint64_t fh;
    if (spate_row_is_null(r, i)) {
      fh = 0x9e3779b97f4a7c15ULL; /* distinct from the empty string's hash */
    } else if (is_var(s->fields[i].type)) {
      spate_bytes v = spate_row_string(r, i);
      fh = sp_hash64(v.ptr ? v.ptr : "", v.len);
    } else {
      uint64_t v = spate_row_slot_(r, i);
      fh = sp_hash64(&v, 8);
    }
    /* Order-sensitive mix so (a, b) and (b, a) differ. */
    h = (h ^ fh) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  return h;
}

/* ---------------------------------------------------------------------------------------------
 * Text form. */

/* Where formatted text goes: a growable string (sb) or a fixed buffer that truncates while
 * counting the full length. */
typedef struct text_out {
  sp_strbuf *sb;
  char *buf;
  size_t cap;
  size_t len;
  int rc;
} text_out;

static void emit(text_out *o, const char *p, size_t n) {
  if (o->sb) {
    if (!o->rc) o->rc = sp_strbuf_append(o->sb, p, n);
  } else if (o->cap && o->len < o->cap - 1) {
    size_t room = o->cap - 1 - o->len;
    memcpy(o->buf + o->len, p, n < room ? n : room);
  }
  o->len += n;
}

static void emit_str(text_out *o, const char *s) { emit(o, s, strlen(s)); }

/* Java's Double.toString: the shortest decimal that reads back as the same double (with at
 * least two digits considered when one would do, as the JDK 19+ specification says), printed
 * plainly for 1e-3 <= |d| < 1e7 and as d.dddE±n otherwise. */
static size_t java_double(double d, char out[40]) {
  if (isnan(d)) return (size_t)snprintf(out, 40, "NaN");
  if (isinf(d)) return (size_t)snprintf(out, 40, d > 0 ? "Infinity" : "-Infinity");
  if (d == 0) return (size_t)snprintf(out, 40, signbit(d) ? "-0.0" : "0.0");
  char sci[40];
  int prec;
  for (prec = 0; prec < 16; prec++) {
    snprintf(sci, sizeof sci, "%.*e", prec, d);
    if (strtod(sci, NULL) == d) break;
  }
  if (prec == 16) snprintf(sci, sizeof sci, "%.16e", d);
  /* When one digit suffices Java picks the closest two-digit decimal (4.9E-324, not 5.0E-324). */
  if (prec == 0) snprintf(sci, sizeof sci, "%.1e", d);
  char digits[24];
  int nd = 0;
  const char *p = sci;
  bool neg = *p == '-';
  if (neg) p++;
  for (; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9') digits[nd++] = *p;
  int exp = atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  size_t n = 0;
  if (neg) out[n++] = '-';
  double a = fabs(d);
  if (a >= 1e-3 && a < 1e7) {
    if (exp >= 0) {
      for (int k = 0; k <= exp; k++) out[n++] = k < nd ? digits[k] : '0';
      out[n++] = '.';
      if (nd > exp + 1)
        for (int k = exp + 1; k < nd; k++) out[n++] = digits[k];
      else
        out[n++] = '0';
    } else {
      out[n++] = '0';
      out[n++] = '.';
      for (int k = 0; k < -exp - 1; k++) out[n++] = '0';
      for (int k = 0; k < nd; k++) out[n++] = digits[k];
    }
    out[n] = 0;
    return n;
  }
  out[n++] = digits[0];
  out[n++] = '.';
  if (nd > 1)
    for (int k = 1; k < nd; k++) out[n++] = digits[k];
  else
    out[n++] = '0';
  n += (size_t)snprintf(out + n, 40 - n, "E%d", exp);
  return n;
}

/* LocalDateTime.toString of a UTC instant: uuuu-MM-ddTHH:mm, then :ss unless seconds and
 * fraction are zero, then .SSS unless the millis are zero. */
static size_t java_timestamp(int64_t ms, char out[48]) {
  int64_t rem, days = cal_day_of(ms, &rem);
  int64_t y;
  int mo, d;
  cal_civil_from_days(days, &y, &mo, &d);
  int h = (int)(rem / 3600000), mi = (int)(rem / 60000 % 60), s = (int)(rem / 1000 % 60),
      milli = (int)(rem % 1000);
  size_t n;
  if (y > -1000 && y < 1000)
    n = (size_t)snprintf(out, 48, "%s%04d", y < 0 ? "-" : "", (int)(y < 0 ? -y : y));
  else
    n = (size_t)snprintf(out, 48, "%s%" PRId64, y > 9999 ? "+" : "", y);
  n += (size_t)snprintf(out + n, 48 - n, "-%02d-%02dT%02d:%02d", mo, d, h, mi);
  if (s || milli) n += (size_t)snprintf(out + n, 48 - n, ":%02d", s);
  if (milli) n += (size_t)snprintf(out + n, 48 - n, ".%03d", milli);
  return n;
}

static void format_field(text_out *o, const spate_row *r, int i, const spate_schema *s) {
  char tmp[48];
  size_t n;
  if (spate_row_is_null(r, i)) {
    emit(o, "null", 4);
    return;
  }
  switch (s->fields[i].type) {
  case SPATE_BOOLEAN: emit_str(o, spate_row_bool(r, i) ? "true" : "false"); return;
  case SPATE_INT:
    n = (size_t)snprintf(tmp, sizeof tmp, "%" PRId32, spate_row_int(r, i));
    emit(o, tmp, n);
    return;
  case SPATE_BIGINT:
    n = (size_t)snprintf(tmp, sizeof tmp, "%" PRId64, spate_row_bigint(r, i));
    emit(o, tmp, n);
    return;
  case SPATE_DOUBLE:
    n = java_double(spate_row_double(r, i), tmp);
    emit(o, tmp, n);
    return;
  case SPATE_TIMESTAMP:
    n = java_timestamp(spate_row_timestamp(r, i), tmp);
    emit(o, tmp, n);
    return;
  case SPATE_STRING: {
    spate_bytes v = spate_row_string(r, i);
    emit(o, v.ptr, v.len);
    return;
  }
  case SPATE_BYTES: {
    spate_bytes v = spate_row_string(r, i);
    emit(o, "[", 1);
    for (uint32_t k = 0; k < v.len; k++) {
      n = (size_t)snprintf(tmp, sizeof tmp, k ? ", %d" : "%d", (int)(int8_t)v.ptr[k]);
      emit(o, tmp, n);
    }
    emit(o, "]", 1);
    return;
  }
  }
  emit_str(o, "?");
}

static void format_row(text_out *o, const spate_row *r, const spate_schema *s) {
  if (s->nfields == 1) {
    format_field(o, r, 0, s);
    return;
  }
  /* Flink's Tuple.toString: "(a,b,c)" with no spaces. */
  emit(o, "(", 1);
  for (int i = 0; i < s->nfields; i++) {
    if (i) emit(o, ",", 1);
    format_field(o, r, i, s);
  }
  emit(o, ")", 1);
}

int row_format_field(sp_strbuf *sb, const spate_row *r, int i, const spate_schema *s) {
  text_out o = {.sb = sb};
  format_field(&o, r, i, s);
  return o.rc;
}

int row_format(sp_strbuf *sb, const spate_row *r, const spate_schema *s) {
  text_out o = {.sb = sb};
  format_row(&o, r, s);
  return o.rc;
}

size_t spate_row_format(const spate_row *row, const spate_schema *schema, char *out, size_t cap) {
  text_out o = {.buf = out, .cap = out ? cap : 0};
  format_row(&o, row, schema);
  if (o.cap) out[o.len < o.cap - 1 ? o.len : o.cap - 1] = 0;
  return o.len;
}
