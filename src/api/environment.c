/*
 * environment.c: the execution environment: configuration, schemas, error keeping, and the CLI
 * context.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/log_files.h"
#include "types/schema.h"

static cli_context *the_cli; /* the process's CLI context, if it runs under `spate` */

void api_set_cli_context(cli_context *ctx) { the_cli = ctx; }
cli_context *api_cli_context(void) { return the_cli; }

void api_fail(spate_env *env, const char *fmt, ...) {
  if (env->failed) return;
  env->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(env->error, sizeof env->error, fmt, ap);
  va_end(ap);
}

int api_load_default_config(sp_config *cfg, char *err, size_t err_len) {
  char path[4096];
  const char *dir = getenv("SPATE_CONF_DIR");
  if (dir && dir[0]) {
    snprintf(path, sizeof path, "%s/config.yaml", dir);
  } else {
    snprintf(path, sizeof path, "conf/config.yaml");
    if (access(path, F_OK) != 0) return 0;
  }
  int rc = sp_config_load_file(cfg, path, err, err_len);
  return rc == SPATE_ENOENT && !(dir && dir[0]) ? 0 : rc;
}

/* Applies log settings the configuration names; an unset key leaves the process's level alone
 * (a test or an embedding program may have chosen one). */
static void apply_logging(const sp_config *c) {
  int level = sp_log_parse_level(sp_config_str(c, "log.level"));
  if (level >= 0 && sp_config_is_set(c, "log.level")) sp_log_set_level((sp_log_level)level);
  if (sp_config_is_set(c, "log.file")) {
    sp_log_set_file(sp_config_str(c, "log.file"));
    /* what REST on the MiniCluster (rest.bind-port) shows as the log files */
    sp_log_files_set(sp_config_str(c, "log.file"),
                     sp_config_is_set(c, "env.log.dir") ? sp_config_str(c, "env.log.dir") : NULL);
  }
}

spate_env *spate_env_create(void) {
  spate_env *env = sp_calloc(1, sizeof *env);
  if (!env) return NULL;
  env->buffer_timeout = INT64_MIN;
  env->g = sg_new(NULL);
  cli_context *cli = api_cli_context();
  env->config = cli ? sp_config_clone(cli->config) : sp_config_new();
  if (!env->g || !env->config) {
    spate_env_free(env);
    return NULL;
  }
  if (!cli) {
    char err[SP_ERRMSG_MAX];
    if (api_load_default_config(env->config, err, sizeof err) < 0) api_fail(env, "%s", err);
  }
  apply_logging(env->config);
  return env;
}

spate_env *api_env_create_with(const sp_config *cfg) {
  spate_env *env = sp_calloc(1, sizeof *env);
  if (!env) return NULL;
  env->buffer_timeout = INT64_MIN;
  env->g = sg_new(NULL);
  env->config = sp_config_clone(cfg);
  if (!env->g || !env->config) {
    spate_env_free(env);
    return NULL;
  }
  apply_logging(env->config);
  return env;
}

void spate_env_free(spate_env *env) {
  if (!env) return;
  for (int i = 0; i < env->nstreams; i++) {
    spate_stream *s = env->streams[i];
    for (int k = 0; k < s->ninputs; k++) {
      key_spec_free(&s->inputs[k].key);
      sp_free(s->inputs[k].partition_fn);
      sp_free(s->inputs[k].side_tag);
      if (s->inputs[k].side_schema) schema_unref(s->inputs[k].side_schema);
    }
    sp_free(s->inputs);
    sp_free(s->late_tag);
    sp_free(s);
  }
  sp_free(env->streams);
  for (int i = 0; i < env->nschemas; i++) schema_unref(env->schemas[i]);
  sp_free(env->schemas);
  api_free_formats(env);
  sg_free(env->g);
  sp_config_free(env->config);
  sp_free(env->artifact);
  sp_free(env);
}

void spate_env_set(spate_env *env, const char *key, const char *value) {
  char err[SP_ERRMSG_MAX];
  if (!env || env->failed) return;
  if (!key || !value) return api_fail(env, "spate_env_set: key and value must not be NULL");
  if (sp_config_set(env->config, key, value, "code", err, sizeof err) < 0)
    return api_fail(env, "%s", err);
  if (strcmp(key, "log.level") == 0 || strcmp(key, "log.file") == 0) apply_logging(env->config);
}

void spate_env_set_parallelism(spate_env *env, int parallelism) {
  if (!env) return;
  if (parallelism < 1)
    return api_fail(env, "spate_env_set_parallelism: parallelism must be at least 1, got %d",
                    parallelism);
  env->parallelism = parallelism;
}

void spate_env_set_max_parallelism(spate_env *env, int max_parallelism) {
  if (!env) return;
  if (max_parallelism < 1 || max_parallelism > 32768)
    return api_fail(env, "spate_env_set_max_parallelism: must be in 1..32768, got %d",
                    max_parallelism);
  env->max_parallelism = max_parallelism;
}

void spate_env_set_buffer_timeout(spate_env *env, int64_t ms) {
  if (!env) return;
  if (ms < -1)
    return api_fail(env, "spate_env_set_buffer_timeout: %lld ms is negative", (long long)ms);
  env->buffer_timeout = ms;
}

void spate_env_disable_operator_chaining(spate_env *env) {
  if (env) env->chaining_disabled = true;
}

void spate_env_set_clock(spate_env *env, spate_clock *clock) {
  if (env) env->clock = clock;
}

void spate_env_set_job_listener(spate_env *env, spate_job_listener fn, void *arg) {
  if (!env) return;
  env->listener = fn;
  env->listener_arg = arg;
}

spate_clock *spate_manual_clock_create(int64_t start_ms) { return sp_clock_manual(start_ms); }
void spate_manual_clock_free(spate_clock *clock) { sp_clock_free(clock); }
void spate_manual_clock_set(spate_clock *clock, int64_t ms) { sp_clock_set(clock, ms); }
int64_t spate_clock_now(const spate_clock *clock) { return sp_clock_now(clock); }

void spate_manual_clock_advance(spate_clock *clock, int64_t ms) {
  if (clock && ms > 0) sp_clock_set(clock, sp_clock_now(clock) + ms);
}

const char *spate_env_error(const spate_env *env) {
  if (!env) return "out of memory creating the execution environment";
  return env->failed ? env->error : NULL;
}

bool api_keep_schema(spate_env *env, spate_schema *s) {
  spate_schema **n = sp_realloc(env->schemas, sizeof *n * (size_t)(env->nschemas + 1));
  if (!n) {
    schema_unref(s);
    api_fail(env, "out of memory");
    return false;
  }
  env->schemas = n;
  env->schemas[env->nschemas++] = s;
  return true;
}

const spate_schema *spate_env_schema(spate_env *env, const char *spec) {
  char err[512];
  spate_schema *s = NULL;
  if (!env || env->failed) return NULL;
  if (spate_schema_parse(spec, &s, err, sizeof err) < 0) {
    api_fail(env, "%s", err);
    return NULL;
  }
  return api_keep_schema(env, s) ? s : NULL;
}
