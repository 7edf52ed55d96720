/*
 * test_config.c: unit tests for src/base/config.c: the YAML loader (flat and nested keys,
 * malformed input), value parsing for every key type, -D arguments, messages naming file and
 * line, override order, cloning, the checkpointing and restart-strategy keys with their other
 * names, and the shipped conf/config.yaml.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/config.h"
#include "base/log.h"
#include "spate/spate.h"

#define MAX_FILES 32

/* Per-test scratch directory; files written into it are removed in teardown. */
typedef struct fixture {
  char dir[64];
  char files[MAX_FILES][128];
  int nfiles;
  char err[1024];
  sp_config *c;
} fixture;

static int setup(void **state) {
  fixture *f = sp_calloc(1, sizeof *f);
  if (!f) return -1;
  snprintf(f->dir, sizeof f->dir, "/tmp/spate_test_config_XXXXXX");
  if (!mkdtemp(f->dir)) return -1;
  f->c = sp_config_new();
  if (!f->c) return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  for (int i = 0; i < f->nfiles; i++) unlink(f->files[i]);
  rmdir(f->dir);
  sp_config_free(f->c);
  sp_free(f);
  return 0;
}

/* Writes text to <dir>/<name> and returns the path (owned by the fixture). */
static const char *write_file(fixture *f, const char *name, const char *text) {
  assert_true(f->nfiles < MAX_FILES);
  char *path = f->files[f->nfiles++];
  char dir[sizeof f->dir]; /* a copy: gcc cannot tell that f->dir and path never overlap */
  memcpy(dir, f->dir, sizeof dir);
  snprintf(path, 128, "%s/%s", dir, name);
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
  assert_int_equal(fclose(fp), 0);
  return path;
}

/* Loads text as a file and expects failure with exactly "<path>:<suffix>" as the message. */
static void expect_load_error(fixture *f, const char *text, const char *suffix) {
  const char *path = write_file(f, "bad.yaml", text);
  char want[1024];
  snprintf(want, sizeof want, "%s:%s", path, suffix);
  f->err[0] = '\0';
  assert_int_equal(sp_config_load_file(f->c, path, f->err, sizeof f->err), SPATE_EINVAL);
  assert_string_equal(f->err, want);
  f->nfiles--; /* the same name is reused by the next call */
  unlink(path);
}

static void test_defaults(void **state) {
  fixture *f = *state;
  sp_config *c = f->c;
  assert_int_equal(sp_config_int(c, "parallelism.default"), 1);
  assert_int_equal(sp_config_int(c, "pipeline.max-parallelism"), -1);
  assert_int_equal(sp_config_int(c, "taskmanager.numberOfTaskSlots"), 1);
  assert_int_equal(sp_config_int(c, "minicluster.number-of-taskmanagers"), 1);
  assert_int_equal(sp_config_int(c, "taskmanager.network.memory.buffers-per-channel"), 2);
  assert_int_equal(sp_config_int(c, "taskmanager.network.memory.floating-buffers-per-gate"), 8);
  assert_int_equal(sp_config_int(c, "rest.port"), 8081);
  assert_int_equal(sp_config_int(c, "jobmanager.rpc.port"), 6123);
  assert_true(sp_config_bool(c, "pipeline.operator-chaining.enabled"));
  assert_true(sp_config_bool(c, "execution.buffer-timeout.enabled"));
  assert_int_equal(sp_config_duration_ms(c, "execution.buffer-timeout.interval"), 100);
  assert_int_equal(sp_config_duration_ms(c, "slot.request.timeout"), 300000);
  assert_int_equal(sp_config_duration_ms(c, "heartbeat.interval"), 10000);
  assert_int_equal(sp_config_duration_ms(c, "heartbeat.timeout"), 50000);
  assert_int_equal(sp_config_bytes(c, "taskmanager.memory.segment-size"), 32 * 1024);
  assert_string_equal(sp_config_str(c, "rest.address"), "localhost");
  assert_string_equal(sp_config_str(c, "rest.bind-address"), "localhost");
  assert_string_equal(sp_config_str(c, "jobmanager.rpc.address"), "localhost");
  assert_null(sp_config_str(c, "log.file"));
  assert_string_equal(sp_config_str(c, "execution.runtime-mode"), "STREAMING");
  assert_string_equal(sp_config_str(c, "log.level"), "INFO");
  assert_false(sp_config_is_set(c, "parallelism.default"));

  /* Checkpointing: Flink 1.19/1.20 defaults; no interval means checkpointing is off. */
  assert_false(sp_config_is_set(c, "execution.checkpointing.interval"));
  assert_int_equal(sp_config_duration_ms(c, "execution.checkpointing.timeout"), 600000);
  assert_int_equal(sp_config_duration_ms(c, "execution.checkpointing.min-pause"), 0);
  assert_int_equal(sp_config_int(c, "execution.checkpointing.max-concurrent-checkpoints"), 1);
  assert_int_equal(sp_config_int(c, "execution.checkpointing.tolerable-failed-checkpoints"), 0);
  assert_string_equal(sp_config_str(c, "execution.checkpointing.mode"), "EXACTLY_ONCE");
  assert_false(sp_config_bool(c, "execution.checkpointing.unaligned.enabled"));
  assert_int_equal(sp_config_duration_ms(c, "execution.checkpointing.aligned-checkpoint-timeout"),
                   0);
  assert_string_equal(sp_config_str(c, "execution.checkpointing.externalized-checkpoint-retention"),
                      "NO_EXTERNALIZED_CHECKPOINTS");
  assert_null(sp_config_str(c, "state.checkpoints.dir"));
  assert_null(sp_config_str(c, "state.savepoints.dir"));
  assert_int_equal(sp_config_int(c, "state.checkpoints.num-retained"), 1);
  assert_null(sp_config_str(c, "execution.savepoint.path"));
  assert_false(sp_config_bool(c, "execution.savepoint.ignore-unclaimed-state"));

  /* Restart strategies: no type (the default depends on checkpointing, see restart_strategy.h). */
  assert_null(sp_config_str(c, "restart-strategy.type"));
  assert_int_equal(sp_config_int(c, "restart-strategy.fixed-delay.attempts"), 1);
  assert_int_equal(sp_config_duration_ms(c, "restart-strategy.fixed-delay.delay"), 1000);
  assert_int_equal(sp_config_int(c, "restart-strategy.failure-rate.max-failures-per-interval"), 1);
  assert_int_equal(sp_config_duration_ms(c, "restart-strategy.failure-rate.failure-rate-interval"),
                   60000);
  assert_int_equal(sp_config_duration_ms(c, "restart-strategy.failure-rate.delay"), 1000);
  assert_int_equal(sp_config_duration_ms(c, "restart-strategy.exponential-delay.initial-backoff"),
                   1000);
  assert_int_equal(sp_config_duration_ms(c, "restart-strategy.exponential-delay.max-backoff"),
                   60000);
  assert_true(sp_config_double(c, "restart-strategy.exponential-delay.backoff-multiplier") == 1.5);
  assert_int_equal(
      sp_config_duration_ms(c, "restart-strategy.exponential-delay.reset-backoff-threshold"),
      3600000);
  assert_true(sp_config_double(c, "restart-strategy.exponential-delay.jitter-factor") == 0.1);
  assert_int_equal(
      sp_config_int(c, "restart-strategy.exponential-delay.attempts-before-reset-backoff"),
      INT32_MAX);
}

static void test_flat_yaml(void **state) {
  fixture *f = *state;
  const char *path = write_file(f, "flat.yaml",
                                "# comment\n"
                                "parallelism.default: 4\n"
                                "taskmanager.numberOfTaskSlots: 2\n"
                                "rest.address: \"example.org\"\n"
                                "heartbeat.timeout: 2 min\n"
                                "taskmanager.memory.segment-size: 64kb\n"
                                "pipeline.operator-chaining.enabled: false\n"
                                "execution.runtime-mode: batch\n"
                                "log.level: warn\n"
                                "log.file: '/tmp/x.log'\n");
  assert_int_equal(sp_config_load_file(f->c, path, f->err, sizeof f->err), 0);
  assert_int_equal(sp_config_int(f->c, "parallelism.default"), 4);
  assert_int_equal(sp_config_int(f->c, "taskmanager.numberOfTaskSlots"), 2);
  assert_string_equal(sp_config_str(f->c, "rest.address"), "example.org");
  assert_int_equal(sp_config_duration_ms(f->c, "heartbeat.timeout"), 120000);
  assert_int_equal(sp_config_bytes(f->c, "taskmanager.memory.segment-size"), 65536);
  assert_false(sp_config_bool(f->c, "pipeline.operator-chaining.enabled"));
  assert_string_equal(sp_config_str(f->c, "execution.runtime-mode"), "BATCH");
  assert_string_equal(sp_config_str(f->c, "log.level"), "WARN");
  assert_string_equal(sp_config_str(f->c, "log.file"), "/tmp/x.log");
  assert_true(sp_config_is_set(f->c, "parallelism.default"));
  assert_false(sp_config_is_set(f->c, "rest.port"));
}

static void test_nested_yaml(void **state) {
  fixture *f = *state;
  const char *path = write_file(f, "nested.yaml",
                                "taskmanager:\n"
                                "  numberOfTaskSlots: 3\n"
                                "  memory.segment-size: 1 mb\n"
                                "  network:\n"
                                "    memory:\n"
                                "      buffers-per-channel: 5\n"
                                "jobmanager:\n"
                                "  rpc: {address: jm.local, port: 7000}\n"
                                "parallelism.default: 6\n");
  assert_int_equal(sp_config_load_file(f->c, path, f->err, sizeof f->err), 0);
  assert_int_equal(sp_config_int(f->c, "taskmanager.numberOfTaskSlots"), 3);
  assert_int_equal(sp_config_bytes(f->c, "taskmanager.memory.segment-size"), 1024 * 1024);
  assert_int_equal(sp_config_int(f->c, "taskmanager.network.memory.buffers-per-channel"), 5);
  assert_string_equal(sp_config_str(f->c, "jobmanager.rpc.address"), "jm.local");
  assert_int_equal(sp_config_int(f->c, "jobmanager.rpc.port"), 7000);
  assert_int_equal(sp_config_int(f->c, "parallelism.default"), 6);
}

typedef struct collected {
  int n;
  char keys[32][80];
  char values[32][80];
} collected;

static void collect(void *arg, const char *key, const char *value) {
  collected *k = arg;
  assert_true(k->n < 32);
  snprintf(k->keys[k->n], sizeof k->keys[0], "%s", key);
  snprintf(k->values[k->n], sizeof k->values[0], "%s", value);
  k->n++;
}

static void test_aliases(void **state) {
  fixture *f = *state;
  const char *path = write_file(f, "alias.yaml",
                                "local.number-taskmanager: 3\n"
                                "pipeline.operator-chaining: false\n"
                                "execution:\n"
                                "  buffer-timeout: 5 ms\n");
  assert_int_equal(sp_config_load_file(f->c, path, f->err, sizeof f->err), 0);
  assert_int_equal(sp_config_int(f->c, "minicluster.number-of-taskmanagers"), 3);
  assert_false(sp_config_bool(f->c, "pipeline.operator-chaining.enabled"));
  assert_int_equal(sp_config_duration_ms(f->c, "execution.buffer-timeout.interval"), 5);
  /* The new name and the deprecated one are the same key: the later set wins. */
  assert_int_equal(
      sp_config_set(f->c, "minicluster.number-of-taskmanagers", "4", "code", f->err, sizeof f->err),
      0);
  assert_int_equal(sp_config_int(f->c, "minicluster.number-of-taskmanagers"), 4);
  collected k = {0};
  sp_config_each(f->c, collect, &k);
  assert_int_equal(k.n, 3);
  assert_string_equal(k.keys[0], "minicluster.number-of-taskmanagers");
  assert_string_equal(k.values[0], "4");
  assert_string_equal(k.keys[1], "pipeline.operator-chaining.enabled");
  assert_string_equal(k.keys[2], "execution.buffer-timeout.interval");
}

/* Sets key=value in code and expects success. */
static void set_ok(fixture *f, const char *key, const char *value) {
  f->err[0] = '\0';
  int rc = sp_config_set(f->c, key, value, "code", f->err, sizeof f->err);
  if (rc != 0) fail_msg("%s=%s rejected: %s", key, value, f->err);
}

static void set_bad(fixture *f, const char *key, const char *value) {
  f->err[0] = '\0';
  assert_int_equal(sp_config_set(f->c, key, value, "code", f->err, sizeof f->err), SPATE_EINVAL);
  assert_non_null(strstr(f->err, "invalid value"));
}

static void test_int_values(void **state) {
  fixture *f = *state;
  set_ok(f, "parallelism.default", " 7 ");
  assert_int_equal(sp_config_int(f->c, "parallelism.default"), 7);
  set_ok(f, "parallelism.default", "+3");
  assert_int_equal(sp_config_int(f->c, "parallelism.default"), 3);
  set_ok(f, "pipeline.max-parallelism", "-1");
  assert_int_equal(sp_config_int(f->c, "pipeline.max-parallelism"), -1);
  set_ok(f, "pipeline.max-parallelism", "32768");
  assert_int_equal(sp_config_int(f->c, "pipeline.max-parallelism"), 32768);
  set_ok(f, "taskmanager.network.memory.floating-buffers-per-gate", "0");
  assert_int_equal(sp_config_int(f->c, "taskmanager.network.memory.floating-buffers-per-gate"), 0);
  set_ok(f, "rest.port", "0");
  assert_int_equal(sp_config_int(f->c, "rest.port"), 0);

  const char *bad[] = {"abc",       "", "1.5", "0x10", "1e3", "- 1", "3 4", "99999999999999999999",
                       "2147483648"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) set_bad(f, "parallelism.default", bad[i]);
  set_bad(f, "parallelism.default", "0");
  assert_string_equal(f->err,
                      "code: invalid value '0' for parallelism.default "
                      "(expected an integer >= 1)");
  set_bad(f, "pipeline.max-parallelism", "0");
  assert_string_equal(f->err,
                      "code: invalid value '0' for pipeline.max-parallelism "
                      "(expected -1 or an integer between 1 and 32768)");
  set_bad(f, "pipeline.max-parallelism", "32769");
  set_bad(f, "pipeline.max-parallelism", "-2");
  set_bad(f, "taskmanager.network.memory.buffers-per-channel", "0");
  set_bad(f, "taskmanager.network.memory.floating-buffers-per-gate", "-1");
  set_bad(f, "rest.port", "65536");
  set_bad(f, "jobmanager.rpc.port", "-1");
  /* Failed sets leave the previous value. */
  assert_int_equal(sp_config_int(f->c, "pipeline.max-parallelism"), 32768);
  assert_int_equal(sp_config_int(f->c, "parallelism.default"), 3);
}

static void test_bool_values(void **state) {
  fixture *f = *state;
  set_ok(f, "execution.buffer-timeout.enabled", "FALSE");
  assert_false(sp_config_bool(f->c, "execution.buffer-timeout.enabled"));
  set_ok(f, "execution.buffer-timeout.enabled", "True");
  assert_true(sp_config_bool(f->c, "execution.buffer-timeout.enabled"));
  set_bad(f, "execution.buffer-timeout.enabled", "yes");
  assert_string_equal(f->err,
                      "code: invalid value 'yes' for execution.buffer-timeout.enabled "
                      "(expected true or false)");
  set_bad(f, "execution.buffer-timeout.enabled", "1");
  set_bad(f, "execution.buffer-timeout.enabled", "");
}

static void test_duration_values(void **state) {
  fixture *f = *state;
  static const struct {
    const char *text;
    int64_t ms;
  } ok[] = {
      {"250", 250},
      {"0", 0},
      {"7ms", 7},
      {"7 ms", 7},
      {"7 milli", 7},
      {"7 millis", 7},
      {"7 millisecond", 7},
      {"7 milliseconds", 7},
      {"3 s", 3000},
      {"3s", 3000},
      {"3 sec", 3000},
      {"3 secs", 3000},
      {"3 second", 3000},
      {"3 seconds", 3000},
      {"2 min", 120000},
      {"2m", 120000},
      {"2 minute", 120000},
      {"2 minutes", 120000},
      {"1 h", 3600000},
      {"1 hour", 3600000},
      {"2 hours", 7200000},
      {"1 d", 86400000},
      {"1 day", 86400000},
      {"2 days", 172800000},
      {"5000 us", 5},
      {"5000 \xc2\xb5s", 5},
      {"5000 micro", 5},
      {"5000 micros", 5},
      {"5000 microsecond", 5},
      {"5000 microseconds", 5},
      {"999 us", 0},
      {"3000000 ns", 3},
      {"3000000 nano", 3},
      {"3000000 nanos", 3},
      {"3000000 nanosecond", 3},
      {"3000000 nanoseconds", 3},
      {"  10 S  ", 10000},
      {"1 MIN", 60000},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    set_ok(f, "execution.buffer-timeout.interval", ok[i].text);
    if (sp_config_duration_ms(f->c, "execution.buffer-timeout.interval") != ok[i].ms)
      fail_msg("'%s' parsed as %lld ms, want %lld", ok[i].text,
               (long long)sp_config_duration_ms(f->c, "execution.buffer-timeout.interval"),
               (long long)ok[i].ms);
  }
  const char *bad[] = {"",
                       "ms",
                       "abc",
                       "1.5 s",
                       "-1 s",
                       "10 parsecs",
                       "10 s s",
                       "1 mins",
                       "18446744073709551616",
                       "9223372036854775807 d",
                       "106751991167301 d"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    set_bad(f, "execution.buffer-timeout.interval", bad[i]);
  /* The largest value that fits passes; one day more would overflow. */
  set_ok(f, "execution.buffer-timeout.interval", "106751991167 d");
  assert_int_equal(sp_config_duration_ms(f->c, "execution.buffer-timeout.interval"),
                   INT64_C(106751991167) * 86400000);
  /* Timeouts must be positive. */
  set_bad(f, "heartbeat.timeout", "0");
  assert_string_equal(f->err,
                      "code: invalid value '0' for heartbeat.timeout (expected a duration "
                      "of at least 1 ms such as '100 ms', '10 s' or '5 min')");
  set_bad(f, "slot.request.timeout", "500 us");
}

static void test_memory_values(void **state) {
  fixture *f = *state;
  static const struct {
    const char *text;
    int64_t bytes;
  } ok[] = {
      {"4096", 4096},           {"1024 b", 1024},         {"2048bytes", 2048},   {"4k", 4096},
      {"4 kb", 4096},           {"4 KB", 4096},           {"4 kibibytes", 4096}, {"2m", 2 << 20},
      {"2 MB", 2 << 20},        {"2 mebibytes", 2 << 20}, {"1g", 1 << 30},       {"1 Gb", 1 << 30},
      {"1 gibibytes", 1 << 30}, {"1048576 kb", 1 << 30},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    set_ok(f, "taskmanager.memory.segment-size", ok[i].text);
    if (sp_config_bytes(f->c, "taskmanager.memory.segment-size") != ok[i].bytes)
      fail_msg("'%s' parsed as %lld bytes, want %lld", ok[i].text,
               (long long)sp_config_bytes(f->c, "taskmanager.memory.segment-size"),
               (long long)ok[i].bytes);
  }
  const char *bad[] = {"",
                       "kb",
                       "1.5 kb",
                       "-4 kb",
                       "4 kilobytes",
                       "4 kbb",
                       "1023",
                       "2 gb",
                       "1 t",
                       "1 tb",
                       "1 tebibytes",
                       "9223372036854775807 kb",
                       "99999999999999999999999 b"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    set_bad(f, "taskmanager.memory.segment-size", bad[i]);
  set_bad(f, "taskmanager.memory.segment-size", "512");
  assert_string_equal(f->err,
                      "code: invalid value '512' for taskmanager.memory.segment-size "
                      "(expected a memory size between 1 kb and 1 gb such as '32 kb' "
                      "or '4 mb')");
}

static void test_string_enum_level_values(void **state) {
  fixture *f = *state;
  set_ok(f, "execution.runtime-mode", "automatic");
  assert_string_equal(sp_config_str(f->c, "execution.runtime-mode"), "AUTOMATIC");
  set_ok(f, "execution.runtime-mode", " Batch ");
  assert_string_equal(sp_config_str(f->c, "execution.runtime-mode"), "BATCH");
  set_bad(f, "execution.runtime-mode", "STREAM");
  assert_string_equal(f->err,
                      "code: invalid value 'STREAM' for execution.runtime-mode "
                      "(expected one of STREAMING, BATCH, AUTOMATIC)");
  set_ok(f, "log.level", "debug");
  assert_string_equal(sp_config_str(f->c, "log.level"), "DEBUG");
  set_ok(f, "log.level", "Warning");
  assert_string_equal(sp_config_str(f->c, "log.level"), "WARN");
  set_ok(f, "log.level", "off");
  assert_string_equal(sp_config_str(f->c, "log.level"), "OFF");
  set_bad(f, "log.level", "LOUD");
  assert_string_equal(f->err,
                      "code: invalid value 'LOUD' for log.level "
                      "(expected one of DEBUG, INFO, WARN, ERROR, OFF)");
  set_ok(f, "rest.address", " spaced host ");
  assert_string_equal(sp_config_str(f->c, "rest.address"), " spaced host ");
  set_bad(f, "rest.address", "");
  assert_string_equal(sp_config_str(f->c, "rest.address"), " spaced host ");
}

static void test_double_values(void **state) {
  fixture *f = *state;
  const char *mult = "restart-strategy.exponential-delay.backoff-multiplier";
  const char *jitter = "restart-strategy.exponential-delay.jitter-factor";
  static const struct {
    const char *text;
    double v;
  } ok[] = {
      {"1.5", 1.5},   {" 2 ", 2.0},           {"2.0", 2.0}, {"+3.25", 3.25}, {"1e1", 10.0},
      {"1E+1", 10.0}, {"1.000001", 1.000001}, {"5.", 5.0},  {"25e-1", 2.5},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    set_ok(f, mult, ok[i].text);
    if (sp_config_double(f->c, mult) != ok[i].v)
      fail_msg("'%s' parsed as %g, want %g", ok[i].text, sp_config_double(f->c, mult), ok[i].v);
  }
  set_ok(f, jitter, "0");
  assert_true(sp_config_double(f->c, jitter) == 0.0);
  set_ok(f, jitter, "1");
  assert_true(sp_config_double(f->c, jitter) == 1.0);
  set_ok(f, jitter, ".25");
  assert_true(sp_config_double(f->c, jitter) == 0.25);

  const char *bad[] = {"",    "abc", "nan", "NaN", "inf",   "Infinity", "0x10", "1.5.2", "1e",
                       "1e+", ".",   "+",   "1,5", "1.5 x", "1e999",    "- 2",  "1.5d"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) set_bad(f, mult, bad[i]);
  /* The multiplier must be greater than 1 (Flink rejects 1 and below). */
  set_bad(f, mult, "1");
  assert_string_equal(f->err,
                      "code: invalid value '1' for "
                      "restart-strategy.exponential-delay.backoff-multiplier "
                      "(expected a number greater than 1)");
  set_bad(f, mult, "0.5");
  set_bad(f, mult, "-2");
  set_bad(f, jitter, "1.01");
  assert_string_equal(f->err,
                      "code: invalid value '1.01' for "
                      "restart-strategy.exponential-delay.jitter-factor "
                      "(expected a number between 0 and 1)");
  set_bad(f, jitter, "-0.1");
  /* Failed sets keep the previous value; the text given is what sp_config_each reports. */
  assert_true(sp_config_double(f->c, mult) == 2.5);
  assert_true(sp_config_double(f->c, jitter) == 0.25);
  collected k = {0};
  sp_config_each(f->c, collect, &k);
  assert_int_equal(k.n, 2);
  assert_string_equal(k.values[0], "25e-1");
  assert_string_equal(k.values[1], ".25");

  assert_int_equal(sp_config_set_kv(f->c, "restart-strategy.exponential-delay.jitter-factor=2",
                                    f->err, sizeof f->err),
                   SPATE_EINVAL);
  assert_string_equal(f->err,
                      "-D restart-strategy.exponential-delay.jitter-factor=2: invalid "
                      "value '2' for restart-strategy.exponential-delay.jitter-factor "
                      "(expected a number between 0 and 1)");
  expect_load_error(f,
                    "restart-strategy:\n"
                    "  type: exponential-delay\n"
                    "  exponential-delay:\n"
                    "    backoff-multiplier: two\n",
                    "4: invalid value 'two' for "
                    "restart-strategy.exponential-delay.backoff-multiplier "
                    "(expected a number greater than 1)");
}

static void test_checkpointing_values(void **state) {
  fixture *f = *state;
  set_ok(f, "execution.checkpointing.interval", "30 s");
  assert_true(sp_config_is_set(f->c, "execution.checkpointing.interval"));
  assert_int_equal(sp_config_duration_ms(f->c, "execution.checkpointing.interval"), 30000);
  set_ok(f, "execution.checkpointing.interval", "10");
  assert_int_equal(sp_config_duration_ms(f->c, "execution.checkpointing.interval"), 10);
  /* Flink's CheckpointConfig rejects intervals and timeouts under 10 ms. */
  set_bad(f, "execution.checkpointing.interval", "9 ms");
  assert_string_equal(f->err,
                      "code: invalid value '9 ms' for execution.checkpointing.interval "
                      "(expected a duration of at least 10 ms such as '100 ms', '10 s' "
                      "or '5 min')");
  set_bad(f, "execution.checkpointing.interval", "0");
  set_bad(f, "execution.checkpointing.interval", "-1");
  set_bad(f, "execution.checkpointing.timeout", "0");
  set_ok(f, "execution.checkpointing.timeout", "1 min");
  assert_int_equal(sp_config_duration_ms(f->c, "execution.checkpointing.timeout"), 60000);
  set_ok(f, "execution.checkpointing.min-pause", "500 ms");
  assert_int_equal(sp_config_duration_ms(f->c, "execution.checkpointing.min-pause"), 500);
  set_bad(f, "execution.checkpointing.max-concurrent-checkpoints", "0");
  assert_string_equal(f->err,
                      "code: invalid value '0' for "
                      "execution.checkpointing.max-concurrent-checkpoints "
                      "(expected an integer >= 1)");
  set_ok(f, "execution.checkpointing.tolerable-failed-checkpoints", "3");
  assert_int_equal(sp_config_int(f->c, "execution.checkpointing.tolerable-failed-checkpoints"), 3);
  set_bad(f, "execution.checkpointing.tolerable-failed-checkpoints", "-1");
  set_bad(f, "state.checkpoints.num-retained", "0");

  set_ok(f, "execution.checkpointing.mode", "at_least_once");
  assert_string_equal(sp_config_str(f->c, "execution.checkpointing.mode"), "AT_LEAST_ONCE");
  set_bad(f, "execution.checkpointing.mode", "EXACTLY");
  assert_string_equal(f->err,
                      "code: invalid value 'EXACTLY' for execution.checkpointing.mode "
                      "(expected one of EXACTLY_ONCE, AT_LEAST_ONCE)");
  set_ok(f, "execution.checkpointing.externalized-checkpoint-retention", "retain_on_cancellation");
  assert_string_equal(
      sp_config_str(f->c, "execution.checkpointing.externalized-checkpoint-retention"),
      "RETAIN_ON_CANCELLATION");
  set_bad(f, "execution.checkpointing.externalized-checkpoint-retention", "RETAIN");
  assert_string_equal(f->err,
                      "code: invalid value 'RETAIN' for "
                      "execution.checkpointing.externalized-checkpoint-retention "
                      "(expected one of NO_EXTERNALIZED_CHECKPOINTS, "
                      "DELETE_ON_CANCELLATION, RETAIN_ON_CANCELLATION)");
  set_ok(f, "state.checkpoints.dir", "file:///tmp/ckpt");
  assert_string_equal(sp_config_str(f->c, "state.checkpoints.dir"), "file:///tmp/ckpt");
  set_bad(f, "state.savepoints.dir", "");
  set_ok(f, "execution.savepoint.path", "/tmp/sp/savepoint-1");
  assert_string_equal(sp_config_str(f->c, "execution.savepoint.path"), "/tmp/sp/savepoint-1");
  set_ok(f, "execution.savepoint.ignore-unclaimed-state", "TRUE");
  assert_true(sp_config_bool(f->c, "execution.savepoint.ignore-unclaimed-state"));
}

static void test_restart_values(void **state) {
  fixture *f = *state;
  /* Every spelling Flink's RestartStrategyType accepts, in any case, reads back canonical. */
  static const struct {
    const char *text, *canonical;
  } ok[] = {
      {"none", "none"},
      {"OFF", "none"},
      {"Disable", "none"},
      {"fixed-delay", "fixed-delay"},
      {"FixedDelay", "fixed-delay"},
      {"failure-rate", "failure-rate"},
      {"FAILURERATE", "failure-rate"},
      {"exponential-delay", "exponential-delay"},
      {" exponentialdelay ", "exponential-delay"},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    set_ok(f, "restart-strategy.type", ok[i].text);
    assert_string_equal(sp_config_str(f->c, "restart-strategy.type"), ok[i].canonical);
  }
  set_bad(f, "restart-strategy.type", "fixed");
  assert_string_equal(f->err,
                      "code: invalid value 'fixed' for restart-strategy.type (expected "
                      "one of none, off, disable, fixed-delay, fixeddelay, failure-rate, "
                      "failurerate, exponential-delay, exponentialdelay)");
  set_bad(f, "restart-strategy.type", "off|disable");
  set_bad(f, "restart-strategy.type", "dis");
  set_bad(f, "restart-strategy.type", "");
  assert_string_equal(sp_config_str(f->c, "restart-strategy.type"), "exponential-delay");

  set_ok(f, "restart-strategy.fixed-delay.attempts", "0");
  assert_int_equal(sp_config_int(f->c, "restart-strategy.fixed-delay.attempts"), 0);
  set_bad(f, "restart-strategy.fixed-delay.attempts", "-1");
  set_ok(f, "restart-strategy.fixed-delay.delay", "0");
  set_bad(f, "restart-strategy.failure-rate.max-failures-per-interval", "0");
  set_bad(f, "restart-strategy.failure-rate.failure-rate-interval", "0 ms");
  set_bad(f, "restart-strategy.exponential-delay.initial-backoff", "0");
  set_bad(f, "restart-strategy.exponential-delay.max-backoff", "0");
  set_bad(f, "restart-strategy.exponential-delay.reset-backoff-threshold", "0");
  set_bad(f, "restart-strategy.exponential-delay.attempts-before-reset-backoff", "0");
  set_bad(f, "restart-strategy.exponential-delay.attempts-before-reset-backoff", "2147483648");
  set_ok(f, "restart-strategy.exponential-delay.attempts-before-reset-backoff", "2147483647");
}

/* Reads the log file at path into buf. */
static void read_log(const char *path, char *buf, size_t cap) {
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  size_t n = fread(buf, 1, cap - 1, fp);
  fclose(fp);
  buf[n] = '\0';
}

/* Flink's deprecated names are accepted with a warning; the names Flink 1.20 gave to some state.*
 * keys are accepted silently; either way the key is stored (and reported) under its table name. */
static void test_checkpoint_aliases(void **state) {
  fixture *f = *state;
  char logpath[128];
  snprintf(logpath, sizeof logpath, "%s/alias.log", f->dir);
  assert_true(f->nfiles < MAX_FILES);
  snprintf(f->files[f->nfiles++], 128, "%s", logpath);
  const char *path = write_file(f, "ckpt_alias.yaml",
                                "execution.checkpointing.unaligned: true\n"
                                "execution.checkpointing.alignment-timeout: 5 s\n"
                                "execution.checkpointing:\n"
                                "  dir: file:///tmp/ck\n"
                                "  savepoint-dir: file:///tmp/sp\n"
                                "  num-retained: 3\n"
                                "restart-strategy: FixedDelay\n");
  sp_log_level old = sp_log_get_level();
  sp_log_set_level(SP_LOG_INFO);
  assert_int_equal(sp_log_set_file(logpath), 0);
  int rc = sp_config_load_file(f->c, path, f->err, sizeof f->err);
  sp_log_set_file(NULL);
  sp_log_set_level(old);
  if (rc != 0) fail_msg("%s", f->err);

  assert_true(sp_config_bool(f->c, "execution.checkpointing.unaligned.enabled"));
  assert_int_equal(
      sp_config_duration_ms(f->c, "execution.checkpointing.aligned-checkpoint-timeout"), 5000);
  assert_string_equal(sp_config_str(f->c, "state.checkpoints.dir"), "file:///tmp/ck");
  assert_string_equal(sp_config_str(f->c, "state.savepoints.dir"), "file:///tmp/sp");
  assert_int_equal(sp_config_int(f->c, "state.checkpoints.num-retained"), 3);
  assert_string_equal(sp_config_str(f->c, "restart-strategy.type"), "fixed-delay");
  /* Getters accept either name too. */
  assert_string_equal(sp_config_str(f->c, "execution.checkpointing.dir"), "file:///tmp/ck");
  assert_int_equal(sp_config_int(f->c, "execution.checkpointing.num-retained"), 3);

  collected k = {0};
  sp_config_each(f->c, collect, &k);
  assert_int_equal(k.n, 6);
  assert_string_equal(k.keys[0], "execution.checkpointing.unaligned.enabled");
  assert_string_equal(k.keys[1], "execution.checkpointing.aligned-checkpoint-timeout");
  assert_string_equal(k.keys[2], "state.checkpoints.dir");
  assert_string_equal(k.keys[3], "state.savepoints.dir");
  assert_string_equal(k.keys[4], "state.checkpoints.num-retained");
  assert_string_equal(k.keys[5], "restart-strategy.type");
  assert_string_equal(k.values[5], "FixedDelay");

  char buf[4096];
  read_log(logpath, buf, sizeof buf);
  char want[256];
  static const struct {
    int line;
    const char *old, *cur;
  } deprecated[] = {
      {1, "execution.checkpointing.unaligned", "execution.checkpointing.unaligned.enabled"},
      {2, "execution.checkpointing.alignment-timeout",
       "execution.checkpointing.aligned-checkpoint-timeout"},
      {7, "restart-strategy", "restart-strategy.type"}};
  for (size_t i = 0; i < sizeof deprecated / sizeof deprecated[0]; i++) {
    snprintf(want, sizeof want, "%s:%d: configuration key '%s' is deprecated, use '%s'", path,
             deprecated[i].line, deprecated[i].old, deprecated[i].cur);
    if (!strstr(buf, want)) fail_msg("log lacks \"%s\":\n%s", want, buf);
  }
  if (strstr(buf, "execution.checkpointing.dir") || strstr(buf, "savepoint-dir") ||
      strstr(buf, "num-retained"))
    fail_msg("Flink 1.20 names were warned about:\n%s", buf);

  /* The two names are one key: the later set wins. */
  set_ok(f, "state.checkpoints.dir", "file:///tmp/other");
  assert_string_equal(sp_config_str(f->c, "execution.checkpointing.dir"), "file:///tmp/other");
  set_ok(f, "execution.checkpointing.unaligned", "false");
  assert_false(sp_config_bool(f->c, "execution.checkpointing.unaligned.enabled"));
}

static void test_error_lines(void **state) {
  fixture *f = *state;
  expect_load_error(f,
                    "# header\n"
                    "\n"
                    "parallelism.default: abc\n",
                    "3: invalid value 'abc' for parallelism.default "
                    "(expected an integer >= 1)");
  expect_load_error(f,
                    "parallelism.default: 2\n"
                    "rest.port: 8081\n"
                    "\n"
                    "# more\n"
                    "heartbeat.interval: 1 s\n"
                    "\n"
                    "foo.bar: 1\n",
                    "7: unknown configuration key 'foo.bar'");
  /* Nested: the dotted key is reported at the line of its last part. */
  expect_load_error(f,
                    "taskmanager:\n"
                    "  numberOfTaskSlots: 2\n"
                    "  nosuch:\n"
                    "    key: 1\n",
                    "4: unknown configuration key 'taskmanager.nosuch.key'");
  /* A value on the line after its key is reported at the value's line. */
  expect_load_error(f,
                    "rest.port:\n"
                    "  99999\n",
                    "2: invalid value '99999' for rest.port "
                    "(expected an integer between 0 and 65535)");
  expect_load_error(f, "log.file:\n",
                    "1: invalid value '' for log.file (expected a non-empty string)");
}

static void test_structure_errors(void **state) {
  fixture *f = *state;
  expect_load_error(f, "parallelism.default: 1\nrest.address: [a, b]\n",
                    "2: value of 'rest.address' must be a plain value, not a list");
  expect_load_error(f, "rest.address:\n  - a\n  - b\n",
                    "2: value of 'rest.address' must be a plain value, not a list");
  expect_load_error(f, "rest.address: &h localhost\nrest.bind-address: *h\n",
                    "1: value of 'rest.address' must be a plain value, not an anchored node");
  expect_load_error(f, "rest:\n  address: x\nother: &a\n  port: 1\n",
                    "3: value of 'other' must be a plain value, not an anchored node");
  expect_load_error(f, "? [a, b]\n: 1\n", "1: a configuration key must be plain text, not a list");
  expect_load_error(f, "- a\n- b\n", "1: the top level must be a mapping of keys to values");
  expect_load_error(f, "just text\n", "1: the top level must be a mapping of keys to values");
  expect_load_error(f, "rest.port: 1\n---\nrest.port: 2\n",
                    "2: only one YAML document is supported");
  expect_load_error(f, "'': 1\n", "1: empty configuration key");
  /* Nothing from a rejected file is applied. */
  assert_false(sp_config_is_set(f->c, "rest.port"));
  assert_false(sp_config_is_set(f->c, "parallelism.default"));
}

static void test_malformed_yaml(void **state) {
  fixture *f = *state;
  expect_load_error(f, "rest.port: 1\nrest.address: \"unterminated\n",
                    "3:1: found unexpected end of stream while scanning a quoted scalar (line 2)");
  expect_load_error(f, "rest.address: b: c\n",
                    "1:16: mapping values are not allowed in this context");
  expect_load_error(f, "rest:\n  port: 1\n address: x\n",
                    "3:2: did not find expected key while parsing a block mapping (line 1)");
  /* Invalid UTF-8 is caught by libyaml's reader, which knows the offset but not the line. */
  const char *path = write_file(f, "utf8.yaml", "rest.address: \xff\xfe\n");
  assert_int_equal(sp_config_load_file(f->c, path, f->err, sizeof f->err), SPATE_EINVAL);
  assert_true(strncmp(f->err, path, strlen(path)) == 0);
  assert_non_null(strstr(f->err, "byte offset"));
}

static void test_empty_files(void **state) {
  fixture *f = *state;
  const char *texts[] = {"", "# only a comment\n\n", "---\n", "---\n...\n", "{}\n"};
  char name[32];
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    snprintf(name, sizeof name, "empty%zu.yaml", i);
    const char *path = write_file(f, name, texts[i]);
    f->err[0] = '\0';
    if (sp_config_load_file(f->c, path, f->err, sizeof f->err) != 0)
      fail_msg("'%s' rejected: %s", texts[i], f->err);
  }
  collected k = {0};
  sp_config_each(f->c, collect, &k);
  assert_int_equal(k.n, 0);
}

static void test_missing_file(void **state) {
  fixture *f = *state;
  char path[128];
  snprintf(path, sizeof path, "%s/does-not-exist.yaml", f->dir);
  assert_int_equal(sp_config_load_file(f->c, path, f->err, sizeof f->err), SPATE_ENOENT);
  assert_non_null(strstr(f->err, "does-not-exist.yaml"));
}

static void test_override_and_order(void **state) {
  fixture *f = *state;
  const char *path = write_file(f, "dup.yaml",
                                "rest.port: 1000\n"
                                "parallelism.default: 2\n"
                                "rest:\n"
                                "  port: 2000\n");
  assert_int_equal(sp_config_load_file(f->c, path, f->err, sizeof f->err), 0);
  assert_int_equal(sp_config_int(f->c, "rest.port"), 2000);
  assert_int_equal(sp_config_set_kv(f->c, "rest.port=3000", f->err, sizeof f->err), 0);
  assert_int_equal(sp_config_set_kv(f->c, "heartbeat.interval=1 s", f->err, sizeof f->err), 0);
  assert_int_equal(sp_config_int(f->c, "rest.port"), 3000);
  collected k = {0};
  sp_config_each(f->c, collect, &k);
  assert_int_equal(k.n, 3);
  assert_string_equal(k.keys[0], "rest.port");
  assert_string_equal(k.values[0], "3000");
  assert_string_equal(k.keys[1], "parallelism.default");
  assert_string_equal(k.values[1], "2");
  assert_string_equal(k.keys[2], "heartbeat.interval");
  assert_string_equal(k.values[2], "1 s");
}

static void test_dash_d(void **state) {
  fixture *f = *state;
  assert_int_equal(sp_config_set_kv(f->c, "parallelism.default=5", f->err, sizeof f->err), 0);
  assert_int_equal(sp_config_int(f->c, "parallelism.default"), 5);
  assert_int_equal(sp_config_set_kv(f->c, " rest.address =a=b", f->err, sizeof f->err), 0);
  assert_string_equal(sp_config_str(f->c, "rest.address"), "a=b");

  assert_int_equal(sp_config_set_kv(f->c, "parallelism.default=0", f->err, sizeof f->err),
                   SPATE_EINVAL);
  assert_string_equal(f->err,
                      "-D parallelism.default=0: invalid value '0' for "
                      "parallelism.default (expected an integer >= 1)");
  assert_int_equal(sp_config_set_kv(f->c, "foo.bar=1", f->err, sizeof f->err), SPATE_EINVAL);
  assert_string_equal(f->err, "-D foo.bar=1: unknown configuration key 'foo.bar'");
  assert_int_equal(sp_config_set_kv(f->c, "parallelism.default", f->err, sizeof f->err),
                   SPATE_EINVAL);
  assert_string_equal(f->err, "-D parallelism.default: expected key=value");
  assert_int_equal(sp_config_set_kv(f->c, "=5", f->err, sizeof f->err), SPATE_EINVAL);
  assert_string_equal(f->err, "-D =5: empty configuration key");
  assert_int_equal(sp_config_set_kv(f->c, "  =5", f->err, sizeof f->err), SPATE_EINVAL);
  assert_int_equal(sp_config_set(f->c, "", "1", "-D", f->err, sizeof f->err), SPATE_EINVAL);
  assert_int_equal(sp_config_int(f->c, "parallelism.default"), 5);
}

static void test_clone_independent(void **state) {
  fixture *f = *state;
  assert_int_equal(sp_config_set_kv(f->c, "parallelism.default=3", f->err, sizeof f->err), 0);
  assert_int_equal(sp_config_set_kv(f->c, "rest.address=a", f->err, sizeof f->err), 0);
  sp_config *k = sp_config_clone(f->c);
  assert_non_null(k);
  assert_int_equal(sp_config_set_kv(k, "parallelism.default=9", f->err, sizeof f->err), 0);
  assert_int_equal(sp_config_set_kv(k, "rest.port=1", f->err, sizeof f->err), 0);
  assert_int_equal(sp_config_set_kv(f->c, "rest.address=b", f->err, sizeof f->err), 0);
  assert_int_equal(sp_config_int(f->c, "parallelism.default"), 3);
  assert_int_equal(sp_config_int(k, "parallelism.default"), 9);
  assert_false(sp_config_is_set(f->c, "rest.port"));
  assert_int_equal(sp_config_int(k, "rest.port"), 1);
  assert_string_equal(sp_config_str(f->c, "rest.address"), "b");
  assert_string_equal(sp_config_str(k, "rest.address"), "a");
  sp_config_free(k);
  sp_config *e = sp_config_new();
  sp_config *ek = sp_config_clone(e);
  assert_non_null(ek);
  assert_false(sp_config_is_set(ek, "rest.port"));
  sp_config_free(ek);
  sp_config_free(e);
}

static void test_ignored_keys_warn(void **state) {
  fixture *f = *state;
  char logpath[128];
  snprintf(logpath, sizeof logpath, "%s/warn.log", f->dir);
  assert_true(f->nfiles < MAX_FILES);
  snprintf(f->files[f->nfiles++], 128, "%s", logpath);
  const char *path = write_file(f, "flink.yaml",
                                "parallelism.default: 2\n"
                                "jobmanager:\n"
                                "  memory:\n"
                                "    process.size: 1600m\n"
                                "taskmanager.memory.process.size: 1728m\n"
                                "env.java.opts.all: -Xmx1g\n"
                                "env.java.opts.jobmanager: -Xmx2g\n");
  sp_log_level old = sp_log_get_level();
  sp_log_set_level(SP_LOG_INFO);
  assert_int_equal(sp_log_set_file(logpath), 0);
  int rc = sp_config_load_file(f->c, path, f->err, sizeof f->err);
  sp_log_set_file(NULL);
  sp_log_set_level(old);
  assert_int_equal(rc, 0);
  assert_int_equal(sp_config_int(f->c, "parallelism.default"), 2);

  char buf[4096] = {0};
  FILE *fp = fopen(logpath, "rb");
  assert_non_null(fp);
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  fclose(fp);
  buf[n] = '\0';
  char want[256];
  static const struct {
    int line;
    const char *key;
  } warned[] = {{4, "jobmanager.memory.process.size"},
                {5, "taskmanager.memory.process.size"},
                {6, "env.java.opts.all"},
                {7, "env.java.opts.jobmanager"}};
  for (size_t i = 0; i < sizeof warned / sizeof warned[0]; i++) {
    snprintf(want, sizeof want, "%s:%d: ignoring configuration key '%s'", path, warned[i].line,
             warned[i].key);
    if (!strstr(buf, want)) fail_msg("log lacks \"%s\":\n%s", want, buf);
  }
  assert_non_null(strstr(buf, "WARN"));
  /* Ignored keys are not stored, so they are not passed on. */
  collected k = {0};
  sp_config_each(f->c, collect, &k);
  assert_int_equal(k.n, 1);
}

static void test_shipped_config(void **state) {
  fixture *f = *state;
  const char *src = getenv("SPATE_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/conf/config.yaml", src && *src ? src : ".");
  f->err[0] = '\0';
  if (sp_config_load_file(f->c, path, f->err, sizeof f->err) != 0) fail_msg("%s: %s", path, f->err);
  /* The shipped file spells out the defaults: every key it sets equals the built-in default. */
  sp_config *defaults = sp_config_new();
  assert_non_null(defaults);
  collected k = {0};
  sp_config_each(f->c, collect, &k);
  assert_true(k.n >= 15);
  /* left unset so that the embedded MiniCluster sizes itself to the job */
  assert_false(sp_config_is_set(f->c, "taskmanager.numberOfTaskSlots"));
  assert_int_equal(sp_config_int(f->c, "parallelism.default"),
                   sp_config_int(defaults, "parallelism.default"));
  assert_int_equal(sp_config_int(f->c, "pipeline.max-parallelism"), -1);
  assert_int_equal(sp_config_int(f->c, "rest.port"), 8081);
  assert_int_equal(sp_config_int(f->c, "jobmanager.rpc.port"), 6123);
  assert_int_equal(sp_config_int(f->c, "taskmanager.network.memory.buffers-per-channel"), 2);
  assert_int_equal(sp_config_int(f->c, "taskmanager.network.memory.floating-buffers-per-gate"), 8);
  assert_int_equal(sp_config_duration_ms(f->c, "execution.buffer-timeout.interval"),
                   sp_config_duration_ms(defaults, "execution.buffer-timeout.interval"));
  assert_int_equal(sp_config_duration_ms(f->c, "slot.request.timeout"),
                   sp_config_duration_ms(defaults, "slot.request.timeout"));
  assert_int_equal(sp_config_duration_ms(f->c, "heartbeat.interval"), 10000);
  assert_int_equal(sp_config_duration_ms(f->c, "heartbeat.timeout"), 50000);
  assert_int_equal(sp_config_bytes(f->c, "taskmanager.memory.segment-size"), 32768);
  assert_true(sp_config_bool(f->c, "pipeline.operator-chaining.enabled"));
  assert_string_equal(sp_config_str(f->c, "execution.runtime-mode"), "STREAMING");
  assert_string_equal(sp_config_str(f->c, "log.level"), "INFO");
  assert_string_equal(sp_config_str(f->c, "rest.bind-address"), "localhost");
  assert_null(sp_config_str(f->c, "log.file"));
  /* the plain text sink does not overwrite unless told to, as Flink's fs.overwrite-files */
  assert_true(sp_config_is_set(f->c, "fs.overwrite-files"));
  assert_false(sp_config_bool(f->c, "fs.overwrite-files"));
  assert_false(sp_config_bool(defaults, "fs.overwrite-files"));
  /* Checkpointing and restart strategies appear only as commented-out examples. */
  assert_false(sp_config_is_set(f->c, "execution.checkpointing.interval"));
  assert_null(sp_config_str(f->c, "state.checkpoints.dir"));
  assert_null(sp_config_str(f->c, "restart-strategy.type"));
  sp_config_free(defaults);
}

/* Allocation failures at every step of a load surface as SPATE_ENOMEM, leave the config as it
 * was, and leak nothing (ASan checks the last part). */
static void test_alloc_failures(void **state) {
  fixture *f = *state;
  const char *path = write_file(f, "oom.yaml",
                                "parallelism.default: 2\n"
                                "taskmanager:\n"
                                "  numberOfTaskSlots: 3\n"
                                "  network.memory.buffers-per-channel: 4\n"
                                "rest.address: h\n");
  assert_int_equal(sp_config_set_kv(f->c, "rest.port=1", f->err, sizeof f->err), 0);
  int failures = 0;
  for (int64_t n = 1; n < 200; n++) {
    sp_alloc_fail_after(n, 1);
    int rc = sp_config_load_file(f->c, path, f->err, sizeof f->err);
    sp_alloc_fail_after(0, 0);
    if (rc == 0) break;
    failures++;
    assert_int_equal(rc, SPATE_ENOMEM);
    assert_false(sp_config_is_set(f->c, "parallelism.default"));
    assert_int_equal(sp_config_int(f->c, "rest.port"), 1);
  }
  assert_true(failures > 3);
  assert_int_equal(sp_config_int(f->c, "taskmanager.numberOfTaskSlots"), 3);
  assert_int_equal(sp_config_int(f->c, "rest.port"), 1);
}

/* Asking for an unknown key or with the wrong getter is a bug in the caller and stops the
 * process; run in a child so the abort can be observed. */
static void expect_abort(void (*fn)(const sp_config *c)) {
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    sp_config *c = sp_config_new();
    freopen("/dev/null", "w", stderr);
    fn(c);
    _exit(0); /* not reached when fn aborts */
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void get_unknown(const sp_config *c) { (void)sp_config_int(c, "no.such.key"); }
static void get_wrong_type(const sp_config *c) { (void)sp_config_int(c, "rest.address"); }
static void get_str_of_int(const sp_config *c) { (void)sp_config_str(c, "rest.port"); }
static void get_double_of_int(const sp_config *c) { (void)sp_config_double(c, "rest.port"); }
static void get_int_of_double(const sp_config *c) {
  (void)sp_config_int(c, "restart-strategy.exponential-delay.jitter-factor");
}
/* A numeric key without default has no value to return until it is set. */
static void get_unset_interval(const sp_config *c) {
  (void)sp_config_duration_ms(c, "execution.checkpointing.interval");
}

static void test_getter_misuse_aborts(void **state) {
  (void)state;
  expect_abort(get_unknown);
  expect_abort(get_wrong_type);
  expect_abort(get_str_of_int);
  expect_abort(get_double_of_int);
  expect_abort(get_int_of_double);
  expect_abort(get_unset_interval);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flat_yaml, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nested_yaml, setup, teardown),
      cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
      cmocka_unit_test_setup_teardown(test_int_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bool_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_duration_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_memory_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_string_enum_level_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_double_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_checkpointing_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_restart_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_checkpoint_aliases, setup, teardown),
      cmocka_unit_test_setup_teardown(test_error_lines, setup, teardown),
      cmocka_unit_test_setup_teardown(test_structure_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_yaml, setup, teardown),
      cmocka_unit_test_setup_teardown(test_empty_files, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_override_and_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dash_d, setup, teardown),
      cmocka_unit_test_setup_teardown(test_clone_independent, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ignored_keys_warn, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shipped_config, setup, teardown),
      cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_getter_misuse_aborts, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
