/*
 * transformations.c: the DataStream API's one-input operators: map, flat map, filter,
 * timestamps and watermarks, process functions, and a keyed stream's reduce and rolling
 * aggregations.
 */
#include <stdint.h>
#include <stdio.h>

#include "api/api.h"
#include "base/alloc.h"
#include "graph/op_params.h"
#include "types/schema.h"

/* ---- one-input operators ---------------------------------------------------------------------- */
spate_stream *spate_map(spate_stream *in, spate_map_fn fn, const spate_schema *out_schema) {
  if (in && !fn) return api_fail(in->env, "spate_map: the function must not be NULL"), NULL;
  return api_one_input(in, OP_MAP, "spate_map", "Map", (void *)(uintptr_t)fn, out_schema);
}

spate_stream *spate_flat_map(spate_stream *in, spate_flat_map_fn fn,
                             const spate_schema *out_schema) {
  if (in && !fn) return api_fail(in->env, "spate_flat_map: the function must not be NULL"), NULL;
  return api_one_input(in, OP_FLAT_MAP, "spate_flat_map", "Flat Map", (void *)(uintptr_t)fn,
                       out_schema);
}

spate_stream *spate_filter(spate_stream *in, spate_filter_fn fn) {
  if (in && !fn) return api_fail(in->env, "spate_filter: the function must not be NULL"), NULL;
  return api_one_input(in, OP_FILTER, "spate_filter", "Filter", (void *)(uintptr_t)fn,
                       in ? in->schema : NULL);
}

/* ---- event time -------------------------------------------------------------------------------- */
static spate_stream *timestamps(spate_stream *in, const char *api, int field, void *fn,
                                spate_watermarks kind, int64_t bound, void *on_event,
                                void *on_periodic) {
  if (!api_check_input(api, in)) return NULL;
  spate_env *env = in->env;
  if ((unsigned)kind > SPATE_WATERMARKS_CUSTOM)
    return api_fail(env, "%s: unknown watermark strategy %d", api, (int)kind), NULL;
  if (bound < 0)
    return api_fail(env, "%s: the out-of-orderness bound must not be negative, got %lld ms", api,
                    (long long)bound),
           NULL;
  if (!fn) {
    if (field < 0 || field >= in->schema->nfields)
      return api_fail(env, "%s: timestamp field %d is out of range: the stream has %d field%s", api,
                      field, in->schema->nfields, in->schema->nfields == 1 ? "" : "s"),
             NULL;
    /* TIMESTAMP(p) and TIMESTAMP_LTZ(p) with p <= 3 hold epoch milliseconds in the slot */
    spate_type t = in->schema->fields[field].type;
    bool ts = t == SPATE_TIMESTAMP || t == SPATE_TIMESTAMP_LTZ;
    if ((!ts && t != SPATE_BIGINT && t != SPATE_INT) ||
        (ts && in->schema->fields[field].precision > 3))
      return api_fail(env,
                      "%s: timestamp field %d '%s' is %s; it must be TIMESTAMP(p) or "
                      "TIMESTAMP_LTZ(p) with p <= 3, BIGINT or INT",
                      api, field, in->schema->fields[field].name, schema_type_name(t)),
             NULL;
  }
  char *ev = on_event ? api_udf_name(env, api, on_event) : NULL;
  char *per = on_periodic ? api_udf_name(env, api, on_periodic) : NULL;
  if (env->failed) {
    sp_free(ev);
    sp_free(per);
    return NULL;
  }
  spate_stream *s = api_one_input(in, OP_TIMESTAMPS, api, "Timestamps/Watermarks", fn, in->schema);
  if (!s) {
    sp_free(ev);
    sp_free(per);
    return NULL;
  }
  op_timestamps_params p = {.watermarks = (uint8_t)kind,
                            .bound = kind == SPATE_WATERMARKS_BOUNDED ? bound : 0,
                            .idleness = 0, /* spate_with_idleness */
                            .field = fn ? -1 : field,
                            .on_event = ev,
                            .on_periodic = per,
                            .interval = -1}; /* from the configuration at execution */
  bool ok = api_set_params(env, s->node, &p);
  sp_free(ev);
  sp_free(per);
  return ok ? s : NULL;
}

spate_stream *spate_assign_timestamps(spate_stream *in, int timestamp_field,
                                      spate_watermarks watermarks, int64_t bound) {
  if (in && !in->env->failed && watermarks == SPATE_WATERMARKS_CUSTOM)
    return api_fail(in->env,
                    "spate_assign_timestamps: use spate_assign_watermarks_custom for a "
                    "custom watermark generator"),
           NULL;
  return timestamps(in, "spate_assign_timestamps", timestamp_field, NULL, watermarks, bound, NULL,
                    NULL);
}

spate_stream *spate_assign_timestamps_fn(spate_stream *in, spate_timestamp_fn fn,
                                         spate_watermarks watermarks, int64_t bound) {
  if (in && !fn)
    return api_fail(in->env, "spate_assign_timestamps_fn: the function must not be NULL"), NULL;
  if (in && !in->env->failed && watermarks == SPATE_WATERMARKS_CUSTOM)
    return api_fail(in->env,
                    "spate_assign_timestamps_fn: use spate_assign_watermarks_custom for "
                    "a custom watermark generator"),
           NULL;
  return timestamps(in, "spate_assign_timestamps_fn", -1, (void *)(uintptr_t)fn, watermarks, bound,
                    NULL, NULL);
}

spate_stream *spate_assign_watermarks_custom(spate_stream *in, int timestamp_field,
                                             spate_timestamp_fn ts_fn, spate_watermark_fn on_event,
                                             spate_periodic_watermark_fn on_periodic) {
  if (in && !in->env->failed && timestamp_field < 0 && !ts_fn)
    return api_fail(in->env,
                    "spate_assign_watermarks_custom: give a timestamp field or a "
                    "timestamp function"),
           NULL;
  return timestamps(in, "spate_assign_watermarks_custom", timestamp_field,
                    timestamp_field < 0 ? (void *)(uintptr_t)ts_fn : NULL, SPATE_WATERMARKS_CUSTOM,
                    0, (void *)(uintptr_t)on_event, (void *)(uintptr_t)on_periodic);
}

spate_stream *spate_with_idleness(spate_stream *s, int64_t idle_timeout_ms) {
  if (!s || s->env->failed) return s;
  if (s->node < 0 || s->env->g->nodes[s->node].kind != OP_TIMESTAMPS)
    return api_fail(s->env, "spate_with_idleness applies to the result of spate_assign_timestamps"),
           s;
  if (idle_timeout_ms <= 0)
    return api_fail(s->env, "spate_with_idleness: the idle timeout must be positive, got %lld ms",
                    (long long)idle_timeout_ms),
           s;
  sg_node *n = &s->env->g->nodes[s->node];
  op_timestamps_params p;
  char err[SP_ERRMSG_MAX];
  int rc = op_timestamps_params_load(n, &p, err, sizeof err);
  if (rc == 0) {
    p.idleness = idle_timeout_ms;
    rc = op_timestamps_params_store(n, &p);
    op_timestamps_params_free(&p);
    if (rc < 0) snprintf(err, sizeof err, "out of memory");
  }
  if (rc < 0) api_fail(s->env, "spate_with_idleness: %s", err);
  return s;
}

spate_stream *spate_process(spate_stream *in, spate_process_fn fn, spate_timer_fn on_timer,
                            const spate_schema *out_schema) {
  if (in && !fn) return api_fail(in->env, "spate_process: the function must not be NULL"), NULL;
  if (!api_check_input("spate_process", in)) return NULL;
  char *timer = NULL;
  if (on_timer && !(timer = api_udf_name(in->env, "spate_process", (void *)(uintptr_t)on_timer)))
    return NULL;
  spate_stream *s =
      api_one_input(in, OP_PROCESS, "spate_process", in->keyed ? "KeyedProcess" : "Process",
                    (void *)(uintptr_t)fn, out_schema);
  if (!s) {
    sp_free(timer);
    return NULL;
  }
  op_process_params p = {.on_timer = timer};
  bool ok = api_set_params(in->env, s->node, &p);
  sp_free(timer);
  return ok ? s : NULL;
}

/* ---- keyed operators --------------------------------------------------------------------------- */
static bool need_keyed(spate_stream *in, const char *api) {
  if (!api_check_input(api, in)) return false;
  if (!in->keyed) {
    api_fail(in->env, "%s needs a keyed stream: call spate_key_by first", api);
    return false;
  }
  return true;
}

spate_stream *spate_reduce(spate_stream *keyed_in, spate_reduce_fn fn) {
  if (!need_keyed(keyed_in, "spate_reduce")) return NULL;
  if (!fn) return api_fail(keyed_in->env, "spate_reduce: the function must not be NULL"), NULL;
  return api_one_input(keyed_in, OP_REDUCE, "spate_reduce", "Keyed Reduce", (void *)(uintptr_t)fn,
                       keyed_in->schema);
}

static spate_stream *aggregate(spate_stream *in, agg_kind agg, int field, const char *api) {
  if (!need_keyed(in, api)) return NULL;
  spate_env *env = in->env;
  if (field < 0 || field >= in->schema->nfields)
    return api_fail(env, "%s: field %d is out of range: the stream has %d field%s", api, field,
                    in->schema->nfields, in->schema->nfields == 1 ? "" : "s"),
           NULL;
  spate_type t = in->schema->fields[field].type;
  if (agg == AGG_SUM && t != SPATE_INT && t != SPATE_BIGINT && t != SPATE_DOUBLE &&
      t != SPATE_TINYINT && t != SPATE_SMALLINT && t != SPATE_FLOAT)
    return api_fail(env,
                    "%s: field %d '%s' is %s; sum needs TINYINT, SMALLINT, INT, BIGINT, FLOAT or "
                    "DOUBLE",
                    api, field, in->schema->fields[field].name, schema_type_name(t)),
           NULL;
  if (agg != AGG_SUM && (t == SPATE_BOOLEAN || type_is_composite(t)))
    return api_fail(env, "%s: field %d '%s' is %s, which has no order", api, field,
                    in->schema->fields[field].name, schema_type_name(t)),
           NULL;
  spate_stream *s = api_one_input(in, OP_AGG, api, "Keyed Aggregation", NULL, in->schema);
  if (!s) return NULL;
  op_agg_params p = {.agg = (uint8_t)agg, .field = field};
  return api_set_params(env, s->node, &p) ? s : NULL;
}

spate_stream *spate_sum(spate_stream *k, int field) {
  return aggregate(k, AGG_SUM, field, "spate_sum");
}
spate_stream *spate_min(spate_stream *k, int field) {
  return aggregate(k, AGG_MIN, field, "spate_min");
}
spate_stream *spate_max(spate_stream *k, int field) {
  return aggregate(k, AGG_MAX, field, "spate_max");
}
spate_stream *spate_min_by(spate_stream *k, int field) {
  return aggregate(k, AGG_MIN_BY, field, "spate_min_by");
}
spate_stream *spate_max_by(spate_stream *k, int field) {
  return aggregate(k, AGG_MAX_BY, field, "spate_max_by");
}
