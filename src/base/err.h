/*
 * err.h: error values. Codes are the public SPATE_E* values; the detailed message lives on the
 * object that failed (a job, a task, a parser) in a fixed char array, so it can travel unchanged
 * to the CLI and the REST API.
 */
#ifndef SPATE_BASE_ERR_H
#define SPATE_BASE_ERR_H
#include <stddef.h>
#include "spate/spate.h"

#define SP_ERRMSG_MAX 1024

/* Formats a message into buf (cap bytes, always NUL-terminated) and returns rc, so that
 * `return sp_err(buf, sizeof buf, SPATE_EINVAL, "...")` sets and propagates in one line. */
int sp_err(char *buf, size_t cap, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#endif
