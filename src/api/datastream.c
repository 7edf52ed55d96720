/*
 * datastream.c: the DataStream builder functions of spate.h. Each adds a StreamGraph node (or a
 * virtual stream) and checks its arguments at once, so a mistake is reported with the function
 * and operator it concerns rather than when the job runs.
 *
 * UDFs are named here: dladdr must find an exported symbol exactly at the function's address,
 * which rules out static functions (and executables linked without -rdynamic) with a message
 * saying so; the object holding the symbol becomes the job's artifact.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "types/row.h"
#include "types/schema.h"

static spate_stream *virtual_copy(spate_stream *in, const char *api);
static bool need_windowed(spate_stream *w, const char *api);
static int stream_input_copy(stream_input *dst, const stream_input *src);

static spate_stream *new_stream(spate_env *env, int node, const spate_schema *schema) {
  spate_stream *s = sp_calloc(1, sizeof *s);
  spate_stream **n = s ? sp_realloc(env->streams, sizeof *n * (size_t)(env->nstreams + 1)) : NULL;
  if (!n) {
    sp_free(s);
    api_fail(env, "out of memory");
    return NULL;
  }
  env->streams = n;
  env->streams[env->nstreams++] = s;
  s->env = env;
  s->node = node;
  s->schema = schema;
  if (node >= 0) {
    s->inputs = sp_calloc(1, sizeof *s->inputs);
    if (!s->inputs) {
      api_fail(env, "out of memory");
      return NULL;
    }
    s->inputs[0].node = node;
    s->ninputs = 1;
  }
  return s;
}

/* Resolves a function pointer to its symbol name, checking that it can be found again. */
static char *udf_name(spate_env *env, const char *api, void *fn) {
  if (env->failed) return NULL;
  if (!fn) {
    api_fail(env, "%s: the function must not be NULL", api);
    return NULL;
  }
  Dl_info info;
  if (!dladdr(fn, &info) || !info.dli_sname || info.dli_saddr != fn) {
    api_fail(env,
             "%s: the function at %p cannot be named: user functions must have external "
             "linkage (not static) so that they can be found by name where the job runs%s",
             api, fn, " (a job linked as an executable also needs -rdynamic)");
    return NULL;
  }
  /* the object holding it: a shared object (found again by dlopen) or the main program */
  char *artifact = NULL;
  void *h = info.dli_fname ? dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD) : NULL;
  if (h) {
    void *main_prog = dlopen(NULL, RTLD_NOW);
    if (h != main_prog) artifact = realpath(info.dli_fname, NULL);
    dlclose(h);
    if (main_prog) dlclose(main_prog);
  }
  char *mine = artifact ? sp_strdup(artifact) : NULL;
  free(artifact);
  if (!env->artifact_known) {
    env->artifact = mine; /* the environment keeps it */
    env->artifact_known = true;
    mine = NULL;
  } else if ((env->artifact == NULL) != (mine == NULL) ||
             (mine && strcmp(mine, env->artifact) != 0)) {
    api_fail(env, "%s: function '%s' lives in %s but earlier functions live in %s; all user "
             "functions of a job must come from one object",
             api, info.dli_sname, mine ? mine : "the program",
             env->artifact ? env->artifact : "the program");
    sp_free(mine);
    return NULL;
  }
  sp_free(mine);
  char *name = sp_strdup(info.dli_sname);
  if (!name) api_fail(env, "out of memory");
  return name;
}

static sg_node *add_node(spate_env *env, op_kind kind, const char *name, int *id) {
  if (env->failed) return NULL;
  sg_node *n = sg_add_node(env->g, kind, name);
  if (!n) {
    api_fail(env, "out of memory");
    return NULL;
  }
  *id = n->id;
  return n;
}

static bool set_params(spate_env *env, int id, sp_writer *w) {
  if (w->failed) {
    sp_writer_free(w);
    api_fail(env, "out of memory");
    return false;
  }
  sg_node *n = &env->g->nodes[id];
  n->params = sp_writer_take(w, &n->params_len);
  return true;
}

/* Connects a new node to what feeds it. */
static bool connect_inputs(spate_env *env, int id, const spate_stream *in) {
  for (int k = 0; k < in->ninputs; k++) {
    const stream_input *si = &in->inputs[k];
    sg_edge *e = sg_add_input(env->g, id, si->node, si->part);
    if (!e || key_spec_copy(&e->key, &si->key) < 0 ||
        (si->partition_fn && !(e->partition_fn = sp_strdup(si->partition_fn))) ||
        (si->side_tag && !(e->side_tag = sp_strdup(si->side_tag)))) {
      api_fail(env, "out of memory");
      return false;
    }
    if (si->side_schema) e->side_schema = schema_ref(si->side_schema);
  }
  return true;
}

static bool check_input(const char *api, const spate_stream *in) {
  if (!in) return false;
  return !in->env->failed;
}

/* ---- sources ---------------------------------------------------------------------------------- */
static const spate_schema *line_schema(spate_env *env) {
  return spate_env_schema(env, "f0 STRING NOT NULL");
}

static spate_stream *source(spate_env *env, op_kind kind, const char *name,
                            const spate_schema *schema, sp_writer *params, bool fixed) {
  int id;
  if (!schema || !add_node(env, kind, name, &id)) {
    sp_writer_free(params);
    return NULL;
  }
  sg_node *n = &env->g->nodes[id];
  n->out_schema = schema_ref(schema);
  n->chaining = CHAIN_HEAD;
  if (fixed) {
    n->parallelism = 1;
    n->parallelism_fixed = true;
  }
  if (!set_params(env, id, params)) return NULL;
  return new_stream(env, id, schema);
}

spate_stream *spate_from_strings(spate_env *env, const char *const *items, size_t n) {
  if (env->failed) return NULL;
  if (!items && n) return api_fail(env, "spate_from_strings: items is NULL"), NULL;
  const spate_schema *schema = line_schema(env);
  if (!schema) return NULL;
  spate_row_builder *b = spate_rb_new(schema);
  if (!b) return api_fail(env, "out of memory"), NULL;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u32(&w, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    if (!items[i]) {
      spate_rb_free(b);
      sp_writer_free(&w);
      return api_fail(env, "spate_from_strings: item %zu is NULL", i), NULL;
    }
    size_t len = strlen(items[i]);
    if (utf8_invalid_at(items[i], len) >= 0) {
      spate_rb_free(b);
      sp_writer_free(&w);
      return api_fail(env, "spate_from_strings: item %zu is not valid UTF-8 (byte %ld)", i,
                      utf8_invalid_at(items[i], len)), NULL;
    }
    spate_row row;
    spate_rb_begin(b);
    spate_rb_set_string(b, 0, items[i], len);
    spate_rb_finish(b, &row);
    sp_put_blob(&w, row.data, row.len);
  }
  spate_rb_free(b);
  return source(env, OP_SRC_ELEMENTS, "Source: Collection Source", schema, &w, true);
}

spate_stream *spate_from_rows(spate_env *env, const spate_schema *schema, const spate_row *rows,
                              size_t n) {
  if (env->failed) return NULL;
  if (!schema || (!rows && n)) return api_fail(env, "spate_from_rows: schema or rows is NULL"), NULL;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u32(&w, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    char err[256];
    if (rows[i].nfields != (uint32_t)schema->nfields ||
        row_validate(rows[i].data, rows[i].len, schema, true, err, sizeof err) < 0) {
      sp_writer_free(&w);
      return api_fail(env, "spate_from_rows: row %zu does not match the schema: %s", i,
                      rows[i].nfields != (uint32_t)schema->nfields ? "wrong field count" : err),
             NULL;
    }
    sp_put_blob(&w, rows[i].data, rows[i].len);
  }
  return source(env, OP_SRC_ELEMENTS, "Source: Collection Source", schema, &w, true);
}

spate_stream *spate_read_text_file(spate_env *env, const char *path) {
  return spate_read_text_files(env, &path, 1);
}

spate_stream *spate_read_text_files(spate_env *env, const char *const *paths, size_t n) {
  if (env->failed) return NULL;
  if (n == 0 || !paths) return api_fail(env, "spate_read_text_files: no input paths given"), NULL;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u32(&w, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    if (!paths[i] || !paths[i][0]) {
      sp_writer_free(&w);
      return api_fail(env, "spate_read_text_files: input path %zu is empty", i + 1), NULL;
    }
    sp_put_str(&w, paths[i]);
  }
  return source(env, OP_SRC_FILE, "Source: File Source", line_schema(env), &w, false);
}

spate_stream *spate_from_sequence(spate_env *env, int64_t from, int64_t to) {
  if (env->failed) return NULL;
  if (to < from)
    return api_fail(env, "spate_from_sequence: 'to' (%lld) is smaller than 'from' (%lld)",
                    (long long)to, (long long)from), NULL;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_i64(&w, from);
  sp_put_i64(&w, to);
  return source(env, OP_SRC_SEQUENCE, "Source: Sequence Source",
                spate_env_schema(env, "value BIGINT NOT NULL"), &w, false);
}

/* A generator source; params: i64 count (-1: unbounded), u64 bits of the records per second
 * (0: no limit), i64 records per checkpoint (0: no limit). */
static spate_stream *generate(spate_env *env, const char *api, const spate_schema *schema,
                              spate_generator_fn fn, int64_t count, double per_second,
                              int64_t per_checkpoint) {
  if (env->failed) return NULL;
  if (!schema) return api_fail(env, "%s: schema is NULL", api), NULL;
  char *name = udf_name(env, api, (void *)(uintptr_t)fn);
  if (!name) return NULL;
  uint64_t rate_bits;
  memcpy(&rate_bits, &per_second, 8);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_i64(&w, count < 0 ? -1 : count);
  sp_put_u64(&w, rate_bits);
  sp_put_i64(&w, per_checkpoint);
  spate_stream *s = source(env, OP_SRC_GENERATOR, "Source: Generator Source", schema, &w, false);
  if (s)
    env->g->nodes[s->node].udf = name;
  else
    sp_free(name);
  return s;
}

spate_stream *spate_generate(spate_env *env, const spate_schema *schema, spate_generator_fn fn,
                             int64_t count) {
  return generate(env, "spate_generate", schema, fn, count, 0, 0);
}

spate_stream *spate_generate_rate_limited(spate_env *env, const spate_schema *schema,
                                          spate_generator_fn fn, int64_t count,
                                          double records_per_second) {
  if (!env->failed && !(records_per_second > 0 && records_per_second <= 1e12))
    return api_fail(env, "spate_generate_rate_limited: %g records per second is not in (0, 1e12]",
                    records_per_second), NULL;
  return generate(env, "spate_generate_rate_limited", schema, fn, count, records_per_second, 0);
}

spate_stream *spate_generate_per_checkpoint(spate_env *env, const spate_schema *schema,
                                            spate_generator_fn fn, int64_t count,
                                            int64_t records_per_checkpoint) {
  if (!env->failed && records_per_checkpoint <= 0)
    return api_fail(env, "spate_generate_per_checkpoint: %lld records per checkpoint is not "
                    "positive", (long long)records_per_checkpoint), NULL;
  return generate(env, "spate_generate_per_checkpoint", schema, fn, count, 0,
                  records_per_checkpoint);
}

spate_stream *spate_socket_text_stream(spate_env *env, const char *host, int port) {
  if (env->failed) return NULL;
  if (!host || !host[0]) return api_fail(env, "spate_socket_text_stream: no host given"), NULL;
  if (port < 1 || port > 65535)
    return api_fail(env, "spate_socket_text_stream: port %d is not in 1..65535", port), NULL;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, host);
  sp_put_i32(&w, port);
  return source(env, OP_SRC_SOCKET, "Source: Socket Stream", line_schema(env), &w, true);
}

/* ---- one-input operators ---------------------------------------------------------------------- */
static spate_stream *one_input(spate_stream *in, op_kind kind, const char *api, const char *name,
                               void *fn, const spate_schema *out_schema) {
  if (!check_input(api, in)) return NULL;
  spate_env *env = in->env;
  if (!out_schema) return api_fail(env, "%s: the output schema must not be NULL", api), NULL;
  char *udf = NULL;
  if (fn && !(udf = udf_name(env, api, fn))) return NULL;
  int id;
  sg_node *n = add_node(env, kind, name, &id);
  if (!n) {
    sp_free(udf);
    return NULL;
  }
  n->udf = udf;
  n->out_schema = schema_ref(out_schema);
  if (in->keyed && (kind == OP_REDUCE || kind == OP_AGG || kind == OP_PROCESS || kind == OP_WINDOW ||
                    kind == OP_CO_PROCESS || kind == OP_INTERVAL_JOIN || kind == OP_WINDOW_JOIN) &&
      key_spec_copy(&env->g->nodes[id].key, &in->inputs[0].key) < 0) {
    api_fail(env, "out of memory");
    return NULL;
  }
  if (!connect_inputs(env, id, in)) return NULL;
  return new_stream(env, id, out_schema);
}

spate_stream *spate_map(spate_stream *in, spate_map_fn fn, const spate_schema *out_schema) {
  if (in && !fn) return api_fail(in->env, "spate_map: the function must not be NULL"), NULL;
  return one_input(in, OP_MAP, "spate_map", "Map", (void *)(uintptr_t)fn, out_schema);
}

spate_stream *spate_flat_map(spate_stream *in, spate_flat_map_fn fn,
                             const spate_schema *out_schema) {
  if (in && !fn) return api_fail(in->env, "spate_flat_map: the function must not be NULL"), NULL;
  return one_input(in, OP_FLAT_MAP, "spate_flat_map", "Flat Map", (void *)(uintptr_t)fn, out_schema);
}

spate_stream *spate_filter(spate_stream *in, spate_filter_fn fn) {
  if (in && !fn) return api_fail(in->env, "spate_filter: the function must not be NULL"), NULL;
  return one_input(in, OP_FILTER, "spate_filter", "Filter", (void *)(uintptr_t)fn,
                   in ? in->schema : NULL);
}

/* ---- event time -------------------------------------------------------------------------------- */
static spate_stream *timestamps(spate_stream *in, const char *api, int field, void *fn,
                                spate_watermarks kind, int64_t bound, void *on_event,
                                void *on_periodic) {
  if (!check_input(api, in)) return NULL;
  spate_env *env = in->env;
  if ((unsigned)kind > SPATE_WATERMARKS_CUSTOM)
    return api_fail(env, "%s: unknown watermark strategy %d", api, (int)kind), NULL;
  if (bound < 0)
    return api_fail(env, "%s: the out-of-orderness bound must not be negative, got %lld ms", api,
                    (long long)bound), NULL;
  if (!fn) {
    if (field < 0 || field >= in->schema->nfields)
      return api_fail(env, "%s: timestamp field %d is out of range: the stream has %d field%s", api,
                      field, in->schema->nfields, in->schema->nfields == 1 ? "" : "s"), NULL;
    spate_type t = in->schema->fields[field].type;
    if (t != SPATE_TIMESTAMP && t != SPATE_BIGINT && t != SPATE_INT)
      return api_fail(env, "%s: timestamp field %d '%s' is %s; it must be TIMESTAMP, BIGINT or INT",
                      api, field, in->schema->fields[field].name, schema_type_name(t)), NULL;
  }
  char *ev = on_event ? udf_name(env, api, on_event) : NULL;
  char *per = on_periodic ? udf_name(env, api, on_periodic) : NULL;
  if (env->failed) {
    sp_free(ev);
    sp_free(per);
    return NULL;
  }
  spate_stream *s = one_input(in, OP_TIMESTAMPS, api, "Timestamps/Watermarks", fn, in->schema);
  if (!s) {
    sp_free(ev);
    sp_free(per);
    return NULL;
  }
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u8(&w, (uint8_t)kind);
  sp_put_i64(&w, kind == SPATE_WATERMARKS_BOUNDED ? bound : 0);
  sp_put_i64(&w, 0);  /* idleness: spate_with_idleness */
  sp_put_i32(&w, fn ? -1 : field);
  sp_put_str(&w, ev);
  sp_put_str(&w, per);
  sp_put_i64(&w, -1); /* periodic interval: from the configuration at execution */
  sp_free(ev);
  sp_free(per);
  return set_params(env, s->node, &w) ? s : NULL;
}

spate_stream *spate_assign_timestamps(spate_stream *in, int timestamp_field,
                                      spate_watermarks watermarks, int64_t bound) {
  if (in && !in->env->failed && watermarks == SPATE_WATERMARKS_CUSTOM)
    return api_fail(in->env, "spate_assign_timestamps: use spate_assign_watermarks_custom for a "
                    "custom watermark generator"), NULL;
  return timestamps(in, "spate_assign_timestamps", timestamp_field, NULL, watermarks, bound, NULL,
                    NULL);
}

spate_stream *spate_assign_timestamps_fn(spate_stream *in, spate_timestamp_fn fn,
                                         spate_watermarks watermarks, int64_t bound) {
  if (in && !fn) return api_fail(in->env, "spate_assign_timestamps_fn: the function must not be NULL"), NULL;
  if (in && !in->env->failed && watermarks == SPATE_WATERMARKS_CUSTOM)
    return api_fail(in->env, "spate_assign_timestamps_fn: use spate_assign_watermarks_custom for "
                    "a custom watermark generator"), NULL;
  return timestamps(in, "spate_assign_timestamps_fn", -1, (void *)(uintptr_t)fn, watermarks, bound,
                    NULL, NULL);
}

spate_stream *spate_assign_watermarks_custom(spate_stream *in, int timestamp_field,
                                             spate_timestamp_fn ts_fn, spate_watermark_fn on_event,
                                             spate_periodic_watermark_fn on_periodic) {
  if (in && !in->env->failed && timestamp_field < 0 && !ts_fn)
    return api_fail(in->env, "spate_assign_watermarks_custom: give a timestamp field or a "
                    "timestamp function"), NULL;
  return timestamps(in, "spate_assign_watermarks_custom", timestamp_field,
                    timestamp_field < 0 ? (void *)(uintptr_t)ts_fn : NULL, SPATE_WATERMARKS_CUSTOM,
                    0, (void *)(uintptr_t)on_event, (void *)(uintptr_t)on_periodic);
}

spate_stream *spate_with_idleness(spate_stream *s, int64_t idle_timeout_ms) {
  if (!s || s->env->failed) return s;
  if (s->node < 0 || s->env->g->nodes[s->node].kind != OP_TIMESTAMPS)
    return api_fail(s->env, "spate_with_idleness applies to the result of spate_assign_timestamps"), s;
  if (idle_timeout_ms <= 0)
    return api_fail(s->env, "spate_with_idleness: the idle timeout must be positive, got %lld ms",
                    (long long)idle_timeout_ms), s;
  sg_node *n = &s->env->g->nodes[s->node];
  sp_patch_i64(n->params + 1 + 8, idle_timeout_ms); /* layout: see OP_TIMESTAMPS */
  return s;
}

spate_stream *spate_process(spate_stream *in, spate_process_fn fn, spate_timer_fn on_timer,
                            const spate_schema *out_schema) {
  if (in && !fn) return api_fail(in->env, "spate_process: the function must not be NULL"), NULL;
  if (!check_input("spate_process", in)) return NULL;
  char *timer = NULL;
  if (on_timer && !(timer = udf_name(in->env, "spate_process", (void *)(uintptr_t)on_timer)))
    return NULL;
  spate_stream *s = one_input(in, OP_PROCESS, "spate_process",
                              in->keyed ? "KeyedProcess" : "Process", (void *)(uintptr_t)fn,
                              out_schema);
  if (!s) {
    sp_free(timer);
    return NULL;
  }
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, timer);
  sp_free(timer);
  return set_params(in->env, s->node, &w) ? s : NULL;
}

/* ---- two inputs --------------------------------------------------------------------------------- */
/* Keys match when their field types do (names may differ, as Flink compares key types). */
static bool same_types(const spate_schema *x, const spate_schema *y) {
  if (!x || !y || x->nfields != y->nfields) return false;
  for (int i = 0; i < x->nfields; i++)
    if (x->fields[i].type != y->fields[i].type) return false;
  return true;
}

spate_stream *spate_connect(spate_stream *a, spate_stream *b) {
  if (!check_input("spate_connect", a) || !check_input("spate_connect", b)) return NULL;
  spate_env *env = a->env;
  if (b->env != env) return api_fail(env, "spate_connect: the streams belong to different environments"), NULL;
  if (a->ninputs != 1 || b->ninputs != 1 || a->windowed || b->windowed || a->connected || b->connected)
    return api_fail(env, "spate_connect: connect two plain or keyed streams (a union or a windowed "
                    "or connected stream cannot be connected yet)"), NULL;
  if (a->keyed != b->keyed)
    return api_fail(env, "spate_connect: key both streams or neither (one is keyed, the other "
                    "is not)"), NULL;
  if (a->keyed && !same_types(a->inputs[0].key.key_schema, b->inputs[0].key.key_schema))
    return api_fail(env, "spate_connect: the keys of the two streams have different schemas"), NULL;
  spate_stream *s = virtual_copy(a, "spate_connect");
  if (!s) return NULL;
  stream_input *n = sp_realloc(s->inputs, sizeof *n * 2);
  if (!n) return api_fail(env, "out of memory"), NULL;
  s->inputs = n;
  if (stream_input_copy(&s->inputs[1], &b->inputs[0]) < 0) return api_fail(env, "out of memory"), NULL;
  s->ninputs = 2;
  s->connected = true;
  s->keyed = a->keyed;
  return s;
}

spate_stream *spate_interval_join(spate_stream *l, spate_stream *r, int64_t lower, int64_t upper,
                                  bool lower_exclusive, bool upper_exclusive, spate_join_fn fn,
                                  const spate_schema *out_schema) {
  if (!check_input("spate_interval_join", l) || !check_input("spate_interval_join", r)) return NULL;
  spate_env *env = l->env;
  if (!l->keyed || !r->keyed)
    return api_fail(env, "spate_interval_join joins two keyed streams: call spate_key_by on both"), NULL;
  if (!fn) return api_fail(env, "spate_interval_join: the join function must not be NULL"), NULL;
  /* Flink: exclusive bounds move inwards by one millisecond; then lower <= upper */
  if ((lower_exclusive && lower == INT64_MAX) || (upper_exclusive && upper == INT64_MIN))
    return api_fail(env, "spate_interval_join: an exclusive bound at the end of the time range "
                    "leaves nothing to join"), NULL;
  int64_t lo = lower_exclusive ? lower + 1 : lower, hi = upper_exclusive ? upper - 1 : upper;
  if (lo > hi)
    return api_fail(env, "spate_interval_join: the lower bound (%lld%s) is greater than the upper "
                    "bound (%lld%s)", (long long)lower, lower_exclusive ? ", exclusive" : "",
                    (long long)upper, upper_exclusive ? ", exclusive" : ""), NULL;
  spate_stream *c = spate_connect(l, r);
  if (!c) return NULL;
  spate_stream *s = one_input(c, OP_INTERVAL_JOIN, "spate_interval_join", "IntervalJoin",
                              (void *)(uintptr_t)fn, out_schema);
  if (!s) return NULL;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, NULL);
  sp_put_i64(&w, lo);
  sp_put_i64(&w, hi);
  return set_params(env, s->node, &w) ? s : NULL;
}

static spate_stream *window_two(spate_stream *l, spate_stream *r, spate_window_assigner a,
                                void *fn, const spate_schema *out_schema, int mode,
                                const char *api) {
  if (!check_input(api, l) || !check_input(api, r)) return NULL;
  spate_env *env = l->env;
  if (!l->keyed || !r->keyed)
    return api_fail(env, "%s joins two keyed streams: call spate_key_by on both", api), NULL;
  if (!fn) return api_fail(env, "%s: the function must not be NULL", api), NULL;
  if ((a.kind != SPATE_WINDOW_TUMBLING && a.kind != SPATE_WINDOW_SLIDING &&
       a.kind != SPATE_WINDOW_SESSION) ||
      a.domain != SPATE_EVENT_TIME || (a.kind == SPATE_WINDOW_SESSION && a.gap_fn))
    return api_fail(env, "%s: only tumbling, sliding and (static-gap) session event-time windows "
                    "are supported for joins", api), NULL;
  if (a.kind == SPATE_WINDOW_SESSION) { /* the operator takes the gap as size and step */
    if (a.gap <= 0)
      return api_fail(env, "%s: the session gap must be positive, got %lld ms", api, (long long)a.gap), NULL;
    a.size = a.slide = a.gap;
    a.offset = 0;
  }
  int64_t step = a.kind == SPATE_WINDOW_TUMBLING ? a.size : a.slide;
  if (a.size <= 0 || step <= 0 || step > a.size || a.offset <= -step || a.offset >= step)
    return api_fail(env, "%s: bad window (size %lld, slide %lld, offset %lld)", api,
                    (long long)a.size, (long long)a.slide, (long long)a.offset), NULL;
  spate_stream *c = spate_connect(l, r);
  if (!c) return NULL;
  spate_stream *s = one_input(c, OP_WINDOW_JOIN, api, mode == 1 ? "Window Join" : "Window CoGroup",
                              fn, out_schema);
  if (!s) return NULL;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, NULL);
  sp_put_u8(&w, (uint8_t)a.kind);
  sp_put_i64(&w, a.size);
  sp_put_i64(&w, a.kind == SPATE_WINDOW_TUMBLING ? a.size : a.slide);
  sp_put_i64(&w, a.offset);
  sp_put_u8(&w, (uint8_t)mode);
  return set_params(env, s->node, &w) ? s : NULL;
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
  if (!check_input("spate_connect_broadcast", in) || !check_input("spate_connect_broadcast", bc))
    return NULL;
  spate_env *env = in->env;
  if (bc->env != env) return api_fail(env, "spate_connect_broadcast: different environments"), NULL;
  if (in->ninputs != 1 || bc->ninputs != 1 || in->windowed || bc->windowed || in->connected ||
      bc->connected || bc->keyed)
    return api_fail(env, "spate_connect_broadcast: connect one plain or keyed stream with one "
                    "unkeyed stream to broadcast"), NULL;
  spate_stream *s = virtual_copy(in, "spate_connect_broadcast");
  if (!s) return NULL;
  stream_input *n = sp_realloc(s->inputs, sizeof *n * 2);
  if (!n) return api_fail(env, "out of memory"), NULL;
  s->inputs = n;
  if (stream_input_copy(&s->inputs[1], &bc->inputs[0]) < 0) return api_fail(env, "out of memory"), NULL;
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
  if (!check_input("spate_co_process", c)) return NULL;
  spate_env *env = c->env;
  if (!c->connected) return api_fail(env, "spate_co_process needs streams joined by spate_connect"), NULL;
  if (!first || !second) return api_fail(env, "spate_co_process: both functions are required"), NULL;
  char *timer = on_timer ? udf_name(env, "spate_co_process", (void *)(uintptr_t)on_timer) : NULL;
  char *snd = udf_name(env, "spate_co_process", (void *)(uintptr_t)second);
  if (env->failed) {
    sp_free(timer);
    sp_free(snd);
    return NULL;
  }
  const char *name = c->broadcast ? (c->keyed ? "KeyedBroadcastProcess" : "BroadcastProcess")
                                  : (c->keyed ? "KeyedCoProcess" : "CoProcess");
  spate_stream *s = one_input(c, OP_CO_PROCESS, "spate_co_process", name, (void *)(uintptr_t)first,
                              out_schema);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, timer);
  sp_put_str(&w, snd);
  sp_free(timer);
  sp_free(snd);
  if (!s) {
    sp_writer_free(&w);
    return NULL;
  }
  return set_params(env, s->node, &w) ? s : NULL;
}

/* ---- windows ------------------------------------------------------------------------------------ */
spate_stream *spate_window(spate_stream *keyed_in, spate_window_assigner a) {
  if (!check_input("spate_window", keyed_in)) return NULL;
  spate_env *env = keyed_in->env;
  if (!keyed_in->keyed)
    return api_fail(env, "spate_window needs a keyed stream: call spate_key_by first"), NULL;
  const char *bad = NULL;
  switch (a.kind) {
  case SPATE_WINDOW_TUMBLING:
    if (a.size <= 0) bad = "the window size must be positive";
    else if (a.offset <= -a.size || a.offset >= a.size) bad = "the offset must be in (-size, size)";
    break;
  case SPATE_WINDOW_SLIDING:
    if (a.size <= 0 || a.slide <= 0) bad = "the window size and slide must be positive";
    else if (a.slide > a.size) bad = "the slide must not be larger than the size";
    else if (a.offset <= -a.slide || a.offset >= a.slide) bad = "the offset must be in (-slide, slide)";
    break;
  case SPATE_WINDOW_SESSION:
    if (!a.gap_fn && a.gap <= 0) bad = "the session gap must be positive";
    break;
  case SPATE_WINDOW_COUNT:
    if (a.size <= 0) bad = "the count window size must be positive";
    else if (a.slide < 0 || a.slide > a.size) bad = "the count slide must be in [0, size]";
    break;
  case SPATE_WINDOW_GLOBAL:
    a.domain = SPATE_PROCESSING_TIME; /* GlobalWindows.isEventTime() is false */
    break;
  default:
    bad = "unknown window assigner";
  }
  if (!bad && a.kind != SPATE_WINDOW_COUNT && (unsigned)a.domain > SPATE_PROCESSING_TIME)
    bad = "unknown time domain";
  if (!bad && a.gap_fn && a.kind != SPATE_WINDOW_SESSION)
    bad = "only session windows take a gap function";
  if (bad)
    return api_fail(env, "spate_window: %s (size %lld, slide %lld, offset %lld, gap %lld)", bad,
                    (long long)a.size, (long long)a.slide, (long long)a.offset, (long long)a.gap),
           NULL;
  spate_stream *s = virtual_copy(keyed_in, "spate_window");
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
  if (!check_input("spate_window_all", in)) return NULL;
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
    if (!t.delta_fn) bad = "the delta function must not be NULL";
    else if (t.delta_threshold != t.delta_threshold) bad = "the threshold is not a number";
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
    if (!e.delta_fn) bad = "the delta function must not be NULL";
    else if (e.threshold != e.threshold) bad = "the threshold is not a number";
    break;
  default: bad = "unknown evictor";
  }
  if (bad) return api_fail(w->env, "spate_window_evictor: %s", bad), w;
  w->evictor = e;
  return w;
}

static bool need_windowed(spate_stream *w, const char *api) {
  if (!check_input(api, w)) return false;
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
    return api_fail(w->env, "spate_allowed_lateness: %lld ms is negative", (long long)lateness_ms), w;
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
} window_extra;

/* The symbols of window_fn's functions, in the order of the params (NULL where absent). */
enum {
  WSYM_GAP, WSYM_CREATE, WSYM_ADD, WSYM_RESULT, WSYM_MERGE, WSYM_APPLY,
  WSYM_ON_ELEMENT, WSYM_ON_EVENT_TIME, WSYM_ON_PROCESSING_TIME, WSYM_CLEAR, WSYM_ON_MERGE,
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
  if (x) fns[WSYM_APPLY] = (void *)(uintptr_t)x->apply;
  for (int i = 0; i < WSYM_N; i++) {
    sym[i] = NULL;
    if (fns[i] && !(sym[i] = udf_name(env, api, fns[i]))) {
      for (int j = 0; j < i; j++) sp_free(sym[j]);
      return false;
    }
  }
  return true;
}

static void put_opt_schema(sp_writer *p, const spate_schema *s) {
  sp_put_u8(p, s != NULL);
  if (s) schema_encode(p, s);
}

static spate_stream *window_fn(spate_stream *w, const char *api, int fn_kind, void *fn,
                               const spate_schema *out_schema, const window_extra *x) {
  if (!need_windowed(w, api)) return NULL;
  if (!fn) return api_fail(w->env, "%s: the function must not be NULL", api), NULL;
  spate_window_assigner win = w->window;
  spate_trigger t = w->trigger;
  spate_evictor e = w->evictor;
  if (win.kind == SPATE_WINDOW_COUNT && (t.kind != SPATE_TRIGGER_DEFAULT || t.purging ||
                                         e.kind != SPATE_EVICTOR_NONE)) {
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
      !(tfn = udf_name(w->env, "spate_window_trigger", (void *)(uintptr_t)t.delta_fn)))
    return NULL;
  if (e.kind == SPATE_EVICTOR_DELTA &&
      !(efn = udf_name(w->env, "spate_window_evictor", (void *)(uintptr_t)e.delta_fn))) {
    sp_free(tfn);
    return NULL;
  }
  spate_stream *s = one_input(w, OP_WINDOW, api, w->window_all ? "Window All" : "Window", fn,
                              out_schema);
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
  uint64_t tbits, ebits;
  memcpy(&tbits, &t.delta_threshold, 8);
  memcpy(&ebits, &e.threshold, 8);
  sp_writer p;
  sp_writer_init(&p);
  sp_put_u8(&p, (uint8_t)a->kind);
  sp_put_u8(&p, (uint8_t)a->domain);
  sp_put_i64(&p, a->size);
  sp_put_i64(&p, a->slide);
  sp_put_i64(&p, a->offset);
  sp_put_i64(&p, a->gap);
  sp_put_i64(&p, w->lateness);
  sp_put_str(&p, w->late_tag);
  sp_put_u8(&p, (uint8_t)fn_kind);
  sp_put_u8(&p, (uint8_t)t.kind);
  sp_put_u8(&p, t.purging);
  sp_put_i64(&p, t.count);
  sp_put_i64(&p, t.interval_ms);
  sp_put_u64(&p, tbits);
  sp_put_str(&p, tfn);
  sp_put_u8(&p, (uint8_t)e.kind);
  sp_put_u8(&p, e.evict_after);
  sp_put_i64(&p, e.count);
  sp_put_i64(&p, e.window_ms);
  sp_put_u64(&p, ebits);
  sp_put_str(&p, efn);
  sp_put_u8(&p, w->window_all);
  for (int i = 0; i < WSYM_N; i++) sp_put_str(&p, sym[i]);
  put_opt_schema(&p, x ? x->acc_schema : NULL);
  put_opt_schema(&p, x ? x->result_schema : NULL);
  sp_put_u8(&p, w->arrival_order);
  sp_free(tfn);
  sp_free(efn);
  for (int i = 0; i < WSYM_N; i++) sp_free(sym[i]);
  return set_params(w->env, s->node, &p) ? s : NULL;
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

spate_stream *spate_side_output(spate_stream *s, const char *tag, const spate_schema *schema) {
  if (!check_input("spate_side_output", s)) return NULL;
  spate_env *env = s->env;
  if (s->node < 0)
    return api_fail(env, "spate_side_output: applies to an operator, not to the result of a key "
                    "by, partitioning or union"), NULL;
  if (!tag || !tag[0] || !schema)
    return api_fail(env, "spate_side_output: a tag and a schema are required"), NULL;
  for (int i = 0; i < env->nstreams; i++) { /* one tag, one schema (Flink's OutputTag type) */
    const spate_stream *o = env->streams[i];
    for (int k = 0; k < o->ninputs; k++)
      if (o->inputs[k].node == s->node && o->inputs[k].side_tag &&
          strcmp(o->inputs[k].side_tag, tag) == 0 && !schema_equal(o->inputs[k].side_schema, schema))
        return api_fail(env, "spate_side_output: side output '%s' is already read with another "
                        "schema", tag), NULL;
  }
  spate_stream *out = new_stream(env, -1, schema);
  if (!out) return NULL;
  out->inputs = sp_calloc(1, sizeof *out->inputs);
  if (!out->inputs || !(out->inputs[0].side_tag = sp_strdup(tag)))
    return api_fail(env, "out of memory"), NULL;
  out->ninputs = 1;
  out->inputs[0].node = s->node;
  out->inputs[0].side_schema = schema_ref(schema);
  return out;
}

/* ---- virtual streams: key by, partitioning, union ------------------------------------------- */
static int stream_input_copy(stream_input *dst, const stream_input *src) {
  memset(dst, 0, sizeof *dst);
  dst->node = src->node;
  dst->part = src->part;
  if (key_spec_copy(&dst->key, &src->key) < 0) return SPATE_ENOMEM;
  if ((src->partition_fn && !(dst->partition_fn = sp_strdup(src->partition_fn))) ||
      (src->side_tag && !(dst->side_tag = sp_strdup(src->side_tag)))) {
    key_spec_free(&dst->key);
    sp_free(dst->partition_fn);
    return SPATE_ENOMEM;
  }
  if (src->side_schema) dst->side_schema = schema_ref(src->side_schema);
  return 0;
}

static spate_stream *virtual_copy(spate_stream *in, const char *api) {
  if (!check_input(api, in)) return NULL;
  spate_stream *s = new_stream(in->env, -1, in->schema);
  if (!s) return NULL;
  s->inputs = sp_calloc((size_t)in->ninputs, sizeof *s->inputs);
  if (!s->inputs) return api_fail(in->env, "out of memory"), NULL;
  for (int k = 0; k < in->ninputs; k++) {
    if (stream_input_copy(&s->inputs[k], &in->inputs[k]) < 0)
      return api_fail(in->env, "out of memory"), NULL;
    s->ninputs = k + 1;
  }
  return s;
}

static spate_stream *repartition(spate_stream *in, part_kind part, const char *api) {
  spate_stream *s = virtual_copy(in, api);
  if (!s) return NULL;
  for (int k = 0; k < s->ninputs; k++) {
    s->inputs[k].part = part;
    key_spec_free(&s->inputs[k].key);
    sp_free(s->inputs[k].partition_fn);
    s->inputs[k].partition_fn = NULL;
  }
  return s;
}

spate_stream *spate_forward(spate_stream *in) { return repartition(in, PART_FORWARD, "spate_forward"); }
spate_stream *spate_rebalance(spate_stream *in) { return repartition(in, PART_REBALANCE, "spate_rebalance"); }
spate_stream *spate_rescale(spate_stream *in) { return repartition(in, PART_RESCALE, "spate_rescale"); }
spate_stream *spate_shuffle(spate_stream *in) { return repartition(in, PART_SHUFFLE, "spate_shuffle"); }
spate_stream *spate_broadcast(spate_stream *in) { return repartition(in, PART_BROADCAST, "spate_broadcast"); }
spate_stream *spate_global(spate_stream *in) { return repartition(in, PART_GLOBAL, "spate_global"); }

static spate_stream *keyed(spate_stream *in, const char *api, const int *fields, int n,
                           char *selector, const spate_schema *key_schema, part_kind part) {
  spate_env *env = in->env;
  spate_stream *s = repartition(in, part, api);
  if (!s) {
    sp_free(selector);
    return NULL;
  }
  s->keyed = part == PART_HASH;
  for (int k = 0; k < s->ninputs; k++) {
    key_spec *ks = &s->inputs[k].key;
    ks->key_schema = schema_ref(key_schema);
    if (fields) {
      ks->fields = sp_malloc(sizeof *fields * (size_t)n);
      if (!ks->fields) return api_fail(env, "out of memory"), NULL;
      memcpy(ks->fields, fields, sizeof *fields * (size_t)n);
      ks->nfields = n;
    }
    if (selector && !(ks->selector = sp_strdup(selector))) return api_fail(env, "out of memory"), NULL;
  }
  sp_free(selector);
  return s;
}

/* The schema of the key fields of `schema`. */
static spate_schema *project(const spate_schema *schema, const int *fields, int n) {
  const char *names[64];
  spate_type types[64];
  bool nullable[64];
  for (int i = 0; i < n; i++) {
    names[i] = schema->fields[fields[i]].name;
    types[i] = schema->fields[fields[i]].type;
    nullable[i] = schema->fields[fields[i]].nullable;
  }
  /* duplicate names (a field keyed twice) are fine in a key schema: rename positionally */
  char buf[64][16];
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++)
      if (fields[i] == fields[j]) {
        snprintf(buf[i], sizeof buf[i], "k%d", i);
        names[i] = buf[i];
      }
  return schema_new(n, names, types, nullable);
}

spate_stream *spate_key_by(spate_stream *in, int field) { return spate_key_by_fields(in, &field, 1); }

spate_stream *spate_key_by_fields(spate_stream *in, const int *fields, int n) {
  if (!check_input("spate_key_by", in)) return NULL;
  spate_env *env = in->env;
  if (!fields || n < 1 || n > 64)
    return api_fail(env, "spate_key_by: between 1 and 64 key fields are needed, got %d", n), NULL;
  for (int i = 0; i < n; i++)
    if (fields[i] < 0 || fields[i] >= in->schema->nfields)
      return api_fail(env, "spate_key_by: key field %d is out of range: the stream has %d field%s",
                      fields[i], in->schema->nfields, in->schema->nfields == 1 ? "" : "s"), NULL;
  spate_schema *ks = project(in->schema, fields, n);
  if (!ks) return api_fail(env, "out of memory"), NULL;
  spate_stream *s = keyed(in, "spate_key_by", fields, n, NULL, ks, PART_HASH);
  schema_unref(ks);
  return s;
}

spate_stream *spate_key_by_fn(spate_stream *in, spate_key_fn fn, const spate_schema *key_schema) {
  if (!check_input("spate_key_by_fn", in)) return NULL;
  if (!key_schema || key_schema->nfields > 64)
    return api_fail(in->env, "spate_key_by_fn: a key schema of 1..64 fields is needed"), NULL;
  char *name = udf_name(in->env, "spate_key_by_fn", (void *)(uintptr_t)fn);
  if (!name) return NULL;
  return keyed(in, "spate_key_by_fn", NULL, 0, name, key_schema, PART_HASH);
}

spate_stream *spate_partition_custom(spate_stream *in, spate_partition_fn fn, int key_field) {
  if (!check_input("spate_partition_custom", in)) return NULL;
  spate_env *env = in->env;
  if (key_field < 0 || key_field >= in->schema->nfields)
    return api_fail(env, "spate_partition_custom: key field %d is out of range (%d fields)",
                    key_field, in->schema->nfields), NULL;
  char *name = udf_name(env, "spate_partition_custom", (void *)(uintptr_t)fn);
  if (!name) return NULL;
  spate_schema *ks = project(in->schema, &key_field, 1);
  if (!ks) {
    sp_free(name);
    return api_fail(env, "out of memory"), NULL;
  }
  spate_stream *s = keyed(in, "spate_partition_custom", &key_field, 1, NULL, ks, PART_CUSTOM);
  schema_unref(ks);
  for (int k = 0; s && k < s->ninputs; k++)
    if (!(s->inputs[k].partition_fn = sp_strdup(name))) api_fail(env, "out of memory");
  sp_free(name);
  return env->failed ? NULL : s;
}

spate_stream *spate_union(spate_stream *a, spate_stream *b) {
  if (!check_input("spate_union", a) || !check_input("spate_union", b)) return NULL;
  spate_env *env = a->env;
  if (b->env != env) return api_fail(env, "spate_union: the streams belong to different environments"), NULL;
  if (!schema_equal(a->schema, b->schema)) {
    char *sa = schema_to_string(a->schema), *sb = schema_to_string(b->schema);
    api_fail(env, "spate_union: the streams have different schemas: (%s) and (%s)",
             sa ? sa : "?", sb ? sb : "?");
    sp_free(sa);
    sp_free(sb);
    return NULL;
  }
  spate_stream *s = virtual_copy(a, "spate_union");
  if (!s) return NULL;
  stream_input *n = sp_realloc(s->inputs, sizeof *n * (size_t)(s->ninputs + b->ninputs));
  if (!n) return api_fail(env, "out of memory"), NULL;
  s->inputs = n;
  for (int k = 0; k < b->ninputs; k++) {
    if (stream_input_copy(&s->inputs[s->ninputs], &b->inputs[k]) < 0)
      return api_fail(env, "out of memory"), NULL;
    s->ninputs++;
  }
  s->keyed = false;
  return s;
}

/* ---- keyed operators --------------------------------------------------------------------------- */
static bool need_keyed(spate_stream *in, const char *api) {
  if (!check_input(api, in)) return false;
  if (!in->keyed) {
    api_fail(in->env, "%s needs a keyed stream: call spate_key_by first", api);
    return false;
  }
  return true;
}

spate_stream *spate_reduce(spate_stream *keyed_in, spate_reduce_fn fn) {
  if (!need_keyed(keyed_in, "spate_reduce")) return NULL;
  if (!fn) return api_fail(keyed_in->env, "spate_reduce: the function must not be NULL"), NULL;
  return one_input(keyed_in, OP_REDUCE, "spate_reduce", "Keyed Reduce", (void *)(uintptr_t)fn,
                   keyed_in->schema);
}

static spate_stream *aggregate(spate_stream *in, agg_kind agg, int field, const char *api) {
  if (!need_keyed(in, api)) return NULL;
  spate_env *env = in->env;
  if (field < 0 || field >= in->schema->nfields)
    return api_fail(env, "%s: field %d is out of range: the stream has %d field%s", api, field,
                    in->schema->nfields, in->schema->nfields == 1 ? "" : "s"), NULL;
  spate_type t = in->schema->fields[field].type;
  if (agg == AGG_SUM && t != SPATE_INT && t != SPATE_BIGINT && t != SPATE_DOUBLE)
    return api_fail(env, "%s: field %d '%s' is %s; sum needs INT, BIGINT or DOUBLE", api, field,
                    in->schema->fields[field].name, schema_type_name(t)), NULL;
  if (agg != AGG_SUM && t == SPATE_BOOLEAN)
    return api_fail(env, "%s: field %d '%s' is BOOLEAN, which has no order", api, field,
                    in->schema->fields[field].name), NULL;
  spate_stream *s = one_input(in, OP_AGG, api, "Keyed Aggregation", NULL, in->schema);
  if (!s) return NULL;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u8(&w, (uint8_t)agg);
  sp_put_i32(&w, field);
  return set_params(env, s->node, &w) ? s : NULL;
}

spate_stream *spate_sum(spate_stream *k, int field) { return aggregate(k, AGG_SUM, field, "spate_sum"); }
spate_stream *spate_min(spate_stream *k, int field) { return aggregate(k, AGG_MIN, field, "spate_min"); }
spate_stream *spate_max(spate_stream *k, int field) { return aggregate(k, AGG_MAX, field, "spate_max"); }
spate_stream *spate_min_by(spate_stream *k, int field) { return aggregate(k, AGG_MIN_BY, field, "spate_min_by"); }
spate_stream *spate_max_by(spate_stream *k, int field) { return aggregate(k, AGG_MAX_BY, field, "spate_max_by"); }

/* ---- sinks ------------------------------------------------------------------------------------- */
static spate_stream *sink(spate_stream *in, op_kind kind, const char *api, const char *name,
                          void *fn, sp_writer *params) {
  if (!check_input(api, in)) {
    if (params) sp_writer_free(params);
    return NULL;
  }
  spate_env *env = in->env;
  char *udf = NULL;
  if (fn && !(udf = udf_name(env, api, fn))) {
    if (params) sp_writer_free(params);
    return NULL;
  }
  int id;
  sg_node *n = add_node(env, kind, name, &id);
  if (!n) {
    sp_free(udf);
    if (params) sp_writer_free(params);
    return NULL;
  }
  n->udf = udf;
  if (params && !set_params(env, id, params)) return NULL;
  if (!connect_inputs(env, id, in)) return NULL;
  spate_stream *s = new_stream(env, id, in->schema);
  return s;
}

spate_stream *spate_print(spate_stream *in, const char *identifier) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, identifier);
  return sink(in, OP_SINK_PRINT, "spate_print", "Sink: Print to Std. Out", NULL, &w);
}

spate_stream *spate_write_text(spate_stream *in, const char *path) {
  if (in && !in->env->failed && (!path || !path[0]))
    return api_fail(in->env, "spate_write_text: no output path given"), NULL;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, path);
  sp_put_u8(&w, 0); /* overwrite: fs.overwrite-files, set when the job is executed */
  return sink(in, OP_SINK_TEXT, "spate_write_text", "Sink: Text File", NULL, &w);
}

spate_stream *spate_discard(spate_stream *in) {
  return sink(in, OP_SINK_DISCARD, "spate_discard", "Sink: Discard", NULL, NULL);
}

spate_stream *spate_collect(spate_stream *in, const char *name) {
  if (in && !in->env->failed && (!name || !name[0]))
    return api_fail(in->env, "spate_collect: a name is needed"), NULL;
  for (int i = 0; in && !in->env->failed && i < in->env->g->nnodes; i++) {
    const sg_node *n = &in->env->g->nodes[i];
    if (n->kind != OP_SINK_COLLECT) continue;
    sp_reader r;
    sp_reader_init(&r, n->params, n->params_len);
    char *other = sp_get_str(&r);
    bool clash = other && strcmp(other, name) == 0;
    sp_free(other);
    if (clash) return api_fail(in->env, "spate_collect: the name '%s' is already used by another "
                               "collect sink of this job", name), NULL;
  }
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, name);
  return sink(in, OP_SINK_COLLECT, "spate_collect", "Sink: Collect", NULL, &w);
}

spate_stream *spate_sink(spate_stream *in, spate_sink_fn fn) {
  if (in && !fn) return api_fail(in->env, "spate_sink: the function must not be NULL"), NULL;
  return sink(in, OP_SINK_UDF, "spate_sink", "Sink: Unnamed", (void *)(uintptr_t)fn, NULL);
}

/* Options are stored as given (the operator applies the defaults); a prefix or suffix with '/'
 * would put files outside their bucket and is refused here. */
spate_stream *spate_sink_file(spate_stream *in, const char *dir,
                              const spate_file_sink_options *opts) {
  if (!check_input("spate_sink_file", in)) return NULL;
  spate_env *env = in->env;
  if (!dir || !dir[0]) return api_fail(env, "spate_sink_file: no output directory given"), NULL;
  spate_file_sink_options o = {0};
  if (opts) o = *opts;
  if ((o.part_prefix && strchr(o.part_prefix, '/')) ||
      (o.part_suffix && strchr(o.part_suffix, '/')))
    return api_fail(env, "spate_sink_file: the part prefix and suffix must not contain '/'"), NULL;
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, dir);
  sp_put_i64(&w, o.max_part_size);
  sp_put_i64(&w, o.rollover_interval_ms);
  sp_put_i64(&w, o.inactivity_interval_ms);
  sp_put_str(&w, o.bucket_format);
  sp_put_str(&w, o.part_prefix);
  sp_put_str(&w, o.part_suffix);
  return sink(in, OP_SINK_FILE, "spate_sink_file", "Sink: File Sink", NULL, &w);
}

spate_stream *spate_sink_two_phase(spate_stream *in, spate_txn_begin_fn begin,
                                   spate_txn_invoke_fn invoke, spate_txn_fn pre_commit,
                                   spate_txn_fn commit, spate_txn_fn abort) {
  if (!check_input("spate_sink_two_phase", in)) return NULL;
  spate_env *env = in->env;
  if (!begin || !invoke || !pre_commit || !commit || !abort)
    return api_fail(env, "spate_sink_two_phase: begin, invoke, pre_commit, commit and abort are "
                    "all required"), NULL;
  void *fns[4] = {(void *)(uintptr_t)begin, (void *)(uintptr_t)pre_commit,
                  (void *)(uintptr_t)commit, (void *)(uintptr_t)abort};
  sp_writer w; /* layout: see OP_SINK_TWO_PHASE */
  sp_writer_init(&w);
  for (int i = 0; i < 4; i++) {
    char *sym = udf_name(env, "spate_sink_two_phase", fns[i]);
    if (!sym) {
      sp_writer_free(&w);
      return NULL;
    }
    sp_put_str(&w, sym);
    sp_free(sym);
  }
  return sink(in, OP_SINK_TWO_PHASE, "spate_sink_two_phase", "Sink: Two-Phase Commit",
              (void *)(uintptr_t)invoke, &w);
}

/* ---- per-operator settings ------------------------------------------------------------------- */
static sg_node *real_node(spate_stream *s, const char *api) {
  if (!s || s->env->failed) return NULL;
  if (s->node < 0) {
    api_fail(s->env, "%s: applies to an operator, not to the result of a key by, partitioning or "
             "union", api);
    return NULL;
  }
  return &s->env->g->nodes[s->node];
}

spate_stream *spate_name(spate_stream *s, const char *name) {
  sg_node *n = real_node(s, "spate_name");
  if (!n) return s;
  if (!name || !name[0]) return api_fail(s->env, "spate_name: the name must not be empty"), s;
  const char *prefix = op_is_source(n->kind) ? "Source: " : op_is_sink(n->kind) ? "Sink: " : "";
  size_t len = strlen(prefix) + strlen(name) + 1;
  char *full = sp_malloc(len);
  if (!full) return api_fail(s->env, "out of memory"), s;
  snprintf(full, len, "%s%s", prefix, name);
  sp_free(n->name);
  n->name = full;
  return s;
}

spate_stream *spate_uid(spate_stream *s, const char *uid) {
  sg_node *n = real_node(s, "spate_uid");
  if (!n) return s;
  if (!uid || !uid[0]) return api_fail(s->env, "spate_uid: the uid must not be empty"), s;
  for (int i = 0; i < s->env->g->nnodes; i++)
    if (i != n->id && s->env->g->nodes[i].uid && strcmp(s->env->g->nodes[i].uid, uid) == 0)
      return api_fail(s->env, "spate_uid: uid '%s' is already used by operator '%s'", uid,
                      s->env->g->nodes[i].name), s;
  sp_free(n->uid);
  n->uid = sp_strdup(uid);
  return s;
}

spate_stream *spate_parallelism(spate_stream *s, int parallelism) {
  sg_node *n = real_node(s, "spate_parallelism");
  if (!n) return s;
  if (parallelism < 1)
    return api_fail(s->env, "spate_parallelism: parallelism must be at least 1, got %d (operator "
                    "'%s')", parallelism, n->name), s;
  if (n->parallelism_fixed && parallelism != 1)
    return api_fail(s->env, "spate_parallelism: operator '%s' is not parallel; its parallelism "
                    "must be 1", n->name), s;
  n->parallelism = parallelism;
  return s;
}

spate_stream *spate_max_parallelism(spate_stream *s, int max_parallelism) {
  sg_node *n = real_node(s, "spate_max_parallelism");
  if (!n) return s;
  if (max_parallelism < 1 || max_parallelism > 32768)
    return api_fail(s->env, "spate_max_parallelism: must be in 1..32768, got %d (operator '%s')",
                    max_parallelism, n->name), s;
  n->max_parallelism = max_parallelism;
  return s;
}

spate_stream *spate_disable_chaining(spate_stream *s) {
  sg_node *n = real_node(s, "spate_disable_chaining");
  if (n) n->chaining = CHAIN_NEVER;
  return s;
}

spate_stream *spate_start_new_chain(spate_stream *s) {
  sg_node *n = real_node(s, "spate_start_new_chain");
  if (n && n->chaining != CHAIN_NEVER) n->chaining = CHAIN_HEAD;
  return s;
}

spate_stream *spate_slot_sharing_group(spate_stream *s, const char *group) {
  sg_node *n = real_node(s, "spate_slot_sharing_group");
  if (!n) return s;
  if (!group || !group[0]) return api_fail(s->env, "spate_slot_sharing_group: empty group name"), s;
  sp_free(n->slot_group);
  n->slot_group = sp_strdup(group);
  return s;
}

spate_stream *spate_udf_arg(spate_stream *s, const void *arg, size_t len) {
  sg_node *n = real_node(s, "spate_udf_arg");
  if (!n) return s;
  sp_free(n->udf_arg);
  n->udf_arg = NULL;
  n->udf_arg_len = 0;
  if (len) {
    if (!arg) return api_fail(s->env, "spate_udf_arg: arg is NULL but len is %zu", len), s;
    if (!(n->udf_arg = sp_malloc(len))) return api_fail(s->env, "out of memory"), s;
    memcpy(n->udf_arg, arg, len);
    n->udf_arg_len = len;
  }
  return s;
}

spate_stream *spate_udf_lifecycle(spate_stream *s, spate_open_fn open, spate_close_fn close) {
  sg_node *n = real_node(s, "spate_udf_lifecycle");
  if (!n) return s;
  int id = n->id;
  char *o = open ? udf_name(s->env, "spate_udf_lifecycle", (void *)(uintptr_t)open) : NULL;
  char *c = close ? udf_name(s->env, "spate_udf_lifecycle", (void *)(uintptr_t)close) : NULL;
  if (s->env->failed) {
    sp_free(o);
    sp_free(c);
    return s;
  }
  n = &s->env->g->nodes[id];
  sp_free(n->open_fn);
  sp_free(n->close_fn);
  n->open_fn = o;
  n->close_fn = c;
  return s;
}

const spate_schema *spate_stream_schema(const spate_stream *s) { return s ? s->schema : NULL; }
