/*
 * window_elements.h: the iterator behind the public spate_window_elements, shared by the
 * operators that hand window contents to user functions (windows, window coGroup). It walks
 * either a list state (it) or an array of rows (rows, n).
 */
#ifndef SPATE_OPERATORS_WINDOW_ELEMENTS_H
#define SPATE_OPERATORS_WINDOW_ELEMENTS_H
#include "state/keyed_state.h"

struct spate_window_elements {
  ks_list_iter it;
  const spate_row *rows; /* NULL: iterate `it` */
  size_t n, i;
};
#endif
