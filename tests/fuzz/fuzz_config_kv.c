/*
 * fuzz_config_kv.c: `-D key=value` arguments (base/config.c, sp_config_set_kv). Each line of
 * the input is one argument, applied in order to one configuration, as the CLI applies
 * repeated -D options.
 *
 * An argument is either applied or rejected with SPATE_EINVAL and a message starting with
 * "-D "; every value applied must be accepted again when set on its own.
 */
#include "fuzz.h"

#include "base/config.h"
#include "base/err.h"
#include "base/log.h"

static void set_again(void *arg, const char *key, const char *value) {
  char err[512] = "";
  int rc = sp_config_set(arg, key, value, "fuzz", err, sizeof err);
  FUZZ_CHECK(rc == 0, "applied value '%s' of %s is rejected when set again: %s", value, key, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_log_set_level(SP_LOG_OFF);
  char *text = fuzz_cstr(data, size);
  sp_config *c = sp_config_new();
  FUZZ_CHECK(c != NULL, "out of memory");
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char err[1024] = "";
    int rc = sp_config_set_kv(c, line, err, sizeof err);
    if (rc != 0) {
      FUZZ_CHECK(rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "rc %d: %s", rc, err);
      FUZZ_CHECK(strncmp(err, "-D ", 3) == 0, "the message does not name the -D: %s", err);
    }
  }
  sp_config *fresh = sp_config_new();
  FUZZ_CHECK(fresh != NULL, "out of memory");
  sp_config_each(c, set_again, fresh);
  sp_config_free(fresh);
  sp_config_free(c);
  sp_free(text);
  return 0;
}
