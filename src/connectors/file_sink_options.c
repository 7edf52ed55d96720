/*
 * file_sink_options.c: the file sink's options by Flink's filesystem connector keys, and the
 * partition time extractor (see file_sink_options.h).
 *
 * Partition time (Flink's DefaultPartTimeExtractor): the timestamp text is the pattern with each
 * "$key" replaced by the partition's value of key (unescaped, keys in order), or the first value
 * without a pattern. Without a formatter it is read as Flink's default parser does: a year of 1
 * to 10 digits, '-', month and day of 1 or 2 digits, optionally followed by ' ', hour, ':',
 * minute, ':', second (1 or 2 digits each) and a fraction of 1 to 9 digits after '.'; a date
 * alone is midnight; fields out of range roll over (lenient: month 13 is January of the next
 * year). With a formatter, its letters y M d H m s S read numbers (one letter: 1 or 2 digits,
 * the year up to 10; n letters: n digits, "yy" a year of 2000..2099, "yyyy" four digits), text in
 * '' and other characters must match as they are, and a value out of range is an error;
 * without H the time is midnight. The local date-time is then taken in the watermark time zone.
 */
#include "connectors/file_sink_options.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/config.h"
#include "base/err.h"
#include "base/strbuf.h"

#define FS_SUCCESS_NAME "_SUCCESS"

void fs_sink_options_free(fs_sink_options *o) {
  sp_free(o->success_name);
  sp_free(o->pattern);
  sp_free(o->formatter);
  memset(o, 0, sizeof *o);
}

spate_schema *fs_commit_info_schema(void) {
  static const char *const names[] = {"checkpoint", "subtask", "tasks", "partition"};
  static const spate_type types[] = {SPATE_BIGINT, SPATE_INT, SPATE_INT, SPATE_STRING};
  static const bool nullable[] = {false, false, false, false};
  return schema_new(4, names, types, nullable);
}

/* ---- time zones ------------------------------------------------------------------------------ */
/* "+8", "+08", "+0800", "+08:00", "-05:30" (sign required) into ms east of UTC. */
static bool parse_offset(const char *s, int64_t *out) {
  if (*s != '+' && *s != '-') return false;
  int sign = *s++ == '-' ? -1 : 1;
  int h = 0, m = 0, nd = 0;
  while (isdigit((unsigned char)*s) && nd < 2) h = h * 10 + (*s++ - '0'), nd++;
  if (nd == 0) return false;
  if (*s == ':') s++;
  if (*s) {
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2]) return false;
    m = (s[0] - '0') * 10 + (s[1] - '0');
  }
  if (h > 18 || m > 59 || (h == 18 && m > 0)) return false;
  *out = sign * ((int64_t)h * 3600000 + (int64_t)m * 60000);
  return true;
}

static bool parse_zone(const char *s, int64_t *out) {
  static const char *const utc[] = {"UTC", "GMT", "UT", "Z", "Etc/UTC", "Etc/GMT"};
  for (size_t i = 0; i < sizeof utc / sizeof utc[0]; i++) {
    size_t n = strlen(utc[i]);
    if (strncmp(s, utc[i], n) != 0) continue;
    if (!s[n]) {
      *out = 0;
      return true;
    }
    if (n <= 3 && n >= 2 && parse_offset(s + n, out)) return true; /* UTC+8, GMT-05:30 */
  }
  return parse_offset(s, out);
}

/* ---- formatter patterns ---------------------------------------------------------------------- */
/* One token of a formatter: a letter run (letter, count) or a literal (letter 0, text). */
typedef struct fmt_tok {
  char letter;
  int count;
  const char *lit;
  size_t litlen;
} fmt_tok;

/* Splits a formatter pattern into tokens (up to max); false with err on an unsupported letter or
 * an unclosed quote. */
static int fmt_tokens(const char *p, fmt_tok *t, int max, char *err, size_t err_len) {
  int n = 0;
  while (*p) {
    if (n == max) return sp_err(err, err_len, SPATE_EINVAL, "too long");
    fmt_tok *k = &t[n++];
    memset(k, 0, sizeof *k);
    if (isalpha((unsigned char)*p)) {
      if (!strchr("yMdHmsS", *p))
        return sp_err(err, err_len, SPATE_EINVAL,
                      "the pattern letter '%c' is not supported (only y M d H m s S)", *p);
      k->letter = *p;
      while (*p == k->letter) p++, k->count++;
      if ((k->letter == 'M' && k->count > 2) ||
          (k->letter != 'y' && k->letter != 'S' && k->count > 2))
        return sp_err(err, err_len, SPATE_EINVAL, "'%.*s' is not supported (at most two letters)",
                      k->count, p - k->count);
      continue;
    }
    if (*p == '\'') {
      p++;
      if (*p == '\'') { /* '' is a quote */
        k->lit = p++;
        k->litlen = 1;
        continue;
      }
      const char *end = strchr(p, '\'');
      if (!end) return sp_err(err, err_len, SPATE_EINVAL, "unclosed quote");
      k->lit = p;
      k->litlen = (size_t)(end - p);
      p = end + 1;
      continue;
    }
    if (strchr("[]{}#", *p))
      return sp_err(err, err_len, SPATE_EINVAL, "'%c' is reserved in patterns", *p);
    k->lit = p++;
    k->litlen = 1;
  }
  return n;
}

/* ---- dates ----------------------------------------------------------------------------------- */
static int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* Days from 1970-01-01 to year-month-01 of the proleptic Gregorian calendar (month 1..12). */
static int64_t days_to_month(int64_t y, int m) {
  /* count from March so the leap day ends a year */
  int64_t yy = m <= 2 ? y - 1 : y;
  int mm = m <= 2 ? m + 9 : m - 3; /* March 0 .. February 11 */
  int64_t era = floor_div(yy, 400);
  int64_t yoe = yy - era * 400;
  int64_t doy = (153 * mm + 2) / 5;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : d[m - 1];
}

typedef struct local_dt {
  int64_t year, month, day, hour, minute, second, nanos;
} local_dt;

/* Epoch milliseconds of a local date-time read as UTC, minus offset_ms; fields may be out of range
 * (lenient). False when the year is past Java's (+-999,999,999) or the result past int64. */
static bool lenient_ms(const local_dt *t, int64_t offset_ms, int64_t *out) {
  if (t->year > 999999999 || t->year < -999999999) return false;
  int64_t m0 = t->month - 1;
  int64_t y = t->year + floor_div(m0, 12);
  int m = (int)(m0 - floor_div(m0, 12) * 12) + 1;
  __int128 days = (__int128)days_to_month(y, m) + t->day - 1;
  __int128 ms = ((days * 24 + t->hour) * 60 + t->minute) * 60000 + (__int128)t->second * 1000 +
                t->nanos / 1000000 - offset_ms;
  if (ms > INT64_MAX || ms < INT64_MIN) return false;
  *out = (int64_t)ms;
  return true;
}

/* Reads min..max digits at *p (greedy); false if fewer than min. */
static bool digits(const char **p, int min, int max, int64_t *v) {
  int n = 0;
  int64_t x = 0;
  while (n < max && isdigit((unsigned char)(*p)[n])) x = x * 10 + ((*p)[n] - '0'), n++;
  if (n < min) return false;
  *p += n;
  *v = x;
  return true;
}

/* Flink's default timestamp parser (lenient); false if the text does not match. */
static bool parse_default(const char *s, local_dt *t) {
  memset(t, 0, sizeof *t);
  const char *p = s;
  if (!digits(&p, 1, 10, &t->year) || *p++ != '-' || !digits(&p, 1, 2, &t->month) || *p++ != '-' ||
      !digits(&p, 1, 2, &t->day))
    return false;
  if (!*p) return true;
  if (*p++ != ' ' || !digits(&p, 1, 2, &t->hour) || *p++ != ':' || !digits(&p, 1, 2, &t->minute) ||
      *p++ != ':' || !digits(&p, 1, 2, &t->second))
    return false;
  if (*p == '.') {
    p++;
    const char *f = p;
    int64_t frac;
    if (!digits(&p, 1, 9, &frac)) return false;
    for (long n = p - f; n < 9; n++) frac *= 10;
    t->nanos = frac;
  }
  return *p == 0;
}

/* Parses s with a formatter pattern (checked before); false if it does not match or a value is
 * out of range. */
static bool parse_formatted(const char *pattern, const char *s, local_dt *t) {
  fmt_tok tok[64];
  char err[8];
  int n = fmt_tokens(pattern, tok, 64, err, sizeof err);
  if (n < 0) return false;
  memset(t, 0, sizeof *t);
  t->month = t->day = 1;
  bool has_date = false;
  const char *p = s;
  for (int i = 0; i < n; i++) {
    fmt_tok *k = &tok[i];
    if (!k->letter) {
      if (strncmp(p, k->lit, k->litlen) != 0) return false;
      p += k->litlen;
      continue;
    }
    bool next_numeric = i + 1 < n && tok[i + 1].letter;
    int64_t v;
    int min = k->count, max = k->count == 1 ? 2 : k->count;
    if (k->letter == 'y' && k->count == 1) max = 10;
    if (k->letter == 'y' && k->count >= 4 && !next_numeric) max = 10;
    if (!digits(&p, min, max, &v)) return false;
    switch (k->letter) {
    case 'y':
      t->year = k->count == 2 ? 2000 + v : v;
      has_date = true;
      break;
    case 'M': t->month = v; break;
    case 'd': t->day = v; break;
    case 'H': t->hour = v; break;
    case 'm': t->minute = v; break;
    case 's': t->second = v; break;
    case 'S':
      for (int d = k->count; d < 9; d++) v *= 10;
      t->nanos = v;
      break;
    }
  }
  if (*p || !has_date) return false;
  return t->month >= 1 && t->month <= 12 && t->day >= 1 &&
         t->day <= days_in_month(t->year, (int)t->month) && t->hour <= 23 && t->minute <= 59 &&
         t->second <= 59;
}

/* ---- options --------------------------------------------------------------------------------- */
static int bad(char *err, size_t err_len, const char *key, const char *value, const char *what) {
  return sp_err(err, err_len, SPATE_EINVAL, "file sink option '%s' = '%s': %s", key, value, what);
}

static int set_str(char **field, const char *v) {
  sp_free(*field);
  *field = sp_strdup(v);
  return *field ? 0 : SPATE_ENOMEM;
}

/* A duration option into *out: Flink's syntax, positive unless zero_ok. */
static int duration(const char *key, const char *v, bool zero_ok, int64_t *out, char *err,
                    size_t err_len) {
  if (!sp_parse_duration_ms(v, out) || (*out <= 0 && !zero_ok))
    return bad(err, err_len, key, v,
               zero_ok ? "not a duration such as '0 s', '100 ms' or '1 min'"
                       : "not a positive duration such as '100 ms' or '1 min'");
  return 0;
}

/* sink.partition-commit.policy.kind: a comma-separated list of kinds. */
static int policy_kinds(fs_sink_options *o, const char *key, const char *v, char *err,
                        size_t err_len) {
  char buf[256];
  if (strlen(v) >= sizeof buf) return bad(err, err_len, key, v, "too long");
  strcpy(buf, v);
  int n = 0;
  for (char *save = NULL, *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
    while (isspace((unsigned char)*k)) k++;
    size_t len = strlen(k);
    while (len && isspace((unsigned char)k[len - 1])) k[--len] = 0;
    if (strcasecmp(k, "success-file") == 0) {
      o->success_file = true;
    } else if (strcasecmp(k, "metastore") == 0) {
      return bad(err, err_len, key, v,
                 "the policy 'metastore' adds partitions to a Hive metastore, which Spate does "
                 "not have (use 'success-file')");
    } else if (strcasecmp(k, "custom") == 0) {
      return bad(err, err_len, key, v,
                 "the policy 'custom' needs a Java class (sink.partition-commit.policy.class), "
                 "which Spate cannot load (use 'success-file')");
    } else {
      return bad(err, err_len, key, v, "unknown policy (known: success-file)");
    }
    n++;
  }
  if (n == 0) return bad(err, err_len, key, v, "no policy given (known: success-file)");
  o->commit = true;
  return 0;
}

static const char *const known_keys[] = {
    "sink.rolling-policy.file-size",
    "sink.rolling-policy.rollover-interval",
    "sink.rolling-policy.inactivity-interval",
    "sink.rolling-policy.check-interval",
    "sink.partition-commit.trigger",
    "sink.partition-commit.delay",
    "sink.partition-commit.watermark-time-zone",
    "sink.partition-commit.policy.kind",
    "sink.partition-commit.policy.class",
    "sink.partition-commit.policy.class.parameters",
    "sink.partition-commit.success-file.name",
    "partition.time-extractor.kind",
    "partition.time-extractor.class",
    "partition.time-extractor.timestamp-pattern",
    "partition.time-extractor.timestamp-formatter",
};

static int set_option(fs_sink_options *o, const char *k, const char *v, char *err, size_t err_len) {
  if (strcmp(k, "sink.rolling-policy.file-size") == 0) {
    if (!sp_parse_memory_size(v, &o->file_size) || o->file_size <= 0)
      return bad(err, err_len, k, v, "not a positive memory size such as '128MB' or '1 kb'");
    return 0;
  }
  if (strcmp(k, "sink.rolling-policy.rollover-interval") == 0)
    return duration(k, v, false, &o->rollover_ms, err, err_len);
  if (strcmp(k, "sink.rolling-policy.inactivity-interval") == 0)
    return duration(k, v, false, &o->inactivity_ms, err, err_len);
  if (strcmp(k, "sink.rolling-policy.check-interval") == 0)
    return duration(k, v, false, &o->check_ms, err, err_len);
  if (strcmp(k, "sink.partition-commit.trigger") == 0) {
    if (strcmp(v, "process-time") == 0)
      o->trigger = FS_TRIGGER_PROCESS_TIME;
    else if (strcmp(v, "partition-time") == 0)
      o->trigger = FS_TRIGGER_PARTITION_TIME;
    else
      return bad(err, err_len, k, v, "must be 'process-time' or 'partition-time'");
    return 0;
  }
  if (strcmp(k, "sink.partition-commit.delay") == 0)
    return duration(k, v, true, &o->delay_ms, err, err_len);
  if (strcmp(k, "sink.partition-commit.watermark-time-zone") == 0) {
    if (!parse_zone(v, &o->tz_offset_ms))
      return bad(err, err_len, k, v,
                 "only UTC (GMT, UT, Z) and fixed offsets such as '+08:00' or 'UTC-5' are "
                 "supported; region ids (Asia/Shanghai) are not");
    return 0;
  }
  if (strcmp(k, "sink.partition-commit.policy.kind") == 0)
    return policy_kinds(o, k, v, err, err_len);
  if (strcmp(k, "sink.partition-commit.policy.class") == 0 ||
      strcmp(k, "sink.partition-commit.policy.class.parameters") == 0)
    return bad(err, err_len, k, v, "custom commit policies (Java classes) are not supported");
  if (strcmp(k, "sink.partition-commit.success-file.name") == 0) {
    if (!v[0] || strchr(v, '/') || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
      return bad(err, err_len, k, v, "must be a file name (not empty, no '/')");
    return set_str(&o->success_name, v);
  }
  if (strcmp(k, "partition.time-extractor.kind") == 0) {
    if (strcmp(v, "default") == 0) return 0;
    if (strcmp(v, "custom") == 0)
      return bad(err, err_len, k, v, "custom extractors (Java classes) are not supported");
    return bad(err, err_len, k, v, "must be 'default'");
  }
  if (strcmp(k, "partition.time-extractor.class") == 0)
    return bad(err, err_len, k, v, "custom extractors (Java classes) are not supported");
  if (strcmp(k, "partition.time-extractor.timestamp-pattern") == 0) {
    if (!v[0]) return bad(err, err_len, k, v, "must not be empty");
    return set_str(&o->pattern, v);
  }
  if (strcmp(k, "partition.time-extractor.timestamp-formatter") == 0) {
    fmt_tok tok[64];
    char why[SP_ERRMSG_MAX];
    int n = fmt_tokens(v, tok, 64, why, sizeof why);
    if (n < 0) return bad(err, err_len, k, v, why);
    bool year = false;
    for (int i = 0; i < n; i++) year = year || tok[i].letter == 'y';
    if (!year) return bad(err, err_len, k, v, "the pattern has no year (y)");
    return set_str(&o->formatter, v);
  }
  return sp_err(err, err_len, SPATE_EINVAL, "unknown file sink option '%s' (known: %s, ...)", k,
                known_keys[0]);
}

int fs_sink_options_parse(fs_sink_options *o, uint32_t n, const char *const *kv, char *err,
                          size_t err_len) {
  memset(o, 0, sizeof *o);
  int rc = 0;
  if (n % 2)
    rc = sp_err(err, err_len, SPATE_EINVAL, "file sink option '%s' has no value", kv[n - 1]);
  for (uint32_t i = 0; rc == 0 && i < n; i += 2) {
    for (uint32_t j = 0; rc == 0 && j < i; j += 2)
      if (strcmp(kv[i], kv[j]) == 0)
        rc = sp_err(err, err_len, SPATE_EINVAL, "file sink option '%s' is given twice", kv[i]);
    if (rc == 0) rc = set_option(o, kv[i], kv[i + 1], err, err_len);
  }
  if (rc == 0 && !o->success_name) rc = set_str(&o->success_name, FS_SUCCESS_NAME);
  if (rc < 0) fs_sink_options_free(o);
  return rc;
}

/* ---- partition time -------------------------------------------------------------------------- */
static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Appends the unescaped text of [p, p+n) ("%XX" decoded, as Flink's unescapePathName). */
static int append_unescaped(sp_strbuf *sb, const char *p, size_t n) {
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    int hi, lo;
    if (p[i] == '%' && i + 2 < n && (hi = hexval(p[i + 1])) >= 0 && (lo = hexval(p[i + 2])) >= 0) {
      char c = (char)(hi * 16 + lo);
      rc = sp_strbuf_append(sb, &c, 1);
      i += 2;
    } else {
      rc = sp_strbuf_append(sb, p + i, 1);
    }
  }
  return rc;
}

int fs_partition_time(const fs_sink_options *o, const op_str_list *keys, const char *path,
                      int64_t *out_ms, char *err, size_t err_len) {
  /* the values, unescaped, each NUL-terminated in vals at offsets off[] */
  enum { MAXK = 16 };
  size_t off[MAXK];
  uint32_t nk = keys->n < MAXK ? keys->n : MAXK;
  sp_strbuf vals = {0}, text = {0};
  int rc = 0;
  const char *p = path;
  for (uint32_t i = 0; rc == 0 && i < nk; i++) {
    const char *end = strchr(p, '/');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    if (!eq) {
      rc =
          sp_err(err, err_len, SPATE_EINVAL, "partition '%s' is not of the form k1=v1/k2=v2", path);
      break;
    }
    off[i] = vals.len;
    rc = append_unescaped(&vals, eq + 1, len - (size_t)(eq + 1 - p));
    if (rc == 0) rc = sp_strbuf_append(&vals, "", 1);
    p = end ? end + 1 : p + len;
  }
  if (rc == 0 && !o->pattern) {
    rc = sp_strbuf_append(&text, vals.data, strlen(vals.data) + 1);
  } else if (rc == 0) {
    /* each "$key" replaced, key after key, as Flink's replaceAll in key order */
    rc = sp_strbuf_append(&text, o->pattern, strlen(o->pattern) + 1);
    sp_strbuf next = {0};
    for (uint32_t i = 0; rc == 0 && i < nk; i++) {
      const char *k = keys->v[i], *v = vals.data + off[i];
      size_t kl = strlen(k);
      next.len = 0;
      for (const char *q = text.data; rc == 0 && *q;) {
        if (*q == '$' && strncmp(q + 1, k, kl) == 0) {
          rc = sp_strbuf_append(&next, v, strlen(v));
          q += 1 + kl;
        } else {
          rc = sp_strbuf_append(&next, q++, 1);
        }
      }
      if (rc == 0) rc = sp_strbuf_append(&next, "", 1);
      if (rc == 0) {
        sp_strbuf t = text;
        text = next;
        next = t;
      }
    }
    sp_strbuf_free(&next);
  }
  if (rc == 0) {
    local_dt t;
    bool ok =
        o->formatter ? parse_formatted(o->formatter, text.data, &t) : parse_default(text.data, &t);
    if (ok && !lenient_ms(&t, o->tz_offset_ms, out_ms))
      rc = sp_err(err, err_len, SPATE_EINVAL,
                  "cannot extract the time of partition '%s': '%s' is out of range", path,
                  text.data);
    else if (!ok)
      rc = sp_err(err, err_len, SPATE_EINVAL,
                  "cannot extract the time of partition '%s': '%s' does not match %s%s%s", path,
                  text.data, o->formatter ? "the formatter '" : "'yyyy-MM-dd[ HH:mm:ss]'",
                  o->formatter ? o->formatter : "", o->formatter ? "'" : "");
  }
  sp_strbuf_free(&vals);
  sp_strbuf_free(&text);
  return rc;
}
