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
#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at s, of which n >= 1 bytes may be read. A well-formed sequence yields
 * its length (1-4) and its code point in *cp. Otherwise the result is minus the length of the
 * maximal ill-formed prefix (at least one byte: the lead byte alone when it cannot start a
 * sequence, else the lead byte and the continuation bytes that fit before the first that does
 * not, or before the end): the bytes a decoder replaces with one U+FFFD, as Java's and the
 * Unicode standard's "maximal subpart" substitution does. *cp is then left unset. */
static inline int sp_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp) {
  uint8_t b0 = s[0];
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
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
    if (b0 == 0xE0) lo = 0xA0;      /* no overlong forms */
    else if (b0 == 0xED) hi = 0x9F; /* no surrogates */
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    c = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;      /* no overlong forms */
    else if (b0 == 0xF4) hi = 0x8F; /* nothing above U+10FFFF */
  } else {
    return -1; /* continuation byte, C0/C1 (always overlong) or F5..FF */
  }
  for (int k = 1; k <= need; k++) {
    uint8_t lo_k = k == 1 ? lo : 0x80, hi_k = k == 1 ? hi : 0xBF;
    if ((size_t)k >= n || s[k] < lo_k || s[k] > hi_k) return -k;
    c = (c << 6) | (s[k] & 0x3F);
  }
  *cp = c;
  return need + 1;
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
    uint32_t cp;
    int len = sp_utf8_decode(s + i, n - i, &cp);
    if (len < 0) return (long)i;
    i += (size_t)len;
  }
  return -1;
}
#endif
