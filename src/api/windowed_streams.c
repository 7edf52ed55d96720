/*
 * windowed_streams.c: the DataStream API's windows: spate_window and spate_window_all make a
 * windowed virtual stream, the trigger, evictor, lateness and late output settings configure
 * it, and the window function (reduce, apply, aggregate, or an incremental one combined with a
 * window function) turns it into one window operator node, whose params window_fn encodes.
 */
#include <stdint.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "graph/op_params.h"
#include "types/schema.h"

static bool need_windowed(spate_stream *w, const char *api);

/* ---- windows ------------------------------------------------------------------------------------ */
spate_stream *spate_window(spate_stream *keyed_in, spate_window_assigner a) {
  if (!api_check_input("spate_window", keyed_in)) return NULL;
  spate_env *env = keyed_in->env;
  if (!keyed_in->keyed)
    return api_fail(env, "spate_window needs a keyed stream: call spate_key_by first"), NULL;
  const char *bad = NULL;
  switch (a.kind) {
  case SPATE_WINDOW_TUMBLING:
    if (a.size <= 0)
      bad = "the window size must be positive";
    else if (a.offset <= -a.size || a.offset >= a.size)
      bad = "the offset must be in (-size, size)";
    break;
  case SPATE_WINDOW_SLIDING:
    if (a.size <= 0 || a.slide <= 0)
      bad = "the window size and slide must be positive";
    else if (a.slide > a.size)
      bad = "the slide must not be larger than the size";
    else if (a.offset <= -a.slide || a.offset >= a.slide)
      bad = "the offset must be in (-slide, slide)";
    break;
  case SPATE_WINDOW_SESSION:
    if (!a.gap_fn && a.gap <= 0) bad = "the session gap must be positive";
    break;
  case SPATE_WINDOW_COUNT:
    if (a.size <= 0)
      bad = "the count window size must be positive";
    else if (a.slide < 0 || a.slide > a.size)
      bad = "the count slide must be in [0, size]";
    break;
  case SPATE_WINDOW_GLOBAL:
    a.domain = SPATE_PROCESSING_TIME; /* GlobalWindows.isEventTime() is false */
    break;
  default: bad = "unknown window assigner";
  }
  if (!bad && a.kind != SPATE_WINDOW_COUNT && (unsigned)a.domain > SPATE_PROCESSING_TIME)
    bad = "unknown time domain";
  if (!bad && a.gap_fn && a.kind != SPATE_WINDOW_SESSION)
    bad = "only session windows take a gap function";
  if (bad)
    return api_fail(env, "spate_window: %s (size %lld, slide %lld, offset %lld, gap %lld)", bad,
                    (long long)a.size, (long long)a.slide, (long long)a.offset, (long long)a.gap),
           NULL;
  spate_stream *s = api_virtual_copy(keyed_in, "spate_window");
  if (!s) return NULL;
  s->keyed = true;
  s->windowed = true;
  s->window = a;
  return s;
}

/* Flink's windowAll: every record goes to one window operator of parallelism 1 (a global
 * partitioning), which keys all of them alike. The node is given the input's first field as a
 * nominal key, since window operators are keyed operators; the operator ignores it. */
spate_stream *spate_window_all(spate_stream *in, spate_window_assigner a) {
  if (!api_check_input("spate_window_all", in)) return NULL;
  spate_env *env = in->env;
  if (in->windowed || in->connected)
    return api_fail(env, "spate_window_all needs a plain stream"), NULL;
  if (in->schema->nfields < 1)
    return api_fail(env, "spate_window_all: the stream has no fields"), NULL;
  int f0 = 0;
  spate_stream *k = spate_key_by_fields(in, &f0, 1);
  if (!k) return NULL;
  for (int i = 0; i < k->ninputs; i++) k->inputs[i].part = PART_GLOBAL;
  spate_stream *s = spate_window(k, a);
  if (s) s->window_all = true;
  return s;
}

spate_stream *spate_window_trigger(spate_stream *w, spate_trigger t) {
  if (!need_windowed(w, "spate_window_trigger")) return w;
  const char *bad = NULL;
  switch (t.kind) {
  case SPATE_TRIGGER_DEFAULT:
  case SPATE_TRIGGER_EVENT_TIME:
  case SPATE_TRIGGER_PROCESSING_TIME: break;
  case SPATE_TRIGGER_COUNT:
    if (t.count <= 0) bad = "the count must be positive";
    break;
  case SPATE_TRIGGER_CONTINUOUS_EVENT_TIME:
  case SPATE_TRIGGER_CONTINUOUS_PROCESSING_TIME:
    if (t.interval_ms <= 0) bad = "the interval must be positive";
    break;
  case SPATE_TRIGGER_DELTA:
    if (!t.delta_fn)
      bad = "the delta function must not be NULL";
    else if (t.delta_threshold != t.delta_threshold)
      bad = "the threshold is not a number";
    break;
  case SPATE_TRIGGER_CUSTOM:
    if (!t.on_element) bad = "a custom trigger needs an on_element function";
    break;
  default: bad = "unknown trigger";
  }
  /* merging windows take only triggers that can merge (Flink's Trigger.canMerge) */
  if (!bad && w->window.kind == SPATE_WINDOW_SESSION && t.kind == SPATE_TRIGGER_DELTA)
    bad = "a delta trigger cannot merge windows: not for session windows";
  if (!bad && w->window.kind == SPATE_WINDOW_SESSION && t.kind == SPATE_TRIGGER_CUSTOM &&
      !t.on_merge)
    bad = "a custom trigger without on_merge cannot merge windows: not for session windows";
  if (bad) return api_fail(w->env, "spate_window_trigger: %s", bad), w;
  w->trigger = t;
  return w;
}

spate_stream *spate_window_evictor(spate_stream *w, spate_evictor e) {
  if (!need_windowed(w, "spate_window_evictor")) return w;
  const char *bad = NULL;
  switch (e.kind) {
  case SPATE_EVICTOR_NONE: break;
  case SPATE_EVICTOR_COUNT:
    if (e.count <= 0) bad = "the count must be positive";
    break;
  case SPATE_EVICTOR_TIME:
    if (e.window_ms < 0) bad = "the time span must not be negative";
    break;
  case SPATE_EVICTOR_DELTA:
    if (!e.delta_fn)
      bad = "the delta function must not be NULL";
    else if (e.threshold != e.threshold)
      bad = "the threshold is not a number";
    break;
  default: bad = "unknown evictor";
  }
  if (bad) return api_fail(w->env, "spate_window_evictor: %s", bad), w;
  w->evictor = e;
  return w;
}

static bool need_windowed(spate_stream *w, const char *api) {
  if (!api_check_input(api, w)) return false;
  if (!w->windowed) {
    api_fail(w->env, "%s needs a windowed stream: call spate_window first", api);
    return false;
  }
  return true;
}

spate_stream *spate_window_arrival_order(spate_stream *w) {
  if (need_windowed(w, "spate_window_arrival_order")) w->arrival_order = true;
  return w;
}

spate_stream *spate_allowed_lateness(spate_stream *w, int64_t lateness_ms) {
  if (!need_windowed(w, "spate_allowed_lateness")) return w;
  if (lateness_ms < 0)
    return api_fail(w->env, "spate_allowed_lateness: %lld ms is negative", (long long)lateness_ms),
           w;
  w->lateness = lateness_ms;
  return w;
}

spate_stream *spate_late_output(spate_stream *w, const char *tag) {
  if (!need_windowed(w, "spate_late_output")) return w;
  if (!tag || !tag[0]) return api_fail(w->env, "spate_late_output: empty tag"), w;
  sp_free(w->late_tag);
  if (!(w->late_tag = sp_strdup(tag))) api_fail(w->env, "out of memory");
  return w;
}

/* What a window operator's function needs besides its main UDF: the aggregate functions and
 * schemas (WINDOW_FN_AGGREGATE), and the window function called with the one incremental
 * result (reduce or aggregate combined with a window function). */
typedef struct window_extra {
  const spate_aggregate_fns *agg;
  const spate_schema *acc_schema, *result_schema;
  spate_window_fn apply;
  bool process; /* the window function (fn of APPLY, else apply) is a spate_process_window_fn */
} window_extra;

/* The symbols of window_fn's functions (NULL where absent). */
enum {
  WSYM_GAP,
  WSYM_CREATE,
  WSYM_ADD,
  WSYM_RESULT,
  WSYM_MERGE,
  WSYM_APPLY,
  WSYM_ON_ELEMENT,
  WSYM_ON_EVENT_TIME,
  WSYM_ON_PROCESSING_TIME,
  WSYM_CLEAR,
  WSYM_ON_MERGE,
  WSYM_N
};

static bool window_symbols(spate_env *env, const char *api, const spate_window_assigner *a,
                           const spate_trigger *t, const window_extra *x, char *sym[WSYM_N]) {
  void *fns[WSYM_N] = {0};
  fns[WSYM_GAP] = (void *)(uintptr_t)a->gap_fn;
  if (t->kind == SPATE_TRIGGER_CUSTOM) {
    fns[WSYM_ON_ELEMENT] = (void *)(uintptr_t)t->on_element;
    fns[WSYM_ON_EVENT_TIME] = (void *)(uintptr_t)t->on_event_time;
    fns[WSYM_ON_PROCESSING_TIME] = (void *)(uintptr_t)t->on_processing_time;
    fns[WSYM_CLEAR] = (void *)(uintptr_t)t->clear;
    fns[WSYM_ON_MERGE] = (void *)(uintptr_t)t->on_merge;
  }
  if (x && x->agg) {
    fns[WSYM_CREATE] = (void *)(uintptr_t)x->agg->create;
    fns[WSYM_ADD] = (void *)(uintptr_t)x->agg->add;
    fns[WSYM_RESULT] = (void *)(uintptr_t)x->agg->result;
    fns[WSYM_MERGE] = (void *)(uintptr_t)x->agg->merge;
  }
  if (x && x->apply) fns[WSYM_APPLY] = (void *)(uintptr_t)x->apply;
  for (int i = 0; i < WSYM_N; i++) {
    sym[i] = NULL;
    if (fns[i] && !(sym[i] = api_udf_name(env, api, fns[i]))) {
      for (int j = 0; j < i; j++) sp_free(sym[j]);
      return false;
    }
  }
  return true;
}

static spate_stream *window_fn(spate_stream *w, const char *api, int fn_kind, void *fn,
                               const spate_schema *out_schema, const window_extra *x) {
  if (!need_windowed(w, api)) return NULL;
  if (!fn) return api_fail(w->env, "%s: the function must not be NULL", api), NULL;
  spate_window_assigner win = w->window;
  spate_trigger t = w->trigger;
  spate_evictor e = w->evictor;
  if (win.kind == SPATE_WINDOW_COUNT &&
      (t.kind != SPATE_TRIGGER_DEFAULT || t.purging || e.kind != SPATE_EVICTOR_NONE)) {
    /* countWindow is GlobalWindows with PurgingTrigger(CountTrigger(size)) (tumbling) or
     * CountTrigger(slide) + CountEvictor(size) (sliding); what was set replaces its part */
    if (t.kind == SPATE_TRIGGER_DEFAULT) {
      bool purging = t.purging || win.slide == 0;
      t = spate_count_trigger(win.slide > 0 ? win.slide : win.size);
      t.purging = purging;
    }
    if (e.kind == SPATE_EVICTOR_NONE && win.slide > 0) e = spate_count_evictor(win.size, false);
    win = spate_global_windows();
  }
  char *sym[WSYM_N];
  if (!window_symbols(w->env, api, &win, &t, x, sym)) return NULL;
  char *tfn = NULL, *efn = NULL;
  if (t.kind == SPATE_TRIGGER_DELTA &&
      !(tfn = api_udf_name(w->env, "spate_window_trigger", (void *)(uintptr_t)t.delta_fn)))
    return NULL;
  if (e.kind == SPATE_EVICTOR_DELTA &&
      !(efn = api_udf_name(w->env, "spate_window_evictor", (void *)(uintptr_t)e.delta_fn))) {
    sp_free(tfn);
    return NULL;
  }
  spate_stream *s =
      api_one_input(w, OP_WINDOW, api, w->window_all ? "Window All" : "Window", fn, out_schema);
  if (!s) {
    sp_free(tfn);
    sp_free(efn);
    return NULL;
  }
  if (w->window_all) { /* Flink's windowAll runs at parallelism 1 */
    w->env->g->nodes[s->node].parallelism = 1;
    w->env->g->nodes[s->node].parallelism_fixed = true;
  }
  const spate_window_assigner *a = &win;
  op_window_params p = {.assigner = (uint8_t)a->kind,
                        .domain = (uint8_t)a->domain,
                        .size = a->size,
                        .slide = a->slide,
                        .offset = a->offset,
                        .gap = a->gap,
                        .lateness = w->lateness,
                        .late_tag = w->late_tag,
                        .fn = (uint8_t)fn_kind,
                        .trigger = (uint8_t)t.kind,
                        .purging = t.purging,
                        .trigger_count = t.count,
                        .trigger_interval = t.interval_ms,
                        .trigger_threshold = t.delta_threshold,
                        .trigger_delta_fn = tfn,
                        .evictor = (uint8_t)e.kind,
                        .evict_after = e.evict_after,
                        .evictor_count = e.count,
                        .evictor_window = e.window_ms,
                        .evictor_threshold = e.threshold,
                        .evictor_delta_fn = efn,
                        .window_all = w->window_all,
                        .gap_fn = sym[WSYM_GAP],
                        .agg_create = sym[WSYM_CREATE],
                        .agg_add = sym[WSYM_ADD],
                        .agg_result = sym[WSYM_RESULT],
                        .agg_merge = sym[WSYM_MERGE],
                        .window_fn = sym[WSYM_APPLY],
                        .on_element = sym[WSYM_ON_ELEMENT],
                        .on_event_time = sym[WSYM_ON_EVENT_TIME],
                        .on_processing_time = sym[WSYM_ON_PROCESSING_TIME],
                        .on_clear = sym[WSYM_CLEAR],
                        .on_merge = sym[WSYM_ON_MERGE],
                        .acc_schema = x ? x->acc_schema : NULL,
                        .result_schema = x ? x->result_schema : NULL,
                        .arrival_order = w->arrival_order,
                        .process_fn = x && x->process};
  bool ok = api_set_params(w->env, s->node, &p);
  sp_free(tfn);
  sp_free(efn);
  for (int i = 0; i < WSYM_N; i++) sp_free(sym[i]);
  return ok ? s : NULL;
}

spate_stream *spate_window_reduce(spate_stream *w, spate_reduce_fn fn) {
  return window_fn(w, "spate_window_reduce", WINDOW_FN_REDUCE, (void *)(uintptr_t)fn,
                   w ? w->schema : NULL, NULL);
}

spate_stream *spate_window_apply(spate_stream *w, spate_window_fn fn, const spate_schema *out) {
  return window_fn(w, "spate_window_apply", WINDOW_FN_APPLY, (void *)(uintptr_t)fn, out, NULL);
}

spate_stream *spate_window_reduce_apply(spate_stream *w, spate_reduce_fn reduce_fn,
                                        spate_window_fn window_fn_, const spate_schema *out) {
  const char *api = "spate_window_reduce_apply";
  if (!need_windowed(w, api)) return NULL;
  if (!window_fn_) return api_fail(w->env, "%s: the window function must not be NULL", api), NULL;
  window_extra x = {.apply = window_fn_};
  return window_fn(w, api, WINDOW_FN_REDUCE, (void *)(uintptr_t)reduce_fn, out, &x);
}

/* Checks the aggregate functions and schemas of spate_window_aggregate[_apply]. */
static bool check_aggregate(spate_stream *w, const char *api, const spate_aggregate_fns *fns,
                            const spate_schema *acc, const spate_schema *result) {
  if (!need_windowed(w, api)) return false;
  const char *bad = NULL;
  if (!fns || !fns->create || !fns->add || !fns->result)
    bad = "the aggregate functions create, add and result must not be NULL";
  else if (!acc || !result)
    bad = "the accumulator and result schemas must not be NULL";
  else if (w->window.kind == SPATE_WINDOW_SESSION && !fns->merge)
    bad = "session windows merge accumulators: the aggregate needs a merge function";
  if (bad) api_fail(w->env, "%s: %s", api, bad);
  return !bad;
}

spate_stream *spate_window_aggregate(spate_stream *w, const spate_aggregate_fns *fns,
                                     const spate_schema *acc, const spate_schema *out) {
  const char *api = "spate_window_aggregate";
  if (!check_aggregate(w, api, fns, acc, out)) return NULL;
  window_extra x = {.agg = fns, .acc_schema = acc, .result_schema = out};
  return window_fn(w, api, WINDOW_FN_AGGREGATE, (void *)(uintptr_t)fns->add, out, &x);
}

spate_stream *spate_window_aggregate_apply(spate_stream *w, const spate_aggregate_fns *fns,
                                           const spate_schema *acc, const spate_schema *result,
                                           spate_window_fn window_fn_, const spate_schema *out) {
  const char *api = "spate_window_aggregate_apply";
  if (!check_aggregate(w, api, fns, acc, result)) return NULL;
  if (!window_fn_) return api_fail(w->env, "%s: the window function must not be NULL", api), NULL;
  window_extra x = {.agg = fns, .acc_schema = acc, .result_schema = result, .apply = window_fn_};
  return window_fn(w, api, WINDOW_FN_AGGREGATE, (void *)(uintptr_t)fns->add, out, &x);
}

/* ---- process window functions (spate/process_window.h) ---------------------------------------- */
spate_stream *spate_window_process(spate_stream *w, spate_process_window_fn fn,
                                   const spate_schema *out) {
  window_extra x = {.process = true};
  return window_fn(w, "spate_window_process", WINDOW_FN_APPLY, (void *)(uintptr_t)fn, out, &x);
}

spate_stream *spate_window_reduce_process(spate_stream *w, spate_reduce_fn reduce_fn,
                                          spate_process_window_fn window_fn_,
                                          const spate_schema *out) {
  const char *api = "spate_window_reduce_process";
  if (!need_windowed(w, api)) return NULL;
  if (!window_fn_) return api_fail(w->env, "%s: the window function must not be NULL", api), NULL;
  window_extra x = {.apply = (spate_window_fn)(uintptr_t)window_fn_, .process = true};
  return window_fn(w, api, WINDOW_FN_REDUCE, (void *)(uintptr_t)reduce_fn, out, &x);
}

spate_stream *spate_window_aggregate_process(spate_stream *w, const spate_aggregate_fns *fns,
                                             const spate_schema *acc, const spate_schema *result,
                                             spate_process_window_fn window_fn_,
                                             const spate_schema *out) {
  const char *api = "spate_window_aggregate_process";
  if (!check_aggregate(w, api, fns, acc, result)) return NULL;
  if (!window_fn_) return api_fail(w->env, "%s: the window function must not be NULL", api), NULL;
  window_extra x = {.agg = fns,
                    .acc_schema = acc,
                    .result_schema = result,
                    .apply = (spate_window_fn)(uintptr_t)window_fn_,
                    .process = true};
  return window_fn(w, api, WINDOW_FN_AGGREGATE, (void *)(uintptr_t)fns->add, out, &x);
}

spate_stream *spate_window_clear(spate_stream *s, spate_window_clear_fn clear) {
  const char *api = "spate_window_clear";
  if (!s || s->env->failed) return s;
  sg_node *n = s->node >= 0 ? &s->env->g->nodes[s->node] : NULL;
  op_window_params p;
  char err[SP_ERRMSG_MAX];
  if (!n || n->kind != OP_WINDOW || op_window_params_load(n, &p, err, sizeof err) < 0)
    return api_fail(s->env, "%s applies to the result of spate_window_process & co", api), s;
  if (!p.process_fn) {
    op_window_params_free(&p);
    return api_fail(s->env, "%s applies to the result of spate_window_process & co", api), s;
  }
  char *sym = clear ? api_udf_name(s->env, api, (void *)(uintptr_t)clear) : NULL;
  if (clear && !sym) {
    op_window_params_free(&p);
    return s;
  }
  const char *old = p.window_clear;
  p.window_clear = sym;
  int rc = op_window_params_store(n, &p);
  p.window_clear = old;
  op_window_params_free(&p);
  sp_free(sym);
  if (rc < 0) api_fail(s->env, "%s: out of memory", api);
  return s;
}
