/*
 * format.c: the formats' options (Flink's `csv.*` and `json.*` keys, checked and stored), the
 * dispatch to the codecs, and the value parsers and printers both codecs share (numbers,
 * booleans, timestamps in the SQL and ISO-8601 standards).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/utf8.h"
#include "connectors/format.h"
#include "types/calendar.h"
#include "types/decimal.h"
#include "types/row.h"
#include "types/schema.h"

void fmt_options_init(fmt_options *o, fmt_kind kind) {
  memset(o, 0, sizeof *o);
  o->kind = kind;
  o->field_delimiter = ',';
  o->quote = '"';
  o->ts_standard = FMT_TS_SQL;
}

fmt_kind fmt_kind_from_name(const char *name) {
  if (name && strcmp(name, "csv") == 0) return FMT_CSV;
  if (name && strcmp(name, "json") == 0) return FMT_JSON;
  return 0;
}

const char *fmt_kind_name(fmt_kind kind) { return kind == FMT_JSON ? "json" : "csv"; }

static int bad_value(char *err, size_t err_len, const char *key, const char *value,
                     const char *why) {
  snprintf(err, err_len, "option '%s': '%s' %s", key, value, why);
  return SPATE_EINVAL;
}

static int set_bool(bool *dst, const char *key, const char *value, char *err, size_t err_len) {
  if (strcasecmp(value, "true") == 0)
    *dst = true;
  else if (strcasecmp(value, "false") == 0)
    *dst = false;
  else
    return bad_value(err, err_len, key, value, "is not a boolean (true or false)");
  return 0;
}

/* One character, or a backslash escape as Flink's docs allow for the delimiter ("\t"). */
static int set_char(char *dst, const char *key, const char *value, char *err, size_t err_len) {
  char c = 0;
  if (value[0] && !value[1])
    c = value[0];
  else if (value[0] == '\\' && value[1] && !value[2])
    c = value[1] == 't' ? '\t' : value[1] == '\\' ? '\\' : 0;
  if (!c || c == '\n' || c == '\r' || (unsigned char)c >= 0x80)
    return bad_value(err, err_len, key, value,
                     "is not a single character (one ASCII character or \\t; not a line break)");
  *dst = c;
  return 0;
}

int fmt_options_set(fmt_options *o, const char *key, const char *value, char *err, size_t err_len) {
  if (!key || !value) {
    snprintf(err, err_len, "option key and value must not be NULL");
    return SPATE_EINVAL;
  }
  bool csv = o->kind == FMT_CSV, json = o->kind == FMT_JSON;
  if (csv && strcmp(key, "csv.field-delimiter") == 0)
    return set_char(&o->field_delimiter, key, value, err, err_len);
  if (csv && strcmp(key, "csv.quote-character") == 0) {
    int rc = set_char(&o->quote, key, value, err, err_len);
    if (rc == 0) o->quote_set = true;
    return rc;
  }
  if (csv && strcmp(key, "csv.disable-quote-character") == 0)
    return set_bool(&o->quote_disabled, key, value, err, err_len);
  if (csv && strcmp(key, "csv.allow-comments") == 0)
    return set_bool(&o->allow_comments, key, value, err, err_len);
  if ((csv && strcmp(key, "csv.ignore-parse-errors") == 0) ||
      (json && strcmp(key, "json.ignore-parse-errors") == 0))
    return set_bool(&o->ignore_parse_errors, key, value, err, err_len);
  if (csv && strcmp(key, "csv.escape-character") == 0)
    return set_char(&o->escape, key, value, err, err_len);
  if (csv && strcmp(key, "csv.null-literal") == 0) {
    size_t n = strlen(value);
    if (n >= sizeof o->null_literal)
      return bad_value(err, err_len, key, value, "is longer than 63 bytes");
    if (memchr(value, '\n', n) || memchr(value, '\r', n))
      return bad_value(err, err_len, key, value, "contains a line break");
    memcpy(o->null_literal, value, n + 1);
    o->null_literal_set = true;
    return 0;
  }
  if (json && strcmp(key, "json.fail-on-missing-field") == 0)
    return set_bool(&o->fail_on_missing_field, key, value, err, err_len);
  if (json && strcmp(key, "json.timestamp-format.standard") == 0) {
    if (strcmp(value, "SQL") == 0)
      o->ts_standard = FMT_TS_SQL;
    else if (strcmp(value, "ISO-8601") == 0)
      o->ts_standard = FMT_TS_ISO_8601;
    else
      return bad_value(err, err_len, key, value, "is not a timestamp standard (SQL or ISO-8601)");
    return 0;
  }
  snprintf(err, err_len, "unknown option '%s' for the %s format", key, fmt_kind_name(o->kind));
  return SPATE_EINVAL;
}

int fmt_options_check(const fmt_options *o, char *err, size_t err_len) {
  if (o->kind == FMT_JSON && o->fail_on_missing_field && o->ignore_parse_errors) {
    snprintf(err, err_len,
             "options 'json.fail-on-missing-field' and 'json.ignore-parse-errors' cannot both be "
             "true");
    return SPATE_EINVAL;
  }
  if (o->kind != FMT_CSV) return 0;
  if (o->quote_disabled && o->quote_set) {
    snprintf(err, err_len,
             "options 'csv.disable-quote-character' and 'csv.quote-character' conflict: the quote "
             "character cannot be set when quotes are disabled");
    return SPATE_EINVAL;
  }
  char q = o->quote_disabled ? 0 : o->quote;
  /* a null literal that could not be written unquoted or that a line would read otherwise */
  const char *nl = o->null_literal, *why = NULL;
  if (strchr(nl, o->field_delimiter))
    why = "contains the field delimiter";
  else if (q && strchr(nl, q))
    why = "contains the quote character";
  else if (strpbrk(nl, "\r\n"))
    why = "contains a line break";
  else if (o->allow_comments && nl[0] == '#')
    why = "starts with '#', which begins a comment line with csv.allow-comments";
  if (why) {
    snprintf(err, err_len, "option 'csv.null-literal': '%s' %s", nl, why);
    return SPATE_EINVAL;
  }
  if (o->field_delimiter == q ||
      (o->escape && (o->escape == o->field_delimiter || o->escape == q))) {
    snprintf(err, err_len,
             "options 'csv.field-delimiter', 'csv.quote-character' and 'csv.escape-character' "
             "must be different characters");
    return SPATE_EINVAL;
  }
  return 0;
}

int fmt_options_from_list(fmt_options *o, uint32_t n, const char *const *v, char *err,
                          size_t err_len) {
  if (n == 0) return SPATE_ENOENT;
  fmt_kind k = fmt_kind_from_name(v[0]);
  if (!k || n % 2 != 1) {
    snprintf(err, err_len, "malformed format parameters");
    return SPATE_ECORRUPT;
  }
  fmt_options_init(o, k);
  for (uint32_t i = 1; i + 1 < n; i += 2) {
    int rc = fmt_options_set(o, v[i], v[i + 1], err, err_len);
    if (rc < 0) return rc;
  }
  return fmt_options_check(o, err, err_len);
}

int fmt_decode(const fmt_options *o, const spate_schema *schema, const char *line, size_t len,
               spate_row_builder *b, spate_row *out, fmt_error *e) {
  e->column = 1;
  e->nulled = false;
  e->message[0] = 0;
  if (len == 0) return 0; /* a blank line is no record (Flink produces no row for it) */
  return o->kind == FMT_JSON ? json_decode(o, schema, line, len, b, out, e)
                             : csv_decode(o, schema, line, len, b, out, e);
}

int fmt_encode(const fmt_options *o, const spate_schema *schema, const spate_row *row,
               sp_strbuf *sb, fmt_error *e) {
  e->column = 1;
  e->nulled = false;
  e->message[0] = 0;
  return o->kind == FMT_JSON ? json_encode(o, schema, row, sb, e)
                             : csv_encode(o, schema, row, sb, e);
}

/* ---- values ---------------------------------------------------------------------------------- */
static void trim(const char **s, size_t *n) {
  while (*n && (**s == ' ' || **s == '\t')) (*s)++, (*n)--;
  while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) (*n)--;
}

bool fmt_parse_int64(const char *s, size_t n, int64_t *v) {
  trim(&s, &n);
  char buf[32];
  if (n == 0 || n >= sizeof buf) return false;
  memcpy(buf, s, n);
  buf[n] = 0;
  /* strtoll takes leading spaces and "0x"-less bases only with base 10; reject a '+' alone */
  if (!((buf[0] >= '0' && buf[0] <= '9') || ((buf[0] == '-' || buf[0] == '+') && n > 1)))
    return false;
  char *end;
  errno = 0;
  long long x = strtoll(buf, &end, 10);
  if (errno || *end) return false;
  *v = x;
  return true;
}

bool fmt_parse_double(const char *s, size_t n, double *v) {
  trim(&s, &n);
  char buf[64];
  if (n == 0 || n >= sizeof buf) return false;
  memcpy(buf, s, n);
  buf[n] = 0;
  if (strcmp(buf, "NaN") == 0) return *v = NAN, true;
  if (strcmp(buf, "Infinity") == 0 || strcmp(buf, "+Infinity") == 0) return *v = INFINITY, true;
  if (strcmp(buf, "-Infinity") == 0) return *v = -INFINITY, true;
  /* decimal notation only: strtod's hex floats, "inf" and "nan" spellings are not Java's */
  for (size_t i = 0; i < n; i++)
    if (!strchr("0123456789+-.eE", buf[i])) return false;
  char *end;
  errno = 0;
  double x = strtod(buf, &end);
  if (*end || end == buf || (errno == ERANGE && isinf(x))) return false;
  *v = x;
  return true;
}

bool fmt_parse_bool(const char *s, size_t n, bool *v) {
  trim(&s, &n);
  if (n == 4 && strncasecmp(s, "true", 4) == 0) return *v = true, true;
  if (n == 5 && strncasecmp(s, "false", 5) == 0) return *v = false, true;
  return false;
}

static bool digits(const char *s, int n, int *v) {
  *v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    *v = *v * 10 + (s[i] - '0');
  }
  return true;
}

bool fmt_parse_date(const char *s, size_t n, int32_t *days) {
  trim(&s, &n);
  /* yyyy-[m]m-[d]d: ISO_LOCAL_DATE writes two digits, java.sql.Date.valueOf (Flink's csv) also
   * reads one */
  int y, mo = 0, d = 0;
  if (n < 8 || !digits(s, 4, &y) || s[4] != '-') return false;
  size_t i = 5, k = 0;
  while (i < n && s[i] >= '0' && s[i] <= '9' && k < 2) mo = mo * 10 + (s[i++] - '0'), k++;
  if (k == 0 || i >= n || s[i++] != '-') return false;
  k = 0;
  while (i < n && s[i] >= '0' && s[i] <= '9' && k < 2) d = d * 10 + (s[i++] - '0'), k++;
  if (k == 0 || i != n) return false;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
    return false;
  *days = (int32_t)cal_days_from_civil(y, mo, d);
  return true;
}

/* HH:mm[:ss[.fraction]] at s (n bytes exactly; seconds optional when may_stop) into ms of the
 * day and nanos of the millisecond. */
static bool parse_clock(const char *s, size_t n, bool may_stop, int64_t *ms, int32_t *nanos) {
  int h, mi, sec = 0;
  if (n < 5 || !digits(s, 2, &h) || s[2] != ':' || !digits(s + 3, 2, &mi)) return false;
  if (n == 5 && !may_stop) return false;
  if (n > 5 && (n < 8 || s[5] != ':' || !digits(s + 6, 2, &sec))) return false;
  if (h > 23 || mi > 59 || sec > 59) return false;
  int64_t frac_ns = 0;
  if (n > 8) {
    if (s[8] != '.' || n - 8 < 2 || n - 8 > 10) return false;
    int64_t scale = 100000000;
    for (size_t k = 9; k < n; k++, scale /= 10) {
      if (s[k] < '0' || s[k] > '9') return false;
      frac_ns += (s[k] - '0') * scale;
    }
  }
  *ms = ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac_ns / 1000000;
  *nanos = (int32_t)(frac_ns % 1000000);
  return true;
}

bool fmt_parse_time(const char *s, size_t n, int32_t *ms) {
  trim(&s, &n);
  int64_t v;
  int32_t nanos;
  if (!parse_clock(s, n, true, &v, &nanos)) return false; /* LocalTime.parse: HH:mm[:ss[.f]] */
  *ms = (int32_t)v;
  return true;
}

bool fmt_parse_timestamp_ns(const char *s, size_t n, fmt_ts_standard std, bool ltz, int64_t *ms,
                            int32_t *nanos) {
  trim(&s, &n);
  if (ltz) { /* Flink's *_WITH_LOCAL_TIMEZONE_FORMAT: the local form and a literal 'Z' */
    if (n == 0 || s[n - 1] != 'Z') return false;
    n--;
  }
  /* yyyy-MM-dd?HH:mm:ss = 19 bytes; ISO-8601's local time (Java's ISO_LOCAL_TIME, which Flink's
   * ISO-8601 standard uses) may stop after the minutes: yyyy-MM-ddTHH:mm = 16 bytes */
  char sep = std == FMT_TS_ISO_8601 ? 'T' : ' ';
  int32_t days;
  if (n < 16 || s[10] != sep || !fmt_parse_date(s, 10, &days)) return false;
  int64_t msod;
  if (!parse_clock(s + 11, n - 11, std == FMT_TS_ISO_8601, &msod, nanos)) return false;
  *ms = (int64_t)days * 86400000 + msod;
  return true;
}

bool fmt_parse_timestamp(const char *s, size_t n, fmt_ts_standard std, int64_t *ms) {
  int32_t nanos;
  return fmt_parse_timestamp_ns(s, n, std, false, ms, &nanos);
}

int fmt_append_date(sp_strbuf *sb, int32_t days) {
  int64_t y;
  int m, d;
  cal_civil_from_days(days, &y, &m, &d);
  char buf[32];
  int len = snprintf(buf, sizeof buf, "%04lld-%02d-%02d", (long long)y, m, d);
  return sp_strbuf_append(sb, buf, (size_t)len);
}

/* ".fraction" of nanos of the second, trailing zeros dropped, or nothing for 0. */
static int append_fraction(char *buf, size_t cap, int64_t ns) {
  if (!ns) return 0;
  int len = snprintf(buf, cap, ".%09lld", (long long)ns);
  while (buf[len - 1] == '0') len--;
  return len;
}

int fmt_append_time(sp_strbuf *sb, int32_t ms, bool fraction) {
  char buf[32];
  int secs = ms / 1000;
  int len = snprintf(buf, sizeof buf, "%02d:%02d:%02d", secs / 3600, secs / 60 % 60, secs % 60);
  if (fraction)
    len += append_fraction(buf + len, sizeof buf - (size_t)len, (ms % 1000) * 1000000LL);
  return sp_strbuf_append(sb, buf, (size_t)len);
}

int fmt_append_timestamp_ns(sp_strbuf *sb, int64_t ms, int32_t nanos, fmt_ts_standard std,
                            bool ltz) {
  int64_t in_day, days = cal_day_of(ms, &in_day);
  int64_t y;
  int m, d;
  cal_civil_from_days(days, &y, &m, &d);
  int64_t secs = in_day / 1000;
  char buf[64];
  int len = snprintf(buf, sizeof buf, "%04lld-%02d-%02d%c%02d:%02d:%02d", (long long)y, m, d,
                     std == FMT_TS_ISO_8601 ? 'T' : ' ', (int)(secs / 3600), (int)(secs / 60 % 60),
                     (int)(secs % 60));
  len += append_fraction(buf + len, sizeof buf - (size_t)len, in_day % 1000 * 1000000 + nanos);
  if (ltz) buf[len++] = 'Z';
  return sp_strbuf_append(sb, buf, (size_t)len);
}

int fmt_append_timestamp(sp_strbuf *sb, int64_t ms, fmt_ts_standard std) {
  return fmt_append_timestamp_ns(sb, ms, 0, std, false);
}

int fmt_append_double(sp_strbuf *sb, double v) {
  if (isnan(v)) return sp_strbuf_add(sb, "NaN");
  if (isinf(v)) return sp_strbuf_add(sb, v > 0 ? "Infinity" : "-Infinity");
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) { /* the shortest of these that reads back */
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  /* a whole number still reads as a DOUBLE elsewhere: "2" becomes "2.0" as Java prints it */
  if (!strpbrk(buf, ".eEn")) strcat(buf, ".0");
  return sp_strbuf_add(sb, buf);
}

int fmt_append_float(sp_strbuf *sb, float v) {
  if (isnan(v)) return sp_strbuf_add(sb, "NaN");
  if (isinf(v)) return sp_strbuf_add(sb, v > 0 ? "Infinity" : "-Infinity");
  char buf[40];
  for (int prec = 6; prec <= 9; prec++) { /* the shortest of these that reads back as the float */
    snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
    if (strtof(buf, NULL) == v) break;
  }
  if (!strpbrk(buf, ".eEn")) strcat(buf, ".0");
  return sp_strbuf_add(sb, buf);
}

int fmt_append_decimal(sp_strbuf *sb, const spate_row *row, int i, const spate_schema *schema) {
  const schema_field *f = &schema->fields[i];
  char buf[DEC_TEXT_MAX];
  size_t n =
      spate_decimal_format(spate_row_decimal(row, i, f->precision), f->scale, buf, sizeof buf);
  return sp_strbuf_append(sb, buf, n);
}

bool fmt_set_from_text(spate_row_builder *b, const spate_schema *schema, int i, const char *s,
                       size_t n, fmt_ts_standard std, fmt_error *e) {
  const schema_field *f = &schema->fields[i];
  spate_type t = f->type;
  int64_t iv;
  int32_t i32, nanos;
  double dv;
  bool bv;
  spate_int128 dec;
  switch (t) {
  case SPATE_BOOLEAN:
    if (!fmt_parse_bool(s, n, &bv)) break;
    spate_rb_set_bool(b, i, bv);
    return true;
  case SPATE_TINYINT:
    if (!fmt_parse_int64(s, n, &iv) || iv < INT8_MIN || iv > INT8_MAX) break;
    spate_rb_set_tinyint(b, i, (int8_t)iv);
    return true;
  case SPATE_SMALLINT:
    if (!fmt_parse_int64(s, n, &iv) || iv < INT16_MIN || iv > INT16_MAX) break;
    spate_rb_set_smallint(b, i, (int16_t)iv);
    return true;
  case SPATE_INT:
    if (!fmt_parse_int64(s, n, &iv) || iv < INT32_MIN || iv > INT32_MAX) break;
    spate_rb_set_int(b, i, (int32_t)iv);
    return true;
  case SPATE_INTERVAL_YM: /* months, read as an INT as Flink does */
    if (!fmt_parse_int64(s, n, &iv) || iv < INT32_MIN || iv > INT32_MAX) break;
    spate_rb_set_interval_months(b, i, (int32_t)iv);
    return true;
  case SPATE_BIGINT:
    if (!fmt_parse_int64(s, n, &iv)) break;
    spate_rb_set_bigint(b, i, iv);
    return true;
  case SPATE_INTERVAL_DT: /* milliseconds, read as a BIGINT as Flink does */
    if (!fmt_parse_int64(s, n, &iv)) break;
    spate_rb_set_interval_ms(b, i, iv);
    return true;
  case SPATE_DOUBLE:
    if (!fmt_parse_double(s, n, &dv)) break;
    spate_rb_set_double(b, i, dv);
    return true;
  case SPATE_FLOAT: /* Float.parseFloat: a double's text rounded to the nearest float */
    if (!fmt_parse_double(s, n, &dv)) break;
    spate_rb_set_float(b, i, (float)dv);
    return true;
  case SPATE_DECIMAL:
    if (spate_decimal_parse(s, n, f->precision, f->scale, &dec) != 0) break;
    spate_rb_set_decimal(b, i, dec);
    return true;
  case SPATE_DATE:
    if (!fmt_parse_date(s, n, &i32)) break;
    spate_rb_set_date(b, i, i32);
    return true;
  case SPATE_TIME:
    if (!fmt_parse_time(s, n, &i32)) break;
    spate_rb_set_time(b, i, i32);
    return true;
  case SPATE_TIMESTAMP:
  case SPATE_TIMESTAMP_LTZ:
    if (!fmt_parse_timestamp_ns(s, n, std, t == SPATE_TIMESTAMP_LTZ, &iv, &nanos)) break;
    spate_rb_set_timestamp_nanos(b, i, iv, nanos);
    return true;
  case SPATE_STRING:
  case SPATE_CHAR:
    if (sp_utf8_invalid_at(s, n) >= 0) {
      snprintf(e->message, sizeof e->message, "field '%s': not valid UTF-8", f->name);
      return false;
    }
    spate_rb_set_string(b, i, s, n);
    return true;
  case SPATE_ARRAY:
  case SPATE_MAP:
  case SPATE_MULTISET:
  case SPATE_ROW:
    snprintf(e->message, sizeof e->message,
             "field '%s': %s values are not read from text (the csv format reads no composite "
             "types; the json format reads them as JSON arrays and objects)",
             f->name, schema_type_name(t));
    return false;
  case SPATE_BYTES:
  case SPATE_BINARY: { /* Base64, as Flink reads BINARY/VARBINARY in csv and json */
    char small[192];
    size_t cap = n / 4 * 3, got = 0;
    char *buf = cap <= sizeof small ? small : sp_malloc(cap);
    if (!buf) {
      snprintf(e->message, sizeof e->message, "field '%s': out of memory", f->name);
      return false;
    }
    bool ok = sp_base64_decode(s, n, buf, &got);
    if (ok) spate_rb_set_bytes(b, i, buf, got);
    if (buf != small) sp_free(buf);
    if (ok) return true;
    int shown = n > 40 ? 40 : (int)n;
    snprintf(e->message, sizeof e->message, "field '%s': '%.*s%s' is not Base64 (BYTES)", f->name,
             shown, s, n > 40 ? "..." : "");
    return false;
  }
  }
  int shown = n > 40 ? 40 : (int)n;
  char type[TYPE_NAME_MAX];
  type_to_string(f, type);
  snprintf(e->message, sizeof e->message, "field '%s': '%.*s%s' is not %s %s", f->name, shown, s,
           n > 40 ? "..." : "", fmt_article(type), type);
  const char *form = NULL;
  if (t == SPATE_TIMESTAMP)
    form = std == FMT_TS_ISO_8601 ? "yyyy-MM-ddTHH:mm:ss[.fraction]"
                                  : "yyyy-MM-dd HH:mm:ss[.fraction]";
  else if (t == SPATE_TIMESTAMP_LTZ)
    form = std == FMT_TS_ISO_8601 ? "yyyy-MM-ddTHH:mm:ss[.fraction]Z"
                                  : "yyyy-MM-dd HH:mm:ss[.fraction]Z";
  else if (t == SPATE_DATE)
    form = "yyyy-MM-dd";
  else if (t == SPATE_TIME)
    form = "HH:mm:ss[.fraction]";
  else if (t == SPATE_DECIMAL)
    form = "a number of at most its precision's digits";
  if (form)
    snprintf(e->message + strlen(e->message), sizeof e->message - strlen(e->message), " (%s)",
             form);
  return false;
}

const char *fmt_article(const char *type) { return strchr("AEIOU", type[0]) ? "an" : "a"; }
