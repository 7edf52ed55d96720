/*
 * base64.c: Base64 (RFC 4648) encoding and strict decoding (see base64.h).
 */
#include "base/base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sp_base64_append(sp_strbuf *sb, const void *s, size_t n) {
  int rc = sp_strbuf_reserve(sb, sp_base64_encoded_len(n));
  if (rc) return rc;
  const unsigned char *p = s;
  char *o = sb->data + sb->len;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                 (i + 2 < n ? p[i + 2] : 0);
    *o++ = alphabet[v >> 18 & 63];
    *o++ = alphabet[v >> 12 & 63];
    *o++ = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
    *o++ = i + 2 < n ? alphabet[v & 63] : '=';
  }
  sb->len = (size_t)(o - sb->data);
  sb->data[sb->len] = 0;
  return 0;
}

/* The 6-bit value of c, or -1. */
static int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

bool sp_base64_decode(const char *s, size_t n, void *out, size_t *out_len) {
  if (n % 4) return false;
  unsigned char *o = out;
  size_t len = 0;
  for (size_t i = 0; i < n; i += 4) {
    bool last = i + 4 == n;
    int pad = last && s[i + 3] == '=' ? (s[i + 2] == '=' ? 2 : 1) : 0;
    int v[4] = {0, 0, 0, 0};
    for (int k = 0; k < 4 - pad; k++)
      if ((v[k] = sextet(s[i + k])) < 0) return false;
    unsigned x = (unsigned)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
    if ((pad == 2 && (x & 0xffff)) || (pad == 1 && (x & 0xff))) return false;
    o[len++] = (unsigned char)(x >> 16);
    if (pad < 2) o[len++] = (unsigned char)(x >> 8);
    if (pad < 1) o[len++] = (unsigned char)x;
  }
  *out_len = len;
  return true;
}
