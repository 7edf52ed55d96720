/*
 * sql_validate.h: the expression validator, from a syntax tree expression (sql_ast.h) to a typed
 * expression tree, with Flink's type rules and Flink's (or Calcite's) messages.
 *
 * The validator resolves column references against a scope (a list of named, typed columns),
 * decodes and checks literals, identifies operators and built-in functions, and derives every
 * node's logical type (sql_types.h) with its nullability: numeric promotion and DECIMAL
 * precision as Flink's LogicalTypeMerging, common types of CASE/COALESCE/IF as its
 * findCommonType, casts as LogicalTypeCasts. Aggregate calls are typed like any other call and
 * flagged, so that the planner can place them.
 *
 * Only expressions: SELECT lists, FROM and GROUP BY are the planner's, which calls this for each
 * expression with the scope of its input. Subqueries, window calls (OVER), constructors (ROW,
 * ARRAY, MAP) and element access are refused with a message saying so. Calls of C user
 * functions (sql_udf.h) resolve through the catalog given to sql_validate_expr_in in Flink's order: a temporary
 * system function, then a built-in function, then a catalog function.
 *
 * The typed tree lives in the caller's arena. Errors are values: SPATE_EINVAL with the message
 * and the 1-based line and column of the offending node in a sql_verror, or SPATE_ENOMEM.
 */
#ifndef SPATE_SQL_SQL_VALIDATE_H
#define SPATE_SQL_SQL_VALIDATE_H
#include <stdbool.h>
#include <stdint.h>

#include "sql/sql_ast.h"
#include "sql/sql_types.h"

/* One column visible to an expression. */
typedef struct sql_scope_column {
  const char *name; /* matched exactly: Flink's identifiers are case-sensitive */
  const sql_type *type;
  const char *qualifier; /* the table name or alias that qualifies it (t.a), or NULL */
} sql_scope_column;

struct sql_catalog;
struct sql_udf;

typedef struct sql_scope {
  const sql_scope_column *cols;
  int ncols;
  const sql_list *windows; /* the SELECT's WINDOW clause (SQL_WINDOW_DEF), for OVER w; or NULL */
} sql_scope;

/* The built-in operators and functions a call can be. The table of their names, arities and
 * type rules is in sql_functions.c. */
typedef enum sql_fn {
  SQL_FN_NONE = 0,
  /* operators */
  SQL_FN_PLUS,
  SQL_FN_MINUS,
  SQL_FN_TIMES,
  SQL_FN_DIVIDE,
  SQL_FN_MOD,
  SQL_FN_NEGATE,
  SQL_FN_CONCAT_OP, /* || */
  SQL_FN_EQ,
  SQL_FN_NE,
  SQL_FN_LT,
  SQL_FN_LE,
  SQL_FN_GT,
  SQL_FN_GE,
  SQL_FN_IS_DISTINCT_FROM,
  SQL_FN_IS_NOT_DISTINCT_FROM,
  SQL_FN_AND,
  SQL_FN_OR,
  SQL_FN_NOT,
  SQL_FN_IS_NULL,
  SQL_FN_IS_NOT_NULL,
  SQL_FN_IS_TRUE,
  SQL_FN_IS_NOT_TRUE,
  SQL_FN_IS_FALSE,
  SQL_FN_IS_NOT_FALSE,
  SQL_FN_IS_UNKNOWN,
  SQL_FN_IS_NOT_UNKNOWN,
  SQL_FN_BETWEEN,    /* args: x, low, high; flags: SQL_CALL_NEGATED, SQL_CALL_SYMMETRIC */
  SQL_FN_IN,         /* args: x, then the list; flags: SQL_CALL_NEGATED */
  SQL_FN_LIKE,       /* args: x, pattern, escape?; flags: SQL_CALL_NEGATED */
  SQL_FN_SIMILAR_TO, /* the same */
  SQL_FN_CASE,       /* args: when1, then1, ..., else (the else always there: NULL if absent) */
  SQL_FN_COALESCE,
  SQL_FN_NULLIF,
  SQL_FN_IF,
  SQL_FN_IFNULL,
  /* string functions */
  SQL_FN_CONCAT,
  SQL_FN_CONCAT_WS,
  SQL_FN_UPPER,
  SQL_FN_LOWER,
  SQL_FN_CHAR_LENGTH,
  SQL_FN_TRIM, /* args: chars, x; trim says which side */
  SQL_FN_LTRIM,
  SQL_FN_RTRIM,
  SQL_FN_SUBSTRING,
  SQL_FN_POSITION,
  SQL_FN_REPLACE,
  SQL_FN_REGEXP,
  SQL_FN_REGEXP_EXTRACT,
  SQL_FN_REGEXP_REPLACE,
  SQL_FN_SPLIT_INDEX,
  SQL_FN_LPAD,
  SQL_FN_RPAD,
  SQL_FN_INITCAP,
  SQL_FN_MD5,
  SQL_FN_SHA256,
  /* temporal */
  SQL_FN_CURRENT_TIMESTAMP,
  SQL_FN_NOW,
  SQL_FN_LOCALTIMESTAMP,
  SQL_FN_CURRENT_DATE,
  SQL_FN_CURRENT_TIME,
  SQL_FN_LOCALTIME,
  SQL_FN_PROCTIME,
  SQL_FN_CURRENT_ROW_TIMESTAMP,
  SQL_FN_DATE_FORMAT,
  SQL_FN_EXTRACT, /* unit set */
  SQL_FN_FLOOR,   /* unit set for FLOOR(x TO unit), SQL_UNIT_NONE for a numeric floor */
  SQL_FN_CEIL,
  SQL_FN_TIMESTAMPADD,
  SQL_FN_TIMESTAMPDIFF,
  SQL_FN_TO_TIMESTAMP,
  SQL_FN_TO_TIMESTAMP_LTZ,
  SQL_FN_UNIX_TIMESTAMP,
  SQL_FN_TO_DATE,
  SQL_FN_FROM_UNIXTIME,
  /* math */
  SQL_FN_ABS,
  SQL_FN_MOD_FN,
  SQL_FN_POWER,
  SQL_FN_SQRT,
  SQL_FN_EXP,
  SQL_FN_LN,
  SQL_FN_LOG10,
  SQL_FN_ROUND,
  SQL_FN_RAND,
  SQL_FN_SIGN,
  /* JSON */
  SQL_FN_JSON_VALUE,
  SQL_FN_JSON_QUERY,
  /* aggregates */
  SQL_FN_COUNT,
  SQL_FN_SUM,
  SQL_FN_MIN,
  SQL_FN_MAX,
  SQL_FN_AVG,
  /* grouping functions: aggregates to the validator, the planner's CASE over the expand id */
  SQL_FN_GROUPING,
  SQL_FN_GROUPING_ID,
  SQL_FN_GROUP_ID,
  /* window functions: only with OVER */
  SQL_FN_ROW_NUMBER,
  SQL_FN_RANK,
  SQL_FN_DENSE_RANK,
  /* a C user function of the catalog (call.udf) */
  SQL_FN_UDF,
  SQL_FN_COUNT_
} sql_fn;

enum {
  SQL_CALL_NEGATED = 1,   /* NOT BETWEEN, NOT IN, NOT LIKE, NOT SIMILAR TO */
  SQL_CALL_SYMMETRIC = 2, /* BETWEEN SYMMETRIC */
  SQL_CALL_DISTINCT = 4,  /* an aggregate over distinct values */
  SQL_CALL_STAR = 8,      /* COUNT(*) */
  SQL_CALL_SEARCH = 16,   /* an IN the planner made: printed as Calcite's SEARCH(x, Sarg[...]) */
};

typedef enum sql_expr_kind {
  SQL_E_LITERAL = 1,
  SQL_E_COLUMN,
  SQL_E_CALL,
  SQL_E_CAST,
} sql_expr_kind;

/* A literal's decoded value, by the literal's kind:
 *   INTEGER       i (fits in BIGINT); a wider integer is a DECIMAL
 *   DECIMAL       digits (the unscaled value's digits, no point) and the type's scale
 *   APPROX        d
 *   STRING        s, len (the string's bytes); BINARY: s, len are the bytes
 *   TRUE/FALSE    b
 *   DATE          i: days since 1970-01-01
 *   TIME          i: nanoseconds of the day
 *   TIMESTAMP(_LTZ) i: seconds since 1970-01-01 00:00:00, nanos: the fraction
 *   INTERVAL      i: months (year-month) or milliseconds (day-time), signed */
typedef struct sql_literal_value {
  sql_lit_kind kind;
  int64_t i;
  int32_t nanos;
  double d;
  bool b;
  const char *s;
  size_t len;
  const char *digits;
  sql_interval_qual qual; /* INTERVAL: the qualifier as written (the type is the family's) */
} sql_literal_value;

typedef struct sql_expr sql_expr;

/* The window of a call with OVER (a window function, or an aggregate over a window): its
 * PARTITION BY and ORDER BY expressions over the call's scope, and its frame as written. NULLs
 * sort as Calcite's default for Flink: first ascending, last descending. */
typedef struct sql_over {
  int npartition;
  sql_expr **partition;
  int norder;
  sql_expr **order;
  bool *desc, *nulls_first;              /* per ORDER BY key */
  int frame;                             /* SQL_FRAME_NONE, _ROWS or _RANGE */
  const sql_node *lower, *upper;         /* the frame's bounds (SQL_FRAME_BOUND), or NULL */
  sql_expr *lower_offset, *upper_offset; /* their offsets (n PRECEDING), validated, or NULL */
} sql_over;

struct sql_expr {
  sql_expr_kind kind;
  const sql_type *type; /* with nullability; SQL_T_NULL for an untyped NULL */
  int line, col;        /* where the expression's text starts */
  bool aggregate;       /* an aggregate call (not whether one is nested below) */
  bool proctime;        /* PROCTIME(): a processing-time attribute */
  union {
    sql_literal_value lit;
    int column; /* index into the scope */
    struct {
      sql_fn fn;
      int flags;     /* SQL_CALL_* */
      sql_unit unit; /* EXTRACT, FLOOR/CEIL TO, TIMESTAMPADD/DIFF */
      int trim;      /* SQL_TRIM_* for TRIM */
      int nargs;
      sql_expr **args;
      sql_expr *filter;          /* an aggregate's FILTER (WHERE ...) condition, or NULL */
      sql_over *over;            /* OVER (...): a windowed call (then not aggregate), or NULL */
      const struct sql_udf *udf; /* SQL_FN_UDF: the function (the catalog's, which outlives
                                    the plan) */
    } call;
    struct {
      bool try_cast;
      sql_expr *arg;
    } cast;
  } u;
};

/* An error of validation: Flink's message and where its node starts. */
typedef struct sql_verror {
  int line, col;
  char msg[1024];
} sql_verror;

/* Validates expression e over scope, allocating the typed tree in arena. Returns 0 and *out,
 * SPATE_EINVAL with err filled, or SPATE_ENOMEM. */
int sql_validate_expr(const sql_node *e, const sql_scope *scope, sql_arena *arena, sql_expr **out,
                      sql_verror *err);
/* The same, with calls that may name the user functions of catalog (NULL: none). */
int sql_validate_expr_in(const sql_node *e, const sql_scope *scope,
                         const struct sql_catalog *catalog, sql_arena *arena, sql_expr **out,
                         sql_verror *err);

/* The name Calcite prints for a type in messages ("INTEGER", "VARCHAR(2147483647)",
 * "TIMESTAMP_WITH_LOCAL_TIME_ZONE(3)"), into buf (cap bytes, always terminated). */
void sql_calcite_type_name(const sql_type *t, char *buf, size_t cap);

/* Whether Flink's CAST converts from to to (LogicalTypeCasts.supportsExplicitCast), and whether
 * it widens implicitly (supportsImplicitCast); nullability is not considered. */
bool sql_type_can_cast(const sql_type *from, const sql_type *to, bool explicit_cast);

/* Flink's findCommonType over n types: the common type with merged nullability (allocated in
 * arena), or NULL when there is none (or out of memory, which *oom says). */
const sql_type *sql_type_common(const sql_type *const *types, int n, sql_arena *arena, bool *oom);

/* The function table's entry name of fn ("UPPER", "+"), for messages and tests. */
const char *sql_fn_name(sql_fn fn);

#endif
