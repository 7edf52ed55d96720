/*
 * csv_format.c: Flink's `csv` format for one line: RFC 4180 fields (a field in quote characters
 * may hold delimiters and doubled quotes), with Flink's options (format.h).
 *
 * Reading: fields split at the delimiter; a field starting with the quote character runs to the
 * closing quote ("" inside is one quote) and must end there; the escape character (if set) makes
 * the next character literal, inside quotes or not. An unquoted field equal to the null literal
 * is NULL; without csv.null-literal (the literal is then empty) an unquoted empty field is NULL
 * for every type but STRING, where it is the empty string, as in Flink; a quoted "" is the empty
 * string (or BYTES). Values are read as the schema's types (numbers and booleans may have spaces
 * around them; TIMESTAMP in the SQL standard, "yyyy-MM-dd HH:mm:ss[.fraction]"). A line with
 * fewer or more fields than the schema is an error. With csv.allow-comments, a line starting with
 * '#' is no record. With csv.ignore-parse-errors a value that does not convert is NULL (format.h).
 * With a projection (fmt_options.slot: the planner's projection push-down) the line keeps every
 * field of the table, and the fields not projected are split off but never converted.
 *
 * Writing: fields joined by the delimiter; NULL as the null literal (empty by default, which a
 * STRING reads back as "", as in Flink: set csv.null-literal to keep NULL strings apart). A value
 * that needs it (holds the delimiter, the quote or escape character, spaces at its ends, equals
 * the null literal, as the empty string does by default, or starts a comment) is quoted with
 * inner quotes doubled; with quotes disabled those characters are escaped when an escape
 * character is set (of a null literal its first character), and else the write fails naming the
 * field. Also refused (SPATE_EINVAL naming the field), as the reader could not read them back: a
 * STRING holding a line break (a record is one line) and a TIMESTAMP outside the years
 * 0000..9999. BYTES are written as Base64 (RFC 4648, as Flink writes BINARY/VARBINARY) and read
 * so.
 *
 * Flink's SQL types as Flink's csv format has them (CsvToRowDataConverters and its writer):
 * TINYINT, SMALLINT and the intervals as integers (months, milliseconds), FLOAT as
 * Float.toString, DECIMAL as BigDecimal text (read with an exponent too, rounded half up to the
 * scale; more digits than the precision is an error here where Flink gives NULL), DATE as
 * yyyy-MM-dd (java.sql.Date.valueOf also reads one-digit month and day), TIME as
 * HH:mm:ss[.fraction] (LocalTime.parse, so "12:34" reads too; cut to the type's precision),
 * TIMESTAMP(p) as yyyy-MM-dd HH:mm:ss[.fraction] with up to nine digits, TIMESTAMP_LTZ(p) the same
 * in UTC with a trailing 'Z', CHAR as STRING and BINARY as BYTES. ARRAY, MAP, MULTISET and ROW
 * are not supported yet (Flink's csv has ARRAY and ROW with csv.array-element-delimiter): a value
 * of them is an error naming the field, reading and writing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "connectors/format.h"
#include "types/schema.h"

static bool is_text(spate_type t) { return t == SPATE_STRING || t == SPATE_CHAR; }
static bool is_binary(spate_type t) { return t == SPATE_BYTES || t == SPATE_BINARY; }

__attribute__((format(printf, 3, 4))) static int fail_at(fmt_error *e, size_t at, const char *fmt,
                                                         ...) {
  e->column = fmt_column(at);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
  return SPATE_EINVAL;
}

/* The name of line field f in messages: its schema field's, or its number when not projected. */
static const char *field_name(const fmt_options *o, const spate_schema *schema, int f, int nf,
                              char *buf, size_t cap) {
  if (f >= nf) return "?";
  int s = o->line_fields ? o->slot[f] : f;
  if (s >= 0) return schema->fields[s].name;
  snprintf(buf, cap, "#%d", f + 1);
  return buf;
}

int csv_decode(const fmt_options *o, const spate_schema *schema, const char *line, size_t len,
               spate_row_builder *b, spate_row *out, fmt_error *e) {
  if (o->allow_comments && len > 0 && line[0] == '#') return 0;
  char delim = o->field_delimiter, quote = o->quote_disabled ? 0 : o->quote, esc = o->escape;
  int nf = o->line_fields ? o->line_fields : schema->nfields;
  char nbuf[16];
  /* unescaped values, when a field needs one: on the stack for most lines, so that a line with
   * doubled quotes or escapes costs no allocation */
  char small[256], *tmp = NULL;
  int rc = 0;
  spate_rb_begin(b);
  size_t i = 0;
  int f = 0;
  for (;; f++) {
    size_t start = i;
    const char *val = line + i;
    size_t n = 0;
    bool quoted = false, copied = false;
    if (quote && i < len && line[i] == quote) {
      quoted = true;
      i++;
      for (;;) {
        if (i >= len) {
          rc = fail_at(e, start, "field '%s': the quoted value has no closing quote",
                       field_name(o, schema, f, nf, nbuf, sizeof nbuf));
          goto out;
        }
        char c = line[i];
        if ((esc && c == esc && i + 1 < len) ||
            (c == quote && i + 1 < len && line[i + 1] == quote)) {
          if (!copied) {
            if (!tmp && !(tmp = len < sizeof small ? small : sp_malloc(len + 1))) {
              rc = SPATE_ENOMEM;
              goto out;
            }
            memcpy(tmp, line + start + 1, i - start - 1);
            n = i - start - 1;
            val = tmp;
            copied = true;
          }
          tmp[n++] = line[i + 1];
          i += 2;
          continue;
        }
        if (c == quote) {
          i++;
          break;
        }
        if (copied) tmp[n++] = c;
        i++;
      }
      if (!copied) {
        val = line + start + 1;
        n = i - start - 2;
      }
      if (i < len && line[i] != delim) {
        rc = fail_at(e, i, "field '%s': a character follows the closing quote",
                     field_name(o, schema, f, nf, nbuf, sizeof nbuf));
        goto out;
      }
    } else {
      while (i < len && line[i] != delim) {
        if (esc && line[i] == esc && i + 1 < len) {
          if (!copied) {
            if (!tmp && !(tmp = len < sizeof small ? small : sp_malloc(len + 1))) {
              rc = SPATE_ENOMEM;
              goto out;
            }
            memcpy(tmp, line + start, i - start);
            n = i - start;
            val = tmp;
            copied = true;
          }
          tmp[n++] = line[i + 1];
          i += 2;
          continue;
        }
        if (copied) tmp[n++] = line[i];
        i++;
      }
      if (!copied) n = i - start;
    }
    if (f >= nf) {
      e->column = fmt_column(start);
      snprintf(e->message, sizeof e->message, "the line has more than the schema's %d fields", nf);
      rc = SPATE_EINVAL;
      goto out;
    }
    int fo = o->line_fields ? o->slot[f] : f; /* the schema's field, -1: not read */
    if (fo < 0) {
      if (i >= len) break;
      i++;
      continue;
    }
    /* Flink: without a null literal an empty STRING field is "", not NULL */
    bool is_null = !quoted && !copied && n == strlen(o->null_literal) &&
                   memcmp(val, o->null_literal, n) == 0 &&
                   (o->null_literal_set || !is_text(schema->fields[fo].type));
    if (!is_null && n == 0 && !quoted && !is_text(schema->fields[fo].type) &&
        !is_binary(schema->fields[fo].type))
      is_null = true; /* nothing else an empty number, boolean or timestamp could be */
    if (is_null) {
      if (!schema->fields[fo].nullable) {
        rc = fail_at(e, start, "field '%s' is NULL but declared NOT NULL", schema->fields[fo].name);
        goto out;
      }
      spate_rb_set_null(b, fo);
    } else if (!fmt_set_from_text(b, schema, fo, val, n, FMT_TS_SQL, e)) {
      e->column = fmt_column(start + (quoted ? 1 : 0));
      if (o->ignore_parse_errors && schema->fields[fo].nullable) {
        spate_rb_set_null(b, fo); /* Flink: "fields are set to null in case of errors" */
        e->nulled = true;
      } else {
        rc = SPATE_EINVAL;
        goto out;
      }
    }
    if (i >= len) break;
    i++; /* the delimiter */
  }
  if (f + 1 < nf) {
    e->column = fmt_column(len);
    snprintf(e->message, sizeof e->message, "the line has %d fields, the schema %d (missing: '%s')",
             f + 1, nf, field_name(o, schema, f + 1, nf, nbuf, sizeof nbuf));
    rc = SPATE_EINVAL;
    goto out;
  }
  rc = spate_rb_finish(b, out);
  if (rc < 0) {
    snprintf(e->message, sizeof e->message, "%s", spate_rb_error(b));
    e->column = 1;
    rc = rc == SPATE_ENOMEM ? rc : SPATE_EINVAL;
  } else {
    rc = 1;
  }
out:
  if (tmp != small) sp_free(tmp);
  return rc;
}

/* Whether a value must be quoted (or escaped) to read back as itself. */
static bool needs_quoting(const fmt_options *o, const char *s, size_t n, bool first) {
  if (n == strlen(o->null_literal) && memcmp(s, o->null_literal, n) == 0) return true;
  if (n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t')) return true;
  if (first && o->allow_comments && n && s[0] == '#') return true;
  char q = o->quote_disabled ? 0 : o->quote;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == o->field_delimiter || (q && c == q) || (o->escape && c == o->escape) || c == '\n' ||
        c == '\r')
      return true;
  }
  return false;
}

/* The field being written: its place and type, and where an error goes. */
typedef struct csv_out {
  const fmt_options *o;
  const schema_field *field;
  bool first; /* the line's first field (a '#' there reads as a comment) */
  fmt_error *e;
} csv_out;

static int append_text(const csv_out *w, const char *s, size_t n, sp_strbuf *sb) {
  const fmt_options *o = w->o;
  bool first = w->first;
  if (!needs_quoting(o, s, n, first)) return sp_strbuf_append(sb, s, n);
  int rc = 0;
  if (!o->quote_disabled) {
    char q = o->quote;
    rc = sp_strbuf_append(sb, &q, 1);
    for (size_t i = 0; i < n && rc == 0; i++) {
      if (s[i] == q || (o->escape && s[i] == o->escape))
        rc = sp_strbuf_append(sb, s[i] == q ? &q : &o->escape, 1); /* doubled / escaped */
      if (rc == 0) rc = sp_strbuf_append(sb, &s[i], 1);
    }
    return rc ? rc : sp_strbuf_append(sb, &q, 1);
  }
  /* No quotes: what would split the value, make it read as NULL or make the line a comment is
   * escaped (the first character of a null literal: an escaped field is never NULL), when an
   * escape character is set; else the value cannot be written and the write fails. */
  bool literal = n == strlen(o->null_literal) && memcmp(s, o->null_literal, n) == 0 &&
                 (o->null_literal_set || !is_text(w->field->type));
  bool comment = first && o->allow_comments && n && s[0] == '#';
  bool delim = n && memchr(s, o->field_delimiter, n);
  if (literal && n == 0)
    return fail_at(w->e, 0,
                   "field '%s': an empty value would read as NULL (the null literal) and "
                   "csv.disable-quote-character leaves no way to write it",
                   w->field->name);
  if (!o->escape && (literal || comment || delim)) {
    int shown = n > 40 ? 40 : (int)n;
    return fail_at(w->e, 0,
                   "field '%s': '%.*s%s' %s; with csv.disable-quote-character it needs "
                   "csv.escape-character",
                   w->field->name, shown, s, n > 40 ? "..." : "",
                   delim     ? "holds the field delimiter"
                   : literal ? "is the null literal"
                             : "would start a comment line");
  }
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (o->escape &&
        (s[i] == o->field_delimiter || s[i] == o->escape || (i == 0 && (comment || literal))))
      rc = sp_strbuf_append(sb, &o->escape, 1);
    if (rc == 0) rc = sp_strbuf_append(sb, &s[i], 1);
  }
  return rc;
}

/* The value just appended at sb[from..] read back as itself, or it is quoted (escaped) now:
 * numbers and timestamps rarely need it (a delimiter such as '.' or ':', a null literal "0"). */
static int requote_tail(const csv_out *w, sp_strbuf *sb, size_t from) {
  size_t n = sb->len - from;
  if (!needs_quoting(w->o, sb->data + from, n, w->first)) return 0;
  char small[64]; /* a number or timestamp is shorter; Base64 may be longer */
  char *tmp = n <= sizeof small ? small : sp_malloc(n);
  if (!tmp) return SPATE_ENOMEM;
  memcpy(tmp, sb->data + from, n);
  sb->len = from;
  int rc = append_text(w, tmp, n, sb);
  if (tmp != small) sp_free(tmp);
  return rc;
}

int csv_encode(const fmt_options *o, const spate_schema *schema, const spate_row *row,
               sp_strbuf *sb, fmt_error *e) {
  int rc = 0;
  char num[32];
  for (int i = 0; i < schema->nfields && rc == 0; i++) {
    if (i) rc = sp_strbuf_append(sb, &o->field_delimiter, 1);
    if (rc) break;
    if (spate_row_is_null(row, i)) {
      rc = sp_strbuf_add(sb, o->null_literal);
      continue;
    }
    size_t from = sb->len;
    csv_out w = {o, &schema->fields[i], i == 0, e};
    const schema_field *f = &schema->fields[i];
    switch (f->type) {
    case SPATE_BOOLEAN:
      rc = sp_strbuf_add(sb, spate_row_bool(row, i) ? "true" : "false");
      if (rc == 0) rc = requote_tail(&w, sb, from);
      break;
    case SPATE_TINYINT:
    case SPATE_SMALLINT:
    case SPATE_INT:
    case SPATE_INTERVAL_YM:
    case SPATE_INTERVAL_DT:
    case SPATE_BIGINT:
      snprintf(num, sizeof num, "%lld", (long long)spate_row_bigint(row, i));
      rc = append_text(&w, num, strlen(num), sb); /* "-1" may be the null literal */
      break;
    case SPATE_DOUBLE:
      rc = fmt_append_double(sb, spate_row_double(row, i));
      if (rc == 0) rc = requote_tail(&w, sb, from);
      break;
    case SPATE_FLOAT:
      rc = fmt_append_float(sb, spate_row_float(row, i));
      if (rc == 0) rc = requote_tail(&w, sb, from);
      break;
    case SPATE_DECIMAL:
      rc = fmt_append_decimal(sb, row, i, schema);
      if (rc == 0) rc = requote_tail(&w, sb, from);
      break;
    case SPATE_DATE:
      rc = fmt_append_date(sb, spate_row_date(row, i));
      if (rc == 0) rc = requote_tail(&w, sb, from);
      break;
    case SPATE_TIME:
      rc = fmt_append_time(sb, spate_row_time(row, i), true);
      if (rc == 0) rc = requote_tail(&w, sb, from);
      break;
    case SPATE_TIMESTAMP:
    case SPATE_TIMESTAMP_LTZ: {
      spate_timestamp t = spate_row_timestamp_p(row, i, f->precision);
      if (t.ms < FMT_TS_MIN || t.ms > FMT_TS_MAX) {
        rc = fail_at(e, 0,
                     "field '%s': %s %lld (epoch milliseconds) is outside the years "
                     "0000..9999 that CSV can write",
                     f->name, schema_type_name(f->type), (long long)t.ms);
        break;
      }
      rc = fmt_append_timestamp_ns(sb, t.ms, t.nanos, FMT_TS_SQL, f->type == SPATE_TIMESTAMP_LTZ);
      if (rc == 0) rc = requote_tail(&w, sb, from);
      break;
    }
    case SPATE_CHAR:
    case SPATE_STRING: {
      spate_bytes v = spate_row_string(row, i);
      if ((v.len && memchr(v.ptr, '\n', v.len)) || (v.len && memchr(v.ptr, '\r', v.len))) {
        rc = fail_at(e, 0,
                     "field '%s': a STRING with a line break cannot be written as CSV (a "
                     "record is one line; use the json format)",
                     schema->fields[i].name);
        break;
      }
      rc = append_text(&w, v.ptr ? v.ptr : "", v.len, sb);
      break;
    }
    case SPATE_ARRAY:
    case SPATE_MAP:
    case SPATE_MULTISET:
    case SPATE_ROW:
      rc = fail_at(e, 0,
                   "field '%s': the csv format does not write %s values (composite types are "
                   "not supported by Spate's csv format yet; the json format writes them)",
                   f->name, schema_type_name(f->type));
      break;
    case SPATE_BINARY:
    case SPATE_BYTES: {
      spate_bytes v = spate_row_string(row, i);
      rc = sp_base64_append(sb, v.ptr ? v.ptr : "", v.len);
      if (rc == 0) rc = requote_tail(&w, sb, from);
      break;
    }
    }
  }
  return rc;
}
