/*
 * datagen_source.c: the DataGen source operator and its options (connectors/datagen.h).
 *
 * The operator walks row numbers in splits (index_splits.h) and writes each row from its number
 * alone: sequences as start + n, random values from a SplitMix64 draw keyed by the seed, the row
 * number and the field, so a restored split regenerates exactly the rows it had not emitted.
 * The SPLIT list "datagen-splits" keeps one entry per unfinished split. The rate limit
 * (rows-per-second, each subtask its share) runs on the task's clock as the other rate-limited
 * sources' does: ahead of schedule the source sets a timer and returns SRC_WAIT.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/config.h"
#include "connectors/datagen.h"
#include "connectors/format.h"
#include "connectors/index_splits.h"
#include "connectors/registry.h"
#include "graph/op_params.h"

#define SPLITS_STATE "datagen-splits"
#define MS_PER_DAY 86400000LL

/* ---- options ------------------------------------------------------------------------------- */

static const char *const numeric_opts[] = {"max", "min", "null-rate", NULL};
static const char *const sequence_opts[] = {"end", "null-rate", "start", NULL};
static const char *const length_opts[] = {"length", "null-rate", NULL};
static const char *const past_opts[] = {"max-past", "null-rate", NULL};
static const char *const plain_opts[] = {"null-rate", NULL};
#define DATAGEN_DEFAULT_ELEMENTS 3 /* ARRAY and MAP: Flink's default number of elements */
#define DATAGEN_MAX_ELEMENTS (1 << 16)

static bool is_integer(spate_type t) {
  return t == SPATE_TINYINT || t == SPATE_SMALLINT || t == SPATE_INT || t == SPATE_BIGINT;
}
static bool is_fractional(spate_type t) {
  return t == SPATE_FLOAT || t == SPATE_DOUBLE || t == SPATE_DECIMAL;
}
static bool is_text(spate_type t) {
  return t == SPATE_STRING || t == SPATE_CHAR || t == SPATE_BYTES || t == SPATE_BINARY;
}
static bool is_past(spate_type t) {
  return t == SPATE_DATE || t == SPATE_TIMESTAMP || t == SPATE_TIMESTAMP_LTZ;
}

const char *const *datagen_field_options(const schema_field *f, bool sequence) {
  if (sequence) return sequence_opts;
  if (is_integer(f->type) || is_fractional(f->type)) return numeric_opts;
  if (f->type == SPATE_STRING || f->type == SPATE_BYTES || f->type == SPATE_ARRAY ||
      f->type == SPATE_MAP)
    return length_opts;
  if (is_past(f->type)) return past_opts;
  return plain_opts;
}

static bool scalar(const schema_field *f) {
  return is_integer(f->type) || is_fractional(f->type) || is_text(f->type) || is_past(f->type) ||
         f->type == SPATE_BOOLEAN || f->type == SPATE_TIME;
}

/* Composites hold scalars: ARRAY of them, MAP of them, ROW of them (not nested further). */
static bool supported(const schema_field *f, bool sequence) {
  if (sequence) return is_integer(f->type) || is_fractional(f->type) || f->type == SPATE_STRING;
  if (f->type == SPATE_ARRAY || f->type == SPATE_MAP || f->type == SPATE_ROW) {
    for (int k = 0; f->sub && k < f->sub->nfields; k++)
      if (!scalar(&f->sub->fields[k])) return false;
    return f->sub != NULL;
  }
  return scalar(f);
}

static int cannot_parse(const char *key, const char *value, char *err, size_t cap) {
  snprintf(err, cap, "Could not parse value '%s' for key '%s'.", value, key);
  return SPATE_EINVAL;
}

static bool parse_i64(const char *v, int64_t *out) {
  return v[0] && fmt_parse_int64(v, strlen(v), out);
}
static bool parse_f64(const char *v, double *out) {
  return v[0] && fmt_parse_double(v, strlen(v), out) && isfinite(*out);
}

/* The range of an integer type. */
static void int_range(spate_type t, int64_t *lo, int64_t *hi) {
  switch (t) {
  case SPATE_TINYINT: *lo = INT8_MIN, *hi = INT8_MAX; break;
  case SPATE_SMALLINT: *lo = INT16_MIN, *hi = INT16_MAX; break;
  case SPATE_INT: *lo = INT32_MIN, *hi = INT32_MAX; break;
  default: *lo = INT64_MIN, *hi = INT64_MAX; break;
  }
}

/* The largest magnitude a DECIMAL(p, s) holds, as a double. */
static double decimal_bound(const schema_field *f) {
  return pow(10.0, f->precision - f->scale) - pow(10.0, -(double)f->scale);
}

/* Reads a number option of field f (integers for integer fields, else a double) into *i or *d,
 * checking the type's range. */
static int number_option(const schema_field *f, const char *key, const char *v, int64_t *i,
                         double *d, char *err, size_t cap) {
  if (is_integer(f->type)) {
    int64_t lo, hi;
    int_range(f->type, &lo, &hi);
    if (!parse_i64(v, i) || *i < lo || *i > hi) return cannot_parse(key, v, err, cap);
    *d = (double)*i;
    return 0;
  }
  if (!parse_f64(v, d)) return cannot_parse(key, v, err, cap);
  return 0;
}

/* Sets f's defaults for its type. */
static void field_defaults(datagen_field *g, const schema_field *f) {
  *g = (datagen_field){.length = DATAGEN_DEFAULT_LENGTH};
  if (is_integer(f->type)) int_range(f->type, &g->imin, &g->imax);
  if (f->type == SPATE_FLOAT) g->min = 1.4e-45, g->max = 3.4028234663852886e38;
  if (f->type == SPATE_DOUBLE) g->min = 4.9e-324, g->max = 1.7976931348623157e308;
  if (f->type == SPATE_DECIMAL) g->max = decimal_bound(f), g->min = -g->max;
  if (f->type == SPATE_CHAR || f->type == SPATE_BINARY) g->length = f->length;
  if ((f->type == SPATE_STRING || f->type == SPATE_BYTES) && f->length < SCHEMA_MAX_LENGTH)
    g->length = f->length; /* VARCHAR(n), VARBINARY(n): n; STRING, BYTES: 100 */
  if (f->type == SPATE_ARRAY || f->type == SPATE_MAP) g->length = DATAGEN_DEFAULT_ELEMENTS;
}

/* The field a "fields.<name>.<suffix>" key names (-1: none), *suffix set. */
static int key_field(const spate_schema *schema, const char *key, const char **suffix) {
  if (strncmp(key, "fields.", 7) != 0) return -1;
  const char *name = key + 7, *dot = strrchr(name, '.');
  if (!dot || dot == name) return -1;
  for (int i = 0; i < schema->nfields; i++) {
    const char *fn = schema->fields[i].name;
    if (strlen(fn) == (size_t)(dot - name) && memcmp(fn, name, (size_t)(dot - name)) == 0) {
      *suffix = dot + 1;
      return i;
    }
  }
  return -1;
}

static bool suffix_allowed(const schema_field *f, bool sequence, const char *suffix) {
  for (const char *const *o = datagen_field_options(f, sequence); *o; o++)
    if (strcmp(*o, suffix) == 0) return true;
  return false;
}

/* Reads one field's option (kind already known). */
static int field_option(datagen_field *g, const schema_field *f, const char *suffix,
                        const char *key, const char *v, char *err, size_t cap) {
  if (strcmp(suffix, "null-rate") == 0) {
    if (!parse_f64(v, &g->null_rate)) return cannot_parse(key, v, err, cap);
    if (g->null_rate < 0 || g->null_rate > 1) {
      snprintf(err, cap, "The null rate '%s' of key '%s' is not within [0, 1].", v, key);
      return SPATE_EINVAL;
    }
    return 0;
  }
  if (strcmp(suffix, "min") == 0) return number_option(f, key, v, &g->imin, &g->min, err, cap);
  if (strcmp(suffix, "max") == 0) return number_option(f, key, v, &g->imax, &g->max, err, cap);
  if (strcmp(suffix, "start") == 0 || strcmp(suffix, "end") == 0) {
    bool start = suffix[0] == 's';
    int64_t *i = start ? &g->start : &g->end;
    double *d = start ? &g->dstart : &g->dend;
    if (f->type == SPATE_STRING) {
      if (!parse_i64(v, i)) return cannot_parse(key, v, err, cap);
      *d = (double)*i;
      return 0;
    }
    return number_option(f, key, v, i, d, err, cap);
  }
  if (strcmp(suffix, "max-past") == 0) {
    if (!sp_parse_duration_ms(v, &g->max_past_ms) || g->max_past_ms < 0)
      return cannot_parse(key, v, err, cap);
    return 0;
  }
  if (strcmp(suffix, "length") == 0) {
    int64_t n;
    if (!parse_i64(v, &n) || n < 0 || n > INT32_MAX) return cannot_parse(key, v, err, cap);
    if (f->type == SPATE_ARRAY || f->type == SPATE_MAP) {
      if (n > DATAGEN_MAX_ELEMENTS) {
        snprintf(err, cap,
                 "The length %lld of key '%s' is over the %d elements the datagen "
                 "source generates.",
                 (long long)n, key, DATAGEN_MAX_ELEMENTS);
        return SPATE_EINVAL;
      }
      g->length = (int32_t)n;
      return 0;
    }
    if (n > f->length) {
      snprintf(err, cap,
               "Custom length '%lld' for variable-length type (VARCHAR/STRING/VARBINARY/BYTES) "
               "field '%s' should be shorter than '%d' defined in the schema.",
               (long long)n, f->name, (int)f->length);
      return SPATE_EINVAL;
    }
    if (n > DATAGEN_MAX_LENGTH) {
      snprintf(err, cap, "The length %lld of key '%s' is over the %d the datagen source generates.",
               (long long)n, key, DATAGEN_MAX_LENGTH);
      return SPATE_EINVAL;
    }
    g->length = (int32_t)n;
  }
  return 0;
}

/* The sequence's bounds are given and in order; the rows it allows. */
static int check_sequence(const datagen_field *g, const schema_field *f, bool has_start,
                          bool has_end, uint64_t *len, char *err, size_t cap) {
  if (!has_start || !has_end) {
    snprintf(err, cap, "Could not find required property 'fields.%s.%s' for sequence generator.",
             f->name, has_start ? "end" : "start");
    return SPATE_EINVAL;
  }
  bool frac = is_fractional(f->type);
  if (frac ? g->dstart > g->dend : g->start > g->end) {
    snprintf(err, cap, "The start of sequence field '%s' is greater than its end.", f->name);
    return SPATE_EINVAL;
  }
  if (frac) {
    double n = floor(g->dend - g->dstart) + 1;
    *len = n >= 9.2e18 ? (uint64_t)INT64_MAX : (uint64_t)n;
  } else {
    *len = (uint64_t)g->end - (uint64_t)g->start + 1; /* 0: the whole 2^64 range */
    if (*len == 0 || *len > (uint64_t)INT64_MAX) *len = (uint64_t)INT64_MAX;
  }
  return 0;
}

static int parse_fields(datagen_spec *s, const spate_schema *schema, uint32_t n,
                        const char *const *kv, bool *consumed, char *err, size_t cap) {
  for (int fi = 0; fi < schema->nfields; fi++) {
    const schema_field *f = &schema->fields[fi];
    datagen_field *g = &s->fields[fi];
    field_defaults(g, f);
    /* the kind first: it decides which other options the field takes */
    for (uint32_t k = 0; k + 1 < n; k += 2) {
      const char *suffix;
      if (key_field(schema, kv[k], &suffix) != fi || strcmp(suffix, "kind") != 0) continue;
      if (consumed) consumed[k / 2] = true;
      if (strcmp(kv[k + 1], "sequence") == 0) {
        g->sequence = true;
      } else if (strcmp(kv[k + 1], "random") != 0) {
        snprintf(err, cap, "Unsupported generator kind: %s", kv[k + 1]);
        return SPATE_EINVAL;
      }
    }
    if (!supported(f, g->sequence)) {
      sp_strbuf t = {0};
      int rc = schema_type_text(&t, f);
      snprintf(err, cap, "Unsupported type: %s%s", rc == 0 && t.data ? t.data : "?",
               f->nullable ? "" : " NOT NULL");
      sp_strbuf_free(&t);
      return SPATE_EINVAL;
    }
    bool has_start = false, has_end = false;
    for (uint32_t k = 0; k + 1 < n; k += 2) {
      const char *suffix;
      if (key_field(schema, kv[k], &suffix) != fi || strcmp(suffix, "kind") == 0) continue;
      if (!suffix_allowed(f, g->sequence, suffix)) continue; /* left for the caller to refuse */
      if (consumed) consumed[k / 2] = true;
      int rc = field_option(g, f, suffix, kv[k], kv[k + 1], err, cap);
      if (rc < 0) return rc;
      has_start |= strcmp(suffix, "start") == 0;
      has_end |= strcmp(suffix, "end") == 0;
    }
    if (is_text(f->type) && !g->sequence && g->length > DATAGEN_MAX_LENGTH) {
      snprintf(err, cap,
               "The length %d of field '%s' is over the %d the datagen source generates: set "
               "'fields.%s.length'.",
               (int)g->length, f->name, DATAGEN_MAX_LENGTH, f->name);
      return SPATE_EINVAL;
    }
    if (g->null_rate > 0 && !f->nullable) {
      snprintf(err, cap, "The null rate of field '%s' must be 0: the field is NOT NULL.", f->name);
      return SPATE_EINVAL;
    }
    if (g->sequence) {
      uint64_t len;
      int rc = check_sequence(g, f, has_start, has_end, &len, err, cap);
      if (rc < 0) return rc;
      if (s->rows < 0 || (uint64_t)s->rows > len) s->rows = (int64_t)len;
    } else if (is_integer(f->type) ? g->imin > g->imax : g->min > g->max) {
      snprintf(err, cap, "The minimum of random field '%s' is greater than its maximum.", f->name);
      return SPATE_EINVAL;
    }
  }
  return 0;
}

int datagen_spec_parse(datagen_spec *s, const spate_schema *schema, uint32_t n,
                       const char *const *kv, bool *consumed, char *err, size_t cap) {
  *s = (datagen_spec){.rows = -1, .rows_per_second = DATAGEN_DEFAULT_ROWS_PER_SECOND};
  for (uint32_t k = 0; k + 1 < n; k += 2) {
    bool rps = strcmp(kv[k], "rows-per-second") == 0;
    if (!rps && strcmp(kv[k], "number-of-rows") != 0) continue;
    if (consumed) consumed[k / 2] = true;
    int64_t v;
    if (!parse_i64(kv[k + 1], &v)) return cannot_parse(kv[k], kv[k + 1], err, cap);
    if (v < 0) {
      snprintf(err, cap, "The value of key '%s' must not be negative, but is %lld.", kv[k],
               (long long)v);
      return SPATE_EINVAL;
    }
    if (rps)
      s->rows_per_second = (double)v;
    else
      s->rows = v;
  }
  if (schema->nfields > 0 && !(s->fields = sp_calloc((size_t)schema->nfields, sizeof *s->fields)))
    return SPATE_ENOMEM;
  s->nfields = schema->nfields;
  int rc = parse_fields(s, schema, n, kv, consumed, err, cap);
  if (rc < 0) datagen_spec_free(s);
  return rc;
}

void datagen_spec_free(datagen_spec *s) {
  sp_free(s->fields);
  s->fields = NULL;
  s->nfields = 0;
}

/* ---- the operator -------------------------------------------------------------------------- */

/* The builders of a composite field's values (NULL for scalars). */
typedef struct datagen_composite {
  spate_array_builder *parts[2]; /* ARRAY: elements; MAP: keys, values */
  spate_row_builder *row;        /* ROW */
} datagen_composite;

typedef struct datagen_src {
  datagen_spec spec;
  datagen_composite *composites; /* per field */
  uint64_t seed;
  idx_splits splits;
  rate_limit limit;
  char *text; /* a random string or bytes value (the longest length) */
} datagen_src;

static inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* The draw stream of field f in row n: draw k of it. */
static inline uint64_t draw(uint64_t seed, int64_t n, int f, uint64_t k) {
  return mix64(seed ^ mix64((uint64_t)n * 0x9e3779b97f4a7c15ULL +
                            (uint64_t)f * 0xd1b54a32d192ed03ULL + k * 0x2545f4914f6cdd1dULL));
}

static inline double unit(uint64_t r) { return (double)(r >> 11) * 0x1.0p-53; }

/* A uniform integer in [lo, hi]. */
static int64_t uniform_int(uint64_t r, int64_t lo, int64_t hi) {
  uint64_t width = (uint64_t)hi - (uint64_t)lo + 1;
  if (width == 0) return (int64_t)r; /* the whole range */
  return (int64_t)((uint64_t)lo + r % width);
}

static void set_integer(spate_row_builder *rb, int i, spate_type t, int64_t v) {
  switch (t) {
  case SPATE_TINYINT: spate_rb_set_tinyint(rb, i, (int8_t)v); break;
  case SPATE_SMALLINT: spate_rb_set_smallint(rb, i, (int16_t)v); break;
  case SPATE_INT: spate_rb_set_int(rb, i, (int32_t)v); break;
  default: spate_rb_set_bigint(rb, i, v); break;
  }
}

static void set_fractional(spate_row_builder *rb, int i, const schema_field *f, double v) {
  if (f->type == SPATE_FLOAT) {
    spate_rb_set_float(rb, i, (float)v);
  } else if (f->type == SPATE_DOUBLE) {
    spate_rb_set_double(rb, i, v);
  } else {
    spate_int128 lim = 1;
    for (int k = 0; k < f->precision; k++) lim *= 10;
    double scaled = round(v * pow(10.0, f->scale));
    spate_int128 u = fabs(scaled) >= 1e38 ? (scaled < 0 ? -lim : lim) : (spate_int128)scaled;
    if (u >= lim) u = lim - 1;
    if (u <= -lim) u = -lim + 1;
    spate_rb_set_decimal(rb, i, u);
  }
}

/* Keeps the digits of a time value the type's precision has (ms resolution otherwise). */
static int64_t to_precision(int64_t ms, int precision) {
  int64_t unit_ms = precision >= 3 ? 1 : precision == 2 ? 10 : precision == 1 ? 100 : 1000;
  int64_t r = ms % unit_ms;
  return ms - (r < 0 ? r + unit_ms : r);
}

/* Sets field i of rb (of type f, options g) to the random value of row n drawn from the stream
 * (seed, key); text is scratch of at least g->length bytes. */
static void set_scalar(op_t *op, char *text, spate_row_builder *rb, int i, const schema_field *f,
                       const datagen_field *g, uint64_t seed, int64_t n, int key) {
  uint64_t r = draw(seed, n, key, 1);
  if (is_integer(f->type)) return set_integer(rb, i, f->type, uniform_int(r, g->imin, g->imax));
  if (is_fractional(f->type)) {
    double v = g->min + unit(r) * (g->max - g->min);
    if (!isfinite(v)) v = g->min / 2 + unit(r) * (g->max / 2 - g->min / 2) * 2;
    return set_fractional(rb, i, f, v);
  }
  switch (f->type) {
  case SPATE_BOOLEAN: spate_rb_set_bool(rb, i, r & 1); return;
  case SPATE_STRING:
  case SPATE_CHAR:
  case SPATE_BYTES:
  case SPATE_BINARY: {
    static const char hex[] = "0123456789abcdef";
    bool is_chars = f->type == SPATE_STRING || f->type == SPATE_CHAR;
    for (int32_t k = 0; k < g->length; k++) {
      if (k % 8 == 0) r = draw(seed, n, key, 2 + (uint64_t)k / 8);
      uint8_t b = (uint8_t)(r >> (8 * (k % 8)));
      text[k] = is_chars ? hex[b & 15] : (char)b;
    }
    if (is_chars)
      spate_rb_set_string(rb, i, text, (size_t)g->length);
    else
      spate_rb_set_bytes(rb, i, text, (size_t)g->length);
    return;
  }
  case SPATE_TIME:
    spate_rb_set_time(rb, i,
                      (int32_t)to_precision(uniform_int(r, 0, MS_PER_DAY - 1), f->precision));
    return;
  case SPATE_DATE: {
    int64_t t = op_now(op) - uniform_int(r, 0, g->max_past_ms);
    int64_t days = t / MS_PER_DAY - (t % MS_PER_DAY < 0);
    spate_rb_set_date(rb, i, (int32_t)days);
    return;
  }
  default: { /* TIMESTAMP, TIMESTAMP_LTZ */
    int64_t t = op_now(op) - uniform_int(r, 0, g->max_past_ms);
    spate_rb_set_timestamp_nanos(rb, i, to_precision(t, f->precision), 0);
    return;
  }
  }
}

/* The scalar parts of a composite: their own defaults, a draw stream per part and element. */
static void set_parts(op_t *op, datagen_src *s, spate_row_builder *rb, const spate_schema *sub,
                      int part, int count, int64_t n, int i) {
  for (int k = 0; k < count; k++) {
    const schema_field *pf = &sub->fields[sub->nfields == 1 ? 0 : part >= 0 ? part : k];
    datagen_field pg;
    field_defaults(&pg, pf);
    uint64_t seed =
        mix64(s->seed ^ ((uint64_t)(i + 1) << 40) ^ ((uint64_t)(part + 2) << 32) ^ (uint64_t)k);
    set_scalar(op, s->text, rb, k, pf, &pg, seed, n, 0);
  }
}

/* Field i of a random row n: a scalar, or an ARRAY, MAP or ROW of random scalars. */
static void set_random(op_t *op, datagen_src *s, int64_t n, int i) {
  const schema_field *f = &op->node->out_schema->fields[i];
  const datagen_field *g = &s->spec.fields[i];
  datagen_composite *c = &s->composites[i];
  spate_array keys, values;
  switch (f->type) {
  case SPATE_ARRAY:
    if (spate_ab_begin(c->parts[0], (uint32_t)g->length) < 0) return; /* the row fails */
    set_parts(op, s, spate_ab_elements(c->parts[0]), f->sub, 0, g->length, n, i);
    if (spate_ab_finish(c->parts[0], &keys) == 0) spate_rb_set_array(&op->rb, i, &keys);
    return;
  case SPATE_MAP:
    if (spate_ab_begin(c->parts[0], (uint32_t)g->length) < 0 ||
        spate_ab_begin(c->parts[1], (uint32_t)g->length) < 0)
      return;
    set_parts(op, s, spate_ab_elements(c->parts[0]), f->sub, 0, g->length, n, i);
    set_parts(op, s, spate_ab_elements(c->parts[1]), f->sub, 1, g->length, n, i);
    if (spate_ab_finish(c->parts[0], &keys) == 0 && spate_ab_finish(c->parts[1], &values) == 0)
      spate_rb_set_map(&op->rb, i, &keys, &values);
    return;
  case SPATE_ROW: {
    spate_row row;
    spate_rb_begin(c->row);
    set_parts(op, s, c->row, f->sub, -1, f->sub->nfields, n, i);
    if (spate_rb_finish(c->row, &row) == 0) spate_rb_set_row(&op->rb, i, &row);
    return;
  }
  default: set_scalar(op, s->text, &op->rb, i, f, g, s->seed, n, i);
  }
}

static void set_sequence(op_t *op, int64_t n, int i) {
  const schema_field *f = &op->node->out_schema->fields[i];
  const datagen_field *g = &((datagen_src *)op->impl)->spec.fields[i];
  spate_row_builder *rb = &op->rb;
  if (is_integer(f->type)) return set_integer(rb, i, f->type, g->start + n);
  if (is_fractional(f->type)) return set_fractional(rb, i, f, g->dstart + (double)n);
  char buf[24];
  int len = snprintf(buf, sizeof buf, "%lld", (long long)(g->start + n));
  spate_rb_set_string(rb, i, buf, (size_t)len);
}

static void write_row(op_t *op, datagen_src *s, int64_t n) {
  spate_rb_begin(&op->rb);
  for (int i = 0; i < s->spec.nfields; i++) {
    const datagen_field *g = &s->spec.fields[i];
    if (g->null_rate > 0 && unit(draw(s->seed, n, i, 0)) < g->null_rate) continue; /* NULL */
    if (g->sequence)
      set_sequence(op, n, i);
    else
      set_random(op, s, n, i);
  }
}

static void datagen_close(op_t *op) {
  datagen_src *s = op->impl;
  if (s) {
    for (int i = 0; s->composites && i < s->spec.nfields; i++) {
      spate_ab_free(s->composites[i].parts[0]);
      spate_ab_free(s->composites[i].parts[1]);
      if (s->composites[i].row) spate_rb_free(s->composites[i].row);
    }
    sp_free(s->composites);
    datagen_spec_free(&s->spec);
    idx_splits_free(&s->splits);
    sp_free(s->text);
  }
  sp_free(s);
  op->impl = NULL;
}

static int datagen_open(op_t *op) {
  datagen_src *s = sp_calloc(1, sizeof *s);
  if (!s) return SPATE_ENOMEM;
  op->impl = s;
  op_datagen_params p;
  char err[SP_ERRMSG_MAX];
  int rc = op_datagen_params_load(op->node, &p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "datagen source parameters are corrupt: %s", err);
  s->seed = (uint64_t)p.seed;
  rc = datagen_spec_parse(&s->spec, op->node->out_schema, p.options.n, p.options.v, NULL, err,
                          sizeof err);
  op_datagen_params_free(&p);
  if (rc == SPATE_EINVAL) return op_fail(op, SPATE_ECORRUPT, "datagen source options: %s", err);
  if (rc < 0) return rc;
  /* the scratch for random strings: the longest of the fields' and their parts' lengths */
  const spate_schema *out = op->node->out_schema;
  int32_t longest = 0;
  if (s->spec.nfields &&
      !(s->composites = sp_calloc((size_t)s->spec.nfields, sizeof *s->composites)))
    return SPATE_ENOMEM;
  for (int i = 0; i < s->spec.nfields; i++) {
    const schema_field *f = &out->fields[i];
    datagen_composite *c = &s->composites[i];
    if (!type_is_composite(f->type)) {
      if (s->spec.fields[i].length > longest) longest = s->spec.fields[i].length;
      continue;
    }
    for (int k = 0; k < f->sub->nfields; k++) {
      datagen_field pg;
      field_defaults(&pg, &f->sub->fields[k]);
      if (pg.length > DATAGEN_MAX_LENGTH)
        return op_fail(op, SPATE_EINVAL,
                       "datagen source: part %d of field '%s' is longer than "
                       "the %d bytes it generates",
                       k + 1, f->name, DATAGEN_MAX_LENGTH);
      if (pg.length > longest) longest = pg.length;
    }
    bool ok = true;
    if (f->type == SPATE_ROW) ok = (c->row = spate_rb_new(f->sub)) != NULL;
    if (f->type == SPATE_ARRAY || f->type == SPATE_MAP)
      ok = (c->parts[0] = spate_ab_new(out, i, 0));
    if (f->type == SPATE_MAP) ok = ok && (c->parts[1] = spate_ab_new(out, i, 1));
    if (!ok) return SPATE_ENOMEM;
  }
  if (!(s->text = sp_malloc((size_t)longest + 1))) return SPATE_ENOMEM;
  int par = op->ctx.parallelism;
  rate_limit_init(&s->limit, s->spec.rows_per_second, par, op_now(op));
  return idx_splits_init(&s->splits, s->spec.rows, INT64_MAX - 1, op->ctx.subtask, par);
}

/* The rate limiter's timer: only wakes the task so that it polls again. */
static int wake(op_t *op, int64_t now) {
  ((datagen_src *)op->impl)->limit.wake_at = INT64_MIN;
  return 0;
}

static int datagen_poll(op_t *op, int budget) {
  datagen_src *s = op->impl;
  if (s->splits.n == 0) return SRC_END;
  int n = rate_limit_permits(op, &s->limit, budget, wake);
  if (n < 0) return n;
  if (n == 0) return SRC_WAIT;
  idx_splits *splits = &s->splits;
  int at = idx_splits_at(splits), before = splits->n;
  while (n-- > 0 && splits->n == before) {
    if (atomic_load_explicit(op->cancel, memory_order_relaxed)) return SPATE_ECANCELED;
    int64_t row = splits->v[at].next;
    idx_splits_advance(splits, at);
    write_row(op, s, row);
    int rc = op_emit_built(op, INT64_MIN, "datagen source");
    if (rc < 0) return rc;
    rate_limit_took(&s->limit);
  }
  idx_splits_turn(splits, at, before);
  return splits->n ? SRC_MORE : SRC_END;
}

static int datagen_snapshot(op_t *op, int64_t id, snap_writer *w) {
  datagen_src *s = op->impl;
  for (int i = 0; i < s->splits.n; i++) {
    uint8_t e[IDX_SPLIT_BYTES];
    idx_split_put(&s->splits.v[i], e);
    int rc = snap_list_add(w, SPLITS_STATE, SNAP_SPLIT, e, sizeof e);
    if (rc < 0) return op_fail(op, rc, "cannot snapshot the datagen source's splits");
  }
  return 0;
}

static int datagen_restore(op_t *op, const snap_restore *r) {
  datagen_src *s = op->impl;
  const snap_list_view *l = snap_restore_list(r, SPLITS_STATE);
  if (idx_splits_reset(&s->splits, l ? l->count : 0) < 0) return SPATE_ENOMEM;
  for (uint32_t i = 0; l && i < l->count; i++) {
    if (l->len[i] != IDX_SPLIT_BYTES)
      return op_fail(op, SPATE_ECORRUPT, "restored datagen split %u is %u bytes long, expected %d",
                     i, l->len[i], IDX_SPLIT_BYTES);
    sp_reader e;
    sp_reader_init(&e, l->data[i], l->len[i]);
    char err[SP_ERRMSG_MAX];
    int rc = idx_splits_restore_one(&s->splits, i, &e, err, sizeof err);
    if (rc < 0) return op_fail(op, rc, "datagen source: %s", err);
  }
  return 0;
}

const op_vtable op_source_datagen_vt = {.open = datagen_open,
                                        .poll = datagen_poll,
                                        .close = datagen_close,
                                        .snapshot = datagen_snapshot,
                                        .restore = datagen_restore};
