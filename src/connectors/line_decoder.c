/*
 * line_decoder.c: a source's lines into rows, with the source's format or as text (see
 * line_decoder.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "connectors/line_decoder.h"

/* "<fields>/<i>,<j>,...": d->slot[line field] = output field or -1; each output field once. */
static int read_projection(line_decoder *d, const char *v, int nout) {
  char *end;
  long n = strtol(v, &end, 10);
  if (*end != '/' || n < 1 || n > 1000000) return SPATE_EINVAL;
  if (!(d->slot = sp_malloc(sizeof *d->slot * (size_t)n))) return SPATE_ENOMEM;
  for (long j = 0; j < n; j++) d->slot[j] = -1;
  int k = 0;
  for (const char *s = end + 1; *s; k++) {
    long j = strtol(s, &end, 10);
    if (end == s || j < 0 || j >= n || d->slot[j] >= 0 || k >= nout) return SPATE_EINVAL;
    d->slot[j] = k;
    s = *end == ',' ? end + 1 : end;
    if (*end && *end != ',') return SPATE_EINVAL;
  }
  if (k != nout) return SPATE_EINVAL;
  d->opts.line_fields = (int)n;
  d->opts.slot = d->slot;
  return 0;
}

void line_decoder_free(line_decoder *d) {
  sp_free(d->slot);
  d->slot = NULL;
}

int line_decoder_init(op_t *op, line_decoder *d, const op_str_list *format) {
  *d = (line_decoder){0};
  char err[300];
  /* the format's own pairs, without the projection */
  const char *proj = NULL;
  uint32_t n = format->n;
  const char **v = n ? sp_malloc(sizeof *v * n) : NULL;
  if (n && !v) return op_fail(op, SPATE_ENOMEM, "%s: out of memory", op->node->name);
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (i % 2 == 1 && i + 1 < n && strcmp(format->v[i], "projection") == 0) {
      proj = format->v[++i];
      continue;
    }
    v[m++] = format->v[i];
  }
  int rc = fmt_options_from_list(&d->opts, m, v, err, sizeof err);
  sp_free(v);
  if (rc == SPATE_ENOENT) return 0;
  if (rc < 0) return op_fail(op, rc, "%s: bad format parameters: %s", op->node->name, err);
  if (proj && d->opts.kind == FMT_CSV &&
      (rc = read_projection(d, proj, op->node->out_schema->nfields)) < 0)
    return op_fail(op, rc, "%s: bad projection parameter '%s'", op->node->name, proj);
  d->formatted = true;
  if (d->opts.ignore_parse_errors &&
      !(d->parse_errors = spate_ctx_counter(&op->ctx, LINE_DECODER_ERRORS_METRIC)))
    return op_fail(op, SPATE_ENOMEM, "cannot register the %s metric", LINE_DECODER_ERRORS_METRIC);
  return 0;
}

int line_decoder_emit(op_t *op, line_decoder *d, const char *line, size_t len, const char *where,
                      int64_t line_no, int64_t offset) {
  spate_row row;
  if (!d->formatted) {
    spate_rb_begin(&op->rb);
    spate_rb_set_string(&op->rb, 0, line, len);
    return op_emit_built(op, INT64_MIN, op->node->name);
  }
  fmt_error e;
  int rc = fmt_decode(&d->opts, op->node->out_schema, line, len, &op->rb, &row, &e);
  if (rc == 1) {
    if (e.nulled) spate_counter_inc(d->parse_errors); /* a field set to NULL: one per line */
    return output_emit(&op->out, INT64_MIN, &row);
  }
  if (rc == 0) return 0;
  if (rc == SPATE_EINVAL && d->opts.ignore_parse_errors) {
    spate_counter_inc(d->parse_errors);
    return 0;
  }
  if (rc != SPATE_EINVAL) return op_fail(op, rc, "%s: cannot decode a line", where);
  if (line_no > 0)
    return op_fail(op, rc, "%s:%lld:%d: %s", where, (long long)line_no, e.column, e.message);
  return op_fail(op, rc, "%s: the line at byte offset %lld, column %d: %s", where,
                 (long long)offset, e.column, e.message);
}
