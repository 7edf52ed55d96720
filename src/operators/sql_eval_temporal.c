/*
 * sql_eval_temporal.c: the time functions of SQL calc programs: interval arithmetic on DATE,
 * TIME and TIMESTAMP values, the processing-time functions (CURRENT_TIMESTAMP, NOW,
 * LOCALTIMESTAMP, CURRENT_DATE, CURRENT_TIME: the operator's clock, which tests control),
 * EXTRACT, FLOOR/CEIL to a unit, TIMESTAMPDIFF, DATE_FORMAT, UNIX_TIMESTAMP, FROM_UNIXTIME,
 * TO_TIMESTAMP and TO_TIMESTAMP_LTZ.
 *
 * The session time zone (table.local-time-zone) is the program's (sql_time_zone.c):
 * TIMESTAMP_LTZ values are shown, extracted and floored in its local time.
 *
 * Formats are Java's SimpleDateFormat letters Flink's DATE_FORMAT and UNIX_TIMESTAMP use:
 * y, M (MMM and MMMM as English month names), d, H, h, m, s, S, a, E (EEE, EEEE), D, and
 * quoted text '...'; other letters are refused as Java does (the result is NULL).
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "operators/sql_program.h"
#include "types/calendar.h"

/* sql_unit values (sql/sql_ast.h), repeated as plain numbers: programs depend on no SQL header */
enum {
  U_YEAR = 1,
  U_QUARTER,
  U_MONTH,
  U_WEEK,
  U_DAY,
  U_HOUR,
  U_MINUTE,
  U_SECOND,
  U_MILLISECOND,
  U_MICROSECOND,
  U_NANOSECOND,
  U_DOW,
  U_DOY,
  U_ISODOW,
  U_ISOYEAR,
  U_EPOCH,
  U_DECADE,
  U_CENTURY,
  U_MILLENNIUM
};

static bool is_ts(int k) { return k == SQLP_TS || k == SQLP_TS_LTZ; }

/* The local milliseconds of a DATE, TIMESTAMP or TIMESTAMP_LTZ value. */
static int64_t local_ms(const sqlp_program *p, int kind, const sqlp_val *v) {
  if (kind == SQLP_DATE) return v->i * CAL_MS_PER_DAY;
  if (kind == SQLP_TS_LTZ) return sqlp_tz_local(&p->tz, v->i);
  return v->i;
}

static int days_in_month(int64_t y, int m) {
  static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : md[m - 1];
}

/* ms plus `months`, the day clamped to the month's end (Java's plusMonths). */
static int64_t add_months(int64_t ms, int64_t months) {
  int64_t msd, day = cal_day_of(ms, &msd), y;
  int m, d;
  cal_civil_from_days(day, &y, &m, &d);
  int64_t total = y * 12 + (m - 1) + months, r;
  int64_t ny = cal_floor_div(total, 12, &r);
  int nm = (int)r + 1;
  int dim = days_in_month(ny, nm);
  if (d > dim) d = dim;
  return cal_days_from_civil(ny, nm, d) * CAL_MS_PER_DAY + msd;
}

static int time_add(sqlp_program *p, const sqlp_ins *in, sqlp_val *dst, const sqlp_val *a,
                    const sqlp_val *b) {
  int ka = p->regs[in->a].kind, kb = p->regs[in->b].kind;
  *dst = *a;
  bool ok = b->i != INT64_MIN;
  int64_t n = in->imm < 0 ? (int64_t)(0 - (uint64_t)b->i) : b->i;
  if (ok && kb == SQLP_IVL_YM) {
    if (ka == SQLP_TIME) return 0;
    int64_t ms = add_months(ka == SQLP_DATE ? a->i * CAL_MS_PER_DAY : a->i, (int32_t)n);
    dst->i = ka == SQLP_DATE ? ms / CAL_MS_PER_DAY : ms;
  } else if (ok && ka == SQLP_DATE) {
    dst->i = a->i + n / CAL_MS_PER_DAY;
  } else if (ok && ka == SQLP_TIME) {
    int64_t r;
    cal_floor_div(a->i + n % CAL_MS_PER_DAY, CAL_MS_PER_DAY, &r);
    dst->i = r;
  } else if (ok) {
    ok = !__builtin_add_overflow(a->i, n, &dst->i);
  }
  int64_t bound = ka == SQLP_DATE ? SQLP_DATE_BOUND : SQLP_TS_BOUND_MS;
  if (!ok || dst->i > bound || dst->i < -bound) {
    snprintf(p->err, sizeof p->err, "%s arithmetic out of range",
             ka == SQLP_DATE ? "DATE" : "TIMESTAMP");
    return SPATE_EINVAL;
  }
  return 0;
}

/* ---- EXTRACT, FLOOR, CEIL ------------------------------------------------------------------ */

typedef struct civil {
  int64_t y, day;
  int m, d;
  int64_t msd;
} civil;

static civil civil_of(int64_t ms) {
  civil c;
  c.day = cal_day_of(ms, &c.msd);
  cal_civil_from_days(c.day, &c.y, &c.m, &c.d);
  return c;
}

/* ISO weekday 1 (Monday) .. 7 of a day count (1970-01-01 was a Thursday). */
static int iso_dow(int64_t day) {
  int64_t r;
  cal_floor_div(day + 3, 7, &r);
  return (int)r + 1;
}

/* ISO week-based year and week number of a day count. */
static int64_t iso_week(int64_t day, int64_t *week_year) {
  int64_t thursday = day - iso_dow(day) + 4, y;
  int m, d;
  cal_civil_from_days(thursday, &y, &m, &d);
  *week_year = y;
  return (thursday - cal_days_from_civil(y, 1, 1)) / 7 + 1;
}

static int64_t extract(int unit, int kind, int64_t ms, int32_t nanos) {
  civil c = civil_of(ms);
  int64_t wy;
  switch (unit) {
  case U_YEAR: return c.y;
  case U_QUARTER: return (c.m - 1) / 3 + 1;
  case U_MONTH: return c.m;
  case U_WEEK: return iso_week(c.day, &wy);
  case U_DAY: return c.d;
  case U_HOUR: return c.msd / 3600000;
  case U_MINUTE: return c.msd / 60000 % 60;
  case U_SECOND: return c.msd / 1000 % 60;
  case U_MILLISECOND: return c.msd % 60000;
  case U_MICROSECOND: return c.msd % 60000 * 1000 + nanos / 1000;
  case U_NANOSECOND: return (c.msd % 60000) * 1000000 + nanos;
  case U_DOW: return iso_dow(c.day) % 7 + 1; /* Sunday 1 .. Saturday 7 */
  case U_DOY: return c.day - cal_days_from_civil(c.y, 1, 1) + 1;
  case U_ISODOW: return iso_dow(c.day);
  case U_ISOYEAR: iso_week(c.day, &wy); return wy;
  case U_EPOCH: {
    int64_t r;
    (void)kind;
    return cal_floor_div(ms, 1000, &r);
  }
  case U_DECADE: {
    int64_t r;
    return cal_floor_div(c.y, 10, &r);
  }
  case U_CENTURY: return c.y > 0 ? (c.y + 99) / 100 : -((-c.y + 99) / 100);
  case U_MILLENNIUM: return c.y > 0 ? (c.y + 999) / 1000 : -((-c.y + 999) / 1000);
  default: return 0;
  }
}

/* Floors local ms to the unit (ceil: up when not already on it). */
static int64_t floor_to(int unit, int64_t ms, bool ceil_) {
  civil c = civil_of(ms);
  int64_t f = ms, step = 0, r;
  switch (unit) {
  case U_YEAR: f = cal_days_from_civil(c.y, 1, 1) * CAL_MS_PER_DAY; break;
  case U_QUARTER: f = cal_days_from_civil(c.y, (c.m - 1) / 3 * 3 + 1, 1) * CAL_MS_PER_DAY; break;
  case U_MONTH: f = cal_days_from_civil(c.y, c.m, 1) * CAL_MS_PER_DAY; break;
  case U_WEEK:
    f = (c.day - iso_dow(c.day) % 7) * CAL_MS_PER_DAY;
    step = 7 * CAL_MS_PER_DAY;
    break;
  case U_DAY: step = CAL_MS_PER_DAY; break;
  case U_HOUR: step = 3600000; break;
  case U_MINUTE: step = 60000; break;
  case U_SECOND: step = 1000; break;
  default: step = 1; break;
  }
  if (unit >= U_DAY) f = cal_floor_div(ms, step, &r) * step;
  if (!ceil_ || f == ms) return f;
  switch (unit) {
  case U_YEAR: return add_months(f, 12);
  case U_QUARTER: return add_months(f, 3);
  case U_MONTH: return add_months(f, 1);
  default: return f + step;
  }
}

static int64_t months_between(int64_t a, int64_t b) {
  /* whole months from a to b, as Calcite's TIMESTAMPDIFF(MONTH): truncated toward zero */
  civil x = civil_of(a), y = civil_of(b);
  int64_t m = (y.y - x.y) * 12 + (y.m - x.m);
  int64_t xr = (int64_t)x.d * CAL_MS_PER_DAY + x.msd, yr = (int64_t)y.d * CAL_MS_PER_DAY + y.msd;
  if (m > 0 && yr < xr) m--;
  if (m < 0 && yr > xr) m++;
  return m;
}

/* ---- formats -------------------------------------------------------------------------------- */

static const char *const month_names[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};
static const char *const day_names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};

/* Formats local ms with a SimpleDateFormat pattern into o (cap bytes); -1 for a letter Java
 * refuses or an output too long. */
static long format_dt(int64_t ms, const uint8_t *f, uint32_t n, char *o, size_t cap) {
  civil c = civil_of(ms);
  size_t k = 0;
  for (uint32_t i = 0; i < n;) {
    char ch = (char)f[i];
    uint32_t run = 1;
    while (i + run < n && f[i + run] == (uint8_t)ch) run++;
    char buf[64];
    int w = 0;
    if (ch == '\'') {
      if (run >= 2) { /* '' is a quote */
        buf[w++] = '\'';
        i += 2;
      } else {
        uint32_t j = i + 1;
        while (j < n && f[j] != '\'') {
          if (w < 60) buf[w++] = (char)f[j];
          j++;
        }
        if (j >= n) return -1;
        i = j + 1;
      }
    } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
      int pad = (int)run;
      switch (ch) {
      case 'y':
        if (run == 2)
          w = snprintf(buf, sizeof buf, "%02lld", (long long)((c.y % 100 + 100) % 100));
        else
          w = snprintf(buf, sizeof buf, "%0*lld", pad, (long long)c.y);
        break;
      case 'M':
        if (run >= 4)
          w = snprintf(buf, sizeof buf, "%s", month_names[c.m - 1]);
        else if (run == 3)
          w = snprintf(buf, sizeof buf, "%.3s", month_names[c.m - 1]);
        else
          w = snprintf(buf, sizeof buf, "%0*d", pad, c.m);
        break;
      case 'd': w = snprintf(buf, sizeof buf, "%0*d", pad, c.d); break;
      case 'D':
        w = snprintf(buf, sizeof buf, "%0*lld", pad,
                     (long long)(c.day - cal_days_from_civil(c.y, 1, 1) + 1));
        break;
      case 'H': w = snprintf(buf, sizeof buf, "%0*d", pad, (int)(c.msd / 3600000)); break;
      case 'h': {
        int h = (int)(c.msd / 3600000) % 12;
        w = snprintf(buf, sizeof buf, "%0*d", pad, h ? h : 12);
        break;
      }
      case 'm': w = snprintf(buf, sizeof buf, "%0*d", pad, (int)(c.msd / 60000 % 60)); break;
      case 's': w = snprintf(buf, sizeof buf, "%0*d", pad, (int)(c.msd / 1000 % 60)); break;
      case 'S': w = snprintf(buf, sizeof buf, "%0*d", pad, (int)(c.msd % 1000)); break;
      case 'a': w = snprintf(buf, sizeof buf, "%s", c.msd < 43200000 ? "AM" : "PM"); break;
      case 'E':
        w = snprintf(buf, sizeof buf, run >= 4 ? "%s" : "%.3s", day_names[iso_dow(c.day) - 1]);
        break;
      default: return -1;
      }
      if (w < 0 || w >= (int)sizeof buf) return -1;
      i += run;
    } else {
      buf[w++] = ch;
      i++;
    }
    if (k + (size_t)w > cap) return -1;
    memcpy(o + k, buf, (size_t)w);
    k += (size_t)w;
  }
  return (long)k;
}

/* Parses s with a SimpleDateFormat pattern (numeric letters y M d H h m s S, literals and
 * quotes) into local ms; false when it does not match. */
static bool parse_dt(const uint8_t *s, uint32_t sn, const uint8_t *f, uint32_t fn, int64_t *ms) {
  int64_t y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, frac = 0;
  uint32_t si = 0;
  for (uint32_t i = 0; i < fn;) {
    char ch = (char)f[i];
    uint32_t run = 1;
    while (i + run < fn && f[i + run] == (uint8_t)ch) run++;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
      int64_t *slot;
      switch (ch) {
      case 'y': slot = &y; break;
      case 'M': slot = &mo; break;
      case 'd': slot = &d; break;
      case 'H':
      case 'h': slot = &h; break;
      case 'm': slot = &mi; break;
      case 's': slot = &sec; break;
      case 'S': slot = &frac; break;
      default: return false;
      }
      /* adjacent numeric fields take exactly their width; a last or separated one takes all */
      bool next_digit_field = i + run < fn && ((f[i + run] >= 'a' && f[i + run] <= 'z') ||
                                               (f[i + run] >= 'A' && f[i + run] <= 'Z'));
      uint32_t maxw = next_digit_field ? run : 10, w = 0;
      int64_t v = 0;
      while (si < sn && w < maxw && s[si] >= '0' && s[si] <= '9') {
        v = v * 10 + (s[si++] - '0');
        w++;
      }
      if (w == 0) return false;
      if (ch == 'S') {
        for (; w < 3; w++) v *= 10;
        while (w-- > 3) v /= 10;
      }
      *slot = v;
      i += run;
    } else if (ch == '\'') {
      uint32_t j = i + 1;
      while (j < fn && f[j] != '\'') {
        if (si >= sn || s[si] != f[j]) return false;
        si++;
        j++;
      }
      i = j + 1;
    } else {
      if (si >= sn || s[si] != (uint8_t)ch) return false;
      si++;
      i++;
    }
  }
  if (si != sn) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (int)mo) || h > 23 || mi > 59 ||
      sec > 59 || y > 9999)
    return false;
  *ms = cal_days_from_civil(y, (int)mo, (int)d) * CAL_MS_PER_DAY +
        ((h * 60 + mi) * 60 + sec) * 1000 + frac;
  return true;
}

static const uint8_t default_fmt[] = "yyyy-MM-dd HH:mm:ss";

static int put_text(sqlp_program *p, sqlp_val *dst, const char *s, size_t n) {
  uint8_t *o = sqlp_scratch(p, n ? n : 1);
  if (!o) return SPATE_ENOMEM;
  memcpy(o, s, n);
  dst->null = false;
  dst->p = o;
  dst->len = (uint32_t)n;
  return 0;
}

int sqlp_call_temporal(sqlp_program *p, const sqlp_ins *in, sqlp_val *dst, const sqlp_val *a,
                       const sqlp_val *b, const sqlp_val *c, int64_t now_ms) {
  (void)c;
  if (in->op == SQLP_TIME_ADD) return time_add(p, in, dst, a, b);
  int fn = (int)(in->imm & 0xffff), unit = (int)(in->imm >> 16);
  const sqlp_tz *tz = &p->tz;
  int64_t r;
  const sqlp_reg *ra = in->a != SQLP_NONE ? &p->regs[in->a] : NULL;
  const sqlp_reg *rd = &p->regs[in->dst];
  dst->null = false;
  dst->nanos = 0;
  switch (fn) {
  case SQLP_FN_NOW: dst->i = now_ms; return 0;
  case SQLP_FN_LOCALTS: dst->i = sqlp_tz_local(tz, now_ms); return 0;
  case SQLP_FN_CURRENT_DATE: dst->i = cal_day_of(sqlp_tz_local(tz, now_ms), &r); return 0;
  case SQLP_FN_CURRENT_TIME:
    cal_day_of(sqlp_tz_local(tz, now_ms), &r);
    dst->i = r;
    return 0;
  case SQLP_FN_UNIX_TIMESTAMP:
    if (in->a == SQLP_NONE) {
      dst->i = cal_floor_div(now_ms, 1000, &r);
      return 0;
    }
    break;
  default: break;
  }
  if ((in->a != SQLP_NONE && a->null) || (in->b != SQLP_NONE && b->null)) {
    dst->null = true;
    return 0;
  }
  switch (fn) {
  case SQLP_FN_EXTRACT: {
    if (ra->kind == SQLP_IVL_YM || ra->kind == SQLP_IVL_DT) { /* fields of the interval */
      int64_t v = a->i; /* months or ms, within int64 with room: no overflow below */
      if (ra->kind == SQLP_IVL_YM)
        dst->i = unit == U_YEAR ? v / 12 : unit == U_QUARTER ? v % 12 / 3 + 1 : v % 12;
      else
        dst->i = unit == U_DAY      ? v / 86400000
                 : unit == U_HOUR   ? v / 3600000 % 24
                 : unit == U_MINUTE ? v / 60000 % 60
                 : unit == U_SECOND ? v / 1000 % 60
                 : unit == U_EPOCH  ? v / 1000
                                    : v % 60000;
      return 0;
    }
    int64_t ms = ra->kind == SQLP_TIME ? a->i : local_ms(p, ra->kind, a);
    dst->i = extract(unit, ra->kind, ms, is_ts(ra->kind) ? a->nanos : 0);
    return 0;
  }
  case SQLP_FN_FLOOR_TIME:
  case SQLP_FN_CEIL_TIME: {
    int64_t ms = local_ms(p, ra->kind, a);
    int64_t f = floor_to(unit, ms, fn == SQLP_FN_CEIL_TIME && !(a->nanos && unit == 0));
    if (fn == SQLP_FN_CEIL_TIME && a->nanos && f == ms) f = floor_to(unit, ms + 1, true);
    *dst = *a;
    dst->nanos = 0;
    if (ra->kind == SQLP_DATE)
      dst->i = cal_floor_div(f, CAL_MS_PER_DAY, &r);
    else
      dst->i = ra->kind == SQLP_TS_LTZ ? sqlp_tz_utc(tz, f) : f;
    return 0;
  }
  case SQLP_FN_TSDIFF: { /* b - a in units */
    int64_t x = local_ms(p, ra->kind, a), y = local_ms(p, ra->kind, b), v;
    switch (unit) {
    case U_YEAR: v = months_between(x, y) / 12; break;
    case U_QUARTER: v = months_between(x, y) / 3; break;
    case U_MONTH: v = months_between(x, y); break;
    case U_WEEK: v = (y - x) / (7 * CAL_MS_PER_DAY); break;
    case U_DAY: v = (y - x) / CAL_MS_PER_DAY; break;
    case U_HOUR: v = (y - x) / 3600000; break;
    case U_MINUTE: v = (y - x) / 60000; break;
    case U_SECOND: v = (y - x) / 1000; break;
    default: v = y - x; break;
    }
    dst->i = (int32_t)v;
    return 0;
  }
  case SQLP_FN_DATE_FORMAT: {
    char o[512];
    long n = format_dt(local_ms(p, ra->kind, a), b->p, b->len, o, sizeof o);
    if (n < 0) {
      dst->null = true;
      return 0;
    }
    return put_text(p, dst, o, (size_t)n);
  }
  case SQLP_FN_FROM_UNIXTIME: {
    char o[512];
    const uint8_t *f = in->b != SQLP_NONE ? b->p : default_fmt;
    uint32_t fl = in->b != SQLP_NONE ? b->len : (uint32_t)sizeof default_fmt - 1;
    if (a->i > SQLP_TS_BOUND_MS / 1000 || a->i < -SQLP_TS_BOUND_MS / 1000) {
      dst->null = true;
      return 0;
    }
    long n = format_dt(sqlp_tz_local(tz, a->i * 1000), f, fl, o, sizeof o);
    if (n < 0) {
      dst->null = true;
      return 0;
    }
    return put_text(p, dst, o, (size_t)n);
  }
  case SQLP_FN_UNIX_TIMESTAMP:
  case SQLP_FN_TO_TIMESTAMP: {
    const uint8_t *f = in->b != SQLP_NONE ? b->p : default_fmt;
    uint32_t fl = in->b != SQLP_NONE ? b->len : (uint32_t)sizeof default_fmt - 1;
    int64_t ms;
    bool ok = parse_dt(a->p, a->len, f, fl, &ms);
    if (fn == SQLP_FN_UNIX_TIMESTAMP) { /* Flink: Long.MIN_VALUE when unparsable */
      dst->i = ok ? cal_floor_div(sqlp_tz_utc(tz, ms), 1000, &r) : INT64_MIN;
      return 0;
    }
    if (!ok && in->b == SQLP_NONE) { /* TO_TIMESTAMP(s) also takes fractions: as CAST */
      sqlp_reg ts = {SQLP_TS, 9, 0}, str = {SQLP_STR, 0, 0};
      sqlp_val t;
      if (sqlp_cast(p, &ts, &t, &str, a, true) == 0 && !t.null) {
        dst->i = t.i;
        dst->nanos = rd->precision > 3 ? t.nanos : 0;
        return 0;
      }
    }
    if (!ok)
      dst->null = true;
    else
      dst->i = ms;
    return 0;
  }
  case SQLP_FN_TO_TIMESTAMP_LTZ: {
    int64_t prec = b->i;
    if (prec != 0 && prec != 3) {
      snprintf(p->err, sizeof p->err,
               "The precision value '%lld' for function TO_TIMESTAMP_LTZ(numeric, precision) is "
               "unsupported, the supported value is '0' for second or '3' for millisecond.",
               (long long)prec);
      return SPATE_EINVAL;
    }
    double v;
    if (ra->kind == SQLP_F64)
      v = a->d;
    else if (ra->kind == SQLP_DEC) {
      v = (double)a->x;
      for (int k = 0; k < ra->scale; k++) v /= 10;
    } else
      v = (double)a->i;
    double msd = prec == 0 ? v * 1000 : v;
    if (!(msd > -8.2e15 && msd < 8.2e15)) { /* beyond years 0000..9999 (and NaN) */
      dst->null = true;
      return 0;
    }
    if (ra->kind == SQLP_I8 || ra->kind == SQLP_I16 || ra->kind == SQLP_I32 || ra->kind == SQLP_I64)
      dst->i = prec == 0 ? a->i * 1000 : a->i;
    else
      dst->i = (int64_t)msd;
    return 0;
  }
  default: break;
  }
  snprintf(p->err, sizeof p->err, "unknown time function %d", fn);
  return SPATE_EINVAL;
}
