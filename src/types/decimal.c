/*
 * decimal.c: DECIMAL(p, s) values as their unscaled 128-bit integer (GCC's __int128: 38 digits
 * need 127 bits): bounds per precision, text in and out as Java's BigDecimal reads and writes
 * it, and BigDecimal.hashCode, which a DataStream keyed on a BigDecimal field hashes by.
 *
 * Flink keeps DECIMAL(p <= 18) as a long and larger ones as a BigDecimal (DecimalData); the
 * unscaled value is the same number either way, so one representation serves both here.
 */
#include "types/decimal.h"

#include <ctype.h>
#include <string.h>

spate_int128 dec_pow10(int n) {
  spate_int128 x = 1;
  for (int i = 0; i < n; i++) x *= 10;
  return x;
}

bool dec_fits(spate_int128 unscaled, int precision) {
  spate_int128 lim = dec_pow10(precision);
  return unscaled < lim && unscaled > -lim;
}

/* The decimal digits of |v| (most significant first) into d; returns their count (1 for 0). */
static int abs_digits(spate_int128 v, char d[40]) {
  unsigned __int128 a = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
  char tmp[40];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + (int)(a % 10));
    a /= 10;
  } while (a);
  for (int i = 0; i < n; i++) d[i] = tmp[n - 1 - i];
  return n;
}

size_t spate_decimal_format(spate_int128 unscaled, int scale, char *buf, size_t cap) {
  /* BigDecimal.toString: with adjusted = -scale + (digits - 1), a scale >= 0 and adjusted >= -6
   * print plainly ("12.34", "0.001", "0.00"); else as the first digit, a point and the rest when
   * there is more than one, then 'E' and the adjusted exponent with its sign ("1E-7",
   * "1.23E-10", "0E-8"). Decimals here never have a negative scale. */
  char d[40], out[48];
  int nd = abs_digits(unscaled, d);
  size_t n = 0;
  if (unscaled < 0) out[n++] = '-';
  int adjusted = -scale + (nd - 1);
  if (scale == 0) {
    memcpy(out + n, d, (size_t)nd);
    n += (size_t)nd;
  } else if (adjusted >= -6) {
    if (nd > scale) {
      memcpy(out + n, d, (size_t)(nd - scale));
      n += (size_t)(nd - scale);
      out[n++] = '.';
      memcpy(out + n, d + nd - scale, (size_t)scale);
      n += (size_t)scale;
    } else {
      out[n++] = '0';
      out[n++] = '.';
      for (int i = 0; i < scale - nd; i++) out[n++] = '0';
      memcpy(out + n, d, (size_t)nd);
      n += (size_t)nd;
    }
  } else {
    out[n++] = d[0];
    if (nd > 1) {
      out[n++] = '.';
      memcpy(out + n, d + 1, (size_t)(nd - 1));
      n += (size_t)(nd - 1);
    }
    out[n++] = 'E';
    int e = adjusted; /* negative here */
    out[n++] = '-';
    char ed[8];
    int ne = 0;
    for (e = -e; e; e /= 10) ed[ne++] = (char)('0' + e % 10);
    while (ne) out[n++] = ed[--ne];
  }
  out[n] = 0;
  if (cap) {
    size_t k = n < cap - 1 ? n : cap - 1;
    memcpy(buf, out, k);
    buf[k] = 0;
  }
  return n;
}

size_t dec_to_plain(spate_int128 unscaled, int scale, char *buf) {
  char d[40];
  int nd = abs_digits(unscaled, d);
  size_t n = 0;
  if (unscaled < 0) buf[n++] = '-';
  if (scale == 0) {
    memcpy(buf + n, d, (size_t)nd);
    n += (size_t)nd;
  } else if (nd > scale) {
    memcpy(buf + n, d, (size_t)(nd - scale));
    n += (size_t)(nd - scale);
    buf[n++] = '.';
    memcpy(buf + n, d + nd - scale, (size_t)scale);
    n += (size_t)scale;
  } else {
    buf[n++] = '0';
    buf[n++] = '.';
    for (int i = 0; i < scale - nd; i++) buf[n++] = '0';
    memcpy(buf + n, d, (size_t)nd);
    n += (size_t)nd;
  }
  buf[n] = 0;
  return n;
}

int spate_decimal_parse(const char *s, size_t n, int precision, int scale, spate_int128 *out) {
  /* new BigDecimal(text): an optional sign, digits with at most one point (at least one digit),
   * and an optional exponent 'e'/'E' with an optional sign. The value is then set to the scale
   * rounding half up (DecimalData.fromBigDecimal), and must have at most precision digits. */
  if (precision < 1 || precision > 38 || scale < 0 || scale > precision) return SPATE_EINVAL;
  while (n && isspace((unsigned char)*s)) s++, n--;
  while (n && isspace((unsigned char)s[n - 1])) n--;
  size_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  /* Significant digits kept: up to 40 past the first nonzero one, which is more than any
   * DECIMAL(38) can use; later ones only decide the rounding (a sticky "more" flag). */
  char dig[48];
  int nd = 0;
  long long point_shift = 0; /* value = digits * 10^(exp10) */
  bool any = false, seen_point = false;
  for (; i < n; i++) {
    char c = s[i];
    if (c == '.') {
      if (seen_point) return SPATE_EINVAL;
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    any = true;
    if (nd == 0 && c == '0') {
      if (seen_point) point_shift--;
      continue;
    }
    if (nd < 40) {
      dig[nd++] = c;
      if (seen_point) point_shift--;
    } else {
      if (!seen_point) point_shift++; /* a dropped integer digit still counts as a place */
    }
  }
  if (!any) return SPATE_EINVAL;
  long long exp = 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    bool eneg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    if (i >= n) return SPATE_EINVAL;
    for (; i < n; i++) {
      if (s[i] < '0' || s[i] > '9') return SPATE_EINVAL;
      if (exp < 1000000000LL) exp = exp * 10 + (s[i] - '0');
    }
    if (eneg) exp = -exp;
  }
  if (i != n) return SPATE_EINVAL;
  /* digits * 10^(point_shift + exp), scaled by 10^scale: digits * 10^shift */
  long long shift = point_shift + exp + scale;
  if (nd == 0) {
    *out = 0;
    return 0;
  }
  if (shift + nd > precision) return SPATE_EINVAL; /* more integer digits than fit */
  /* the digits kept before the point of the scaled value; negative when even the first digit
   * lies further right than the one rounding looks at */
  long long keep = shift >= 0 ? nd : nd + shift;
  if (keep < -1) keep = -1;
  spate_int128 v = 0;
  for (int k = 0; k < keep; k++) v = v * 10 + (dig[k] - '0');
  if (shift > 0) v *= dec_pow10((int)shift);
  if (keep >= 0 && keep < nd && dig[keep] >= '5') v += 1; /* half up on the first digit dropped */
  if (!dec_fits(v, precision)) return SPATE_EINVAL;
  *out = neg ? -v : v;
  return 0;
}

int32_t dec_java_hash(spate_int128 unscaled, int scale) {
  /* BigDecimal.hashCode = 31 * unscaledValue().hashCode() + scale, and BigInteger.hashCode runs
   * h = 31 * h + word over the magnitude's 32-bit words from the most significant nonzero one,
   * then multiplies by the signum (int arithmetic, wrapping). BigDecimal's compact path (a long
   * unscaled value) computes the same number, so one formula holds for every precision. */
  unsigned __int128 a = unscaled < 0 ? -(unsigned __int128)unscaled : (unsigned __int128)unscaled;
  uint32_t w[4] = {(uint32_t)(a >> 96), (uint32_t)(a >> 64), (uint32_t)(a >> 32), (uint32_t)a};
  uint32_t h = 0;
  int k = 0;
  while (k < 4 && w[k] == 0) k++;
  for (; k < 4; k++) h = 31 * h + w[k];
  if (unscaled < 0) h = (uint32_t)0 - h;
  return (int32_t)(31 * h + (uint32_t)scale);
}
