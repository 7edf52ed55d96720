/*
 * formats.c: the API of spate/formats.h: format descriptors (kind, schema, Flink's options as
 * given, checked at once by connectors/format.h) and the sources and sinks that take one. A
 * format travels in the operator's params as its kind name and the key/value pairs in the order
 * they were set; the operator rebuilds the same options from them.
 */
#include <stdint.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "connectors/format.h"
#include "graph/op_params.h"
#include "types/schema.h"

struct spate_format {
  spate_env *env;
  fmt_options opts; /* checked as the options are set */
  const spate_schema *schema;
  uint32_t n; /* the params' list: kind name, then key, value, ... */
  char **list;
};

void api_free_formats(spate_env *env) {
  for (int i = 0; i < env->nformats; i++) {
    spate_format *f = env->formats[i];
    for (uint32_t k = 0; k < f->n; k++) sp_free(f->list[k]);
    sp_free(f->list);
    schema_unref(f->schema);
    sp_free(f);
  }
  sp_free(env->formats);
  env->formats = NULL;
  env->nformats = 0;
}

static bool list_add(spate_format *f, const char *s) {
  char **l = sp_realloc(f->list, sizeof *l * (f->n + 1));
  if (!l) return false;
  f->list = l;
  if (!(l[f->n] = sp_strdup(s))) return false;
  f->n++;
  return true;
}

static spate_format *format_new(spate_env *env, const spate_schema *schema, fmt_kind kind,
                                const char *api) {
  if (env->failed) return NULL;
  if (!schema) return api_fail(env, "%s: schema is NULL", api), NULL;
  spate_format *f = sp_calloc(1, sizeof *f);
  spate_format **all = sp_realloc(env->formats, sizeof *all * (size_t)(env->nformats + 1));
  if (all) env->formats = all;
  if (!f || !all) {
    sp_free(f);
    return api_fail(env, "out of memory"), NULL;
  }
  f->env = env;
  f->schema = schema_ref(schema);
  fmt_options_init(&f->opts, kind);
  env->formats[env->nformats++] = f;
  if (!list_add(f, fmt_kind_name(kind))) return api_fail(env, "out of memory"), NULL;
  return f;
}

spate_format *spate_format_csv(spate_env *env, const spate_schema *schema) {
  return format_new(env, schema, FMT_CSV, "spate_format_csv");
}

spate_format *spate_format_json(spate_env *env, const spate_schema *schema) {
  return format_new(env, schema, FMT_JSON, "spate_format_json");
}

const spate_schema *spate_format_schema(const spate_format *fmt) {
  return fmt ? fmt->schema : NULL;
}

int spate_format_set(spate_format *fmt, const char *key, const char *value) {
  if (!fmt) return SPATE_EINVAL;
  spate_env *env = fmt->env;
  if (env->failed) return SPATE_EINVAL;
  char err[300];
  fmt_options o = fmt->opts; /* applied only when valid with the others */
  int rc = fmt_options_set(&o, key, value, err, sizeof err);
  if (rc == 0) rc = fmt_options_check(&o, err, sizeof err);
  if (rc < 0) {
    api_fail(env, "spate_format_set: %s", err);
    return rc;
  }
  if (!list_add(fmt, key) || !list_add(fmt, value)) {
    api_fail(env, "out of memory");
    return SPATE_ENOMEM;
  }
  fmt->opts = o;
  return 0;
}

/* The format as the params' string list. */
static op_str_list format_list(const spate_format *fmt) {
  return (op_str_list){fmt->n, (const char *const *)fmt->list};
}

static bool check_format(spate_env *env, const char *api, const spate_format *fmt) {
  if (env->failed) return false;
  if (!fmt) return api_fail(env, "%s: format is NULL", api), false;
  if (fmt->env != env)
    return api_fail(env, "%s: the format belongs to another environment", api), false;
  return true;
}

/* A source node of `kind` with params, fmt's schema as its output. */
static spate_stream *format_source(spate_env *env, op_kind kind, const char *name,
                                   const spate_format *fmt, const void *params, bool fixed) {
  int id;
  if (!api_add_node(env, kind, name, &id)) return NULL;
  sg_node *n = &env->g->nodes[id];
  n->out_schema = schema_ref(fmt->schema);
  n->chaining = CHAIN_HEAD;
  if (fixed) {
    n->parallelism = 1;
    n->parallelism_fixed = true;
  }
  if (!api_set_params(env, id, params)) return NULL;
  return api_new_stream(env, id, fmt->schema);
}

static bool check_paths(spate_env *env, const char *api, const char *const *paths, size_t n) {
  if (n == 0 || !paths) return api_fail(env, "%s: no input paths given", api), false;
  for (size_t i = 0; i < n; i++)
    if (!paths[i] || !paths[i][0])
      return api_fail(env, "%s: input path %zu is empty", api, i + 1), false;
  return true;
}

spate_stream *spate_read_files(spate_env *env, const char *const *paths, size_t n,
                               const spate_format *fmt) {
  if (!check_format(env, "spate_read_files", fmt) ||
      !check_paths(env, "spate_read_files", paths, n))
    return NULL;
  op_file_source_params p = {.paths = {(uint32_t)n, paths}, .format = format_list(fmt)};
  return format_source(env, OP_SRC_FILE, "Source: File Source", fmt, &p, false);
}

spate_stream *spate_read_file(spate_env *env, const char *path, const spate_format *fmt) {
  return spate_read_files(env, &path, 1, fmt);
}

spate_stream *spate_monitor_directory(spate_env *env, const char *dir, int64_t interval_ms,
                                      const spate_format *fmt) {
  if (!check_format(env, "spate_monitor_directory", fmt) ||
      !check_paths(env, "spate_monitor_directory", &dir, 1))
    return NULL;
  if (interval_ms <= 0)
    return api_fail(env, "spate_monitor_directory: the interval (%lld ms) must be positive",
                    (long long)interval_ms),
           NULL;
  op_file_source_params p = {
      .paths = {1, &dir}, .format = format_list(fmt), .monitor_ms = interval_ms};
  return format_source(env, OP_SRC_FILE, "Source: File Source", fmt, &p, true);
}

spate_stream *spate_socket_stream(spate_env *env, const char *host, int port,
                                  const spate_format *fmt) {
  if (!check_format(env, "spate_socket_stream", fmt)) return NULL;
  if (!host || !host[0]) return api_fail(env, "spate_socket_stream: no host given"), NULL;
  if (port < 1 || port > 65535)
    return api_fail(env, "spate_socket_stream: port %d is not in 1..65535", port), NULL;
  op_socket_params p = {.host = host, .port = port, .format = format_list(fmt)};
  return format_source(env, OP_SRC_SOCKET, "Source: Socket Stream", fmt, &p, true);
}

/* The stream's rows must read as the format's schema: same count and types, field by field. */
static bool check_sink_schema(spate_stream *in, const char *api, const spate_format *fmt) {
  const spate_schema *a = in->schema, *b = fmt->schema;
  if (a->nfields != b->nfields)
    return api_fail(in->env, "%s: the stream has %d fields, the format's schema %d", api,
                    a->nfields, b->nfields),
           false;
  for (int i = 0; i < a->nfields; i++) {
    if (schema_type_equal(&a->fields[i], &b->fields[i])) continue;
    char ta[TYPE_NAME_MAX], tb[TYPE_NAME_MAX];
    type_to_string(&a->fields[i], ta);
    type_to_string(&b->fields[i], tb);
    return api_fail(in->env, "%s: field %d ('%s') is %s in the stream, %s in the format", api,
                    i + 1, b->fields[i].name, ta, tb),
           false;
  }
  return true;
}

/* A sink node fed by `in` with params. */
static spate_stream *format_sink(spate_stream *in, op_kind kind, const char *name,
                                 const void *params) {
  spate_env *env = in->env;
  int id;
  if (!api_add_node(env, kind, name, &id)) return NULL;
  if (!api_set_params(env, id, params)) return NULL;
  if (!api_connect_inputs(env, id, in)) return NULL;
  return api_new_stream(env, id, in->schema);
}

spate_stream *spate_write_file(spate_stream *in, const char *path, const spate_format *fmt) {
  if (!api_check_input("spate_write_file", in) || !check_format(in->env, "spate_write_file", fmt) ||
      !check_sink_schema(in, "spate_write_file", fmt))
    return NULL;
  if (!path || !path[0]) return api_fail(in->env, "spate_write_file: no output path given"), NULL;
  op_text_sink_params p = {.path = path, .format = format_list(fmt)};
  return format_sink(in, OP_SINK_TEXT, "Sink: File", &p);
}

spate_stream *spate_sink_file_format(spate_stream *in, const char *dir,
                                     const spate_file_sink_options *opts, const spate_format *fmt) {
  if (!api_check_input("spate_sink_file_format", in) ||
      !check_format(in->env, "spate_sink_file_format", fmt) ||
      !check_sink_schema(in, "spate_sink_file_format", fmt))
    return NULL;
  spate_stream *s = spate_sink_file(in, dir, opts);
  if (!s) return NULL;
  /* the node spate_sink_file made, with the format added to its params */
  sg_node *n = &in->env->g->nodes[s->node];
  op_file_sink_params p;
  char err[SP_ERRMSG_MAX];
  if (op_file_sink_params_load(n, &p, err, sizeof err) < 0)
    return api_fail(in->env, "spate_sink_file_format: %s", err), NULL;
  op_str_list none = p.format;
  p.format = format_list(fmt);
  bool ok = api_set_params(in->env, s->node, &p);
  p.format = none;
  op_file_sink_params_free(&p);
  return ok ? s : NULL;
}
