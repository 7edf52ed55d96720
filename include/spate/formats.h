/*
 * spate/formats.h: record formats for the file and socket sources and the file sinks: Flink's
 * `csv` and `json` formats with Flink's option keys, driven by a schema. Part of the public API
 * that spate/spate.h includes (a job includes spate.h only).
 *
 *     const spate_schema *s = spate_env_schema(env, "id BIGINT, name STRING, amount DOUBLE");
 *     spate_format *csv = spate_format_csv(env, s);
 *     spate_format_set(csv, "csv.field-delimiter", ";");
 *     spate_stream *orders = spate_read_file(env, "orders.csv", csv);   // rows of s
 *     spate_write_file(orders, "out.json", spate_format_json(env, s));
 *
 * A record is one line ("\n", a trailing "\r" dropped); an empty line is no record (skipped, as
 * Flink produces no row for it). A line that does not parse fails the job with
 * "<file>:<line>:<column>: <what>", e.g. "orders.csv:17:5: field 'amount': 'abc' is not a
 * DOUBLE" (a socket source names "host:port"). With `csv.ignore-parse-errors` /
 * `json.ignore-parse-errors` (Flink: "fields are set to null in case of errors"), a value that
 * does not convert to its field's type is NULL (the row is dropped if that field is NOT NULL),
 * and a line that cannot be parsed (wrong number of fields, unbalanced quote, not a JSON object)
 * is skipped; each such line counts once in the source's counter metric "numParseErrors".
 *
 * CSV options (Flink's defaults): csv.field-delimiter (","; one character or "\t"),
 * csv.quote-character ("\""), csv.disable-quote-character (false), csv.allow-comments (false:
 * with true, lines starting with '#' are skipped), csv.ignore-parse-errors (false),
 * csv.escape-character (none), csv.null-literal (none: the empty string; one holding the
 * delimiter, the quote character or a line break, or starting with '#' with csv.allow-comments,
 * is refused). Fields follow RFC 4180 (a quoted field may hold delimiters; "" inside is one
 * quote). An unquoted field equal to the null literal is NULL; an empty field of a non-string
 * type is NULL. Without csv.null-literal, an empty STRING field (quoted or not) is the empty
 * string, as in Flink, and NULL is written as an empty field: a NULL STRING reads back as ""
 * (Flink's behaviour too); set csv.null-literal (e.g. "null") to keep NULL strings apart, since
 * an unquoted field equal to it is then NULL for STRING too and a string equal to it is written
 * quoted. The empty string is written quoted (""). With csv.disable-quote-character, a value
 * holding the delimiter, equal to the null literal or starting a comment line is written escaped
 * when csv.escape-character is set, else the write fails naming the field. TIMESTAMP as
 * "yyyy-MM-dd HH:mm:ss[.fraction]" (the writer fails naming the field for one outside the years
 * 0000..9999), BOOLEAN as true/false, BYTES as Base64 (RFC 4648, as Flink writes
 * BINARY/VARBINARY; a value that is not Base64 is an error naming the field). Not supported:
 * csv.array-element-delimiter (no array types), line breaks inside quoted fields (a record is a
 * line: the writer refuses a STRING holding "\n" or "\r" with an error naming the field, which
 * fails the job).
 *
 * JSON options: json.fail-on-missing-field (false: a missing member is NULL),
 * json.ignore-parse-errors (false; not with json.fail-on-missing-field, as in Flink),
 * json.timestamp-format.standard ("SQL": "yyyy-MM-dd HH:mm:ss[.fraction]", or "ISO-8601":
 * "yyyy-MM-ddTHH:mm[:ss[.fraction]]"). One object per line; members not in the schema are
 * ignored; numbers into INT/BIGINT only in range, a fraction truncated toward zero (5.5 is 5, as
 * Flink's Jackson reads them); a TIMESTAMP may also be given as an integer of epoch milliseconds
 * (Spate's addition); BYTES as a Base64 string, read and written. Written objects have the
 * schema's field names in order, NULL as null.
 * Not supported: json.map-null-key.*, json.encode.decimal-as-plain-number (no DECIMAL type).
 */
#ifndef SPATE_FORMATS_H
#define SPATE_FORMATS_H

#include <stdint.h>

typedef struct spate_env spate_env;
typedef struct spate_stream spate_stream;
typedef struct spate_schema spate_schema;
typedef struct spate_file_sink_options spate_file_sink_options;

/* A format: its kind, schema and options. Owned by the environment (freed with it); NULL and an
 * environment error when the schema is NULL or the environment already failed. */
typedef struct spate_format spate_format;
spate_format *spate_format_csv(spate_env *env, const spate_schema *schema);
spate_format *spate_format_json(spate_env *env, const spate_schema *schema);
/* Sets an option by Flink's key (values as strings: "true", ";", "ISO-8601"). An unknown key, a
 * key of the other format or a bad value returns SPATE_EINVAL and fails the environment with a
 * message naming the key and value (so it may be called without checking, as the builders). */
int spate_format_set(spate_format *fmt, const char *key, const char *value);
const spate_schema *spate_format_schema(const spate_format *fmt);

/* Rows of the format's schema from files (directories: their files in name order, hidden ones
 * skipped), split among the subtasks as spate_read_text_files does. */
spate_stream *spate_read_file(spate_env *env, const char *path, const spate_format *fmt);
spate_stream *spate_read_files(spate_env *env, const char *const *paths, size_t n,
                               const spate_format *fmt);
/* Flink's FileSource...monitorContinuously(interval): reads the files of directory `dir`, then
 * looks for new files every interval_ms of the job's clock, forever; each file is read once, in
 * name order per scan (hidden files, starting with '.' or '_', are skipped: Flink's in-progress
 * files). The files seen and the position in the current file are checkpointed, so a restored
 * job neither reads a line twice nor skips one. A file is taken as it is when found: write new
 * files elsewhere and move them in. Parallelism 1 (one reader lists the directory). */
spate_stream *spate_monitor_directory(spate_env *env, const char *dir, int64_t interval_ms,
                                      const spate_format *fmt);
/* Rows from the lines a TCP server sends (spate_socket_text_stream with a format). */
spate_stream *spate_socket_stream(spate_env *env, const char *host, int port,
                                  const spate_format *fmt);
/* spate_write_text with a format: each row one line of the format. The format's schema must have
 * the stream's field types; the stream's field names are the ones written (JSON members). */
spate_stream *spate_write_file(spate_stream *in, const char *path, const spate_format *fmt);
/* The exactly-once file sink (spate_sink_file) writing each row as one line of the format. */
spate_stream *spate_sink_file_format(spate_stream *in, const char *dir,
                                     const spate_file_sink_options *opts, const spate_format *fmt);
#endif
