/*
 * line_decoder.c: a source's lines into rows, with the source's format or as text (see
 * line_decoder.h).
 */
#include <stdio.h>

#include "connectors/line_decoder.h"

int line_decoder_init(op_t *op, line_decoder *d, const op_str_list *format) {
  *d = (line_decoder){0};
  char err[300];
  int rc = fmt_options_from_list(&d->opts, format->n, format->v, err, sizeof err);
  if (rc == SPATE_ENOENT) return 0;
  if (rc < 0) return op_fail(op, rc, "%s: bad format parameters: %s", op->node->name, err);
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
