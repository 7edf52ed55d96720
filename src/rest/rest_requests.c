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

/* ---- POST /jars/:jarid/run and /plan ---- */

static const char *const restore_names[] = {"CLAIM", "NO_CLAIM", "LEGACY"};

const char *rest_restore_mode_name(rest_restore_mode m) {
  return m >= REST_RESTORE_CLAIM && m <= REST_RESTORE_LEGACY ? restore_names[m] : NULL;
}

/* flinkConfiguration: an object of scalar values, kept as text. */
static int get_config_map(json_t *o, rest_jar_run_request *out, char *err, size_t err_len) {
  json_t *m = json_object_get(o, "flinkConfiguration");
  if (!m || json_is_null(m)) return 0;
  if (!json_is_object(m))
    return sp_err(err, err_len, SPATE_EINVAL,
                  "field 'flinkConfiguration' must be an object, not %s", type_name(m));
  size_t n = json_object_size(m);
  if (!n) return 0;
  out->config_keys = sp_calloc(n, sizeof(char *));
  out->config_values = sp_calloc(n, sizeof(char *));
  if (!out->config_keys || !out->config_values) return SPATE_ENOMEM;
  const char *key;
  json_t *v;
  json_object_foreach(m, key, v) {
    char text[64];
    const char *val = text;
    if (!key[0] || strchr(key, '='))
      return sp_err(err, err_len, SPATE_EINVAL,
                    "field 'flinkConfiguration' has an invalid key '%.80s' (empty or with '=')",
                    key);
    if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
      val = json_string_value(v);
    else if (json_is_integer(v))
      snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
      snprintf(text, sizeof text, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
      snprintf(text, sizeof text, "%s", json_is_true(v) ? "true" : "false");
    else
      return sp_err(err, err_len, SPATE_EINVAL,
                    "field 'flinkConfiguration.%.80s' must be a string, number or boolean, not %s",
                    key, type_name(v));
    size_t i = out->n_config;
    out->config_keys[i] = sp_strdup(key);
    out->config_values[i] = sp_strdup(val);
    out->n_config = i + 1;
    if (!out->config_keys[i] || !out->config_values[i]) return SPATE_ENOMEM;
  }
  return 0;
}

/* parallelism: an integer from 1 to 32768, or (as Flink's mapper coerces what the web dashboard
 * sends from its form) a string of one; null and "" are absent. */
static int get_parallelism(json_t *o, int *out, char *err, size_t err_len) {
  json_t *p = json_object_get(o, "parallelism");
  if (!p || json_is_null(p)) return 0;
  long long v = -1;
  if (json_is_integer(p)) {
    v = json_integer_value(p);
  } else if (json_is_string(p)) {
    const char *s = json_string_value(p);
    if (!s[0] && json_string_length(p) == 0) return 0;
    char *end;
    v = s[0] >= '0' && s[0] <= '9' && strlen(s) < 8 ? strtoll(s, &end, 10) : -1;
    if (v >= 0 && (*end || strlen(s) != json_string_length(p))) v = -1;
  } else {
    return sp_err(err, err_len, SPATE_EINVAL,
                  "field 'parallelism' must be an integer from 1 to 32768, not %s", type_name(p));
  }
  if (v < 1 || v > 32768)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "field 'parallelism' must be an integer from 1 to 32768");
  *out = (int)v;
  return 0;
}

/* A boolean, or the strings "true" / "false" (Flink's mapper coerces them); "" is absent. */
static int get_lenient_bool(json_t *o, const char *key, bool *out, char *err, size_t err_len) {
  json_t *v = json_object_get(o, key);
  if (json_is_string(v) && json_string_length(v) == strlen(json_string_value(v))) {
    const char *s = json_string_value(v);
    if (!s[0]) return 0;
    if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
      *out = s[0] == 't';
      return 0;
    }
  }
  return get_bool(o, key, out, err, err_len);
}

int rest_decode_jar_run_request(const char *body, size_t len, bool plan, rest_jar_run_request *out,
                                char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  out->restore_mode = REST_RESTORE_DEFAULT;
  static const char *const run_keys[] = {"entryClass",
                                         "programArgs",
                                         "programArgsList",
                                         "parallelism",
                                         "jobId",
                                         "flinkConfiguration",
                                         "allowNonRestoredState",
                                         "savepointPath",
                                         "restoreMode",
                                         "claimMode",
                                         NULL};
  static const char *const plan_keys[] = {"entryClass",  "programArgs", "programArgsList",
                                          "parallelism", "jobId",       "flinkConfiguration",
                                          NULL};
  json_t *o, *args = NULL;
  int rc = parse_object(body, len, &o, err, err_len);
  if (rc == 0) rc = check_keys(o, plan ? plan_keys : run_keys, err, err_len);
  if (rc == 0) rc = get_string(o, "entryClass", &out->entry_class, err, err_len);
  if (rc == 0) rc = get_string(o, "programArgs", &out->program_args, err, err_len);
  if (rc == 0) rc = get_array(o, "programArgsList", &args, err, err_len);
  size_t na = args ? json_array_size(args) : 0;
  out->has_args_list = args != NULL;
  if (rc == 0 && na && !(out->args_list = sp_calloc(na, sizeof(char *)))) rc = SPATE_ENOMEM;
  for (size_t i = 0; rc == 0 && i < na; i++) {
    json_t *v = json_array_get(args, i);
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
      rc = sp_err(err, err_len, SPATE_EINVAL,
                  "field 'programArgsList[%zu]' must be a string without NUL characters", i);
    } else if (!(out->args_list[i] = sp_strdup(json_string_value(v)))) {
      rc = SPATE_ENOMEM;
    } else {
      out->n_args = i + 1;
    }
  }
  if (rc == 0) rc = get_parallelism(o, &out->parallelism, err, err_len);
  if (rc == 0) rc = get_string(o, "jobId", &out->job_id, err, err_len);
  if (rc == 0 && out->job_id && !rest_is_id(out->job_id))
    rc = sp_err(err, err_len, SPATE_EINVAL,
                "field 'jobId' must be 32 lowercase hex digits, not '%.64s'", out->job_id);
  if (rc == 0) rc = get_config_map(o, out, err, err_len);
  if (rc == 0 && !plan) {
    rc = get_lenient_bool(o, "allowNonRestoredState", &out->allow_non_restored, err, err_len);
    if (rc == 0) rc = get_string(o, "savepointPath", &out->savepoint_path, err, err_len);
    if (rc == 0 && out->savepoint_path && !out->savepoint_path[0]) { /* the dashboard's "" */
      sp_free(out->savepoint_path);
      out->savepoint_path = NULL;
    }
    int mode = REST_RESTORE_DEFAULT, claim = REST_RESTORE_DEFAULT;
    if (rc == 0) rc = get_enum(o, "restoreMode", restore_names, 3, &mode, err, err_len);
    if (rc == 0) rc = get_enum(o, "claimMode", restore_names, 3, &claim, err, err_len);
    if (rc == 0 && mode != REST_RESTORE_DEFAULT && claim != REST_RESTORE_DEFAULT && mode != claim)
      rc = sp_err(err, err_len, SPATE_EINVAL,
                  "fields 'restoreMode' and 'claimMode' disagree: give one of them");
    out->restore_mode = (rest_restore_mode)(claim != REST_RESTORE_DEFAULT ? claim : mode);
  }
  json_decref(o);
  return rc;
}

char *rest_encode_jar_run_request(const rest_jar_run_request *r) {
  json_t *o = json_object();
  bool ok = o && set_str(o, "entryClass", r->entry_class) &&
            set_str(o, "programArgs", r->program_args) && set_str(o, "jobId", r->job_id) &&
            set_str(o, "savepointPath", r->savepoint_path);
  if (ok && r->has_args_list) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_args; i++)
      json_array_append_new(a, json_string(r->args_list[i]));
    ok = a && json_object_set_new(o, "programArgsList", a) == 0;
  }
  if (ok && r->parallelism)
    ok = json_object_set_new(o, "parallelism", json_integer(r->parallelism)) == 0;
  if (ok && r->allow_non_restored)
    ok = json_object_set_new(o, "allowNonRestoredState", json_true()) == 0;
  if (ok && r->restore_mode != REST_RESTORE_DEFAULT)
    ok = set_str(o, "restoreMode", rest_restore_mode_name(r->restore_mode));
  if (ok && r->n_config) {
    json_t *m = json_object();
    for (size_t i = 0; m && i < r->n_config; i++)
      json_object_set_new(m, r->config_keys[i], json_string(r->config_values[i]));
    ok = m && json_object_set_new(o, "flinkConfiguration", m) == 0;
  }
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return dump(o);
}

void rest_jar_run_request_free(rest_jar_run_request *r) {
  sp_free(r->entry_class);
  sp_free(r->program_args);
  for (size_t i = 0; i < r->n_args; i++) sp_free(r->args_list[i]);
  sp_free(r->args_list);
  sp_free(r->job_id);
  sp_free(r->savepoint_path);
  for (size_t i = 0; i < r->n_config; i++) {
    sp_free(r->config_keys[i]);
    sp_free(r->config_values[i]);
  }
  sp_free(r->config_keys);
  sp_free(r->config_values);
  memset(r, 0, sizeof *r);
}

int rest_decode_coordination_request(const char *body, size_t len, char **request, char *err,
                                     size_t err_len) {
  *request = NULL;
  static const char *const keys[] = {"serializedCoordinationRequest", NULL};
  json_t *o;
  int rc = parse_object(body, len, &o, err, err_len);
  if (rc == 0) rc = check_keys(o, keys, err, err_len);
  if (rc == 0) rc = get_string(o, "serializedCoordinationRequest", request, err, err_len);
  if (rc == 0 && (!*request || !(*request)[0]))
    rc = sp_err(err, err_len, SPATE_EINVAL, "field 'serializedCoordinationRequest' is required");
  json_decref(o);
  if (rc < 0) {
    sp_free(*request);
    *request = NULL;
  }
  return rc;
}
