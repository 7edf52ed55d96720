/*
 * sql_rel.h: the planner's relational plan, Flink's RelNode tree in Spate's terms.
 *
 * A query becomes a tree of relations (sql_plan_query.c): each relation has its output columns
 * (names and logical types), its inputs and what its kind needs. Expressions are the validator's
 * typed trees (sql_validate.h) whose column references index the input's columns (for a UNION,
 * each input's; for a calc, its one input's). The same tree serves as the logical plan (as
 * Calcite prints it under "Abstract Syntax Tree") and, after the rewrite rules
 * (sql_plan_rules.c), as the optimized plan that becomes the job (sql_translate.c).
 *
 * Changelog mode: a relation is either insert-only or updating (its rows may be -U, +U, -D), as
 * Flink's planner infers it (FlinkChangelogModeInferenceProgram): a scan, VALUES and a window
 * aggregation are insert-only, an unwindowed aggregation is updating, a calc or union updates when
 * an input does. Updating rows carry their kind in one last field (types/row_kind.h). Which kinds
 * exactly (whether updates come with their -U, whether there are deletes) is inferred over the
 * optimized tree (sql_plan_changelog.c).
 *
 * Everything lives in the plan's arena; a plan lives as long as its statement.
 */
#ifndef SPATE_SQL_SQL_REL_H
#define SPATE_SQL_SQL_REL_H
#include <stdbool.h>
#include <stdint.h>

#include "base/config.h"
#include "graph/op_params.h"
#include "sql/sql_catalog.h"
#include "sql/sql_validate.h"

typedef enum sql_rel_kind {
  SQL_REL_SCAN = 1,    /* a catalog table's physical columns */
  SQL_REL_VALUES,      /* literal rows */
  SQL_REL_CALC,        /* projections over the rows that pass an optional filter */
  SQL_REL_UNION,       /* UNION ALL of inputs with the same column types */
  SQL_REL_WATERMARK,   /* the table's watermark on its rowtime column */
  SQL_REL_AGGREGATE,   /* GROUP BY without windows: updating */
  SQL_REL_WINDOW_TVF,  /* TUMBLE, HOP, CUMULATE, SESSION(TABLE t, DESCRIPTOR(ts), ...): its input's
                         columns and window_start, window_end, window_time; planned only under
                         a window aggregation, which takes its place */
  SQL_REL_WINDOW_AGG,  /* GROUP BY window_start, window_end over a window table function */
  SQL_REL_EXPAND,      /* Flink's Expand under an aggregation of grouping sets: each row once per
                         set, keys absent from it null, the set's id $e appended */
  SQL_REL_JOIN,        /* a regular join: the left input's columns, then the right's (nullable on
                         an outer join's padded side) */
  SQL_REL_OVER,        /* the windowed calls (OVER) of a calc, split out by the rules as Calcite's
                         ProjectToWindowRule does: the input's columns, then one per call
                         (w0$o0, ...); only in the optimized tree */
  SQL_REL_RANK,        /* Top-N: ROW_NUMBER over a window under a filter on it (Flink's Rank):
                         the input's columns, then the row number when it is used */
  SQL_REL_DEDUPLICATE, /* the first or last row per partition in time order: a Top-1 on a time
                          attribute (Flink's Deduplicate): the input's columns */
  SQL_REL_SINK,        /* INSERT INTO a table, or the client's collected result */
} sql_rel_kind;

/* Aggregate functions and window kinds are the operators' (sql_agg_kind, sql_window_kind in
 * graph/op_params.h). */
typedef struct sql_agg_call {
  sql_agg_kind kind;
  int arg;    /* input column, -1 for COUNT(*) */
  int filter; /* input column of BOOLEAN type (FILTER (WHERE ...)), -1: none */
  bool distinct;
  const sql_type *type; /* the result's type */
  const char *name;     /* the output column's name */
} sql_agg_call;

/* Time attributes of columns, as Flink's TimeIndicatorTypeInfo: a rowtime column carries a
 * watermark, a proctime column is PROCTIME(). A projection of the bare column keeps it. */
enum { SQL_ATTR_NONE = 0, SQL_ATTR_ROWTIME = 1, SQL_ATTR_PROCTIME = 2 };

/* The kinds of rows a relation emits (Flink's ChangelogMode): bits of sql_rel.changes. */
enum {
  SQL_CL_INSERT = 1,
  SQL_CL_UPDATE_BEFORE = 2,
  SQL_CL_UPDATE_AFTER = 4,
  SQL_CL_DELETE = 8,
};

typedef struct sql_rel sql_rel;
struct sql_rel {
  sql_rel_kind kind;
  int id; /* numbered in creation order; the uids of its operators derive from the plan */
  int ncols;
  const char **names;
  const sql_type **types;
  bool updating;
  uint8_t changes; /* SQL_CL_*: set on the optimized tree by sql_plan_changelog */
  uint8_t *attrs;  /* per column: SQL_ATTR_* (time attributes) */
  int ninputs;
  sql_rel **inputs;
  union {
    struct {
      const sql_table *table;
      /* What the rules pushed into the source (Flink's source abilities, sql_plan_pushdown.c):
       * the physical columns it reads (unless projected: all of them, in declaration order)
       * and a condition it was offered (Flink's filter=[...]; the calc above still applies it). */
      bool projected;
      int nproject;
      int *project;  /* nproject indices of the table's physical columns */
      int nphysical; /* the physical columns (the filter's) */
      const char **physical;
      const sql_type **physical_types;
      sql_expr *filter; /* over the physical columns; NULL: none offered */
    } scan;
    struct {
      int nrows;
      sql_expr ***rows; /* nrows rows of ncols literal-only expressions */
    } values;
    struct {
      int nproj;
      sql_expr **projs; /* ncols of them */
      sql_expr *filter; /* NULL: every row */
    } calc;
    struct {
      int column;    /* the rowtime column */
      int64_t delay; /* ms: the watermark is max(rowtime) - delay */
      const sql_node *expr;
    } watermark;
    struct {
      int ngroup;
      int *group; /* input columns, the first output columns in this order */
      int naggs;
      sql_agg_call *aggs;
    } agg;
    struct {
      sql_window_kind window;
      int time_col;        /* input column of the time attribute */
      bool proctime;       /* processing time */
      int64_t size, slide; /* ms: HOP's slide, CUMULATE's step; SESSION's gap is size */
      int64_t offset;
      int npartition; /* SESSION's PARTITION BY columns (of the input) */
      int *partition;
      sql_interval_qual quals[3]; /* of the arguments as written: size (gap), slide/step, offset */
      bool has_offset;
    } tvf;
    struct {
      sql_window_kind window;
      int time_col;        /* input column of the time attribute */
      bool proctime;       /* processing time (the column is PROCTIME()) */
      int64_t size, slide; /* ms: HOP's slide, CUMULATE's step; SESSION's gap is size */
      int64_t offset;
      bool has_offset;
      const sql_rel *tvf; /* the window table function it replaces (for EXPLAIN's tree) */
      int ngroup;
      int *group; /* input columns besides window_start/window_end */
      int naggs;
      sql_agg_call *aggs;
      /* The output: group columns, window_start, window_end, window_time, aggregates. */
    } window;
    struct {
      int nsets;
      uint64_t *ids; /* per set: bit (nkeys - 1 - j) set when key j is nulled */
      int nkeys;
      int *keys; /* the input columns of the group keys */
    } expand;
    struct {
      int type;       /* SQL_JOIN_INNER, _LEFT, _RIGHT or _FULL (sql_ast.h); a CROSS or comma
                         join is an inner join on TRUE */
      sql_expr *cond; /* over the join's own columns; NULL: TRUE */
      /* cond split as Flink's JoinInfo: the equalities of a left column with a right column of
       * the same type (the keys both inputs are hashed on), and the rest */
      int nkeys;
      int *lkeys, *rkeys; /* columns of the left input, of the right input */
      sql_expr *residual; /* over the join's columns; NULL: none */
    } join;
    struct {
      /* the window: input columns (the planner refuses other expressions) */
      int npartition;
      int *partition;
      int norder;
      int *order;
      bool *desc, *nulls_first;
      int ncalls; /* OVER: the calls, their arguments input columns */
      sql_expr **calls;
      int frame;                     /* OVER: SQL_FRAME_* as written (NONE: RANGE UNBOUNDED) */
      const sql_node *lower, *upper; /* OVER: the frame's bounds as written, or NULL */
      const sql_expr *lower_offset;  /* OVER: the lower bound's offset (a literal), or NULL */
      bool rows;                     /* OVER aggregation: a ROWS frame (else RANGE) */
      int64_t preceding;             /* OVER aggregation: rows or ms before the current row
                                        in the frame; -1: UNBOUNDED PRECEDING */
      sql_agg_call *aggs;            /* OVER aggregation: the calls as an aggregation's, named
                                        as the relation's columns */
      int64_t rank_start, rank_end;  /* RANK: the rows kept, 1-based and inclusive */
      sql_fn rank_fn;                /* RANK: ROW_NUMBER (RANK and DENSE_RANK only plan) */
      bool output_number;            /* RANK: the row number is the last column */
      bool keep_last, proctime;      /* DEDUPLICATE: the row kept; the time's kind */
    } over;
    struct {
      const sql_table *table; /* NULL: the client's result */
      bool overwrite;
    } sink;
  } u;
};

/* Whether set's copy of a row has column col nulled in expand x. */
static inline bool sql_rel_expand_nulls(const sql_rel *x, int set, int col) {
  for (int j = 0; j < x->u.expand.nkeys; j++)
    if (x->u.expand.keys[j] == col)
      return (x->u.expand.ids[set] >> (x->u.expand.nkeys - 1 - j)) & 1;
  return false;
}

/* A planning context: the session's catalog and configuration, the arena of the plan, the first
 * error and where it points. */
typedef struct sql_planner {
  sql_catalog *catalog;
  const sp_config *config;
  sql_arena *arena;
  int next_id;
  struct sql_cte *ctes;     /* the WITH items in scope, innermost first (sql_plan_query.c) */
  const char *collect_name; /* the client's result sink's name (NULL: SQL_RESULT_COLLECT) */
  sql_verror err;
  bool table_error; /* a TableException (cannot run) rather than a ValidationException */
} sql_planner;

/* Records a validation (or, with table, a table) error at node n (may be NULL: no position);
 * returns SPATE_EINVAL. */
int sql_plan_fail(sql_planner *p, const sql_node *n, bool table, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A new relation of kind with ncols columns and ninputs inputs (arrays allocated), or NULL. */
sql_rel *sql_rel_new(sql_planner *p, sql_rel_kind kind, int ncols, int ninputs);

/* ---- sql_plan_query.c ---- */
/* A query (SELECT, set operation, VALUES, WITH, ORDERED) as a relation. */
int sql_plan_query(sql_planner *p, const sql_node *query, sql_rel **out);
/* An INSERT: the query under a sink of the target table, the query's columns checked against
 * the table's physical columns. */
int sql_plan_insert(sql_planner *p, const sql_node *insert, sql_rel **out);

/* ---- sql_plan_rules.c ---- */
/* The optimized copy of a logical tree, rewritten as Flink's optimizer would for these shapes:
 * adjacent calcs merged, TRUE conditions dropped, calcs that only pass their input through
 * removed. The logical tree stays as it was. */
int sql_plan_optimize(sql_planner *p, const sql_rel *logical, sql_rel **out);

/* ---- sql_plan_over.c: OVER windows (called by sql_plan_optimize) ---- */
/* Whether e has a windowed call (OVER) in it. */
bool sql_expr_has_over(const sql_expr *e);
/* Calc c with windowed calls in its projections: the calls go into a SQL_REL_OVER below it and
 * c's projections read their columns; c's condition goes into a new calc below the window
 * (*filtered says so). */
int sql_plan_split_over(sql_planner *p, sql_rel *c, bool *filtered);
/* Calc *rel over a SQL_REL_OVER of ROW_NUMBER whose condition bounds the number: the window
 * becomes a SQL_REL_RANK (or a SQL_REL_DEDUPLICATE for a Top-1 on a time attribute) keeping the
 * rest of the condition, as Flink's FlinkLogicalRankRule and StreamPhysicalDeduplicateRule. */
int sql_plan_rank(sql_planner *p, sql_rel **rel);
/* Checks every window under root no rule took as an OVER aggregation Flink runs (aggregates over
 * one ascending time attribute, a frame from some or all preceding rows to the current one,
 * an insert-only input) and sets its frame; a TableException otherwise. */
int sql_plan_check_over(sql_planner *p, sql_rel *root);

/* ---- sql_plan_changelog.c ---- */
/* Flink's changelog-mode inference over the optimized tree under root: sets every relation's
 * changes. root is a sink (what its table takes decides whether updates keep their -U) or, for
 * EXPLAIN of a query, the query itself (Flink's root without a sink: +U alone where the tree
 * allows). */
void sql_plan_changelog(sql_rel *root);

/* ---- sql_plan_pushdown.c: projection and filter push-down (called by sql_plan_optimize) ---- */
/* Calc c over a watermark assigner: when c does not use every column, a calc keeping the used
 * ones and the rowtime goes below the assigner (*moved; its input is then that calc). */
int sql_plan_transpose_watermark(sql_planner *p, sql_rel *c, bool *moved);
/* Calc c over a scan: the scan reads only the columns c uses and is offered c's condition, as
 * its source's abilities allow (sql_source_abilities). */
int sql_plan_push_into_scan(sql_planner *p, sql_rel *c);
/* Calc *rel over a UNION ALL: a copy of it over each input and the union in its place (*moved)
 * when every input has the union's column types. */
int sql_plan_push_into_union(sql_planner *p, sql_rel **rel, bool *moved);
/* The scan's source abilities as Flink prints them inside table=[[...]]: ", filter=[...],
 * project=[a, b], metadata=[]" (empty when nothing was pushed). */
int sql_scan_digest(const sql_rel *scan, sp_strbuf *out);

/* ---- sql_rel_expr.c: expressions of relations ---- */
/* A deep copy of e with every column reference i replaced by a copy of subst[i]. */
sql_expr *sql_expr_subst(sql_arena *a, const sql_expr *e, sql_expr *const *subst);
/* Whether two logical types are the same (nullability included). */
bool sql_type_same(const sql_type *a, const sql_type *b);
/* Structural equality (same function, arguments, literals, columns and types). */
bool sql_expr_equal(const sql_expr *a, const sql_expr *b);
/* Calls fn(arg, i) for each column reference i in e (arguments, FILTER, casts and the keys of a
 * call's window), in order, until fn returns true; returns whether one did. */
bool sql_expr_find_column(const sql_expr *e, bool (*fn)(void *arg, int col), void *arg);
/* A reference to column i of type t, or NULL. */
sql_expr *sql_expr_column(sql_arena *a, int i, const sql_type *t);
/* x AND y (x alone when y is NULL, and the reverse); NULL only when both are, or out of
 * memory. */
sql_expr *sql_expr_and(sql_arena *a, sql_expr *x, sql_expr *y);
/* Whether e has no column and nothing that changes between rows (the time functions, RAND, a C
 * function declared non-deterministic): what constant folding may evaluate once. */
bool sql_expr_is_constant(const sql_expr *e);
/* Whether e is a literal TRUE (a filter that keeps every row). */
bool sql_expr_is_true(const sql_expr *e);
/* How plans print expressions: Calcite's RexNode form ($0, +($1, 1)) in the abstract syntax
 * tree, the same with column names in the physical plan (+(b, 1)), Flink's SQL-like form in the
 * execution plan ((b + 1)); a scan's filter=[...] as the physical plan with its string literals
 * typed (_UTF-16LE'a':VARCHAR(2147483647) CHARACTER SET "UTF-16LE"), as Flink's come back from
 * the source's expressions. */
typedef enum sql_expr_style {
  SQL_EXPR_REX,
  SQL_EXPR_PHYSICAL,
  SQL_EXPR_EXEC,
  SQL_EXPR_DIGEST
} sql_expr_style;
/* Appends e in that style, names[i] naming column i. Returns 0 or SPATE_ENOMEM. */
int sql_expr_format(const sql_expr *e, const char *const *names, sql_expr_style style,
                    sp_strbuf *out);

/* ---- sql_rel_format.c ---- */
/* EXPLAIN: Flink's "== Abstract Syntax Tree ==", "== Optimized Physical Plan ==" and
 * "== Optimized Execution Plan ==" sections for the logical tree and the optimized one;
 * changelog adds Flink's changelogMode=[I,UB,UA,D] (the kinds sql_plan_changelog set; a sink's
 * [NONE]) to the physical plan. */
int sql_explain(const sql_rel *logical, const sql_rel *optimized, bool changelog, sp_strbuf *out);
/* The one line of r in the execution plan ("Calc(select=[a, (b + 1) AS c])"), without inputs:
 * the name of r's operator. */
int sql_rel_describe(const sql_rel *r, sp_strbuf *out);
#endif
