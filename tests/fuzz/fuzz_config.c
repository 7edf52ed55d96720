/*
 * fuzz_config.c: config.yaml files (base/config.c, sp_config_load_file). The input is the file.
 *
 * A file is either loaded or rejected with SPATE_EINVAL and a message that names it; a
 * rejected file leaves the configuration as it was. Every value a loaded file set must be
 * accepted again when set on its own (what sp_config_each reports is what the getters parse).
 */
#include "fuzz.h"

#include "base/config.h"
#include "base/err.h"
#include "base/log.h"

typedef struct reset_ctx {
  sp_config *fresh;
} reset_ctx;

static void set_again(void *arg, const char *key, const char *value) {
  reset_ctx *r = arg;
  char err[512] = "";
  int rc = sp_config_set(r->fresh, key, value, "fuzz", err, sizeof err);
  FUZZ_CHECK(rc == 0, "loaded value '%s' of %s is rejected when set again: %s", value, key, err);
}

static void count_keys(void *arg, const char *key, const char *value) {
  (void)key;
  (void)value;
  (*(int *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_log_set_level(SP_LOG_OFF); /* keys Spate ignores are logged as warnings */
  char path[4200];
  fuzz_path(path, sizeof path, "config.yaml");
  fuzz_write_file(path, data, size);

  sp_config *c = sp_config_new();
  FUZZ_CHECK(c != NULL, "out of memory");
  char err[1024] = "";
  FUZZ_CHECK(sp_config_set(c, "rest.port", "1234", "fuzz", err, sizeof err) == 0, "%s", err);
  int rc = sp_config_load_file(c, path, err, sizeof err);
  if (rc == 0) {
    reset_ctx r = {sp_config_new()};
    FUZZ_CHECK(r.fresh != NULL, "out of memory");
    sp_config_each(c, set_again, &r);
    sp_config_free(r.fresh);
    sp_config *k = sp_config_clone(c);
    FUZZ_CHECK(k != NULL, "out of memory");
    sp_config_free(k);
    (void)sp_config_int(c, "parallelism.default");
    (void)sp_config_str(c, "log.level");
  } else {
    FUZZ_CHECK(rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "rc %d: %s", rc, err);
    FUZZ_CHECK(strstr(err, path) != NULL, "the message does not name the file: %s", err);
    int n = 0; /* the key set before the load is all there is */
    sp_config_each(c, count_keys, &n);
    FUZZ_CHECK(n == 1 && sp_config_int(c, "rest.port") == 1234,
               "a rejected file changed the configuration");
  }
  sp_config_free(c);
  return 0;
}
