/*
 * virtual_streams.c: the DataStream API's virtual streams, which add no node of their own but
 * say how the next operator is fed: key by, the partitioners, union, and an operator's side
 * output. Flink's partition and union transformations turn into edges the same way.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "types/schema.h"

spate_stream *spate_side_output(spate_stream *s, const char *tag, const spate_schema *schema) {
  if (!api_check_input("spate_side_output", s)) return NULL;
  spate_env *env = s->env;
  if (s->node < 0)
    return api_fail(env,
                    "spate_side_output: applies to an operator, not to the result of a key "
                    "by, partitioning or union"),
           NULL;
  if (!tag || !tag[0] || !schema)
    return api_fail(env, "spate_side_output: a tag and a schema are required"), NULL;
  for (int i = 0; i < env->nstreams; i++) { /* one tag, one schema (Flink's OutputTag type) */
    const spate_stream *o = env->streams[i];
    for (int k = 0; k < o->ninputs; k++)
      if (o->inputs[k].node == s->node && o->inputs[k].side_tag &&
          strcmp(o->inputs[k].side_tag, tag) == 0 &&
          !schema_equal(o->inputs[k].side_schema, schema))
        return api_fail(env,
                        "spate_side_output: side output '%s' is already read with another "
                        "schema",
                        tag),
               NULL;
  }
  spate_stream *out = api_new_stream(env, -1, schema);
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
int api_stream_input_copy(stream_input *dst, const stream_input *src) {
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

spate_stream *api_virtual_copy(spate_stream *in, const char *api) {
  if (!api_check_input(api, in)) return NULL;
  spate_stream *s = api_new_stream(in->env, -1, in->schema);
  if (!s) return NULL;
  s->inputs = sp_calloc((size_t)in->ninputs, sizeof *s->inputs);
  if (!s->inputs) return api_fail(in->env, "out of memory"), NULL;
  for (int k = 0; k < in->ninputs; k++) {
    if (api_stream_input_copy(&s->inputs[k], &in->inputs[k]) < 0)
      return api_fail(in->env, "out of memory"), NULL;
    s->ninputs = k + 1;
  }
  return s;
}

static spate_stream *repartition(spate_stream *in, part_kind part, const char *api) {
  spate_stream *s = api_virtual_copy(in, api);
  if (!s) return NULL;
  for (int k = 0; k < s->ninputs; k++) {
    s->inputs[k].part = part;
    key_spec_free(&s->inputs[k].key);
    sp_free(s->inputs[k].partition_fn);
    s->inputs[k].partition_fn = NULL;
  }
  return s;
}

spate_stream *spate_forward(spate_stream *in) {
  return repartition(in, PART_FORWARD, "spate_forward");
}
spate_stream *spate_rebalance(spate_stream *in) {
  return repartition(in, PART_REBALANCE, "spate_rebalance");
}
spate_stream *spate_rescale(spate_stream *in) {
  return repartition(in, PART_RESCALE, "spate_rescale");
}
spate_stream *spate_shuffle(spate_stream *in) {
  return repartition(in, PART_SHUFFLE, "spate_shuffle");
}
spate_stream *spate_broadcast(spate_stream *in) {
  return repartition(in, PART_BROADCAST, "spate_broadcast");
}
spate_stream *spate_global(spate_stream *in) {
  return repartition(in, PART_GLOBAL, "spate_global");
}

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
    if (selector && !(ks->selector = sp_strdup(selector)))
      return api_fail(env, "out of memory"), NULL;
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

spate_stream *spate_key_by(spate_stream *in, int field) {
  return spate_key_by_fields(in, &field, 1);
}

spate_stream *spate_key_by_fields(spate_stream *in, const int *fields, int n) {
  if (!api_check_input("spate_key_by", in)) return NULL;
  spate_env *env = in->env;
  if (!fields || n < 1 || n > 64)
    return api_fail(env, "spate_key_by: between 1 and 64 key fields are needed, got %d", n), NULL;
  for (int i = 0; i < n; i++)
    if (fields[i] < 0 || fields[i] >= in->schema->nfields)
      return api_fail(env, "spate_key_by: key field %d is out of range: the stream has %d field%s",
                      fields[i], in->schema->nfields, in->schema->nfields == 1 ? "" : "s"),
             NULL;
  spate_schema *ks = project(in->schema, fields, n);
  if (!ks) return api_fail(env, "out of memory"), NULL;
  spate_stream *s = keyed(in, "spate_key_by", fields, n, NULL, ks, PART_HASH);
  schema_unref(ks);
  return s;
}

spate_stream *spate_key_by_fn(spate_stream *in, spate_key_fn fn, const spate_schema *key_schema) {
  if (!api_check_input("spate_key_by_fn", in)) return NULL;
  if (!key_schema || key_schema->nfields > 64)
    return api_fail(in->env, "spate_key_by_fn: a key schema of 1..64 fields is needed"), NULL;
  char *name = api_udf_name(in->env, "spate_key_by_fn", (void *)(uintptr_t)fn);
  if (!name) return NULL;
  return keyed(in, "spate_key_by_fn", NULL, 0, name, key_schema, PART_HASH);
}

spate_stream *spate_partition_custom(spate_stream *in, spate_partition_fn fn, int key_field) {
  if (!api_check_input("spate_partition_custom", in)) return NULL;
  spate_env *env = in->env;
  if (key_field < 0 || key_field >= in->schema->nfields)
    return api_fail(env, "spate_partition_custom: key field %d is out of range (%d fields)",
                    key_field, in->schema->nfields),
           NULL;
  char *name = api_udf_name(env, "spate_partition_custom", (void *)(uintptr_t)fn);
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
  if (!api_check_input("spate_union", a) || !api_check_input("spate_union", b)) return NULL;
  spate_env *env = a->env;
  if (b->env != env)
    return api_fail(env, "spate_union: the streams belong to different environments"), NULL;
  if (!schema_equal(a->schema, b->schema)) {
    char *sa = schema_to_string(a->schema), *sb = schema_to_string(b->schema);
    api_fail(env, "spate_union: the streams have different schemas: (%s) and (%s)", sa ? sa : "?",
             sb ? sb : "?");
    sp_free(sa);
    sp_free(sb);
    return NULL;
  }
  spate_stream *s = api_virtual_copy(a, "spate_union");
  if (!s) return NULL;
  stream_input *n = sp_realloc(s->inputs, sizeof *n * (size_t)(s->ninputs + b->ninputs));
  if (!n) return api_fail(env, "out of memory"), NULL;
  s->inputs = n;
  for (int k = 0; k < b->ninputs; k++) {
    if (api_stream_input_copy(&s->inputs[s->ninputs], &b->inputs[k]) < 0)
      return api_fail(env, "out of memory"), NULL;
    s->ninputs++;
  }
  s->keyed = false;
  return s;
}
