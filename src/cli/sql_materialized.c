/*
 * sql_materialized.c: a query's result materialized as a table (sql_materialized.h).
 *
 * The rows live in one array in arrival order; rows [start, end) are the table. Dropping the
 * oldest row when the bound is reached only moves start, and the dropped slots are reclaimed in
 * batches (when start passes 1% of the bound, at most a million, as Flink's overcommit
 * threshold), so a full table takes each new row in constant time. A retraction takes the
 * newest equal row, as Flink's does (taking the newest keeps the pages before it still).
 *
 * As Flink's rowPositionCache, a hash table finds the newest row of each content (an entry per
 * distinct row that is newest of its content; removed with that row). A row remembers where it
 * was appended, counted in all rows ever shifted out by compaction plus its index (`at`); rows
 * only ever move towards the front, so `at - shifted` bounds its index from above, and the
 * retraction looks for the row itself from there backwards. A retraction whose content has no
 * entry (an older duplicate of a row retracted before) compares contents from the newest row
 * backwards. Taking the row out of the array moves the rows after it: a retraction costs the
 * rows between it and the end, as Flink's ArrayList.remove.
 */
#include "cli/sql_materialized.h"

#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/hash_table.h"

struct mat_table {
  int ncols;
  int64_t max_rows;   /* INT64_MAX when unbounded */
  int64_t overcommit; /* dropped slots tolerated before the array is compacted */
  mat_row **rows;
  int64_t start, end, cap; /* invariant: start <= end <= cap; rows[start, end) are owned */
  int64_t shifted;         /* rows moved out of the array's front by compaction, ever */
  sp_htab newest;          /* per content, the newest row with it (not every content: above) */
};

mat_table *mat_table_new(int ncols, int64_t max_rows) {
  mat_table *t = sp_calloc(1, sizeof *t);
  if (!t) return NULL;
  t->ncols = ncols;
  t->max_rows = max_rows > 0 ? max_rows : INT64_MAX;
  t->overcommit = max_rows > 0 ? max_rows / 100 : 0;
  if (t->overcommit > 1000000) t->overcommit = 1000000;
  return t;
}

void mat_table_free(mat_table *t) {
  if (!t) return;
  for (int64_t i = t->start; i < t->end; i++) sp_free(t->rows[i]);
  sp_free(t->rows);
  sp_htab_free(&t->newest);
  sp_free(t);
}

int64_t mat_table_size(const mat_table *t) { return t->end - t->start; }

static mat_row *pack(int ncols, const char *const *cells) {
  size_t len = 0;
  for (int i = 0; i < ncols; i++) len += 1 + (cells[i] ? strlen(cells[i]) + 1 : 0);
  mat_row *r = sp_malloc(sizeof *r + len);
  if (!r) return NULL;
  r->len = len;
  r->at = 0;
  char *p = r->bytes;
  for (int i = 0; i < ncols; i++) {
    *p++ = cells[i] ? 1 : 0;
    if (cells[i]) {
      size_t n = strlen(cells[i]) + 1;
      memcpy(p, cells[i], n);
      p += n;
    }
  }
  r->hash = sp_hash64(r->bytes, len);
  return r;
}

static bool same(const mat_row *a, const mat_row *b) {
  return a->hash == b->hash && a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* The slot of the newest row with r's content, or NULL. */
static sp_htab_slot *newest_slot(const mat_table *t, const mat_row *r) {
  for (sp_htab_slot *s = sp_htab_first(&t->newest, r->hash); s; s = sp_htab_next(&t->newest, s))
    if (same(s->entry, r)) return s;
  return NULL;
}

/* Forgets row r (about to leave the table) if it is its content's newest. */
static void forget(mat_table *t, const mat_row *r) {
  for (sp_htab_slot *s = sp_htab_first(&t->newest, r->hash); s; s = sp_htab_next(&t->newest, s))
    if (s->entry == r) {
      sp_htab_remove(&t->newest, s);
      return;
    }
}

void mat_row_cells(const mat_row *row, int ncols, const char **cells) {
  const char *p = row->bytes;
  for (int i = 0; i < ncols; i++) {
    if (*p++) {
      cells[i] = p;
      p += strlen(p) + 1;
    } else {
      cells[i] = NULL;
    }
  }
}

static void compact(mat_table *t) {
  memmove(t->rows, t->rows + t->start, sizeof *t->rows * (size_t)(t->end - t->start));
  t->end -= t->start;
  t->shifted += t->start;
  t->start = 0;
}

/* Appends r (owned by the table from here on, unless this fails). */
static int insert(mat_table *t, mat_row *r) {
  /* room first, so that nothing has changed when this fails */
  if (t->end == t->cap && t->start == 0) {
    int64_t cap = t->cap ? t->cap * 2 : 64;
    mat_row **rows = sp_realloc(t->rows, sizeof *rows * (size_t)cap);
    if (!rows) return SPATE_ENOMEM;
    t->rows = rows;
    t->cap = cap;
  }
  if (sp_htab_reserve(&t->newest, 1) < 0) return SPATE_ENOMEM;
  if (t->end - t->start >= t->max_rows) { /* the oldest row goes */
    forget(t, t->rows[t->start]);
    sp_free(t->rows[t->start]);
    t->rows[t->start++] = NULL;
    if (t->start > t->overcommit) compact(t);
  }
  if (t->end == t->cap) compact(t); /* start > 0 here */
  r->at = t->shifted + t->end;
  t->rows[t->end++] = r;
  sp_htab_slot *s = newest_slot(t, r);
  if (s)
    s->entry = r; /* r is now its content's newest */
  else
    sp_htab_insert(&t->newest, r->hash, r);
  return 0;
}

static void take_out(mat_table *t, int64_t i) {
  sp_free(t->rows[i]);
  memmove(&t->rows[i], &t->rows[i + 1], sizeof *t->rows * (size_t)(t->end - i - 1));
  t->end--;
}

static void retract(mat_table *t, const mat_row *r) {
  sp_htab_slot *s = newest_slot(t, r);
  if (s) {
    mat_row *o = s->entry;
    sp_htab_remove(&t->newest, s);
    int64_t i = o->at - t->shifted;
    if (i > t->end - 1) i = t->end - 1;
    for (; i >= t->start; i--)
      if (t->rows[i] == o) {
        take_out(t, i);
        return;
      }
    return; /* not reached: a row in the hash table is in the array */
  }
  for (int64_t i = t->end - 1; i >= t->start; i--)
    if (same(t->rows[i], r)) {
      take_out(t, i);
      return;
    }
}

int mat_table_apply(mat_table *t, const char *op, const char *const *cells) {
  bool add;
  if (strcmp(op, "+I") == 0 || strcmp(op, "+U") == 0)
    add = true;
  else if (strcmp(op, "-U") == 0 || strcmp(op, "-D") == 0)
    add = false;
  else
    return SPATE_EINVAL;
  mat_row *r = pack(t->ncols, cells);
  if (!r) return SPATE_ENOMEM;
  if (add) {
    int rc = insert(t, r);
    if (rc) sp_free(r);
    return rc;
  }
  retract(t, r);
  sp_free(r);
  return 0;
}

int64_t mat_table_copy(const mat_table *t, int64_t from, int64_t n, mat_row **out) {
  int64_t size = t->end - t->start;
  if (from < 0) from = 0;
  if (from + n > size) n = size - from;
  if (n <= 0) return 0;
  for (int64_t i = 0; i < n; i++) {
    const mat_row *r = t->rows[t->start + from + i];
    out[i] = sp_malloc(sizeof *r + r->len);
    if (!out[i]) {
      while (i-- > 0) sp_free(out[i]);
      return SPATE_ENOMEM;
    }
    memcpy(out[i], r, sizeof *r + r->len);
  }
  return n;
}
