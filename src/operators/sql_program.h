/*
 * sql_program.h: the compiled form of a SQL calc (Flink's generated Calc: one filter and a list
 * of projections over one input row), its byte form, its strict decoder and its interpreter.
 *
 * The SQL compiler (sql/sql_compile.c) writes the bytes once per query; the OP_SQL_CALC operator
 * (sql_calc_operator.c) decodes them once when it opens and then evaluates every record in
 * place: column loads read the input row's slots and tail bytes directly, results go straight
 * into the output row builder, and strings made along the way live in scratch chunks the
 * program state owns and reuses, so a record allocates nothing after warm-up.
 *
 * The machine: a flat list of fixed-size instructions over typed registers. Each register has
 * one kind for the whole program (the register table), so every instruction's operand kinds
 * are checked once by the decoder, never per row. Control flow only jumps forward (CASE,
 * COALESCE, AND/OR short cuts), so every program ends. The filter comes first (FILTER drops the
 * row when its register is not TRUE), then the projections: OUT writes a register into an
 * output field, COPY copies an input field unchanged (a bare column reference).
 *
 * Byte form (little-endian, base/bytes.h):
 *   u32 magic "SQP1"; input schema, output schema (schema_encode);
 *   the session time zone (table.local-time-zone) as a string: a fixed offset or a region of
 *     the time zone database (sql_time_zone.c), loaded when the program is decoded;
 *   u32 nregs, then per register u8 kind, u8 precision, u8 scale;
 *   u32 nconsts, then per constant u32 register and its value in the register's kind
 *     (integers i64, floats f64 bits, DECIMAL i128 as two u64, strings and bytes as blobs,
 *      TIMESTAMP i64 ms + i32 nanos, other temporal kinds i64);
 *   u32 nudfs, then per C user function (include/spate/sql_function.h) its SQL name, the
 *     library's absolute path and the descriptor's symbol as strings, u8 nargs, the argument
 *     and result type strings the planner read from the descriptor (nargs + 1 strings), and a
 *     u32 mask of what is declared NOT NULL (bit i: argument i, bit 31: the result);
 *   u32 ninstructions, then per instruction u8 op, u32 dst, a, b, c (each < 65536), i64 imm.
 * The decoder trusts no count and refuses unknown opcodes or kinds, registers or fields out of
 * range, operand kinds an instruction does not take, backward or out-of-range jumps, constants
 * of the wrong shape and trailing bytes, with a message naming the instruction.
 *
 * C user functions: decoding loads nothing; sqlp_open_udfs (sql_eval_udf.c) loads each library
 * once when the operator opens, finds the descriptor, checks that its types are still the ones
 * the query was planned with, and calls its open; SQLP_UDF then calls eval per row with the
 * argument registers, and sqlp_free calls close and unloads.
 */
#ifndef SPATE_OPERATORS_SQL_PROGRAM_H
#define SPATE_OPERATORS_SQL_PROGRAM_H
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spate/sql_function.h"
#include "types/row.h"
#include "types/schema.h"

#define SQLP_MAGIC 0x31505153u /* "SQP1" */
#define SQLP_MAX_REGS 4096
#define SQLP_MAX_INS 65536
#define SQLP_NONE 0xFFFF /* an absent operand */
#define SQLP_MAX_UDFS 256
#define SQLP_UDF_MAX_ARGS 16
/* The magnitude TIMESTAMP milliseconds and DATE days stay within in registers (about year
 * 261,000: far beyond Flink's 0000..9999, near enough that calendar arithmetic cannot overflow);
 * arithmetic that leaves it fails, as Java's LocalDateTime does outside its range. */
#define SQLP_TS_BOUND_MS INT64_C(8200000000000000)
#define SQLP_DATE_BOUND (SQLP_TS_BOUND_MS / INT64_C(86400000))

/* Register kinds. Integers of every width compute in int64 and wrap at their width (Java's
 * overflow); FLOAT computes in double rounded to float after each step. */
typedef enum sqlp_kind {
  SQLP_BOOL = 1,
  SQLP_I8,
  SQLP_I16,
  SQLP_I32,
  SQLP_I64,
  SQLP_F32,
  SQLP_F64,
  SQLP_DEC, /* precision, scale; value in x */
  SQLP_STR,
  SQLP_BIN,
  SQLP_DATE,    /* days in i */
  SQLP_TIME,    /* ms of the day in i */
  SQLP_TS,      /* precision; ms in i, nanos of the ms in nanos */
  SQLP_TS_LTZ,  /* the same, an instant */
  SQLP_IVL_YM,  /* months in i */
  SQLP_IVL_DT,  /* ms in i */
  SQLP_KIND_MAX /* not a kind */
} sqlp_kind;

typedef enum sqlp_op {
  SQLP_LOAD = 1,      /* dst <- input field imm */
  SQLP_CONST,         /* dst <- its constant (the constant table names the register) */
  SQLP_NULL,          /* dst <- NULL */
  SQLP_MOVE,          /* dst <- a (same kind) */
  SQLP_JUMP,          /* to instruction imm (> this one) */
  SQLP_JUMP_NOT_NULL, /* to imm when a is not NULL */
  SQLP_JUMP_TRUE,     /* to imm when a is TRUE */
  SQLP_JUMP_NOT_TRUE, /* to imm when a is FALSE or NULL */
  SQLP_ARITH,         /* dst <- a (imm: SQLP_ADD..SQLP_MOD) b; numeric kinds, intervals */
  SQLP_NEG,           /* dst <- -a */
  SQLP_TIME_ADD,      /* dst <- a (DATE, TIME, TS) + imm * b (an interval), imm = 1 or -1 */
  SQLP_CMP,           /* dst (BOOL) <- a (imm: SQLP_EQ..SQLP_NOT_DISTINCT) b, a and b of one kind */
  SQLP_AND,           /* dst <- a AND b, three-valued */
  SQLP_OR,
  SQLP_NOT,
  SQLP_IS,     /* dst (BOOL NOT NULL) <- a IS (imm: SQLP_IS_NULL..SQLP_IS_NOT_FALSE) */
  SQLP_CAST,   /* dst <- CAST(a), imm 1: TRY_CAST (NULL when it fails) */
  SQLP_CALL,   /* dst <- function imm & 0xffff (sqlp_fn) of a, b, c; imm >> 16: a unit */
  SQLP_FILTER, /* ends the program, dropping the row, unless a is TRUE */
  SQLP_OUT,    /* output field imm <- a */
  SQLP_COPY,   /* output field imm <- input field a, unchanged */
  SQLP_UDF,    /* dst <- C user function imm of registers a .. a + b - 1 (b: its nargs) */
  SQLP_OP_MAX
} sqlp_op;

/* Internal instructions, never in the byte form (the decoder refuses them there): the decoder's
 * last step (sqlp_specialize, sql_program_fast.c) rewrites common shapes into them, each doing
 * what the instruction it replaces does, without the general one's dispatch on kinds. */
enum {
  SQLP_X_LOAD_SLOT = 64, /* LOAD of a value held in its 8-byte slot (integers, BOOLEAN, DATE,
                          * TIME, intervals, TIMESTAMP(_LTZ) of precision 0..3) */
  SQLP_X_IARITH,         /* ARITH over integers */
  SQLP_X_ICAST,          /* CAST from an integer kind to an integer kind */
  SQLP_X_TO_LTZ,         /* TO_TIMESTAMP_LTZ(integer, constant precision imm: 0 or 3) */
  SQLP_X_LTZ_TO_TS,      /* CAST from TIMESTAMP_LTZ to TIMESTAMP(3) */
  SQLP_X_OUT_SLOT,       /* OUT of a slot kind (not DATE or TIME; TIMESTAMP only of precision 3) */
  SQLP_X_COPY_SLOT,      /* COPY of a fixed-width field */
  SQLP_X_MAX
};

enum { SQLP_ADD = 0, SQLP_SUB, SQLP_MUL, SQLP_DIV, SQLP_MOD };
enum { SQLP_EQ = 0, SQLP_NE, SQLP_LT, SQLP_LE, SQLP_GT, SQLP_GE, SQLP_DISTINCT, SQLP_NOT_DISTINCT };
enum {
  SQLP_IS_NULL = 0,
  SQLP_IS_NOT_NULL,
  SQLP_IS_TRUE,
  SQLP_IS_NOT_TRUE,
  SQLP_IS_FALSE,
  SQLP_IS_NOT_FALSE
};

/* The functions of SQLP_CALL, with the kinds they take (checked by the decoder). */
typedef enum sqlp_fn {
  SQLP_FN_CONCAT = 1,     /* STR, STR -> STR */
  SQLP_FN_CONCAT_WS,      /* sep, STR, STR -> STR; a NULL string is skipped */
  SQLP_FN_UPPER,          /* STR -> STR */
  SQLP_FN_LOWER,          /* STR -> STR */
  SQLP_FN_CHAR_LENGTH,    /* STR -> I32 */
  SQLP_FN_TRIM,           /* chars, STR -> STR; unit: 1 both, 2 leading, 3 trailing */
  SQLP_FN_SUBSTRING,      /* STR, I32 start, I32 length (c may be none) -> STR */
  SQLP_FN_POSITION,       /* needle STR, STR, I32 start (c may be none) -> I32 */
  SQLP_FN_REPLACE,        /* STR, STR, STR -> STR */
  SQLP_FN_LIKE,           /* STR, pattern STR, escape STR (c may be none) -> BOOL */
  SQLP_FN_SIMILAR,        /* STR, pattern STR (c: escape, may be none) -> BOOL */
  SQLP_FN_REGEXP,         /* STR, regex STR -> BOOL */
  SQLP_FN_REGEXP_EXTRACT, /* STR, regex STR, I32 group (c may be none) -> STR */
  SQLP_FN_REGEXP_REPLACE, /* STR, regex STR, replacement STR -> STR */
  SQLP_FN_SPLIT_INDEX,    /* STR, sep STR, I32 -> STR */
  SQLP_FN_LPAD,           /* STR, I32, STR -> STR */
  SQLP_FN_RPAD,           /* STR, I32, STR -> STR */
  SQLP_FN_INITCAP,        /* STR -> STR */
  SQLP_FN_ABS,            /* numeric -> same kind */
  SQLP_FN_SIGN,           /* numeric -> same kind */
  SQLP_FN_POWER,          /* F64, F64 -> F64 */
  SQLP_FN_SQRT,           /* F64 -> F64 */
  SQLP_FN_EXP,
  SQLP_FN_LN,
  SQLP_FN_LOG10,
  SQLP_FN_FLOOR, /* numeric -> numeric (DEC: scale 0) */
  SQLP_FN_CEIL,
  SQLP_FN_ROUND,        /* numeric, I32 digits (b may be none) -> numeric */
  SQLP_FN_NOW,          /* -> TS_LTZ: the operator's processing time */
  SQLP_FN_LOCALTS,      /* -> TS: processing time in the session time zone */
  SQLP_FN_CURRENT_DATE, /* -> DATE in the session time zone */
  SQLP_FN_CURRENT_TIME, /* -> TIME in the session time zone */
  SQLP_FN_EXTRACT,      /* DATE, TIME, TS, TS_LTZ, intervals -> I64; unit: sql_unit */
  SQLP_FN_FLOOR_TIME,   /* DATE, TS, TS_LTZ -> same; unit: sql_unit */
  SQLP_FN_CEIL_TIME,
  SQLP_FN_TSDIFF,           /* TS|TS_LTZ|DATE, same -> I32; unit: sql_unit */
  SQLP_FN_DATE_FORMAT,      /* TS|TS_LTZ, format STR -> STR */
  SQLP_FN_UNIX_TIMESTAMP,   /* -> I64 now, or STR (format STR, may be none) -> I64 */
  SQLP_FN_FROM_UNIXTIME,    /* I64 seconds, format STR (b may be none) -> STR */
  SQLP_FN_TO_TIMESTAMP_LTZ, /* I64 or DEC or F64 epoch value, I32 precision 0 or 3 -> TS_LTZ */
  SQLP_FN_TO_TIMESTAMP,     /* STR, format STR (b may be none) -> TS; NULL when unparsable */
  SQLP_FN_RAND,             /* seed I32 (a may be none) -> F64: Java's Random per instruction */
  SQLP_FN_JSON_VALUE,       /* json STR, path STR -> STR: the scalar there, NULL otherwise */
  SQLP_FN_JSON_QUERY,       /* json STR, path STR -> STR: the object or array there as JSON */
  SQLP_FN_MAX
} sqlp_fn;

typedef struct sqlp_reg {
  uint8_t kind, precision, scale;
} sqlp_reg;

typedef struct sqlp_ins {
  uint8_t op;
  uint16_t dst, a, b, c;
  int64_t imm;
} sqlp_ins;

/* A register's value during one evaluation. Strings and bytes point into the input row, a
 * constant, or the program's scratch. */
typedef struct sqlp_val {
  bool null;
  int32_t nanos;
  int64_t i;
  double d;
  spate_int128 x;
  const uint8_t *p;
  uint32_t len;
} sqlp_val;

typedef struct sqlp_const {
  uint16_t reg;
  sqlp_val v;
} sqlp_const;

/* One scratch chunk; chunks are kept and reused across rows, never moved. */
typedef struct sqlp_chunk {
  struct sqlp_chunk *next;
  size_t cap, used;
  uint8_t data[];
} sqlp_chunk;

/* A regular expression compiled for one instruction, kept while its pattern stays the same. */
typedef struct sqlp_regex {
  bool compiled;
  regex_t re;
  uint8_t *pattern;
  uint32_t len;
} sqlp_regex;

/* The session time zone: a fixed offset (n == 0) or a region's transitions (sql_time_zone.c). */
typedef struct sqlp_tz {
  char name[64];   /* as given: "UTC", "+08:00", "Asia/Shanghai" */
  int32_t fixed_s; /* the offset of a fixed zone; a region's before its first transition */
  uint32_t n;      /* a region's transitions: from UTC second at[k] on, offset off[k] seconds */
  int64_t *at;
  int32_t *off;
} sqlp_tz;

/* Parses a time zone: a fixed offset ("UTC", "Z", "+08:00", "-05:30", "GMT+8", "UTC-3") or a
 * region of the system's database, read from /usr/share/zoneinfo. Returns 0 (free with
 * sqlp_tz_free), or SPATE_EINVAL with a message naming the zone. */
int sqlp_tz_parse(const char *text, sqlp_tz *tz, char *err, size_t cap);
void sqlp_tz_free(sqlp_tz *tz);
/* Local time (ms as a TIMESTAMP) of a UTC instant, and the instant of a local time (Java's
 * atZone: a time in a gap moves later, one in an overlap takes the earlier offset). */
int64_t sqlp_tz_local(const sqlp_tz *tz, int64_t utc_ms);
int64_t sqlp_tz_utc(const sqlp_tz *tz, int64_t local_ms);

/* A C user function the program calls: what the byte form says, then what opening gives. */
typedef struct sqlp_udf {
  char *name, *library, *symbol;
  uint8_t nargs;
  char *types[SQLP_UDF_MAX_ARGS + 1]; /* the arguments' then the result's, as planned */
  uint32_t not_null;                  /* bit i: argument i; bit 31: the result */
  /* after sqlp_open_udfs */
  void *handle;
  const spate_sql_function *def;
  spate_sql_function_context ctx;
  bool opened; /* open succeeded (or there is none): close is due */
  char *buf;   /* the result buffer eval writes strings into, kept across rows */
  size_t cap;
} sqlp_udf;

/* A decoded program and its evaluation state (one per operator; not shared between threads). */
typedef struct sqlp_program {
  spate_schema *input, *output; /* owned references */
  sqlp_tz tz;
  uint32_t nregs, nconsts, nins;
  sqlp_reg *regs;
  sqlp_const *consts;
  sqlp_ins *ins;
  uint8_t *const_bytes; /* the strings the constants point into (a copy of the encoding) */
  bool reads_clock;     /* a processing-time function (or RAND without a seed) is called */
  uint32_t nudfs;
  sqlp_udf *udfs;
  spate_sql_value udf_args[SQLP_UDF_MAX_ARGS]; /* one call's arguments */
  /* evaluation state */
  sqlp_val *vals;
  sqlp_regex *regex; /* one per instruction that takes a regex, else unused */
  struct sqlp_rand { /* one per instruction, RAND's: Java's Random state */
    bool seeded;
    int64_t seed_in;
    uint64_t state;
  } * rand;
  sqlp_chunk *chunks, *cur;
  uint64_t rand_state;
  /* the registers set to NULL before each row: after sqlp_specialize, only those a row could
   * read before writing them (not its loaded constants, nor registers an instruction no jump
   * skips writes before any read) */
  uint16_t *reset;
  uint32_t nreset;
  char err[512]; /* the message of a failed evaluation */
} sqlp_program;

/* Decodes len bytes into *out (a new program). Returns 0, SPATE_ECORRUPT with a message in err
 * (cap bytes) naming what is wrong, or SPATE_ENOMEM. */
int sqlp_decode(const uint8_t *data, size_t len, sqlp_program **out, char *err, size_t cap);
void sqlp_free(sqlp_program *p);
/* sqlp_decode without its last step, sqlp_specialize: every instruction as the bytes have it
 * (the tests compare the two forms' results). */
int sqlp_decode_generic(const uint8_t *data, size_t len, sqlp_program **out, char *err, size_t cap);
/* Rewrites a decoded (and checked) program into the internal instructions where they apply:
 * a constant written once by an instruction no jump skips, and read only after it, is loaded
 * into its register here and its CONST dropped (jumps renumbered), and so is an integer cast of
 * such a constant; LOAD, ARITH, CAST, OUT, COPY and TO_TIMESTAMP_LTZ of the shapes listed above
 * become their SQLP_X_ forms; an integer result only a narrowing integer cast right after it
 * reads is computed into the cast's register. Fills p->reset. 0 or SPATE_ENOMEM. */
int sqlp_specialize(sqlp_program *p);

/* Loads and opens the program's C user functions for one subtask (subtask_index of
 * parallelism): dlopen of each library, dlsym of its descriptor, the descriptor's types checked
 * against the planned ones, then its open. A function whose library is the job's artifact (the
 * library the client shipped with a job on a cluster: artifact names it as the client had it, dl
 * is the copy loaded here) is looked up in dl instead; both may be NULL. Returns 0, or
 * SPATE_EINVAL / SPATE_EUDF with the message (naming the function, library and symbol) in
 * p->err. sqlp_free closes them. */
int sqlp_open_udfs(sqlp_program *p, int subtask_index, int parallelism, void *dl,
                   const char *artifact);

/* Evaluates the program over input row `in` (of p->input) at processing time now_ms, building
 * the output row into b (p->output's builder, begun here). Returns 1 when the row passes (b
 * then holds it, not yet finished), 0 when the filter drops it, or a negative code with the
 * message in p->err (a CAST that fails, an integer division by zero, ...). */
int sqlp_eval(sqlp_program *p, const spate_row *in, int64_t now_ms, spate_row_builder *b);

/* The register kind storing a row field of f's type, or 0 when programs cannot hold it. */
sqlp_kind sqlp_kind_of_field(const schema_field *f);
/* Whether a SQLP_CAST from kind `from` to kind `to` exists (the decoder's check). */
bool sqlp_castable(int from, int to);
/* Reads field f of row (of the register's type) into v, in place (strings point into row). */
void sqlp_load(const sqlp_reg *r, const spate_row *row, int f, sqlp_val *v);
/* Name of a kind for messages ("INT", "DECIMAL"...). */
const char *sqlp_kind_name(int kind);

/* ---- for the interpreter's files (sql_eval*.c) ---- */
/* Java's narrowing of a long to the integer kind (SQLP_I8, I16 or I32; others unchanged). */
static inline int64_t sqlp_wrap(int kind, int64_t v) {
  switch (kind) {
  case SQLP_I8: return (int8_t)v;
  case SQLP_I16: return (int16_t)v;
  case SQLP_I32: return (int32_t)v;
  default: return v;
  }
}
/* Sets p->err from fmt and returns rc (sql_eval.c). */
int sqlp_eval_fail(sqlp_program *p, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Room for n bytes of scratch for this row; NULL with p->err set when out of memory. */
uint8_t *sqlp_scratch(sqlp_program *p, size_t n);
/* A string function: dst <- fn(a, b, c) (sql_eval_strings.c); 0 or a negative code. */
int sqlp_call_string(sqlp_program *p, const sqlp_ins *in, sqlp_val *dst, const sqlp_val *a,
                     const sqlp_val *b, const sqlp_val *c);
/* JSON_VALUE and JSON_QUERY (sql_eval_json.c). */
int sqlp_call_json(sqlp_program *p, const sqlp_ins *in, sqlp_val *dst, const sqlp_val *a,
                   const sqlp_val *b);
/* A temporal function (sql_eval_temporal.c). */
int sqlp_call_temporal(sqlp_program *p, const sqlp_ins *in, sqlp_val *dst, const sqlp_val *a,
                       const sqlp_val *b, const sqlp_val *c, int64_t now_ms);
/* SQLP_UDF: dst <- the call's result (sql_eval_udf.c); 0 or a negative code. */
int sqlp_call_udf(sqlp_program *p, const sqlp_ins *in, sqlp_val *dst);
/* Calls close of every opened function and unloads the libraries (sqlp_free's). */
void sqlp_close_udfs(sqlp_program *p);
/* dst <- CAST(a) from kind ra to kind rd (sql_eval_cast.c); 0, 1 when it failed under
 * TRY_CAST semantics already applied (dst NULL), or a negative code with the message. */
int sqlp_cast(sqlp_program *p, const sqlp_reg *rd, sqlp_val *dst, const sqlp_reg *ra,
              const sqlp_val *a, bool try_cast);
/* Formats a TIMESTAMP (ms, nanos) as Flink's CAST to STRING does with `precision` fraction
 * digits ("2024-01-01 10:00:00.123"); returns the length (buf of at least 40 bytes). */
size_t sqlp_format_ts(int64_t ms, int32_t nanos, int precision, char *buf);
#endif
