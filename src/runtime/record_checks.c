/*
 * record_checks.c: the library side of typed records (include/spate/record.h): their schemas,
 * interned once per process, and the run-time checks the accessors make in debug builds.
 *
 * Schemas: a record's accessor can be called anywhere (spate_main, an open function, every
 * record of a UDF), so its schema cannot belong to an environment or an operator; it is built
 * once per process from the record's declaration and kept until the process ends (a small,
 * bounded set: one per record type the program declares). Equal declarations share one.
 *
 * Getter checks: rows carry their field count but no schema. The count is checked always; the
 * types are checked when the row is the record the current operator is processing: op_process
 * keeps that row's bytes and schema on the operator's context (udf_context.h), and the thread's
 * current operator is known (crash_report.h). A failed check marks the context; the operator
 * call fails once it returns (operator.h: op_record_check), naming the record and the field.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "runtime/crash_report.h"
#include "runtime/udf_context.h"
#include "spate/record.h"
#include "types/row.h"
#include "types/schema.h"

/* ---- interned schemas ------------------------------------------------------------------------ */
typedef struct interned {
  struct interned *next;
  char *name;
  spate_schema *schema;
} interned;

static pthread_mutex_t intern_mu = PTHREAD_MUTEX_INITIALIZER; /* guards interned_schemas */
static interned *interned_schemas;

/* A record's field of kind t reads a schema field of that kind in its slot: a TIMESTAMP finer
 * than milliseconds lives in the tail and is no record's TIMESTAMP. */
static bool record_type_matches(const schema_field *sf, spate_type t) {
  return sf->type == t && !(t == SPATE_TIMESTAMP && sf->precision > 3);
}

static bool same_record(const interned *e, const spate_record_desc *d) {
  const spate_schema *s = e->schema;
  if (strcmp(e->name, d->name) != 0 || s->nfields != d->nfields) return false;
  for (int i = 0; i < d->nfields; i++)
    if (strcmp(s->fields[i].name, d->field_names[i]) != 0 ||
        !record_type_matches(&s->fields[i], d->field_types[i]) ||
        s->fields[i].nullable == d->not_null[i])
      return false;
  return true;
}

const spate_schema *spate_record_schema(const spate_record_desc *d) {
  const spate_schema *found = NULL;
  pthread_mutex_lock(&intern_mu);
  for (interned *e = interned_schemas; e && !found; e = e->next)
    if (same_record(e, d)) found = e->schema;
  if (!found && d->nfields > 0 && d->nfields <= 64) {
    bool nullable[64];
    for (int i = 0; i < d->nfields; i++) nullable[i] = !d->not_null[i];
    interned *e = sp_calloc(1, sizeof *e);
    if (e && (e->name = sp_strdup(d->name)) &&
        (e->schema = schema_new(d->nfields, d->field_names, d->field_types, nullable))) {
      e->next = interned_schemas;
      interned_schemas = e;
      found = e->schema;
    } else if (e) {
      sp_free(e->name);
      sp_free(e);
    }
  }
  pthread_mutex_unlock(&intern_mu);
  return found;
}

/* ---- checks ---------------------------------------------------------------------------------- */
/* Reports a failed check: on the current operator's context (the call fails when it returns),
 * or, outside any operator, on stderr before aborting. */
static bool report_mismatch(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool report_mismatch(const char *fmt, ...) {
  spate_ctx *ctx = (spate_ctx *)crash_current_op; /* the operator's own, writable context */
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!ctx) {
    fprintf(stderr, "spate: %s\n", msg);
    abort();
  }
  op_ctx_check_failed(ctx, msg);
  return false;
}

/* The row exists and has the record's field count; `fname` names the field being read (or the
 * first, for a whole-record read). */
static bool check_row_shape(const spate_record_desc *d, const char *fname, const spate_row *row) {
  if (!row || !row->data)
    return report_mismatch("record '%s', field '%s': read from a NULL row", d->name, fname);
  if (row->nfields != (uint32_t)d->nfields)
    return report_mismatch("record '%s', field '%s': the row has %u field%s, the record %d",
                           d->name, fname, row->nfields, row->nfields == 1 ? "" : "s", d->nfields);
  return true;
}

/* The operator's input schema when `row` is the record the current operator is processing, else
 * NULL (the row carries no schema to check against). */
static const spate_schema *input_schema_of(const spate_row *row) {
  const spate_ctx *ctx = crash_current_op;
  return ctx && ctx->in_row == row->data ? ctx->in_row_schema : NULL;
}

/* Field `field` of a row of the right shape: its type against the input schema `in` (when
 * known), and a STRING or BYTES value inside the row. */
static bool check_field(const spate_record_desc *d, int field, const spate_row *row,
                        const spate_schema *in) {
  const char *fname = d->field_names[field];
  spate_type t = d->field_types[field];
  if (in && !record_type_matches(&in->fields[field], t)) {
    const schema_field *sf = &in->fields[field];
    char type[TYPE_NAME_MAX];
    type_to_string(sf, type);
    return report_mismatch(
        "record '%s', field '%s' is %s, but field %d of the operator's input "
        "is '%s' %s: the stream's rows are not %s records",
        d->name, fname, schema_type_name(t), field, sf->name, type, d->name);
  }
  if ((t == SPATE_STRING || t == SPATE_BYTES) && !spate_row_is_null(row, field)) {
    uint64_t v = spate_row_slot_(row, field);
    uint64_t off = v >> 32, len = (uint32_t)v;
    if (off < spate_row_header_size(row->nfields) || off + len > row->len)
      return report_mismatch(
          "record '%s', field '%s' is %s, but the row holds no %s value there "
          "(the row is not a %s record)",
          d->name, fname, schema_type_name(t), schema_type_name(t), d->name);
  }
  return true;
}

bool spate_record_check_get_(const spate_record_desc *d, int field, const spate_row *row) {
  return check_row_shape(d, d->field_names[field], row) &&
         check_field(d, field, row, input_schema_of(row));
}

bool spate_record_check_read_(const spate_record_desc *d, const spate_row *row) {
  if (!check_row_shape(d, d->field_names[0], row)) return false;
  spate_ctx *ctx = (spate_ctx *)crash_current_op; /* the operator's own, writable context */
  const spate_schema *in = input_schema_of(row);
  if (in && ctx->checked_record == d && ctx->checked_schema == in) return true;
  for (int i = 0; i < d->nfields; i++)
    if (!check_field(d, i, row, in)) return false;
  if (in) ctx->checked_record = d, ctx->checked_schema = in;
  return true;
}

/* The builder's schema against the record's field `field`; NULL when they agree, else why not
 * (in `why`). */
static const char *builder_mismatch(const spate_record_desc *d, int field, const spate_schema *s,
                                    char *why, size_t cap) {
  if (!s) return "no row builder";
  if (s->nfields != d->nfields) {
    snprintf(why, cap, "the row being built has %d field%s, the record %d", s->nfields,
             s->nfields == 1 ? "" : "s", d->nfields);
    return why;
  }
  if (!record_type_matches(&s->fields[field], d->field_types[field])) {
    char type[TYPE_NAME_MAX];
    type_to_string(&s->fields[field], type);
    snprintf(why, cap, "field %d of the row being built is '%s' %s, the record's is %s", field,
             s->fields[field].name, type, schema_type_name(d->field_types[field]));
    return why;
  }
  return NULL;
}

/* Reports a builder mismatch: on the builder (its row then fails to finish) or, without one, as
 * report_mismatch does. */
static bool report_builder(const spate_record_desc *d, int field, spate_row_builder *rb,
                           const char *bad) {
  char msg[256];
  snprintf(msg, sizeof msg, "record '%s', field '%s': %s", d->name, d->field_names[field], bad);
  if (!rb) return report_mismatch("%s", msg);
  if (!rb->error[0]) snprintf(rb->error, sizeof rb->error, "%s", msg);
  return false;
}

bool spate_record_check_set_(const spate_record_desc *d, int field, spate_row_builder *rb) {
  char why[160];
  const char *bad = builder_mismatch(d, field, rb ? rb->schema : NULL, why, sizeof why);
  return !bad || report_builder(d, field, rb, bad);
}

bool spate_record_check_write_(const spate_record_desc *d, spate_row_builder *rb) {
  if (rb && rb->checked_record == d) return true; /* a builder's schema never changes */
  char why[160];
  const spate_schema *s = rb ? rb->schema : NULL;
  for (int i = 0; i < d->nfields; i++) {
    const char *bad = builder_mismatch(d, i, s, why, sizeof why);
    if (bad) return report_builder(d, i, rb, bad);
  }
  rb->checked_record = d;
  return true;
}
