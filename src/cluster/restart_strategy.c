/*
 * restart_strategy.c: Flink's four restart backoff time strategies.
 *
 * Each follows the documented behaviour of its Flink class (flink-runtime,
 * executiongraph/failover, 1.19/1.20), with Flink's two calls notifyFailure + canRestart folded
 * into restart_strategy_on_failure:
 *
 * - none: never restarts.
 * - fixed-delay: counts failures; the n-th failure may restart while n <= attempts, always after
 *   the same delay.
 * - failure-rate: keeps the timestamps of the last max-failures-per-interval + 1 failures (Flink's
 *   queue is "full" when it holds more than the maximum). A failure may restart unless the queue
 *   is full and its oldest entry lies within the interval, i.e. unless more than the maximum
 *   failures happened within the interval. The queue grows with the failures actually seen, so a
 *   large maximum costs nothing until the job really fails that often.
 * - exponential-delay: the backoff of the k-th attempt since the last reset is
 *   initial * multiplier^(k-1), plus a uniformly random jitter in [-j, j] where
 *   j = jitter-factor * backoff, the sum clamped to [initial, max]. When the failure comes at
 *   least reset-backoff-threshold after the previous planned restart (the previous failure plus
 *   its delay), the count starts over at the initial backoff. More than
 *   attempts-before-reset-backoff attempts since the last reset fail the job. A failure while a
 *   restart is still pending joins that restart.
 *
 * Flink computes the exponential backoff in a long that saturates; here it is capped at 2^61 ms
 * before the jitter is added, which leaves every result within any max-backoff that a config can
 * hold and keeps the sum free of overflow (Flink's saturated sum can wrap to a negative delay).
 */
#include "cluster/restart_strategy.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "spate/spate.h"

#define LOG_COMP "restart"

/* Upper bound of the exponential backoff before jitter: far above any max-backoff, and twice it
 * still fits in an int64. */
#define BACKOFF_CAP_MS (INT64_C(1) << 61)

typedef enum rs_kind { RS_NONE, RS_FIXED_DELAY, RS_FAILURE_RATE, RS_EXPONENTIAL_DELAY } rs_kind;

struct restart_strategy {
  rs_kind kind;
  char desc[400];
  union {
    struct {
      int64_t max_attempts;
      int64_t backoff_ms;
      int64_t failures; /* failures seen so far */
    } fixed;
    struct {
      int64_t max_failures;
      int64_t interval_ms;
      int64_t backoff_ms;
      /* Ring buffer of failure times, oldest at head. Invariant: count <= max_failures + 1 and
       * count <= cap; cap grows by doubling up to max_failures + 1. */
      int64_t *times;
      size_t head, count, cap;
    } rate;
    struct {
      int64_t initial_ms, max_ms, reset_ms;
      double multiplier, jitter;
      int64_t max_attempts; /* attempts-before-reset-backoff */
      int64_t attempts;     /* attempts since the last reset, the current one included */
      bool failed;          /* a failure has been seen, so next_restart_ms is meaningful */
      int64_t next_restart_ms;
      uint64_t rng;
    } exp;
  } u;
};

/* ---- helpers -------------------------------------------------------------------------------- */

static int64_t sat_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

static int64_t sat_sub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? INT64_MAX : INT64_MIN;
  return r;
}

/* splitmix64: small, fast and good enough to spread restarts apart. */
static uint64_t next_random(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* Uniform in [-off, off] (off >= 0), without modulo bias. */
static int64_t random_offset(uint64_t *state, int64_t off) {
  uint64_t n = (uint64_t)off * 2 + 1; /* off <= 2^61, so no overflow */
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = next_random(state);
  while (x >= limit);
  return (int64_t)(x % n) - off;
}

/* Writes v the way Java's Double.toString does for ordinary values ("1.5", "2.0", "0.1"): the
 * shortest decimal that reads back as v, with ".0" when it would look like an integer. */
static void format_java_double(double v, char *buf, size_t cap) {
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, cap, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  if (!strpbrk(buf, ".en")) strncat(buf, ".0", cap - strlen(buf) - 1);
}

/* ---- the strategies ------------------------------------------------------------------------- */

static bool fixed_on_failure(restart_strategy *s, int64_t *delay_ms) {
  s->u.fixed.failures++;
  if (s->u.fixed.failures > s->u.fixed.max_attempts) return false;
  *delay_ms = s->u.fixed.backoff_ms;
  return true;
}

/* Appends t to the ring, growing it when needed; false when memory runs out. */
static bool rate_push(restart_strategy *s, int64_t t) {
  if (s->u.rate.count == s->u.rate.cap) {
    size_t limit = (size_t)s->u.rate.max_failures + 1;
    size_t cap = s->u.rate.cap ? s->u.rate.cap * 2 : 4;
    if (cap > limit) cap = limit;
    int64_t *times = sp_malloc(cap * sizeof *times);
    if (!times) return false;
    for (size_t i = 0; i < s->u.rate.count; i++)
      times[i] = s->u.rate.times[(s->u.rate.head + i) % s->u.rate.cap];
    sp_free(s->u.rate.times);
    s->u.rate.times = times;
    s->u.rate.head = 0;
    s->u.rate.cap = cap;
  }
  s->u.rate.times[(s->u.rate.head + s->u.rate.count) % s->u.rate.cap] = t;
  s->u.rate.count++;
  return true;
}

static bool rate_on_failure(restart_strategy *s, int64_t now_ms, int64_t *delay_ms) {
  size_t limit = (size_t)s->u.rate.max_failures + 1;
  if (s->u.rate.count == limit) { /* full: the oldest leaves */
    s->u.rate.head = (s->u.rate.head + 1) % s->u.rate.cap;
    s->u.rate.count--;
  }
  if (!rate_push(s, now_ms)) {
    /* Not knowing the rate, restarting could loop forever; failing the job is the safe side. */
    SP_ERROR(LOG_COMP, "out of memory recording a failure; not restarting");
    return false;
  }
  if (s->u.rate.count == limit &&
      sat_sub(now_ms, s->u.rate.times[s->u.rate.head]) <= s->u.rate.interval_ms)
    return false;
  *delay_ms = s->u.rate.backoff_ms;
  return true;
}

/* The delay of the attempt after s->u.exp.attempts earlier ones since the last reset. */
static int64_t exp_backoff(restart_strategy *s) {
  double b = (double)s->u.exp.initial_ms * pow(s->u.exp.multiplier, (double)s->u.exp.attempts);
  int64_t backoff = b >= (double)BACKOFF_CAP_MS ? BACKOFF_CAP_MS : (int64_t)b; /* truncates */
  int64_t delay = backoff;
  if (s->u.exp.jitter > 0) {
    int64_t off = (int64_t)((double)backoff * s->u.exp.jitter);
    delay += random_offset(&s->u.exp.rng, off);
  }
  if (delay > s->u.exp.max_ms) delay = s->u.exp.max_ms;
  if (delay < s->u.exp.initial_ms) delay = s->u.exp.initial_ms;
  return delay;
}

static bool exp_on_failure(restart_strategy *s, int64_t now_ms, int64_t *delay_ms) {
  if (s->u.exp.failed && now_ms <= s->u.exp.next_restart_ms) {
    /* A restart is pending: this failure joins it. */
    if (s->u.exp.attempts > s->u.exp.max_attempts) return false;
    *delay_ms = s->u.exp.next_restart_ms - now_ms;
    return true;
  }
  if (!s->u.exp.failed || sat_sub(now_ms, s->u.exp.next_restart_ms) >= s->u.exp.reset_ms)
    s->u.exp.attempts = 0;
  int64_t delay = exp_backoff(s);
  s->u.exp.next_restart_ms = sat_add(now_ms, delay);
  s->u.exp.failed = true;
  s->u.exp.attempts++;
  if (s->u.exp.attempts > s->u.exp.max_attempts) return false;
  *delay_ms = delay;
  return true;
}

bool restart_strategy_on_failure(restart_strategy *s, int64_t now_ms, int64_t *delay_ms) {
  *delay_ms = 0;
  switch (s->kind) {
  case RS_NONE: return false;
  case RS_FIXED_DELAY: return fixed_on_failure(s, delay_ms);
  case RS_FAILURE_RATE: return rate_on_failure(s, now_ms, delay_ms);
  case RS_EXPONENTIAL_DELAY: return exp_on_failure(s, now_ms, delay_ms);
  }
  return false;
}

/* ---- construction --------------------------------------------------------------------------- */

/* Reads the exponential-delay keys of c into s and checks the one rule that spans two keys. */
static int exp_init(restart_strategy *s, const sp_config *c, char *err, size_t err_len) {
  s->u.exp.initial_ms =
      sp_config_duration_ms(c, "restart-strategy.exponential-delay.initial-backoff");
  s->u.exp.max_ms = sp_config_duration_ms(c, "restart-strategy.exponential-delay.max-backoff");
  s->u.exp.multiplier =
      sp_config_double(c, "restart-strategy.exponential-delay.backoff-multiplier");
  s->u.exp.reset_ms =
      sp_config_duration_ms(c, "restart-strategy.exponential-delay.reset-backoff-threshold");
  s->u.exp.jitter = sp_config_double(c, "restart-strategy.exponential-delay.jitter-factor");
  s->u.exp.max_attempts =
      sp_config_int(c, "restart-strategy.exponential-delay.attempts-before-reset-backoff");
  if (s->u.exp.initial_ms > s->u.exp.max_ms)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "restart-strategy.exponential-delay.initial-backoff (%" PRId64
                  " ms) must not be higher than restart-strategy.exponential-delay.max-backoff "
                  "(%" PRId64 " ms)",
                  s->u.exp.initial_ms, s->u.exp.max_ms);
  char mult[32], jitter[32];
  format_java_double(s->u.exp.multiplier, mult, sizeof mult);
  format_java_double(s->u.exp.jitter, jitter, sizeof jitter);
  snprintf(s->desc, sizeof s->desc,
           "ExponentialDelayRestartBackoffTimeStrategy(initialBackoffMS=%" PRId64
           ", maxBackoffMS=%" PRId64 ", backoffMultiplier=%s, resetBackoffThresholdMS=%" PRId64
           ", jitterFactor=%s, attemptsBeforeResetBackoff=%" PRId64 ")",
           s->u.exp.initial_ms, s->u.exp.max_ms, mult, s->u.exp.reset_ms, jitter,
           s->u.exp.max_attempts);
  return 0;
}

int restart_strategy_from_config(const sp_config *c, bool checkpointing, restart_strategy **out,
                                 char *err, size_t err_len) {
  const char *type = sp_config_str(c, "restart-strategy.type"); /* canonical name or NULL */
  rs_kind kind;
  if (!type)
    kind = checkpointing ? RS_EXPONENTIAL_DELAY : RS_NONE;
  else if (strcmp(type, "fixed-delay") == 0)
    kind = RS_FIXED_DELAY;
  else if (strcmp(type, "failure-rate") == 0)
    kind = RS_FAILURE_RATE;
  else if (strcmp(type, "exponential-delay") == 0)
    kind = RS_EXPONENTIAL_DELAY;
  else
    kind = RS_NONE;

  restart_strategy *s = sp_calloc(1, sizeof *s);
  if (!s) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory creating the restart strategy");
  s->kind = kind;
  int rc = 0;
  switch (kind) {
  case RS_NONE: snprintf(s->desc, sizeof s->desc, "NoRestartBackoffTimeStrategy"); break;
  case RS_FIXED_DELAY:
    s->u.fixed.max_attempts = sp_config_int(c, "restart-strategy.fixed-delay.attempts");
    s->u.fixed.backoff_ms = sp_config_duration_ms(c, "restart-strategy.fixed-delay.delay");
    snprintf(s->desc, sizeof s->desc,
             "FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=%" PRId64
             ", backoffTimeMS=%" PRId64 ")",
             s->u.fixed.max_attempts, s->u.fixed.backoff_ms);
    break;
  case RS_FAILURE_RATE:
    s->u.rate.max_failures =
        sp_config_int(c, "restart-strategy.failure-rate.max-failures-per-interval");
    s->u.rate.interval_ms =
        sp_config_duration_ms(c, "restart-strategy.failure-rate.failure-rate-interval");
    s->u.rate.backoff_ms = sp_config_duration_ms(c, "restart-strategy.failure-rate.delay");
    snprintf(s->desc, sizeof s->desc,
             "FailureRateRestartBackoffTimeStrategy(failuresIntervalMS=%" PRId64
             ", backoffTimeMS=%" PRId64 ", maxFailuresPerInterval=%" PRId64 ")",
             s->u.rate.interval_ms, s->u.rate.backoff_ms, s->u.rate.max_failures);
    break;
  case RS_EXPONENTIAL_DELAY:
    if (type) {
      rc = exp_init(s, c, err, err_len);
    } else {
      /* Flink's implicit default takes the keys' defaults, whatever the config sets. */
      sp_config *defaults = sp_config_new();
      if (!defaults) {
        rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory creating the restart strategy");
        break;
      }
      rc = exp_init(s, defaults, err, err_len);
      sp_config_free(defaults);
    }
    restart_strategy_set_seed(s, (uint64_t)sp_mono_ns() ^ (uint64_t)(uintptr_t)s);
    break;
  }
  if (rc < 0) {
    restart_strategy_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void restart_strategy_free(restart_strategy *s) {
  if (!s) return;
  if (s->kind == RS_FAILURE_RATE) sp_free(s->u.rate.times);
  sp_free(s);
}

const char *restart_strategy_describe(const restart_strategy *s) { return s->desc; }

void restart_strategy_set_seed(restart_strategy *s, uint64_t seed) {
  if (s->kind == RS_EXPONENTIAL_DELAY) s->u.exp.rng = seed;
}
