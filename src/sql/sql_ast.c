/*
 * sql_ast.c: what every walker of the tree needs: freeing it, listing a node's children, and
 * the names of kinds, units and operators. The canonical printer is sql_unparse.c.
 */
#include "sql/sql_ast.h"

#include "base/alloc.h"

void sql_ast_free(sql_ast *ast) {
  if (!ast) return;
  sql_arena_free(&ast->arena);
  sp_free(ast);
}

typedef struct kids {
  const sql_node **out;
  int cap, n;
} kids;

static void add(kids *k, const sql_node *n) {
  if (!n) return;
  if (k->n < k->cap) k->out[k->n] = n;
  k->n++;
}

static void add_list(kids *k, sql_list l) {
  for (int i = 0; i < l.n; i++) add(k, l.v[i]);
}

int sql_node_children(const sql_node *n, const sql_node **out, int cap) {
  kids k = {out, cap, 0};
  if (!n) return 0;
  switch (n->kind) {
  case SQL_UNARY: add(&k, n->u.unary.arg); break;
  case SQL_BINARY:
    add(&k, n->u.binary.left);
    add(&k, n->u.binary.right);
    break;
  case SQL_BETWEEN:
    add(&k, n->u.between.arg);
    add(&k, n->u.between.low);
    add(&k, n->u.between.high);
    break;
  case SQL_LIKE:
    add(&k, n->u.like.arg);
    add(&k, n->u.like.pattern);
    add(&k, n->u.like.escape);
    break;
  case SQL_IN:
    add(&k, n->u.in.arg);
    add_list(&k, n->u.in.list);
    add(&k, n->u.in.query);
    break;
  case SQL_EXISTS:
  case SQL_SUBQUERY:
  case SQL_LATERAL: add(&k, n->u.query.query); break;
  case SQL_CAST:
    add(&k, n->u.cast.arg);
    add(&k, n->u.cast.type);
    break;
  case SQL_CASE:
    add(&k, n->u.case_.operand);
    for (int i = 0; i < n->u.case_.whens.n; i++) {
      add(&k, n->u.case_.whens.v[i]);
      add(&k, n->u.case_.thens.v[i]);
    }
    add(&k, n->u.case_.else_);
    break;
  case SQL_CALL:
    add(&k, n->u.call.name);
    add_list(&k, n->u.call.args);
    add(&k, n->u.call.json.returning);
    add(&k, n->u.call.json.empty_default);
    add(&k, n->u.call.json.error_default);
    add(&k, n->u.call.filter);
    add(&k, n->u.call.over);
    break;
  case SQL_CTOR: add_list(&k, n->u.ctor.items); break;
  case SQL_ITEM:
    add(&k, n->u.item.arg);
    add(&k, n->u.item.index);
    break;
  case SQL_FIELD: add(&k, n->u.field.arg); break;
  case SQL_NAMED_ARG: add(&k, n->u.named.value); break;
  case SQL_TABLE_ARG:
    add(&k, n->u.table_arg.name);
    add_list(&k, n->u.table_arg.partition);
    add_list(&k, n->u.table_arg.order);
    break;
  case SQL_DESCRIPTOR: add_list(&k, n->u.descriptor.names); break;
  case SQL_WINDOW_SPEC:
    add(&k, n->u.window.ref);
    add_list(&k, n->u.window.partition);
    add_list(&k, n->u.window.order);
    add(&k, n->u.window.lower);
    add(&k, n->u.window.upper);
    break;
  case SQL_FRAME_BOUND: add(&k, n->u.bound.offset); break;
  case SQL_ORDER_ITEM: add(&k, n->u.order.arg); break;
  case SQL_GROUPING: add_list(&k, n->u.grouping.items); break;
  case SQL_SELECT:
    add_list(&k, n->u.select.items);
    add(&k, n->u.select.from);
    add(&k, n->u.select.where);
    add_list(&k, n->u.select.group_by);
    add(&k, n->u.select.having);
    add_list(&k, n->u.select.windows);
    add_list(&k, n->u.select.order);
    add(&k, n->u.select.offset);
    add(&k, n->u.select.fetch);
    break;
  case SQL_SETOP:
    add(&k, n->u.setop.left);
    add(&k, n->u.setop.right);
    break;
  case SQL_VALUES: add_list(&k, n->u.values.rows); break;
  case SQL_WITH:
    add_list(&k, n->u.with.items);
    add(&k, n->u.with.body);
    break;
  case SQL_WITH_ITEM: add(&k, n->u.with_item.query); break;
  case SQL_ORDERED:
    add(&k, n->u.ordered.query);
    add_list(&k, n->u.ordered.order);
    add(&k, n->u.ordered.offset);
    add(&k, n->u.ordered.fetch);
    break;
  case SQL_WINDOW_DEF: add(&k, n->u.window_def.spec); break;
  case SQL_ALIAS: add(&k, n->u.alias.arg); break;
  case SQL_TABLE_REF: add(&k, n->u.table_ref.name); break;
  case SQL_SNAPSHOT:
    add(&k, n->u.snapshot.table);
    add(&k, n->u.snapshot.period);
    break;
  case SQL_JOIN:
    add(&k, n->u.join.left);
    add(&k, n->u.join.right);
    add(&k, n->u.join.on);
    break;
  case SQL_TABLE_FUNC: add(&k, n->u.table_func.call); break;
  case SQL_UNNEST: add_list(&k, n->u.unnest.args); break;
  case SQL_TYPE:
    add(&k, n->u.type.elem);
    add(&k, n->u.type.key);
    add(&k, n->u.type.value);
    add_list(&k, n->u.type.fields);
    add(&k, n->u.type.name);
    break;
  case SQL_ROW_FIELD: add(&k, n->u.row_field.type); break;
  case SQL_CREATE_TABLE:
    add(&k, n->u.create_table.name);
    add_list(&k, n->u.create_table.columns);
    add_list(&k, n->u.create_table.constraints);
    add_list(&k, n->u.create_table.watermarks);
    add_list(&k, n->u.create_table.options);
    add(&k, n->u.create_table.query);
    break;
  case SQL_COLUMN:
    add(&k, n->u.column.type);
    add(&k, n->u.column.expr);
    add(&k, n->u.column.pk);
    break;
  case SQL_WATERMARK:
    add(&k, n->u.watermark.column);
    add(&k, n->u.watermark.expr);
    break;
  case SQL_CREATE_VIEW:
    add(&k, n->u.create_view.name);
    add(&k, n->u.create_view.query);
    break;
  case SQL_CREATE_FUNCTION: add(&k, n->u.create_function.name); break;
  case SQL_DROP: add(&k, n->u.drop.name); break;
  case SQL_ALTER_TABLE:
    add(&k, n->u.alter_table.name);
    add_list(&k, n->u.alter_table.options);
    add(&k, n->u.alter_table.new_name);
    break;
  case SQL_INSERT:
    add(&k, n->u.insert.table);
    add_list(&k, n->u.insert.partition);
    add(&k, n->u.insert.query);
    break;
  case SQL_STATEMENT_SET: add_list(&k, n->u.stmts.list); break;
  case SQL_EXECUTE: add(&k, n->u.execute.stmt); break;
  case SQL_EXPLAIN: add(&k, n->u.explain.stmt); break;
  case SQL_SHOW: add(&k, n->u.show.name); break;
  case SQL_DESCRIBE: add(&k, n->u.describe.name); break;
  case SQL_USE: add(&k, n->u.use.name); break;
  default: break; /* leaves: identifiers, literals, options, keys, client commands */
  }
  return k.n;
}

static const char *const kind_names[SQL_KIND_COUNT] = {
    "?",
    "SQL_IDENT",
    "SQL_LITERAL",
    "SQL_UNARY",
    "SQL_BINARY",
    "SQL_BETWEEN",
    "SQL_LIKE",
    "SQL_IN",
    "SQL_EXISTS",
    "SQL_SUBQUERY",
    "SQL_CAST",
    "SQL_CASE",
    "SQL_CALL",
    "SQL_CTOR",
    "SQL_ITEM",
    "SQL_FIELD",
    "SQL_NAMED_ARG",
    "SQL_TABLE_ARG",
    "SQL_DESCRIPTOR",
    "SQL_WINDOW_SPEC",
    "SQL_FRAME_BOUND",
    "SQL_ORDER_ITEM",
    "SQL_GROUPING",
    "SQL_SELECT",
    "SQL_SETOP",
    "SQL_VALUES",
    "SQL_WITH",
    "SQL_WITH_ITEM",
    "SQL_ORDERED",
    "SQL_WINDOW_DEF",
    "SQL_ALIAS",
    "SQL_TABLE_REF",
    "SQL_SNAPSHOT",
    "SQL_JOIN",
    "SQL_TABLE_FUNC",
    "SQL_LATERAL",
    "SQL_UNNEST",
    "SQL_TYPE",
    "SQL_ROW_FIELD",
    "SQL_CREATE_TABLE",
    "SQL_COLUMN",
    "SQL_PRIMARY_KEY",
    "SQL_WATERMARK",
    "SQL_OPTION",
    "SQL_CREATE_VIEW",
    "SQL_CREATE_FUNCTION",
    "SQL_DROP",
    "SQL_ALTER_TABLE",
    "SQL_INSERT",
    "SQL_STATEMENT_SET",
    "SQL_BEGIN_STATEMENT_SET",
    "SQL_END",
    "SQL_EXECUTE",
    "SQL_EXPLAIN",
    "SQL_SET",
    "SQL_RESET",
    "SQL_SHOW",
    "SQL_DESCRIBE",
    "SQL_USE",
    "SQL_CLIENT",
};

const char *sql_kind_name(sql_kind kind) {
  return kind > 0 && kind < SQL_KIND_COUNT ? kind_names[kind] : "?";
}

static const char *const unit_names[SQL_UNIT_COUNT] = {
    "",       "YEAR",    "QUARTER",     "MONTH",       "WEEK",       "DAY",       "HOUR",
    "MINUTE", "SECOND",  "MILLISECOND", "MICROSECOND", "NANOSECOND", "DOW",       "DOY",
    "ISODOW", "ISOYEAR", "EPOCH",       "DECADE",      "CENTURY",    "MILLENNIUM"};

const char *sql_unit_name(sql_unit unit) {
  return unit > 0 && unit < SQL_UNIT_COUNT ? unit_names[unit] : "?";
}

static const char *const opk_texts[SQL_OPK_COUNT] = {"?",
                                                     "OR",
                                                     "AND",
                                                     "=",
                                                     "<>",
                                                     "<",
                                                     "<=",
                                                     ">",
                                                     ">=",
                                                     "IS DISTINCT FROM",
                                                     "IS NOT DISTINCT FROM",
                                                     "+",
                                                     "-",
                                                     "*",
                                                     "/",
                                                     "%",
                                                     "||",
                                                     "NOT",
                                                     "-",
                                                     "+",
                                                     "IS NULL",
                                                     "IS NOT NULL",
                                                     "IS TRUE",
                                                     "IS NOT TRUE",
                                                     "IS FALSE",
                                                     "IS NOT FALSE",
                                                     "IS UNKNOWN",
                                                     "IS NOT UNKNOWN"};

const char *sql_opk_text(sql_op_kind op) {
  return op > 0 && op < SQL_OPK_COUNT ? opk_texts[op] : "?";
}
