/*
 * row.c: the row builder, row validation, and key equality and hashing over row fields (the
 * Flink-compatible text form of rows is in row_format.c).
 *
 * Everything here except validation and formatting runs once or more per record, so the
 * builder's setters do no allocation after warm-up (the area only grows, geometrically) and
 * record errors instead of returning them: a UDF sets fields in a straight line and the operator
 * checks once at finish. Rows produced by the builder are canonical (NULL fields and unused
 * bitmap bits are zero, padding is zero), so equal values give equal bytes.
 *
 * Every SQL type lives in its 8-byte slot except strings, bytes, TIMESTAMP(p > 3) and
 * DECIMAL(p > 18), whose slot points into the tail (spate.h has the layout). The two fixed-size
 * tail values (12 and 16 bytes) could have been squeezed elsewhere, but as tail values every
 * generic path (copying a field, projecting a key, equality and hashing over the bytes, bounds
 * checks) treats them as it treats a string, and the common precisions (TIMESTAMP(3),
 * DECIMAL(p <= 18)) stay in the slot.
 *
 * Key hashes are Java's hashCode of the value Flink's DataStream would key by (Byte, Short,
 * Float, BigDecimal, LocalDate, LocalTime, LocalDateTime, Instant, Period, Duration), so key
 * groups match Flink's for the same keys.
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
#include "types/decimal.h"
#include "types/temporal_text.h"

/* Offsets and lengths are 32-bit; the cap stays a multiple of 8 so finish can always pad. */
#define ROW_MAX_BYTES (UINT32_MAX & ~(uint32_t)7)

static inline uint32_t bitmap_bytes(uint32_t nfields) { return ((nfields + 63) / 64) * 8; }

static const char *field_name(const spate_schema *s, int i) { return s->fields[i].name; }

/* Records the first error since begin; later ones are dropped so the message names the cause. */
void rb_fail(spate_row_builder *b, const char *fmt, ...) {
  if (b->error[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b->error, sizeof b->error, fmt, ap);
  va_end(ap);
  if (!b->error[0]) snprintf(b->error, sizeof b->error, "row builder error");
}

void rb_bad_set(spate_row_builder *b, int i, spate_type t) {
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
  return rb_check_kind(b, i, t, t);
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
  if (check(b, i, SPATE_BOOLEAN)) rb_put_slot(b, i, v ? 1 : 0);
}

void spate_rb_set_int(spate_row_builder *b, int i, int32_t v) {
  if (check(b, i, SPATE_INT)) rb_put_slot(b, i, (uint64_t)(int64_t)v);
}

void spate_rb_set_bigint(spate_row_builder *b, int i, int64_t v) {
  if (check(b, i, SPATE_BIGINT)) rb_put_slot(b, i, (uint64_t)v);
}

void spate_rb_set_double(spate_row_builder *b, int i, double v) {
  if (!check(b, i, SPATE_DOUBLE)) return;
  uint64_t bits;
  memcpy(&bits, &v, 8);
  rb_put_slot(b, i, bits);
}

/* Appends n bytes to the tail and points field i at them. The source may lie in the builder's
 * own area (a field copied from the row being built), so its position is kept as an offset
 * across a possible reallocation. */
void rb_put_var(spate_row_builder *b, int i, const void *p, size_t n) {
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
  rb_put_slot(b, i, (uint64_t)off << 32 | (uint32_t)n);
}

void spate_rb_set_string(spate_row_builder *b, int i, const char *s, size_t len) {
  if (!rb_check_kind(b, i, SPATE_STRING, SPATE_CHAR)) return;
  if (!s && len) {
    rb_fail(b, "field %d '%s': NULL string pointer with length %zu", i, field_name(b->schema, i),
            len);
    return;
  }
  rb_put_var(b, i, s, len);
}

void spate_rb_set_bytes(spate_row_builder *b, int i, const void *p, size_t len) {
  if (!rb_check_kind(b, i, SPATE_BYTES, SPATE_BINARY)) return;
  if (!p && len) {
    rb_fail(b, "field %d '%s': NULL bytes pointer with length %zu", i, field_name(b->schema, i),
            len);
    return;
  }
  rb_put_var(b, i, p, len);
}

void spate_rb_set_tinyint(spate_row_builder *b, int i, int8_t v) {
  if (check(b, i, SPATE_TINYINT)) rb_put_slot(b, i, (uint64_t)(int64_t)v);
}

void spate_rb_set_smallint(spate_row_builder *b, int i, int16_t v) {
  if (check(b, i, SPATE_SMALLINT)) rb_put_slot(b, i, (uint64_t)(int64_t)v);
}

void spate_rb_set_float(spate_row_builder *b, int i, float v) {
  if (!check(b, i, SPATE_FLOAT)) return;
  uint32_t bits;
  memcpy(&bits, &v, 4);
  rb_put_slot(b, i, bits);
}

void spate_rb_set_decimal(spate_row_builder *b, int i, spate_int128 unscaled) {
  if (!check(b, i, SPATE_DECIMAL)) return;
  const schema_field *f = &b->schema->fields[i];
  if (!dec_fits(unscaled, f->precision)) {
    char text[DEC_TEXT_MAX];
    dec_to_plain(unscaled, 0, text);
    rb_fail(b, "field %d '%s': unscaled value %s has more than the %d digits of DECIMAL(%d, %d)", i,
            f->name, text, f->precision, f->precision, f->scale);
    return;
  }
  if (f->precision <= DEC_COMPACT_PRECISION) {
    rb_put_slot(b, i, (uint64_t)(int64_t)unscaled);
    return;
  }
  rb_put_var(b, i, &unscaled, 16);
}

void spate_rb_set_date(spate_row_builder *b, int i, int32_t days) {
  if (!check(b, i, SPATE_DATE)) return;
  if (days < ROW_DATE_MIN || days > ROW_DATE_MAX) {
    rb_fail(b,
            "field %d '%s': DATE %" PRId32
            " (days since 1970-01-01) is outside the years "
            "0000..9999",
            i, field_name(b->schema, i), days);
    return;
  }
  rb_put_slot(b, i, (uint64_t)(int64_t)days);
}

/* 10^(3 - p) for the millisecond digits a precision p <= 3 keeps, 10^(9 - p) for nanos. */
static const int32_t cut_ms[] = {1000, 100, 10, 1};
static const int32_t cut_ns[] = {1000000000, 100000000, 10000000, 1000000, 100000,
                                 10000,      1000,      100,      10,      1};

void spate_rb_set_time(spate_row_builder *b, int i, int32_t ms) {
  if (!check(b, i, SPATE_TIME)) return;
  if (ms < 0 || ms >= 86400000) {
    rb_fail(b, "field %d '%s': TIME %" PRId32 " is not a millisecond of the day (0..86399999)", i,
            field_name(b->schema, i), ms);
    return;
  }
  int p = b->schema->fields[i].precision;
  if (p < 3) ms -= ms % cut_ms[p];
  rb_put_slot(b, i, (uint64_t)(int64_t)ms);
}

void spate_rb_set_timestamp_nanos(spate_row_builder *b, int i, int64_t ms, int32_t nanos) {
  if (!rb_check_kind(b, i, SPATE_TIMESTAMP, SPATE_TIMESTAMP_LTZ)) return;
  if (nanos < 0 || nanos > 999999) {
    rb_fail(b, "field %d '%s': %" PRId32 " nanoseconds of a millisecond (0..999999)", i,
            field_name(b->schema, i), nanos);
    return;
  }
  int p = b->schema->fields[i].precision;
  if (p <= 3) {
    /* Cut toward the past, as LocalDateTime.truncatedTo does on the wall-clock fields. */
    int64_t c = cut_ms[p], r = ms % c, t = ms - r; /* toward zero, then down a step if below */
    if (r < 0 && t >= INT64_MIN + c) t -= c;       /* (none below INT64_MIN exists) */
    rb_put_slot(b, i, (uint64_t)t);
    return;
  }
  nanos -= nanos % cut_ns[p]; /* of the 6 digits of the nanos, p - 3 are kept */
  uint8_t v[12];
  memcpy(v, &ms, 8);
  memcpy(v + 8, &nanos, 4);
  rb_put_var(b, i, v, 12);
}

void spate_rb_set_timestamp(spate_row_builder *b, int i, int64_t ms) {
  /* The common case (TIMESTAMP(3)) writes the slot straight away. */
  if ((unsigned)i < b->nfields && b->types[i] == SPATE_TIMESTAMP &&
      b->schema->fields[i].precision == 3) {
    rb_put_slot(b, i, (uint64_t)ms);
    return;
  }
  spate_rb_set_timestamp_nanos(b, i, ms, 0);
}

void spate_rb_set_interval_months(spate_row_builder *b, int i, int32_t months) {
  if (check(b, i, SPATE_INTERVAL_YM)) rb_put_slot(b, i, (uint64_t)(int64_t)months);
}

void spate_rb_set_interval_ms(spate_row_builder *b, int i, int64_t ms) {
  if (check(b, i, SPATE_INTERVAL_DT)) rb_put_slot(b, i, (uint64_t)ms);
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
  if (type_is_var(&s->fields[i])) {
    uint32_t off = (uint32_t)(v >> 32), n = (uint32_t)v;
    uint32_t fixed = type_fixed_tail(&s->fields[i]);
    if ((uint64_t)off + n > src->len || (fixed && n != fixed)) {
      rb_fail(b, "field %d '%s': source field %d points outside its row", i, field_name(s, i), j);
      return;
    }
    rb_put_var(b, i, src->data + off, n);
    return;
  }
  rb_put_slot(b, i, v);
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

static int check_composite(const uint8_t *p, uint32_t len, const schema_field *f, bool check_utf8,
                           char *err, size_t err_len);

/* Checks n fields at data (len bytes) in the row layout, of the types fields[0..n), or all of
 * fields[0]'s type when repeat (an array's elements). */
static int check_fields(const uint8_t *data, uint32_t len, uint32_t n, const schema_field *fields,
                        bool repeat, bool check_utf8, char *err, size_t err_len) {
  if (!data || (uint64_t)n * 8 > len || len < spate_row_header_size(n))
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "row of %u bytes is shorter than its header (%" PRIu64 " bytes for %u fields)",
                  len, ((uint64_t)n + 63) / 64 * 8 + (uint64_t)n * 8, n);
  uint32_t header = spate_row_header_size(n);
  spate_row r = {data, len, n};
  for (uint32_t i = 0; i < n; i++) {
    const schema_field *f = repeat ? fields : &fields[i];
    if (spate_row_is_null(&r, (int)i)) {
      if (!f->nullable)
        return sp_err(err, err_len, SPATE_ECORRUPT, "row field %u '%s' is NOT NULL but null", i,
                      f->name);
      continue;
    }
    uint64_t v = spate_row_slot_(&r, (int)i);
    if (type_is_var(f)) {
      uint32_t off = (uint32_t)(v >> 32), slen = (uint32_t)v;
      if (off < header || (uint64_t)off + slen > len)
        return sp_err(err, err_len, SPATE_ECORRUPT,
                      "row field %u '%s': value at offset %u, length %u lies outside the tail "
                      "[%u, %u)",
                      i, f->name, off, slen, header, len);
      uint32_t fixed = type_fixed_tail(f);
      if (fixed && slen != fixed)
        return sp_err(err, err_len, SPATE_ECORRUPT,
                      "row field %u '%s': a %s value has %u bytes, not %u", i, f->name,
                      schema_type_name(f->type), slen, fixed);
      if (check_utf8 && (f->type == SPATE_STRING || f->type == SPATE_CHAR)) {
        long bad = sp_utf8_invalid_at((const char *)data + off, slen);
        if (bad >= 0)
          return sp_err(err, err_len, SPATE_ECORRUPT,
                        "row field %u '%s': invalid UTF-8 at byte %ld of the string", i, f->name,
                        bad);
      }
      if (f->type == SPATE_TIMESTAMP || f->type == SPATE_TIMESTAMP_LTZ) {
        int32_t nanos;
        memcpy(&nanos, data + off + 8, 4);
        if (nanos < 0 || nanos > 999999)
          return sp_err(err, err_len, SPATE_ECORRUPT,
                        "row field %u '%s': %" PRId32 " nanoseconds of a millisecond", i, f->name,
                        nanos);
      }
      if (f->type == SPATE_DECIMAL) {
        spate_int128 x;
        memcpy(&x, data + off, 16);
        if (!dec_fits(x, f->precision))
          return sp_err(err, err_len, SPATE_ECORRUPT,
                        "row field %u '%s': the value has more than the %d digits of its DECIMAL",
                        i, f->name, f->precision);
      }
      if (type_is_composite(f->type)) {
        int rc = check_composite(data + off, slen, f, check_utf8, err, err_len);
        if (rc) return rc;
      }
      continue;
    }
    int64_t x = (int64_t)v, lo = INT64_MIN, hi = INT64_MAX;
    switch (f->type) {
    case SPATE_BOOLEAN: lo = 0, hi = 1; break;
    case SPATE_TINYINT: lo = INT8_MIN, hi = INT8_MAX; break;
    case SPATE_SMALLINT: lo = INT16_MIN, hi = INT16_MAX; break;
    case SPATE_INT:
    case SPATE_INTERVAL_YM: lo = INT32_MIN, hi = INT32_MAX; break;
    case SPATE_FLOAT: lo = 0, hi = UINT32_MAX; break; /* the high half is zero */
    case SPATE_DATE: lo = ROW_DATE_MIN, hi = ROW_DATE_MAX; break;
    case SPATE_TIME: lo = 0, hi = 86399999; break;
    case SPATE_DECIMAL: {
      int64_t lim = (int64_t)dec_pow10(f->precision);
      lo = -lim + 1, hi = lim - 1;
      break;
    }
    default: break; /* DOUBLE, BIGINT, TIMESTAMP(p <= 3), INTERVAL DAY TO SECOND: every pattern */
    }
    if (x < lo || x > hi)
      return sp_err(err, err_len, SPATE_ECORRUPT,
                    "row field %u '%s': %s slot holds %" PRId64 ", outside %" PRId64 "..%" PRId64,
                    i, f->name, schema_type_name(f->type), x, lo, hi);
  }
  return 0;
}

int row_validate(const uint8_t *data, uint32_t len, const spate_schema *s, bool check_utf8,
                 char *err, size_t err_len) {
  return check_fields(data, len, (uint32_t)s->nfields, s->fields, false, check_utf8, err, err_len);
}

/* An array value: u32 count, u32 zero, then count elements in the row layout. */
static int check_array(const uint8_t *p, uint32_t len, const schema_field *elem, bool check_utf8,
                       char *err, size_t err_len) {
  uint32_t n, zero;
  if (len < 8)
    return sp_err(err, err_len, SPATE_ECORRUPT, "an array of %u bytes has no header", len);
  memcpy(&n, p, 4);
  memcpy(&zero, p + 4, 4);
  if (zero != 0)
    return sp_err(err, err_len, SPATE_ECORRUPT, "an array header's second word is not zero");
  return check_fields(p + 8, len - 8, n, elem, true, check_utf8, err, err_len);
}

int row_validate_array(const uint8_t *p, uint32_t len, const schema_field *elem, char *err,
                       size_t err_len) {
  return check_array(p, len, elem, false, err, err_len);
}

static int check_composite(const uint8_t *p, uint32_t len, const schema_field *f, bool check_utf8,
                           char *err, size_t err_len) {
  const spate_schema *sub = f->sub;
  if (f->type == SPATE_ROW)
    return check_fields(p, len, (uint32_t)sub->nfields, sub->fields, false, check_utf8, err,
                        err_len);
  if (f->type == SPATE_ARRAY) return check_array(p, len, &sub->fields[0], check_utf8, err, err_len);
  /* MAP, MULTISET: u32 key array bytes K, u32 zero, keys, padding to 8, values */
  uint32_t k, zero;
  if (len < 8) return sp_err(err, err_len, SPATE_ECORRUPT, "a map of %u bytes has no header", len);
  memcpy(&k, p, 4);
  memcpy(&zero, p + 4, 4);
  uint64_t kpad = ((uint64_t)k + 7) & ~(uint64_t)7;
  if (zero != 0 || kpad > len - 8)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "a map's key array of %u bytes exceeds its %u bytes", k, len);
  int rc = check_array(p + 8, k, &sub->fields[0], check_utf8, err, err_len);
  if (rc == 0)
    rc = check_array(p + 8 + kpad, len - 8 - (uint32_t)kpad, &sub->fields[1], check_utf8, err,
                     err_len);
  uint32_t nk = 0, nv = 0;
  if (rc == 0) memcpy(&nk, p + 8, 4);
  if (rc == 0) memcpy(&nv, p + 8 + kpad, 4);
  if (rc == 0 && nk != nv)
    return sp_err(err, err_len, SPATE_ECORRUPT, "a map has %u keys but %u values", nk, nv);
  return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Equality and hashing of key fields. */

bool row_fields_equal(const spate_row *a, const int *afields, const spate_row *b,
                      const int *bfields, int n, const spate_schema *as) {
  for (int k = 0; k < n; k++) {
    int i = afields[k], j = bfields[k];
    bool na = spate_row_is_null(a, i), nb = spate_row_is_null(b, j);
    if (na || nb) {
      if (na != nb) return false;
      continue;
    }
    if (type_is_var(&as->fields[i])) {
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

static int32_t java_hash_field(const spate_row *r, int i, const schema_field *f) {
  if (spate_row_is_null(r, i)) return 0;
  switch (f->type) {
  case SPATE_BOOLEAN: return sp_java_bool_hash(spate_row_bool(r, i));
  /* Byte.hashCode and Short.hashCode are the value, as Integer.hashCode is. */
  case SPATE_TINYINT:
  case SPATE_SMALLINT:
  case SPATE_INT: return sp_java_int_hash(spate_row_int(r, i));
  case SPATE_BIGINT: return sp_java_long_hash(spate_row_bigint(r, i));
  case SPATE_TIMESTAMP:
    /* TIMESTAMP(p <= 3) keeps the Long.hashCode of its milliseconds that Spate's TIMESTAMP
     * always had (key groups of existing savepoints depend on it); a finer TIMESTAMP hashes as
     * the LocalDateTime Flink's DataStream would hold. */
    if (f->precision <= 3) return sp_java_long_hash(spate_row_bigint(r, i));
    {
      spate_timestamp t = spate_row_timestamp_p(r, i, f->precision);
      return tt_date_time_hash(t.ms, t.nanos);
    }
  case SPATE_TIMESTAMP_LTZ: {
    spate_timestamp t = spate_row_timestamp_p(r, i, f->precision);
    return tt_instant_hash(t.ms, t.nanos);
  }
  case SPATE_DATE: return tt_date_hash(spate_row_date(r, i));
  case SPATE_TIME: return tt_time_hash((int64_t)spate_row_time(r, i) * 1000000);
  case SPATE_INTERVAL_YM: return tt_period_hash(spate_row_interval_months(r, i), f->unit);
  case SPATE_INTERVAL_DT: { /* Duration.ofMillis: hashed as an Instant is */
    return tt_instant_hash(spate_row_interval_ms(r, i), 0);
  }
  case SPATE_DOUBLE: return sp_java_double_hash(spate_row_double(r, i));
  case SPATE_FLOAT: {
    /* Float.hashCode = floatToIntBits: the bits, every NaN as the canonical 0x7fc00000. */
    float x = spate_row_float(r, i);
    uint32_t bits;
    memcpy(&bits, &x, 4);
    return x != x ? 0x7fc00000 : (int32_t)bits;
  }
  case SPATE_DECIMAL: return dec_java_hash(spate_row_decimal(r, i, f->precision), f->scale);
  case SPATE_STRING:
  case SPATE_CHAR: {
    spate_bytes s = spate_row_string(r, i);
    return sp_java_string_hash(s.ptr, s.len);
  }
  case SPATE_ARRAY: {
    /* List.hashCode (Arrays.hashCode of the elements): h = 31 * h + element, from 1 */
    spate_array a = spate_row_array(r, i);
    uint32_t h = 1;
    for (uint32_t k = 0; k < a.elems.nfields; k++)
      h = 31 * h + (uint32_t)java_hash_field(&a.elems, (int)k, &f->sub->fields[0]);
    return (int32_t)h;
  }
  case SPATE_MAP:
  case SPATE_MULTISET: {
    /* Map.hashCode: the sum over entries of key.hashCode() ^ value.hashCode() */
    spate_map_data m = spate_row_map(r, i);
    uint32_t h = 0;
    for (uint32_t k = 0; k < m.keys.elems.nfields; k++)
      h += (uint32_t)(java_hash_field(&m.keys.elems, (int)k, &f->sub->fields[0]) ^
                      java_hash_field(&m.values.elems, (int)k, &f->sub->fields[1]));
    return (int32_t)h;
  }
  case SPATE_ROW: {
    /* Arrays.hashCode of the fields (Row.hashCode also mixes in its RowKind, an enum whose
     * hashCode is an identity hash, so no Java value is stable there) */
    spate_row x = spate_row_row(r, i, f->sub->nfields);
    uint32_t h = 1;
    for (int k = 0; k < f->sub->nfields; k++)
      h = 31 * h + (uint32_t)java_hash_field(&x, k, &f->sub->fields[k]);
    return (int32_t)h;
  }
  case SPATE_BYTES:
  case SPATE_BINARY: {
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
    h = 31 * h + (uint32_t)java_hash_field(r, fields[k], &s->fields[fields[k]]);
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
    if (type_is_var(&s->fields[k]) && !spate_row_is_null(src, j)) {
      uint64_t v = spate_row_slot_(src, j);
      if ((v >> 32) + (uint32_t)v > src->len) return false; /* outside the source row */
      uint32_t fixed = type_fixed_tail(&s->fields[k]);
      if (fixed && (uint32_t)v != fixed) return false;
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
      if (type_is_var(&s->fields[k])) {
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
    } else if (type_is_var(&s->fields[i])) {
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
