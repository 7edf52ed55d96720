/*
 * spate/record.h: typed records. A record type is declared once, with its fields' names and
 * types, and the declaration alone gives its schema, field index constants, typed getters and
 * setters named after the fields, and a plain C struct view; no code generator runs:
 *
 *     SPATE_RECORD(sensor, (id, STRING), (ts, TIMESTAMP), (temp, DOUBLE))
 *
 * declares, for the record `sensor` (R) and each field f of type T:
 *
 *   const spate_schema *sensor_schema(void)   the schema "id STRING, ts TIMESTAMP, temp DOUBLE":
 *                                              one per process, never freed (use it for streams,
 *                                              sources and state descriptors, in spate_main or
 *                                              in any UDF)
 *   sensor_id_FIELD, ..., sensor_FIELD_COUNT   field indexes (for spate_key_by & co.)
 *   CT sensor_temp(const spate_row *row)       getter, CT the field's C type (below)
 *   bool sensor_temp_is_null(const spate_row *row)
 *   void sensor_set_temp(spate_row_builder *rb, double v)           setter
 *   void sensor_set_id(spate_row_builder *rb, const char *s, size_t len)  STRING / BYTES
 *   void sensor_set_id_str(spate_row_builder *rb, const char *cstr)       STRING only
 *   void sensor_set_temp_null(spate_row_builder *rb)
 *   struct sensor { spate_bytes id; int64_t ts; double temp; }    the record as plain values
 *   struct sensor sensor_read(const spate_row *row)   every field (a NULL string: {NULL, 0},
 *                                                     another NULL field: 0)
 *   void sensor_write(spate_row_builder *rb, const struct sensor *v)   sets every field (a
 *                                                     string with ptr NULL is NULL)
 *   int sensor_emit(spate_collector *out, const struct sensor *v)   begin, write and emit one
 *                                                     row (flat maps, process functions); a map
 *                                                     or a generator writes into the builder it
 *                                                     is given: sensor_write(out, &v)
 *
 * For example, a map from lines to sensors and a keyed sum:
 *
 *     int parse(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
 *       ...
 *       sensor_write(out, &(struct sensor){.id = {id, id_len}, .ts = ts, .temp = temp});
 *       return 0;
 *     }
 *     spate_stream *s = spate_map(lines, parse, sensor_schema());
 *     spate_sum_name(spate_key_by(s, sensor_id_FIELD), "temp");  (or spate_key_by_name(s, "id"))
 *
 * Types (T) and the C types of their values (CT): BOOLEAN bool, INT int32_t, BIGINT int64_t,
 * DOUBLE double, TIMESTAMP int64_t (ms since the epoch), STRING and BYTES spate_bytes (a view
 * into the row, not NUL-terminated). Fields are nullable; add _NOT_NULL to the type
 * (BIGINT_NOT_NULL, STRING_NOT_NULL, ...) for NOT NULL fields, which a row must then set. At
 * most 64 fields. A record may be declared in a header and used from several files (everything
 * it declares is static or static inline).
 *
 * Checks. The compiler checks the types: a getter returns the field's C type, a setter takes it
 * (passing a string to a DOUBLE setter does not compile; this header makes GCC's and Clang's
 * int-conversion and implicit-function-declaration diagnostics errors, as newer compilers do
 * by default, so that a pointer passed to an integer setter, or an accessor of a field the
 * record does not have, does not compile either). In builds without NDEBUG (or with
 * SPATE_RECORD_CHECKS defined to 1), the accessors also check at run time that the row is one
 * of the record, and fail the job with a message naming the record and the field when it is
 * not:
 *   - every getter checks that the row has the record's field count; when the row is the record
 *     the operator is processing (the `in` of a map, filter, process function...), it also
 *     checks the field's type against the operator's input schema, so reading a stream with the
 *     wrong record fails even when the field counts agree. Rows from elsewhere (state, window
 *     contents, rows the job built) carry no schema: for them the count is what is checked;
 *     STRING and BYTES getters also check that the value lies inside the row;
 *   - every setter checks the builder's schema (field count and the field's type);
 *   - R_read and R_write make these checks for every field at once, and remember a match (per
 *     operator input, whose rows are well-formed rows of its schema, and per builder), so that
 *     the struct view costs one call per record, not one per field.
 * Inside a UDF the job fails after the call (as if it had returned spate_ctx_fail's code) and
 * the getter returns 0 (or {NULL, 0}); outside any operator (reading a job's collected rows in
 * the main program) a failed check prints the message and aborts, as assert does.
 */
#ifndef SPATE_RECORD_H
#define SPATE_RECORD_H

#include "spate/spate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A pointer passed for an integer, and a call of an undeclared function (an accessor of a field
 * the record does not have), are always bugs; GCC 14 and Clang 16 refuse both by default. */
#pragma GCC diagnostic error "-Wint-conversion"
#pragma GCC diagnostic error "-Wimplicit-function-declaration"

#ifndef SPATE_RECORD_CHECKS
#ifdef NDEBUG
#define SPATE_RECORD_CHECKS 0
#else
#define SPATE_RECORD_CHECKS 1
#endif
#endif

/* What SPATE_RECORD records about a record type, for the library functions below. */
typedef struct spate_record_desc {
  const char *name;
  int nfields;
  const char *const *field_names;
  const spate_type *field_types;
  const bool *not_null;
} spate_record_desc;

/* The record's schema, interned per process (equal records share one); NULL only when out of
 * memory. Thread-safe. */
const spate_schema *spate_record_schema(const spate_record_desc *d);
/* The run-time checks of the accessors (see above); true when the access may go on. */
bool spate_record_check_get_(const spate_record_desc *d, int field, const spate_row *row);
bool spate_record_check_set_(const spate_record_desc *d, int field, spate_row_builder *rb);
/* The same checks for every field at once, made by R_read and R_write: one call per record
 * instead of one per field, so that the checks of a debug or assert-on build stay cheap. */
bool spate_record_check_read_(const spate_record_desc *d, const spate_row *row);
bool spate_record_check_write_(const spate_record_desc *d, spate_row_builder *rb);

/* ---- the declaration macro ------------------------------------------------------------------ */
#define SPATE_RECORD(R, ...)                                                                       \
  enum { SPATE_PP_EACH_(SPATE_REC_ENUM_, R, __VA_ARGS__) R##_FIELD_COUNT };                        \
  static const char *const R##_field_names_[]                                                      \
      __attribute__((unused)) = {SPATE_PP_EACH_(SPATE_REC_NAME_, R, __VA_ARGS__)};                 \
  static const spate_type R##_field_types_[]                                                       \
      __attribute__((unused)) = {SPATE_PP_EACH_(SPATE_REC_TYPE_, R, __VA_ARGS__)};                 \
  static const bool R##_field_not_null_[]                                                          \
      __attribute__((unused)) = {SPATE_PP_EACH_(SPATE_REC_NN_, R, __VA_ARGS__)};                   \
  static const spate_record_desc R##_record_ __attribute__((unused)) = {                           \
      #R, R##_FIELD_COUNT, R##_field_names_, R##_field_types_, R##_field_not_null_};               \
  static inline __attribute__((unused)) const spate_schema *R##_schema(void) {                     \
    static const spate_schema *_Atomic cached;                                                     \
    const spate_schema *s = cached;                                                                \
    if (!s) cached = s = spate_record_schema(&R##_record_);                                        \
    return s;                                                                                      \
  }                                                                                                \
  struct R {                                                                                       \
    SPATE_PP_EACH_(SPATE_REC_MEMBER_, R, __VA_ARGS__)                                              \
  };                                                                                               \
  SPATE_PP_EACH_(SPATE_REC_ACCESSORS_, R, __VA_ARGS__)                                             \
  static inline __attribute__((unused)) struct R R##_read(const spate_row *row) {                  \
    struct R v;                                                                                    \
    if (SPATE_RECORD_CHECKS && !spate_record_check_read_(&R##_record_, row)) {                     \
      memset(&v, 0, sizeof v);                                                                     \
      return v;                                                                                    \
    }                                                                                              \
    SPATE_PP_EACH_(SPATE_REC_READ_, R, __VA_ARGS__)                                                \
    return v;                                                                                      \
  }                                                                                                \
  static inline __attribute__((unused)) void R##_write(spate_row_builder *rb, const struct R *v) { \
    if (SPATE_RECORD_CHECKS && !spate_record_check_write_(&R##_record_, rb)) return;               \
    SPATE_PP_EACH_(SPATE_REC_WRITE_, R, __VA_ARGS__)                                               \
  }                                                                                                \
  static inline __attribute__((unused)) int R##_emit(spate_collector *out, const struct R *v) {    \
    R##_write(spate_collect_begin(out), v);                                                        \
    return spate_collect_emit(out);                                                                \
  }                                                                                                \
  typedef int R##_record_declared_ /* so that the macro call takes a semicolon */

/* ---- per-field pieces: each gets (R, (f, T)) ------------------------------------------------- */
#define SPATE_PP_UNPAREN_(...) __VA_ARGS__
#define SPATE_PP_CALL_(M, args) M args
#define SPATE_REC_ENUM_(R, x) SPATE_PP_CALL_(SPATE_REC_ENUM2_, (R, SPATE_PP_UNPAREN_ x))
#define SPATE_REC_ENUM2_(R, f, T) R##_##f##_FIELD,
#define SPATE_REC_NAME_(R, x) SPATE_PP_CALL_(SPATE_REC_NAME2_, (R, SPATE_PP_UNPAREN_ x))
#define SPATE_REC_NAME2_(R, f, T) #f,
#define SPATE_REC_TYPE_(R, x) SPATE_PP_CALL_(SPATE_REC_TYPE2_, (R, SPATE_PP_UNPAREN_ x))
#define SPATE_REC_TYPE2_(R, f, T) SPATE_REC_T_ENUM_##T,
#define SPATE_REC_NN_(R, x) SPATE_PP_CALL_(SPATE_REC_NN2_, (R, SPATE_PP_UNPAREN_ x))
#define SPATE_REC_NN2_(R, f, T) SPATE_REC_T_NN_##T,
#define SPATE_REC_MEMBER_(R, x) SPATE_PP_CALL_(SPATE_REC_MEMBER2_, (R, SPATE_PP_UNPAREN_ x))
#define SPATE_REC_MEMBER2_(R, f, T) SPATE_REC_T_CTYPE_##T f;
#define SPATE_REC_READ_(R, x) SPATE_PP_CALL_(SPATE_REC_READ2_, (R, SPATE_PP_UNPAREN_ x))
#define SPATE_REC_READ2_(R, f, T) v.f = SPATE_REC_T_GET_##T(row, R##_##f##_FIELD);
#define SPATE_REC_WRITE_(R, x) SPATE_PP_CALL_(SPATE_REC_WRITE2_, (R, SPATE_PP_UNPAREN_ x))
#define SPATE_REC_WRITE2_(R, f, T) SPATE_REC_T_WRITE_##T(R, f)
#define SPATE_REC_ACCESSORS_(R, x) SPATE_PP_CALL_(SPATE_REC_ACCESSORS2_, (R, SPATE_PP_UNPAREN_ x))
#define SPATE_REC_ACCESSORS2_(R, f, T)                                                        \
  static inline __attribute__((unused)) SPATE_REC_T_CTYPE_##T R##_##f(const spate_row *row) { \
    if (SPATE_RECORD_CHECKS && !spate_record_check_get_(&R##_record_, R##_##f##_FIELD, row))  \
      return (SPATE_REC_T_CTYPE_##T){0};                                                      \
    return SPATE_REC_T_GET_##T(row, R##_##f##_FIELD);                                         \
  }                                                                                           \
  static inline __attribute__((unused)) bool R##_##f##_is_null(const spate_row *row) {        \
    if (SPATE_RECORD_CHECKS && !spate_record_check_get_(&R##_record_, R##_##f##_FIELD, row))  \
      return true;                                                                            \
    return spate_row_is_null(row, R##_##f##_FIELD);                                           \
  }                                                                                           \
  static inline __attribute__((unused)) void R##_set_##f##_null(spate_row_builder *rb) {      \
    if (SPATE_RECORD_CHECKS && !spate_record_check_set_(&R##_record_, R##_##f##_FIELD, rb))   \
      return;                                                                                 \
    spate_rb_set_null(rb, R##_##f##_FIELD);                                                   \
  }                                                                                           \
  SPATE_REC_T_SETTER_##T(R, f)

/* Scalar setter: void R_set_f(rb, CT v). */
#define SPATE_REC_SCALAR_SETTER_(R, f, CT, set)                                             \
  static inline __attribute__((unused)) void R##_set_##f(spate_row_builder *rb, CT v) {     \
    if (SPATE_RECORD_CHECKS && !spate_record_check_set_(&R##_record_, R##_##f##_FIELD, rb)) \
      return;                                                                               \
    set(rb, R##_##f##_FIELD, v);                                                            \
  }                                                                                         \
  static inline __attribute__((unused)) void R##_put_##f##_(spate_row_builder *rb, CT v) {  \
    set(rb, R##_##f##_FIELD, v);                                                            \
  }
/* STRING / BYTES setter: void R_set_f(rb, ptr, len). */
#define SPATE_REC_VAR_SETTER_(R, f, PT, set)                                                 \
  static inline                                                                              \
      __attribute__((unused)) void R##_set_##f(spate_row_builder *rb, PT p, size_t len) {    \
    if (SPATE_RECORD_CHECKS && !spate_record_check_set_(&R##_record_, R##_##f##_FIELD, rb))  \
      return;                                                                                \
    set(rb, R##_##f##_FIELD, p, len);                                                        \
  }                                                                                          \
  static inline                                                                              \
      __attribute__((unused)) void R##_put_##f##_(spate_row_builder *rb, PT p, size_t len) { \
    set(rb, R##_##f##_FIELD, p, len);                                                        \
  }
#define SPATE_REC_STRING_SETTER_(R, f)                                                       \
  SPATE_REC_VAR_SETTER_(R, f, const char *, spate_rb_set_string)                             \
  static inline                                                                              \
      __attribute__((unused)) void R##_set_##f##_str(spate_row_builder *rb, const char *s) { \
    R##_set_##f(rb, s, strlen(s));                                                           \
  }
#define SPATE_REC_SCALAR_WRITE_(R, f) R##_put_##f##_(rb, v->f);
#define SPATE_REC_VAR_WRITE_(R, f)          \
  if (v->f.ptr)                             \
    R##_put_##f##_(rb, v->f.ptr, v->f.len); \
  else                                      \
    spate_rb_set_null(rb, R##_##f##_FIELD);

/* The field types: per type token T (and T_NOT_NULL) its C type, spate_type, NOT NULL flag,
 * row getter, setter and struct-write pieces. */
#define SPATE_REC_T_CTYPE_BOOLEAN bool
#define SPATE_REC_T_ENUM_BOOLEAN SPATE_BOOLEAN
#define SPATE_REC_T_NN_BOOLEAN false
#define SPATE_REC_T_GET_BOOLEAN spate_row_bool
#define SPATE_REC_T_SETTER_BOOLEAN(R, f) SPATE_REC_SCALAR_SETTER_(R, f, bool, spate_rb_set_bool)
#define SPATE_REC_T_WRITE_BOOLEAN SPATE_REC_SCALAR_WRITE_
#define SPATE_REC_T_CTYPE_BOOLEAN_NOT_NULL bool
#define SPATE_REC_T_ENUM_BOOLEAN_NOT_NULL SPATE_BOOLEAN
#define SPATE_REC_T_NN_BOOLEAN_NOT_NULL true
#define SPATE_REC_T_GET_BOOLEAN_NOT_NULL spate_row_bool
#define SPATE_REC_T_SETTER_BOOLEAN_NOT_NULL(R, f) \
  SPATE_REC_SCALAR_SETTER_(R, f, bool, spate_rb_set_bool)
#define SPATE_REC_T_WRITE_BOOLEAN_NOT_NULL SPATE_REC_SCALAR_WRITE_
#define SPATE_REC_T_CTYPE_INT int32_t
#define SPATE_REC_T_ENUM_INT SPATE_INT
#define SPATE_REC_T_NN_INT false
#define SPATE_REC_T_GET_INT spate_row_int
#define SPATE_REC_T_SETTER_INT(R, f) SPATE_REC_SCALAR_SETTER_(R, f, int32_t, spate_rb_set_int)
#define SPATE_REC_T_WRITE_INT SPATE_REC_SCALAR_WRITE_
#define SPATE_REC_T_CTYPE_INT_NOT_NULL int32_t
#define SPATE_REC_T_ENUM_INT_NOT_NULL SPATE_INT
#define SPATE_REC_T_NN_INT_NOT_NULL true
#define SPATE_REC_T_GET_INT_NOT_NULL spate_row_int
#define SPATE_REC_T_SETTER_INT_NOT_NULL(R, f) \
  SPATE_REC_SCALAR_SETTER_(R, f, int32_t, spate_rb_set_int)
#define SPATE_REC_T_WRITE_INT_NOT_NULL SPATE_REC_SCALAR_WRITE_
#define SPATE_REC_T_CTYPE_BIGINT int64_t
#define SPATE_REC_T_ENUM_BIGINT SPATE_BIGINT
#define SPATE_REC_T_NN_BIGINT false
#define SPATE_REC_T_GET_BIGINT spate_row_bigint
#define SPATE_REC_T_SETTER_BIGINT(R, f) SPATE_REC_SCALAR_SETTER_(R, f, int64_t, spate_rb_set_bigint)
#define SPATE_REC_T_WRITE_BIGINT SPATE_REC_SCALAR_WRITE_
#define SPATE_REC_T_CTYPE_BIGINT_NOT_NULL int64_t
#define SPATE_REC_T_ENUM_BIGINT_NOT_NULL SPATE_BIGINT
#define SPATE_REC_T_NN_BIGINT_NOT_NULL true
#define SPATE_REC_T_GET_BIGINT_NOT_NULL spate_row_bigint
#define SPATE_REC_T_SETTER_BIGINT_NOT_NULL(R, f) \
  SPATE_REC_SCALAR_SETTER_(R, f, int64_t, spate_rb_set_bigint)
#define SPATE_REC_T_WRITE_BIGINT_NOT_NULL SPATE_REC_SCALAR_WRITE_
#define SPATE_REC_T_CTYPE_DOUBLE double
#define SPATE_REC_T_ENUM_DOUBLE SPATE_DOUBLE
#define SPATE_REC_T_NN_DOUBLE false
#define SPATE_REC_T_GET_DOUBLE spate_row_double
#define SPATE_REC_T_SETTER_DOUBLE(R, f) SPATE_REC_SCALAR_SETTER_(R, f, double, spate_rb_set_double)
#define SPATE_REC_T_WRITE_DOUBLE SPATE_REC_SCALAR_WRITE_
#define SPATE_REC_T_CTYPE_DOUBLE_NOT_NULL double
#define SPATE_REC_T_ENUM_DOUBLE_NOT_NULL SPATE_DOUBLE
#define SPATE_REC_T_NN_DOUBLE_NOT_NULL true
#define SPATE_REC_T_GET_DOUBLE_NOT_NULL spate_row_double
#define SPATE_REC_T_SETTER_DOUBLE_NOT_NULL(R, f) \
  SPATE_REC_SCALAR_SETTER_(R, f, double, spate_rb_set_double)
#define SPATE_REC_T_WRITE_DOUBLE_NOT_NULL SPATE_REC_SCALAR_WRITE_
#define SPATE_REC_T_CTYPE_TIMESTAMP int64_t
#define SPATE_REC_T_ENUM_TIMESTAMP SPATE_TIMESTAMP
#define SPATE_REC_T_NN_TIMESTAMP false
#define SPATE_REC_T_GET_TIMESTAMP spate_row_timestamp
#define SPATE_REC_T_SETTER_TIMESTAMP(R, f) \
  SPATE_REC_SCALAR_SETTER_(R, f, int64_t, spate_rb_set_timestamp)
#define SPATE_REC_T_WRITE_TIMESTAMP SPATE_REC_SCALAR_WRITE_
#define SPATE_REC_T_CTYPE_TIMESTAMP_NOT_NULL int64_t
#define SPATE_REC_T_ENUM_TIMESTAMP_NOT_NULL SPATE_TIMESTAMP
#define SPATE_REC_T_NN_TIMESTAMP_NOT_NULL true
#define SPATE_REC_T_GET_TIMESTAMP_NOT_NULL spate_row_timestamp
#define SPATE_REC_T_SETTER_TIMESTAMP_NOT_NULL(R, f) \
  SPATE_REC_SCALAR_SETTER_(R, f, int64_t, spate_rb_set_timestamp)
#define SPATE_REC_T_WRITE_TIMESTAMP_NOT_NULL SPATE_REC_SCALAR_WRITE_
#define SPATE_REC_T_CTYPE_STRING spate_bytes
#define SPATE_REC_T_ENUM_STRING SPATE_STRING
#define SPATE_REC_T_NN_STRING false
#define SPATE_REC_T_GET_STRING spate_row_string
#define SPATE_REC_T_SETTER_STRING(R, f) SPATE_REC_STRING_SETTER_(R, f)
#define SPATE_REC_T_WRITE_STRING SPATE_REC_VAR_WRITE_
#define SPATE_REC_T_CTYPE_STRING_NOT_NULL spate_bytes
#define SPATE_REC_T_ENUM_STRING_NOT_NULL SPATE_STRING
#define SPATE_REC_T_NN_STRING_NOT_NULL true
#define SPATE_REC_T_GET_STRING_NOT_NULL spate_row_string
#define SPATE_REC_T_SETTER_STRING_NOT_NULL(R, f) SPATE_REC_STRING_SETTER_(R, f)
#define SPATE_REC_T_WRITE_STRING_NOT_NULL SPATE_REC_VAR_WRITE_
#define SPATE_REC_T_CTYPE_BYTES spate_bytes
#define SPATE_REC_T_ENUM_BYTES SPATE_BYTES
#define SPATE_REC_T_NN_BYTES false
#define SPATE_REC_T_GET_BYTES spate_row_string
#define SPATE_REC_T_SETTER_BYTES(R, f) SPATE_REC_VAR_SETTER_(R, f, const void *, spate_rb_set_bytes)
#define SPATE_REC_T_WRITE_BYTES SPATE_REC_VAR_WRITE_
#define SPATE_REC_T_CTYPE_BYTES_NOT_NULL spate_bytes
#define SPATE_REC_T_ENUM_BYTES_NOT_NULL SPATE_BYTES
#define SPATE_REC_T_NN_BYTES_NOT_NULL true
#define SPATE_REC_T_GET_BYTES_NOT_NULL spate_row_string
#define SPATE_REC_T_SETTER_BYTES_NOT_NULL(R, f) \
  SPATE_REC_VAR_SETTER_(R, f, const void *, spate_rb_set_bytes)
#define SPATE_REC_T_WRITE_BYTES_NOT_NULL SPATE_REC_VAR_WRITE_

/* ---- a preprocessor for-each: SPATE_PP_EACH_(M, d, a, b, ...) is M(d, a) M(d, b) ... ------- */
#define SPATE_PP_EACH_(M, d, ...) SPATE_PP_EACHN_(SPATE_PP_NARGS_(__VA_ARGS__), M, d, __VA_ARGS__)
#define SPATE_PP_EACHN_(n, M, d, ...) SPATE_PP_EACHN2_(n, M, d, __VA_ARGS__)
#define SPATE_PP_EACHN2_(n, M, d, ...) SPATE_PP_EACH_##n(M, d, __VA_ARGS__)
#define SPATE_PP_NARGS_(...)                                                                     \
  SPATE_PP_NTH_(__VA_ARGS__, 64, 63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, \
                47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28,  \
                27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, \
                6, 5, 4, 3, 2, 1, 0)
#define SPATE_PP_NTH_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, \
                      _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32,  \
                      _33, _34, _35, _36, _37, _38, _39, _40, _41, _42, _43, _44, _45, _46, _47,  \
                      _48, _49, _50, _51, _52, _53, _54, _55, _56, _57, _58, _59, _60, _61, _62,  \
                      _63, _64, N, ...)                                                           \
  N
#define SPATE_PP_EACH_1(M, d, x) M(d, x)
#define SPATE_PP_EACH_2(M, d, x, ...) M(d, x) SPATE_PP_EACH_1(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_3(M, d, x, ...) M(d, x) SPATE_PP_EACH_2(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_4(M, d, x, ...) M(d, x) SPATE_PP_EACH_3(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_5(M, d, x, ...) M(d, x) SPATE_PP_EACH_4(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_6(M, d, x, ...) M(d, x) SPATE_PP_EACH_5(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_7(M, d, x, ...) M(d, x) SPATE_PP_EACH_6(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_8(M, d, x, ...) M(d, x) SPATE_PP_EACH_7(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_9(M, d, x, ...) M(d, x) SPATE_PP_EACH_8(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_10(M, d, x, ...) M(d, x) SPATE_PP_EACH_9(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_11(M, d, x, ...) M(d, x) SPATE_PP_EACH_10(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_12(M, d, x, ...) M(d, x) SPATE_PP_EACH_11(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_13(M, d, x, ...) M(d, x) SPATE_PP_EACH_12(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_14(M, d, x, ...) M(d, x) SPATE_PP_EACH_13(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_15(M, d, x, ...) M(d, x) SPATE_PP_EACH_14(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_16(M, d, x, ...) M(d, x) SPATE_PP_EACH_15(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_17(M, d, x, ...) M(d, x) SPATE_PP_EACH_16(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_18(M, d, x, ...) M(d, x) SPATE_PP_EACH_17(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_19(M, d, x, ...) M(d, x) SPATE_PP_EACH_18(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_20(M, d, x, ...) M(d, x) SPATE_PP_EACH_19(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_21(M, d, x, ...) M(d, x) SPATE_PP_EACH_20(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_22(M, d, x, ...) M(d, x) SPATE_PP_EACH_21(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_23(M, d, x, ...) M(d, x) SPATE_PP_EACH_22(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_24(M, d, x, ...) M(d, x) SPATE_PP_EACH_23(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_25(M, d, x, ...) M(d, x) SPATE_PP_EACH_24(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_26(M, d, x, ...) M(d, x) SPATE_PP_EACH_25(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_27(M, d, x, ...) M(d, x) SPATE_PP_EACH_26(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_28(M, d, x, ...) M(d, x) SPATE_PP_EACH_27(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_29(M, d, x, ...) M(d, x) SPATE_PP_EACH_28(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_30(M, d, x, ...) M(d, x) SPATE_PP_EACH_29(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_31(M, d, x, ...) M(d, x) SPATE_PP_EACH_30(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_32(M, d, x, ...) M(d, x) SPATE_PP_EACH_31(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_33(M, d, x, ...) M(d, x) SPATE_PP_EACH_32(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_34(M, d, x, ...) M(d, x) SPATE_PP_EACH_33(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_35(M, d, x, ...) M(d, x) SPATE_PP_EACH_34(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_36(M, d, x, ...) M(d, x) SPATE_PP_EACH_35(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_37(M, d, x, ...) M(d, x) SPATE_PP_EACH_36(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_38(M, d, x, ...) M(d, x) SPATE_PP_EACH_37(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_39(M, d, x, ...) M(d, x) SPATE_PP_EACH_38(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_40(M, d, x, ...) M(d, x) SPATE_PP_EACH_39(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_41(M, d, x, ...) M(d, x) SPATE_PP_EACH_40(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_42(M, d, x, ...) M(d, x) SPATE_PP_EACH_41(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_43(M, d, x, ...) M(d, x) SPATE_PP_EACH_42(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_44(M, d, x, ...) M(d, x) SPATE_PP_EACH_43(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_45(M, d, x, ...) M(d, x) SPATE_PP_EACH_44(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_46(M, d, x, ...) M(d, x) SPATE_PP_EACH_45(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_47(M, d, x, ...) M(d, x) SPATE_PP_EACH_46(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_48(M, d, x, ...) M(d, x) SPATE_PP_EACH_47(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_49(M, d, x, ...) M(d, x) SPATE_PP_EACH_48(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_50(M, d, x, ...) M(d, x) SPATE_PP_EACH_49(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_51(M, d, x, ...) M(d, x) SPATE_PP_EACH_50(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_52(M, d, x, ...) M(d, x) SPATE_PP_EACH_51(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_53(M, d, x, ...) M(d, x) SPATE_PP_EACH_52(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_54(M, d, x, ...) M(d, x) SPATE_PP_EACH_53(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_55(M, d, x, ...) M(d, x) SPATE_PP_EACH_54(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_56(M, d, x, ...) M(d, x) SPATE_PP_EACH_55(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_57(M, d, x, ...) M(d, x) SPATE_PP_EACH_56(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_58(M, d, x, ...) M(d, x) SPATE_PP_EACH_57(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_59(M, d, x, ...) M(d, x) SPATE_PP_EACH_58(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_60(M, d, x, ...) M(d, x) SPATE_PP_EACH_59(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_61(M, d, x, ...) M(d, x) SPATE_PP_EACH_60(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_62(M, d, x, ...) M(d, x) SPATE_PP_EACH_61(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_63(M, d, x, ...) M(d, x) SPATE_PP_EACH_62(M, d, __VA_ARGS__)
#define SPATE_PP_EACH_64(M, d, x, ...) M(d, x) SPATE_PP_EACH_63(M, d, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
