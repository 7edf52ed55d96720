/*
 * schema.h: schemas (the public spate_schema) inside the engine. A schema is immutable once
 * built and reference-counted, because a job graph, its operators and the environment share them.
 */
#ifndef SPATE_TYPES_SCHEMA_H
#define SPATE_TYPES_SCHEMA_H
#include <stdatomic.h>
#include <stdbool.h>
#include "base/bytes.h"
#include "spate/spate.h"

typedef struct schema_field {
  char *name;
  spate_type type;
  bool nullable;
} schema_field;

struct spate_schema {
  _Atomic int refs;
  int nfields;
  schema_field fields[];
};

/* Builds a schema from arrays (names are copied). NULL on allocation failure. */
spate_schema *schema_new(int nfields, const char *const *names, const spate_type *types,
                         const bool *nullable);
spate_schema *schema_ref(const spate_schema *s); /* returns s with one more reference */
void schema_unref(const spate_schema *s);        /* spate_schema_free is the same */
bool schema_equal(const spate_schema *a, const spate_schema *b); /* names, types, nullability */
const char *schema_type_name(spate_type t);                      /* "BIGINT", ... */
/* "word STRING, count BIGINT NOT NULL"; caller frees with sp_free. */
char *schema_to_string(const spate_schema *s);
void schema_encode(sp_writer *w, const spate_schema *s);
/* NULL on error (message on r). */
spate_schema *schema_decode(sp_reader *r);
#endif
