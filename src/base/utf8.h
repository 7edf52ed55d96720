/*
 * utf8.h: the one UTF-8 decoder. Row validation (types/row.c), line sources
 * (connectors/line_reader.c), Java's String.hashCode over UTF-16 units (base/hash.c) and the
 * JSON plan's repair of names that are not UTF-8 (graph/plan_json.c) all decode with it, so
 * they agree on what well-formed UTF-8 is: RFC 3629, no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF.
 *
 * Both functions are inline: row validation, line reading and Java string hashing run them on
 * every record (no utf8.c).
 */
#ifndef SPATE_BASE_UTF8_H
#define SPATE_BASE_UTF8_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at s[*i] of s[0, len) (*i < len) and advances *i past it. A well-formed
 * sequence yields true and its code point in *cp. An ill-formed one yields false (*cp unset) and
 * *i advances past its maximal ill-formed prefix: the lead byte alone when it cannot start a
 * sequence, else the lead byte and the continuation bytes that fit before the first that does
 * not, or before the end; the bytes a decoder replaces with one U+FFFD, as Java's decoder and
 * the Unicode standard's "maximal subpart" substitution do. (An index rather than a pointer:
 * Java string hashing compiled measurably tighter this way.) */
static inline bool sp_utf8_next(const uint8_t *s, size_t len, size_t *i, uint32_t *cp) {
  uint8_t b0 = s[*i];
  if (b0 < 0x80) {
    (*i)++;
    *cp = b0;
    return true;
  }
  int need;
  uint32_t c;
  uint8_t lo = 0x80, hi = 0xBF; /* valid range of the second byte */
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    c = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    c = b0 & 0x0F;
    if (b0 == 0xE0)
      lo = 0xA0; /* no overlong forms */
    else if (b0 == 0xED)
      hi = 0x9F; /* no surrogates */
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    c = b0 & 0x07;
    if (b0 == 0xF0)
      lo = 0x90; /* no overlong forms */
    else if (b0 == 0xF4)
      hi = 0x8F; /* nothing above U+10FFFF */
  } else {
    (*i)++; /* continuation byte, C0/C1 (always overlong) or F5..FF */
    return false;
  }
  size_t j = *i + 1;
  for (int k = 0; k < need; k++, j++) {
    uint8_t lo_k = k == 0 ? lo : 0x80, hi_k = k == 0 ? hi : 0xBF;
    if (j >= len || s[j] < lo_k || s[j] > hi_k) {
      *i = j;
      return false;
    }
    c = (c << 6) | (s[j] & 0x3F);
  }
  *i = j;
  *cp = c;
  return true;
}

/* Strict UTF-8 check of p[0, n): the byte offset of the first byte that does not begin a
 * well-formed sequence, or -1 when all of it is well formed. Plain ASCII, by far the most common
 * text, skips the decoder a byte at a time. */
static inline long sp_utf8_invalid_at(const char *p, size_t n) {
  const uint8_t *s = (const uint8_t *)p;
  size_t i = 0;
  while (i < n) {
    if (s[i] < 0x80) {
      i++;
      continue;
    }
    size_t at = i;
    uint32_t cp;
    if (!sp_utf8_next(s, n, &i, &cp)) return (long)at;
  }
  return -1;
}
#endif
