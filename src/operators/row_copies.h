/*
 * row_copies.h: copies of rows that must outlive the views they were read through (a keyed
 * state's views end with the next write to it), for operators that read a key's rows, work on
 * them and write them back (sql_rank.c, sql_over_agg.c). The copies' bytes share one growing
 * buffer; the views of them form an array the owner may reorder, insert into and shorten. Views
 * are set by rcopies_views once every copy is made (the buffer may move while copying). Nothing
 * is allocated once the buffers have grown to the largest key's size.
 */
#ifndef SPATE_OPERATORS_ROW_COPIES_H
#define SPATE_OPERATORS_ROW_COPIES_H
#include <stddef.h>
#include <stdint.h>

#include "types/row.h"

typedef struct row_copies {
  spate_row *v; /* n views (after rcopies_views) */
  int n, cap;
  size_t *off; /* where each copy's bytes are (until views are reordered) */
  uint8_t *bytes;
  size_t len, bcap;
} row_copies;

/* Forgets every copy (keeps the memory). */
static inline void rcopies_clear(row_copies *c) {
  c->n = 0;
  c->len = 0;
}
/* Appends a copy of r (its view set by rcopies_views). 0 or SPATE_ENOMEM. */
int rcopies_add(row_copies *c, const spate_row *r);
/* Sets the views of the copies made since the last rcopies_clear. */
void rcopies_views(row_copies *c);
/* Inserts view r at index at (its bytes stay where they are). 0 or SPATE_ENOMEM. */
int rcopies_insert(row_copies *c, int at, spate_row r);
/* Drops the view at index at. */
void rcopies_remove(row_copies *c, int at);
void rcopies_free(row_copies *c);
#endif
