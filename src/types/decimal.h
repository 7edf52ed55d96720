/*
 * decimal.h: DECIMAL(p, s) values as 128-bit unscaled integers (decimal.c): bounds, Java's text
 * forms and hash. The public half (spate_decimal_format, spate_decimal_parse) is in spate.h.
 */
#ifndef SPATE_TYPES_DECIMAL_H
#define SPATE_TYPES_DECIMAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spate/spate.h"

#define DEC_MAX_PRECISION 38
#define DEC_COMPACT_PRECISION 18 /* up to here the unscaled value fits an int64 slot */
#define DEC_TEXT_MAX 48          /* sign, 38 digits, point, exponent and NUL fit */

/* 10^n for 0 <= n <= 38. */
spate_int128 dec_pow10(int n);
/* Whether |unscaled| < 10^precision. */
bool dec_fits(spate_int128 unscaled, int precision);
/* BigDecimal.toPlainString (no exponent) into buf of DEC_TEXT_MAX bytes; returns the length. */
size_t dec_to_plain(spate_int128 unscaled, int scale, char *buf);
/* BigDecimal.hashCode of unscaled * 10^-scale. */
int32_t dec_java_hash(spate_int128 unscaled, int scale);
#endif
