/*
 * spate.h: the whole public face of Spate, a stream processor with Apache Flink's model.
 *
 * A job is a shared object (or an executable linking libspate) that defines
 *
 *     int spate_main(int argc, char **argv);
 *
 * which creates an environment, builds a dataflow with the functions below and calls
 * spate_execute(). `spate run job.so args...` loads the object and calls spate_main with the job
 * arguments; the environment then picks up the CLI's configuration (-p, -D, conf/config.yaml).
 *
 * Building never fails half way: the first error (bad argument, a UDF that cannot be named, a
 * schema mismatch) is kept on the environment, later builder calls become no-ops, and
 * spate_execute() returns a FAILED result carrying that message. So a job can be written as a
 * straight sequence of calls and check once at the end.
 *
 * User functions (UDFs) are referenced by symbol name so that the same job graph can run on
 * remote TaskManagers: they must have external linkage. A `static` function is rejected with a
 * message that says so.
 *
 * Records are rows in Spate's binary format (see "Rows"), read in place where they lie in a
 * network buffer. A row view is valid only during the call that received it.
 *
 * A job includes this one file, and its sections follow the order a job is written in (errors,
 * schemas, rows, functions, state and timers, windows, the environment, execution, arguments).
 * The larger parts of their own are in headers this file includes where their section stands:
 * spate/metrics.h (user metrics), spate/state_shortcuts.h, spate/windows.h (windows, with
 * spate/process_window.h), spate/formats.h, spate/job.h (execution: the job client and result),
 * spate/record.h (typed records) and spate/sql_function.h (scalar SQL functions in C, which a
 * function library may include alone).
 */
#ifndef SPATE_SPATE_H
#define SPATE_SPATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Errors: 0 is success, negative values are errors. */
enum {
  SPATE_OK = 0,
  SPATE_EINVAL = -1,      /* bad argument, bad input, bad configuration */
  SPATE_ENOMEM = -2,      /* allocation failed */
  SPATE_EIO = -3,         /* an I/O call failed */
  SPATE_ENOENT = -4,      /* a file, symbol or entry does not exist */
  SPATE_ECANCELED = -5,   /* the job or task was cancelled */
  SPATE_ENORESOURCE = -6, /* not enough task slots */
  SPATE_EUDF = -7,        /* a user function reported an error */
  SPATE_ECORRUPT = -8,    /* bytes (wire, file) failed validation */
  SPATE_ESTATE = -9,      /* call not valid in the current state */
};
const char *spate_strerror(int rc);

/* ---------------------------------------------------------------------------------------------
 * Schemas: ordered, named, typed fields, nullable unless declared NOT NULL. */
typedef enum spate_type {
  SPATE_BOOLEAN = 1,
  SPATE_INT = 2,    /* 32-bit signed */
  SPATE_BIGINT = 3, /* 64-bit signed */
  SPATE_DOUBLE = 4,
  SPATE_STRING = 5,    /* UTF-8: VARCHAR(n); STRING is VARCHAR(2147483647) */
  SPATE_BYTES = 6,     /* VARBINARY(n); BYTES is VARBINARY(2147483647) */
  SPATE_TIMESTAMP = 7, /* TIMESTAMP(p) without time zone; TIMESTAMP(3) is milliseconds */
  /* Flink's other SQL types. The numbers above and below travel in job graphs and checkpoints
   * and never change. */
  SPATE_TINYINT = 8,        /* 8-bit signed */
  SPATE_SMALLINT = 9,       /* 16-bit signed */
  SPATE_FLOAT = 10,         /* IEEE single */
  SPATE_DECIMAL = 11,       /* DECIMAL(p, s), 1 <= p <= 38, 0 <= s <= p */
  SPATE_DATE = 12,          /* days since 1970-01-01 */
  SPATE_TIME = 13,          /* TIME(p): milliseconds of the day */
  SPATE_TIMESTAMP_LTZ = 14, /* TIMESTAMP_LTZ(p): an instant, stored as TIMESTAMP(p) is */
  SPATE_INTERVAL_YM = 15,   /* INTERVAL YEAR TO MONTH and its kin: months */
  SPATE_INTERVAL_DT = 16,   /* INTERVAL DAY TO SECOND and its kin: milliseconds */
  SPATE_CHAR = 17,          /* CHAR(n): stored as STRING */
  SPATE_BINARY = 18,        /* BINARY(n): stored as BYTES */
  SPATE_ARRAY = 19,         /* ARRAY<T> */
  SPATE_MAP = 20,           /* MAP<K, V> */
  SPATE_ROW = 21,           /* ROW<name T, ...>: a nested row */
  SPATE_MULTISET = 22,      /* MULTISET<T>: stored as MAP<T, INT NOT NULL> (element -> count) */
} spate_type;

/* The fields of an INTERVAL type (Flink's YearMonthResolution and DayTimeResolution). */
typedef enum spate_interval_unit {
  SPATE_INTERVAL_NONE = 0, /* not an interval */
  SPATE_INTERVAL_YEAR = 1,
  SPATE_INTERVAL_YEAR_TO_MONTH = 2,
  SPATE_INTERVAL_MONTH = 3,
  SPATE_INTERVAL_DAY = 4,
  SPATE_INTERVAL_DAY_TO_HOUR = 5,
  SPATE_INTERVAL_DAY_TO_MINUTE = 6,
  SPATE_INTERVAL_DAY_TO_SECOND = 7,
  SPATE_INTERVAL_HOUR = 8,
  SPATE_INTERVAL_HOUR_TO_MINUTE = 9,
  SPATE_INTERVAL_HOUR_TO_SECOND = 10,
  SPATE_INTERVAL_MINUTE = 11,
  SPATE_INTERVAL_MINUTE_TO_SECOND = 12,
  SPATE_INTERVAL_SECOND = 13,
} spate_interval_unit;

typedef struct spate_schema spate_schema;

/* Parses "name TYPE [NOT NULL], ..." with Flink's SQL type syntax (case-insensitive):
 * BOOLEAN, TINYINT, SMALLINT, INT/INTEGER, BIGINT, FLOAT/REAL, DOUBLE [PRECISION],
 * DECIMAL/DEC/NUMERIC[(p[, s])] (default (10, 0)), CHAR[(n)] (default 1), VARCHAR(n), STRING,
 * BINARY[(n)] (default 1), VARBINARY(n), BYTES, DATE, TIME[(p)] (default 0),
 * TIMESTAMP[(p)] [WITHOUT TIME ZONE], TIMESTAMP[(p)] WITH LOCAL TIME ZONE and TIMESTAMP_LTZ[(p)]
 * (p 0..9, default 6 as in Flink), and INTERVAL YEAR[(p)] [TO MONTH], INTERVAL MONTH,
 * INTERVAL DAY[(p)] [TO HOUR | TO MINUTE | TO SECOND[(f)]], INTERVAL HOUR [TO MINUTE | TO
 * SECOND[(f)]], INTERVAL MINUTE [TO SECOND[(f)]], INTERVAL SECOND[(f)] (p 1..6, default 2; f 0..9,
 * default 6). Spate's own spellings stay: a bare TIMESTAMP is TIMESTAMP(3) (its milliseconds, where
 * Flink's default is 6), a bare VARCHAR is STRING, a bare VARBINARY is BYTES, LONG is BIGINT and
 * BOOL is BOOLEAN. On error returns SPATE_EINVAL, *out = NULL, and writes a message naming the
 * position into err (if err_len > 0). The caller owns *out: release with spate_schema_free. */
int spate_schema_parse(const char *spec, spate_schema **out, char *err, size_t err_len);
void spate_schema_free(spate_schema *schema);
int spate_schema_num_fields(const spate_schema *schema);
const char *spate_schema_field_name(const spate_schema *schema, int i);
spate_type spate_schema_field_type(const spate_schema *schema, int i);
/* Index of the field with this name, or -1. */
int spate_schema_field_index(const spate_schema *schema, const char *name);
/* The rest of field i's type descriptor (0 or false for a bad index):
 * nullable: false for NOT NULL;
 * precision: DECIMAL's p (1..38), the fraction digits of TIME, TIMESTAMP and TIMESTAMP_LTZ
 *   (0..9), the leading field's digits of an INTERVAL (YEAR(p), DAY(p); 0 when it has none);
 * scale: DECIMAL's s, the fraction digits of an INTERVAL with seconds (0 when it has none);
 * length: n of CHAR, VARCHAR, BINARY and VARBINARY (2147483647 for STRING and BYTES);
 * interval unit: the fields of an INTERVAL. */
bool spate_schema_field_nullable(const spate_schema *schema, int i);
int spate_schema_field_precision(const spate_schema *schema, int i);
int spate_schema_field_scale(const spate_schema *schema, int i);
int32_t spate_schema_field_length(const spate_schema *schema, int i);
spate_interval_unit spate_schema_field_interval_unit(const spate_schema *schema, int i);
/* The schema of the parts of composite field i (NULL for other types), owned by the schema:
 * ROW<...> its fields; ARRAY<T> one field "element" of T; MAP<K, V> the fields "key" and
 * "value"; MULTISET<T> "key" of T and "value" INT NOT NULL. Their descriptors are read with the
 * spate_schema_field_* calls; builders of its rows (spate_rb_new) build ROW values. */
const spate_schema *spate_schema_field_schema(const spate_schema *schema, int i);
/* Field i's type as Flink writes it ("DECIMAL(10, 2)", "TIMESTAMP_LTZ(3)", "VARCHAR(20)",
 * "INTERVAL DAY(2) TO SECOND(3)", " NOT NULL" appended when so). Writes at most cap bytes
 * including the NUL; returns the full length (0 for a bad index). */
size_t spate_schema_field_type_string(const spate_schema *schema, int i, char *buf, size_t cap);

/* ---------------------------------------------------------------------------------------------
 * Rows. Layout (all little-endian, the row starts 8-byte aligned):
 *   null bitmap: ceil(n/64) 64-bit words, bit i set = field i is NULL
 *   n slots of 8 bytes:
 *     BOOLEAN, TINYINT, SMALLINT, INT, BIGINT as int64 (sign-extended);
 *     DOUBLE as its bits; FLOAT as its 32 bits in the low half (the high half zero);
 *     DATE (days since 1970-01-01), TIME (milliseconds of the day), INTERVAL YEAR TO MONTH
 *     (months) and INTERVAL DAY TO SECOND (milliseconds) as int64;
 *     TIMESTAMP(p) and TIMESTAMP_LTZ(p) with p <= 3 as int64 milliseconds since the epoch;
 *     DECIMAL(p, s) with p <= 18 as the int64 unscaled value (the value is unscaled / 10^s);
 *     a variable-length value as (offset << 32 | length), offset from the row start, for
 *     STRING, CHAR, BYTES, BINARY, and these fixed-size tail values:
 *       TIMESTAMP(p) and TIMESTAMP_LTZ(p) with p > 3: 12 bytes, int64 milliseconds since the
 *       epoch then int32 nanoseconds of the millisecond (0..999999);
 *       DECIMAL(p, s) with p > 18: 16 bytes, the unscaled value as two's complement int128;
 *     and these composite tail values, whose inner offsets count from their own start:
 *       ROW: a row in exactly this layout;
 *       ARRAY (and the halves of a MAP): u32 element count n, u32 zero, then a row of n fields
 *       of the element type in this layout (so element k reads as field k of spate_array.elems);
 *       MAP and MULTISET: u32 byte length K of the key array, u32 zero, the key array, zero
 *       padding to 8 bytes, the value array (Flink's BinaryMapData: entry k is key k, value k);
 *   the variable-length tail
 * The accessors below read a field in place; they do not check types (the operator that hands
 * the row over guarantees the schema). */
typedef struct spate_row {
  const uint8_t *data;
  uint32_t len;
  uint32_t nfields;
} spate_row;

typedef struct spate_bytes {
  const char *ptr; /* not NUL-terminated */
  uint32_t len;
} spate_bytes;

static inline uint32_t spate_row_header_size(uint32_t nfields) {
  return ((nfields + 63) / 64) * 8 + nfields * 8;
}
static inline bool spate_row_is_null(const spate_row *r, int i) {
  uint64_t w;
  memcpy(&w, r->data + (size_t)(i / 64) * 8, 8);
  return (w >> (i % 64)) & 1;
}
static inline uint64_t spate_row_slot_(const spate_row *r, int i) {
  uint64_t v;
  memcpy(&v, r->data + ((r->nfields + 63) / 64) * 8 + (size_t)i * 8, 8);
  return v;
}
static inline int64_t spate_row_bigint(const spate_row *r, int i) {
  return (int64_t)spate_row_slot_(r, i);
}
static inline int32_t spate_row_int(const spate_row *r, int i) {
  return (int32_t)(int64_t)spate_row_slot_(r, i);
}
static inline bool spate_row_bool(const spate_row *r, int i) { return spate_row_slot_(r, i) != 0; }
static inline int64_t spate_row_timestamp(const spate_row *r, int i) {
  return (int64_t)spate_row_slot_(r, i);
}
static inline double spate_row_double(const spate_row *r, int i) {
  uint64_t v = spate_row_slot_(r, i);
  double d;
  memcpy(&d, &v, 8);
  return d;
}
/* STRING, CHAR, BYTES or BINARY field; {NULL, 0} when NULL. */
static inline spate_bytes spate_row_string(const spate_row *r, int i) {
  spate_bytes b = {0, 0};
  if (spate_row_is_null(r, i)) return b;
  uint64_t v = spate_row_slot_(r, i);
  b.ptr = (const char *)r->data + (uint32_t)(v >> 32);
  b.len = (uint32_t)v;
  return b;
}
static inline int8_t spate_row_tinyint(const spate_row *r, int i) {
  return (int8_t)(int64_t)spate_row_slot_(r, i);
}
static inline int16_t spate_row_smallint(const spate_row *r, int i) {
  return (int16_t)(int64_t)spate_row_slot_(r, i);
}
static inline float spate_row_float(const spate_row *r, int i) {
  uint32_t v = (uint32_t)spate_row_slot_(r, i);
  float f;
  memcpy(&f, &v, 4);
  return f;
}
static inline int32_t spate_row_date(const spate_row *r, int i) {
  return (int32_t)(int64_t)spate_row_slot_(r, i);
}
static inline int32_t spate_row_time(const spate_row *r, int i) {
  return (int32_t)(int64_t)spate_row_slot_(r, i);
}
static inline int32_t spate_row_interval_months(const spate_row *r, int i) {
  return (int32_t)(int64_t)spate_row_slot_(r, i);
}
static inline int64_t spate_row_interval_ms(const spate_row *r, int i) {
  return (int64_t)spate_row_slot_(r, i);
}

/* A TIMESTAMP(p) or TIMESTAMP_LTZ(p) value of any precision (Flink's TimestampData). */
typedef struct spate_timestamp {
  int64_t ms;    /* milliseconds since 1970-01-01 00:00:00 (UTC for TIMESTAMP_LTZ) */
  int32_t nanos; /* nanoseconds of the millisecond, 0..999999 */
} spate_timestamp;
/* Field i of a TIMESTAMP(precision) or TIMESTAMP_LTZ(precision) field ({0, 0} when NULL). */
static inline spate_timestamp spate_row_timestamp_p(const spate_row *r, int i, int precision) {
  spate_timestamp t = {0, 0};
  if (spate_row_is_null(r, i)) return t;
  uint64_t v = spate_row_slot_(r, i);
  if (precision <= 3) {
    t.ms = (int64_t)v;
    return t;
  }
  memcpy(&t.ms, r->data + (uint32_t)(v >> 32), 8);
  memcpy(&t.nanos, r->data + (uint32_t)(v >> 32) + 8, 4);
  return t;
}

/* Composite fields, read in place. An array's elements are the fields of `elems`: element k of
 * an ARRAY<INT> is spate_row_int(&a.elems, k), NULL when spate_row_is_null(&a.elems, k). */
typedef struct spate_array {
  spate_row elems; /* elems.nfields is the element count */
} spate_array;
typedef struct spate_map_data {
  spate_array keys, values; /* entry k: keys.elems field k, values.elems field k */
} spate_map_data;
static inline spate_array spate_array_from_(const uint8_t *p, uint32_t len) {
  spate_array a = {{0, 0, 0}};
  uint32_t n;
  if (len < 8) return a;
  memcpy(&n, p, 4);
  a.elems.data = p + 8;
  a.elems.len = len - 8;
  a.elems.nfields = n;
  return a;
}
static inline uint32_t spate_array_size(const spate_array *a) { return a->elems.nfields; }
/* ARRAY field i (an empty view when NULL). */
static inline spate_array spate_row_array(const spate_row *r, int i) {
  spate_array a = {{0, 0, 0}};
  if (spate_row_is_null(r, i)) return a;
  uint64_t v = spate_row_slot_(r, i);
  return spate_array_from_(r->data + (uint32_t)(v >> 32), (uint32_t)v);
}
/* MAP or MULTISET field i (empty when NULL). */
static inline spate_map_data spate_row_map(const spate_row *r, int i) {
  spate_map_data m = {{{0, 0, 0}}, {{0, 0, 0}}};
  if (spate_row_is_null(r, i)) return m;
  uint64_t v = spate_row_slot_(r, i);
  const uint8_t *p = r->data + (uint32_t)(v >> 32);
  uint32_t len = (uint32_t)v, k;
  if (len < 8) return m;
  memcpy(&k, p, 4);
  uint32_t kpad = (k + 7) & ~(uint32_t)7;
  if (kpad > len - 8) return m;
  m.keys = spate_array_from_(p + 8, k);
  m.values = spate_array_from_(p + 8 + kpad, len - 8 - kpad);
  return m;
}
static inline uint32_t spate_map_size(const spate_map_data *m) { return m->keys.elems.nfields; }
/* ROW field i as a row of its nfields fields (spate_schema_num_fields of the field's schema,
 * spate_schema_field_schema); an empty view when NULL. */
static inline spate_row spate_row_row(const spate_row *r, int i, int nfields) {
  spate_row x = {0, 0, 0};
  if (spate_row_is_null(r, i)) return x;
  uint64_t v = spate_row_slot_(r, i);
  x.data = r->data + (uint32_t)(v >> 32);
  x.len = (uint32_t)v;
  x.nfields = (uint32_t)nfields;
  return x;
}

/* DECIMAL(p, s) values are their unscaled integer: 12.34 in DECIMAL(10, 2) is 1234. */
__extension__ typedef __int128 spate_int128;
/* Field i of a DECIMAL(precision, s) field: the unscaled value (0 when NULL). */
static inline spate_int128 spate_row_decimal(const spate_row *r, int i, int precision) {
  if (spate_row_is_null(r, i)) return 0;
  uint64_t v = spate_row_slot_(r, i);
  if (precision <= 18) return (spate_int128)(int64_t)v;
  spate_int128 x;
  memcpy(&x, r->data + (uint32_t)(v >> 32), 16);
  return x;
}
/* Writes a decimal as Java's BigDecimal.toString does ("12.34", "0.00", "1E-7" when the
 * exponent is below -6) and a NUL into buf; returns the full length (at most 42). */
size_t spate_decimal_format(spate_int128 unscaled, int scale, char *buf, size_t cap);
/* Parses decimal text ("-12.345", "1e3", spaces around allowed) into the unscaled value of a
 * DECIMAL(precision, scale), rounding half up at the scale as Flink does (DecimalData.fromBigDecimal).
 * SPATE_EINVAL for text that is no number, or a value with more than precision digits. */
int spate_decimal_parse(const char *s, size_t n, int precision, int scale, spate_int128 *out);

/* A row builder writes one row at a time into memory it owns and reuses: no allocation per row
 * once it has grown to the largest row. Fields start NULL at spate_rb_begin. A setter of the
 * wrong type or a bad index records an error on the builder that the operator reports (naming
 * the field) when the UDF returns. */
typedef struct spate_row_builder spate_row_builder;

spate_row_builder *spate_rb_new(const spate_schema *schema); /* caller frees with spate_rb_free */
void spate_rb_free(spate_row_builder *b);
void spate_rb_begin(spate_row_builder *b);
void spate_rb_set_null(spate_row_builder *b, int i);
void spate_rb_set_bool(spate_row_builder *b, int i, bool v);
void spate_rb_set_int(spate_row_builder *b, int i, int32_t v);
void spate_rb_set_bigint(spate_row_builder *b, int i, int64_t v);
void spate_rb_set_double(spate_row_builder *b, int i, double v);
void spate_rb_set_timestamp(spate_row_builder *b, int i, int64_t ms); /* TIMESTAMP(_LTZ) */
/* STRING or CHAR: the text is kept as given (the declared length is the schema's, as Flink's
 * runtime does not check it either). */
void spate_rb_set_string(spate_row_builder *b, int i, const char *s, size_t len);
/* BYTES or BINARY. */
void spate_rb_set_bytes(spate_row_builder *b, int i, const void *p, size_t len);
void spate_rb_set_tinyint(spate_row_builder *b, int i, int8_t v);
void spate_rb_set_smallint(spate_row_builder *b, int i, int16_t v);
void spate_rb_set_float(spate_row_builder *b, int i, float v);
/* DECIMAL(p, s): the unscaled value; an error when it has more than p digits. */
void spate_rb_set_decimal(spate_row_builder *b, int i, spate_int128 unscaled);
/* DATE: days since 1970-01-01, within the years 0000..9999 Flink's DATE holds
 * (-719528..2932896). */
void spate_rb_set_date(spate_row_builder *b, int i, int32_t days);
/* TIME(p): milliseconds of the day, 0..86399999; digits beyond p are cut (TIME(0) keeps whole
 * seconds). Flink's runtime keeps a TIME as milliseconds whatever its precision, so digits beyond
 * the millisecond are not kept. */
void spate_rb_set_time(spate_row_builder *b, int i, int32_t ms);
/* TIMESTAMP(p) or TIMESTAMP_LTZ(p): milliseconds since the epoch and nanoseconds of the
 * millisecond (0..999999); digits beyond p are cut (toward the past: 1969-12-31 23:59:59.5 in a
 * TIMESTAMP(0) is 23:59:59). spate_rb_set_timestamp is the same with nanos 0. */
void spate_rb_set_timestamp_nanos(spate_row_builder *b, int i, int64_t ms, int32_t nanos);
/* INTERVAL YEAR TO MONTH family: months; DAY TO SECOND family: milliseconds. */
void spate_rb_set_interval_months(spate_row_builder *b, int i, int32_t months);
void spate_rb_set_interval_ms(spate_row_builder *b, int i, int64_t ms);
/* Composite values are built bottom-up and copied in: a ROW from a row built with a builder of
 * the field's schema (spate_schema_field_schema), an ARRAY from an array builder, a MAP or
 * MULTISET from a key array and a value array of the same size. The value is checked against
 * the field's type (an error on the builder otherwise). */
void spate_rb_set_row(spate_row_builder *b, int i, const spate_row *value);
void spate_rb_set_array(spate_row_builder *b, int i, const spate_array *value);
void spate_rb_set_map(spate_row_builder *b, int i, const spate_array *keys,
                      const spate_array *values);

/* An array builder writes the elements of one ARRAY (or one half of a MAP) at a time into memory
 * it owns and reuses: begin with the element count, set element k with the spate_rb_set_*
 * calls on the row builder spate_ab_elements returns (element k is its field k; elements start
 * NULL), finish. part: 0 for an ARRAY's elements and a MAP's or MULTISET's keys, 1 for a MAP's
 * values or a MULTISET's counts. NULL when field is not such a composite or on allocation failure; free with
 * spate_ab_free. */
typedef struct spate_array_builder spate_array_builder;
spate_array_builder *spate_ab_new(const spate_schema *schema, int field, int part);
void spate_ab_free(spate_array_builder *ab);
/* Starts an array of n elements; SPATE_ENOMEM when it cannot grow to n. */
int spate_ab_begin(spate_array_builder *ab, uint32_t n);
spate_row_builder *spate_ab_elements(spate_array_builder *ab);
/* Finishes the array; *out views the builder's memory until the next begin. SPATE_EINVAL (the
 * message via spate_rb_error of the elements' builder) when a setter failed or a NOT NULL
 * element is NULL. */
int spate_ab_finish(spate_array_builder *ab, spate_array *out);
/* Copies field j of src (same type required) into field i. */
void spate_rb_set_field(spate_row_builder *b, int i, const spate_row *src, int j);
/* Finishes the row; *out views the builder's memory until the next spate_rb_begin. Returns
 * SPATE_EINVAL (message via spate_rb_error) if a setter failed or a NOT NULL field is NULL. */
int spate_rb_finish(spate_row_builder *b, spate_row *out);
const char *spate_rb_error(const spate_row_builder *b);

/* A heap copy of a row (data owned by the copy); free with spate_row_free. */
int spate_row_copy(const spate_row *src, spate_row *out);
void spate_row_free(spate_row *row);
/* Formats a row as Flink prints it: one field alone as its value, several as "(a,b,c)", NULL
 * as "null". Writes at most cap bytes including the NUL; returns the full length. */
size_t spate_row_format(const spate_row *row, const spate_schema *schema, char *out, size_t cap);

/* Flink's DATE_FORMAT of a TIMESTAMP(3) (milliseconds since 1970-01-01, shown as UTC as a
 * TIMESTAMP without time zone is) with a Java DateTimeFormatter pattern: the letters yyyy (the
 * year of era, as Java's: 4 digits at least, '+' above 9999), yy (its last 2 digits), MM, M, dd,
 * d, HH, H, mm, m, ss, s (2 digits, or as few as the value needs) and S... (the first 1 to 3
 * fraction digits; more are zeros); 'quoted text' ('' for a quote) and every other character
 * that is not a letter stand for themselves. Writes the text and a NUL into buf and returns its
 * length; SPATE_EINVAL for another letter, a letter run of another length or an unclosed quote,
 * and when the text and NUL do not fit in cap bytes. */
int spate_date_format(int64_t ms, const char *pattern, char *buf, size_t cap);

/* ---------------------------------------------------------------------------------------------
 * User functions. Every UDF receives a context for the subtask it runs in. A UDF returns 0 on
 * success or a negative code; spate_ctx_fail() records a message and returns SPATE_EUDF, so
 * `return spate_ctx_fail(ctx, "bad value %d", v);` fails the job naming the operator and
 * subtask. */
typedef struct spate_ctx spate_ctx;
typedef struct spate_collector spate_collector;

int spate_ctx_subtask(const spate_ctx *ctx); /* 0-based subtask index */
int spate_ctx_parallelism(const spate_ctx *ctx);
const char *spate_ctx_operator_name(const spate_ctx *ctx);
/* The opaque argument given with spate_udf_arg (NULL if none). */
const void *spate_ctx_arg(const spate_ctx *ctx, size_t *len);
/* The pointer an open function stored (see spate_udf_lifecycle). */
void *spate_ctx_user(const spate_ctx *ctx);
/* Event timestamp of the record being processed (INT64_MIN if none). */
int64_t spate_ctx_timestamp(const spate_ctx *ctx);
/* The operator's current event time: the last watermark it received (INT64_MIN before any,
 * INT64_MAX after the end of input). */
int64_t spate_ctx_current_watermark(const spate_ctx *ctx);
int spate_ctx_fail(spate_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* For flat map and generators that emit several rows: begin a row, set fields, emit it. emit
 * returns 0, or a negative code (downstream failure, cancellation) that the UDF should return. */
spate_row_builder *spate_collect_begin(spate_collector *out);
int spate_collect_emit(spate_collector *out);

typedef int (*spate_map_fn)(spate_ctx *ctx, const spate_row *in, spate_row_builder *out);
typedef int (*spate_flat_map_fn)(spate_ctx *ctx, const spate_row *in, spate_collector *out);
/* Returns 1 to keep, 0 to drop, negative on error. */
typedef int (*spate_filter_fn)(spate_ctx *ctx, const spate_row *in);
/* Builds the key of a row (schema given to spate_key_by_fn). */
typedef int (*spate_key_fn)(spate_ctx *ctx, const spate_row *in, spate_row_builder *key);
/* Combines the accumulated row and a new row into out (all with the stream's schema). */
typedef int (*spate_reduce_fn)(spate_ctx *ctx, const spate_row *acc, const spate_row *in,
                               spate_row_builder *out);
typedef int (*spate_sink_fn)(spate_ctx *ctx, const spate_row *in);
/* Builds the row with this global index (0-based) of a generator source. */
typedef int (*spate_generator_fn)(spate_ctx *ctx, int64_t index, spate_row_builder *out);
/* Returns the target partition in [0, num_partitions) for the key row. */
typedef int (*spate_partition_fn)(spate_ctx *ctx, const spate_row *key, int num_partitions);
/* Extracts the event timestamp (milliseconds) of a row into *ts. */
typedef int (*spate_timestamp_fn)(spate_ctx *ctx, const spate_row *in, int64_t *ts);
/* Rich-function lifecycle: open runs in the subtask before the first record and may store a
 * pointer (spate_ctx_user); close runs after the last one, also after failures. */
typedef int (*spate_open_fn)(spate_ctx *ctx, void **user);
typedef void (*spate_close_fn)(spate_ctx *ctx, void *user);

/* ---------------------------------------------------------------------------------------------
 * Process functions, keyed state and timers (Flink's ProcessFunction / KeyedProcessFunction).
 *
 * On a keyed stream a process function has state scoped to the current key and timers per key:
 * declare states in the open function (spate_udf_lifecycle) with spate_ctx_state, keep the
 * handles (e.g. in the user pointer), and use them in the process and timer functions. The
 * state of each key lives with the subtask that owns the key's key group. Output of the process
 * function carries the input record's timestamp; output of an event-time timer carries the
 * timer's timestamp. */
typedef enum spate_time_domain {
  SPATE_EVENT_TIME = 0,
  SPATE_PROCESSING_TIME = 1
} spate_time_domain;

typedef int (*spate_process_fn)(spate_ctx *ctx, const spate_row *in, spate_collector *out);
typedef int (*spate_timer_fn)(spate_ctx *ctx, int64_t timestamp, spate_time_domain domain,
                              spate_collector *out);

typedef enum spate_state_kind {
  SPATE_STATE_VALUE = 1,
  SPATE_STATE_LIST = 2,
  SPATE_STATE_MAP = 3,
  SPATE_STATE_REDUCING = 4,
  SPATE_STATE_AGGREGATING = 5,
} spate_state_kind;

/* Flink's AggregateFunction: create writes a fresh accumulator; add folds a value into the
 * accumulator (acc NULL never happens: create runs first); result turns an accumulator into the
 * result row; merge (optional, NULL when absent) combines two accumulators into one. Accumulator
 * and result have their own schemas. Initialise with designated initializers so that members
 * added later stay zero. */
typedef struct spate_aggregate_fns {
  int (*create)(spate_ctx *ctx, spate_row_builder *acc);
  int (*add)(spate_ctx *ctx, const spate_row *acc, const spate_row *value, spate_row_builder *out);
  int (*result)(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out);
  int (*merge)(spate_ctx *ctx, const spate_row *a, const spate_row *b, spate_row_builder *out);
} spate_aggregate_fns;

/* State time-to-live with Flink's StateTtlConfig options (processing time). */
typedef enum spate_ttl_update {
  SPATE_TTL_DISABLED = 0,
  SPATE_TTL_ON_CREATE_AND_WRITE = 1,
  SPATE_TTL_ON_READ_AND_WRITE = 2,
} spate_ttl_update;
typedef enum spate_ttl_visibility {
  SPATE_TTL_NEVER_RETURN_EXPIRED = 0,
  SPATE_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP = 1,
} spate_ttl_visibility;

typedef struct spate_state_desc {
  const char *name; /* unique per operator */
  spate_state_kind kind;
  const spate_schema *schema;           /* values (list elements, map values) */
  const spate_schema *key_schema;       /* MAP: the user keys */
  spate_reduce_fn reduce;               /* REDUCING: combines values */
  const spate_aggregate_fns *aggregate; /* AGGREGATING: the functions (copied) */
  const spate_schema *acc_schema;       /* AGGREGATING: accumulator rows */
  const spate_schema *result_schema;    /* AGGREGATING: what spate_aggregating_get returns */
  spate_ttl_update ttl_update;          /* SPATE_TTL_DISABLED (0): no TTL */
  int64_t ttl_ms;
  spate_ttl_visibility ttl_visibility;
} spate_state_desc;

typedef struct spate_state spate_state;
/* Iterates list elements or map entries; rows are valid until the next state call. */
typedef struct spate_state_iter {
  uint64_t opaque_[8];
} spate_state_iter;

/* Declares (or finds again) a state of the current operator; NULL and a context error if the
 * stream is not keyed or the descriptor is invalid. Works in process functions and in map,
 * flat map, filter and reduce on a keyed stream (Flink's rich functions after keyBy) and in
 * window functions (the key's state across its windows; spate_ctx_window_state for state per
 * window). Call it in the open function, or lazily in the function itself: the same name gives
 * the same handle again, and after a restore the state holds what was checkpointed either way.
 * Keyed state is checkpointed and restored with the operator, per key group. */
spate_state *spate_ctx_state(spate_ctx *ctx, const spate_state_desc *desc);
/* The current key as a row of the key's schema (key fields or key selector schema), in every
 * function on a keyed stream: process functions and their timers, map, flat map and filter
 * after spate_key_by, keyed reduce, window functions (all forms), window reduce and aggregate
 * functions, custom triggers. NULL elsewhere, on spate_window_all, and in open/close. */
const spate_row *spate_ctx_current_key(const spate_ctx *ctx);
int64_t spate_ctx_processing_time(const spate_ctx *ctx);
/* Timers for the current key, de-duplicated per timestamp; deleting an absent timer is fine. */
int spate_ctx_register_event_timer(spate_ctx *ctx, int64_t timestamp);
int spate_ctx_register_processing_timer(spate_ctx *ctx, int64_t timestamp);
int spate_ctx_delete_event_timer(spate_ctx *ctx, int64_t timestamp);
int spate_ctx_delete_processing_timer(spate_ctx *ctx, int64_t timestamp);

/* Operator state (Flink's CheckpointedFunction with list state): a list of rows kept by one
 * subtask of any operator (map, flat map, filter, process functions, sinks), checkpointed with
 * the job. Declare it in the open function (spate_udf_lifecycle): after a restore it already
 * holds what the subtask gets back. When the parallelism changes, a SPLIT list's rows are pooled
 * and divided evenly among the new subtasks (getListState); a UNION list gives every new
 * subtask all rows of all old ones (getUnionListState). Rows are copied; keep it small. */
typedef enum spate_list_redistribution {
  SPATE_LIST_SPLIT = 0,
  SPATE_LIST_UNION = 1,
} spate_list_redistribution;
typedef struct spate_operator_state spate_operator_state;
/* NULL and a context error for a bad name or schema, or a name declared with another mode. */
spate_operator_state *spate_ctx_operator_state(spate_ctx *ctx, const char *name,
                                               const spate_schema *schema,
                                               spate_list_redistribution mode);
int spate_operator_state_add(spate_operator_state *s, const spate_row *row);
void spate_operator_state_clear(spate_operator_state *s);
size_t spate_operator_state_size(const spate_operator_state *s);
/* Row i (0-based) as a view valid until the state changes; false if i is out of range. */
bool spate_operator_state_get(const spate_operator_state *s, size_t i, spate_row *out);

#include "spate/metrics.h" /* user metrics: counters, gauges, meters, histograms */

/* All return a negative code on error. Getters return 1 and the row when present, 0 if absent. */
int spate_state_clear(spate_state *s);
int spate_value_get(spate_state *s, spate_row *out);
int spate_value_update(spate_state *s, const spate_row *value);
int spate_list_add(spate_state *s, const spate_row *value);
int spate_list_iter(spate_state *s, spate_state_iter *it);
bool spate_list_next(spate_state_iter *it, spate_row *out);
int spate_map_get(spate_state *s, const spate_row *key, spate_row *out);
int spate_map_put(spate_state *s, const spate_row *key, const spate_row *value);
int spate_map_remove(spate_state *s, const spate_row *key); /* 1 removed, 0 absent */
int spate_map_contains(spate_state *s, const spate_row *key);
int spate_map_iter(spate_state *s, spate_state_iter *it);
bool spate_map_next(spate_state_iter *it, spate_row *key, spate_row *value);
int spate_reducing_add(spate_state *s, const spate_row *value);
int spate_reducing_get(spate_state *s, spate_row *out);
int spate_aggregating_add(spate_state *s, const spate_row *value);
int spate_aggregating_get(spate_state *s, spate_row *out); /* the result row; 0 if empty */

/* Value, list and map state of single BIGINT, DOUBLE and STRING values without schemas and
 * row builders: spate_value_state_bigint, spate_value_get_bigint, spate_list_add_string, ... */
#include "spate/state_shortcuts.h"

#include "spate/windows.h" /* windows: assigners, triggers, evictors, window functions */

/* Side outputs (Flink's OutputTag): an operator emits rows to a named output besides its main
 * one; spate_side_output reads them as a stream of the given schema. */
spate_stream *spate_side_output(spate_stream *s, const char *tag, const spate_schema *schema);
/* Emits a row (of the tag's schema) to the side output `tag` of the current operator. */
int spate_ctx_output(spate_ctx *ctx, const char *tag, const spate_row *row);

/* ---------------------------------------------------------------------------------------------
 * The execution environment and streams. */
typedef struct spate_env spate_env;
typedef struct spate_stream spate_stream; /* owned by the environment */

/* Creates an environment. Inside `spate run` it carries the CLI's configuration; otherwise it
 * loads $SPATE_CONF_DIR/config.yaml or ./conf/config.yaml when present. Never returns NULL
 * except when out of memory; the environment's setters, the sources, spate_execute and
 * spate_execute_main accept that NULL (so a spate_main need not check it: it exits with 1). */
spate_env *spate_env_create(void);
void spate_env_free(spate_env *env);
/* Sets a configuration key as -D would (validated; an error is kept on the environment). */
void spate_env_set(spate_env *env, const char *key, const char *value);
void spate_env_set_parallelism(spate_env *env, int parallelism);
void spate_env_set_max_parallelism(spate_env *env, int max_parallelism);
/* Buffer timeout in milliseconds: 0 flushes after every record. */
void spate_env_set_buffer_timeout(spate_env *env, int64_t ms);
void spate_env_disable_operator_chaining(spate_env *env);
/* The first build error, or NULL. */
const char *spate_env_error(const spate_env *env);

/* Processing time. Everything a job does by processing time (processing-time timers and windows,
 * state TTL, periodic watermarks, the buffer timeout, file rolling, checkpoint intervals and
 * timeouts, alignment timeouts, restart delays, rate-limited sources) reads one clock: the system
 * clock, unless the environment is given another. A manual clock (Flink's
 * TestProcessingTimeService) stands still until the program moves it, so a test decides exactly
 * when timers fire; a job waiting for a time notices at once when the clock reaches it. */
typedef struct spate_clock spate_clock;
/* A manual clock at start_ms; NULL when out of memory. Free it after the jobs using it ended. */
spate_clock *spate_manual_clock_create(int64_t start_ms);
void spate_manual_clock_free(spate_clock *clock);
/* Moves a manual clock forward by ms / to ms (never backwards). */
void spate_manual_clock_advance(spate_clock *clock, int64_t ms);
void spate_manual_clock_set(spate_clock *clock, int64_t ms);
/* The clock's time in ms (NULL: the system clock, ms since the epoch). */
int64_t spate_clock_now(const spate_clock *clock);
/* The clock of the jobs this environment executes from now on (NULL: the system clock). */
void spate_env_set_clock(spate_env *env, spate_clock *clock);
/* Parses a schema owned by the environment (freed with it); NULL and an env error on failure. */
const spate_schema *spate_env_schema(spate_env *env, const char *spec);

/* Sources. Strings and files produce the schema "f0 STRING". */
spate_stream *spate_from_strings(spate_env *env, const char *const *items, size_t n);
/* Rows are copied; they must have the given schema. */
spate_stream *spate_from_rows(spate_env *env, const spate_schema *schema, const spate_row *rows,
                              size_t n);
/* Each path is a file or a directory (its non-hidden regular files, in name order); one record
 * per line without the line terminator ("\n" or "\r\n"). Files are split among subtasks. */
spate_stream *spate_read_text_file(spate_env *env, const char *path);
spate_stream *spate_read_text_files(spate_env *env, const char *const *paths, size_t n);
/* The numbers from..to inclusive, schema "value BIGINT NOT NULL", split among subtasks. */
spate_stream *spate_from_sequence(spate_env *env, int64_t from, int64_t to);
/* count rows built by fn (count < 0: unbounded), indexes split among subtasks. */
spate_stream *spate_generate(spate_env *env, const spate_schema *schema, spate_generator_fn fn,
                             int64_t count);
/* Rate-limited generators (Flink's DataGeneratorSource with a RateLimiterStrategy).
 * rate_limited: at most records_per_second over all subtasks, by the job's clock (each of p
 * subtasks emits every p / records_per_second seconds; after a stall it catches up at most one
 * second's worth at once). per_checkpoint (RateLimiterStrategy.perCheckpoint): each subtask
 * emits records_per_checkpoint / p records, then waits until a checkpoint (or savepoint)
 * completes, then emits as many again: a job that takes no checkpoints stops after the first
 * batch. records_per_checkpoint must be at least the parallelism. */
spate_stream *spate_generate_rate_limited(spate_env *env, const spate_schema *schema,
                                          spate_generator_fn fn, int64_t count,
                                          double records_per_second);
spate_stream *spate_generate_per_checkpoint(spate_env *env, const spate_schema *schema,
                                            spate_generator_fn fn, int64_t count,
                                            int64_t records_per_checkpoint);
/* Lines read from a TCP server; ends when the server closes the connection. Parallelism 1. */
spate_stream *spate_socket_text_stream(spate_env *env, const char *host, int port);

/* Transformations. */
spate_stream *spate_map(spate_stream *in, spate_map_fn fn, const spate_schema *out_schema);
spate_stream *spate_flat_map(spate_stream *in, spate_flat_map_fn fn,
                             const spate_schema *out_schema);
spate_stream *spate_filter(spate_stream *in, spate_filter_fn fn);
/* Connects two streams (schemas may differ) for spate_co_process: Flink's connect. */
spate_stream *spate_connect(spate_stream *first, spate_stream *second);
/* Flink's CoProcessFunction: `first` handles records of the first stream, `second` of the
 * second; when both connected streams are keyed (with keys of the same schema) it is a
 * KeyedCoProcessFunction with keyed state and timers shared by both sides per key. The
 * operator's watermark is the minimum of both inputs'. */
spate_stream *spate_co_process(spate_stream *connected, spate_process_fn first,
                               spate_process_fn second, spate_timer_fn on_timer,
                               const spate_schema *out_schema);
/* Flink's interval join of two keyed streams (keys of the same types) in event time: pairs
 * (l, r) of one key with lower <= r.ts - l.ts <= upper (a bound excluded on request) are passed
 * to fn, whose row carries the larger of the two timestamps. Elements behind the watermark are
 * dropped; each is kept until the watermark passes the last time it could still match. */
typedef int (*spate_join_fn)(spate_ctx *ctx, const spate_row *left, const spate_row *right,
                             spate_row_builder *out);
spate_stream *spate_interval_join(spate_stream *left, spate_stream *right, int64_t lower_ms,
                                  int64_t upper_ms, bool lower_exclusive, bool upper_exclusive,
                                  spate_join_fn fn, const spate_schema *out_schema);
/* Flink's window join: pairs (l, r) of one key that fall into the same event-time window
 * (tumbling or sliding) are passed to fn when the window fires; results carry the window's max
 * timestamp. Elements behind the watermark are dropped (no allowed lateness). */
spate_stream *spate_window_join(spate_stream *left, spate_stream *right,
                                spate_window_assigner assigner, spate_join_fn fn,
                                const spate_schema *out_schema);
/* Flink's window coGroup: for every window and key where either side has elements, fn gets
 * both sides' elements (either may be empty); output carries the window's max timestamp. */
typedef int (*spate_cogroup_fn)(spate_ctx *ctx, const spate_time_window *w,
                                spate_window_elements *left, spate_window_elements *right,
                                spate_collector *out);
spate_stream *spate_window_cogroup(spate_stream *left, spate_stream *right,
                                   spate_window_assigner assigner, spate_cogroup_fn fn,
                                   const spate_schema *out_schema);
/* Flink's broadcast pattern: every record of `broadcast` reaches every subtask of the operator
 * that spate_co_process then builds (its `second` function), which may write broadcast state;
 * the function for `in` (keyed or not: Keyed/BroadcastProcessFunction) may only read it. */
spate_stream *spate_connect_broadcast(spate_stream *in, spate_stream *broadcast);
/* Broadcast state: a MAP state (desc->kind SPATE_STATE_MAP) that is the same on every subtask
 * because only broadcast records change it. Declare it in the open function. */
spate_state *spate_ctx_broadcast_state(spate_ctx *ctx, const spate_state_desc *desc);
/* A process function: on a keyed stream with keyed state and timers (on_timer may be NULL when
 * no timers are used); on other streams a plain ProcessFunction without them. */
spate_stream *spate_process(spate_stream *in, spate_process_fn fn, spate_timer_fn on_timer,
                            const spate_schema *out_schema);
/* Key by: the result is a keyed stream for reduce and the aggregations. */
spate_stream *spate_key_by(spate_stream *in, int field);
spate_stream *spate_key_by_fields(spate_stream *in, const int *fields, int n);
spate_stream *spate_key_by_fn(spate_stream *in, spate_key_fn fn, const spate_schema *key_schema);
/* Rolling reductions on a keyed stream, emitting the updated value for every input (Flink's
 * semantics: sum/min/max keep the other fields of the first row of the key; min_by/max_by emit
 * the whole row holding the extreme value, the first one on ties). */
spate_stream *spate_reduce(spate_stream *keyed, spate_reduce_fn fn);
spate_stream *spate_sum(spate_stream *keyed, int field);
spate_stream *spate_min(spate_stream *keyed, int field);
spate_stream *spate_max(spate_stream *keyed, int field);
spate_stream *spate_min_by(spate_stream *keyed, int field);
spate_stream *spate_max_by(spate_stream *keyed, int field);
/* Union of two streams with the same schema (call repeatedly for more). */
spate_stream *spate_union(spate_stream *a, spate_stream *b);
/* Partitioning of the edge to the next operator. */
spate_stream *spate_forward(spate_stream *in);
spate_stream *spate_rebalance(spate_stream *in);
spate_stream *spate_rescale(spate_stream *in);
spate_stream *spate_shuffle(spate_stream *in);
spate_stream *spate_broadcast(spate_stream *in);
spate_stream *spate_global(spate_stream *in);
spate_stream *spate_partition_custom(spate_stream *in, spate_partition_fn fn, int key_field);

/* Event time. Assigns each record's timestamp from a TIMESTAMP, BIGINT or INT field (or a
 * function) and generates watermarks with Flink's built-in strategies: MONOTONOUS (timestamps
 * ascend) and BOUNDED (out of order by at most max_out_of_orderness_ms), emitted every
 * pipeline.auto-watermark-interval (200 ms by default) as the highest timestamp seen minus the
 * bound minus 1; NONE assigns timestamps only. End of input emits the maximum watermark. */
typedef enum spate_watermarks {
  SPATE_WATERMARKS_NONE = 0,
  SPATE_WATERMARKS_MONOTONOUS = 1,
  SPATE_WATERMARKS_BOUNDED = 2,
  SPATE_WATERMARKS_CUSTOM = 3, /* spate_assign_watermarks_custom */
} spate_watermarks;
spate_stream *spate_assign_timestamps(spate_stream *in, int timestamp_field,
                                      spate_watermarks watermarks, int64_t max_out_of_orderness_ms);
spate_stream *spate_assign_timestamps_fn(spate_stream *in, spate_timestamp_fn fn,
                                         spate_watermarks watermarks,
                                         int64_t max_out_of_orderness_ms);
/* A custom watermark generator (Flink's WatermarkGenerator): on_event runs after each record
 * with its timestamp, on_periodic every pipeline.auto-watermark-interval; each returns the
 * watermark to emit, or INT64_MIN for none (either may be NULL). Watermarks that do not advance
 * are not emitted. Timestamps come from timestamp_field, or from ts_fn when the field is -1;
 * generator state lives in the user pointer (spate_udf_lifecycle on the result). */
typedef int64_t (*spate_watermark_fn)(spate_ctx *ctx, const spate_row *in, int64_t ts);
typedef int64_t (*spate_periodic_watermark_fn)(spate_ctx *ctx);
spate_stream *spate_assign_watermarks_custom(spate_stream *in, int timestamp_field,
                                             spate_timestamp_fn ts_fn, spate_watermark_fn on_event,
                                             spate_periodic_watermark_fn on_periodic);
/* Flink's withIdleness: a subtask without records for idle_timeout_ms marks itself idle so that
 * it stops holding back the watermark downstream, until its next record. Applies to the result
 * of spate_assign_timestamps*. */
spate_stream *spate_with_idleness(spate_stream *s, int64_t idle_timeout_ms);

/* Fields by name: every call above that takes a field index has a twin with the suffix _name
 * that takes the field's name (Flink's keyBy("id"), sum("temp")), resolved against the schema
 * of the stream given when the graph is built. An unknown name fails the build with a message
 * naming the call, the name and the stream's fields. Joins take their keys from the keyed
 * streams (spate_key_by_name). spate_key_by_names keys by n fields (1..64) by name. */
spate_stream *spate_key_by_name(spate_stream *in, const char *field);
spate_stream *spate_key_by_names(spate_stream *in, const char *const *fields, int n);
spate_stream *spate_sum_name(spate_stream *keyed, const char *field);
spate_stream *spate_min_name(spate_stream *keyed, const char *field);
spate_stream *spate_max_name(spate_stream *keyed, const char *field);
spate_stream *spate_min_by_name(spate_stream *keyed, const char *field);
spate_stream *spate_max_by_name(spate_stream *keyed, const char *field);
spate_stream *spate_assign_timestamps_name(spate_stream *in, const char *timestamp_field,
                                           spate_watermarks watermarks,
                                           int64_t max_out_of_orderness_ms);
spate_stream *spate_assign_watermarks_custom_name(spate_stream *in, const char *timestamp_field,
                                                  spate_watermark_fn on_event,
                                                  spate_periodic_watermark_fn on_periodic);
spate_stream *spate_partition_custom_name(spate_stream *in, spate_partition_fn fn,
                                          const char *key_field);

/* Per-operator settings; each returns its argument. */
spate_stream *spate_name(spate_stream *s, const char *name);
spate_stream *spate_uid(spate_stream *s, const char *uid);
spate_stream *spate_parallelism(spate_stream *s, int parallelism);
spate_stream *spate_max_parallelism(spate_stream *s, int max_parallelism);
spate_stream *spate_disable_chaining(spate_stream *s);
spate_stream *spate_start_new_chain(spate_stream *s);
spate_stream *spate_slot_sharing_group(spate_stream *s, const char *group);
/* An opaque argument copied into the job and handed to the operator's UDFs (spate_ctx_arg). */
spate_stream *spate_udf_arg(spate_stream *s, const void *arg, size_t len);
/* Typed parameters: the job passes a C struct, copied into the job graph with its type's name
 * and size, and the operator's UDFs get it back typed. In the job:
 *     SPATE_WITH_PARAMS(stream, struct thresholds, {.limit = 500, .factor = 1.5});
 * (the value: an initializer list, a compound literal or a variable of that type), and in any
 * UDF of that operator (best in its open function):
 *     const struct thresholds *p = SPATE_PARAMS(ctx, struct thresholds);
 *     if (!p) return SPATE_EUDF;
 * SPATE_PARAMS checks the type's name (as written: name it the same way on both ends) and size;
 * on a mismatch it returns NULL and the job fails naming both types, whatever the UDF returns
 * then. The struct must be plain data: no pointers (the job graph travels to other processes,
 * where an address means nothing); strings go in char arrays. It replaces the operator's
 * spate_udf_arg (spate_ctx_arg returns the encoded bytes). */
#define SPATE_WITH_PARAMS(stream, T, ...) \
  spate_udf_params((stream), #T, (const T[1]){__VA_ARGS__}, sizeof(T))
#define SPATE_PARAMS(ctx, T) ((const T *)spate_ctx_params((ctx), #T, sizeof(T)))
spate_stream *spate_udf_params(spate_stream *s, const char *type_name, const void *params,
                               size_t size);
/* The parameters of type type_name and this size, or NULL (the job then fails): see above. */
const void *spate_ctx_params(spate_ctx *ctx, const char *type_name, size_t size);
spate_stream *spate_udf_lifecycle(spate_stream *s, spate_open_fn open, spate_close_fn close);
const spate_schema *spate_stream_schema(const spate_stream *s);

/* Sinks; each returns the sink's stream handle for the per-operator settings. */
/* Flink's print(): "row" at parallelism 1, "N> row" (1-based subtask) otherwise; with an
 * identifier "id> row" / "id:N> row". */
spate_stream *spate_print(spate_stream *in, const char *identifier);
/* Text file at parallelism 1; at higher parallelism a directory with files "1".."N". */
spate_stream *spate_write_text(spate_stream *in, const char *path);
spate_stream *spate_discard(spate_stream *in);
/* Collects the rows into the job result under this name (for tests and small results). */
spate_stream *spate_collect(spate_stream *in, const char *name);
spate_stream *spate_sink(spate_stream *in, spate_sink_fn fn);

/* Exactly-once file sink (Flink's FileSink in row format): each subtask writes lines (the
 * rows formatted as print() formats them) to hidden in-progress part files
 * "<dir>/<bucket>/.part-<uuid>-<subtask>-<n>.inprogress"; at every checkpoint the in-progress
 * file is closed and becomes pending; when the checkpoint completes, pending files are renamed
 * to "<dir>/<bucket>/part-<uuid>-<subtask>-<n>" (finished). After a failure, pending files of
 * the restored checkpoint are committed again (idempotently), and data written after it is
 * never published. Files also roll (close and start a new part) by size, age and inactivity.
 * Without checkpointing, files are committed at the end of input only.
 *
 * Partitioning (Flink's filesystem connector with PARTITIONED BY (k1, k2, ...)): with
 * partition_keys, the bucket of a row is the directory "k1=v1/k2=v2/..." of its values of those
 * fields, in the order given, and the lines hold the other fields only (the directory names
 * carry the partition values, as in Flink). A value is written as its text (a STRING as it is,
 * numbers in decimal, a TIMESTAMP as print() writes it); a NULL or empty value is Flink's default
 * partition name "__DEFAULT_PARTITION__"; in names and values the characters Flink escapes in
 * partition paths (control characters, '"', '#', '%', ''', '*', '/', ':', '=', '?', '\',
 * DEL, '{', '[', ']', '^') are written as '%' and two upper-case hex digits, so "22:13" is the
 * directory "hm=22%3A13". The time buckets are then not used (bucket_format must be NULL or
 * ""), and at least one field must be left to write. */
typedef struct spate_file_sink_options {
  int64_t max_part_size;             /* bytes; <= 0: 128 MB (Flink's default) */
  int64_t rollover_interval_ms;      /* <= 0: 60 s */
  int64_t inactivity_interval_ms;    /* <= 0: 60 s */
  const char *bucket_format;         /* strftime format of the bucket directory (processing time);
                                        NULL: Flink's "%Y-%m-%d--%H"; "": no buckets */
  const char *part_prefix;           /* NULL: "part" */
  const char *part_suffix;           /* NULL: "" */
  const char *const *partition_keys; /* field names (see above); NULL: no partitions */
  int npartition_keys;               /* how many (at most 16) */
  const char *const *options;        /* Flink's filesystem connector options by key (see below):
                                        "key", "value", ..., NULL; NULL: none */
} spate_file_sink_options;
/* options: sink.rolling-policy.file-size / rollover-interval / inactivity-interval /
 * check-interval (Flink's rolling policy; they override max_part_size and the intervals above;
 * check-interval, 1 s by default here, is how often the time-based rolling is checked) and
 * Flink's partition commit, which needs partition keys:
 *   sink.partition-commit.policy.kind       "success-file": when a partition is committed, an
 *                                           empty file (sink.partition-commit.success-file.name,
 *                                           default "_SUCCESS") is written into its directory;
 *                                           "metastore" and "custom" are refused. Without a
 *                                           policy nothing is committed (as in Flink).
 *   sink.partition-commit.trigger           "process-time" (default): committable once the
 *                                           committer's processing time is past the time it
 *                                           first heard of the partition plus the delay (at
 *                                           once with delay 0); "partition-time": once the
 *                                           watermark is past the partition's time plus the delay
 *   sink.partition-commit.delay             duration, default 0 s
 *   sink.partition-commit.watermark-time-zone  UTC (default) or a fixed offset ("+08:00")
 *   partition.time-extractor.kind           "default" only
 *   partition.time-extractor.timestamp-pattern  e.g. "$dt $hm:00" (default: the first value)
 *   partition.time-extractor.timestamp-formatter  e.g. "yyyyMMdd HH:mm" (letters y M d H m s S)
 * A partition is committed only after every writer subtask has reported the checkpoint that
 * published its files as complete and the trigger holds at that checkpoint; at the end of a
 * bounded input every partition is committed. With a policy the sink is two operators: the
 * writers and a "PartitionCommitter" of parallelism 1 (as in Flink). An unknown key, a key given
 * twice or a bad value fails the environment with a message naming the key. */
/* opts may be NULL for the defaults. */
spate_stream *spate_sink_file(spate_stream *in, const char *dir,
                              const spate_file_sink_options *opts);

/* Record formats (CSV, JSON) for the file and socket sources and the file sinks. */
#include "spate/formats.h"

/* Two-phase-commit sinks (Flink's TwoPhaseCommitSinkFunction). A transaction is identified by
 * bytes the sink chooses (spate_txn_set_id: e.g. a temporary file's name or an external
 * transaction id); those bytes are what checkpoints store. `handle` is the sink's own pointer
 * for the open transaction (e.g. a FILE *), never stored.
 *  begin       opens a new transaction (at start and after every pre-commit)
 *  invoke      writes a row into the open transaction
 *  pre_commit  at a checkpoint: flush, make the data durable but invisible
 *  commit      after the checkpoint completed: make it visible. Must be idempotent: after a
 *              failure it is called again with the id alone (handle NULL)
 *  abort       drop a transaction that will never be committed (handle may be NULL)
 * Every function returns 0 or a negative code (with spate_ctx_fail for a message). */
typedef struct spate_txn spate_txn;
int spate_txn_set_id(spate_txn *txn, const void *id, size_t len);
const void *spate_txn_id(const spate_txn *txn, size_t *len);
void spate_txn_set_handle(spate_txn *txn, void *handle);
void *spate_txn_handle(const spate_txn *txn);
typedef int (*spate_txn_begin_fn)(spate_ctx *ctx, spate_txn *txn);
typedef int (*spate_txn_invoke_fn)(spate_ctx *ctx, spate_txn *txn, const spate_row *in);
typedef int (*spate_txn_fn)(spate_ctx *ctx, spate_txn *txn);
spate_stream *spate_sink_two_phase(spate_stream *in, spate_txn_begin_fn begin,
                                   spate_txn_invoke_fn invoke, spate_txn_fn pre_commit,
                                   spate_txn_fn commit, spate_txn_fn abort);

#include "spate/job.h" /* execution: spate_execute, the job client, the job result */

/* ---------------------------------------------------------------------------------------------
 * Job arguments, as Flink's ParameterTool: "--name value", "-name value" or "--name=value". A
 * key is an argument starting with '-' that is not a number; its value is the next argument
 * unless that is a key too (so "--offset -5" has the value "-5"). A key with no value (the last
 * argument, or one followed by another key, as in "--input --output out") is a flag: its value
 * is SPATE_ARG_NO_VALUE, ParameterTool's NO_VALUE_KEY. A job that needs a value checks for it,
 * most simply with spate_arg_missing_value. `name` may be given with or without its dashes. */
#define SPATE_ARG_NO_VALUE "__NO_VALUE_KEY"
/* The value of the first `name` argument, SPATE_ARG_NO_VALUE if it has none, or fallback if the
 * argument is absent. The string lives in argv (or is a constant). */
const char *spate_arg(int argc, char **argv, const char *name, const char *fallback);
/* All values of a repeated argument, in order (SPATE_ARG_NO_VALUE for those without one);
 * returns the count stored (at most max). */
int spate_arg_all(int argc, char **argv, const char *name, const char **out, int max);
/* Whether the argument is given, with or without a value. */
bool spate_arg_has(int argc, char **argv, const char *name);
/* Whether a value spate_arg returned is SPATE_ARG_NO_VALUE. */
bool spate_arg_no_value(const char *value);
/* The first of the NULL-terminated `names` that is given without a value (or with an empty
 * one, "--name="), or NULL when each has one. For a job's usage check:
 *     static const char *const needs_value[] = {"input", "output", NULL};
 *     const char *bare = spate_arg_missing_value(argc, argv, needs_value);
 *     if (bare) { fprintf(stderr, "--%s needs a value\n", bare); return 1; } */
const char *spate_arg_missing_value(int argc, char **argv, const char *const *names);

/* The entry point a job defines. */
int spate_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#include "spate/record.h"       /* typed records: SPATE_RECORD */
#include "spate/sql_function.h" /* scalar SQL functions written in C (CREATE FUNCTION) */
#endif
