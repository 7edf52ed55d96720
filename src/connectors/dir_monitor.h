/*
 * dir_monitor.h: the reader behind a file source that keeps monitoring a directory (Flink's
 * FileSource...monitorContinuously(interval)): it lists the directory, reads each new file's
 * lines once (line_reader.h on that one file), and lists again every interval of the job's clock.
 *
 * A scan takes the directory's regular files whose names do not start with '.' or '_' (Flink's
 * hidden and in-progress files), leaves out those seen before, and queues the new ones in name
 * order. Files are read one after the other in queue order. A file is read as it was when its
 * reading began (its size then); a file that changes later is not read again. A queued file that
 * is gone when its turn comes (also after a restore) is logged as a warning and counted as read.
 *
 * Checkpoints: the whole position is the list of names seen (each done or queued) and the
 * current file's unread splits (line_reader's lr_split_state); dir_monitor_visit gives it in
 * order and dir_monitor_resume takes it back, so a restored reader neither reads a line again
 * nor skips one. One reader per directory: the source runs at parallelism 1.
 */
#ifndef SPATE_CONNECTORS_DIR_MONITOR_H
#define SPATE_CONNECTORS_DIR_MONITOR_H
#include <stddef.h>
#include <stdint.h>

#include "connectors/line_reader.h"

typedef struct dir_monitor dir_monitor;

/* Checks that dir is a readable directory (else SPATE_ENOENT/SPATE_EIO naming it). The first
 * scan happens at the first dir_monitor_next. */
int dir_monitor_open(const char *dir, int64_t interval_ms, dir_monitor **out, char *err,
                     size_t err_len);
/* At processing time now: 1 and a line (valid until the next call), 0 when every file found is
 * read and the next scan is not due (*wake_at: when it is), or a negative code (message in
 * dir_monitor_error). */
int dir_monitor_next(dir_monitor *m, int64_t now, const char **line, size_t *len, int64_t *wake_at);
const char *dir_monitor_error(const dir_monitor *m);
/* The file, 1-based line number and offset of the line returned last (line_reader_last_line). */
void dir_monitor_last_line(const dir_monitor *m, const char **path, int64_t *line_no,
                           int64_t *offset);

/* One piece of the position: a file name seen (queued: not read to its end yet, split NULL), or
 * a split of the file being read (name is its file, split its state). */
typedef struct dm_entry {
  const char *name;            /* the file's name in the directory */
  int queued;                  /* 1: not finished, 0: done */
  int reading;                 /* queued and being read: its unread splits (maybe none) follow */
  const lr_split_state *split; /* a split of the file being read (name: that file), or NULL */
} dm_entry;
/* Calls fn for the position's pieces: every name seen (done ones first, then the queue in order)
 * and, right after the name of the file being read, its unread splits. */
int dir_monitor_visit(const dir_monitor *m, int (*fn)(void *arg, const dm_entry *e), void *arg);
/* Takes back a position that dir_monitor_visit gave (before the first dir_monitor_next): n
 * entries in that order; split paths are full paths. SPATE_ECORRUPT on entries out of order. */
int dir_monitor_resume(dir_monitor *m, const dm_entry *entries, int n, char *err, size_t err_len);
void dir_monitor_close(dir_monitor *m);
/* A scan's ordering step (public for its unit test): sorts names (sp_malloc'ed strings) by
 * strcmp and drops repeated names (freed), which a listing may return when a file is renamed
 * during it. Returns the number kept, at the front of names. */
int dir_monitor_sort_names(char **names, int n);
#endif
