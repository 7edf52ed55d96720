/*
 * watermark_valve.c: see watermark_valve.h. Channel counts are parallelisms (small), so the
 * minimum is recomputed by a scan when something changes.
 */
#include "runtime/watermark_valve.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "spate/spate.h"

int valve_init(watermark_valve *v, int n) {
  v->n = n;
  v->out_wm = INT64_MIN;
  v->out_idle = false;
  v->ch = sp_calloc((size_t)(n > 0 ? n : 1), sizeof *v->ch);
  if (!v->ch) return SPATE_ENOMEM;
  for (int i = 0; i < n; i++) {
    v->ch[i].wm = INT64_MIN;
    v->ch[i].aligned = true;
  }
  return 0;
}

void valve_destroy(watermark_valve *v) {
  sp_free(v->ch);
  v->ch = NULL;
}

/* Forwards the minimum over active, aligned, unfinished channels if it advanced. */
static void advance(watermark_valve *v, valve_output *out) {
  bool any = false;
  int64_t min = INT64_MAX;
  for (int i = 0; i < v->n; i++) {
    valve_channel *c = &v->ch[i];
    if (c->finished || c->idle || !c->aligned) continue;
    any = true;
    if (c->wm < min) min = c->wm;
  }
  if (any && min > v->out_wm) {
    v->out_wm = min;
    out->has_wm = true;
    out->wm = min;
  }
}

static bool all_idle(const watermark_valve *v) {
  bool any_unfinished = false;
  for (int i = 0; i < v->n; i++) {
    if (v->ch[i].finished) continue;
    any_unfinished = true;
    if (!v->ch[i].idle) return false;
  }
  return any_unfinished;
}

void valve_watermark(watermark_valve *v, int ch, int64_t wm, valve_output *out) {
  *out = (valve_output){0};
  sp_assert(ch >= 0 && ch < v->n);
  valve_channel *c = &v->ch[ch];
  if (c->finished || wm <= c->wm) return;
  c->wm = wm;
  if (!c->aligned && wm >= v->out_wm) c->aligned = true; /* caught up */
  if (!c->idle) advance(v, out);
}

void valve_status(watermark_valve *v, int ch, bool idle, valve_output *out) {
  *out = (valve_output){0};
  sp_assert(ch >= 0 && ch < v->n);
  valve_channel *c = &v->ch[ch];
  if (c->finished || c->idle == idle) return;
  c->idle = idle;
  if (idle) {
    if (all_idle(v)) {
      /* Flink: the channel that held the minimum going idle lets the watermark jump to the
       * highest of all channels before the output turns idle */
      if (c->wm == v->out_wm) {
        int64_t max = INT64_MIN;
        for (int i = 0; i < v->n; i++)
          if (!v->ch[i].finished && v->ch[i].wm > max) max = v->ch[i].wm;
        if (max > v->out_wm) {
          v->out_wm = max;
          out->has_wm = true;
          out->wm = max;
        }
      }
      if (!v->out_idle) {
        v->out_idle = true;
        out->status_changed = true;
        out->idle = true;
      }
    } else {
      advance(v, out); /* the idle channel no longer holds the others back */
    }
  } else {
    c->aligned = c->wm >= v->out_wm; /* behind: ignored until it catches up */
    if (v->out_idle) {
      v->out_idle = false;
      out->status_changed = true;
      out->idle = false;
    }
    advance(v, out);
  }
}

void valve_finished(watermark_valve *v, int ch, valve_output *out) {
  *out = (valve_output){0};
  sp_assert(ch >= 0 && ch < v->n);
  valve_channel *c = &v->ch[ch];
  if (c->finished) return;
  c->finished = true;
  if (all_idle(v) && !v->out_idle) {
    v->out_idle = true;
    out->status_changed = true;
    out->idle = true;
  } else {
    advance(v, out);
  }
}
