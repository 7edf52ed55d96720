/*
 * sql_ast.h: the syntax tree of one Flink SQL statement, as the parser builds it and the
 * validator and planner will walk it.
 *
 * Every node is a sql_node: a kind, the 1-based line and column where its text starts (errors
 * of later phases point there), and one member of a union chosen by the kind. Lists are
 * sql_list (an array and a count). All memory of a tree lives in its sql_ast's arena and goes
 * with sql_ast_free. Names are sql_name: the text (unquoted names keep their case, Flink's
 * default) and whether it was backquoted. The tree keeps what was written, normalised only
 * where the meaning is one: INTEGER is INT, NUMERIC/DEC are DECIMAL, MINUS is EXCEPT, plural
 * time units are singular, != is <>.
 *
 * The kinds and their fields (u.<member>):
 *   expressions
 *     SQL_IDENT     ident: parts (a.b.c), star (a trailing .* : t.* or the bare *)
 *     SQL_LITERAL   lit: kind, text (digits as written, string value, hex digits, date text),
 *                   text_len; for INTERVAL: negative, qual
 *     SQL_UNARY     unary: op (NEG, PLUS, NOT, IS_NULL, IS_NOT_NULL, IS_TRUE, ...), arg
 *     SQL_BINARY    binary: op (OR, AND, comparisons, + - * / % ||, IS [NOT] DISTINCT FROM),
 *                   left, right
 *     SQL_BETWEEN   between: negated, symmetry (0, ASYMMETRIC, SYMMETRIC), arg, low, high
 *     SQL_LIKE      like: similar (SIMILAR TO instead of LIKE), negated, arg, pattern, escape
 *     SQL_IN        in: negated, arg, list (expressions) or query (a subquery), one of them set
 *     SQL_EXISTS    query: query
 *     SQL_SUBQUERY  query: query (a scalar subquery, or a derived table in FROM)
 *     SQL_CAST      cast: try_cast, arg, type
 *     SQL_CASE      case_: operand (NULL for a searched CASE), whens, thens (same length), else_
 *     SQL_CALL      call: name (SQL_IDENT), form (how it was written: plain, niladic, EXTRACT,
 *                   TRIM, ...), quantifier (DISTINCT/ALL or none), star (COUNT(*)), args,
 *                   unit (EXTRACT, FLOOR/CEIL TO, TIMESTAMPADD/DIFF), trim (BOTH/LEADING/
 *                   TRAILING), filter (FILTER (WHERE ...)), over (SQL_WINDOW_SPEC or a window
 *                   name as SQL_IDENT), json (JSON_VALUE/JSON_QUERY clauses)
 *                   args per form: TRIM [chars?, x] (has_chars says), SUBSTRING [x, from, for?],
 *                   POSITION [a, b, from?], OVERLAY [x, y, from, for?], FLOOR/CEIL TO [x],
 *                   EXTRACT [x], TIMESTAMPADD [n, ts], TIMESTAMPDIFF [a, b]
 *     SQL_CTOR      ctor: kind (ROW, ARRAY, MAP, or a parenthesised row (a, b)), items
 *     SQL_ITEM      item: arg, index (a[1], a['k'])
 *     SQL_FIELD     field: arg, name (member access on an expression: (x).f, f(x).f)
 *     SQL_NAMED_ARG named: name, value (DATA => TABLE t)
 *     SQL_TABLE_ARG table_arg: name (SQL_IDENT), partition (PARTITION BY list), order
 *     SQL_DESCRIPTOR descriptor: names (SQL_IDENT list)
 *     SQL_WINDOW_SPEC window: ref (a window name it extends, or NULL), partition, order, frame
 *                   (0, ROWS, RANGE), lower, upper (SQL_FRAME_BOUND; upper NULL when no
 *                   BETWEEN)
 *     SQL_FRAME_BOUND bound: kind (UNBOUNDED PRECEDING, n PRECEDING, CURRENT ROW, ...), offset
 *     SQL_ORDER_ITEM order: arg, desc, nulls (0, FIRST, LAST)
 *     SQL_GROUPING  grouping: kind (GROUPING SETS, ROLLUP, CUBE), items (expressions or
 *                   SQL_CTOR rows; () is a row of no items)
 *   queries
 *     SQL_SELECT    select: quantifier, items (expressions, SQL_ALIAS), from (a table
 *                   reference or NULL), where, group_by, having, windows (SQL_WINDOW_DEF),
 *                   order, offset, fetch (LIMIT n and FETCH FIRST n ROWS ONLY both land here)
 *     SQL_SETOP     setop: op (UNION, INTERSECT, EXCEPT), all, left, right
 *     SQL_VALUES    values: rows (SQL_CTOR rows)
 *     SQL_WITH      with: items (SQL_WITH_ITEM), body
 *     SQL_WITH_ITEM with_item: name, columns (sql_name list), query
 *     SQL_ORDERED   ordered: query, order, offset, fetch (ORDER BY / LIMIT over a set operation,
 *                   VALUES or WITH; over a plain SELECT they go into the SELECT)
 *     SQL_WINDOW_DEF window_def: name, spec (SQL_WINDOW_SPEC)
 *   table references
 *     SQL_ALIAS     alias: arg, name, columns (AS x (c1, c2)); also a select item's alias
 *     SQL_TABLE_REF table_ref: name (SQL_IDENT)
 *     SQL_SNAPSHOT  snapshot: table, period (t FOR SYSTEM_TIME AS OF expr)
 *     SQL_JOIN      join: type, natural, left, right, cond_kind (NONE, ON, USING), on, using
 *     SQL_TABLE_FUNC table_func: lateral, call (TABLE(f(...)), LATERAL TABLE(f(...)))
 *     SQL_LATERAL   query: query (LATERAL (subquery))
 *     SQL_UNNEST    unnest: args, with_ordinality
 *   types
 *     SQL_TYPE      type: kind, precision, scale (-1 when not given), nullable (1 unless NOT
 *                   NULL), elem (ARRAY/MULTISET), key, value (MAP), fields (ROW:
 *                   SQL_ROW_FIELD), name (a user-defined type), interval qualifier
 *     SQL_ROW_FIELD row_field: name, type, comment
 *   statements
 *     SQL_CREATE_TABLE create_table: temporary, if_not_exists, name, columns (SQL_COLUMN),
 *                   constraints (SQL_PRIMARY_KEY), watermarks (SQL_WATERMARK), comment,
 *                   partitioned_by (sql_name list), options (SQL_OPTION), query (CTAS)
 *     SQL_COLUMN    column: name, kind (PHYSICAL, COMPUTED, METADATA), type, expr (computed),
 *                   metadata_key (METADATA FROM 'key'), is_virtual, comment, pk (an inline
 *                   SQL_PRIMARY_KEY)
 *     SQL_PRIMARY_KEY pk: name (CONSTRAINT n, or NULL), columns (sql_name list), enforced
 *                   (always 0: Flink accepts only NOT ENFORCED, the parser says so otherwise)
 *     SQL_WATERMARK watermark: column (SQL_IDENT), expr
 *     SQL_OPTION    option: key, value (value NULL for RESET keys)
 *     SQL_CREATE_VIEW create_view: temporary, if_not_exists, name, columns, comment, query
 *     SQL_CREATE_FUNCTION create_function: temporary, system, if_not_exists, name, class_name,
 *                   language, jars (strings)
 *     SQL_DROP      drop: object (TABLE, VIEW, FUNCTION, DATABASE, CATALOG), temporary, system,
 *                   if_exists, name
 *     SQL_ALTER_TABLE alter_table: action (SET, RESET, RENAME), if_exists, name, options,
 *                   new_name
 *     SQL_INSERT    insert: overwrite, table (SQL_IDENT), partition (SQL_NAMED_ARG list: a
 *                   column and its literal value), columns (sql_name list), query
 *     SQL_STATEMENT_SET stmts: list (SQL_INSERT): STATEMENT SET BEGIN ...; END, under an
 *                   SQL_EXECUTE or SQL_EXPLAIN
 *     SQL_BEGIN_STATEMENT_SET, SQL_END: the client's BEGIN STATEMENT SET; ... END; (no fields)
 *     SQL_EXECUTE   execute: stmt (an INSERT, query or statement set)
 *     SQL_EXPLAIN   explain: details (SQL_EXPLAIN_* bits), stmt
 *     SQL_SET       set: key, value (both NULL: SET with no arguments)
 *     SQL_RESET     set: key (NULL: RESET all)
 *     SQL_SHOW      show: what, name (the table or view, or FROM/IN database), like,
 *                   not_like
 *     SQL_DESCRIBE  describe: extended, name
 *     SQL_USE       use: catalog, name
 *     SQL_CLIENT    client: cmd (QUIT, EXIT, HELP, CLEAR)
 *   A query (SELECT, set operation, VALUES, WITH, ORDERED) is itself a statement.
 */
#ifndef SPATE_SQL_AST_H
#define SPATE_SQL_AST_H
#include <stddef.h>

#include "base/strbuf.h"
#include "sql/sql_arena.h"

typedef struct sql_node sql_node;

typedef struct sql_list {
  sql_node **v;
  int n;
} sql_list;

typedef struct sql_name {
  const char *s;
  int quoted;
} sql_name;

typedef struct sql_name_list {
  sql_name *v;
  int n;
} sql_name_list;

typedef enum sql_kind {
  SQL_IDENT = 1,
  SQL_LITERAL,
  SQL_UNARY,
  SQL_BINARY,
  SQL_BETWEEN,
  SQL_LIKE,
  SQL_IN,
  SQL_EXISTS,
  SQL_SUBQUERY,
  SQL_CAST,
  SQL_CASE,
  SQL_CALL,
  SQL_CTOR,
  SQL_ITEM,
  SQL_FIELD,
  SQL_NAMED_ARG,
  SQL_TABLE_ARG,
  SQL_DESCRIPTOR,
  SQL_WINDOW_SPEC,
  SQL_FRAME_BOUND,
  SQL_ORDER_ITEM,
  SQL_GROUPING,
  SQL_SELECT,
  SQL_SETOP,
  SQL_VALUES,
  SQL_WITH,
  SQL_WITH_ITEM,
  SQL_ORDERED,
  SQL_WINDOW_DEF,
  SQL_ALIAS,
  SQL_TABLE_REF,
  SQL_SNAPSHOT,
  SQL_JOIN,
  SQL_TABLE_FUNC,
  SQL_LATERAL,
  SQL_UNNEST,
  SQL_TYPE,
  SQL_ROW_FIELD,
  SQL_CREATE_TABLE,
  SQL_COLUMN,
  SQL_PRIMARY_KEY,
  SQL_WATERMARK,
  SQL_OPTION,
  SQL_CREATE_VIEW,
  SQL_CREATE_FUNCTION,
  SQL_DROP,
  SQL_ALTER_TABLE,
  SQL_INSERT,
  SQL_STATEMENT_SET,
  SQL_BEGIN_STATEMENT_SET,
  SQL_END,
  SQL_EXECUTE,
  SQL_EXPLAIN,
  SQL_SET,
  SQL_RESET,
  SQL_SHOW,
  SQL_DESCRIBE,
  SQL_USE,
  SQL_CLIENT,
  SQL_KIND_COUNT
} sql_kind;

typedef enum sql_lit_kind {
  SQL_LIT_INTEGER = 1,
  SQL_LIT_DECIMAL,
  SQL_LIT_APPROX,
  SQL_LIT_STRING,
  SQL_LIT_BINARY,
  SQL_LIT_TRUE,
  SQL_LIT_FALSE,
  SQL_LIT_NULL,
  SQL_LIT_UNKNOWN,
  SQL_LIT_DATE,
  SQL_LIT_TIME,
  SQL_LIT_TIMESTAMP,
  SQL_LIT_TIMESTAMP_LTZ, /* TIMESTAMP WITH LOCAL TIME ZONE '...' */
  SQL_LIT_INTERVAL,
} sql_lit_kind;

typedef enum sql_unit {
  SQL_UNIT_NONE = 0,
  SQL_UNIT_YEAR,
  SQL_UNIT_QUARTER,
  SQL_UNIT_MONTH,
  SQL_UNIT_WEEK,
  SQL_UNIT_DAY,
  SQL_UNIT_HOUR,
  SQL_UNIT_MINUTE,
  SQL_UNIT_SECOND,
  SQL_UNIT_MILLISECOND,
  SQL_UNIT_MICROSECOND,
  SQL_UNIT_NANOSECOND,
  SQL_UNIT_DOW,
  SQL_UNIT_DOY,
  SQL_UNIT_ISODOW,
  SQL_UNIT_ISOYEAR,
  SQL_UNIT_EPOCH,
  SQL_UNIT_DECADE,
  SQL_UNIT_CENTURY,
  SQL_UNIT_MILLENNIUM,
  SQL_UNIT_COUNT
} sql_unit;

/* An interval qualifier: YEAR, DAY(2) TO SECOND(3), SECOND(2, 6), ... Precisions are -1 when
 * not given; frac_precision belongs to a SECOND end (or a lone SECOND). */
typedef struct sql_interval_qual {
  sql_unit start, end; /* end NONE for a single field */
  int start_precision, frac_precision;
} sql_interval_qual;

typedef enum sql_op_kind {
  SQL_OPK_NONE = 0,
  /* binary */
  SQL_OPK_OR,
  SQL_OPK_AND,
  SQL_OPK_EQ,
  SQL_OPK_NE,
  SQL_OPK_LT,
  SQL_OPK_LE,
  SQL_OPK_GT,
  SQL_OPK_GE,
  SQL_OPK_IS_DISTINCT_FROM,
  SQL_OPK_IS_NOT_DISTINCT_FROM,
  SQL_OPK_PLUS,
  SQL_OPK_MINUS,
  SQL_OPK_MUL,
  SQL_OPK_DIV,
  SQL_OPK_MOD,
  SQL_OPK_CONCAT,
  /* unary prefix */
  SQL_OPK_NOT,
  SQL_OPK_NEG,
  SQL_OPK_POS,
  /* unary postfix */
  SQL_OPK_IS_NULL,
  SQL_OPK_IS_NOT_NULL,
  SQL_OPK_IS_TRUE,
  SQL_OPK_IS_NOT_TRUE,
  SQL_OPK_IS_FALSE,
  SQL_OPK_IS_NOT_FALSE,
  SQL_OPK_IS_UNKNOWN,
  SQL_OPK_IS_NOT_UNKNOWN,
  SQL_OPK_COUNT
} sql_op_kind;

typedef enum sql_call_form {
  SQL_FORM_PLAIN = 0, /* name(args) */
  SQL_FORM_NILADIC,   /* CURRENT_TIMESTAMP, LOCALTIME, ... without parentheses */
  SQL_FORM_EXTRACT,
  SQL_FORM_TRIM,
  SQL_FORM_SUBSTRING,
  SQL_FORM_POSITION,
  SQL_FORM_OVERLAY,
  SQL_FORM_FLOOR_TO, /* FLOOR(x TO unit) */
  SQL_FORM_CEIL_TO,  /* CEIL(x TO unit), CEILING(x TO unit) */
  SQL_FORM_TIMESTAMPADD,
  SQL_FORM_TIMESTAMPDIFF,
  SQL_FORM_JSON_VALUE,
  SQL_FORM_JSON_QUERY,
} sql_call_form;

enum { SQL_QUANT_NONE = 0, SQL_QUANT_ALL, SQL_QUANT_DISTINCT };
enum { SQL_TRIM_NONE = 0, SQL_TRIM_BOTH, SQL_TRIM_LEADING, SQL_TRIM_TRAILING };
enum { SQL_CTOR_ROW = 1, SQL_CTOR_ARRAY, SQL_CTOR_MAP, SQL_CTOR_PAREN };
enum { SQL_FRAME_NONE = 0, SQL_FRAME_ROWS, SQL_FRAME_RANGE };
enum {
  SQL_BOUND_UNBOUNDED_PRECEDING = 1,
  SQL_BOUND_PRECEDING,
  SQL_BOUND_CURRENT_ROW,
  SQL_BOUND_FOLLOWING,
  SQL_BOUND_UNBOUNDED_FOLLOWING
};
enum { SQL_NULLS_DEFAULT = 0, SQL_NULLS_FIRST, SQL_NULLS_LAST };
enum { SQL_GROUPING_SETS = 1, SQL_ROLLUP, SQL_CUBE };
enum { SQL_SETOP_UNION = 1, SQL_SETOP_INTERSECT, SQL_SETOP_EXCEPT };
enum {
  SQL_JOIN_INNER = 1, /* JOIN, INNER JOIN */
  SQL_JOIN_LEFT,
  SQL_JOIN_RIGHT,
  SQL_JOIN_FULL,
  SQL_JOIN_CROSS,
  SQL_JOIN_COMMA
};
enum { SQL_COND_NONE = 0, SQL_COND_ON, SQL_COND_USING };
enum { SQL_COLUMN_PHYSICAL = 1, SQL_COLUMN_COMPUTED, SQL_COLUMN_METADATA };
enum { SQL_OBJ_TABLE = 1, SQL_OBJ_VIEW, SQL_OBJ_FUNCTION, SQL_OBJ_DATABASE, SQL_OBJ_CATALOG };
enum { SQL_ALTER_SET = 1, SQL_ALTER_RESET, SQL_ALTER_RENAME };
enum {
  SQL_LANG_NONE = 0,
  SQL_LANG_JAVA,
  SQL_LANG_SCALA,
  SQL_LANG_PYTHON,
  SQL_LANG_C /* Spate's user functions in shared objects */
};
enum {
  SQL_EXPLAIN_ESTIMATED_COST = 1,
  SQL_EXPLAIN_CHANGELOG_MODE = 2,
  SQL_EXPLAIN_JSON_EXECUTION_PLAN = 4,
  SQL_EXPLAIN_PLAN_ADVICE = 8,
  SQL_EXPLAIN_PLAN_FOR = 16 /* EXPLAIN PLAN FOR stmt */
};
enum {
  SQL_SHOW_TABLES = 1,
  SQL_SHOW_VIEWS,
  SQL_SHOW_FUNCTIONS,
  SQL_SHOW_USER_FUNCTIONS,
  SQL_SHOW_CATALOGS,
  SQL_SHOW_DATABASES,
  SQL_SHOW_CURRENT_CATALOG,
  SQL_SHOW_CURRENT_DATABASE,
  SQL_SHOW_JOBS,
  SQL_SHOW_MODULES,
  SQL_SHOW_FULL_MODULES,
  SQL_SHOW_CREATE_TABLE,
  SQL_SHOW_CREATE_VIEW,
  SQL_SHOW_COLUMNS
};
enum { SQL_CLIENT_QUIT = 1, SQL_CLIENT_EXIT, SQL_CLIENT_HELP, SQL_CLIENT_CLEAR };

typedef enum sql_type_kind {
  SQL_T_BOOLEAN = 1,
  SQL_T_TINYINT,
  SQL_T_SMALLINT,
  SQL_T_INT,
  SQL_T_BIGINT,
  SQL_T_FLOAT,
  SQL_T_REAL,
  SQL_T_DOUBLE,
  SQL_T_DECIMAL,
  SQL_T_CHAR,
  SQL_T_VARCHAR,
  SQL_T_STRING,
  SQL_T_BINARY,
  SQL_T_VARBINARY,
  SQL_T_BYTES,
  SQL_T_DATE,
  SQL_T_TIME,
  SQL_T_TIMESTAMP,
  SQL_T_TIMESTAMP_LTZ, /* TIMESTAMP_LTZ(p) and TIMESTAMP(p) WITH LOCAL TIME ZONE */
  SQL_T_INTERVAL,
  SQL_T_ARRAY,
  SQL_T_MULTISET,
  SQL_T_MAP,
  SQL_T_ROW,
  SQL_T_USER, /* a named user-defined type */
  SQL_T_NULL, /* the type of an untyped NULL literal (the validator's; never declared) */
} sql_type_kind;

struct sql_node {
  sql_kind kind;
  int line, col;
  union {
    struct {
      sql_name *parts;
      int nparts;
      int star;
    } ident;
    struct {
      sql_lit_kind kind;
      const char *text;
      size_t text_len;
      int negative; /* INTERVAL -'1' DAY */
      sql_interval_qual qual;
    } lit;
    struct {
      sql_op_kind op;
      sql_node *arg;
    } unary;
    struct {
      sql_op_kind op;
      sql_node *left, *right;
    } binary;
    struct {
      int negated, symmetry; /* symmetry: 0, 1 ASYMMETRIC, 2 SYMMETRIC */
      sql_node *arg, *low, *high;
    } between;
    struct {
      int similar, negated;
      sql_node *arg, *pattern, *escape;
    } like;
    struct {
      int negated;
      sql_node *arg;
      sql_list list;
      sql_node *query;
    } in;
    struct {
      sql_node *query;
    } query;
    struct {
      int try_cast;
      sql_node *arg, *type;
    } cast;
    struct {
      sql_node *operand;
      sql_list whens, thens;
      sql_node *else_;
    } case_;
    struct {
      sql_node *name;
      sql_call_form form;
      int quantifier, star, trim, has_chars;
      sql_unit unit;
      sql_list args;
      sql_node *filter, *over;
      /* JSON_VALUE: returning type; on_empty/on_error: 0, NULL, ERROR, DEFAULT (with expr).
       * JSON_QUERY: wrapper 0 none, 1 WITHOUT, 2 WITH CONDITIONAL, 3 WITH UNCONDITIONAL;
       * on_empty/on_error: 0, NULL, ERROR, EMPTY ARRAY, EMPTY OBJECT. */
      struct {
        sql_node *returning, *empty_default, *error_default;
        int on_empty, on_error, wrapper;
      } json;
    } call;
    struct {
      int kind;
      sql_list items;
    } ctor;
    struct {
      sql_node *arg, *index;
    } item;
    struct {
      sql_node *arg;
      sql_name name;
    } field;
    struct {
      sql_name name;
      sql_node *value;
    } named;
    struct {
      sql_node *name;
      sql_list partition, order;
    } table_arg;
    struct {
      sql_list names;
    } descriptor;
    struct {
      sql_node *ref; /* SQL_IDENT */
      sql_list partition, order;
      int frame;
      sql_node *lower, *upper;
    } window;
    struct {
      int kind;
      sql_node *offset;
    } bound;
    struct {
      sql_node *arg;
      int desc, nulls;
    } order;
    struct {
      int kind;
      sql_list items;
    } grouping;
    struct {
      int quantifier;
      sql_list items;
      sql_node *from, *where;
      sql_list group_by;
      sql_node *having;
      sql_list windows, order;
      sql_node *offset, *fetch;
    } select;
    struct {
      int op, all;
      sql_node *left, *right;
    } setop;
    struct {
      sql_list rows;
    } values;
    struct {
      sql_list items;
      sql_node *body;
    } with;
    struct {
      sql_name name;
      sql_name_list columns;
      sql_node *query;
    } with_item;
    struct {
      sql_node *query;
      sql_list order;
      sql_node *offset, *fetch;
    } ordered;
    struct {
      sql_name name;
      sql_node *spec;
    } window_def;
    struct {
      sql_node *arg;
      sql_name name;
      sql_name_list columns;
    } alias;
    struct {
      sql_node *name;
    } table_ref;
    struct {
      sql_node *table, *period;
    } snapshot;
    struct {
      int type, natural, cond_kind;
      sql_node *left, *right, *on;
      sql_name_list using;
    } join;
    struct {
      int lateral;
      sql_node *call;
    } table_func;
    struct {
      sql_list args;
      int with_ordinality;
    } unnest;
    struct {
      sql_type_kind kind;
      int precision, scale, nullable;
      sql_node *elem, *key, *value;
      sql_list fields;
      sql_node *name;
      sql_interval_qual qual;
    } type;
    struct {
      sql_name name;
      sql_node *type;
      const char *comment;
    } row_field;
    struct {
      int temporary, if_not_exists;
      sql_node *name;
      sql_list columns, constraints, watermarks;
      const char *comment;
      sql_name_list partitioned_by;
      sql_list options;
      sql_node *query;
    } create_table;
    struct {
      sql_name name;
      int kind, is_virtual;
      sql_node *type, *expr;
      const char *metadata_key, *comment;
      sql_node *pk;
    } column;
    struct {
      sql_name name; /* s NULL without CONSTRAINT name */
      sql_name_list columns;
      int enforced;
    } pk;
    struct {
      sql_node *column, *expr;
    } watermark;
    struct {
      const char *key, *value;
    } option;
    struct {
      int temporary, if_not_exists;
      sql_node *name;
      sql_name_list columns;
      const char *comment;
      sql_node *query;
    } create_view;
    struct {
      int temporary, system, if_not_exists, language;
      sql_node *name;
      const char *class_name;
      const char **jars;
      int njars;
    } create_function;
    struct {
      int object, temporary, system, if_exists;
      sql_node *name;
    } drop;
    struct {
      int action, if_exists;
      sql_node *name, *new_name;
      sql_list options;
    } alter_table;
    struct {
      int overwrite;
      sql_node *table;
      sql_list partition;
      sql_name_list columns;
      sql_node *query;
    } insert;
    struct {
      sql_list list;
    } stmts;
    struct {
      sql_node *stmt;
    } execute;
    struct {
      int details;
      sql_node *stmt;
    } explain;
    struct {
      const char *key, *value;
    } set;
    struct {
      int what;
      sql_node *name;
      const char *like;
      int not_like;
    } show;
    struct {
      int extended;
      sql_node *name;
    } describe;
    struct {
      int catalog;
      sql_node *name;
    } use;
    struct {
      int cmd;
    } client;
  } u;
};

/* A parsed statement (or expression): its root and the arena holding it. */
typedef struct sql_ast {
  sql_arena arena;
  sql_node *root;
} sql_ast;

/* Frees the tree and everything in its arena; NULL is a no-op. */
void sql_ast_free(sql_ast *ast);

/* Writes node as canonical SQL: keywords in upper case, every identifier in backquotes as
 * Flink's unparse writes them, every operator operand that is itself an operation in
 * parentheses (so the text shows how the parser grouped it), one line. Returns 0 or
 * SPATE_ENOMEM. */
int sql_unparse(const sql_node *node, sp_strbuf *out);

/* The children of node in source order, at most cap of them written to out; returns how many
 * there are (walkers use it for checks that need no per-kind knowledge, such as depth). */
int sql_node_children(const sql_node *node, const sql_node **out, int cap);

/* The name of a kind ("SQL_SELECT"), of a time unit ("MINUTE"), of an operator ("<>"). */
const char *sql_kind_name(sql_kind kind);
const char *sql_unit_name(sql_unit unit);
const char *sql_opk_text(sql_op_kind op);
#endif
