/*
 * rest_requests.h: the JSON request bodies of the REST API, as C structs, with a strict decoder
 * (what the server accepts) and an encoder (what the client sends) for each:
 *
 *   POST /jobs/:jobid/savepoints   {"target-directory", "cancel-job", "formatType", "triggerId"}
 *   POST /jobs/:jobid/stop         {"targetDirectory", "drain", "formatType", "triggerId"}
 *   POST /jobs/:jobid/checkpoints  {"checkpointType", "triggerId"}
 *   POST /savepoint-disposal       {"savepoint-path", "triggerId"}
 *   POST /jobs/:jobid/coordinators/:operatorid {"serializedCoordinationRequest"} (decoded only)
 *   POST /jobs ("request" part)    {"jobGraphFileName", "jobJarFileNames": [..],
 *                                   "jobArtifactFileNames": [{"entryName", "fileName"}]}
 *   POST /jars/:jarid/run          {"entryClass", "programArgs", "programArgsList": [..],
 *                                   "parallelism", "jobId", "allowNonRestoredState",
 *                                   "savepointPath", "restoreMode"/"claimMode",
 *                                   "flinkConfiguration": {key: value}}
 *   GET/POST /jars/:jarid/plan     the same without the savepoint fields
 *
 * The keys are Flink's (kebab-case for savepoints and disposal, camelCase for stop, checkpoints
 * and submission). Every field is optional except where said; null counts as absent. A decoder
 * refuses what Flink's strict mapper refuses: a body that is not a JSON object, a field of the
 * wrong type or value, an unknown field, a duplicate key; its message names the field, e.g.
 * "field 'cancel-job' must be a boolean, not a string". An empty body is an empty object.
 * Decoders return 0 or SPATE_EINVAL (message in err) or SPATE_ENOMEM; the struct is freed with
 * its *_free after success and after failure alike.
 */
#ifndef SPATE_REST_REST_REQUESTS_H
#define SPATE_REST_REST_REQUESTS_H
#include <stdbool.h>
#include <stddef.h>

#include "rest/rest_server.h"

typedef struct rest_savepoint_request {
  char *target_directory; /* NULL: the configured default */
  bool cancel_job;
  rest_savepoint_format format;
  char *trigger_id; /* 32 hex digits chosen by the client (idempotent trigger), or NULL */
} rest_savepoint_request;

typedef struct rest_stop_request {
  char *target_directory;
  bool drain;
  rest_savepoint_format format;
  char *trigger_id;
} rest_stop_request;

typedef struct rest_checkpoint_request {
  rest_checkpoint_type type; /* CONFIGURED when absent */
  char *trigger_id;
} rest_checkpoint_request;

typedef struct rest_disposal_request {
  char *savepoint_path; /* required */
  char *trigger_id;
} rest_disposal_request;

typedef struct rest_submit_request {
  char *job_graph_file; /* required: the name of the file part holding the JobGraph */
  char **jar_files;     /* names of file parts holding job objects */
  size_t n_jars;
  char **artifact_entries, **artifact_files; /* jobArtifactFileNames: entryName, fileName */
  size_t n_artifacts;
} rest_submit_request;

/* Flink's RestoreMode (claimMode since 2.0). */
typedef enum rest_restore_mode {
  REST_RESTORE_DEFAULT = -1, /* not given */
  REST_RESTORE_CLAIM,
  REST_RESTORE_NO_CLAIM,
  REST_RESTORE_LEGACY
} rest_restore_mode;

/* POST /jars/:jarid/run and /plan (JarRunRequestBody, JarPlanRequestBody). */
typedef struct rest_jar_run_request {
  char *entry_class;  /* accepted and ignored: a job object's entry point is spate_main */
  char *program_args; /* programArgs: one string, split on whitespace (deprecated) */
  char **args_list;   /* programArgsList, n_args of them (preferred over programArgs) */
  size_t n_args;
  bool has_args_list;
  int parallelism; /* 0: not given */
  char *job_id;    /* 32 lowercase hex digits, or NULL */
  bool allow_non_restored;
  char *savepoint_path;
  rest_restore_mode restore_mode;
  char **config_keys, **config_values; /* flinkConfiguration, n_config entries */
  size_t n_config;
} rest_jar_run_request;

int rest_decode_savepoint_request(const char *body, size_t len, rest_savepoint_request *out,
                                  char *err, size_t err_len);
int rest_decode_stop_request(const char *body, size_t len, rest_stop_request *out, char *err,
                             size_t err_len);
int rest_decode_checkpoint_request(const char *body, size_t len, rest_checkpoint_request *out,
                                   char *err, size_t err_len);
int rest_decode_disposal_request(const char *body, size_t len, rest_disposal_request *out,
                                 char *err, size_t err_len);
int rest_decode_submit_request(const char *body, size_t len, rest_submit_request *out, char *err,
                               size_t err_len);
/* The client's serialized request (its base64 text, required, sp_malloc'd into *request). */
int rest_decode_coordination_request(const char *body, size_t len, char **request, char *err,
                                     size_t err_len);
/* plan: a plan request, which has no savepoint fields (savepointPath, allowNonRestoredState,
 * restoreMode, claimMode are then unknown fields). As Flink's mapper, and for the web dashboard
 * which sends its form's text, parallelism may be a string of digits and allowNonRestoredState
 * "true"/"false"; "" counts as absent for those and savepointPath. flinkConfiguration values may be strings,
 * numbers or booleans (kept as their text); keys must be non-empty without '='. */
int rest_decode_jar_run_request(const char *body, size_t len, bool plan, rest_jar_run_request *out,
                                char *err, size_t err_len);

/* The encoders: a compact JSON text (sp_free) holding the set fields, NULL when out of memory.
 * What an encoder writes its decoder reads back to the same struct. */
char *rest_encode_savepoint_request(const rest_savepoint_request *r);
char *rest_encode_stop_request(const rest_stop_request *r);
char *rest_encode_checkpoint_request(const rest_checkpoint_request *r);
char *rest_encode_disposal_request(const rest_disposal_request *r);
char *rest_encode_submit_request(const rest_submit_request *r);
char *rest_encode_jar_run_request(const rest_jar_run_request *r);

void rest_savepoint_request_free(rest_savepoint_request *r);
void rest_stop_request_free(rest_stop_request *r);
void rest_checkpoint_request_free(rest_checkpoint_request *r);
void rest_disposal_request_free(rest_disposal_request *r);
void rest_submit_request_free(rest_submit_request *r);
void rest_jar_run_request_free(rest_jar_run_request *r);

/* Whether s is 32 lowercase hex digits (a job id, a trigger id). */
bool rest_is_id(const char *s);
/* "CANONICAL" / "NATIVE"; "CONFIGURED" / "FULL" / "INCREMENTAL". */
const char *rest_savepoint_format_name(rest_savepoint_format f);
const char *rest_checkpoint_type_name(rest_checkpoint_type t);
/* "CLAIM", "NO_CLAIM", "LEGACY"; NULL for REST_RESTORE_DEFAULT. */
const char *rest_restore_mode_name(rest_restore_mode m);
#endif
