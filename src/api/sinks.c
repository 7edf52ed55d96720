/*
 * sinks.c: the DataStream API's sinks (print, text file, discard, collect, user function,
 * the exactly-once file sink, two-phase commit). A sink node has no output schema; its stream
 * handle exists so that per-operator settings (spate_name, spate_parallelism, ...) apply to it.
 */
#include <stdint.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"

/* ---- sinks ------------------------------------------------------------------------------------- */
static spate_stream *sink(spate_stream *in, op_kind kind, const char *api, const char *name,
                          void *fn, sp_writer *params) {
  if (!api_check_input(api, in)) {
    if (params) sp_writer_free(params);
    return NULL;
  }
  spate_env *env = in->env;
  char *udf = NULL;
  if (fn && !(udf = api_udf_name(env, api, fn))) {
    if (params) sp_writer_free(params);
    return NULL;
  }
  int id;
  sg_node *n = api_add_node(env, kind, name, &id);
  if (!n) {
    sp_free(udf);
    if (params) sp_writer_free(params);
    return NULL;
  }
  n->udf = udf;
  if (params && !api_set_params(env, id, params)) return NULL;
  if (!api_connect_inputs(env, id, in)) return NULL;
  spate_stream *s = api_new_stream(env, id, in->schema);
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
  if (!api_check_input("spate_sink_file", in)) return NULL;
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
  if (!api_check_input("spate_sink_two_phase", in)) return NULL;
  spate_env *env = in->env;
  if (!begin || !invoke || !pre_commit || !commit || !abort)
    return api_fail(env, "spate_sink_two_phase: begin, invoke, pre_commit, commit and abort are "
                    "all required"), NULL;
  void *fns[4] = {(void *)(uintptr_t)begin, (void *)(uintptr_t)pre_commit,
                  (void *)(uintptr_t)commit, (void *)(uintptr_t)abort};
  sp_writer w; /* layout: see OP_SINK_TWO_PHASE */
  sp_writer_init(&w);
  for (int i = 0; i < 4; i++) {
    char *sym = api_udf_name(env, "spate_sink_two_phase", fns[i]);
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
