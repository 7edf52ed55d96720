/*
 * spate/sql_function.h: scalar SQL functions written in C (Flink's ScalarFunction), called from
 * SQL queries. Part of the public API that spate/spate.h includes; a function library may also
 * include this file alone: it declares types only, so the library needs no link to libspate.
 *
 * A library exports one descriptor per function, a `spate_sql_function` with external linkage,
 * and SQL names it by its symbol:
 *
 *     CREATE FUNCTION shout AS 'shout' LANGUAGE C USING JAR '/path/libmyfuncs.so';
 *     SELECT shout(name) FROM people;
 *
 * The descriptor gives the argument types and the result type as SQL type strings ("INT",
 * "STRING", "VARCHAR(20)", "DOUBLE NOT NULL", "TIMESTAMP(3)"), whether the function is
 * deterministic, and the callbacks:
 *
 *     static const char *const shout_args[] = {"STRING"};
 *     static int shout_eval(spate_sql_function_context *ctx, const spate_sql_value *args,
 *                           spate_sql_result *out) {
 *       (void)ctx;
 *       if (args[0].is_null) return out->is_null = true, 0;
 *       out->len = args[0].len + 1;
 *       if (out->len > out->cap) return 0;       // called again with a buffer that fits
 *       for (size_t i = 0; i < args[0].len; i++) out->buf[i] = (char)toupper(args[0].str[i]);
 *       out->buf[args[0].len] = '!';
 *       return 0;
 *     }
 *     const spate_sql_function shout = {
 *         .abi = SPATE_SQL_FUNCTION_ABI, .nargs = 1, .arg_types = shout_args,
 *         .result_type = "STRING", .deterministic = true, .eval = shout_eval};
 *
 * Where it runs. The SQL client loads the library when CREATE FUNCTION runs (a path relative to
 * the client's working directory is made absolute), checks the descriptor and uses its types to
 * validate calls; a query's job carries the library's path and the symbol, and every subtask of
 * the calc that calls the function loads the library again when it opens (once, not per row),
 * calls `open`, then `eval` per row, and `close` when it ends. The library must therefore exist
 * at the same path where the job runs (on the embedded MiniCluster: the same machine).
 *
 * Types. Arguments and results of these SQL types, with their values in `spate_sql_value`:
 *   BOOLEAN                      b
 *   TINYINT, SMALLINT, INT, BIGINT  i (within the type's range)
 *   FLOAT, DOUBLE                d
 *   CHAR(n), VARCHAR(n), STRING  str, len: UTF-8 bytes, not NUL-terminated
 *   BINARY(n), VARBINARY(n), BYTES  str, len: the bytes
 *   DATE                         i: days since 1970-01-01
 *   TIME(p)                      i: milliseconds of the day
 *   TIMESTAMP(p), TIMESTAMP_LTZ(p)  i: milliseconds since 1970-01-01 00:00:00 (UTC for _LTZ),
 *                                nanos: nanoseconds within that millisecond (0..999999)
 * DECIMAL, intervals and composite types (ARRAY, MAP, ROW) are refused at CREATE FUNCTION.
 *
 * Calls. A call's arguments are cast to the declared types as Flink casts a UDF's arguments
 * implicitly (INT to BIGINT or DOUBLE, CHAR to STRING, ...); arguments that cannot be cast
 * implicitly, or a different number of them, fail validation with Flink's "Invalid function
 * call" message. An argument declared NOT NULL never reaches eval as NULL: a call with such an
 * argument NULL is NULL without calling eval. The result's nullability is the declared one; a
 * NOT NULL result that eval sets to NULL fails the task.
 *
 * Deterministic functions called with constant arguments are folded into a constant when the
 * query is planned (eval then runs once, in the client), as Flink reduces expressions; set
 * deterministic to false for functions whose value changes from call to call (random numbers,
 * clocks, counters): they are called for every row and never folded or shared between columns.
 *
 * No allocation per row. Argument strings point into the row being processed and are valid
 * during the call only. A string or bytes result is written into `buf`, a buffer the engine
 * owns and keeps (`cap` bytes); eval sets `len` to the result's length. When the result needs
 * more room, eval sets `len` to the length it needs and returns 0 without filling `buf`: the
 * engine grows the buffer (kept for later rows) and calls eval again with the same arguments,
 * so eval should change nothing outside `out` before it knows the buffer fits. Instead of
 * writing `buf`, eval may point `str` at bytes of its own (a constant, an argument's bytes):
 * the engine copies the result when eval returns either way.
 *
 * Errors. open and eval return 0, or non-zero after writing a message into ctx->error; the task
 * then fails with "Function '<name>' failed: <message>" (for open, "could not be opened"), as an
 * exception thrown by a Java UDF fails a Flink task.
 *
 * Threads. Each subtask has its own context and calls one function at a time from one thread;
 * different subtasks call the same function from different threads at once, so state goes in
 * ctx->state, not in globals.
 */
#ifndef SPATE_SQL_FUNCTION_H
#define SPATE_SQL_FUNCTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this interface, in every descriptor's `abi`; a library built against another
 * version is refused at CREATE FUNCTION and where the job runs. */
#define SPATE_SQL_FUNCTION_ABI 1

/* One argument's value: is_null, or the field its type uses (see "Types" above). */
typedef struct spate_sql_value {
  bool is_null;
  bool b;
  int32_t nanos;
  int64_t i;
  double d;
  const char *str;
  size_t len;
} spate_sql_value;

/* The result eval writes: is_null, or the field of the result type; for strings and bytes the
 * bytes go into buf (cap bytes, the engine's) with their length in len, or str points at them.
 * All fields start cleared (buf and cap set) for every call. */
typedef struct spate_sql_result {
  bool is_null;
  bool b;
  int32_t nanos;
  int64_t i;
  double d;
  char *buf;
  size_t cap;
  size_t len;
  const char *str;
} spate_sql_result;

/* What a function sees of where it runs, the same for open, every eval and close. */
typedef struct spate_sql_function_context {
  void *state;       /* the function's own: set by open, kept for eval and close */
  const char *name;  /* the function's SQL name (as created) */
  int subtask_index; /* this subtask, 0 .. parallelism - 1 */
  int parallelism;   /* of the calc that calls the function */
  char error[512];   /* where open and eval write a message when they fail */
} spate_sql_function_context;

typedef struct spate_sql_function {
  int abi;                      /* SPATE_SQL_FUNCTION_ABI */
  int nargs;                    /* 0 to 16 */
  const char *const *arg_types; /* nargs SQL types */
  const char *result_type;      /* a SQL type */
  bool deterministic;           /* the same arguments always give the same result */
  /* Optional: called once per subtask before the first eval; 0 or an error. */
  int (*open)(spate_sql_function_context *ctx);
  /* Required: one call's result from its arguments (args[0 .. nargs - 1]); 0 or an error. */
  int (*eval)(spate_sql_function_context *ctx, const spate_sql_value *args, spate_sql_result *out);
  /* Optional: called once when the subtask ends, after a successful open. */
  void (*close)(spate_sql_function_context *ctx);
} spate_sql_function;

#ifdef __cplusplus
}
#endif
#endif
