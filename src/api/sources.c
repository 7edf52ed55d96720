/*
 * sources.c: the DataStream API's sources (collections, rows, text files, sequences,
 * generators, sockets). Each becomes a source node that heads its own chain; the elements,
 * paths or bounds are the node's params (the structs of graph/op_params.h).
 */
#include <stdint.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/utf8.h"
#include "graph/op_params.h"
#include "types/row.h"
#include "types/schema.h"

/* ---- sources ---------------------------------------------------------------------------------- */
static const spate_schema *line_schema(spate_env *env) {
  return spate_env_schema(env, "f0 STRING NOT NULL");
}

/* A source node of `kind` with params (the kind's struct of graph/op_params.h). */
static spate_stream *source(spate_env *env, op_kind kind, const char *name,
                            const spate_schema *schema, const void *params, bool fixed) {
  int id;
  if (!schema || !api_add_node(env, kind, name, &id)) return NULL;
  sg_node *n = &env->g->nodes[id];
  n->out_schema = schema_ref(schema);
  n->chaining = CHAIN_HEAD;
  if (fixed) {
    n->parallelism = 1;
    n->parallelism_fixed = true;
  }
  if (!api_set_params(env, id, params)) return NULL;
  return api_new_stream(env, id, schema);
}

spate_stream *spate_from_strings(spate_env *env, const char *const *items, size_t n) {
  if (!env || env->failed) return NULL;
  if (!items && n) return api_fail(env, "spate_from_strings: items is NULL"), NULL;
  const spate_schema *schema = line_schema(env);
  if (!schema) return NULL;
  spate_row_builder *b = spate_rb_new(schema);
  /* the rows back to back in one buffer (a builder reuses its own), then a view of each */
  sp_writer all;
  sp_writer_init(&all);
  op_blob *rows = sp_calloc(n ? n : 1, sizeof *rows);
  spate_stream *s = NULL;
  if (!b || !rows) {
    api_fail(env, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    if (!items[i]) {
      api_fail(env, "spate_from_strings: item %zu is NULL", i);
      goto out;
    }
    size_t len = strlen(items[i]);
    if (sp_utf8_invalid_at(items[i], len) >= 0) {
      api_fail(env, "spate_from_strings: item %zu is not valid UTF-8 (byte %ld)", i,
               sp_utf8_invalid_at(items[i], len));
      goto out;
    }
    spate_row row;
    spate_rb_begin(b);
    spate_rb_set_string(b, 0, items[i], len);
    spate_rb_finish(b, &row);
    sp_put_bytes(&all, row.data, row.len);
    rows[i].len = row.len;
  }
  if (all.failed) {
    api_fail(env, "out of memory");
    goto out;
  }
  for (size_t i = 0, at = 0; i < n; at += rows[i].len, i++) rows[i].data = all.data + at;
  op_elements_params p = {.rows = {(uint32_t)n, rows}};
  s = source(env, OP_SRC_ELEMENTS, "Source: Collection Source", schema, &p, true);
out:
  spate_rb_free(b);
  sp_free(rows);
  sp_writer_free(&all);
  return s;
}

spate_stream *spate_from_rows(spate_env *env, const spate_schema *schema, const spate_row *rows,
                              size_t n) {
  if (!env || env->failed) return NULL;
  if (!schema || (!rows && n))
    return api_fail(env, "spate_from_rows: schema or rows is NULL"), NULL;
  op_blob *v = sp_calloc(n ? n : 1, sizeof *v);
  if (!v) return api_fail(env, "out of memory"), NULL;
  for (size_t i = 0; i < n; i++) {
    char err[256];
    if (rows[i].nfields != (uint32_t)schema->nfields ||
        row_validate(rows[i].data, rows[i].len, schema, true, err, sizeof err) < 0) {
      sp_free(v);
      return api_fail(env, "spate_from_rows: row %zu does not match the schema: %s", i,
                      rows[i].nfields != (uint32_t)schema->nfields ? "wrong field count" : err),
             NULL;
    }
    v[i] = (op_blob){rows[i].data, rows[i].len};
  }
  op_elements_params p = {.rows = {(uint32_t)n, v}};
  spate_stream *s = source(env, OP_SRC_ELEMENTS, "Source: Collection Source", schema, &p, true);
  sp_free(v);
  return s;
}

spate_stream *spate_read_text_file(spate_env *env, const char *path) {
  return spate_read_text_files(env, &path, 1);
}

spate_stream *spate_read_text_files(spate_env *env, const char *const *paths, size_t n) {
  if (!env || env->failed) return NULL;
  if (n == 0 || !paths) return api_fail(env, "spate_read_text_files: no input paths given"), NULL;
  for (size_t i = 0; i < n; i++)
    if (!paths[i] || !paths[i][0])
      return api_fail(env, "spate_read_text_files: input path %zu is empty", i + 1), NULL;
  op_file_source_params p = {.paths = {(uint32_t)n, paths}};
  return source(env, OP_SRC_FILE, "Source: File Source", line_schema(env), &p, false);
}

spate_stream *spate_from_sequence(spate_env *env, int64_t from, int64_t to) {
  if (!env || env->failed) return NULL;
  if (to < from)
    return api_fail(env, "spate_from_sequence: 'to' (%lld) is smaller than 'from' (%lld)",
                    (long long)to, (long long)from),
           NULL;
  op_sequence_params p = {.from = from, .to = to};
  return source(env, OP_SRC_SEQUENCE, "Source: Sequence Source",
                spate_env_schema(env, "value BIGINT NOT NULL"), &p, false);
}

/* A generator source (op_generator_params). */
static spate_stream *generate(spate_env *env, const char *api, const spate_schema *schema,
                              spate_generator_fn fn, int64_t count, double per_second,
                              int64_t per_checkpoint) {
  if (!env || env->failed) return NULL;
  if (!schema) return api_fail(env, "%s: schema is NULL", api), NULL;
  char *name = api_udf_name(env, api, (void *)(uintptr_t)fn);
  if (!name) return NULL;
  op_generator_params p = {.count = count < 0 ? -1 : count,
                           .records_per_second = per_second,
                           .records_per_checkpoint = per_checkpoint};
  spate_stream *s = source(env, OP_SRC_GENERATOR, "Source: Generator Source", schema, &p, false);
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
  if (env && !env->failed && !(records_per_second > 0 && records_per_second <= 1e12))
    return api_fail(env, "spate_generate_rate_limited: %g records per second is not in (0, 1e12]",
                    records_per_second),
           NULL;
  return generate(env, "spate_generate_rate_limited", schema, fn, count, records_per_second, 0);
}

spate_stream *spate_generate_per_checkpoint(spate_env *env, const spate_schema *schema,
                                            spate_generator_fn fn, int64_t count,
                                            int64_t records_per_checkpoint) {
  if (env && !env->failed && records_per_checkpoint <= 0)
    return api_fail(env,
                    "spate_generate_per_checkpoint: %lld records per checkpoint is not "
                    "positive",
                    (long long)records_per_checkpoint),
           NULL;
  return generate(env, "spate_generate_per_checkpoint", schema, fn, count, 0,
                  records_per_checkpoint);
}

spate_stream *spate_socket_text_stream(spate_env *env, const char *host, int port) {
  if (!env || env->failed) return NULL;
  if (!host || !host[0]) return api_fail(env, "spate_socket_text_stream: no host given"), NULL;
  if (port < 1 || port > 65535)
    return api_fail(env, "spate_socket_text_stream: port %d is not in 1..65535", port), NULL;
  op_socket_params p = {.host = host, .port = port};
  return source(env, OP_SRC_SOCKET, "Source: Socket Stream", line_schema(env), &p, true);
}
