/*
 * schema.h: schemas (the public spate_schema) inside the engine. A schema is immutable once
 * built and reference-counted, because a job graph, its operators and the environment share them.
 */
#ifndef SPATE_TYPES_SCHEMA_H
#define SPATE_TYPES_SCHEMA_H
#include <stdatomic.h>
#include <stdbool.h>
#include "base/bytes.h"
#include "base/strbuf.h"
#include "spate/spate.h"

/* A field: its name and its type descriptor (what spate_schema_parse reads; see spate.h for
 * what precision, scale and length mean per type). Fields of types without a parameter keep it 0,
 * so that descriptors compare with memcmp-like field checks (schema_type_equal). */
typedef struct schema_field {
  char *name;
  spate_type type;
  bool nullable;
  uint8_t precision; /* DECIMAL p; TIME/TIMESTAMP/TIMESTAMP_LTZ fraction digits; INTERVAL leading */
  uint8_t scale;     /* DECIMAL s; INTERVAL fraction digits of its seconds */
  uint8_t unit;      /* spate_interval_unit of an INTERVAL, else 0 */
  int32_t length;    /* CHAR, VARCHAR, BINARY, VARBINARY */
  /* ARRAY, MAP, MULTISET, ROW: the schema of the parts (spate_schema_field_schema), one reference
   * owned by the field; NULL for other types. */
  spate_schema *sub;
} schema_field;

#define SCHEMA_MAX_DEPTH 16 /* composite types nest at most this deep (parse and decode) */

#define SCHEMA_MAX_LENGTH INT32_MAX /* STRING = VARCHAR(2147483647), BYTES likewise */

struct spate_schema {
  _Atomic int refs;
  int nfields;
  schema_field fields[];
};

/* Builds a schema from arrays (names are copied), each field with the default descriptor of its
 * type (type_default). NULL on allocation failure. */
spate_schema *schema_new(int nfields, const char *const *names, const spate_type *types,
                         const bool *nullable);
spate_schema *schema_ref(const spate_schema *s); /* returns s with one more reference */
void schema_unref(const spate_schema *s);        /* spate_schema_free is the same */
bool schema_equal(const spate_schema *a, const spate_schema *b); /* names, types, nullability */
/* A schema of fields[0..n) of s, names and descriptors copied. NULL on allocation failure. */
spate_schema *schema_select(const spate_schema *s, const int *fields, int n);
/* A schema of a's fields, then b's (names and descriptors copied). NULL on allocation failure. */
spate_schema *schema_concat(const spate_schema *a, const spate_schema *b);
/* A schema of n nullable fields named "0".."n-1" of f's type (an array's elements). */
spate_schema *schema_repeat(const schema_field *f, int n);
/* Appends f's type as Flink writes it, composites included ("ARRAY<INT NOT NULL>",
 * "ROW<a INT, b STRING>"). Returns 0 or SPATE_ENOMEM. */
int schema_type_text(sp_strbuf *sb, const schema_field *f);
const char *schema_type_name(spate_type t); /* "BIGINT", ...: the kind alone */

/* ---- type descriptors (type_desc.c) ---- */
/* The descriptor of a bare type name: TIMESTAMP(3), DECIMAL(10, 0), VARCHAR(2147483647), ... */
void type_default(schema_field *f, spate_type t);
/* Same type, parameters included (names and nullability aside). */
bool schema_type_equal(const schema_field *a, const schema_field *b);
/* Whether the field's value lives in the tail (slot = offset << 32 | length): strings, bytes,
 * TIMESTAMP(p > 3), DECIMAL(p > 18). Its length is then fixed for the last two. */
static inline bool type_is_var(const schema_field *f) {
  switch (f->type) {
  case SPATE_STRING:
  case SPATE_BYTES:
  case SPATE_CHAR:
  case SPATE_BINARY:
  case SPATE_ARRAY:
  case SPATE_MAP:
  case SPATE_MULTISET:
  case SPATE_ROW: return true;
  case SPATE_TIMESTAMP:
  case SPATE_TIMESTAMP_LTZ: return f->precision > 3;
  case SPATE_DECIMAL: return f->precision > 18;
  default: return false;
  }
}
/* The tail length of a fixed-size tail value (12, 16), 0 for others. */
static inline uint32_t type_fixed_tail(const schema_field *f) {
  if ((f->type == SPATE_TIMESTAMP || f->type == SPATE_TIMESTAMP_LTZ) && f->precision > 3) return 12;
  if (f->type == SPATE_DECIMAL && f->precision > 18) return 16;
  return 0;
}
static inline bool type_is_composite(spate_type t) {
  return t == SPATE_ARRAY || t == SPATE_MAP || t == SPATE_MULTISET || t == SPATE_ROW;
}
/* Appends the type as Flink writes it ("DECIMAL(10, 2)", no NOT NULL; a composite as its kind
 * alone, "ARRAY") to buf; returns the length (buf of at least TYPE_NAME_MAX bytes). */
#define TYPE_NAME_MAX 64
size_t type_to_string(const schema_field *f, char *buf);
/* Parses a type at *p (after skipping nothing: *p is at the type's first letter) into f; on
 * success advances *p past it. On error returns SPATE_EINVAL with *at the position of the
 * problem and *what a message (static or in whatbuf). */
int type_parse(const char **p, schema_field *f, const char **at, char *whatbuf, size_t whatlen);
/* Byte form of the parameters, after the u8 type and u8 flags of schema_encode; see schema.c. */
bool type_has_params(const schema_field *f); /* not the pre-parameter default of its kind */
void type_encode_params(sp_writer *w, const schema_field *f);
/* Reads and checks the parameters of f->type; false with a message on r. */
bool type_decode_params(sp_reader *r, schema_field *f);
/* Checks a decoded descriptor without parameters (the old byte form). */
bool type_kind_valid(unsigned kind);
/* The sub-schema's shape a composite kind needs (ARRAY one field, MAP two, MULTISET a key and
 * an INT NOT NULL value, ROW at least one); NULL or what is wrong. */
const char *type_check_sub(const schema_field *f);
/* "word STRING, count BIGINT NOT NULL"; caller frees with sp_free. */
char *schema_to_string(const spate_schema *s);
void schema_encode(sp_writer *w, const spate_schema *s);
/* NULL on error (message on r). */
spate_schema *schema_decode(sp_reader *r);
#endif
