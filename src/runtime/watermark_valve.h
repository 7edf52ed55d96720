/*
 * watermark_valve.h: combines the watermarks and idle/active statuses of a task's input channels
 * into the task's input watermark and status, with Flink's StatusWatermarkValve semantics:
 *
 *  - a channel's watermark only moves forward (a lower one is ignored);
 *  - the output watermark is the minimum over the channels that are active, not finished, and
 *    aligned (a channel that became active again counts only once its watermark has caught up
 *    with the last output), and it is emitted only when it advances: watermarks never go back;
 *  - when every unfinished channel is idle the output turns idle, after jumping to the highest
 *    watermark of all channels if the last channel to go idle held the minimum; the first
 *    channel that turns active again turns the output active;
 *  - a finished channel (END_OF_PARTITION) no longer holds the watermark back.
 *
 * Each call reports what to forward downstream through *out: a new watermark and/or a status
 * change. Used by one task thread; no locks.
 */
#ifndef SPATE_RUNTIME_WATERMARK_VALVE_H
#define SPATE_RUNTIME_WATERMARK_VALVE_H
#include <stdbool.h>
#include <stdint.h>

typedef struct valve_channel {
  int64_t wm;
  bool idle, finished, aligned;
} valve_channel;

typedef struct watermark_valve {
  int n;
  valve_channel *ch;
  int64_t out_wm; /* last watermark forwarded (INT64_MIN before the first) */
  bool out_idle;  /* last status forwarded */
} watermark_valve;

typedef struct valve_output {
  bool has_wm;
  int64_t wm;
  bool status_changed;
  bool idle; /* the new status when status_changed */
} valve_output;

int valve_init(watermark_valve *v, int nchannels);
void valve_destroy(watermark_valve *v);
void valve_watermark(watermark_valve *v, int ch, int64_t wm, valve_output *out);
void valve_status(watermark_valve *v, int ch, bool idle, valve_output *out);
void valve_finished(watermark_valve *v, int ch, valve_output *out);
#endif
