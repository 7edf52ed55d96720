/*
 * log_files.h: the log files of this process and of its log directory, as the REST endpoints
 * /jobmanager/logs and /taskmanagers/:id/logs show them: which directory and which .log/.out
 * files are this process's (set once at start-up by the daemon, from log.file and env.log.dir),
 * listing the directory, confining a client's file name to it (CVE-2020-17519), and reading a
 * file bounded in size (its tail when larger).
 */
#ifndef SPATE_BASE_LOG_FILES_H
#define SPATE_BASE_LOG_FILES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Records this process's log file (log.file; NULL: none) and log directory (env.log.dir; NULL:
 * the log file's directory). The .out file is the log file with ".log" replaced by ".out", as
 * the daemon launcher (cli/daemon_launcher.c) names them. Thread-safe; later calls replace. */
void sp_log_files_set(const char *log_file, const char *log_dir);
/* Copies this process's log directory, .log or .out file path into out (cap bytes): 0, or
 * SPATE_ENOENT if none is known. */
int sp_log_files_dir(char *out, size_t cap);
int sp_log_files_log(char *out, size_t cap);
int sp_log_files_stdout(char *out, size_t cap);

/* One file of the log directory (Flink's LogInfo). */
typedef struct sp_log_file {
  char *name;
  int64_t size;  /* bytes */
  int64_t mtime; /* epoch ms */
} sp_log_file;

typedef struct sp_log_file_list {
  sp_log_file *files;
  size_t n;
} sp_log_file_list;

/* The regular files of dir, sorted by name. 0, SPATE_ENOENT (no such directory) or
 * SPATE_ENOMEM; err names the directory. */
int sp_log_files_list(const char *dir, sp_log_file_list *out, char *err, size_t err_len);
void sp_log_file_list_free(sp_log_file_list *l);

/* Whether name may name a file of the log directory (the first checks of
 * sp_log_files_resolve, without the file system): 0 or SPATE_EINVAL with err saying why. A name
 * is refused when it is empty or ".", holds "..", '/', '\\', '%' (a still-encoded character:
 * "..%2f" of a double-encoded "..%252f") or a control character. */
int sp_log_files_check_name(const char *name, char *err, size_t err_len);
/* The path of the file called name in dir, into out: name is checked as above, and refused too
 * (SPATE_EINVAL) when its real path (links resolved) is not a file directly inside dir's;
 * SPATE_ENOENT when there is no such file. */
int sp_log_files_resolve(const char *dir, const char *name, char *out, size_t cap, char *err,
                         size_t err_len);

/* A file's content, at most max bytes: the whole file, or (truncated) its last max bytes. */
typedef struct sp_log_data {
  char *data; /* sp_malloc'd, len bytes (plus a NUL) */
  size_t len;
  int64_t size; /* the whole file's size */
  bool truncated;
} sp_log_data;

/* Reads path into out as above. 0, SPATE_ENOENT, SPATE_EIO or SPATE_ENOMEM with err set. */
int sp_log_files_read(const char *path, size_t max, sp_log_data *out, char *err, size_t err_len);
void sp_log_data_free(sp_log_data *d);
#endif
