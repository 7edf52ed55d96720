/*
 * row_format.c: the Flink-compatible text form of rows, what print() and writeAsText() output:
 * Java's toString of the value Flink's DataStream would hold for each field (Double.toString,
 * Float.toString, BigDecimal.toString, LocalDate, LocalTime, LocalDateTime, Instant, Period and
 * Duration, Arrays.toString(byte[])) and Flink's Tuple.toString for several fields. One formatter
 * writes either to a growable string or to a fixed caller buffer, so spate_row_format needs no
 * allocation.
 *
 * The external type of each SQL type is Flink's default conversion class: TINYINT Byte,
 * SMALLINT Short, FLOAT Float, DECIMAL BigDecimal (its scale is the type's: 1.50 in a
 * DECIMAL(5, 2) prints "1.50"), DATE LocalDate, TIME LocalTime (milliseconds, as Flink keeps
 * them), TIMESTAMP LocalDateTime, TIMESTAMP_LTZ Instant (so UTC, with a 'Z'), INTERVAL YEAR TO
 * MONTH Period and INTERVAL DAY TO SECOND Duration, CHAR String, BINARY byte[]. Composites
 * print as Flink's Row.toString prints them inside a row (StringUtils.arrayAwareToString): an
 * ARRAY "[1, null, 3]", a MAP or MULTISET "{a=1, b=2}" (entries in stored order, where a Java
 * HashMap would follow its hash order), a ROW "+I[1, a]".
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types/decimal.h"
#include "types/row.h"
#include "types/temporal_text.h"

/* Where formatted text goes: a growable string (sb) or a fixed buffer that truncates while
 * counting the full length. */
typedef struct text_out {
  sp_strbuf *sb;
  char *buf;
  size_t cap;
  size_t len;
  int rc;
} text_out;

static void emit(text_out *o, const char *p, size_t n) {
  if (o->sb) {
    if (!o->rc) o->rc = sp_strbuf_append(o->sb, p, n);
  } else if (o->cap && o->len < o->cap - 1) {
    size_t room = o->cap - 1 - o->len;
    memcpy(o->buf + o->len, p, n < room ? n : room);
  }
  o->len += n;
}

static void emit_str(text_out *o, const char *s) { emit(o, s, strlen(s)); }

/* Java's Double.toString (Float.toString when single): the shortest decimal that reads back as
 * the same double (float) (with at least two digits considered when one would do, as the JDK
 * 19+ specification says), printed plainly for 1e-3 <= |d| < 1e7 and as d.dddE±n otherwise. A
 * float is widened to the double of the same value, so the thresholds hold for both. */
size_t row_java_number(double d, bool single, char out[40]) {
  if (isnan(d)) return (size_t)snprintf(out, 40, "NaN");
  if (isinf(d)) return (size_t)snprintf(out, 40, d > 0 ? "Infinity" : "-Infinity");
  if (d == 0) return (size_t)snprintf(out, 40, signbit(d) ? "-0.0" : "0.0");
  char sci[40];
  int prec;
  int maxp = single ? 8 : 16;
  for (prec = 0; prec < maxp; prec++) {
    snprintf(sci, sizeof sci, "%.*e", prec, d);
    if (single ? strtof(sci, NULL) == (float)d : strtod(sci, NULL) == d) break;
  }
  if (prec == maxp) snprintf(sci, sizeof sci, "%.*e", maxp, d);
  /* When one digit suffices Java picks the closest two-digit decimal (4.9E-324, not 5.0E-324;
   * for floats 1.4E-45). */
  if (prec == 0) snprintf(sci, sizeof sci, "%.1e", d);
  char digits[24];
  int nd = 0;
  const char *p = sci;
  bool neg = *p == '-';
  if (neg) p++;
  for (; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9') digits[nd++] = *p;
  int exp = atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  size_t n = 0;
  if (neg) out[n++] = '-';
  double a = fabs(d);
  if (a >= 1e-3 && a < 1e7) {
    if (exp >= 0) {
      for (int k = 0; k <= exp; k++) out[n++] = k < nd ? digits[k] : '0';
      out[n++] = '.';
      if (nd > exp + 1)
        for (int k = exp + 1; k < nd; k++) out[n++] = digits[k];
      else
        out[n++] = '0';
    } else {
      out[n++] = '0';
      out[n++] = '.';
      for (int k = 0; k < -exp - 1; k++) out[n++] = '0';
      for (int k = 0; k < nd; k++) out[n++] = digits[k];
    }
    out[n] = 0;
    return n;
  }
  out[n++] = digits[0];
  out[n++] = '.';
  if (nd > 1)
    for (int k = 1; k < nd; k++) out[n++] = digits[k];
  else
    out[n++] = '0';
  n += (size_t)snprintf(out + n, 40 - n, "E%d", exp);
  return n;
}

static void format_value(text_out *o, const spate_row *r, int i, const schema_field *f);

/* Elements k of an array: "a, b, c". */
static void format_elements(text_out *o, const spate_array *a, const schema_field *elem) {
  for (uint32_t k = 0; k < a->elems.nfields; k++) {
    if (k) emit(o, ", ", 2);
    format_value(o, &a->elems, (int)k, elem);
  }
}

static void format_value(text_out *o, const spate_row *r, int i, const schema_field *f) {
  char tmp[TT_TEXT_MAX > DEC_TEXT_MAX ? TT_TEXT_MAX : DEC_TEXT_MAX];
  size_t n;
  if (spate_row_is_null(r, i)) {
    emit(o, "null", 4);
    return;
  }
  switch (f->type) {
  case SPATE_ARRAY: { /* Flink's arrayAwareToString of an array: "[1, 2]" */
    spate_array a = spate_row_array(r, i);
    emit(o, "[", 1);
    format_elements(o, &a, &f->sub->fields[0]);
    emit(o, "]", 1);
    return;
  }
  case SPATE_MAP:
  case SPATE_MULTISET: { /* Map.toString: "{k=v, k2=v2}" (in stored order) */
    spate_map_data m = spate_row_map(r, i);
    emit(o, "{", 1);
    for (uint32_t k = 0; k < m.keys.elems.nfields; k++) {
      if (k) emit(o, ", ", 2);
      format_value(o, &m.keys.elems, (int)k, &f->sub->fields[0]);
      emit(o, "=", 1);
      format_value(o, &m.values.elems, (int)k, &f->sub->fields[1]);
    }
    emit(o, "}", 1);
    return;
  }
  case SPATE_ROW: { /* Flink's Row.toString: the kind, then the fields: "+I[1, a]" */
    spate_row x = spate_row_row(r, i, f->sub->nfields);
    emit(o, "+I[", 3);
    for (int k = 0; k < f->sub->nfields; k++) {
      if (k) emit(o, ", ", 2);
      format_value(o, &x, k, &f->sub->fields[k]);
    }
    emit(o, "]", 1);
    return;
  }
  case SPATE_BOOLEAN: emit_str(o, spate_row_bool(r, i) ? "true" : "false"); return;
  case SPATE_TINYINT:
  case SPATE_SMALLINT:
  case SPATE_INT:
    n = (size_t)snprintf(tmp, sizeof tmp, "%" PRId32, spate_row_int(r, i));
    emit(o, tmp, n);
    return;
  case SPATE_BIGINT:
    n = (size_t)snprintf(tmp, sizeof tmp, "%" PRId64, spate_row_bigint(r, i));
    emit(o, tmp, n);
    return;
  case SPATE_DOUBLE:
    n = row_java_number(spate_row_double(r, i), false, tmp);
    emit(o, tmp, n);
    return;
  case SPATE_FLOAT:
    n = row_java_number(spate_row_float(r, i), true, tmp);
    emit(o, tmp, n);
    return;
  case SPATE_DECIMAL:
    n = spate_decimal_format(spate_row_decimal(r, i, f->precision), f->scale, tmp, sizeof tmp);
    emit(o, tmp, n);
    return;
  case SPATE_DATE:
    n = tt_local_date(spate_row_date(r, i), tmp);
    emit(o, tmp, n);
    return;
  case SPATE_TIME:
    n = tt_local_time((int64_t)spate_row_time(r, i) * 1000000, tmp);
    emit(o, tmp, n);
    return;
  case SPATE_TIMESTAMP:
  case SPATE_TIMESTAMP_LTZ: {
    spate_timestamp t = spate_row_timestamp_p(r, i, f->precision);
    n = f->type == SPATE_TIMESTAMP ? tt_local_date_time(t.ms, t.nanos, tmp)
                                   : tt_instant(t.ms, t.nanos, tmp);
    emit(o, tmp, n);
    return;
  }
  case SPATE_INTERVAL_YM:
    n = tt_period(spate_row_interval_months(r, i), f->unit, tmp);
    emit(o, tmp, n);
    return;
  case SPATE_INTERVAL_DT:
    n = tt_duration(spate_row_interval_ms(r, i), tmp);
    emit(o, tmp, n);
    return;
  case SPATE_STRING:
  case SPATE_CHAR: {
    spate_bytes v = spate_row_string(r, i);
    emit(o, v.ptr, v.len);
    return;
  }
  case SPATE_BYTES:
  case SPATE_BINARY: {
    spate_bytes v = spate_row_string(r, i);
    emit(o, "[", 1);
    for (uint32_t k = 0; k < v.len; k++) {
      n = (size_t)snprintf(tmp, sizeof tmp, k ? ", %d" : "%d", (int)(int8_t)v.ptr[k]);
      emit(o, tmp, n);
    }
    emit(o, "]", 1);
    return;
  }
  }
  emit_str(o, "?");
}

static void format_field(text_out *o, const spate_row *r, int i, const spate_schema *s) {
  format_value(o, r, i, &s->fields[i]);
}

static void format_row(text_out *o, const spate_row *r, const spate_schema *s) {
  if (s->nfields == 1) {
    format_field(o, r, 0, s);
    return;
  }
  /* Flink's Tuple.toString: "(a,b,c)" with no spaces. */
  emit(o, "(", 1);
  for (int i = 0; i < s->nfields; i++) {
    if (i) emit(o, ",", 1);
    format_field(o, r, i, s);
  }
  emit(o, ")", 1);
}

int row_format_field(sp_strbuf *sb, const spate_row *r, int i, const spate_schema *s) {
  text_out o = {.sb = sb};
  format_field(&o, r, i, s);
  return o.rc;
}

int row_format(sp_strbuf *sb, const spate_row *r, const spate_schema *s) {
  text_out o = {.sb = sb};
  format_row(&o, r, s);
  return o.rc;
}

size_t spate_row_format(const spate_row *row, const spate_schema *schema, char *out, size_t cap) {
  text_out o = {.buf = out, .cap = out ? cap : 0};
  format_row(&o, row, schema);
  if (o.cap) out[o.len < o.cap - 1 ? o.len : o.cap - 1] = 0;
  return o.len;
}
