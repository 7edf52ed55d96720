/*
 * line_reader.h: reads text lines from files for the file source, split among parallel subtasks.
 *
 * The inputs (files, or directories whose non-hidden regular files are taken in name order) are
 * cut into splits of at most SPLIT_BYTES; split k goes to subtask k % parallelism. A split that
 * does not start at offset 0 skips the partial line it starts in (that line belongs to the split
 * before), and a split reads on past its end to finish its last line, so every line is read
 * exactly once whatever the parallelism. Lines end at "\n"; a trailing "\r" is dropped; the last
 * line needs no terminator; empty lines are lines.
 *
 * Lines of any length work (a 10 MB line grows the buffer; it shrinks back after). Invalid UTF-8
 * is an error naming the file, the line number (when the split starts the file, else the byte
 * offset) and the byte offset.
 */
#ifndef SPATE_CONNECTORS_LINE_READER_H
#define SPATE_CONNECTORS_LINE_READER_H
#include <stddef.h>
#include <stdint.h>

typedef struct line_reader line_reader;

/* Checks the inputs exist and are readable (a missing path, an unreadable file or a directory
 * with no files is SPATE_ENOENT/SPATE_EIO with a message naming the path) and plans the splits.
 * split_bytes <= 0 uses the default (32 MiB). */
int line_reader_open(const char *const *paths, int npaths, int subtask, int parallelism,
                     int64_t split_bytes, line_reader **out, char *err, size_t err_len);
/* Returns 1 and the line (valid until the next call; not NUL-terminated), 0 at the end of this
 * subtask's splits, or a negative code with the message in line_reader_error. */
int line_reader_next(line_reader *r, const char **line, size_t *len);
const char *line_reader_error(const line_reader *r);
void line_reader_close(line_reader *r);
#endif
