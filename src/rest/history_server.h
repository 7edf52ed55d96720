/*
 * history_server.h: Flink's HistoryServer: serves the archives of finished jobs (job_archive.h)
 * read-only over HTTP, with the REST paths and JSON the JobManager served while the jobs ran,
 * so the web dashboard and scripts read a finished job as they read a running one.
 *
 * Configuration (the historyserver.* keys):
 *   historyserver.archive.fs.dir               comma-separated directories of archives (needed)
 *   historyserver.archive.fs.refresh-interval  how often they are read again (10 s)
 *   historyserver.archive.retained-jobs        the newest N archives of each directory (-1: all)
 *   historyserver.archive.clean-expired-jobs   forget jobs whose archive file is gone (false)
 *   historyserver.web.address, .web.port       where it listens (localhost, 8082)
 *   historyserver.web.refresh-interval         /config's refresh-interval (10 s)
 *
 * Served (each also under /v1): /config (features.web-history true, no submission or cancel),
 * /overview (the archived jobs' counts), /jobs/overview (every archive's entry, merged), and
 * every path an archive holds; anything else 404 {"errors": ["Not found: <path>"]}. Only GET.
 *
 * An archive file that is not one (not JSON, wrong shape, a name that is not a job id) is logged
 * once naming the file and skipped; the others are served.
 */
#ifndef SPATE_REST_HISTORY_SERVER_H
#define SPATE_REST_HISTORY_SERVER_H
#include <stddef.h>

#include "base/config.h"

/* Runs the history server until SIGTERM or SIGINT; returns the process exit code (1 when it
 * could not start: no archive directory, port in use, ...). Blocks SIGTERM and SIGINT in the
 * calling thread (and the threads it starts) to wait for them. */
int history_server_run(const sp_config *cfg);

/* One archived response. */
typedef struct history_entry {
  char *path; /* "/jobs/<id>/..." */
  char *json; /* the response body */
} history_entry;

/* Parses an archive file's text: its entries (sp_malloc'd array of n; each path starts with '/'
 * and each json is valid JSON). SPATE_ECORRUPT with err saying what is wrong. */
int history_archive_parse(const char *text, size_t len, history_entry **entries, size_t *n,
                          char *err, size_t err_len);
void history_entries_free(history_entry *e, size_t n);
#endif
