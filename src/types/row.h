/*
 * row.h: the binary row format (see include/spate/spate.h) and the row builder.
 *
 * A builder owns one growable area; begin resets it to "all fields NULL, empty tail", setters
 * write slots and append to the tail, finish checks NOT NULL fields and the sticky error. The
 * area only grows, so after warm-up building a row allocates nothing.
 */
#ifndef SPATE_TYPES_ROW_H
#define SPATE_TYPES_ROW_H
#include <stdbool.h>
#include <string.h>
#include "base/strbuf.h"
#include "types/schema.h"

struct spate_row_builder {
  const spate_schema *schema; /* referenced */
  uint8_t *buf;
  uint32_t cap;
  uint32_t len;    /* header + tail written so far */
  uint32_t header; /* spate_row_header_size(nfields) */
  uint32_t slots;  /* offset of the first slot: the NULL bitmap's bytes */
  /* What begin and finish need without walking the schema, built once by rb_init in one
   * allocation: `empty` is the header of a row with every field NULL (bitmap bits set, slots
   * zero), `notnull` one mask per bitmap word with the bits of the NOT NULL fields, `types` one
   * byte per field. */
  const uint64_t *empty;
  const uint64_t *notnull;
  const uint8_t *types; /* spate_type of each field, for the setters' checks */
  uint32_t nfields;
  /* The typed record (spate_record_desc) last found to match the schema by the record checks
   * (record_checks.c), so that they check a record's writes once per builder; NULL: none. */
  const void *checked_record;
  char error[256]; /* first setter error since begin; empty if none */
};

/* The DATE values Flink's DATE holds: 0000-01-01 .. 9999-12-31 as days since 1970-01-01. */
#define ROW_DATE_MIN (-719528)
#define ROW_DATE_MAX 2932896

/* In-place init/teardown for builders embedded in other structs. */
int rb_init(spate_row_builder *b, const spate_schema *schema);
void rb_destroy(spate_row_builder *b);
/* Ensures room for `extra` more tail bytes. */
int rb_reserve(spate_row_builder *b, uint32_t extra);
/* Records the builder's first error since begin (later ones are dropped). */
void rb_fail(spate_row_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The setters' check: field i exists and is of kind t or t2 (t twice for one kind); otherwise
 * an error on the builder naming the field and t (rb_bad_set, kept out of line: it is cold). */
void rb_bad_set(spate_row_builder *b, int i, spate_type t) __attribute__((noinline, cold));
static inline bool rb_check_kind(spate_row_builder *b, int i, spate_type t, spate_type t2) {
  if ((unsigned)i < b->nfields && (b->types[i] == (uint8_t)t || b->types[i] == (uint8_t)t2))
    return true;
  rb_bad_set(b, i, t);
  return false;
}
/* Clears field i's NULL bit and writes its 8-byte slot (the row layout of
 * include/spate/spate.h), unchecked: the caller has checked i and the field's kind. */
static inline void rb_put_slot(spate_row_builder *b, int i, uint64_t v) {
  uint8_t *word = b->buf + (size_t)(i / 64) * 8;
  uint64_t w;
  memcpy(&w, word, 8);
  w &= ~((uint64_t)1 << (i % 64));
  memcpy(word, &w, 8);
  memcpy(b->buf + b->slots + (size_t)i * 8, &v, 8);
}
/* Appends n bytes (which may lie in the builder's own area) to the tail and points field i at
 * them; an error on the builder when the row cannot grow. */
void rb_put_var(spate_row_builder *b, int i, const void *p, size_t n);

/* Checks that bytes are a well-formed row of the schema: size, slot offsets inside the row,
 * every fixed value in its type's range (booleans 0/1, TINYINT, SMALLINT, INT, DATE, TIME,
 * DECIMAL digits, FLOAT's unused half), fixed-size tail values of their size with their ranges
 * (TIMESTAMP nanos, DECIMAL digits), valid UTF-8 in STRING and CHAR fields when check_utf8. Returns 0 or SPATE_ECORRUPT with a
 * message. */
int row_validate(const uint8_t *data, uint32_t len, const spate_schema *s, bool check_utf8,
                 char *err, size_t err_len);

/* Checks an array value (u32 count, u32 zero, elements in the row layout) of elem's type. */
int row_validate_array(const uint8_t *p, uint32_t len, const schema_field *elem, char *err,
                       size_t err_len);

/* Equality and Java-compatible hash of the fields `fields[0..n)` of a row (see base/hash.h: a
 * single field hashes as its Java value's hashCode, several as Flink's TupleN.hashCode:
 * h = hash(f0), then h = 31 * h + hash(fi)). */
bool row_fields_equal(const spate_row *a, const int *afields, const spate_row *b,
                      const int *bfields, int n, const spate_schema *as);
int32_t row_fields_java_hash(const spate_row *r, const int *fields, int n, const spate_schema *s);
/* Builds into b the row of the fields `fields[0..n)` of src, b's schema having field k of the
 * type of src field fields[k] (a key row): the bytes spate_rb_begin, spate_rb_set_field for each
 * field and spate_rb_finish would build, without their per-field checks, for the per-record
 * key extraction of keyed operators. Returns true with *out, or false when the row needs the
 * builder's path (more than 64 fields, a NULL in a NOT NULL field, a malformed source), which
 * then fails with its message. */
bool row_project(const spate_row *src, const int *fields, int n, spate_row_builder *b,
                 spate_row *out);
/* Hash for hash tables over the same fields (xxhash of the values). */
uint64_t row_fields_hash64(const spate_row *r, const int *fields, int n, const spate_schema *s);

/* Appends Flink's text form of one value (row_format.c: Java toString of the value Flink's
 * DataStream holds: doubles like Double.toString, timestamps as ISO-8601
 * "2026-11-21T05:03:52.123", bytes as "[1, -2]", ...) to a growable string (base/strbuf.h).
 * Returns 0 or SPATE_ENOMEM. */
int row_format_field(sp_strbuf *sb, const spate_row *r, int i, const spate_schema *s);
int row_format(sp_strbuf *sb, const spate_row *r, const spate_schema *s); /* whole row */
/* Java's Double.toString (Float.toString when single) of d into out; returns the length. */
size_t row_java_number(double d, bool single, char out[40]);

#endif
