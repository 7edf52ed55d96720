/*
 * operator_state.c: the user's operator state (spate_ctx_operator_state): named lists of rows
 * per operator subtask, written into checkpoints as list states "user/<name>" with SPLIT or
 * UNION redistribution (state/snapshot.h), and filled from the restored snapshot when the
 * function declares them in its open function (the task sets op->restored before opening).
 *
 * Rows are copied one allocation each: operator state is meant to be small (offsets, buffered
 * handfuls), as in Flink.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "runtime/operator.h"
#include "types/row.h"

struct spate_operator_state {
  op_t *op;
  char *name;
  char list[160]; /* "user/<name>" */
  snap_list_mode mode;
  const spate_schema *schema;
  size_t n, cap;
  uint8_t **rows;
  uint32_t *lens;
};

static op_t *op_of(spate_ctx *ctx) { return (op_t *)(void *)((char *)ctx - offsetof(op_t, ctx)); }

static int append(spate_operator_state *s, const void *data, uint32_t len) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    uint8_t **r = sp_realloc(s->rows, cap * sizeof *r);
    if (!r) return SPATE_ENOMEM;
    s->rows = r;
    uint32_t *l = sp_realloc(s->lens, cap * sizeof *l);
    if (!l) return SPATE_ENOMEM;
    s->lens = l;
    s->cap = cap;
  }
  uint8_t *copy = sp_malloc(len ? len : 1);
  if (!copy) return SPATE_ENOMEM;
  if (len) memcpy(copy, data, len);
  s->rows[s->n] = copy;
  s->lens[s->n] = len;
  s->n++;
  return 0;
}

void spate_operator_state_clear(spate_operator_state *s) {
  for (size_t i = 0; i < s->n; i++) sp_free(s->rows[i]);
  s->n = 0;
}

static void state_free(spate_operator_state *s) {
  spate_operator_state_clear(s);
  sp_free(s->rows);
  sp_free(s->lens);
  sp_free(s->name);
  sp_free(s);
}

void op_free_user_state(op_t *op) {
  for (int i = 0; i < op->nustates; i++) state_free(op->ustates[i]);
  sp_free(op->ustates);
  op->ustates = NULL;
  op->nustates = 0;
}

/* Fills a newly declared state from the restored snapshot; every row is checked against the
 * schema, so a state restored into a function that changed its rows fails with a message. */
static int load_restored(op_t *op, spate_operator_state *s) {
  const snap_list_view *l = op->restored ? snap_restore_list(op->restored, s->list) : NULL;
  if (!l) return 0;
  if (l->mode != s->mode)
    return spate_ctx_fail(&op->ctx,
                          "operator state '%s' was checkpointed as a %s list, declared "
                          "as %s",
                          s->name, l->mode == SNAP_UNION ? "UNION" : "SPLIT",
                          s->mode == SNAP_UNION ? "UNION" : "SPLIT");
  for (uint32_t i = 0; i < l->count; i++) {
    char msg[256];
    if (row_validate(l->data[i], l->len[i], s->schema, true, msg, sizeof msg) < 0)
      return spate_ctx_fail(&op->ctx, "restored operator state '%s', row %u: %s", s->name, i, msg);
    if (append(s, l->data[i], l->len[i]) < 0) return spate_ctx_fail(&op->ctx, "out of memory");
  }
  return 0;
}

spate_operator_state *spate_ctx_operator_state(spate_ctx *ctx, const char *name,
                                               const spate_schema *schema,
                                               spate_list_redistribution mode) {
  op_t *op = op_of(ctx);
  if (!name || !name[0] || strlen(name) > 120 || !schema ||
      (mode != SPATE_LIST_SPLIT && mode != SPATE_LIST_UNION)) {
    spate_ctx_fail(ctx,
                   "spate_ctx_operator_state: a name (up to 120 bytes), a schema and "
                   "SPATE_LIST_SPLIT or SPATE_LIST_UNION are required");
    return NULL;
  }
  snap_list_mode m = mode == SPATE_LIST_UNION ? SNAP_UNION : SNAP_SPLIT;
  for (int i = 0; i < op->nustates; i++)
    if (strcmp(op->ustates[i]->name, name) == 0) {
      if (op->ustates[i]->mode == m) return op->ustates[i];
      spate_ctx_fail(ctx, "operator state '%s' is already declared with another redistribution",
                     name);
      return NULL;
    }
  spate_operator_state *s = sp_calloc(1, sizeof *s);
  spate_operator_state **n =
      s ? sp_realloc(op->ustates, sizeof *n * (size_t)(op->nustates + 1)) : NULL;
  if (!n || !(s->name = sp_strdup(name))) {
    if (n) op->ustates = n;
    sp_free(s);
    spate_ctx_fail(ctx, "out of memory");
    return NULL;
  }
  op->ustates = n;
  s->op = op;
  s->mode = m;
  s->schema = schema;
  snprintf(s->list, sizeof s->list, "user/%s", name);
  if (load_restored(op, s) < 0) {
    state_free(s);
    return NULL;
  }
  op->ustates[op->nustates++] = s;
  return s;
}

int spate_operator_state_add(spate_operator_state *s, const spate_row *row) {
  if (!row || row->nfields != (uint32_t)s->schema->nfields)
    return spate_ctx_fail(&s->op->ctx, "operator state '%s' takes rows of %d fields", s->name,
                          s->schema->nfields);
  if (append(s, row->data, row->len) < 0) return spate_ctx_fail(&s->op->ctx, "out of memory");
  return 0;
}

size_t spate_operator_state_size(const spate_operator_state *s) { return s->n; }

bool spate_operator_state_get(const spate_operator_state *s, size_t i, spate_row *out) {
  if (i >= s->n) return false;
  out->data = s->rows[i];
  out->len = s->lens[i];
  out->nfields = (uint32_t)s->schema->nfields;
  return true;
}

int op_snapshot_user_state(op_t *op, snap_writer *w) {
  for (int i = 0; i < op->nustates; i++) {
    spate_operator_state *s = op->ustates[i];
    for (size_t k = 0; k < s->n; k++) {
      int rc = snap_list_add(w, s->list, s->mode, s->rows[k], s->lens[k]);
      if (rc < 0) return rc;
    }
  }
  return 0;
}
