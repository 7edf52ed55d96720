/*
 * test_restart_strategy.c: unit tests for src/cluster/restart_strategy.c: each of Flink's restart
 * strategies driven with explicit failure timestamps (no sleeping), the default strategy with and
 * without checkpointing, the exponential jitter under a fixed seed, descriptions, and bad
 * configuration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/config.h"
#include "base/log.h"
#include "cluster/restart_strategy.h"
#include "spate/spate.h"

/* Builds a strategy from -D style "key=value" settings (NULL-terminated). */
static restart_strategy *make(bool checkpointing, const char *const *kvs) {
  char err[1024] = "";
  sp_config *c = sp_config_new();
  assert_non_null(c);
  for (size_t i = 0; kvs && kvs[i]; i++)
    if (sp_config_set_kv(c, kvs[i], err, sizeof err) != 0) fail_msg("%s: %s", kvs[i], err);
  restart_strategy *s = NULL;
  if (restart_strategy_from_config(c, checkpointing, &s, err, sizeof err) != 0)
    fail_msg("restart_strategy_from_config: %s", err);
  sp_config_free(c);
  assert_non_null(s);
  return s;
}

/* Expects a failure at now to be allowed a restart after exactly want_delay ms. */
static void expect_restart(restart_strategy *s, int64_t now, int64_t want_delay) {
  int64_t delay = -1;
  if (!restart_strategy_on_failure(s, now, &delay))
    fail_msg("failure at %lld: no restart, want one after %lld ms", (long long)now,
             (long long)want_delay);
  if (delay != want_delay)
    fail_msg("failure at %lld: delay %lld ms, want %lld", (long long)now, (long long)delay,
             (long long)want_delay);
}

static void expect_no_restart(restart_strategy *s, int64_t now) {
  int64_t delay = -1;
  if (restart_strategy_on_failure(s, now, &delay))
    fail_msg("failure at %lld: restart after %lld ms, want none", (long long)now, (long long)delay);
  assert_int_equal(delay, 0);
}

static void test_none(void **state) {
  (void)state;
  static const char *const off[] = {"restart-strategy.type=none", NULL};
  restart_strategy *s = make(true, off); /* explicit type wins over checkpointing */
  assert_string_equal(restart_strategy_describe(s), "NoRestartBackoffTimeStrategy");
  expect_no_restart(s, 0);
  expect_no_restart(s, 100000);
  restart_strategy_free(s);

  static const char *const disable[] = {"restart-strategy.type=DISABLE", NULL};
  s = make(true, disable);
  assert_string_equal(restart_strategy_describe(s), "NoRestartBackoffTimeStrategy");
  restart_strategy_free(s);
}

/* Flink's defaults: exponential-delay with its default settings when checkpointing is enabled,
 * no restart otherwise; the exponential-delay keys count only when the type is set. */
static void test_defaults(void **state) {
  (void)state;
  restart_strategy *s = make(false, NULL);
  assert_string_equal(restart_strategy_describe(s), "NoRestartBackoffTimeStrategy");
  expect_no_restart(s, 0);
  restart_strategy_free(s);

  static const char *const exp_default =
      "ExponentialDelayRestartBackoffTimeStrategy(initialBackoffMS=1000, maxBackoffMS=60000, "
      "backoffMultiplier=1.5, resetBackoffThresholdMS=3600000, jitterFactor=0.1, "
      "attemptsBeforeResetBackoff=2147483647)";
  s = make(true, NULL);
  assert_string_equal(restart_strategy_describe(s), exp_default);
  int64_t delay = -1;
  assert_true(restart_strategy_on_failure(s, 0, &delay));
  assert_true(delay >= 1000 && delay <= 1100); /* 1 s, jitter 0.1, never below the initial */
  restart_strategy_free(s);

  static const char *const tuned[] = {"restart-strategy.exponential-delay.initial-backoff=5 s",
                                      "restart-strategy.exponential-delay.max-backoff=1 s",
                                      "restart-strategy.fixed-delay.attempts=7", NULL};
  s = make(true, tuned); /* contradicting keys do not matter: they are not used */
  assert_string_equal(restart_strategy_describe(s), exp_default);
  restart_strategy_free(s);
  s = make(false, tuned);
  assert_string_equal(restart_strategy_describe(s), "NoRestartBackoffTimeStrategy");
  restart_strategy_free(s);

  /* A type set in the config applies with checkpointing off too. */
  static const char *const fixed[] = {"restart-strategy.type=fixed-delay", NULL};
  s = make(false, fixed);
  assert_string_equal(restart_strategy_describe(s),
                      "FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=1, "
                      "backoffTimeMS=1000)");
  expect_restart(s, 0, 1000);
  expect_no_restart(s, 5000);
  restart_strategy_free(s);

  static const char *const rate[] = {"restart-strategy=failurerate", NULL};
  s = make(true, rate);
  assert_string_equal(restart_strategy_describe(s),
                      "FailureRateRestartBackoffTimeStrategy(failuresIntervalMS=60000, "
                      "backoffTimeMS=1000, maxFailuresPerInterval=1)");
  restart_strategy_free(s);
}

static void test_fixed_delay(void **state) {
  (void)state;
  static const char *const kv[] = {"restart-strategy.type=fixeddelay",
                                   "restart-strategy.fixed-delay.attempts=3",
                                   "restart-strategy.fixed-delay.delay=2 s", NULL};
  restart_strategy *s = make(true, kv);
  assert_string_equal(restart_strategy_describe(s),
                      "FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=3, "
                      "backoffTimeMS=2000)");
  /* Three restarts, however far apart the failures are; the fourth failure ends the job. */
  expect_restart(s, 0, 2000);
  expect_restart(s, 10, 2000);
  expect_restart(s, INT64_C(86400000) * 365, 2000);
  expect_no_restart(s, INT64_C(86400000) * 366);
  expect_no_restart(s, INT64_C(86400000) * 367);
  restart_strategy_free(s);

  static const char *const zero[] = {"restart-strategy.type=fixed-delay",
                                     "restart-strategy.fixed-delay.attempts=0",
                                     "restart-strategy.fixed-delay.delay=0", NULL};
  s = make(true, zero);
  expect_no_restart(s, 0);
  restart_strategy_free(s);
}

static void test_failure_rate(void **state) {
  (void)state;
  static const char *const kv[] = {"restart-strategy.type=failure-rate",
                                   "restart-strategy.failure-rate.max-failures-per-interval=2",
                                   "restart-strategy.failure-rate.failure-rate-interval=10 s",
                                   "restart-strategy.failure-rate.delay=500 ms", NULL};
  restart_strategy *s = make(false, kv);
  assert_string_equal(restart_strategy_describe(s),
                      "FailureRateRestartBackoffTimeStrategy(failuresIntervalMS=10000, "
                      "backoffTimeMS=500, maxFailuresPerInterval=2)");
  /* Two failures in 10 s are tolerated; a third within the interval is not. */
  expect_restart(s, 0, 500);
  expect_restart(s, 1000, 500);
  expect_no_restart(s, 2000);
  restart_strategy_free(s);

  /* The window slides: only the last three failures count. */
  s = make(false, kv);
  expect_restart(s, 0, 500);
  expect_restart(s, 1000, 500);
  expect_restart(s, 11000, 500); /* 0, 1000, 11000: the oldest is 11 s old */
  expect_restart(s, 12000, 500); /* 1000, 11000, 12000: 11 s */
  expect_no_restart(s, 12500);   /* 11000, 12000, 12500: three in 1.5 s */
  restart_strategy_free(s);

  /* Exactly one interval apart is still within it (Flink restarts only when more time passed). */
  s = make(false, kv);
  expect_restart(s, 0, 500);
  expect_restart(s, 5000, 500);
  expect_no_restart(s, 10000);
  restart_strategy_free(s);
  s = make(false, kv);
  expect_restart(s, 0, 500);
  expect_restart(s, 5000, 500);
  expect_restart(s, 10001, 500);
  restart_strategy_free(s);

  /* A large maximum: the timestamp queue grows with the failures seen. */
  static const char *const many[] = {"restart-strategy.type=failure-rate",
                                     "restart-strategy.failure-rate.max-failures-per-interval=100",
                                     "restart-strategy.failure-rate.failure-rate-interval=10 s",
                                     "restart-strategy.failure-rate.delay=0", NULL};
  s = make(false, many);
  for (int64_t t = 0; t < 100; t++) expect_restart(s, t, 0);
  expect_no_restart(s, 100);   /* 101 failures in 0..100 */
  expect_no_restart(s, 10001); /* 1..100 and 10001: exactly 10 s apart */
  expect_restart(s, 20000, 0); /* the oldest of the last 101 is now 2 */
  restart_strategy_free(s);
}

/* Without jitter the delays are exact: initial * multiplier^k, capped, reset after quiet time. */
static void test_exponential_delay(void **state) {
  (void)state;
  static const char *const kv[] = {
      "restart-strategy.type=exponential-delay",
      "restart-strategy.exponential-delay.initial-backoff=1 s",
      "restart-strategy.exponential-delay.max-backoff=10 s",
      "restart-strategy.exponential-delay.backoff-multiplier=2",
      "restart-strategy.exponential-delay.reset-backoff-threshold=1 min",
      "restart-strategy.exponential-delay.jitter-factor=0",
      NULL};
  restart_strategy *s = make(false, kv);
  assert_string_equal(restart_strategy_describe(s),
                      "ExponentialDelayRestartBackoffTimeStrategy(initialBackoffMS=1000, "
                      "maxBackoffMS=10000, backoffMultiplier=2.0, resetBackoffThresholdMS=60000, "
                      "jitterFactor=0.0, attemptsBeforeResetBackoff=2147483647)");
  expect_restart(s, 0, 1000);      /* restart planned at 1000 */
  expect_restart(s, 1500, 2000);   /* at 3500 */
  expect_restart(s, 4000, 4000);   /* at 8000 */
  expect_restart(s, 9000, 8000);   /* at 17000 */
  expect_restart(s, 18000, 10000); /* 16 s capped; at 28000 */
  expect_restart(s, 29000, 10000); /* at 39000 */
  /* Quiet for just under the threshold after the planned restart: no reset. */
  expect_restart(s, 39000 + 59999, 10000); /* at 108999 */
  /* Quiet for exactly the threshold: back to the initial backoff. */
  expect_restart(s, 108999 + 60000, 1000); /* at 169999 */
  /* A failure while the restart is pending joins it: the rest of the backoff, no new attempt. */
  expect_restart(s, 169500, 499);
  expect_restart(s, 169999, 0);
  expect_restart(s, 170000, 2000); /* the second attempt since the reset */
  restart_strategy_free(s);

  /* A multiplier that is not an integer: the backoff truncates to whole milliseconds. */
  static const char *const frac[] = {"restart-strategy.type=exponential-delay",
                                     "restart-strategy.exponential-delay.initial-backoff=1 s",
                                     "restart-strategy.exponential-delay.jitter-factor=0", NULL};
  s = make(false, frac); /* multiplier 1.5, max 1 min */
  static const int64_t want[] = {1000,  1500,  2250,  3375,  5062,  7593, 11390,
                                 17085, 25628, 38443, 57665, 60000, 60000};
  int64_t now = 0;
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    expect_restart(s, now, want[i]);
    now += want[i] + 1;
  }
  restart_strategy_free(s);
}

static void test_exponential_attempts(void **state) {
  (void)state;
  static const char *const kv[] = {
      "restart-strategy.type=exponential-delay",
      "restart-strategy.exponential-delay.initial-backoff=1 s",
      "restart-strategy.exponential-delay.backoff-multiplier=2",
      "restart-strategy.exponential-delay.reset-backoff-threshold=10 s",
      "restart-strategy.exponential-delay.jitter-factor=0",
      "restart-strategy.exponential-delay.attempts-before-reset-backoff=2",
      NULL};
  restart_strategy *s = make(false, kv);
  expect_restart(s, 0, 1000);    /* attempt 1, at 1000 */
  expect_restart(s, 2000, 2000); /* attempt 2, at 4000 */
  expect_no_restart(s, 5000);    /* attempt 3 > 2 */
  restart_strategy_free(s);

  /* A reset gives back the attempts. */
  s = make(false, kv);
  expect_restart(s, 0, 1000);     /* at 1000 */
  expect_restart(s, 2000, 2000);  /* at 4000 */
  expect_restart(s, 14000, 1000); /* 10 s after the planned restart: reset, attempt 1 */
  expect_restart(s, 15001, 2000); /* attempt 2 */
  expect_no_restart(s, 17002);
  restart_strategy_free(s);
}

/* Collects the delays of n consecutive failures (each just after the previous restart). */
static void run_failures(restart_strategy *s, int64_t *delays, size_t n) {
  int64_t now = 1000;
  for (size_t i = 0; i < n; i++) {
    assert_true(restart_strategy_on_failure(s, now, &delays[i]));
    now += delays[i] + 1;
  }
}

static void test_exponential_jitter(void **state) {
  (void)state;
  static const char *const kv[] = {"restart-strategy.type=exponential-delay",
                                   "restart-strategy.exponential-delay.initial-backoff=1000 ms",
                                   "restart-strategy.exponential-delay.max-backoff=1 h",
                                   "restart-strategy.exponential-delay.backoff-multiplier=2",
                                   "restart-strategy.exponential-delay.jitter-factor=0.5",
                                   NULL};
  enum { RUNS = 200, N = 4 };
  int64_t d[N];
  bool below[N] = {false}, above[N] = {false};
  for (uint64_t seed = 1; seed <= RUNS; seed++) {
    restart_strategy *s = make(false, kv);
    restart_strategy_set_seed(s, seed);
    run_failures(s, d, N);
    for (int k = 0; k < N; k++) {
      int64_t backoff = INT64_C(1000) << k, off = backoff / 2;
      /* backoff +- half of it, never below the initial backoff */
      int64_t lo = backoff - off < 1000 ? 1000 : backoff - off;
      if (d[k] < lo || d[k] > backoff + off)
        fail_msg("seed %llu, attempt %d: delay %lld outside [%lld, %lld]", (unsigned long long)seed,
                 k + 1, (long long)d[k], (long long)lo, (long long)(backoff + off));
      below[k] |= d[k] < backoff;
      above[k] |= d[k] > backoff;
    }
    restart_strategy_free(s);
  }
  /* Both sides of the backoff occur (the first attempt cannot go below the initial backoff). */
  assert_true(above[0]);
  for (int k = 1; k < N; k++) assert_true(below[k] && above[k]);

  /* The same seed gives the same delays. */
  int64_t a[N], b[N];
  restart_strategy *s1 = make(false, kv), *s2 = make(false, kv);
  restart_strategy_set_seed(s1, 42);
  restart_strategy_set_seed(s2, 42);
  run_failures(s1, a, N);
  run_failures(s2, b, N);
  assert_memory_equal(a, b, sizeof a);
  restart_strategy_free(s1);
  restart_strategy_free(s2);
}

/* Backoffs far beyond any sane value stay within [initial, max] and never overflow (the build
 * runs under UBSan). */
static void test_exponential_huge(void **state) {
  (void)state;
  static const char *const kv[] = {
      "restart-strategy.type=exponential-delay",
      "restart-strategy.exponential-delay.initial-backoff=1 ms",
      "restart-strategy.exponential-delay.max-backoff=106751991167 d",
      "restart-strategy.exponential-delay.backoff-multiplier=1000",
      "restart-strategy.exponential-delay.reset-backoff-threshold=106751991167 d",
      "restart-strategy.exponential-delay.jitter-factor=1",
      NULL};
  restart_strategy *s = make(false, kv);
  restart_strategy_set_seed(s, 7);
  const int64_t max = INT64_C(106751991167) * 86400000;
  for (int i = 0; i < 200; i++) {
    int64_t delay = -1;
    /* Failures all at time 0..: after the first few, each joins the pending restart. */
    assert_true(restart_strategy_on_failure(s, i, &delay));
    assert_true(delay >= 0 && delay <= max);
  }
  restart_strategy_free(s);

  /* Failures just after each planned restart, until the clock would run out. */
  s = make(false, kv);
  restart_strategy_set_seed(s, 8);
  int64_t now = 0;
  int attempts = 0;
  for (;;) {
    int64_t delay = -1;
    assert_true(restart_strategy_on_failure(s, now, &delay));
    assert_true(delay >= 1 && delay <= max);
    attempts++;
    if (now > INT64_MAX - delay - 1) break;
    now += delay + 1;
  }
  assert_true(attempts >= 8); /* past the point where 1000^k exceeds any int64 */
  restart_strategy_free(s);
}

static void test_bad_config(void **state) {
  (void)state;
  char err[1024];
  sp_config *c = sp_config_new();
  assert_non_null(c);
  assert_int_equal(sp_config_set_kv(c, "restart-strategy.type=exponential-delay", err, sizeof err),
                   0);
  assert_int_equal(sp_config_set_kv(c, "restart-strategy.exponential-delay.initial-backoff=2 min",
                                    err, sizeof err),
                   0);
  restart_strategy *s = NULL;
  assert_int_equal(restart_strategy_from_config(c, true, &s, err, sizeof err), SPATE_EINVAL);
  assert_null(s);
  assert_string_equal(err,
                      "restart-strategy.exponential-delay.initial-backoff (120000 ms) must "
                      "not be higher than restart-strategy.exponential-delay.max-backoff "
                      "(60000 ms)");
  /* Equal is fine. */
  assert_int_equal(
      sp_config_set_kv(c, "restart-strategy.exponential-delay.max-backoff=2 min", err, sizeof err),
      0);
  s = NULL;
  assert_int_equal(restart_strategy_from_config(c, true, &s, err, sizeof err), 0);
  restart_strategy_free(s);

  /* Values no strategy could use are rejected by the config already, naming key and value. */
  static const char *const bad[] = {
      "restart-strategy.type=fixed",
      "restart-strategy.type=",
      "restart-strategy.fixed-delay.attempts=-1",
      "restart-strategy.fixed-delay.delay=-1 s",
      "restart-strategy.failure-rate.max-failures-per-interval=0",
      "restart-strategy.failure-rate.failure-rate-interval=0",
      "restart-strategy.exponential-delay.initial-backoff=0",
      "restart-strategy.exponential-delay.backoff-multiplier=1.0",
      "restart-strategy.exponential-delay.jitter-factor=1.5",
      "restart-strategy.exponential-delay.attempts-before-reset-backoff=0",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    assert_int_equal(sp_config_set_kv(c, bad[i], err, sizeof err), SPATE_EINVAL);
    char want[256];
    snprintf(want, sizeof want, "-D %s: invalid value '", bad[i]);
    if (strncmp(err, want, strlen(want)) != 0) fail_msg("%s: got \"%s\"", bad[i], err);
  }
  assert_int_equal(sp_config_set_kv(c, "restart-strategy.type=fixed", err, sizeof err),
                   SPATE_EINVAL);
  assert_string_equal(err,
                      "-D restart-strategy.type=fixed: invalid value 'fixed' for "
                      "restart-strategy.type (expected one of none, off, disable, "
                      "fixed-delay, fixeddelay, failure-rate, failurerate, exponential-delay, "
                      "exponentialdelay)");
  sp_config_free(c);
}

/* Allocation failures surface as SPATE_ENOMEM and leak nothing; a failure-rate strategy that
 * cannot record a failure does not restart. */
static void test_alloc_failures(void **state) {
  (void)state;
  char err[1024];
  sp_config *c = sp_config_new();
  assert_non_null(c);
  restart_strategy *s = NULL;
  for (int checkpointing = 0; checkpointing < 2; checkpointing++) {
    int failures = 0;
    for (int64_t n = 1; n < 20; n++) {
      sp_alloc_fail_after(n, 1);
      int rc = restart_strategy_from_config(c, checkpointing, &s, err, sizeof err);
      sp_alloc_fail_after(0, 0);
      if (rc == 0) break;
      failures++;
      assert_int_equal(rc, SPATE_ENOMEM);
      assert_null(s);
    }
    assert_true(failures >= 1);
    assert_non_null(s);
    restart_strategy_free(s);
    s = NULL;
  }

  assert_int_equal(sp_config_set_kv(c, "restart-strategy.type=failure-rate", err, sizeof err), 0);
  assert_int_equal(restart_strategy_from_config(c, false, &s, err, sizeof err), 0);
  sp_log_level old = sp_log_get_level();
  sp_log_set_level(SP_LOG_OFF);
  int64_t delay = -1;
  sp_alloc_fail_after(1, 1);
  bool restart = restart_strategy_on_failure(s, 0, &delay);
  sp_alloc_fail_after(0, 0);
  sp_log_set_level(old);
  assert_false(restart);
  assert_int_equal(delay, 0);
  restart_strategy_free(s);
  sp_config_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_none),
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_fixed_delay),
      cmocka_unit_test(test_failure_rate),
      cmocka_unit_test(test_exponential_delay),
      cmocka_unit_test(test_exponential_attempts),
      cmocka_unit_test(test_exponential_jitter),
      cmocka_unit_test(test_exponential_huge),
      cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
