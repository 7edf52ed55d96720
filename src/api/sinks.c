/*
 * sinks.c: the DataStream API's sinks (print, text file, discard, collect, user function,
 * the exactly-once file sink, two-phase commit). A sink node has no output schema; its stream
 * handle exists so that per-operator settings (spate_name, spate_parallelism, ...) apply to it.
 */
#include <stdint.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "connectors/file_sink_options.h"
#include "graph/op_params.h"

/* ---- sinks ------------------------------------------------------------------------------------- */
/* A sink node of `kind` with params (the kind's struct of graph/op_params.h, or NULL for a
 * kind without parameters). */
static spate_stream *sink(spate_stream *in, op_kind kind, const char *api, const char *name,
                          void *fn, const void *params) {
  if (!api_check_input(api, in)) return NULL;
  spate_env *env = in->env;
  char *udf = NULL;
  if (fn && !(udf = api_udf_name(env, api, fn))) return NULL;
  int id;
  sg_node *n = api_add_node(env, kind, name, &id);
  if (!n) {
    sp_free(udf);
    return NULL;
  }
  n->udf = udf;
  if (params && !api_set_params(env, id, params)) return NULL;
  if (!api_connect_inputs(env, id, in)) return NULL;
  spate_stream *s = api_new_stream(env, id, in->schema);
  return s;
}

spate_stream *spate_print(spate_stream *in, const char *identifier) {
  op_print_params p = {.identifier = identifier};
  return sink(in, OP_SINK_PRINT, "spate_print", "Sink: Print to Std. Out", NULL, &p);
}

spate_stream *spate_write_text(spate_stream *in, const char *path) {
  if (in && !in->env->failed && (!path || !path[0]))
    return api_fail(in->env, "spate_write_text: no output path given"), NULL;
  op_text_sink_params p = {.path = path}; /* overwrite: set when the job is executed */
  return sink(in, OP_SINK_TEXT, "spate_write_text", "Sink: Text File", NULL, &p);
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
    op_collect_params other;
    char err[SP_ERRMSG_MAX];
    if (op_collect_params_load(n, &other, err, sizeof err) < 0)
      return api_fail(in->env, "spate_collect: %s", err), NULL;
    bool clash = other.name && strcmp(other.name, name) == 0;
    op_collect_params_free(&other);
    if (clash)
      return api_fail(in->env,
                      "spate_collect: the name '%s' is already used by another "
                      "collect sink of this job",
                      name),
             NULL;
  }
  op_collect_params p = {.name = name};
  return sink(in, OP_SINK_COLLECT, "spate_collect", "Sink: Collect", NULL, &p);
}

spate_stream *spate_sink(spate_stream *in, spate_sink_fn fn) {
  if (in && !fn) return api_fail(in->env, "spate_sink: the function must not be NULL"), NULL;
  return sink(in, OP_SINK_UDF, "spate_sink", "Sink: Unnamed", (void *)(uintptr_t)fn, NULL);
}

/* Checks the partition keys against the stream's schema: known fields, each once, at most
 * SP_FILE_SINK_MAX_PARTITION_KEYS, at least one field left to write, and no time buckets. */
#define SP_FILE_SINK_MAX_PARTITION_KEYS 16
static bool check_partition_keys(spate_stream *in, const spate_file_sink_options *o) {
  spate_env *env = in->env;
  int n = o->npartition_keys;
  if (n == 0) return true;
  if (n < 0 || n > SP_FILE_SINK_MAX_PARTITION_KEYS || !o->partition_keys)
    return api_fail(env, "spate_sink_file: %d partition keys (1..%d, with their names)", n,
                    SP_FILE_SINK_MAX_PARTITION_KEYS),
           false;
  if (o->bucket_format && o->bucket_format[0])
    return api_fail(env,
                    "spate_sink_file: partition keys and a bucket format '%s' exclude each "
                    "other (the partitions are the buckets)",
                    o->bucket_format),
           false;
  if (n >= in->schema->nfields)
    return api_fail(env,
                    "spate_sink_file: all %d fields are partition keys: none is left to "
                    "write",
                    in->schema->nfields),
           false;
  for (int i = 0; i < n; i++) {
    const char *k = o->partition_keys[i];
    if (!k || spate_schema_field_index(in->schema, k) < 0)
      return api_fail(env, "spate_sink_file: partition key %d ('%s') is not a field of the stream",
                      i + 1, k ? k : "(null)"),
             false;
    for (int j = 0; j < i; j++)
      if (strcmp(o->partition_keys[j], k) == 0)
        return api_fail(env, "spate_sink_file: partition key '%s' is given twice", k), false;
  }
  return true;
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
  if (!check_partition_keys(in, &o)) return NULL;
  /* the connector options, checked now (the operators parse them again) */
  uint32_t nopts = 0;
  while (o.options && o.options[nopts]) nopts++;
  fs_sink_options fo;
  char err[SP_ERRMSG_MAX];
  if (fs_sink_options_parse(&fo, nopts, o.options, err, sizeof err) < 0)
    return api_fail(env, "spate_sink_file: %s", err), NULL;
  bool commit = fo.commit;
  fs_sink_options_free(&fo);
  if (commit && o.npartition_keys == 0)
    return api_fail(env,
                    "spate_sink_file: file sink option 'sink.partition-commit.policy.kind' "
                    "needs partition keys (partitions are what is committed)"),
           NULL;
  op_file_sink_params p = {.dir = dir,
                           .max_part_size = o.max_part_size,
                           .rollover_ms = o.rollover_interval_ms,
                           .inactivity_ms = o.inactivity_interval_ms,
                           .bucket_format = o.bucket_format,
                           .part_prefix = o.part_prefix,
                           .part_suffix = o.part_suffix,
                           .partition_keys = {(uint32_t)o.npartition_keys, o.partition_keys},
                           .options = {nopts, o.options}};
  spate_stream *s = sink(in, OP_SINK_FILE, "spate_sink_file", "Sink: File Sink", NULL, &p);
  if (!s || !commit) return s;
  /* Flink's partition commit: the writers send what they published to one committer */
  spate_schema *info = fs_commit_info_schema();
  if (!info) return api_fail(env, "out of memory"), NULL;
  env->g->nodes[s->node].out_schema = info;
  spate_stream *writers = api_new_stream(env, s->node, info);
  if (!writers) return NULL;
  op_partition_commit_params cp = {
      .dir = dir, .partition_keys = p.partition_keys, .options = p.options};
  spate_stream *c =
      sink(writers, OP_PARTITION_COMMIT, "spate_sink_file", "Sink: PartitionCommitter", NULL, &cp);
  if (!c) return NULL;
  sg_node *cn = &env->g->nodes[c->node];
  cn->parallelism = 1;
  cn->parallelism_fixed = true;
  return s;
}

spate_stream *spate_sink_two_phase(spate_stream *in, spate_txn_begin_fn begin,
                                   spate_txn_invoke_fn invoke, spate_txn_fn pre_commit,
                                   spate_txn_fn commit, spate_txn_fn abort) {
  if (!api_check_input("spate_sink_two_phase", in)) return NULL;
  spate_env *env = in->env;
  if (!begin || !invoke || !pre_commit || !commit || !abort)
    return api_fail(env,
                    "spate_sink_two_phase: begin, invoke, pre_commit, commit and abort are "
                    "all required"),
           NULL;
  void *fns[4] = {(void *)(uintptr_t)begin, (void *)(uintptr_t)pre_commit,
                  (void *)(uintptr_t)commit, (void *)(uintptr_t)abort};
  char *sym[4] = {0};
  for (int i = 0; i < 4; i++)
    if (!(sym[i] = api_udf_name(env, "spate_sink_two_phase", fns[i]))) break;
  spate_stream *s = NULL;
  if (sym[3]) {
    op_two_phase_params p = {
        .begin = sym[0], .pre_commit = sym[1], .commit = sym[2], .abort = sym[3]};
    s = sink(in, OP_SINK_TWO_PHASE, "spate_sink_two_phase", "Sink: Two-Phase Commit",
             (void *)(uintptr_t)invoke, &p);
  }
  for (int i = 0; i < 4; i++) sp_free(sym[i]);
  return s;
}
