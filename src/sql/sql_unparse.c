/*
 * sql_unparse.c: prints a tree back as canonical SQL (see sql_unparse in sql_ast.h). Tests
 * compare this text to prove what the parser built; EXPLAIN's abstract syntax tree and error
 * messages of later phases can quote it.
 *
 * Canonical means: keywords upper case; identifiers in backquotes (a backquote doubled), as
 * Flink's unparse writes them; unquoted function names upper case without quotes (Flink looks
 * functions up case-insensitively); an operand that is itself an operator expression in
 * parentheses, so a + b * c prints as `a` + (`b` * `c`); set operations nested in set
 * operations, and joins on the right of joins, in parentheses; single spaces, one line.
 * Re-parsing the output gives the same tree, which the fuzz target checks.
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "sql/sql_ast.h"

typedef struct out {
  sp_strbuf *sb;
  int rc;
} out;

static void put(out *o, const char *s) {
  if (!o->rc) o->rc = sp_strbuf_add(o->sb, s);
}

static void put_n(out *o, const char *s, size_t n) {
  if (!o->rc) o->rc = sp_strbuf_append(o->sb, s, n);
}

static void put_quoted(out *o, const char *s, size_t n, char q) {
  put_n(o, &q, 1);
  size_t from = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] == q) {
      put_n(o, s + from, i + 1 - from);
      put_n(o, &q, 1);
      from = i + 1;
    }
  put_n(o, s + from, n - from);
  put_n(o, &q, 1);
}

static void put_string(out *o, const char *s) { put_quoted(o, s, strlen(s), '\''); }

static void put_name(out *o, sql_name n) { put_quoted(o, n.s, strlen(n.s), '`'); }

static void put_names(out *o, sql_name_list l) {
  put(o, "(");
  for (int i = 0; i < l.n; i++) {
    if (i) put(o, ", ");
    put_name(o, l.v[i]);
  }
  put(o, ")");
}

static void node(out *o, const sql_node *n);

static void list(out *o, sql_list l, const char *sep) {
  for (int i = 0; i < l.n; i++) {
    if (i) put(o, sep);
    node(o, l.v[i]);
  }
}

static int is_operation(const sql_node *n) {
  return n->kind == SQL_BINARY || n->kind == SQL_UNARY || n->kind == SQL_BETWEEN ||
         n->kind == SQL_LIKE || n->kind == SQL_IN;
}

/* An operand: parenthesised when it is an operation itself. */
static void operand(out *o, const sql_node *n) {
  if (is_operation(n)) {
    put(o, "(");
    node(o, n);
    put(o, ")");
  } else {
    node(o, n);
  }
}

static void qual(out *o, const sql_interval_qual *q) {
  char buf[32];
  put(o, sql_unit_name(q->start));
  if (q->start_precision >= 0 && q->end == SQL_UNIT_NONE && q->frac_precision >= 0) {
    snprintf(buf, sizeof buf, "(%d, %d)", q->start_precision, q->frac_precision);
    put(o, buf);
  } else if (q->start_precision >= 0) {
    snprintf(buf, sizeof buf, "(%d)", q->start_precision);
    put(o, buf);
  }
  if (q->end != SQL_UNIT_NONE) {
    put(o, " TO ");
    put(o, sql_unit_name(q->end));
    if (q->frac_precision >= 0) {
      snprintf(buf, sizeof buf, "(%d)", q->frac_precision);
      put(o, buf);
    }
  }
}

static void literal(out *o, const sql_node *n) {
  switch (n->u.lit.kind) {
  case SQL_LIT_INTEGER:
  case SQL_LIT_DECIMAL: put(o, n->u.lit.text); break;
  case SQL_LIT_APPROX:
    for (const char *s = n->u.lit.text; *s; s++) put_n(o, *s == 'e' ? "E" : s, 1);
    break;
  case SQL_LIT_STRING: put_quoted(o, n->u.lit.text, n->u.lit.text_len, '\''); break;
  case SQL_LIT_BINARY:
    put(o, "X");
    put_string(o, n->u.lit.text);
    break;
  case SQL_LIT_TRUE: put(o, "TRUE"); break;
  case SQL_LIT_FALSE: put(o, "FALSE"); break;
  case SQL_LIT_NULL: put(o, "NULL"); break;
  case SQL_LIT_UNKNOWN: put(o, "UNKNOWN"); break;
  case SQL_LIT_DATE:
  case SQL_LIT_TIME:
  case SQL_LIT_TIMESTAMP:
  case SQL_LIT_TIMESTAMP_LTZ:
    put(o, n->u.lit.kind == SQL_LIT_DATE        ? "DATE "
           : n->u.lit.kind == SQL_LIT_TIME      ? "TIME "
           : n->u.lit.kind == SQL_LIT_TIMESTAMP ? "TIMESTAMP "
                                                : "TIMESTAMP WITH LOCAL TIME ZONE ");
    put_quoted(o, n->u.lit.text, n->u.lit.text_len, '\'');
    break;
  case SQL_LIT_INTERVAL:
    put(o, n->u.lit.negative ? "INTERVAL -" : "INTERVAL ");
    put_quoted(o, n->u.lit.text, n->u.lit.text_len, '\'');
    put(o, " ");
    qual(o, &n->u.lit.qual);
    break;
  }
}

static void ident(out *o, const sql_node *n) {
  for (int i = 0; i < n->u.ident.nparts; i++) {
    if (i) put(o, ".");
    put_name(o, n->u.ident.parts[i]);
  }
  if (n->u.ident.star) put(o, n->u.ident.nparts ? ".*" : "*");
}

/* A function name: unquoted parts upper case, quoted parts backquoted. */
static void function_name(out *o, const sql_node *id) {
  for (int i = 0; i < id->u.ident.nparts; i++) {
    if (i) put(o, ".");
    sql_name nm = id->u.ident.parts[i];
    if (nm.quoted) {
      put_name(o, nm);
      continue;
    }
    for (const char *s = nm.s; *s; s++) {
      char c = (*s >= 'a' && *s <= 'z') ? (char)(*s - 'a' + 'A') : *s;
      put_n(o, &c, 1);
    }
  }
}

static void type(out *o, const sql_node *n) {
  char buf[48];
  static const char *const names[] = {"",       "BOOLEAN", "TINYINT", "SMALLINT",  "INT",
                                      "BIGINT", "FLOAT",   "REAL",    "DOUBLE",    "DECIMAL",
                                      "CHAR",   "VARCHAR", "STRING",  "BINARY",    "VARBINARY",
                                      "BYTES",  "DATE",    "TIME",    "TIMESTAMP", "TIMESTAMP_LTZ"};
  sql_type_kind k = n->u.type.kind;
  switch (k) {
  case SQL_T_INTERVAL:
    put(o, "INTERVAL ");
    qual(o, &n->u.type.qual);
    break;
  case SQL_T_ARRAY:
  case SQL_T_MULTISET:
    put(o, k == SQL_T_ARRAY ? "ARRAY<" : "MULTISET<");
    node(o, n->u.type.elem);
    put(o, ">");
    break;
  case SQL_T_MAP:
    put(o, "MAP<");
    node(o, n->u.type.key);
    put(o, ", ");
    node(o, n->u.type.value);
    put(o, ">");
    break;
  case SQL_T_ROW:
    put(o, "ROW<");
    list(o, n->u.type.fields, ", ");
    put(o, ">");
    break;
  case SQL_T_USER: ident(o, n->u.type.name); break;
  default:
    put(o, (size_t)k < sizeof names / sizeof names[0] ? names[k] : "?");
    if (n->u.type.precision >= 0 && n->u.type.scale >= 0) {
      snprintf(buf, sizeof buf, "(%d, %d)", n->u.type.precision, n->u.type.scale);
      put(o, buf);
    } else if (n->u.type.precision >= 0) {
      snprintf(buf, sizeof buf, "(%d)", n->u.type.precision);
      put(o, buf);
    }
    break;
  }
  if (!n->u.type.nullable) put(o, " NOT NULL");
}

static void call(out *o, const sql_node *n) {
  const sql_list *a = &n->u.call.args;
  function_name(o, n->u.call.name);
  if (n->u.call.form == SQL_FORM_NILADIC) return;
  put(o, "(");
  switch (n->u.call.form) {
  case SQL_FORM_EXTRACT:
    put(o, sql_unit_name(n->u.call.unit));
    put(o, " FROM ");
    node(o, a->v[0]);
    break;
  case SQL_FORM_TRIM: {
    static const char *const spec[] = {"", "BOTH ", "LEADING ", "TRAILING "};
    put(o, spec[n->u.call.trim]);
    if (n->u.call.has_chars) {
      node(o, a->v[0]);
      put(o, " FROM ");
      node(o, a->v[1]);
    } else {
      if (n->u.call.trim) put(o, "FROM ");
      node(o, a->v[0]);
    }
    break;
  }
  case SQL_FORM_SUBSTRING:
    node(o, a->v[0]);
    put(o, " FROM ");
    node(o, a->v[1]);
    if (a->n > 2) {
      put(o, " FOR ");
      node(o, a->v[2]);
    }
    break;
  case SQL_FORM_POSITION:
    operand(o, a->v[0]);
    put(o, " IN ");
    node(o, a->v[1]);
    if (a->n > 2) {
      put(o, " FROM ");
      node(o, a->v[2]);
    }
    break;
  case SQL_FORM_OVERLAY:
    node(o, a->v[0]);
    put(o, " PLACING ");
    node(o, a->v[1]);
    put(o, " FROM ");
    node(o, a->v[2]);
    if (a->n > 3) {
      put(o, " FOR ");
      node(o, a->v[3]);
    }
    break;
  case SQL_FORM_FLOOR_TO:
  case SQL_FORM_CEIL_TO:
    node(o, a->v[0]);
    put(o, " TO ");
    put(o, sql_unit_name(n->u.call.unit));
    break;
  case SQL_FORM_TIMESTAMPADD:
  case SQL_FORM_TIMESTAMPDIFF:
    put(o, sql_unit_name(n->u.call.unit));
    put(o, ", ");
    list(o, *a, ", ");
    break;
  case SQL_FORM_JSON_VALUE:
  case SQL_FORM_JSON_QUERY: {
    list(o, *a, ", ");
    if (n->u.call.json.returning) {
      put(o, " RETURNING ");
      node(o, n->u.call.json.returning);
    }
    static const char *const wrappers[] = {"", " WITHOUT ARRAY WRAPPER",
                                           " WITH CONDITIONAL ARRAY WRAPPER",
                                           " WITH UNCONDITIONAL ARRAY WRAPPER"};
    put(o, wrappers[n->u.call.json.wrapper & 3]);
    int query = n->u.call.form == SQL_FORM_JSON_QUERY;
    for (int k = 0; k < 2; k++) {
      int b = k ? n->u.call.json.on_error : n->u.call.json.on_empty;
      const sql_node *d = k ? n->u.call.json.error_default : n->u.call.json.empty_default;
      if (!b) continue;
      if (b == 1)
        put(o, " NULL");
      else if (b == 2)
        put(o, " ERROR");
      else if (query)
        put(o, b == 3 ? " EMPTY ARRAY" : " EMPTY OBJECT");
      else {
        put(o, " DEFAULT ");
        node(o, d);
      }
      put(o, k ? " ON ERROR" : " ON EMPTY");
    }
    break;
  }
  default:
    if (n->u.call.quantifier == SQL_QUANT_DISTINCT)
      put(o, "DISTINCT ");
    else if (n->u.call.quantifier == SQL_QUANT_ALL)
      put(o, "ALL ");
    if (n->u.call.star) put(o, "*");
    list(o, *a, ", ");
    break;
  }
  put(o, ")");
  if (n->u.call.filter) {
    put(o, " FILTER (WHERE ");
    node(o, n->u.call.filter);
    put(o, ")");
  }
  if (n->u.call.over) {
    put(o, " OVER ");
    if (n->u.call.over->kind == SQL_IDENT) {
      node(o, n->u.call.over);
    } else {
      put(o, "(");
      node(o, n->u.call.over);
      put(o, ")");
    }
  }
}

static void window_spec(out *o, const sql_node *n) {
  int sep = 0;
  if (n->u.window.ref) {
    node(o, n->u.window.ref);
    sep = 1;
  }
  if (n->u.window.partition.n) {
    put(o, sep ? " PARTITION BY " : "PARTITION BY ");
    list(o, n->u.window.partition, ", ");
    sep = 1;
  }
  if (n->u.window.order.n) {
    put(o, sep ? " ORDER BY " : "ORDER BY ");
    list(o, n->u.window.order, ", ");
    sep = 1;
  }
  if (n->u.window.frame) {
    if (sep) put(o, " ");
    put(o, n->u.window.frame == SQL_FRAME_ROWS ? "ROWS " : "RANGE ");
    if (n->u.window.upper) {
      put(o, "BETWEEN ");
      node(o, n->u.window.lower);
      put(o, " AND ");
      node(o, n->u.window.upper);
    } else {
      node(o, n->u.window.lower);
    }
  }
}

static void query_operand(out *o, const sql_node *n) {
  int wrap =
      n->kind == SQL_SETOP || n->kind == SQL_ORDERED || n->kind == SQL_WITH ||
      (n->kind == SQL_SELECT && (n->u.select.order.n || n->u.select.offset || n->u.select.fetch));
  if (wrap) put(o, "(");
  node(o, n);
  if (wrap) put(o, ")");
}

static void order_limit(out *o, sql_list order, const sql_node *offset, const sql_node *fetch) {
  if (order.n) {
    put(o, " ORDER BY ");
    list(o, order, ", ");
  }
  if (fetch) {
    put(o, " LIMIT ");
    node(o, fetch);
  }
  if (offset) {
    put(o, " OFFSET ");
    node(o, offset);
  }
}

static void select_query(out *o, const sql_node *n) {
  put(o, "SELECT ");
  if (n->u.select.quantifier == SQL_QUANT_DISTINCT)
    put(o, "DISTINCT ");
  else if (n->u.select.quantifier == SQL_QUANT_ALL)
    put(o, "ALL ");
  list(o, n->u.select.items, ", ");
  if (n->u.select.from) {
    put(o, " FROM ");
    node(o, n->u.select.from);
  }
  if (n->u.select.where) {
    put(o, " WHERE ");
    node(o, n->u.select.where);
  }
  if (n->u.select.group_by.n) {
    put(o, " GROUP BY ");
    list(o, n->u.select.group_by, ", ");
  }
  if (n->u.select.having) {
    put(o, " HAVING ");
    node(o, n->u.select.having);
  }
  if (n->u.select.windows.n) {
    put(o, " WINDOW ");
    list(o, n->u.select.windows, ", ");
  }
  order_limit(o, n->u.select.order, n->u.select.offset, n->u.select.fetch);
}

static void join(out *o, const sql_node *n) {
  const sql_node *l = n->u.join.left, *r = n->u.join.right;
  int comma = n->u.join.type == SQL_JOIN_COMMA;
  /* A comma join under another join, and any join on the right, needs parentheses. */
  int wrap_l = !comma && l->kind == SQL_JOIN && l->u.join.type == SQL_JOIN_COMMA;
  int wrap_r = r->kind == SQL_JOIN && (!comma || r->u.join.type == SQL_JOIN_COMMA);
  if (wrap_l) put(o, "(");
  node(o, l);
  if (wrap_l) put(o, ")");
  static const char *const types[] = {
      "", " INNER JOIN ", " LEFT JOIN ", " RIGHT JOIN ", " FULL JOIN ", " CROSS JOIN ", ", "};
  if (n->u.join.natural) put(o, " NATURAL");
  put(o, types[n->u.join.type]);
  if (wrap_r) put(o, "(");
  node(o, r);
  if (wrap_r) put(o, ")");
  if (n->u.join.cond_kind == SQL_COND_ON) {
    put(o, " ON ");
    node(o, n->u.join.on);
  } else if (n->u.join.cond_kind == SQL_COND_USING) {
    put(o, " USING ");
    put_names(o, n->u.join.using);
  }
}

static void options(out *o, sql_list l) {
  put(o, "(");
  list(o, l, ", ");
  put(o, ")");
}

static void create_table(out *o, const sql_node *n) {
  put(o, n->u.create_table.temporary ? "CREATE TEMPORARY TABLE " : "CREATE TABLE ");
  if (n->u.create_table.if_not_exists) put(o, "IF NOT EXISTS ");
  node(o, n->u.create_table.name);
  int k = n->u.create_table.columns.n + n->u.create_table.watermarks.n +
          n->u.create_table.constraints.n;
  if (k) {
    put(o, " (");
    list(o, n->u.create_table.columns, ", ");
    if (n->u.create_table.columns.n && n->u.create_table.watermarks.n) put(o, ", ");
    list(o, n->u.create_table.watermarks, ", ");
    if (n->u.create_table.columns.n + n->u.create_table.watermarks.n &&
        n->u.create_table.constraints.n)
      put(o, ", ");
    list(o, n->u.create_table.constraints, ", ");
    put(o, ")");
  }
  if (n->u.create_table.comment) {
    put(o, " COMMENT ");
    put_string(o, n->u.create_table.comment);
  }
  if (n->u.create_table.partitioned_by.n) {
    put(o, " PARTITIONED BY ");
    put_names(o, n->u.create_table.partitioned_by);
  }
  if (n->u.create_table.options.n) {
    put(o, " WITH ");
    options(o, n->u.create_table.options);
  }
  if (n->u.create_table.query) {
    put(o, " AS ");
    node(o, n->u.create_table.query);
  }
}

static void column(out *o, const sql_node *n) {
  put_name(o, n->u.column.name);
  if (n->u.column.kind == SQL_COLUMN_COMPUTED) {
    put(o, " AS ");
    node(o, n->u.column.expr);
  } else {
    put(o, " ");
    node(o, n->u.column.type);
    if (n->u.column.kind == SQL_COLUMN_METADATA) {
      put(o, " METADATA");
      if (n->u.column.metadata_key) {
        put(o, " FROM ");
        put_string(o, n->u.column.metadata_key);
      }
      if (n->u.column.is_virtual) put(o, " VIRTUAL");
    }
    if (n->u.column.pk) {
      put(o, " ");
      node(o, n->u.column.pk);
    }
  }
  if (n->u.column.comment) {
    put(o, " COMMENT ");
    put_string(o, n->u.column.comment);
  }
}

static void show(out *o, const sql_node *n) {
  static const char *const what[] = {"",
                                     "SHOW TABLES",
                                     "SHOW VIEWS",
                                     "SHOW FUNCTIONS",
                                     "SHOW USER FUNCTIONS",
                                     "SHOW CATALOGS",
                                     "SHOW DATABASES",
                                     "SHOW CURRENT CATALOG",
                                     "SHOW CURRENT DATABASE",
                                     "SHOW JOBS",
                                     "SHOW MODULES",
                                     "SHOW FULL MODULES",
                                     "SHOW CREATE TABLE ",
                                     "SHOW CREATE VIEW ",
                                     "SHOW COLUMNS FROM "};
  int w = n->u.show.what;
  put(o, w > 0 && w <= SQL_SHOW_COLUMNS ? what[w] : "SHOW ?");
  if (n->u.show.name) {
    if (w != SQL_SHOW_CREATE_TABLE && w != SQL_SHOW_CREATE_VIEW && w != SQL_SHOW_COLUMNS)
      put(o, " FROM ");
    node(o, n->u.show.name);
  }
  if (n->u.show.like) {
    put(o, n->u.show.not_like ? " NOT LIKE " : " LIKE ");
    put_string(o, n->u.show.like);
  }
}

static void node(out *o, const sql_node *n) {
  if (!n || o->rc) return;
  switch (n->kind) {
  case SQL_IDENT: ident(o, n); break;
  case SQL_LITERAL: literal(o, n); break;
  case SQL_UNARY: {
    sql_op_kind op = n->u.unary.op;
    if (op == SQL_OPK_NOT)
      put(o, "NOT ");
    else if (op == SQL_OPK_NEG)
      put(o, "-");
    else if (op == SQL_OPK_POS)
      put(o, "+");
    operand(o, n->u.unary.arg);
    if (op >= SQL_OPK_IS_NULL) {
      put(o, " ");
      put(o, sql_opk_text(op));
    }
    break;
  }
  case SQL_BINARY:
    operand(o, n->u.binary.left);
    put(o, " ");
    put(o, sql_opk_text(n->u.binary.op));
    put(o, " ");
    operand(o, n->u.binary.right);
    break;
  case SQL_BETWEEN:
    operand(o, n->u.between.arg);
    put(o, n->u.between.negated ? " NOT BETWEEN " : " BETWEEN ");
    if (n->u.between.symmetry) put(o, n->u.between.symmetry == 1 ? "ASYMMETRIC " : "SYMMETRIC ");
    operand(o, n->u.between.low);
    put(o, " AND ");
    operand(o, n->u.between.high);
    break;
  case SQL_LIKE:
    operand(o, n->u.like.arg);
    put(o, n->u.like.negated ? " NOT" : "");
    put(o, n->u.like.similar ? " SIMILAR TO " : " LIKE ");
    operand(o, n->u.like.pattern);
    if (n->u.like.escape) {
      put(o, " ESCAPE ");
      operand(o, n->u.like.escape);
    }
    break;
  case SQL_IN:
    operand(o, n->u.in.arg);
    put(o, n->u.in.negated ? " NOT IN (" : " IN (");
    if (n->u.in.query)
      node(o, n->u.in.query);
    else
      list(o, n->u.in.list, ", ");
    put(o, ")");
    break;
  case SQL_EXISTS:
    put(o, "EXISTS (");
    node(o, n->u.query.query);
    put(o, ")");
    break;
  case SQL_SUBQUERY:
    put(o, "(");
    node(o, n->u.query.query);
    put(o, ")");
    break;
  case SQL_LATERAL:
    put(o, "LATERAL (");
    node(o, n->u.query.query);
    put(o, ")");
    break;
  case SQL_CAST:
    put(o, n->u.cast.try_cast ? "TRY_CAST(" : "CAST(");
    node(o, n->u.cast.arg);
    put(o, " AS ");
    node(o, n->u.cast.type);
    put(o, ")");
    break;
  case SQL_CASE:
    put(o, "CASE");
    if (n->u.case_.operand) {
      put(o, " ");
      node(o, n->u.case_.operand);
    }
    for (int i = 0; i < n->u.case_.whens.n; i++) {
      put(o, " WHEN ");
      node(o, n->u.case_.whens.v[i]);
      put(o, " THEN ");
      node(o, n->u.case_.thens.v[i]);
    }
    if (n->u.case_.else_) {
      put(o, " ELSE ");
      node(o, n->u.case_.else_);
    }
    put(o, " END");
    break;
  case SQL_CALL: call(o, n); break;
  case SQL_CTOR: {
    int k = n->u.ctor.kind;
    put(o, k == SQL_CTOR_ROW     ? "ROW("
           : k == SQL_CTOR_ARRAY ? "ARRAY["
           : k == SQL_CTOR_MAP   ? "MAP["
                                 : "(");
    list(o, n->u.ctor.items, ", ");
    put(o, k == SQL_CTOR_ARRAY || k == SQL_CTOR_MAP ? "]" : ")");
    break;
  }
  case SQL_ITEM:
    operand(o, n->u.item.arg);
    put(o, "[");
    node(o, n->u.item.index);
    put(o, "]");
    break;
  case SQL_FIELD: {
    /* (x).f: x in parentheses (`x`.`f` would read as one compound name, 1.`f` as 1. `f`),
     * except after a call or an access, which end in a bracket. */
    sql_kind k = n->u.field.arg->kind;
    int wrap = k != SQL_CALL && k != SQL_ITEM && k != SQL_FIELD;
    if (wrap) put(o, "(");
    node(o, n->u.field.arg);
    if (wrap) put(o, ")");
    put(o, ".");
    put_name(o, n->u.field.name);
    break;
  }
  case SQL_NAMED_ARG:
    put_name(o, n->u.named.name);
    put(o, " => ");
    node(o, n->u.named.value);
    break;
  case SQL_TABLE_ARG:
    put(o, "TABLE ");
    node(o, n->u.table_arg.name);
    for (int k = 0; k < 2; k++) {
      sql_list l = k ? n->u.table_arg.order : n->u.table_arg.partition;
      if (!l.n) continue;
      put(o, k ? " ORDER BY " : " PARTITION BY ");
      if (l.n > 1) put(o, "(");
      list(o, l, ", ");
      if (l.n > 1) put(o, ")");
    }
    break;
  case SQL_DESCRIPTOR:
    put(o, "DESCRIPTOR(");
    list(o, n->u.descriptor.names, ", ");
    put(o, ")");
    break;
  case SQL_WINDOW_SPEC: window_spec(o, n); break;
  case SQL_FRAME_BOUND:
    switch (n->u.bound.kind) {
    case SQL_BOUND_UNBOUNDED_PRECEDING: put(o, "UNBOUNDED PRECEDING"); break;
    case SQL_BOUND_UNBOUNDED_FOLLOWING: put(o, "UNBOUNDED FOLLOWING"); break;
    case SQL_BOUND_CURRENT_ROW: put(o, "CURRENT ROW"); break;
    default:
      operand(o, n->u.bound.offset);
      put(o, n->u.bound.kind == SQL_BOUND_PRECEDING ? " PRECEDING" : " FOLLOWING");
      break;
    }
    break;
  case SQL_ORDER_ITEM:
    node(o, n->u.order.arg);
    if (n->u.order.desc) put(o, " DESC");
    if (n->u.order.nulls)
      put(o, n->u.order.nulls == SQL_NULLS_FIRST ? " NULLS FIRST" : " NULLS LAST");
    break;
  case SQL_GROUPING:
    put(o, n->u.grouping.kind == SQL_GROUPING_SETS ? "GROUPING SETS ("
           : n->u.grouping.kind == SQL_ROLLUP      ? "ROLLUP("
                                                   : "CUBE(");
    list(o, n->u.grouping.items, ", ");
    put(o, ")");
    break;
  case SQL_SELECT: select_query(o, n); break;
  case SQL_SETOP:
    query_operand(o, n->u.setop.left);
    put(o, n->u.setop.op == SQL_SETOP_UNION       ? " UNION "
           : n->u.setop.op == SQL_SETOP_INTERSECT ? " INTERSECT "
                                                  : " EXCEPT ");
    if (n->u.setop.all) put(o, "ALL ");
    query_operand(o, n->u.setop.right);
    break;
  case SQL_VALUES:
    put(o, "VALUES ");
    for (int i = 0; i < n->u.values.rows.n; i++) {
      if (i) put(o, ", ");
      put(o, "(");
      list(o, n->u.values.rows.v[i]->u.ctor.items, ", ");
      put(o, ")");
    }
    break;
  case SQL_WITH:
    put(o, "WITH ");
    list(o, n->u.with.items, ", ");
    put(o, " ");
    node(o, n->u.with.body);
    break;
  case SQL_WITH_ITEM:
    put_name(o, n->u.with_item.name);
    if (n->u.with_item.columns.n) {
      put(o, " ");
      put_names(o, n->u.with_item.columns);
    }
    put(o, " AS (");
    node(o, n->u.with_item.query);
    put(o, ")");
    break;
  case SQL_ORDERED:
    /* A set operation takes the ORDER BY as it stands; an ordered query needs parentheses. */
    if (n->u.ordered.query->kind == SQL_SETOP || n->u.ordered.query->kind == SQL_VALUES)
      node(o, n->u.ordered.query);
    else
      query_operand(o, n->u.ordered.query);
    order_limit(o, n->u.ordered.order, n->u.ordered.offset, n->u.ordered.fetch);
    break;
  case SQL_WINDOW_DEF:
    put_name(o, n->u.window_def.name);
    put(o, " AS (");
    node(o, n->u.window_def.spec);
    put(o, ")");
    break;
  case SQL_ALIAS: {
    /* (a JOIN b) AS x and (t AS x) AS y keep their parentheses. */
    int wrap = n->u.alias.arg->kind == SQL_JOIN || n->u.alias.arg->kind == SQL_ALIAS;
    if (wrap) put(o, "(");
    node(o, n->u.alias.arg);
    if (wrap) put(o, ")");
    put(o, " AS ");
    put_name(o, n->u.alias.name);
    if (n->u.alias.columns.n) {
      put(o, " ");
      put_names(o, n->u.alias.columns);
    }
    break;
  }
  case SQL_TABLE_REF: node(o, n->u.table_ref.name); break;
  case SQL_SNAPSHOT:
    node(o, n->u.snapshot.table);
    put(o, " FOR SYSTEM_TIME AS OF ");
    node(o, n->u.snapshot.period);
    break;
  case SQL_JOIN: join(o, n); break;
  case SQL_TABLE_FUNC:
    put(o, n->u.table_func.lateral ? "LATERAL TABLE(" : "TABLE(");
    node(o, n->u.table_func.call);
    put(o, ")");
    break;
  case SQL_UNNEST:
    put(o, "UNNEST(");
    list(o, n->u.unnest.args, ", ");
    put(o, n->u.unnest.with_ordinality ? ") WITH ORDINALITY" : ")");
    break;
  case SQL_TYPE: type(o, n); break;
  case SQL_ROW_FIELD:
    put_name(o, n->u.row_field.name);
    put(o, " ");
    node(o, n->u.row_field.type);
    if (n->u.row_field.comment) {
      put(o, " ");
      put_string(o, n->u.row_field.comment);
    }
    break;
  case SQL_CREATE_TABLE: create_table(o, n); break;
  case SQL_COLUMN: column(o, n); break;
  case SQL_PRIMARY_KEY:
    if (n->u.pk.name.s) {
      put(o, "CONSTRAINT ");
      put_name(o, n->u.pk.name);
      put(o, " ");
    }
    put(o, "PRIMARY KEY");
    if (n->u.pk.columns.n) {
      put(o, " ");
      put_names(o, n->u.pk.columns);
    }
    put(o, n->u.pk.enforced ? " ENFORCED" : " NOT ENFORCED");
    break;
  case SQL_WATERMARK:
    put(o, "WATERMARK FOR ");
    node(o, n->u.watermark.column);
    put(o, " AS ");
    node(o, n->u.watermark.expr);
    break;
  case SQL_OPTION:
    put_string(o, n->u.option.key);
    if (n->u.option.value) {
      put(o, " = ");
      put_string(o, n->u.option.value);
    }
    break;
  case SQL_CREATE_VIEW:
    put(o, n->u.create_view.temporary ? "CREATE TEMPORARY VIEW " : "CREATE VIEW ");
    if (n->u.create_view.if_not_exists) put(o, "IF NOT EXISTS ");
    node(o, n->u.create_view.name);
    if (n->u.create_view.columns.n) {
      put(o, " ");
      put_names(o, n->u.create_view.columns);
    }
    if (n->u.create_view.comment) {
      put(o, " COMMENT ");
      put_string(o, n->u.create_view.comment);
    }
    put(o, " AS ");
    node(o, n->u.create_view.query);
    break;
  case SQL_CREATE_FUNCTION: {
    static const char *const langs[] = {"", "JAVA", "SCALA", "PYTHON", "C"};
    put(o, "CREATE ");
    if (n->u.create_function.temporary) put(o, "TEMPORARY ");
    if (n->u.create_function.system) put(o, "SYSTEM ");
    put(o, "FUNCTION ");
    if (n->u.create_function.if_not_exists) put(o, "IF NOT EXISTS ");
    node(o, n->u.create_function.name);
    put(o, " AS ");
    put_string(o, n->u.create_function.class_name);
    if (n->u.create_function.language) {
      put(o, " LANGUAGE ");
      put(o, langs[n->u.create_function.language]);
    }
    for (int i = 0; i < n->u.create_function.njars; i++) {
      put(o, i ? ", JAR " : " USING JAR ");
      put_string(o, n->u.create_function.jars[i]);
    }
    break;
  }
  case SQL_DROP: {
    static const char *const objs[] = {"", "TABLE ", "VIEW ", "FUNCTION ", "DATABASE ", "CATALOG "};
    put(o, "DROP ");
    if (n->u.drop.temporary) put(o, "TEMPORARY ");
    if (n->u.drop.system) put(o, "SYSTEM ");
    put(o, objs[n->u.drop.object]);
    if (n->u.drop.if_exists) put(o, "IF EXISTS ");
    node(o, n->u.drop.name);
    break;
  }
  case SQL_ALTER_TABLE:
    put(o, "ALTER TABLE ");
    if (n->u.alter_table.if_exists) put(o, "IF EXISTS ");
    node(o, n->u.alter_table.name);
    if (n->u.alter_table.action == SQL_ALTER_RENAME) {
      put(o, " RENAME TO ");
      node(o, n->u.alter_table.new_name);
    } else {
      put(o, n->u.alter_table.action == SQL_ALTER_SET ? " SET " : " RESET ");
      options(o, n->u.alter_table.options);
    }
    break;
  case SQL_INSERT:
    put(o, n->u.insert.overwrite ? "INSERT OVERWRITE " : "INSERT INTO ");
    node(o, n->u.insert.table);
    if (n->u.insert.partition.n) {
      put(o, " PARTITION (");
      for (int i = 0; i < n->u.insert.partition.n; i++) {
        const sql_node *kv = n->u.insert.partition.v[i];
        if (i) put(o, ", ");
        put_name(o, kv->u.named.name);
        put(o, " = ");
        node(o, kv->u.named.value);
      }
      put(o, ")");
    }
    if (n->u.insert.columns.n) {
      put(o, " ");
      put_names(o, n->u.insert.columns);
    }
    put(o, " ");
    node(o, n->u.insert.query);
    break;
  case SQL_STATEMENT_SET:
    put(o, "STATEMENT SET BEGIN ");
    for (int i = 0; i < n->u.stmts.list.n; i++) {
      node(o, n->u.stmts.list.v[i]);
      put(o, "; ");
    }
    put(o, "END");
    break;
  case SQL_BEGIN_STATEMENT_SET: put(o, "BEGIN STATEMENT SET"); break;
  case SQL_END: put(o, "END"); break;
  case SQL_EXECUTE:
    put(o, "EXECUTE ");
    node(o, n->u.execute.stmt);
    break;
  case SQL_EXPLAIN: {
    put(o, "EXPLAIN ");
    int d = n->u.explain.details;
    if (d & SQL_EXPLAIN_PLAN_FOR) put(o, "PLAN FOR ");
    static const char *const names[] = {"ESTIMATED_COST", "CHANGELOG_MODE", "JSON_EXECUTION_PLAN",
                                        "PLAN_ADVICE"};
    int first = 1;
    for (int b = 0; b < 4; b++)
      if (d & (1 << b)) {
        if (!first) put(o, ", ");
        put(o, names[b]);
        first = 0;
      }
    if (!first) put(o, " ");
    node(o, n->u.explain.stmt);
    break;
  }
  case SQL_SET:
  case SQL_RESET:
    put(o, n->kind == SQL_SET ? "SET" : "RESET");
    if (n->u.set.key) {
      put(o, " ");
      put_string(o, n->u.set.key);
    }
    if (n->u.set.value) {
      put(o, " = ");
      put_string(o, n->u.set.value);
    }
    break;
  case SQL_SHOW: show(o, n); break;
  case SQL_DESCRIBE:
    put(o, n->u.describe.extended ? "DESCRIBE EXTENDED " : "DESCRIBE ");
    node(o, n->u.describe.name);
    break;
  case SQL_USE:
    put(o, n->u.use.catalog ? "USE CATALOG " : "USE ");
    node(o, n->u.use.name);
    break;
  case SQL_CLIENT: {
    static const char *const cmds[] = {"", "QUIT", "EXIT", "HELP", "CLEAR"};
    int c = n->u.client.cmd;
    put(o, c >= SQL_CLIENT_QUIT && c <= SQL_CLIENT_CLEAR ? cmds[c] : "?");
    break;
  }
  default: put(o, "?"); break;
  }
}

int sql_unparse(const sql_node *n, sp_strbuf *sb) {
  out o = {sb, 0};
  put(&o, "");
  node(&o, n);
  return o.rc ? SPATE_ENOMEM : 0;
}
