/*
 * spate/side_input.h: a bounded side input for a lookup join, read from a CSV file of "key,value"
 * lines (Nexmark q13's side_input table: key BIGINT, value VARCHAR) and kept sorted by key, so a
 * join finds a key's rows by binary search. One row per line; the value optionally in double
 * quotes (RFC 4180: "" inside is one quote; it may then hold commas); an empty line is skipped
 * and a trailing "\r" dropped. Anything else fails with "<name>:<line>:<column>: <what>": a key
 * that is not a BIGINT, no comma, a third field, a stray or unbalanced quote, invalid UTF-8.
 * Equal keys keep the file's order.
 */
#ifndef SPATE_SIDE_INPUT_H
#define SPATE_SIDE_INPUT_H
#include <stddef.h>
#include <stdint.h>

typedef struct spate_side_input spate_side_input;

/* Parses text (len bytes, any bytes; name is what messages call it). Returns 0 and *out, or
 * SPATE_EINVAL with err naming name, line and column, or SPATE_ENOMEM (*out = NULL). */
int spate_side_input_parse(const char *name, const char *text, size_t len, spate_side_input **out,
                           char *err, size_t cap);
/* Reads the file at path and parses it (messages name the path); SPATE_EIO if it cannot be
 * read. */
int spate_side_input_load(const char *path, spate_side_input **out, char *err, size_t cap);
void spate_side_input_free(spate_side_input *s);

size_t spate_side_input_size(const spate_side_input *s);
/* The rows of key: indexes [first, *end) (first == *end: none). */
size_t spate_side_input_find(const spate_side_input *s, int64_t key, size_t *end);
int64_t spate_side_input_key(const spate_side_input *s, size_t i);
const char *spate_side_input_value(const spate_side_input *s, size_t i, size_t *len);
#endif
