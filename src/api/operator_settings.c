/*
 * operator_settings.c: the DataStream API's per-operator settings (name, uid, parallelism,
 * max parallelism, chaining, slot sharing group, UDF argument and lifecycle functions). They
 * apply to the node a stream handle stands for and fail on virtual streams.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "runtime/udf_params.h"

/* ---- per-operator settings ------------------------------------------------------------------- */
static sg_node *real_node(spate_stream *s, const char *api) {
  if (!s || s->env->failed) return NULL;
  if (s->node < 0) {
    api_fail(s->env,
             "%s: applies to an operator, not to the result of a key by, partitioning or "
             "union",
             api);
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
                      s->env->g->nodes[i].name),
             s;
  sp_free(n->uid);
  n->uid = sp_strdup(uid);
  return s;
}

spate_stream *spate_parallelism(spate_stream *s, int parallelism) {
  sg_node *n = real_node(s, "spate_parallelism");
  if (!n) return s;
  if (parallelism < 1)
    return api_fail(s->env,
                    "spate_parallelism: parallelism must be at least 1, got %d (operator "
                    "'%s')",
                    parallelism, n->name),
           s;
  if (n->parallelism_fixed && parallelism != 1)
    return api_fail(s->env,
                    "spate_parallelism: operator '%s' is not parallel; its parallelism "
                    "must be 1",
                    n->name),
           s;
  n->parallelism = parallelism;
  return s;
}

spate_stream *spate_max_parallelism(spate_stream *s, int max_parallelism) {
  sg_node *n = real_node(s, "spate_max_parallelism");
  if (!n) return s;
  if (max_parallelism < 1 || max_parallelism > 32768)
    return api_fail(s->env, "spate_max_parallelism: must be in 1..32768, got %d (operator '%s')",
                    max_parallelism, n->name),
           s;
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

spate_stream *spate_udf_params(spate_stream *s, const char *type_name, const void *params,
                               size_t size) {
  sg_node *n = real_node(s, "SPATE_WITH_PARAMS");
  if (!n) return s;
  if (!type_name || !type_name[0] || (!params && size) || size > UINT32_MAX / 2 ||
      strlen(type_name) > 1024)
    return api_fail(s->env, "SPATE_WITH_PARAMS: a type name and its value are required"), s;
  size_t len;
  uint8_t *arg = udf_params_encode(type_name, params, size, &len);
  if (!arg) return api_fail(s->env, "out of memory"), s;
  sp_free(n->udf_arg);
  n->udf_arg = arg;
  n->udf_arg_len = len;
  return s;
}

spate_stream *spate_udf_lifecycle(spate_stream *s, spate_open_fn open, spate_close_fn close) {
  sg_node *n = real_node(s, "spate_udf_lifecycle");
  if (!n) return s;
  int id = n->id;
  char *o = open ? api_udf_name(s->env, "spate_udf_lifecycle", (void *)(uintptr_t)open) : NULL;
  char *c = close ? api_udf_name(s->env, "spate_udf_lifecycle", (void *)(uintptr_t)close) : NULL;
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
