/*
 * restart_strategy.h: whether a failed job may restart and how long it waits first, as Flink's
 * RestartBackoffTimeStrategy implementations (NoRestart, FixedDelay, FailureRate,
 * ExponentialDelay). The JobMaster owns one strategy per job and reports every failure to it;
 * the strategy only decides, it never schedules anything.
 *
 * Time is passed in by the caller (milliseconds of a clock that never goes backwards, such as
 * sp_mono_ms), so the strategies hold no clock and tests drive them with explicit timestamps.
 * A strategy is used by one thread (the JobMaster's); it takes no lock.
 */
#ifndef SPATE_CLUSTER_RESTART_STRATEGY_H
#define SPATE_CLUSTER_RESTART_STRATEGY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"

typedef struct restart_strategy restart_strategy;

/* Creates the strategy the config asks for. restart-strategy.type decides when it is set;
 * otherwise the strategy is exponential-delay when checkpointing is enabled (Flink's default since
 * 1.19) and none when it is not. As in Flink, that implicit exponential-delay uses the built-in
 * defaults of the restart-strategy.exponential-delay.* keys, not values set for them: those
 * apply only when restart-strategy.type names exponential-delay.
 *
 * On success *out owns a new strategy (free it with restart_strategy_free) and 0 is returned.
 * Errors: SPATE_EINVAL when the keys contradict each other (an initial backoff above the maximum
 * backoff), with a message naming both keys; SPATE_ENOMEM. *out is untouched on error. */
int restart_strategy_from_config(const sp_config *c, bool checkpointing, restart_strategy **out,
                                 char *err, size_t err_len);

void restart_strategy_free(restart_strategy *s);

/* Records a failure at now_ms. Returns true if the job may restart, with *delay_ms (never
 * negative) the backoff to wait before restarting; false when the strategy forbids another
 * restart, and then the job fails for good (*delay_ms is 0).
 *
 * exponential-delay merges failures that arrive while a restart is pending (now_ms at or before
 * the planned restart time) into that restart, as Flink does: they count no attempt, and the delay
 * returned is what remains of the pending backoff. */
bool restart_strategy_on_failure(restart_strategy *s, int64_t now_ms, int64_t *delay_ms);

/* A description in Flink's words for logs, e.g. "NoRestartBackoffTimeStrategy" or
 * "FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=3, backoffTimeMS=1000)". It
 * names the strategy and its parameters, not its state. Owned by s. */
const char *restart_strategy_describe(const restart_strategy *s);

/* Seeds the random jitter of exponential-delay, so that tests get reproducible delays. A new
 * strategy is seeded from the clock. No effect on the other strategies. */
void restart_strategy_set_seed(restart_strategy *s, uint64_t seed);
#endif
