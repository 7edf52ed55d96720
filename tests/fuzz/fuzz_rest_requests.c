/*
 * fuzz_rest_requests.c: the REST endpoint's decoders of JSON request bodies (rest/rest_requests.h),
 * on bodies a client sends. Input: byte 0 picks the decoder (modulo 5: savepoint, stop,
 * checkpoint, disposal, job submission), the rest is the body.
 *
 * A decoder either refuses with SPATE_EINVAL and a message, or fills its struct with valid
 * values (trigger ids of 32 hex digits, required fields set); what it decoded encodes to JSON
 * that the same decoder reads back to the same struct.
 */
#include "fuzz.h"

#include "base/err.h"
#include "rest/rest_requests.h"
#include "spate/spate.h"

static bool same_str(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_refusal(int rc, const char *err) {
  FUZZ_CHECK(rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "rc %d", rc);
  FUZZ_CHECK(rc != SPATE_EINVAL || err[0], "a refusal without a message");
}

static void check_trigger(const char *tid) {
  FUZZ_CHECK(!tid || rest_is_id(tid), "trigger id '%s' accepted", tid);
}

static void savepoint(const char *body, size_t len) {
  char err[SP_ERRMSG_MAX] = "";
  rest_savepoint_request a, b;
  int rc = rest_decode_savepoint_request(body, len, &a, err, sizeof err);
  if (rc < 0) {
    check_refusal(rc, err);
  } else {
    check_trigger(a.trigger_id);
    char *text = rest_encode_savepoint_request(&a);
    FUZZ_CHECK(text != NULL, "out of memory");
    FUZZ_CHECK(rest_decode_savepoint_request(text, strlen(text), &b, err, sizeof err) == 0,
               "its own encoding is refused: %s", err);
    FUZZ_CHECK(same_str(a.target_directory, b.target_directory) && a.cancel_job == b.cancel_job &&
                   a.format == b.format && same_str(a.trigger_id, b.trigger_id),
               "savepoint request does not round-trip: %s", text);
    rest_savepoint_request_free(&b);
    sp_free(text);
  }
  rest_savepoint_request_free(&a);
}

static void stop(const char *body, size_t len) {
  char err[SP_ERRMSG_MAX] = "";
  rest_stop_request a, b;
  int rc = rest_decode_stop_request(body, len, &a, err, sizeof err);
  if (rc < 0) {
    check_refusal(rc, err);
  } else {
    check_trigger(a.trigger_id);
    char *text = rest_encode_stop_request(&a);
    FUZZ_CHECK(text != NULL, "out of memory");
    FUZZ_CHECK(rest_decode_stop_request(text, strlen(text), &b, err, sizeof err) == 0,
               "its own encoding is refused: %s", err);
    FUZZ_CHECK(same_str(a.target_directory, b.target_directory) && a.drain == b.drain &&
                   a.format == b.format && same_str(a.trigger_id, b.trigger_id),
               "stop request does not round-trip: %s", text);
    rest_stop_request_free(&b);
    sp_free(text);
  }
  rest_stop_request_free(&a);
}

static void checkpoint(const char *body, size_t len) {
  char err[SP_ERRMSG_MAX] = "";
  rest_checkpoint_request a, b;
  int rc = rest_decode_checkpoint_request(body, len, &a, err, sizeof err);
  if (rc < 0) {
    check_refusal(rc, err);
  } else {
    check_trigger(a.trigger_id);
    char *text = rest_encode_checkpoint_request(&a);
    FUZZ_CHECK(text != NULL, "out of memory");
    FUZZ_CHECK(rest_decode_checkpoint_request(text, strlen(text), &b, err, sizeof err) == 0,
               "its own encoding is refused: %s", err);
    FUZZ_CHECK(a.type == b.type && same_str(a.trigger_id, b.trigger_id),
               "checkpoint request does not round-trip: %s", text);
    rest_checkpoint_request_free(&b);
    sp_free(text);
  }
  rest_checkpoint_request_free(&a);
}

static void disposal(const char *body, size_t len) {
  char err[SP_ERRMSG_MAX] = "";
  rest_disposal_request a, b;
  int rc = rest_decode_disposal_request(body, len, &a, err, sizeof err);
  if (rc < 0) {
    check_refusal(rc, err);
  } else {
    check_trigger(a.trigger_id);
    FUZZ_CHECK(a.savepoint_path && a.savepoint_path[0], "a disposal without a path accepted");
    char *text = rest_encode_disposal_request(&a);
    FUZZ_CHECK(text != NULL, "out of memory");
    FUZZ_CHECK(rest_decode_disposal_request(text, strlen(text), &b, err, sizeof err) == 0,
               "its own encoding is refused: %s", err);
    FUZZ_CHECK(same_str(a.savepoint_path, b.savepoint_path) && same_str(a.trigger_id, b.trigger_id),
               "disposal request does not round-trip: %s", text);
    rest_disposal_request_free(&b);
    sp_free(text);
  }
  rest_disposal_request_free(&a);
}

static void submit(const char *body, size_t len) {
  char err[SP_ERRMSG_MAX] = "";
  rest_submit_request a, b;
  int rc = rest_decode_submit_request(body, len, &a, err, sizeof err);
  if (rc < 0) {
    check_refusal(rc, err);
  } else {
    FUZZ_CHECK(a.job_graph_file && a.job_graph_file[0], "a submission without a graph accepted");
    char *text = rest_encode_submit_request(&a);
    FUZZ_CHECK(text != NULL, "out of memory");
    FUZZ_CHECK(rest_decode_submit_request(text, strlen(text), &b, err, sizeof err) == 0,
               "its own encoding is refused: %s", err);
    bool same = same_str(a.job_graph_file, b.job_graph_file) && a.n_jars == b.n_jars &&
                a.n_artifacts == b.n_artifacts;
    for (size_t i = 0; same && i < a.n_jars; i++) same = same_str(a.jar_files[i], b.jar_files[i]);
    for (size_t i = 0; same && i < a.n_artifacts; i++)
      same = same_str(a.artifact_entries[i], b.artifact_entries[i]) &&
             same_str(a.artifact_files[i], b.artifact_files[i]);
    FUZZ_CHECK(same, "submission request does not round-trip: %s", text);
    rest_submit_request_free(&b);
    sp_free(text);
  }
  rest_submit_request_free(&a);
}

/* /jars/:jarid/run (plan false) and /plan: accepted ids are 32 hex digits, parallelism in
 * range, configuration keys non-empty without '='; what decodes round-trips. */
static void jar_run(const char *body, size_t len, bool plan) {
  char err[SP_ERRMSG_MAX] = "";
  rest_jar_run_request a, b;
  int rc = rest_decode_jar_run_request(body, len, plan, &a, err, sizeof err);
  if (rc < 0) {
    check_refusal(rc, err);
  } else {
    check_trigger(a.job_id);
    FUZZ_CHECK(a.parallelism >= 0 && a.parallelism <= 32768, "parallelism %d", a.parallelism);
    FUZZ_CHECK(!plan || (!a.savepoint_path && !a.allow_non_restored &&
                         a.restore_mode == REST_RESTORE_DEFAULT),
               "a plan request with savepoint fields accepted");
    for (size_t i = 0; i < a.n_config; i++)
      FUZZ_CHECK(a.config_keys[i][0] && !strchr(a.config_keys[i], '='), "config key '%s'",
                 a.config_keys[i]);
    char *text = rest_encode_jar_run_request(&a);
    FUZZ_CHECK(text != NULL, "out of memory");
    FUZZ_CHECK(rest_decode_jar_run_request(text, strlen(text), false, &b, err, sizeof err) == 0,
               "its own encoding is refused: %s", err);
    bool same = same_str(a.entry_class, b.entry_class) &&
                same_str(a.program_args, b.program_args) && a.has_args_list == b.has_args_list &&
                a.n_args == b.n_args && a.parallelism == b.parallelism &&
                same_str(a.job_id, b.job_id) && a.allow_non_restored == b.allow_non_restored &&
                same_str(a.savepoint_path, b.savepoint_path) && a.restore_mode == b.restore_mode &&
                a.n_config == b.n_config;
    for (size_t i = 0; same && i < a.n_args; i++) same = same_str(a.args_list[i], b.args_list[i]);
    for (size_t i = 0; same && i < a.n_config; i++) { /* the encoding sorts the keys */
      bool found = false;
      for (size_t k = 0; k < b.n_config && !found; k++)
        found = same_str(a.config_keys[i], b.config_keys[k]) &&
                same_str(a.config_values[i], b.config_values[k]);
      same = found;
    }
    FUZZ_CHECK(same, "jar run request does not round-trip: %s", text);
    rest_jar_run_request_free(&b);
    sp_free(text);
  }
  rest_jar_run_request_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const char *body = (const char *)data + 1;
  size_t len = size - 1;
  switch (data[0] % 7) {
  case 0: savepoint(body, len); break;
  case 1: stop(body, len); break;
  case 2: checkpoint(body, len); break;
  case 3: disposal(body, len); break;
  case 4: submit(body, len); break;
  case 5: jar_run(body, len, false); break;
  default: jar_run(body, len, true); break;
  }
  return 0;
}
