/*
 * sql_eval_cast.c: CAST and TRY_CAST between the register kinds of SQL calc programs, with
 * Flink's conversions: numeric narrowing as Java's casts (wrapping integers, saturating floats),
 * DECIMAL rounded HALF_UP and NULL on overflow, strings parsed after trimming whitespace
 * (booleans as Flink's BinaryStringDataUtil: true/t/yes/y/1 and their negatives), values
 * printed as Flink's CAST to STRING (BOOLEAN upper case, DOUBLE as Java's Double.toString,
 * TIMESTAMP with its precision's fraction digits), TIMESTAMP_LTZ through the session time zone.
 * A failed CAST fails the job with a message naming the value and the target type; TRY_CAST
 * gives NULL instead.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "operators/sql_program.h"
#include "types/calendar.h"
#include "types/decimal.h"

static bool is_int(int k) { return k >= SQLP_I8 && k <= SQLP_I64; }
static bool is_float(int k) { return k == SQLP_F32 || k == SQLP_F64; }
static bool is_ts(int k) { return k == SQLP_TS || k == SQLP_TS_LTZ; }

/* Java's (long) d, then narrowed as Java's (int) / (short)(int) / (byte)(int). */
static int64_t double_to_int(int kind, double d) {
  if (isnan(d)) return 0;
  if (kind == SQLP_I64) {
    if (d >= 9223372036854775807.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
  }
  int32_t i = d >= 2147483647.0 ? INT32_MAX : d <= -2147483648.0 ? INT32_MIN : (int32_t)d;
  return sqlp_wrap(kind, i);
}

size_t sqlp_format_ts(int64_t ms, int32_t nanos, int precision, char *buf) {
  int64_t msd, day = cal_day_of(ms, &msd);
  int64_t y;
  int mo, d;
  cal_civil_from_days(day, &y, &mo, &d);
  int n = snprintf(buf, 40, "%04lld-%02d-%02d %02d:%02d:%02d", (long long)y, mo, d,
                   (int)(msd / 3600000), (int)(msd / 60000 % 60), (int)(msd / 1000 % 60));
  if (precision > 0) {
    char frac[16];
    snprintf(frac, sizeof frac, "%03d%06d", (int)(msd % 1000), (int)nanos);
    n += snprintf(buf + n, 40 - (size_t)n, ".%.*s", precision > 9 ? 9 : precision, frac);
  }
  return (size_t)n;
}

static size_t format_time(int64_t ms, int precision, char *buf) {
  int n = snprintf(buf, 40, "%02d:%02d:%02d", (int)(ms / 3600000), (int)(ms / 60000 % 60),
                   (int)(ms / 1000 % 60));
  if (precision > 0) {
    char frac[16];
    snprintf(frac, sizeof frac, "%03d000000", (int)(ms % 1000));
    n += snprintf(buf + n, 40 - (size_t)n, ".%.*s", precision > 9 ? 9 : precision, frac);
  }
  return (size_t)n;
}

/* ---- parsing temporal text ---------------------------------------------------------------- */

static bool digits(const char **s, const char *e, int min, int max, int64_t *out) {
  int n = 0;
  int64_t v = 0;
  while (*s < e && n < max && isdigit((unsigned char)**s)) {
    v = v * 10 + (**s - '0');
    (*s)++;
    n++;
  }
  *out = v;
  return n >= min;
}

/* "yyyy-M-d" into days; *s advanced. */
static bool parse_date(const char **s, const char *e, int64_t *days) {
  int64_t y, m, d;
  if (!digits(s, e, 4, 4, &y) || *s >= e || **s != '-') return false;
  (*s)++;
  if (!digits(s, e, 1, 2, &m) || *s >= e || **s != '-') return false;
  (*s)++;
  if (!digits(s, e, 1, 2, &d)) return false;
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap)) return false;
  *days = cal_days_from_civil(y, (int)m, (int)d);
  return true;
}

/* "H:m[:s[.fffffffff]]" into ms of the day and nanos of the ms. */
static bool parse_time(const char **s, const char *e, int64_t *ms, int32_t *nanos) {
  int64_t h, mi, sec = 0, frac = 0;
  if (!digits(s, e, 1, 2, &h) || *s >= e || **s != ':') return false;
  (*s)++;
  if (!digits(s, e, 1, 2, &mi)) return false;
  if (*s < e && **s == ':') {
    (*s)++;
    if (!digits(s, e, 1, 2, &sec)) return false;
    if (*s < e && **s == '.') {
      (*s)++;
      const char *f0 = *s;
      if (!digits(s, e, 1, 9, &frac)) return false;
      for (long k = *s - f0; k < 9; k++) frac *= 10;
    }
  }
  if (h > 23 || mi > 59 || sec > 59) return false;
  *ms = ((h * 60 + mi) * 60 + sec) * 1000 + frac / 1000000;
  *nanos = (int32_t)(frac % 1000000);
  return true;
}

static bool parse_ts(const char *s, const char *e, int64_t *ms, int32_t *nanos) {
  int64_t days, t = 0;
  int32_t ns = 0;
  if (!parse_date(&s, e, &days)) return false;
  if (s < e && (*s == ' ' || *s == 'T')) {
    s++;
    if (!parse_time(&s, e, &t, &ns)) return false;
  }
  if (s != e) return false;
  *ms = days * CAL_MS_PER_DAY + t;
  *nanos = ns;
  return true;
}

static int64_t pow10i(int n) {
  int64_t m = 1;
  while (n-- > 0) m *= 10;
  return m;
}

/* nanos of the ms and the ms itself cut to `precision` fraction digits */
static void truncate_ts(int precision, int64_t *ms, int32_t *nanos) {
  if (precision >= 9) return;
  if (precision >= 3) {
    int64_t m = pow10i(9 - precision);
    *nanos = (int32_t)(*nanos / m * m);
    return;
  }
  *nanos = 0;
  int64_t m = pow10i(3 - precision), r;
  *ms = cal_floor_div(*ms, m, &r) * m;
}

/* ---- the cast ------------------------------------------------------------------------------ */

static int cast_failed(sqlp_program *p, const sqlp_reg *rd, sqlp_val *dst, const sqlp_val *a,
                       bool try_cast, const char *why) {
  if (try_cast) {
    dst->null = true;
    return 1;
  }
  snprintf(p->err, sizeof p->err, "Could not cast '%.*s' to %s%s%s",
           (int)(a->len > 200 ? 200 : a->len), (const char *)a->p, sqlp_kind_name(rd->kind),
           why ? ": " : "", why ? why : "");
  return SPATE_EINVAL;
}

static int to_string(sqlp_program *p, sqlp_val *dst, const sqlp_reg *ra, const sqlp_val *a) {
  char buf[64];
  size_t n;
  switch (ra->kind) {
  case SQLP_BOOL: n = (size_t)snprintf(buf, sizeof buf, "%s", a->i ? "TRUE" : "FALSE"); break;
  case SQLP_F32:
  case SQLP_F64: n = row_java_number(a->d, ra->kind == SQLP_F32, buf); break;
  case SQLP_DEC: n = dec_to_plain(a->x, ra->scale, buf); break;
  case SQLP_DATE: {
    int64_t y;
    int m, d;
    cal_civil_from_days(a->i, &y, &m, &d);
    n = (size_t)snprintf(buf, sizeof buf, "%04lld-%02d-%02d", (long long)y, m, d);
    break;
  }
  case SQLP_TIME: n = format_time(a->i, ra->precision, buf); break;
  case SQLP_TS: n = sqlp_format_ts(a->i, a->nanos, ra->precision, buf); break;
  case SQLP_TS_LTZ:
    n = sqlp_format_ts(sqlp_tz_local(&p->tz, a->i), a->nanos, ra->precision, buf);
    break;
  case SQLP_IVL_YM: {
    int64_t m = a->i < 0 ? -a->i : a->i;
    n = (size_t)snprintf(buf, sizeof buf, "%c%lld-%02lld", a->i < 0 ? '-' : '+',
                         (long long)(m / 12), (long long)(m % 12));
    break;
  }
  case SQLP_IVL_DT: {
    uint64_t m = a->i < 0 ? 0 - (uint64_t)a->i : (uint64_t)a->i;
    n = (size_t)snprintf(buf, sizeof buf, "%c%llu %02llu:%02llu:%02llu.%03llu",
                         a->i < 0 ? '-' : '+', (unsigned long long)(m / 86400000),
                         (unsigned long long)(m / 3600000 % 24),
                         (unsigned long long)(m / 60000 % 60), (unsigned long long)(m / 1000 % 60),
                         (unsigned long long)(m % 1000));
    break;
  }
  default: n = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)a->i); break;
  }
  uint8_t *o = sqlp_scratch(p, n);
  if (!o) return SPATE_ENOMEM;
  memcpy(o, buf, n);
  dst->p = o;
  dst->len = (uint32_t)n;
  return 0;
}

static int from_string(sqlp_program *p, const sqlp_reg *rd, sqlp_val *dst, const sqlp_val *a,
                       bool try_cast) {
  const char *s = (const char *)a->p, *e = s + a->len;
  while (s < e && isspace((unsigned char)*s)) s++;
  while (e > s && isspace((unsigned char)e[-1])) e--;
  size_t n = (size_t)(e - s);
  char buf[128];
  int k = rd->kind;
  if (k == SQLP_BOOL) {
    static const char *const yes[] = {"true", "t", "yes", "y", "1"};
    static const char *const no[] = {"false", "f", "no", "n", "0"};
    for (int j = 0; j < 5; j++) {
      if (strlen(yes[j]) == n && strncasecmp(s, yes[j], n) == 0) return dst->i = 1, 0;
      if (strlen(no[j]) == n && strncasecmp(s, no[j], n) == 0) return dst->i = 0, 0;
    }
    return cast_failed(p, rd, dst, a, try_cast, NULL);
  }
  if (k == SQLP_DATE) {
    int64_t days;
    if (!parse_date(&s, e, &days) || s != e) return cast_failed(p, rd, dst, a, try_cast, NULL);
    dst->i = days;
    return 0;
  }
  if (k == SQLP_TIME) {
    int64_t ms;
    int32_t ns;
    if (!parse_time(&s, e, &ms, &ns) || s != e) return cast_failed(p, rd, dst, a, try_cast, NULL);
    dst->i = ms;
    return 0;
  }
  if (is_ts(k)) {
    if (!parse_ts(s, e, &dst->i, &dst->nanos)) return cast_failed(p, rd, dst, a, try_cast, NULL);
    if (k == SQLP_TS_LTZ) dst->i = sqlp_tz_utc(&p->tz, dst->i);
    truncate_ts(rd->precision, &dst->i, &dst->nanos);
    return 0;
  }
  if (n == 0 || n >= sizeof buf) return cast_failed(p, rd, dst, a, try_cast, NULL);
  memcpy(buf, s, n);
  buf[n] = 0;
  if (k == SQLP_DEC) {
    if (spate_decimal_parse(buf, n, rd->precision, rd->scale, &dst->x) != 0)
      return cast_failed(p, rd, dst, a, try_cast, NULL);
    return 0;
  }
  if (is_float(k)) {
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (*end == 'd' || *end == 'D' || *end == 'f' || *end == 'F') end++; /* Java's suffixes */
    if (*end || end == buf || (buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')))
      return cast_failed(p, rd, dst, a, try_cast, NULL);
    dst->d = k == SQLP_F32 ? (double)(float)d : d;
    return 0;
  }
  /* integers: digits with an optional sign; a fraction is cut off as Flink's toLong does */
  const char *q = buf;
  bool neg = *q == '-';
  if (*q == '-' || *q == '+') q++;
  if (!isdigit((unsigned char)*q)) return cast_failed(p, rd, dst, a, try_cast, NULL);
  unsigned __int128 v = 0;
  for (; isdigit((unsigned char)*q); q++) {
    v = v * 10 + (unsigned)(*q - '0');
    if (v > (unsigned __int128)INT64_MAX + 1)
      return cast_failed(p, rd, dst, a, try_cast, "out of range");
  }
  if (*q == '.') {
    q++;
    while (isdigit((unsigned char)*q)) q++;
  }
  if (*q) return cast_failed(p, rd, dst, a, try_cast, NULL);
  __int128 sv = neg ? -(__int128)v : (__int128)v;
  static const int64_t lo[] = {
      [SQLP_I8] = INT8_MIN, [SQLP_I16] = INT16_MIN, [SQLP_I32] = INT32_MIN, [SQLP_I64] = INT64_MIN};
  static const int64_t hi[] = {
      [SQLP_I8] = INT8_MAX, [SQLP_I16] = INT16_MAX, [SQLP_I32] = INT32_MAX, [SQLP_I64] = INT64_MAX};
  if (sv < lo[k] || sv > hi[k]) return cast_failed(p, rd, dst, a, try_cast, "out of range");
  dst->i = (int64_t)sv;
  return 0;
}

static bool dec_from_double(double d, const sqlp_reg *rd, spate_int128 *out) {
  if (!isfinite(d) || fabs(d) >= 1e38) return false;
  char buf[160];
  int n = snprintf(buf, sizeof buf, "%.*f", rd->scale + 20, d);
  if (n <= 0 || (size_t)n >= sizeof buf) return false;
  return spate_decimal_parse(buf, (size_t)n, rd->precision, rd->scale, out) == 0;
}

int sqlp_cast(sqlp_program *p, const sqlp_reg *rd, sqlp_val *dst, const sqlp_reg *ra,
              const sqlp_val *a, bool try_cast) {
  int f = ra->kind, t = rd->kind;
  *dst = *a;
  dst->null = false;
  if (t == SQLP_STR) {
    if (f == SQLP_STR || f == SQLP_BIN) return 0; /* bytes as their UTF-8 text, unchecked */
    return to_string(p, dst, ra, a);
  }
  if (f == SQLP_STR && t == SQLP_BIN) return 0; /* the text's UTF-8 bytes */
  if (f == SQLP_STR) return from_string(p, rd, dst, a, try_cast);
  if (f == t && f != SQLP_DEC && !is_ts(f)) return 0;
  if (t == SQLP_BIN) return 0; /* BIN to BIN only (the decoder's table) */
  if (t == SQLP_BOOL) {
    dst->i = f == SQLP_DEC ? a->x != 0 : is_float(f) ? a->d != 0 : a->i != 0;
    return 0;
  }
  if (f == SQLP_BOOL) {
    if (is_float(t))
      dst->d = (double)a->i;
    else if (t == SQLP_DEC)
      dst->x = a->i * dec_pow10(rd->scale);
    return 0;
  }
  if (t == SQLP_DEC) {
    bool ok = true;
    if (f == SQLP_DEC) {
      spate_int128 x = a->x;
      if (rd->scale >= ra->scale)
        ok = !__builtin_mul_overflow(x, dec_pow10(rd->scale - ra->scale), &dst->x);
      else {
        spate_int128 m = dec_pow10(ra->scale - rd->scale), q = x / m, r = x % m;
        if ((r < 0 ? -r : r) * 2 >= m) q += x < 0 ? -1 : 1;
        dst->x = q;
      }
    } else if (is_float(f)) {
      ok = dec_from_double(a->d, rd, &dst->x);
    } else if (is_int(f)) {
      ok = rd->scale <= 38 &&
           !__builtin_mul_overflow((spate_int128)a->i, dec_pow10(rd->scale), &dst->x);
    }
    if (!ok || !dec_fits(dst->x, rd->precision)) dst->null = true; /* Flink: overflow is NULL */
    return 0;
  }
  if (f == SQLP_DEC) {
    if (is_float(t)) {
      double d = (double)a->x / pow(10, ra->scale);
      dst->d = t == SQLP_F32 ? (double)(float)d : d;
    } else { /* integral: the integer part, then Java's narrowing of the long */
      spate_int128 q = a->x / dec_pow10(ra->scale);
      dst->i = sqlp_wrap(t, (int64_t)(uint64_t)(unsigned __int128)q);
    }
    return 0;
  }
  if (is_float(f)) {
    if (is_float(t))
      dst->d = t == SQLP_F32 ? (double)(float)a->d : a->d;
    else
      dst->i = double_to_int(t, a->d);
    return 0;
  }
  const sqlp_tz *tz = &p->tz;
  if (is_int(f)) {
    if (is_float(t))
      dst->d = t == SQLP_F32 ? (double)(float)a->i : (double)a->i;
    else if (is_ts(t)) { /* epoch seconds (Flink's BIGINT to TIMESTAMP_LTZ) */
      if (a->i > SQLP_TS_BOUND_MS / 2000 || a->i < -SQLP_TS_BOUND_MS / 2000) {
        if (try_cast) return dst->null = true, 1;
        snprintf(p->err, sizeof p->err, "Could not cast %lld to %s: out of range", (long long)a->i,
                 sqlp_kind_name(t));
        return SPATE_EINVAL;
      }
      dst->i = a->i * 1000;
      dst->nanos = 0;
      if (t == SQLP_TS) dst->i = sqlp_tz_local(tz, dst->i);
    } else
      dst->i = sqlp_wrap(t, a->i);
    return 0;
  }
  if (f == SQLP_DATE) { /* to TIMESTAMP(_LTZ): midnight */
    dst->i = a->i * CAL_MS_PER_DAY;
    if (t == SQLP_TS_LTZ) dst->i = sqlp_tz_utc(tz, dst->i);
    dst->nanos = 0;
    return 0;
  }
  if (is_ts(f)) {
    int64_t local = f == SQLP_TS_LTZ ? sqlp_tz_local(tz, a->i) : a->i, msd;
    switch (t) {
    case SQLP_DATE: dst->i = cal_day_of(local, &msd); return 0;
    case SQLP_TIME:
      cal_day_of(local, &msd);
      dst->i = msd;
      return 0;
    case SQLP_TS:
    case SQLP_TS_LTZ:
      dst->i = t == f ? a->i : t == SQLP_TS ? local : sqlp_tz_utc(tz, a->i);
      truncate_ts(rd->precision, &dst->i, &dst->nanos);
      return 0;
    default: { /* epoch seconds */
      int64_t r;
      dst->i = sqlp_wrap(t, cal_floor_div(f == SQLP_TS ? sqlp_tz_utc(tz, a->i) : a->i, 1000, &r));
      return 0;
    }
    }
  }
  if (f == t) return 0;
  /* intervals to and from integers: the count of months or milliseconds */
  dst->i = sqlp_wrap(t == SQLP_IVL_YM ? SQLP_I32 : t, a->i);
  return 0;
}
