/*
 * datagen.h: Flink's DataGen connector (SQL's 'connector' = 'datagen'): rows of a schema whose
 * fields are random values or sequences, at a rate, bounded or not.
 *
 * Options (Flink's keys, string values as a table's WITH clause holds them):
 *   rows-per-second      Long, default 10000, over all subtasks (each takes its share); 0: no
 *                        limit (Spate's addition, for tests and benchmarks)
 *   number-of-rows       Long; set: the source is bounded and emits that many rows
 *   fields.<f>.kind      random (default) | sequence
 *   fields.<f>.min/max   random numbers: the bounds (default the type's range)
 *   fields.<f>.max-past  random DATE, TIMESTAMP, TIMESTAMP_LTZ: how far before now (a
 *                        duration, default 0: now on the task's processing-time clock)
 *   fields.<f>.length    random strings and bytes: the length of VARCHAR(n)/VARBINARY(n)
 *                        (default and at most n) and STRING/BYTES (default 100); CHAR(n)/
 *                        BINARY(n): n; ARRAY and MAP: the number of elements (default 3)
 *   fields.<f>.start/end a sequence's inclusive bounds (both required); a sequence bounds the
 *                        source to end - start + 1 rows (the fewest of all its sequences, and
 *                        number-of-rows)
 *   fields.<f>.null-rate the fraction of NULLs (0 by default)
 *
 * Composite fields: an ARRAY, MAP or ROW of scalar parts gets random parts with their types'
 * defaults (not NULL); deeper nesting and MULTISET are refused ("Unsupported type: ...").
 *
 * The spec is parsed from the options by datagen_spec_parse, which the SQL table factory calls
 * to validate a table (its messages are Flink's) and the operator calls again from its params.
 *
 * Rows and splits: row n (0-based over the whole source) holds, in a sequence field, start + n,
 * and in a random field a value drawn from a generator seeded by the seed, n and the field's
 * index, so that a row is a function of its number: a bounded source gives subtask i of p the
 * rows [N * i / p, N * (i + 1) / p) (each subtask a contiguous part of every sequence, as
 * Flink's SequenceGenerator divides them), an unbounded one the rows i, i + p, i + 2p, ...
 * (connectors/index_splits.h). A checkpoint keeps the unfinished splits, so a restore continues
 * the sequences where the checkpoint left them, whatever the parallelism. Random values are not
 * Flink's (its draws come from Java's RandomDataGenerator), only their ranges are.
 */
#ifndef SPATE_CONNECTORS_DATAGEN_H
#define SPATE_CONNECTORS_DATAGEN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types/schema.h"

#define DATAGEN_DEFAULT_ROWS_PER_SECOND 10000
#define DATAGEN_DEFAULT_LENGTH 100
#define DATAGEN_MAX_LENGTH (1 << 20) /* a random string or bytes value, generated per row */

typedef struct datagen_field {
  bool sequence;
  int64_t start, end;  /* sequence (integers; strings are the numbers' text) */
  double dstart, dend; /* sequence of FLOAT, DOUBLE, DECIMAL */
  double min, max;     /* random FLOAT, DOUBLE, DECIMAL */
  int64_t imin, imax;  /* random integers */
  int64_t max_past_ms; /* random DATE and timestamps */
  int32_t length;      /* random strings and bytes */
  double null_rate;
} datagen_field;

typedef struct datagen_spec {
  int nfields;
  datagen_field *fields; /* owned (datagen_spec_free) */
  int64_t rows;          /* the rows of a bounded source; -1: unbounded */
  double rows_per_second;
} datagen_spec;

/* Parses the options kv[0..n) (key, value, ...; "connector" and keys it does not know are left
 * alone) for rows of schema. consumed (may be NULL; n / 2 entries) marks the pairs it read.
 * Returns 0, or SPATE_EINVAL with Flink's message in err ("Could not parse value 'abc' for key
 * 'rows-per-second'.", "Unsupported type: MULTISET<INT>", ...), or SPATE_ENOMEM. */
int datagen_spec_parse(datagen_spec *s, const spate_schema *schema, uint32_t n,
                       const char *const *kv, bool *consumed, char *err, size_t cap);
void datagen_spec_free(datagen_spec *s);

/* The option suffixes a field of this type takes besides "kind" (NULL-terminated, static):
 * what Flink lists among the supported options as fields.<f>.<suffix>. */
const char *const *datagen_field_options(const schema_field *f, bool sequence);
#endif
