/*
 * row_kind.h: Flink's RowKind, the change a row of a SQL changelog stands for, and where Spate's
 * rows carry it.
 *
 * Flink's values and short strings (RowKind.toByteValue / shortString): +I INSERT 0, -U
 * UPDATE_BEFORE 1, +U UPDATE_AFTER 2, -D DELETE 3.
 *
 * Where: an append-only SQL stream (the planner's changelog mode "I", e.g. a scan, a projection,
 * a window aggregation) carries plain rows, every one an insertion. An updating stream (any
 * other mode, e.g. an unwindowed GROUP BY) carries its rows with one extra last field,
 * ROW_KIND_FIELD_NAME, TINYINT NOT NULL, holding the kind's byte value; the columns before it
 * keep their indices. Whether a stream is updating is the planner's to know and every SQL
 * operator's parameters say so for its input and output; a sink that shows kinds (print, the
 * client's results) reads the field, one that cannot take updates is refused at planning.
 */
#ifndef SPATE_TYPES_ROW_KIND_H
#define SPATE_TYPES_ROW_KIND_H
#include <stdint.h>

typedef enum row_kind {
  ROW_KIND_INSERT = 0,
  ROW_KIND_UPDATE_BEFORE = 1,
  ROW_KIND_UPDATE_AFTER = 2,
  ROW_KIND_DELETE = 3,
} row_kind;

#define ROW_KIND_FIELD_NAME "$row_kind"

/* "+I", "-U", "+U", "-D"; "??" for a byte that is no kind. */
static inline const char *row_kind_short(int k) {
  static const char *const names[] = {"+I", "-U", "+U", "-D"};
  return k >= 0 && k <= 3 ? names[k] : "??";
}

/* Whether a row of this kind adds to a result (+I, +U) rather than retracts (-U, -D). */
static inline int row_kind_is_accumulate(int k) {
  return k == ROW_KIND_INSERT || k == ROW_KIND_UPDATE_AFTER;
}
#endif
