/*
 * line_decoder.h: what turns a source's lines into rows: the text sources' one STRING field, or
 * a format's rows (connectors/format.h). Shared by the file, directory-monitoring and socket
 * sources. A line that does not parse fails the operator with "<where>:<line>:<column>: <what>"
 * or, with the format's ignore-parse-errors, is dropped and counted in the operator's counter
 * "numParseErrors" (registered in the operator's metric group, next to the user metrics).
 */
#ifndef SPATE_CONNECTORS_LINE_DECODER_H
#define SPATE_CONNECTORS_LINE_DECODER_H
#include "connectors/format.h"
#include "graph/op_params.h"
#include "runtime/operator.h"

#define LINE_DECODER_ERRORS_METRIC "numParseErrors"

typedef struct line_decoder {
  bool formatted; /* a format, else plain text lines */
  fmt_options opts;
  spate_counter *parse_errors; /* formatted only */
  int *slot;                   /* the projection's line fields (opts.slot), or NULL */
} line_decoder;

/* Sets d up for the format list of the operator's params (empty: text lines); an operator error
 * on bad params. Besides the format's options the list may hold "projection" =
 * "<fields>/<i>,<j>,...": a line has <fields> fields and the operator's output schema is fields
 * i, j, ... of them (the SQL planner's projection push-down; the others are not converted). */
int line_decoder_init(op_t *op, line_decoder *d, const op_str_list *format);
/* Frees what init allocated (d may be zeroed). */
void line_decoder_free(line_decoder *d);
/* Decodes one line and emits its row (if it is a record). where names the input ("orders.csv",
 * "localhost:9000"); line_no is the line's 1-based number, or 0 when unknown, when offset (its
 * byte offset) is named instead. Returns 0 or a negative code (operator error set). */
int line_decoder_emit(op_t *op, line_decoder *d, const char *line, size_t len, const char *where,
                      int64_t line_no, int64_t offset);
#endif
