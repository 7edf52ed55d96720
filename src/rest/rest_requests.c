/*
 * rest_requests.c: decoders and encoders of the REST API's JSON request bodies (rest_requests.h).
 * jansson parses; this file checks the shape field by field, so a wrong body is refused with the
 * name of the field at fault before any operation sees it.
 */
#include "rest/rest_requests.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

bool rest_is_id(const char *s) {
  if (!s) return false;
  for (int i = 0; i < REST_ID_LEN; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  return s[REST_ID_LEN] == 0;
}

const char *rest_savepoint_format_name(rest_savepoint_format f) {
  return f == REST_SAVEPOINT_NATIVE ? "NATIVE" : "CANONICAL";
}

const char *rest_checkpoint_type_name(rest_checkpoint_type t) {
  switch (t) {
  case REST_CHECKPOINT_FULL: return "FULL";
  case REST_CHECKPOINT_INCREMENTAL: return "INCREMENTAL";
  default: return "CONFIGURED";
  }
}

static const char *type_name(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER: return "an integer";
  case JSON_REAL: return "a number";
  case JSON_TRUE:
  case JSON_FALSE: return "a boolean";
  default: return "null";
  }
}

/* Parses body into a JSON object (an empty body is {}). */
static int parse_object(const char *body, size_t len, json_t **out, char *err, size_t err_len) {
  *out = NULL;
  size_t i = 0;
  while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n')) i++;
  if (i == len) {
    *out = json_object();
    return *out ? 0 : SPATE_ENOMEM;
  }
  json_error_t je;
  json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
  if (!root)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "Request body is not valid JSON: %s (line %d, column %d)", je.text, je.line,
                  je.column);
  if (!json_is_object(root)) {
    sp_err(err, err_len, SPATE_EINVAL, "Request body must be a JSON object, not %s",
           type_name(root));
    json_decref(root);
    return SPATE_EINVAL;
  }
  *out = root;
  return 0;
}

/* Refuses any key of o not in known (NULL-terminated). */
static int check_keys(json_t *o, const char *const *known, char *err, size_t err_len) {
  const char *key;
  json_t *v;
  json_object_foreach(o, key, v) {
    bool ok = false;
    for (const char *const *k = known; *k && !ok; k++) ok = strcmp(key, *k) == 0;
    if (!ok) return sp_err(err, err_len, SPATE_EINVAL, "unknown field '%s' in the request", key);
  }
  return 0;
}

/* The optional string field key into *out (a copy; NULL when absent or null). */
static int get_string(json_t *o, const char *key, char **out, char *err, size_t err_len) {
  json_t *v = json_object_get(o, key);
  if (!v || json_is_null(v)) return 0;
  if (!json_is_string(v))
    return sp_err(err, err_len, SPATE_EINVAL, "field '%s' must be a string, not %s", key,
                  type_name(v));
  if (strlen(json_string_value(v)) != json_string_length(v))
    return sp_err(err, err_len, SPATE_EINVAL, "field '%s' must not contain a NUL character", key);
  *out = sp_strdup(json_string_value(v));
  return *out ? 0 : SPATE_ENOMEM;
}

static int get_bool(json_t *o, const char *key, bool *out, char *err, size_t err_len) {
  json_t *v = json_object_get(o, key);
  if (!v || json_is_null(v)) return 0;
  if (!json_is_boolean(v))
    return sp_err(err, err_len, SPATE_EINVAL, "field '%s' must be a boolean, not %s", key,
                  type_name(v));
  *out = json_is_true(v);
  return 0;
}

/* An optional enum field: one of names (n of them), its index into *out. */
static int get_enum(json_t *o, const char *key, const char *const *names, int n, int *out,
                    char *err, size_t err_len) {
  json_t *v = json_object_get(o, key);
  if (!v || json_is_null(v)) return 0;
  if (json_is_string(v))
    for (int i = 0; i < n; i++)
      if (strcmp(json_string_value(v), names[i]) == 0) {
        *out = i;
        return 0;
      }
  char list[128] = "";
  for (int i = 0; i < n; i++) {
    size_t l = strlen(list);
    snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", names[i]);
  }
  return sp_err(err, err_len, SPATE_EINVAL, "field '%s' must be one of %s", key, list);
}

static int get_trigger_id(json_t *o, char **out, char *err, size_t err_len) {
  int rc = get_string(o, "triggerId", out, err, err_len);
  if (rc == 0 && *out && !rest_is_id(*out))
    return sp_err(err, err_len, SPATE_EINVAL,
                  "field 'triggerId' must be 32 lowercase hex digits, not '%.64s'", *out);
  return rc;
}

static const char *const format_names[] = {"CANONICAL", "NATIVE"};
static const char *const checkpoint_names[] = {"CONFIGURED", "FULL", "INCREMENTAL"};

int rest_decode_savepoint_request(const char *body, size_t len, rest_savepoint_request *out,
                                  char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  static const char *const keys[] = {"target-directory", "cancel-job", "formatType", "triggerId",
                                     NULL};
  json_t *o;
  int rc = parse_object(body, len, &o, err, err_len), f = 0;
  if (rc == 0) rc = check_keys(o, keys, err, err_len);
  if (rc == 0) rc = get_string(o, "target-directory", &out->target_directory, err, err_len);
  if (rc == 0) rc = get_bool(o, "cancel-job", &out->cancel_job, err, err_len);
  if (rc == 0) rc = get_enum(o, "formatType", format_names, 2, &f, err, err_len);
  if (rc == 0) rc = get_trigger_id(o, &out->trigger_id, err, err_len);
  out->format = (rest_savepoint_format)f;
  json_decref(o);
  return rc;
}

int rest_decode_stop_request(const char *body, size_t len, rest_stop_request *out, char *err,
                             size_t err_len) {
  memset(out, 0, sizeof *out);
  static const char *const keys[] = {"targetDirectory", "drain", "formatType", "triggerId", NULL};
  json_t *o;
  int rc = parse_object(body, len, &o, err, err_len), f = 0;
  if (rc == 0) rc = check_keys(o, keys, err, err_len);
  if (rc == 0) rc = get_string(o, "targetDirectory", &out->target_directory, err, err_len);
  if (rc == 0) rc = get_bool(o, "drain", &out->drain, err, err_len);
  if (rc == 0) rc = get_enum(o, "formatType", format_names, 2, &f, err, err_len);
  if (rc == 0) rc = get_trigger_id(o, &out->trigger_id, err, err_len);
  out->format = (rest_savepoint_format)f;
  json_decref(o);
  return rc;
}

int rest_decode_checkpoint_request(const char *body, size_t len, rest_checkpoint_request *out,
                                   char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  static const char *const keys[] = {"checkpointType", "triggerId", NULL};
  json_t *o;
  int rc = parse_object(body, len, &o, err, err_len), t = 0;
  if (rc == 0) rc = check_keys(o, keys, err, err_len);
  if (rc == 0) rc = get_enum(o, "checkpointType", checkpoint_names, 3, &t, err, err_len);
  if (rc == 0) rc = get_trigger_id(o, &out->trigger_id, err, err_len);
  out->type = (rest_checkpoint_type)t;
  json_decref(o);
  return rc;
}

int rest_decode_disposal_request(const char *body, size_t len, rest_disposal_request *out,
                                 char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  static const char *const keys[] = {"savepoint-path", "triggerId", NULL};
  json_t *o;
  int rc = parse_object(body, len, &o, err, err_len);
  if (rc == 0) rc = check_keys(o, keys, err, err_len);
  if (rc == 0) rc = get_string(o, "savepoint-path", &out->savepoint_path, err, err_len);
  if (rc == 0) rc = get_trigger_id(o, &out->trigger_id, err, err_len);
  if (rc == 0 && (!out->savepoint_path || !out->savepoint_path[0]))
    rc = sp_err(err, err_len, SPATE_EINVAL, "field 'savepoint-path' is required");
  json_decref(o);
  return rc;
}

/* A string of the array element at index i of field key. */
static int element_string(json_t *v, const char *key, size_t i, const char *sub, char **out,
                          char *err, size_t err_len) {
  if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
      !json_string_value(v)[0])
    return sp_err(err, err_len, SPATE_EINVAL, "field '%s[%zu]%s%s' must be a non-empty string", key,
                  i, sub ? "." : "", sub ? sub : "");
  *out = sp_strdup(json_string_value(v));
  return *out ? 0 : SPATE_ENOMEM;
}

static int get_array(json_t *o, const char *key, json_t **out, char *err, size_t err_len) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_array(v))
    return sp_err(err, err_len, SPATE_EINVAL, "field '%s' must be an array, not %s", key,
                  type_name(v));
  *out = v;
  return 0;
}

int rest_decode_submit_request(const char *body, size_t len, rest_submit_request *out, char *err,
                               size_t err_len) {
  memset(out, 0, sizeof *out);
  static const char *const keys[] = {"jobGraphFileName", "jobJarFileNames", "jobArtifactFileNames",
                                     NULL};
  json_t *o, *jars = NULL, *arts = NULL;
  int rc = parse_object(body, len, &o, err, err_len);
  if (rc == 0) rc = check_keys(o, keys, err, err_len);
  if (rc == 0) rc = get_string(o, "jobGraphFileName", &out->job_graph_file, err, err_len);
  if (rc == 0 && (!out->job_graph_file || !out->job_graph_file[0]))
    rc = sp_err(err, err_len, SPATE_EINVAL, "field 'jobGraphFileName' is required");
  if (rc == 0) rc = get_array(o, "jobJarFileNames", &jars, err, err_len);
  if (rc == 0) rc = get_array(o, "jobArtifactFileNames", &arts, err, err_len);
  size_t nj = jars ? json_array_size(jars) : 0, na = arts ? json_array_size(arts) : 0;
  if (rc == 0 && nj) {
    out->jar_files = sp_calloc(nj, sizeof *out->jar_files);
    if (!out->jar_files) rc = SPATE_ENOMEM;
  }
  for (size_t i = 0; rc == 0 && i < nj; i++) {
    rc = element_string(json_array_get(jars, i), "jobJarFileNames", i, NULL, &out->jar_files[i],
                        err, err_len);
    if (rc == 0) out->n_jars = i + 1;
  }
  if (rc == 0 && na) {
    out->artifact_entries = sp_calloc(na, sizeof(char *));
    out->artifact_files = sp_calloc(na, sizeof(char *));
    if (!out->artifact_entries || !out->artifact_files) rc = SPATE_ENOMEM;
  }
  for (size_t i = 0; rc == 0 && i < na; i++) {
    json_t *a = json_array_get(arts, i);
    out->n_artifacts = i + 1;
    if (!json_is_object(a)) {
      rc = sp_err(err, err_len, SPATE_EINVAL,
                  "field 'jobArtifactFileNames[%zu]' must be an object {entryName, fileName}, "
                  "not %s",
                  i, type_name(a));
      break;
    }
    static const char *const akeys[] = {"entryName", "fileName", NULL};
    rc = check_keys(a, akeys, err, err_len);
    if (rc == 0)
      rc = element_string(json_object_get(a, "entryName"), "jobArtifactFileNames", i, "entryName",
                          &out->artifact_entries[i], err, err_len);
    if (rc == 0)
      rc = element_string(json_object_get(a, "fileName"), "jobArtifactFileNames", i, "fileName",
                          &out->artifact_files[i], err, err_len);
  }
  json_decref(o);
  return rc;
}

/* Dumps o (consumed) into an sp_malloc'd string. */
static char *dump(json_t *o) {
  if (!o) return NULL;
  char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  if (!s) return NULL;
  char *copy = sp_strdup(s);
  free(s); /* jansson allocates with malloc */
  return copy;
}

/* Sets key to a string if s is set; false when out of memory. */
static bool set_str(json_t *o, const char *key, const char *s) {
  return !s || json_object_set_new(o, key, json_string(s)) == 0;
}

char *rest_encode_savepoint_request(const rest_savepoint_request *r) {
  json_t *o = json_object();
  if (!o || !set_str(o, "target-directory", r->target_directory) ||
      json_object_set_new(o, "cancel-job", json_boolean(r->cancel_job)) ||
      !set_str(o, "formatType", rest_savepoint_format_name(r->format)) ||
      !set_str(o, "triggerId", r->trigger_id)) {
    json_decref(o);
    return NULL;
  }
  return dump(o);
}

char *rest_encode_stop_request(const rest_stop_request *r) {
  json_t *o = json_object();
  if (!o || !set_str(o, "targetDirectory", r->target_directory) ||
      json_object_set_new(o, "drain", json_boolean(r->drain)) ||
      !set_str(o, "formatType", rest_savepoint_format_name(r->format)) ||
      !set_str(o, "triggerId", r->trigger_id)) {
    json_decref(o);
    return NULL;
  }
  return dump(o);
}

char *rest_encode_checkpoint_request(const rest_checkpoint_request *r) {
  json_t *o = json_object();
  if (!o || !set_str(o, "checkpointType", rest_checkpoint_type_name(r->type)) ||
      !set_str(o, "triggerId", r->trigger_id)) {
    json_decref(o);
    return NULL;
  }
  return dump(o);
}

char *rest_encode_disposal_request(const rest_disposal_request *r) {
  json_t *o = json_object();
  if (!o || !set_str(o, "savepoint-path", r->savepoint_path) ||
      !set_str(o, "triggerId", r->trigger_id)) {
    json_decref(o);
    return NULL;
  }
  return dump(o);
}

char *rest_encode_submit_request(const rest_submit_request *r) {
  json_t *o = json_object(), *jars = json_array(), *arts = json_array();
  bool ok = o && jars && arts && set_str(o, "jobGraphFileName", r->job_graph_file);
  for (size_t i = 0; ok && i < r->n_jars; i++)
    ok = json_array_append_new(jars, json_string(r->jar_files[i])) == 0;
  for (size_t i = 0; ok && i < r->n_artifacts; i++) {
    json_t *a = json_object();
    ok = a && set_str(a, "entryName", r->artifact_entries[i]) &&
         set_str(a, "fileName", r->artifact_files[i]) && json_array_append_new(arts, a) == 0;
    if (!ok) json_decref(a);
  }
  ok = ok && json_object_set(o, "jobJarFileNames", jars) == 0 &&
       json_object_set(o, "jobArtifactFileNames", arts) == 0;
  json_decref(jars);
  json_decref(arts);
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return dump(o);
}

void rest_savepoint_request_free(rest_savepoint_request *r) {
  sp_free(r->target_directory);
  sp_free(r->trigger_id);
  memset(r, 0, sizeof *r);
}

void rest_stop_request_free(rest_stop_request *r) {
  sp_free(r->target_directory);
  sp_free(r->trigger_id);
  memset(r, 0, sizeof *r);
}

void rest_checkpoint_request_free(rest_checkpoint_request *r) {
  sp_free(r->trigger_id);
  memset(r, 0, sizeof *r);
}

void rest_disposal_request_free(rest_disposal_request *r) {
  sp_free(r->savepoint_path);
  sp_free(r->trigger_id);
  memset(r, 0, sizeof *r);
}

void rest_submit_request_free(rest_submit_request *r) {
  sp_free(r->job_graph_file);
  for (size_t i = 0; i < r->n_jars; i++) sp_free(r->jar_files[i]);
  sp_free(r->jar_files);
  for (size_t i = 0; i < r->n_artifacts; i++) {
    sp_free(r->artifact_entries[i]);
    sp_free(r->artifact_files[i]);
  }
  sp_free(r->artifact_entries);
  sp_free(r->artifact_files);
  memset(r, 0, sizeof *r);
}
