/*
 * base64.h: the one Base64 codec (RFC 4648, the standard alphabet with '=' padding, as Java's
 * Base64.getEncoder()/getDecoder() use). The csv and json formats (connectors/format.c) write and
 * read BYTES fields with it, as Flink writes BINARY/VARBINARY in those formats.
 */
#ifndef SPATE_BASE_BASE64_H
#define SPATE_BASE_BASE64_H
#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

/* The length of the encoding of n bytes. */
static inline size_t sp_base64_encoded_len(size_t n) { return (n + 2) / 3 * 4; }
/* Appends the encoding of s[0, n) to sb. Returns 0 or SPATE_ENOMEM. */
int sp_base64_append(sp_strbuf *sb, const void *s, size_t n);
/* Decodes s[0, n) into out (room for n / 4 * 3 bytes) and sets *out_len. Returns false when s is
 * not Base64: a length not a multiple of 4, a character outside the alphabet, padding other than
 * one or two '=' at the end, or non-zero bits in the padded group's last character (Java's
 * decoder is as strict except for the last rule, which makes every encoding unique). */
bool sp_base64_decode(const char *s, size_t n, void *out, size_t *out_len);
#endif
