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
 *
 * Checkpoints: the reader's position is the list of its splits not read to their end, each with
 * the file offset of the next line to read (line_reader_visit_unfinished). A restored subtask
 * opens the reader as usual, then replaces its share of the splits with the restored list
 * (line_reader_resume), whatever the parallelism that list was written at: a split is named by
 * its file and byte range, not by a subtask.
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
/* Where the line line_reader_next returned last lies: its file (a view), its 1-based line number
 * (0 when its split does not start the file: lines before it are not counted) and the byte
 * offset it starts at. Valid until the next line_reader_next. */
void line_reader_last_line(const line_reader *r, const char **path, int64_t *line_no,
                           int64_t *offset);

/* A split and where to resume reading it. The split is [start, end) of the file `path` (as the
 * inputs expand), which had `size` bytes when the split was planned. offset is where the next
 * line to read starts: start for a split not begun (it then skips the partial line it starts
 * in, as always), else a line start after start. line_no is the number of lines of the file
 * before offset when the split starts the file (start == 0), else 0; it keeps error messages'
 * line numbers right after a resume. */
typedef struct lr_split_state {
  const char *path;
  int64_t size;
  int64_t start, end;
  int64_t offset;
  int64_t line_no;
} lr_split_state;

/* The position to resume the current split from, valid after a line was returned: 1 and *out
 * (path a view into the reader) while a split is being read and not finished, 0 otherwise. */
int line_reader_position(const line_reader *r, lr_split_state *out);
/* Calls fn for every split of this reader not read to its end, in reading order: the current
 * one at its position (left out once no line starts in the rest of it), then those not begun,
 * at their start. This is the reader's whole position: a reader resumed with these splits
 * returns exactly the lines this one has not returned yet. The views are valid during the
 * call; a non-zero return of fn stops the visit and is returned. */
int line_reader_visit_unfinished(const line_reader *r,
                                 int (*fn)(void *arg, const lr_split_state *s), void *arg);
/* Replaces this reader's share of the splits with `splits` (n >= 0; copied), read in that
 * order. Only before the first line_reader_next (else SPATE_ESTATE). A split whose file is not
 * among the inputs any more, or has another size now, is SPATE_ESTATE with a message naming
 * the file. A malformed split (not 0 <= start < end <= size, offset outside [start, end], a
 * negative line number) is SPATE_ECORRUPT, and so are splits of one file that overlap (their
 * lines would be read twice; a file given n times as input may have each split n times). A
 * split need not be one of the reader's split size: any ranges that cover a file without
 * overlap read each line once. One with offset == end is finished and dropped. Whether offset
 * is still a line start (the byte before it a '\n') is checked when the split is reached:
 * line_reader_next then fails with SPATE_ESTATE naming the file. */
int line_reader_resume(line_reader *r, const lr_split_state *splits, int n, char *err,
                       size_t err_len);
void line_reader_close(line_reader *r);
#endif
