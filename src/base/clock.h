/* clock.h: monotonic time for durations and deadlines, wall time for ids and logs. */
#ifndef SPATE_BASE_CLOCK_H
#define SPATE_BASE_CLOCK_H
#include <stdint.h>
int64_t sp_mono_ns(void);   /* CLOCK_MONOTONIC */
int64_t sp_mono_ms(void);
int64_t sp_wall_ms(void);   /* CLOCK_REALTIME, ms since the epoch */
#endif
