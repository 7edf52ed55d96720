/*
 * connected_streams.c: the DataStream API's two-input operators: connected and broadcast
 * connected streams with their co-process function, the interval join and window joins and
 * coGroups. Connecting makes a virtual stream with two inputs (inputs[0] the first stream,
 * inputs[1] the second); the operator applied to it becomes one two-input node.
 */
#include <stdint.h>

#include "api/api.h"
#include "base/alloc.h"
#include "graph/op_params.h"
#include "types/schema.h"

/* ---- two inputs --------------------------------------------------------------------------------- */
/* Keys match when their field types do (names may differ, as Flink compares key types). */
static bool same_types(const spate_schema *x, const spate_schema *y) {
  if (!x || !y || x->nfields != y->nfields) return false;
  for (int i = 0; i < x->nfields; i++)
    if (!schema_type_equal(&x->fields[i], &y->fields[i])) return false;
  return true;
}

spate_stream *spate_connect(spate_stream *a, spate_stream *b) {
  if (!api_check_input("spate_connect", a) || !api_check_input("spate_connect", b)) return NULL;
  spate_env *env = a->env;
  if (b->env != env)
    return api_fail(env, "spate_connect: the streams belong to different environments"), NULL;
  if (a->ninputs != 1 || b->ninputs != 1 || a->windowed || b->windowed || a->connected ||
      b->connected)
    return api_fail(env,
                    "spate_connect: connect two plain or keyed streams (a union or a windowed "
                    "or connected stream cannot be connected yet)"),
           NULL;
  if (a->keyed != b->keyed)
    return api_fail(env,
                    "spate_connect: key both streams or neither (one is keyed, the other "
                    "is not)"),
           NULL;
  if (a->keyed && !same_types(a->inputs[0].key.key_schema, b->inputs[0].key.key_schema))
    return api_fail(env, "spate_connect: the keys of the two streams have different schemas"), NULL;
  spate_stream *s = api_virtual_copy(a, "spate_connect");
  if (!s) return NULL;
  stream_input *n = sp_realloc(s->inputs, sizeof *n * 2);
  if (!n) return api_fail(env, "out of memory"), NULL;
  s->inputs = n;
  if (api_stream_input_copy(&s->inputs[1], &b->inputs[0]) < 0)
    return api_fail(env, "out of memory"), NULL;
  s->ninputs = 2;
  s->connected = true;
  s->keyed = a->keyed;
  return s;
}

spate_stream *spate_interval_join(spate_stream *l, spate_stream *r, int64_t lower, int64_t upper,
                                  bool lower_exclusive, bool upper_exclusive, spate_join_fn fn,
                                  const spate_schema *out_schema) {
  if (!api_check_input("spate_interval_join", l) || !api_check_input("spate_interval_join", r))
    return NULL;
  spate_env *env = l->env;
  if (!l->keyed || !r->keyed)
    return api_fail(env, "spate_interval_join joins two keyed streams: call spate_key_by on both"),
           NULL;
  if (!fn) return api_fail(env, "spate_interval_join: the join function must not be NULL"), NULL;
  /* Flink: exclusive bounds move inwards by one millisecond; then lower <= upper */
  if ((lower_exclusive && lower == INT64_MAX) || (upper_exclusive && upper == INT64_MIN))
    return api_fail(env,
                    "spate_interval_join: an exclusive bound at the end of the time range "
                    "leaves nothing to join"),
           NULL;
  int64_t lo = lower_exclusive ? lower + 1 : lower, hi = upper_exclusive ? upper - 1 : upper;
  if (lo > hi)
    return api_fail(env,
                    "spate_interval_join: the lower bound (%lld%s) is greater than the upper "
                    "bound (%lld%s)",
                    (long long)lower, lower_exclusive ? ", exclusive" : "", (long long)upper,
                    upper_exclusive ? ", exclusive" : ""),
           NULL;
  spate_stream *c = spate_connect(l, r);
  if (!c) return NULL;
  spate_stream *s = api_one_input(c, OP_INTERVAL_JOIN, "spate_interval_join", "IntervalJoin",
                                  (void *)(uintptr_t)fn, out_schema);
  if (!s) return NULL;
  op_interval_join_params p = {.lower = lo, .upper = hi};
  return api_set_params(env, s->node, &p) ? s : NULL;
}

static spate_stream *window_two(spate_stream *l, spate_stream *r, spate_window_assigner a, void *fn,
                                const spate_schema *out_schema, int mode, const char *api) {
  if (!api_check_input(api, l) || !api_check_input(api, r)) return NULL;
  spate_env *env = l->env;
  if (!l->keyed || !r->keyed)
    return api_fail(env, "%s joins two keyed streams: call spate_key_by on both", api), NULL;
  if (!fn) return api_fail(env, "%s: the function must not be NULL", api), NULL;
  if ((a.kind != SPATE_WINDOW_TUMBLING && a.kind != SPATE_WINDOW_SLIDING &&
       a.kind != SPATE_WINDOW_SESSION) ||
      a.domain != SPATE_EVENT_TIME || (a.kind == SPATE_WINDOW_SESSION && a.gap_fn))
    return api_fail(env,
                    "%s: only tumbling, sliding and (static-gap) session event-time windows "
                    "are supported for joins",
                    api),
           NULL;
  if (a.kind == SPATE_WINDOW_SESSION) { /* the operator takes the gap as size and step */
    if (a.gap <= 0)
      return api_fail(env, "%s: the session gap must be positive, got %lld ms", api,
                      (long long)a.gap),
             NULL;
    a.size = a.slide = a.gap;
    a.offset = 0;
  }
  int64_t step = a.kind == SPATE_WINDOW_TUMBLING ? a.size : a.slide;
  if (a.size <= 0 || step <= 0 || step > a.size || a.offset <= -step || a.offset >= step)
    return api_fail(env, "%s: bad window (size %lld, slide %lld, offset %lld)", api,
                    (long long)a.size, (long long)a.slide, (long long)a.offset),
           NULL;
  spate_stream *c = spate_connect(l, r);
  if (!c) return NULL;
  spate_stream *s = api_one_input(c, OP_WINDOW_JOIN, api,
                                  mode == 1 ? "Window Join" : "Window CoGroup", fn, out_schema);
  if (!s) return NULL;
  op_window_join_params p = {.assigner = (uint8_t)a.kind,
                             .size = a.size,
                             .slide = a.kind == SPATE_WINDOW_TUMBLING ? a.size : a.slide,
                             .offset = a.offset,
                             .mode = (uint8_t)mode};
  return api_set_params(env, s->node, &p) ? s : NULL;
}

spate_stream *spate_window_join(spate_stream *l, spate_stream *r, spate_window_assigner a,
                                spate_join_fn fn, const spate_schema *out_schema) {
  return window_two(l, r, a, (void *)(uintptr_t)fn, out_schema, 1, "spate_window_join");
}

spate_stream *spate_window_cogroup(spate_stream *l, spate_stream *r, spate_window_assigner a,
                                   spate_cogroup_fn fn, const spate_schema *out_schema) {
  return window_two(l, r, a, (void *)(uintptr_t)fn, out_schema, 2, "spate_window_cogroup");
}

spate_stream *spate_connect_broadcast(spate_stream *in, spate_stream *bc) {
  if (!api_check_input("spate_connect_broadcast", in) ||
      !api_check_input("spate_connect_broadcast", bc))
    return NULL;
  spate_env *env = in->env;
  if (bc->env != env) return api_fail(env, "spate_connect_broadcast: different environments"), NULL;
  if (in->ninputs != 1 || bc->ninputs != 1 || in->windowed || bc->windowed || in->connected ||
      bc->connected || bc->keyed)
    return api_fail(env,
                    "spate_connect_broadcast: connect one plain or keyed stream with one "
                    "unkeyed stream to broadcast"),
           NULL;
  spate_stream *s = api_virtual_copy(in, "spate_connect_broadcast");
  if (!s) return NULL;
  stream_input *n = sp_realloc(s->inputs, sizeof *n * 2);
  if (!n) return api_fail(env, "out of memory"), NULL;
  s->inputs = n;
  if (api_stream_input_copy(&s->inputs[1], &bc->inputs[0]) < 0)
    return api_fail(env, "out of memory"), NULL;
  s->inputs[1].part = PART_BROADCAST;
  key_spec_free(&s->inputs[1].key);
  s->ninputs = 2;
  s->connected = true;
  s->broadcast = true;
  s->keyed = in->keyed;
  return s;
}

spate_stream *spate_co_process(spate_stream *c, spate_process_fn first, spate_process_fn second,
                               spate_timer_fn on_timer, const spate_schema *out_schema) {
  if (!api_check_input("spate_co_process", c)) return NULL;
  spate_env *env = c->env;
  if (!c->connected)
    return api_fail(env, "spate_co_process needs streams joined by spate_connect"), NULL;
  if (!first || !second)
    return api_fail(env, "spate_co_process: both functions are required"), NULL;
  char *timer =
      on_timer ? api_udf_name(env, "spate_co_process", (void *)(uintptr_t)on_timer) : NULL;
  char *snd = api_udf_name(env, "spate_co_process", (void *)(uintptr_t)second);
  if (env->failed) {
    sp_free(timer);
    sp_free(snd);
    return NULL;
  }
  const char *name = c->broadcast ? (c->keyed ? "KeyedBroadcastProcess" : "BroadcastProcess")
                                  : (c->keyed ? "KeyedCoProcess" : "CoProcess");
  spate_stream *s = api_one_input(c, OP_CO_PROCESS, "spate_co_process", name,
                                  (void *)(uintptr_t)first, out_schema);
  op_co_process_params p = {.on_timer = timer, .second = snd};
  bool ok = s && api_set_params(env, s->node, &p);
  sp_free(timer);
  sp_free(snd);
  return ok ? s : NULL;
}
