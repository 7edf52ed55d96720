/*
 * sql_time_zone.c: the session time zone of SQL calc programs (table.local-time-zone): a fixed
 * offset ("UTC", "+08:00", "GMT-5", "UTC+8") or a region of the system's time zone database
 * ("Asia/Shanghai", "America/New_York"), read from its TZif file under /usr/share/zoneinfo
 * (Debian's tzdata, RFC 8536) once when a program is compiled or decoded.
 *
 * A region is its list of transitions (UTC instant, offset from then on); before the first,
 * the file's first local time type applies, after the last the last offset stays (Debian's
 * files list transitions up to 2037; the POSIX rule of the footer is not read). Local times
 * map back to instants as Java's LocalDateTime.atZone does: in a gap (spring forward) the time
 * moves later by the gap's length, in an overlap (fall back) the earlier offset wins.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "operators/sql_program.h"

#define TZ_DIR "/usr/share/zoneinfo/"
#define TZ_MAX_FILE (1 << 20)
#define TZ_MAX_TRANSITIONS 20000

static bool fixed_offset(const char *tz, int32_t *off) {
  *off = 0;
  if (!*tz || !strcmp(tz, "UTC") || !strcmp(tz, "GMT") || !strcmp(tz, "Z") ||
      !strcmp(tz, "Etc/UTC") || !strcmp(tz, "Etc/GMT") || !strcmp(tz, "UT"))
    return true;
  const char *p = tz;
  if (!strncmp(p, "UTC", 3) || !strncmp(p, "GMT", 3)) p += 3;
  if (*p != '+' && *p != '-') return false;
  int sign = *p == '-' ? -1 : 1;
  p++;
  int h = 0, m = 0, nd = 0, md = 0;
  while (*p >= '0' && *p <= '9' && nd < 2) h = h * 10 + (*p++ - '0'), nd++;
  if (nd && *p == ':') p++;
  while (*p >= '0' && *p <= '9' && md < 2) m = m * 10 + (*p++ - '0'), md++;
  if (!nd || *p || h > 18 || m > 59 || (md != 0 && md != 2)) return false;
  *off = sign * (h * 3600 + m * 60);
  return true;
}

/* A region name: components of letters, digits, '_', '+', '-' separated by '/', none "." or
 * "..", so that the path stays inside the database. */
static bool region_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n >= sizeof((sqlp_tz *)0)->name || s[0] == '/' || s[n - 1] == '/') return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '/';
    if (!ok || (c == '/' && s[i + 1] == '/')) return false;
  }
  return s[0] != '-';
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Parses TZif bytes into tz (its v2+ 64-bit block); false when malformed. */
static bool parse_tzif(const uint8_t *b, size_t len, sqlp_tz *tz) {
  if (len < 44 || memcmp(b, "TZif", 4) != 0 || b[4] < '2') return false;
  uint32_t c[6];
  for (int k = 0; k < 6; k++) c[k] = be32(b + 20 + 4 * k);
  /* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt: skip the 32-bit block */
  uint64_t v1 = (uint64_t)c[3] * 5 + (uint64_t)c[4] * 6 + c[5] + (uint64_t)c[2] * 8 + c[1] + c[0];
  if (44 + v1 + 44 > len) return false;
  const uint8_t *h = b + 44 + v1;
  if (memcmp(h, "TZif", 4) != 0) return false;
  for (int k = 0; k < 6; k++) c[k] = be32(h + 20 + 4 * k);
  uint32_t timecnt = c[3], typecnt = c[4];
  if (timecnt > TZ_MAX_TRANSITIONS || typecnt == 0 || typecnt > 256) return false;
  const uint8_t *times = h + 44, *idx = times + (size_t)timecnt * 8, *types = idx + timecnt;
  if ((size_t)(types + (size_t)typecnt * 6 - b) > len) return false;
  tz->at = sp_malloc(((size_t)timecnt + 1) * sizeof *tz->at);
  tz->off = sp_malloc(((size_t)timecnt + 1) * sizeof *tz->off);
  if (!tz->at || !tz->off) return false;
  tz->fixed_s = (int32_t)be32(types); /* type 0: before the first transition */
  for (uint32_t k = 0; k < timecnt; k++) {
    uint64_t t = (uint64_t)be32(times + 8 * k) << 32 | be32(times + 8 * k + 4);
    if (idx[k] >= typecnt) return false;
    int32_t off = (int32_t)be32(types + 6 * idx[k]);
    if (off < -24 * 3600 || off > 24 * 3600) return false;
    if (k > 0 && (int64_t)t <= tz->at[k - 1]) return false;
    tz->at[k] = (int64_t)t;
    tz->off[k] = off;
  }
  tz->n = timecnt;
  return tz->fixed_s >= -24 * 3600 && tz->fixed_s <= 24 * 3600;
}

int sqlp_tz_parse(const char *text, sqlp_tz *tz, char *err, size_t cap) {
  memset(tz, 0, sizeof *tz);
  if (!text) text = "";
  if (fixed_offset(text, &tz->fixed_s)) {
    snprintf(tz->name, sizeof tz->name, "%s", text);
    return 0;
  }
  if (!region_name(text)) {
    snprintf(err, cap,
             "Invalid time zone '%.100s': use a region of the time zone database such as "
             "'Asia/Shanghai', UTC or a fixed offset such as '+08:00'",
             text);
    return SPATE_EINVAL;
  }
  char path[128];
  snprintf(path, sizeof path, TZ_DIR "%s", text);
  FILE *f = fopen(path, "rb");
  uint8_t *buf = f ? sp_malloc(TZ_MAX_FILE) : NULL;
  size_t n = buf ? fread(buf, 1, TZ_MAX_FILE, f) : 0;
  if (f) fclose(f);
  bool ok = buf && n < TZ_MAX_FILE && parse_tzif(buf, n, tz);
  sp_free(buf);
  if (!ok) {
    sqlp_tz_free(tz);
    snprintf(err, cap, "Invalid time zone '%.100s': %s", text,
             f ? "not a time zone file of the database" : "no such region in " TZ_DIR);
    return SPATE_EINVAL;
  }
  snprintf(tz->name, sizeof tz->name, "%s", text);
  return 0;
}

void sqlp_tz_free(sqlp_tz *tz) {
  sp_free(tz->at);
  sp_free(tz->off);
  tz->at = NULL;
  tz->off = NULL;
  tz->n = 0;
}

/* The offset (ms) in force at UTC instant utc_ms. */
static int64_t offset_at(const sqlp_tz *tz, int64_t utc_ms) {
  if (tz->n == 0) return (int64_t)tz->fixed_s * 1000;
  int64_t s = utc_ms >= 0 ? utc_ms / 1000 : -((-utc_ms + 999) / 1000);
  if (s < tz->at[0]) return (int64_t)tz->fixed_s * 1000;
  uint32_t lo = 0, hi = tz->n; /* the last transition at or before s */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (tz->at[mid] <= s)
      lo = mid;
    else
      hi = mid;
  }
  return (int64_t)tz->off[lo] * 1000;
}

int64_t sqlp_tz_local(const sqlp_tz *tz, int64_t utc_ms) { return utc_ms + offset_at(tz, utc_ms); }

int64_t sqlp_tz_utc(const sqlp_tz *tz, int64_t local_ms) {
  if (tz->n == 0) return local_ms - (int64_t)tz->fixed_s * 1000;
  int64_t before = offset_at(tz, local_ms - 86400000), after = offset_at(tz, local_ms + 86400000);
  int64_t ua = local_ms - before;
  if (before == after || offset_at(tz, ua) == before) return ua; /* also a gap: moved later */
  int64_t ub = local_ms - after;
  return offset_at(tz, ub) == after ? ub : ua;
}
