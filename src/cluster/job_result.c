/*
 * job_result.c: encoding job results (the JobMaster, from its subtasks' reports), decoding them
 * (the client) and the public accessors.
 */
#include "cluster/job_result.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "graph/op_params.h"
#include "types/row.h"
#include "types/schema.h"

spate_job_result *jr_new(const char *job_id, const char *name, spate_job_status status,
                         const char *error) {
  spate_job_result *r = sp_calloc(1, sizeof *r);
  if (!r) return NULL;
  snprintf(r->job_id, sizeof r->job_id, "%s", job_id ? job_id : "00000000000000000000000000000000");
  r->name = sp_strdup(name ? name : "");
  r->status = status;
  r->error = error ? sp_strdup(error) : NULL;
  return r;
}

/* ---- encoding ------------------------------------------------------------------------------ */

/* The collect sinks' rows of one job, gathered from the subtasks' reports in subtask order. */
typedef struct collected {
  const sg_node *node;
  char *name;
  uint32_t count;
  sp_writer rows; /* count blobs */
} collected;

/* Appends one report's collect results to the matching sinks. */
static void gather_collected(sp_reader *r, collected *c, int nc) {
  uint32_t m = sp_get_u32(r);
  for (uint32_t i = 0; i < m && sp_reader_ok(r); i++) {
    char *name = sp_get_str(r);
    uint32_t count = sp_get_u32(r);
    size_t start = r->pos;
    for (uint32_t k = 0; k < count && sp_reader_ok(r); k++) {
      uint32_t bl;
      sp_get_blob(r, &bl);
    }
    for (int k = 0; name && sp_reader_ok(r) && k < nc; k++)
      if (strcmp(c[k].name, name) == 0) {
        sp_put_bytes(&c[k].rows, r->data + start, r->pos - start);
        c[k].count += count;
        break;
      }
    sp_free(name);
  }
}

void jr_encode(sp_writer *w, const job_graph *jg, spate_job_status st, const char *error,
               int64_t runtime_ms, const jr_report *reports, int restarts, const sp_writer *stats,
               uint32_t nstats) {
  sp_put_str(w, jg->job_id);
  sp_put_str(w, jg->job_name);
  sp_put_u8(w, (uint8_t)st);
  sp_put_str(w, st == SPATE_JOB_FAILED ? (error ? error : "unknown failure") : NULL);
  sp_put_i64(w, runtime_ms);
  /* per-operator metrics summed over subtasks, in node order; collected rows in subtask order */
  uint64_t *in = sp_calloc((size_t)jg->nnodes + 1, 8), *out = sp_calloc((size_t)jg->nnodes + 1, 8),
           *bp = sp_calloc((size_t)jg->nnodes + 1, 8);
  collected *coll = sp_calloc((size_t)jg->nnodes + 1, sizeof *coll);
  int ncoll = 0;
  for (int i = 0; coll && i < jg->nnodes; i++)
    if (jg->nodes[i].kind == OP_SINK_COLLECT) {
      op_collect_params p;
      char err[SP_ERRMSG_MAX];
      if (op_collect_params_load(&jg->nodes[i], &p, err, sizeof err) < 0 || !p.name) continue;
      collected *c = &coll[ncoll];
      c->name = op_params_take_str(&p.name);
      c->node = &jg->nodes[i];
      sp_writer_init(&c->rows);
      ncoll++;
    }
  for (int v = 0, t = 0; in && out && bp && coll && v < jg->nvertices; v++)
    for (int s = 0; s < jg->vertices[v].parallelism; s++, t++) {
      if (!reports[t].data) continue;
      sp_reader r;
      sp_reader_init(&r, reports[t].data, reports[t].len);
      uint32_t n = sp_get_u32(&r);
      for (uint32_t i = 0; i < n && sp_reader_ok(&r); i++) {
        int32_t node = sp_get_i32(&r);
        uint64_t a = sp_get_u64(&r), b = sp_get_u64(&r), c = sp_get_u64(&r);
        if (node >= 0 && node < jg->nnodes) {
          in[node] += a;
          out[node] += b;
          bp[node] += c;
        }
      }
      gather_collected(&r, coll, ncoll);
    }
  sp_put_u32(w, (uint32_t)jg->nnodes);
  for (int i = 0; i < jg->nnodes; i++) {
    sp_put_i32(w, i);
    sp_put_str(w, jg->nodes[i].name);
    sp_put_u64(w, in ? in[i] : 0);
    sp_put_u64(w, out ? out[i] : 0);
    sp_put_u64(w, bp ? bp[i] : 0);
  }
  sp_put_u32(w, (uint32_t)ncoll);
  for (int k = 0; k < ncoll; k++) {
    collected *c = &coll[k];
    sp_put_str(w, c->name);
    schema_encode(w, sg_edge_schema(jg->nodes, &c->node->inputs[0])); /* a side output's own */
    sp_put_u32(w, c->count);
    sp_put_bytes(w, c->rows.data, c->rows.len);
    if (c->rows.failed) w->failed = true;
    sp_writer_free(&c->rows);
    sp_free(c->name);
  }
  sp_free(coll);
  sp_free(in);
  sp_free(out);
  sp_free(bp);
  sp_put_i32(w, restarts);
  sp_put_u32(w, nstats);
  sp_put_bytes(w, stats->data, stats->len);
}

/* ---- decoding ------------------------------------------------------------------------------ */

/* Records why a count cannot be right: each of its items takes at least `min_item` bytes. */
static bool count_fits(sp_reader *r, uint32_t n, size_t min_item, const char *what) {
  if (!sp_reader_ok(r) || n <= (r->len - r->pos) / min_item) return sp_reader_ok(r);
  char msg[96];
  snprintf(msg, sizeof msg, "%s count %u exceeds the %zu remaining bytes", what, n,
           r->len - r->pos);
  sp_reader_fail(r, msg);
  return false;
}

static bool is_job_id(const char *id) {
  if (!id || strlen(id) != 32) return false;
  for (const char *p = id; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
  return true;
}

/* Reads one collected output (str name, schema, u32 count, count row blobs) into c, its rows
 * copied into one 8-aligned area and validated against the schema: user code reads them in
 * place and trusts them, like rows from a source. False with the reason on r. */
static bool decode_collected(sp_reader *r, const uint8_t *data, jr_collected *c) {
  size_t name_at = r->pos;
  c->name = sp_get_str(r);
  if (sp_reader_ok(r) && !c->name) {
    r->pos = name_at;
    sp_reader_fail(r, "collected output without a name");
  }
  c->schema = sp_reader_ok(r) ? schema_decode(r) : NULL;
  uint32_t count = sp_get_u32(r);
  if (!count_fits(r, count, 4, "row")) return false;
  size_t start = r->pos, total = 0;
  for (uint32_t k = 0; k < count && sp_reader_ok(r); k++) {
    uint32_t bl;
    sp_get_blob(r, &bl);
    total += ((size_t)bl + 7) & ~(size_t)7;
  }
  if (!sp_reader_ok(r)) return false;
  c->data = sp_malloc(total + 8);
  c->rows = sp_calloc(count + 1, sizeof *c->rows);
  if (!c->data || !c->rows) {
    sp_reader_fail(r, "out of memory");
    return false;
  }
  sp_reader rr;
  sp_reader_init(&rr, data + start, r->pos - start);
  size_t off = 0;
  for (uint32_t k = 0; k < count; k++) {
    uint32_t bl;
    const void *p = sp_get_blob(&rr, &bl);
    memcpy(c->data + off, p, bl);
    c->rows[k].data = c->data + off;
    c->rows[k].len = bl;
    c->rows[k].nfields = (uint32_t)c->schema->nfields;
    off += ((size_t)bl + 7) & ~(size_t)7;
    char why[120], msg[200];
    if (row_validate(c->rows[k].data, bl, c->schema, true, why, sizeof why) < 0) {
      snprintf(msg, sizeof msg, "row %u of collected output '%s': %s", k, c->name, why);
      r->pos = start + rr.pos - bl;
      sp_reader_fail(r, msg);
      return false;
    }
  }
  c->count = count;
  return true;
}

int jr_decode(const void *data, size_t len, spate_job_result **out, char *err, size_t err_len) {
  *out = NULL;
  sp_reader r;
  sp_reader_init(&r, data, len);
  spate_job_result *res = sp_calloc(1, sizeof *res);
  if (!res) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  char *id = sp_get_str(&r);
  if (sp_reader_ok(&r) && !is_job_id(id)) {
    r.pos = 0;
    sp_reader_fail(&r, "the job id is not 32 hexadecimal digits");
  }
  snprintf(res->job_id, sizeof res->job_id, "%s", id ? id : "");
  sp_free(id);
  size_t at = r.pos;
  res->name = sp_get_str(&r);
  if (sp_reader_ok(&r) && !res->name) {
    r.pos = at;
    sp_reader_fail(&r, "no job name");
  }
  at = r.pos;
  uint8_t status = sp_get_u8(&r);
  if (sp_reader_ok(&r) && status != SPATE_JOB_FINISHED && status != SPATE_JOB_FAILED &&
      status != SPATE_JOB_CANCELED) {
    char msg[96];
    snprintf(msg, sizeof msg, "unknown job status %u", status);
    r.pos = at;
    sp_reader_fail(&r, msg);
  }
  res->status = (spate_job_status)status;
  res->error = sp_get_str(&r);
  res->runtime_ms = sp_get_i64(&r);
  /* operators: i32 node, str name, u64 in, out, backpressure (28 bytes at least) */
  uint32_t n = sp_get_u32(&r);
  if (count_fits(&r, n, 28, "operator") && !(res->ops = sp_calloc(n + 1, sizeof *res->ops)))
    sp_reader_fail(&r, "out of memory");
  for (uint32_t i = 0; res->ops && i < n && sp_reader_ok(&r); i++) {
    sp_get_i32(&r);
    res->ops[i].name = sp_get_str(&r);
    res->ops[i].in = sp_get_u64(&r);
    res->ops[i].out = sp_get_u64(&r);
    res->ops[i].backpressure_ns = sp_get_u64(&r);
    res->nops = i + 1;
  }
  /* collected outputs: str name, schema, u32 count (12 bytes at least) */
  uint32_t m = sp_get_u32(&r);
  if (count_fits(&r, m, 12, "collected output") &&
      !(res->collected = sp_calloc(m + 1, sizeof *res->collected)))
    sp_reader_fail(&r, "out of memory");
  for (uint32_t i = 0; res->collected && i < m && sp_reader_ok(&r); i++) {
    res->ncollected = i + 1;
    decode_collected(&r, data, &res->collected[i]);
  }
  /* restarts and checkpoints: absent in results made before the job ran */
  bool more = sp_reader_ok(&r) && r.pos < r.len;
  res->restarts = more ? sp_get_i32(&r) : 0;
  uint32_t k = more ? sp_get_u32(&r) : 0;
  /* a checkpoint's statistics take 49 bytes */
  if (count_fits(&r, k, 49, "checkpoint") &&
      !(res->checkpoints = sp_calloc(k + 1, sizeof *res->checkpoints)))
    sp_reader_fail(&r, "out of memory");
  for (uint32_t i = 0; res->checkpoints && i < k && sp_reader_ok(&r); i++) {
    spate_checkpoint_stats *c = &res->checkpoints[i];
    c->id = sp_get_i64(&r);
    c->duration_ms = sp_get_i64(&r);
    c->sync_ms = sp_get_i64(&r);
    c->async_ms = sp_get_i64(&r);
    c->alignment_ms = sp_get_i64(&r);
    c->state_size = sp_get_u64(&r);
    c->unaligned = sp_get_u8(&r) != 0;
    res->ncheckpoints = i + 1;
  }
  if (sp_reader_ok(&r) && r.pos < r.len) {
    char msg[96];
    snprintf(msg, sizeof msg, "%zu unexpected bytes after the result", r.len - r.pos);
    sp_reader_fail(&r, msg);
  }
  if (!sp_reader_ok(&r)) {
    spate_job_result_free(res);
    bool oom = strncmp(r.error, "out of memory", 13) == 0;
    return sp_err(err, err_len, oom ? SPATE_ENOMEM : SPATE_ECORRUPT, "%s", r.error);
  }
  *out = res;
  return 0;
}

void spate_job_result_free(spate_job_result *r) {
  if (!r) return;
  sp_free(r->name);
  sp_free(r->error);
  for (size_t i = 0; i < r->nops; i++) sp_free(r->ops[i].name);
  sp_free(r->ops);
  for (size_t i = 0; i < r->ncollected; i++) {
    sp_free(r->collected[i].name);
    if (r->collected[i].schema) schema_unref(r->collected[i].schema);
    sp_free(r->collected[i].rows);
    sp_free(r->collected[i].data);
  }
  sp_free(r->collected);
  sp_free(r->checkpoints);
  sp_free(r);
}

size_t spate_job_result_num_checkpoints(const spate_job_result *r) { return r->ncheckpoints; }
int spate_job_result_restarts(const spate_job_result *r) { return r->restarts; }
const spate_checkpoint_stats *spate_job_result_checkpoint(const spate_job_result *r, size_t i) {
  return i < r->ncheckpoints ? &r->checkpoints[i] : NULL;
}

spate_job_status spate_job_result_status(const spate_job_result *r) { return r->status; }

const char *spate_job_status_name(spate_job_status s) {
  switch (s) {
  case SPATE_JOB_FINISHED: return "FINISHED";
  case SPATE_JOB_FAILED: return "FAILED";
  case SPATE_JOB_CANCELED: return "CANCELED";
  case SPATE_JOB_PLANNED: return "PLANNED";
  case SPATE_JOB_DETACHED: return "DETACHED";
  }
  return "UNKNOWN";
}

const char *spate_job_result_error(const spate_job_result *r) {
  return r->status == SPATE_JOB_FAILED ? (r->error ? r->error : "unknown error") : NULL;
}
const char *spate_job_result_id(const spate_job_result *r) { return r->job_id; }
int64_t spate_job_result_runtime_ms(const spate_job_result *r) { return r->runtime_ms; }
size_t spate_job_result_num_operators(const spate_job_result *r) { return r->nops; }
const char *spate_job_result_operator(const spate_job_result *r, size_t i) {
  return i < r->nops ? r->ops[i].name : NULL;
}
uint64_t spate_job_result_records_in(const spate_job_result *r, size_t i) {
  return i < r->nops ? r->ops[i].in : 0;
}
uint64_t spate_job_result_records_out(const spate_job_result *r, size_t i) {
  return i < r->nops ? r->ops[i].out : 0;
}
uint64_t spate_job_result_backpressure_ns(const spate_job_result *r, size_t i) {
  return i < r->nops ? r->ops[i].backpressure_ns : 0;
}

size_t spate_job_result_collected(const spate_job_result *r, const char *name,
                                  const spate_row **rows, const spate_schema **schema) {
  for (size_t i = 0; i < r->ncollected; i++)
    if (r->collected[i].name && strcmp(r->collected[i].name, name) == 0) {
      if (rows) *rows = r->collected[i].rows;
      if (schema) *schema = r->collected[i].schema;
      return r->collected[i].count;
    }
  if (rows) *rows = NULL;
  if (schema) *schema = NULL;
  return 0;
}
