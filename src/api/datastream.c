/*
 * datastream.c: the steps every DataStream builder function shares: stream handles, naming
 * UDFs, adding a node and connecting it to what feeds it. The builder functions of spate.h
 * live in files named for what they build: sources.c, transformations.c, virtual_streams.c
 * (key by, partitioning, union, side outputs), connected_streams.c (two inputs and joins),
 * windowed_streams.c, sinks.c and operator_settings.c (name, uid, parallelism, ...). Each adds
 * a StreamGraph node (or a virtual stream) and checks its arguments at once, so a mistake is
 * reported with the function and operator it concerns rather than when the job runs.
 *
 * UDFs are named here: dladdr must find an exported symbol exactly at the function's address,
 * which rules out static functions (and executables linked without -rdynamic) with a message
 * saying so; the object holding the symbol becomes the job's artifact.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "graph/op_params.h"

spate_stream *api_new_stream(spate_env *env, int node, const spate_schema *schema) {
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
char *api_udf_name(spate_env *env, const char *api, void *fn) {
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
    api_fail(env,
             "%s: function '%s' lives in %s but earlier functions live in %s; all user "
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

sg_node *api_add_node(spate_env *env, op_kind kind, const char *name, int *id) {
  if (env->failed) return NULL;
  sg_node *n = sg_add_node(env->g, kind, name);
  if (!n) {
    api_fail(env, "out of memory");
    return NULL;
  }
  *id = n->id;
  return n;
}

bool api_set_params(spate_env *env, int id, const void *params) {
  if (op_params_store(&env->g->nodes[id], params) < 0) {
    api_fail(env, "out of memory");
    return false;
  }
  return true;
}

/* Connects a new node to what feeds it. */
bool api_connect_inputs(spate_env *env, int id, const spate_stream *in) {
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

bool api_check_input(const char *api, const spate_stream *in) {
  if (!in) return false;
  return !in->env->failed;
}

/* What every one-input operator does first; the caller then adds its params. */
spate_stream *api_one_input(spate_stream *in, op_kind kind, const char *api, const char *name,
                            void *fn, const spate_schema *out_schema) {
  if (!api_check_input(api, in)) return NULL;
  spate_env *env = in->env;
  if (!out_schema) return api_fail(env, "%s: the output schema must not be NULL", api), NULL;
  char *udf = NULL;
  if (fn && !(udf = api_udf_name(env, api, fn))) return NULL;
  int id;
  sg_node *n = api_add_node(env, kind, name, &id);
  if (!n) {
    sp_free(udf);
    return NULL;
  }
  n->udf = udf;
  n->out_schema = schema_ref(out_schema);
  if (in->keyed &&
      (op_is_keyed(kind) || kind == OP_PROCESS || kind == OP_MAP || kind == OP_FLAT_MAP ||
       kind == OP_FILTER || kind == OP_CO_PROCESS || kind == OP_INTERVAL_JOIN ||
       kind == OP_WINDOW_JOIN || kind == OP_SQL_JOIN) &&
      key_spec_copy(&env->g->nodes[id].key, &in->inputs[0].key) < 0) {
    api_fail(env, "out of memory");
    return NULL;
  }
  if (!api_connect_inputs(env, id, in)) return NULL;
  return api_new_stream(env, id, out_schema);
}

const spate_schema *spate_stream_schema(const spate_stream *s) { return s ? s->schema : NULL; }
