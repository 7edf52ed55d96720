/*
 * json_format.c: Flink's `json` format for one line: one JSON object per line, its members named
 * as the schema's fields (jansson parses; the writer is here, so that doubles print shortest).
 *
 * Reading (Flink's JsonToRowDataConverters): members not in the schema are ignored; a missing
 * member is NULL unless json.fail-on-missing-field; JSON null is NULL; with
 * json.ignore-parse-errors a value of the wrong type is NULL (format.h). BOOLEAN from true/false
 * (or a string "true"/"false"); INT and BIGINT from integers in range (or a string holding one),
 * or from a number with a fraction in range, truncated toward zero as Flink's Jackson does (5.5
 * is 5);
 * DOUBLE from any number (or a string: also "NaN", "Infinity", "-Infinity"); STRING from a string,
 * other values as their compact JSON text; TIMESTAMP from a string in the
 * json.timestamp-format.standard (SQL "yyyy-MM-dd HH:mm:ss[.fraction]", ISO-8601 with 'T'), or,
 * Spate's addition, an integer of milliseconds since the epoch; BYTES from a Base64 string.
 * An error's column is where the bad value starts (found by its member's name in the line; 1 when
 * the name is written with escapes), or where jansson found bad syntax (its byte position, as
 * every column here counts bytes).
 *
 * Flink's SQL types (JsonToRowDataConverters, RowDataToJsonConverters): TINYINT and SMALLINT from
 * integers in range, the intervals as integers (months, milliseconds), FLOAT from any number,
 * DECIMAL from a number (its own text, so no digit is lost; rounded half up to the scale, more
 * digits than the precision an error here where Flink gives NULL) or a string, written as
 * BigDecimal.toString; DATE "yyyy-MM-dd"; TIME read as "HH:mm:ss[.fraction]" keeping whole
 * seconds and written "HH:mm:ss", as Flink's json does; TIMESTAMP(p) with up to nine fraction
 * digits in the chosen standard; TIMESTAMP_LTZ(p) the same in UTC with a trailing 'Z'
 * ("2020-01-02 12:34:56.789Z"); CHAR as STRING and BINARY as BYTES; ARRAY as a JSON array, MAP
 * and MULTISET (element -> count) as an object (string keys only, as Flink's json: another key
 * type is an error naming the field), ROW as an object by field name. An error inside a
 * composite names the outer field ("in field 'a': field '1': ..."), and its column is the outer
 * value's.
 *
 * Writing: {"name":value,...} in schema order, NULL as null, TIMESTAMP in the chosen standard
 * (outside the years 0000..9999, which it cannot write, as epoch milliseconds), non-finite
 * doubles as the strings "NaN", "Infinity", "-Infinity", BYTES as Base64 strings (Flink's
 * BINARY/VARBINARY).
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "connectors/format.h"
#include "types/decimal.h"
#include "types/row.h"
#include "types/schema.h"

/* The 1-based column of the value of member `name` in line, or 1. */
static int value_column(const char *line, size_t len, const char *name) {
  size_t nl = strlen(name);
  for (size_t i = 0; i + nl + 2 <= len; i++) {
    if (line[i] != '"' || memcmp(line + i + 1, name, nl) != 0 || line[i + nl + 1] != '"') continue;
    size_t j = i + nl + 2;
    while (j < len && (line[j] == ' ' || line[j] == '\t')) j++;
    if (j >= len || line[j] != ':') continue;
    j++;
    while (j < len && (line[j] == ' ' || line[j] == '\t')) j++;
    return fmt_column(j);
  }
  return 1;
}

static int type_error(fmt_error *e, const char *line, size_t len, const spate_schema *schema, int i,
                      const json_t *v, fmt_ts_standard std) {
  char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  spate_type t = schema->fields[i].type;
  size_t n = text ? strlen(text) : 0;
  char type[TYPE_NAME_MAX];
  type_to_string(&schema->fields[i], type);
  bool ts = t == SPATE_TIMESTAMP || t == SPATE_TIMESTAMP_LTZ;
  const char *z = t == SPATE_TIMESTAMP_LTZ ? "Z" : "";
  snprintf(e->message, sizeof e->message, "field '%s': %.*s%s is not %s %s%s%s%s",
           schema->fields[i].name, n > 40 ? 40 : (int)n, text ? text : "?", n > 40 ? "..." : "",
           fmt_article(type), type,
           !ts                      ? ""
           : std == FMT_TS_ISO_8601 ? " (yyyy-MM-ddTHH:mm:ss[.fraction]"
                                    : " (yyyy-MM-dd HH:mm:ss[.fraction]",
           ts ? z : "", ts ? " or epoch milliseconds)" : "");
  free(text); /* jansson's allocation */
  e->column = value_column(line, len, schema->fields[i].name);
  return SPATE_EINVAL;
}

static int set_field(const fmt_options *o, const spate_schema *schema, int i, const json_t *v,
                     spate_row_builder *b, const char *line, size_t len, fmt_error *e);

/* An error inside composite field i: its message is prefixed with the field, its column is the
 * field's value. Composite values are built with builders made per value, as jansson's tree of
 * the line is: the json format allocates per record anyway. */
static int inner_error(fmt_error *e, const char *line, size_t len, const spate_schema *schema,
                       int i, int rc) {
  if (rc != SPATE_EINVAL) return rc;
  char inner[sizeof e->message];
  memcpy(inner, e->message, sizeof inner);
  int n = snprintf(e->message, sizeof e->message, "in field '%.64s': ", schema->fields[i].name);
  if (n > 0 && (size_t)n < sizeof e->message)
    memcpy(e->message + n, inner, strnlen(inner, sizeof e->message - (size_t)n - 1) + 1);
  e->message[sizeof e->message - 1] = 0;
  e->column = value_column(line, len, schema->fields[i].name);
  return rc;
}

/* Sets elements of an array builder's row from a JSON value per element (NULL for null). */
static int set_elements(const fmt_options *o, spate_row_builder *eb, uint32_t k, const json_t *x,
                        const char *line, size_t len, fmt_error *e) {
  if (json_is_null(x)) { /* a NOT NULL element fails at the array's finish, naming it */
    spate_rb_set_null(eb, (int)k);
    return 0;
  }
  return set_field(o, eb->schema, (int)k, x, eb, line, len, e);
}

static int finish_array(spate_array_builder *ab, spate_array *out, fmt_error *e) {
  int rc = spate_ab_finish(ab, out);
  if (rc == SPATE_EINVAL)
    snprintf(e->message, sizeof e->message, "%s", spate_rb_error(spate_ab_elements(ab)));
  return rc;
}

static int set_array(const fmt_options *o, const spate_schema *schema, int i, const json_t *v,
                     spate_row_builder *b, const char *line, size_t len, fmt_error *e) {
  spate_array_builder *ab = spate_ab_new(schema, i, 0);
  if (!ab) return SPATE_ENOMEM;
  uint32_t n = (uint32_t)json_array_size(v);
  int rc = spate_ab_begin(ab, n);
  spate_row_builder *eb = spate_ab_elements(ab);
  for (uint32_t k = 0; k < n && rc == 0; k++)
    rc = set_elements(o, eb, k, json_array_get(v, k), line, len, e);
  spate_array arr;
  if (rc == 0) rc = finish_array(ab, &arr, e);
  if (rc == 0) spate_rb_set_array(b, i, &arr);
  spate_ab_free(ab);
  return inner_error(e, line, len, schema, i, rc);
}

static int set_map(const fmt_options *o, const spate_schema *schema, int i, const json_t *v,
                   spate_row_builder *b, const char *line, size_t len, fmt_error *e) {
  const schema_field *f = &schema->fields[i];
  spate_type kt = f->sub->fields[0].type;
  if (kt != SPATE_STRING && kt != SPATE_CHAR) {
    snprintf(e->message, sizeof e->message,
             "field '%s': the json format reads maps with string keys only, not %s", f->name,
             schema_type_name(kt));
    e->column = value_column(line, len, f->name);
    return SPATE_EINVAL;
  }
  /* keys, and values (a MULTISET's counts) */
  spate_array_builder *kb = spate_ab_new(schema, i, 0), *vb = spate_ab_new(schema, i, 1);
  int rc = kb && vb ? 0 : SPATE_ENOMEM;
  uint32_t n = (uint32_t)json_object_size(v);
  if (rc == 0) rc = spate_ab_begin(kb, n);
  if (rc == 0) rc = spate_ab_begin(vb, n);
  const char *key;
  json_t *x;
  uint32_t k = 0;
  if (rc == 0) {
    json_object_foreach((json_t *)v, key, x) {
      spate_rb_set_string(spate_ab_elements(kb), (int)k, key, strlen(key));
      rc = set_elements(o, spate_ab_elements(vb), k, x, line, len, e);
      if (rc) break;
      k++;
    }
  }
  spate_array ka, va;
  if (rc == 0) rc = finish_array(kb, &ka, e);
  if (rc == 0) rc = finish_array(vb, &va, e);
  if (rc == 0) spate_rb_set_map(b, i, &ka, &va);
  spate_ab_free(kb);
  spate_ab_free(vb);
  return inner_error(e, line, len, schema, i, rc);
}

static int set_row(const fmt_options *o, const spate_schema *schema, int i, const json_t *v,
                   spate_row_builder *b, const char *line, size_t len, fmt_error *e) {
  const spate_schema *sub = schema->fields[i].sub;
  spate_row_builder *rb = spate_rb_new(sub);
  if (!rb) return SPATE_ENOMEM;
  spate_rb_begin(rb);
  int rc = 0;
  for (int k = 0; k < sub->nfields && rc == 0; k++) {
    json_t *x = json_object_get(v, sub->fields[k].name);
    if (!x && o->fail_on_missing_field) {
      snprintf(e->message, sizeof e->message, "field '%s' is missing", sub->fields[k].name);
      rc = SPATE_EINVAL;
    } else if (!x || json_is_null(x)) {
      spate_rb_set_null(rb, k); /* a NOT NULL field fails at finish, naming it */
    } else {
      rc = set_field(o, sub, k, x, rb, line, len, e);
    }
  }
  spate_row row;
  if (rc == 0 && spate_rb_finish(rb, &row) != 0) {
    snprintf(e->message, sizeof e->message, "%s", spate_rb_error(rb));
    rc = SPATE_EINVAL;
  }
  if (rc == 0) spate_rb_set_row(b, i, &row);
  spate_rb_free(rb);
  return inner_error(e, line, len, schema, i, rc);
}

/* Sets field i from v; SPATE_EINVAL with *e on a value of another type. */
static int set_field(const fmt_options *o, const spate_schema *schema, int i, const json_t *v,
                     spate_row_builder *b, const char *line, size_t len, fmt_error *e) {
  spate_type t = schema->fields[i].type;
  if (t == SPATE_TIME && json_is_string(v)) {
    /* Flink's json reads HH:mm:ss[.fraction] and keeps whole seconds (toSecondOfDay() * 1000) */
    int32_t ms;
    if (!fmt_parse_time(json_string_value(v), json_string_length(v), &ms))
      return type_error(e, line, len, schema, i, v, o->ts_standard);
    spate_rb_set_time(b, i, ms - ms % 1000);
    return 0;
  }
  if (json_is_string(v)) { /* Flink reads numbers, booleans and timestamps from text too */
    if (fmt_set_from_text(b, schema, i, json_string_value(v), json_string_length(v), o->ts_standard,
                          e))
      return 0;
    if (t == SPATE_BYTES || t == SPATE_STRING || t == SPATE_CHAR || t == SPATE_BINARY) {
      /* not Base64, not UTF-8: e says so */
      e->column = value_column(line, len, schema->fields[i].name);
      return SPATE_EINVAL;
    }
    return type_error(e, line, len, schema, i, v, o->ts_standard);
  }
  switch (t) {
  case SPATE_BOOLEAN:
    if (!json_is_boolean(v)) break;
    spate_rb_set_bool(b, i, json_is_true(v));
    return 0;
  case SPATE_TINYINT: /* Byte.parseByte / Short.parseShort of the text: integers only */
  case SPATE_SMALLINT: {
    int64_t lim = t == SPATE_TINYINT ? INT8_MAX : INT16_MAX;
    if (!json_is_integer(v) || json_integer_value(v) < -lim - 1 || json_integer_value(v) > lim)
      break;
    if (t == SPATE_TINYINT)
      spate_rb_set_tinyint(b, i, (int8_t)json_integer_value(v));
    else
      spate_rb_set_smallint(b, i, (int16_t)json_integer_value(v));
    return 0;
  }
  case SPATE_INTERVAL_YM: /* months, as an INT */
    if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
        json_integer_value(v) > INT32_MAX)
      break;
    spate_rb_set_interval_months(b, i, (int32_t)json_integer_value(v));
    return 0;
  case SPATE_INTERVAL_DT: /* milliseconds, as a BIGINT */
    if (!json_is_integer(v)) break;
    spate_rb_set_interval_ms(b, i, json_integer_value(v));
    return 0;
  case SPATE_FLOAT:
    if (!json_is_number(v)) break;
    spate_rb_set_float(b, i, (float)json_number_value(v));
    return 0;
  case SPATE_DECIMAL: {
    /* The number's own text, so that no digit is lost to a double (Flink reads it as a
     * BigDecimal); jansson's value when the text cannot be found (an escaped member name). */
    if (!json_is_number(v)) break;
    char buf[64];
    const char *text = buf;
    size_t n = 0;
    int col = value_column(line, len, schema->fields[i].name);
    if (col > 1 || (len && (line[0] == '-' || (line[0] >= '0' && line[0] <= '9')))) {
      text = line + col - 1;
      while ((size_t)(col - 1) + n < len && strchr("+-0123456789.eE", text[n]) && text[n]) n++;
    }
    if (n == 0) {
      text = buf;
      n = json_is_integer(v)
              ? (size_t)snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v))
              : (size_t)snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
    }
    const schema_field *f = &schema->fields[i];
    spate_int128 dec;
    if (spate_decimal_parse(text, n, f->precision, f->scale, &dec) != 0) break;
    spate_rb_set_decimal(b, i, dec);
    return 0;
  }
  case SPATE_DATE:
  case SPATE_TIME: break; /* strings only */
  case SPATE_INT:
    if (json_is_real(v)) { /* Flink (Jackson's canConvertToInt, asInt): truncated toward zero */
      double x = json_real_value(v);
      if (!(x >= INT32_MIN && x <= INT32_MAX)) break; /* Jackson's bounds: 2147483647.5 is not */
      spate_rb_set_int(b, i, (int32_t)x);
      return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
        json_integer_value(v) > INT32_MAX)
      break;
    spate_rb_set_int(b, i, (int32_t)json_integer_value(v));
    return 0;
  case SPATE_BIGINT:
    if (json_is_real(v)) { /* Flink (canConvertToLong, asLong): truncated toward zero */
      double x = json_real_value(v);
      if (!(x >= -0x1p63 && x < 0x1p63)) break;
      spate_rb_set_bigint(b, i, (int64_t)x);
      return 0;
    }
    if (!json_is_integer(v)) break;
    spate_rb_set_bigint(b, i, json_integer_value(v));
    return 0;
  case SPATE_DOUBLE:
    if (!json_is_number(v)) break;
    spate_rb_set_double(b, i, json_number_value(v));
    return 0;
  case SPATE_TIMESTAMP:
  case SPATE_TIMESTAMP_LTZ:
    if (!json_is_integer(v)) break;
    spate_rb_set_timestamp(b, i, json_integer_value(v));
    return 0;
  case SPATE_CHAR:
  case SPATE_STRING: {
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) return SPATE_ENOMEM;
    spate_rb_set_string(b, i, text, strlen(text));
    free(text);
    return 0;
  }
  case SPATE_ARRAY:
    if (!json_is_array(v)) break;
    return set_array(o, schema, i, v, b, line, len, e);
  case SPATE_MAP:
  case SPATE_MULTISET:
    if (!json_is_object(v)) break;
    return set_map(o, schema, i, v, b, line, len, e);
  case SPATE_ROW:
    if (!json_is_object(v)) break;
    return set_row(o, schema, i, v, b, line, len, e);
  case SPATE_BINARY:
  case SPATE_BYTES: break;
  }
  return type_error(e, line, len, schema, i, v, o->ts_standard);
}

int json_decode(const fmt_options *o, const spate_schema *schema, const char *line, size_t len,
                spate_row_builder *b, spate_row *out, fmt_error *e) {
  json_error_t jerr;
  json_t *root = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
  if (!root) {
    e->column = jerr.position > 0 ? jerr.position : 1; /* bytes; jerr.column counts characters */
    snprintf(e->message, sizeof e->message, "not JSON: %s", jerr.text);
    return SPATE_EINVAL;
  }
  int rc = 0;
  if (!json_is_object(root)) {
    snprintf(e->message, sizeof e->message, "the line is not a JSON object");
    rc = SPATE_EINVAL;
    goto out;
  }
  spate_rb_begin(b);
  for (int i = 0; i < schema->nfields && rc == 0; i++) {
    const schema_field *f = &schema->fields[i];
    json_t *v = json_object_get(root, f->name);
    if (!v && o->fail_on_missing_field) {
      snprintf(e->message, sizeof e->message, "field '%s' is missing", f->name);
      rc = SPATE_EINVAL;
    } else if (!v || json_is_null(v)) {
      if (!f->nullable) {
        snprintf(e->message, sizeof e->message, "field '%s' is %s but declared NOT NULL", f->name,
                 v ? "null" : "missing");
        e->column = v ? value_column(line, len, f->name) : 1;
        rc = SPATE_EINVAL;
      } else {
        spate_rb_set_null(b, i);
      }
    } else {
      rc = set_field(o, schema, i, v, b, line, len, e);
      if (rc == SPATE_EINVAL && o->ignore_parse_errors && f->nullable) {
        spate_rb_set_null(b, i); /* Flink: "fields are set to null in case of errors" */
        e->nulled = true;
        rc = 0;
      }
    }
  }
  if (rc == 0) {
    rc = spate_rb_finish(b, out);
    if (rc < 0) {
      snprintf(e->message, sizeof e->message, "%s", spate_rb_error(b));
      rc = rc == SPATE_ENOMEM ? rc : SPATE_EINVAL;
    } else {
      rc = 1;
    }
  }
out:
  json_decref(root);
  return rc;
}

static int encode_fields(const fmt_options *o, const spate_schema *schema, const spate_row *row,
                         sp_strbuf *sb, fmt_error *e);

/* Appends s as a JSON string. */
static int append_string(sp_strbuf *sb, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  int rc = sp_strbuf_append(sb, "\"", 1);
  size_t run = 0; /* bytes to copy as they are */
  for (size_t i = 0; i < n && rc == 0; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') {
      run++;
      continue;
    }
    rc = sp_strbuf_append(sb, s + i - run, run);
    run = 0;
    char esc[7] = {'\\', 0};
    size_t el = 2;
    switch (c) {
    case '"': esc[1] = '"'; break;
    case '\\': esc[1] = '\\'; break;
    case '\n': esc[1] = 'n'; break;
    case '\r': esc[1] = 'r'; break;
    case '\t': esc[1] = 't'; break;
    default:
      memcpy(esc + 1, "u00", 3);
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15];
      el = 6;
    }
    if (rc == 0) rc = sp_strbuf_append(sb, esc, el);
  }
  if (rc == 0) rc = sp_strbuf_append(sb, s + n - run, run);
  return rc ? rc : sp_strbuf_append(sb, "\"", 1);
}

/* Appends field i of row (of type f) as a JSON value. */
static int encode_value(const fmt_options *o, const spate_row *row, int i, const schema_field *f,
                        sp_strbuf *sb, fmt_error *e) {
  char num[32];
  int rc = 0;
  if (spate_row_is_null(row, i)) return sp_strbuf_add(sb, "null");
  switch (f->type) {
  case SPATE_BOOLEAN: rc = sp_strbuf_add(sb, spate_row_bool(row, i) ? "true" : "false"); break;
  case SPATE_TINYINT:
  case SPATE_SMALLINT:
  case SPATE_INTERVAL_YM:
  case SPATE_INTERVAL_DT:
  case SPATE_INT:
  case SPATE_BIGINT:
    snprintf(num, sizeof num, "%lld", (long long)spate_row_bigint(row, i));
    rc = sp_strbuf_add(sb, num);
    break;
  case SPATE_DOUBLE: {
    double d = spate_row_double(row, i);
    bool finite = isfinite(d);
    if (!finite) rc = sp_strbuf_append(sb, "\"", 1);
    if (rc == 0) rc = fmt_append_double(sb, d);
    if (rc == 0 && !finite) rc = sp_strbuf_append(sb, "\"", 1);
    break;
  }
  case SPATE_FLOAT: {
    float x = spate_row_float(row, i);
    bool finite = isfinite(x);
    if (!finite) rc = sp_strbuf_append(sb, "\"", 1);
    if (rc == 0) rc = fmt_append_float(sb, x);
    if (rc == 0 && !finite) rc = sp_strbuf_append(sb, "\"", 1);
    break;
  }
  case SPATE_DECIMAL: {
    char text[DEC_TEXT_MAX];
    size_t n =
        spate_decimal_format(spate_row_decimal(row, i, f->precision), f->scale, text, sizeof text);
    rc = sp_strbuf_append(sb, text, n);
    break;
  }
  case SPATE_ARRAY: {
    spate_array a = spate_row_array(row, i);
    rc = sp_strbuf_append(sb, "[", 1);
    for (uint32_t k = 0; k < a.elems.nfields && rc == 0; k++) {
      if (k) rc = sp_strbuf_append(sb, ",", 1);
      if (rc == 0) rc = encode_value(o, &a.elems, (int)k, &f->sub->fields[0], sb, e);
    }
    if (rc == 0) rc = sp_strbuf_append(sb, "]", 1);
    break;
  }
  case SPATE_MAP:
  case SPATE_MULTISET: { /* an object: Flink's json takes string keys only */
    const schema_field *kf = &f->sub->fields[0];
    if (kf->type != SPATE_STRING && kf->type != SPATE_CHAR) {
      snprintf(e->message, sizeof e->message,
               "field '%s': the json format writes maps with string keys only, not %s", f->name,
               schema_type_name(kf->type));
      return SPATE_EINVAL;
    }
    spate_map_data m = spate_row_map(row, i);
    rc = sp_strbuf_append(sb, "{", 1);
    for (uint32_t k = 0; k < m.keys.elems.nfields && rc == 0; k++) {
      if (spate_row_is_null(&m.keys.elems, (int)k)) {
        snprintf(e->message, sizeof e->message, "field '%s': a NULL map key has no JSON name",
                 f->name);
        return SPATE_EINVAL;
      }
      spate_bytes key = spate_row_string(&m.keys.elems, (int)k);
      if (k) rc = sp_strbuf_append(sb, ",", 1);
      if (rc == 0) rc = append_string(sb, key.ptr ? key.ptr : "", key.len);
      if (rc == 0) rc = sp_strbuf_append(sb, ":", 1);
      if (rc == 0) rc = encode_value(o, &m.values.elems, (int)k, &f->sub->fields[1], sb, e);
    }
    if (rc == 0) rc = sp_strbuf_append(sb, "}", 1);
    break;
  }
  case SPATE_ROW: {
    spate_row x = spate_row_row(row, i, f->sub->nfields);
    rc = encode_fields(o, f->sub, &x, sb, e);
    break;
  }
  case SPATE_DATE:
    rc = sp_strbuf_append(sb, "\"", 1);
    if (rc == 0) rc = fmt_append_date(sb, spate_row_date(row, i));
    if (rc == 0) rc = sp_strbuf_append(sb, "\"", 1);
    break;
  case SPATE_TIME: /* whole seconds, as Flink's json writes a TIME */
    rc = sp_strbuf_append(sb, "\"", 1);
    if (rc == 0) rc = fmt_append_time(sb, spate_row_time(row, i), false);
    if (rc == 0) rc = sp_strbuf_append(sb, "\"", 1);
    break;
  case SPATE_TIMESTAMP:
  case SPATE_TIMESTAMP_LTZ: {
    spate_timestamp t = spate_row_timestamp_p(row, i, f->precision);
    if (t.ms < FMT_TS_MIN || t.ms > FMT_TS_MAX) {
      snprintf(num, sizeof num, "%lld", (long long)t.ms);
      rc = sp_strbuf_add(sb, num); /* no 4-digit year: epoch milliseconds, which read back */
      break;
    }
    rc = sp_strbuf_append(sb, "\"", 1);
    if (rc == 0)
      rc = fmt_append_timestamp_ns(sb, t.ms, t.nanos, o->ts_standard,
                                   f->type == SPATE_TIMESTAMP_LTZ);
    if (rc == 0) rc = sp_strbuf_append(sb, "\"", 1);
    break;
  }
  case SPATE_CHAR:
  case SPATE_STRING: {
    spate_bytes v = spate_row_string(row, i);
    rc = append_string(sb, v.ptr ? v.ptr : "", v.len);
    break;
  }
  case SPATE_BINARY:
  case SPATE_BYTES: { /* Base64 in a string, as Flink writes BINARY/VARBINARY */
    spate_bytes v = spate_row_string(row, i);
    rc = sp_strbuf_append(sb, "\"", 1);
    if (rc == 0) rc = sp_base64_append(sb, v.ptr ? v.ptr : "", v.len);
    if (rc == 0) rc = sp_strbuf_append(sb, "\"", 1);
    break;
  }
  }
  return rc;
}

/* Appends the fields of row (of schema) as a JSON object. */
static int encode_fields(const fmt_options *o, const spate_schema *schema, const spate_row *row,
                         sp_strbuf *sb, fmt_error *e) {
  int rc = sp_strbuf_append(sb, "{", 1);
  for (int i = 0; i < schema->nfields && rc == 0; i++) {
    const schema_field *f = &schema->fields[i];
    if (i) rc = sp_strbuf_append(sb, ",", 1);
    if (rc == 0) rc = append_string(sb, f->name, strlen(f->name));
    if (rc == 0) rc = sp_strbuf_append(sb, ":", 1);
    if (rc == 0) rc = encode_value(o, row, i, f, sb, e);
  }
  return rc ? rc : sp_strbuf_append(sb, "}", 1);
}

int json_encode(const fmt_options *o, const spate_schema *schema, const spate_row *row,
                sp_strbuf *sb, fmt_error *e) {
  return encode_fields(o, schema, row, sb, e);
}
