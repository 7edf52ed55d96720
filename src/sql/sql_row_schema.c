/* sql_row_schema.c: the row schema of SQL columns (sql_row_schema.h). */
#include "sql/sql_row_schema.h"

#include <string.h>

#include "base/err.h"
#include "types/row_kind.h"

/* Appends a name in backquotes, a backquote inside doubled. */
static int quote_name(sp_strbuf *sb, const char *name) {
  int rc = sp_strbuf_append(sb, "`", 1);
  for (const char *p = name; rc == 0 && *p; p++) {
    rc = sp_strbuf_append(sb, p, 1);
    if (rc == 0 && *p == '`') rc = sp_strbuf_append(sb, "`", 1);
  }
  return rc ? rc : sp_strbuf_append(sb, "`", 1);
}

int sql_row_schema(const char *const *names, const sql_type *const *types, int n, bool with_kind,
                   spate_schema **out, char *err, size_t cap) {
  *out = NULL;
  sp_strbuf sb = {0};
  int rc = 0;
  for (int i = 0; rc == 0 && i < n; i++) {
    if (i > 0) rc = sp_strbuf_append(&sb, ", ", 2);
    if (rc == 0) rc = quote_name(&sb, names[i]);
    if (rc == 0) rc = sp_strbuf_append(&sb, " ", 1);
    if (rc == 0) rc = sql_type_format(types[i], &sb);
  }
  if (rc == 0 && with_kind) {
    if (n > 0) rc = sp_strbuf_append(&sb, ", ", 2);
    if (rc == 0) rc = quote_name(&sb, ROW_KIND_FIELD_NAME);
    if (rc == 0) rc = sp_strbuf_append(&sb, " TINYINT NOT NULL", 17);
  }
  if (rc == 0 && n == 0 && !with_kind) {
    sp_strbuf_free(&sb);
    return sp_err(err, cap, SPATE_EINVAL, "a row needs at least one column");
  }
  if (rc != 0) {
    sp_strbuf_free(&sb);
    return sp_err(err, cap, SPATE_ENOMEM, "out of memory building a row schema");
  }
  char perr[256];
  rc = spate_schema_parse(sb.data, out, perr, sizeof perr);
  if (rc != 0)
    rc = sp_err(err, cap, SPATE_EINVAL, "the columns (%s) have no row schema: %s", sb.data, perr);
  sp_strbuf_free(&sb);
  return rc;
}
