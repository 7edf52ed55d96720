/*
 * format.h: the record formats of the file and socket sources and the file sinks (Flink's `csv`
 * and `json` formats), driven by a schema: a line of text in, a row of the schema out, and back.
 *
 * A format is its kind and options, given as Flink's option keys and string values
 * (fmt_options_set: "csv.field-delimiter" = ";", "json.timestamp-format.standard" = "ISO-8601",
 * ...). The API checks them when the job is built and stores the kind and the key/value pairs in
 * the operator's params (a string list: kind, then key, value, key, value, ...); the operator
 * replays them (fmt_options_from_list), so both ends agree on one meaning of every key.
 *
 * A record is one line (the sources split on "\n" and drop a trailing "\r"): a CSV field with a
 * line break inside quotes is not supported, and the CSV writer refuses a STRING holding one.
 * csv_format.c and json_format.c hold the two codecs; this file holds the options and the
 * dispatch.
 *
 * Decoding errors carry the 1-based byte column where the bad value (or syntax) starts and a
 * message naming the field, e.g. "field 'amount': 'abc' is not a DOUBLE"; the source prefixes
 * the file and line.
 */
#ifndef SPATE_CONNECTORS_FORMAT_H
#define SPATE_CONNECTORS_FORMAT_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"
#include "spate/spate.h"

typedef enum fmt_kind { FMT_CSV = 1, FMT_JSON = 2 } fmt_kind;

typedef enum fmt_ts_standard { FMT_TS_SQL = 0, FMT_TS_ISO_8601 = 1 } fmt_ts_standard;

#define FMT_NULL_LITERAL_MAX 64

typedef struct fmt_options {
  fmt_kind kind;
  bool ignore_parse_errors; /* csv./json.ignore-parse-errors: bad fields NULL, bad lines skipped */
  /* csv */
  char field_delimiter;  /* csv.field-delimiter (',') */
  char quote;            /* csv.quote-character ('"'); 0 when disabled */
  bool quote_set;        /* csv.quote-character was given (conflicts with disabling quotes) */
  bool quote_disabled;   /* csv.disable-quote-character */
  bool allow_comments;   /* csv.allow-comments: lines starting with '#' are skipped */
  char escape;           /* csv.escape-character (0: none) */
  bool null_literal_set; /* csv.null-literal given */
  char null_literal[FMT_NULL_LITERAL_MAX]; /* read as NULL, written for NULL ("" by default) */
  /* json */
  bool fail_on_missing_field;  /* json.fail-on-missing-field */
  fmt_ts_standard ts_standard; /* json.timestamp-format.standard */
  /* A projection (set by the reader, no option): a CSV line has line_fields fields, field j of
   * which is field slot[j] of the schema, or is skipped unread (-1). 0: the schema's fields. */
  int line_fields;
  const int *slot;
} fmt_options;

/* The defaults of kind's options. */
void fmt_options_init(fmt_options *o, fmt_kind kind);
/* The kind named "csv" or "json" (0 for another name). */
fmt_kind fmt_kind_from_name(const char *name);
const char *fmt_kind_name(fmt_kind kind);
/* Sets one option by Flink's key. An unknown key (or one of the other format), or a bad value,
 * is SPATE_EINVAL with a message naming the key and the value in err. Conflicts between
 * options (a quote character set while quotes are disabled) are checked by fmt_options_check. */
int fmt_options_set(fmt_options *o, const char *key, const char *value, char *err, size_t err_len);
/* Checks options against each other; SPATE_EINVAL with a message naming the keys: the
 * delimiter, quote and escape characters must differ; csv.null-literal must not contain the
 * delimiter, the quote character or a line break, nor start with '#' with csv.allow-comments;
 * json.fail-on-missing-field and json.ignore-parse-errors are not both true. */
int fmt_options_check(const fmt_options *o, char *err, size_t err_len);
/* Rebuilds options from the list stored in the params: kind name, then key/value pairs. An
 * empty list is not a format (SPATE_ENOENT: the operator reads or writes plain text). */
int fmt_options_from_list(fmt_options *o, uint32_t n, const char *const *v, char *err,
                          size_t err_len);

/* The 1-based column of byte offset at, capped at INT_MAX (a line may be longer than an int). */
static inline int fmt_column(size_t at) { return at < (size_t)INT_MAX ? (int)at + 1 : INT_MAX; }

/* What a decode reports besides its result. */
typedef struct fmt_error {
  int column;  /* 1-based byte column of the bad value or syntax */
  bool nulled; /* ignore-parse-errors: a row came out, with a bad field set to NULL */
  char message[256];
} fmt_error;

/* Decodes one line into a row of `schema` built in b (spate_rb_begin .. spate_rb_finish; the
 * caller emits it). Returns 1 (a row in *out), 0 (a line that is no record: an empty line, a
 * comment with csv.allow-comments), or SPATE_EINVAL with *e filled (a bad line), or SPATE_ENOMEM.
 * With ignore-parse-errors (Flink: "fields are set to null in case of errors") a value that does
 * not convert to its field's type makes that field NULL and sets e->nulled (the row still comes
 * out; the caller counts the line as a parse error), unless the field is NOT NULL: then the line
 * is SPATE_EINVAL as one that cannot be parsed (wrong field count, unbalanced quote, not JSON);
 * skipping and counting those is the caller's decision. */
int fmt_decode(const fmt_options *o, const spate_schema *schema, const char *line, size_t len,
               spate_row_builder *b, spate_row *out, fmt_error *e);
/* Appends the encoding of row (of schema) to sb, without a line terminator. Returns 0,
 * SPATE_ENOMEM, or SPATE_EINVAL with e->message naming the field whose value the format cannot
 * write so that it reads back (CSV: a STRING with a line break, ...; the sink fails the job). */
int fmt_encode(const fmt_options *o, const spate_schema *schema, const spate_row *row,
               sp_strbuf *sb, fmt_error *e);

/* The codecs (csv_format.c, json_format.c), called through fmt_decode / fmt_encode. */
int csv_decode(const fmt_options *o, const spate_schema *schema, const char *line, size_t len,
               spate_row_builder *b, spate_row *out, fmt_error *e);
int csv_encode(const fmt_options *o, const spate_schema *schema, const spate_row *row,
               sp_strbuf *sb, fmt_error *e);
int json_decode(const fmt_options *o, const spate_schema *schema, const char *line, size_t len,
                spate_row_builder *b, spate_row *out, fmt_error *e);
int json_encode(const fmt_options *o, const spate_schema *schema, const spate_row *row,
                sp_strbuf *sb, fmt_error *e);

/* Shared by the codecs (format.c). Each parses a whole value (text of n bytes, surrounding
 * spaces allowed for numbers, booleans and timestamps) and returns true with *v set. */
bool fmt_parse_int64(const char *s, size_t n, int64_t *v);
bool fmt_parse_double(const char *s, size_t n, double *v);
bool fmt_parse_bool(const char *s, size_t n, bool *v);
/* "yyyy-MM-dd HH:mm:ss[.fraction]" (the SQL standard) or with 'T' (ISO-8601, where the seconds
 * may be left out: "yyyy-MM-ddTHH:mm", as Java's ISO_LOCAL_TIME reads): milliseconds since the
 * epoch (UTC); digits of the fraction beyond milliseconds are cut. */
bool fmt_parse_timestamp(const char *s, size_t n, fmt_ts_standard std, int64_t *ms);
/* The same with the nanoseconds of the millisecond (all nine fraction digits are read); ltz: a
 * TIMESTAMP_LTZ, written in UTC with a trailing 'Z' ("2020-01-02 12:34:56.789Z"). */
bool fmt_parse_timestamp_ns(const char *s, size_t n, fmt_ts_standard std, bool ltz, int64_t *ms,
                            int32_t *nanos);
/* yyyy-MM-dd (one-digit month and day too, as java.sql.Date.valueOf) into days since 1970. */
bool fmt_parse_date(const char *s, size_t n, int32_t *days);
/* HH:mm[:ss[.fraction]] (LocalTime.parse) into milliseconds of the day; finer digits are cut. */
bool fmt_parse_time(const char *s, size_t n, int32_t *ms);
/* The TIMESTAMPs the standards can write: 0000-01-01 00:00:00 .. 9999-12-31 23:59:59.999. */
#define FMT_TS_MIN (-62167219200000LL)
#define FMT_TS_MAX 253402300799999LL
/* Appends ms as the standard writes it: seconds always, the fraction only when not zero, with
 * its trailing zeros dropped (Flink's appendFraction(NANO_OF_SECOND, 0, 9, true)). */
int fmt_append_timestamp(sp_strbuf *sb, int64_t ms, fmt_ts_standard std);
/* Appends a TIMESTAMP(p) or (ltz) a TIMESTAMP_LTZ(p) with up to nine fraction digits, trailing
 * zeros dropped, the LTZ in UTC with a 'Z'. */
int fmt_append_timestamp_ns(sp_strbuf *sb, int64_t ms, int32_t nanos, fmt_ts_standard std,
                            bool ltz);
/* Appends a DATE as yyyy-MM-dd (ISO_LOCAL_DATE) and a TIME as HH:mm:ss, with the fraction of the
 * milliseconds (trailing zeros dropped) when fraction. */
int fmt_append_date(sp_strbuf *sb, int32_t days);
int fmt_append_time(sp_strbuf *sb, int32_t ms, bool fraction);
/* A FLOAT as the shortest text that reads back as the same float; a DECIMAL field as
 * BigDecimal.toString writes it (what Jackson writes for a BigDecimal number). */
int fmt_append_float(sp_strbuf *sb, float v);
int fmt_append_decimal(sp_strbuf *sb, const spate_row *row, int i, const spate_schema *schema);
/* "a" or "an" before a type name, as the messages write it. */
const char *fmt_article(const char *type);
/* Appends a DOUBLE as the shortest text that reads back as the same value ("NaN", "Infinity",
 * "-Infinity" as Java writes them). */
int fmt_append_double(sp_strbuf *sb, double v);
/* Sets field i of b from text of the field's type; false with a message in e (naming the field
 * and the value) when the text is not one. STRING takes the text as it is (valid UTF-8); BYTES
 * are Base64 (base/base64.h), as Flink reads BINARY/VARBINARY in csv and json. */
bool fmt_set_from_text(spate_row_builder *b, const spate_schema *schema, int i, const char *s,
                       size_t n, fmt_ts_standard std, fmt_error *e);
#endif
