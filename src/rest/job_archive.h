/*
 * job_archive.h: a finished job's archive for the history server, as Flink's FsJobArchivist
 * writes it: one file <jobmanager.archive.fs.dir>/<jobid> holding
 *
 *   {"archive": [{"path": "/jobs/overview", "json": "<the response, as a JSON string>"},
 *                {"path": "/jobs/<id>", "json": "..."}, ...]}
 *
 * The responses are rendered by the REST endpoint's own routes, in process (rest_server_get), so
 * an archive holds exactly what the JobManager served and every route added later is archived
 * as soon as it answers. The paths are Flink's archived ones: /jobs/overview (this job only),
 * /jobs/:id and its /config, /plan, /exceptions, /accumulators, /checkpoints,
 * /checkpoints/config, /checkpoints/details/:cid (+ /subtasks/:vid) for the checkpoints in the
 * history, /jobmanager/config and /jobmanager/environment of the job, and per vertex /vertices/:vid, subtasktimes, taskmanagers, accumulators,
 * subtasks/accumulators, /subtasks/:i, /subtasks/:i/attempts/:a (+ /accumulators). Vertex and
 * checkpoint ids come from the job's own responses; a path that does not answer 200 (a route
 * not served, 404 or 501) is left out.
 *
 * A JobManager with jobmanager.archive.fs.dir set runs a job_archiver: a thread that waits for
 * jobs to reach a globally terminal state (FINISHED, FAILED, CANCELED) in its cluster view and
 * writes each one's archive once, atomically (a hidden temporary file renamed into place).
 */
#ifndef SPATE_REST_JOB_ARCHIVE_H
#define SPATE_REST_JOB_ARCHIVE_H
#include <stddef.h>

#include "cluster/cluster_view.h"
#include "rest/rest_server.h"

/* The archive of job_id as served by s: *json (sp_malloc'd) the file's content. */
int job_archive_render(rest_server *s, const char *job_id, char **json, char *err, size_t err_len);
/* Writes json to dir/<job_id> atomically, creating dir (and its parents) if needed. dir may be a
 * file:// URI. */
int job_archive_write(const char *dir, const char *job_id, const char *json, char *err,
                      size_t err_len);

typedef struct job_archiver job_archiver;
/* Starts archiving the jobs of view (as served by s) into dir. */
int job_archiver_start(const char *dir, rest_server *s, cluster_view *view, job_archiver **out,
                       char *err, size_t err_len);
/* Archives the jobs that ended and are not archived yet, stops the thread, frees. NULL: no-op.
 * Call before stopping the server. */
void job_archiver_stop(job_archiver *a);
#endif
