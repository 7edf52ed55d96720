/*
 * scope_format.c: parsing Flink's metric scope templates and binding them to a group's
 * variables (scope_format.h).
 */
#include "metrics/scope_format.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

int scope_format_parse(const char *text, const char *key, scope_format *out, char *err,
                       size_t err_len) {
  memset(out, 0, sizeof *out);
  if (!text || !*text)
    return sp_err(err, err_len, SPATE_EINVAL, "%s: empty metric scope format", key);
  int n = 1;
  for (const char *p = text; *p; p++) n += *p == '.';
  out->parts = sp_calloc((size_t)n, sizeof *out->parts);
  if (!out->parts) return SPATE_ENOMEM;
  const char *p = text;
  for (int i = 0; i < n; i++) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    if (len == 0) {
      scope_format_free(out);
      return sp_err(err, err_len, SPATE_EINVAL,
                    "%s: metric scope format '%s' has an empty component at position %d", key, text,
                    (int)(p - text) + 1);
    }
    if (i == 0 && len == 1 && *p == '*') {
      out->inherit = true;
    } else if (!(out->parts[out->n++] = sp_strndup(p, len))) {
      scope_format_free(out);
      return SPATE_ENOMEM;
    }
    p += len + 1;
  }
  return 0;
}

void scope_format_free(scope_format *f) {
  for (int i = 0; i < f->n; i++) sp_free(f->parts[i]);
  sp_free(f->parts);
  memset(f, 0, sizeof *f);
}

const char *scope_format_apply(const scope_format *f, const char *parent, const char *delim,
                               const char *(*lookup)(const void *arg, const char *var),
                               const void *arg, char *buf, size_t len) {
  size_t off = 0;
  buf[0] = 0;
  if (f->inherit && parent && *parent) off = (size_t)snprintf(buf, len, "%s", parent);
  for (int i = 0; i < f->n && off < len; i++) {
    const char *part = f->parts[i];
    size_t plen = strlen(part);
    const char *v = plen > 2 && part[0] == '<' && part[plen - 1] == '>' ? lookup(arg, part) : NULL;
    off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? delim : "", v ? v : part);
  }
  return buf;
}
