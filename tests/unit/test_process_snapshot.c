/*
 * test_process_snapshot.c: checkpoints of the process-function operators. A scripted input
 * (records of one or two inputs, watermarks, processing-time ticks) is played into the
 * operator's subtasks, records routed by key group as the hash partitioner does, broadcast
 * records and time to every subtask. A run cut into stages snapshots every subtask at each cut
 * and restores fresh subtasks from those sections through snap_assign, at the same or another
 * parallelism; its output must be the output of the uninterrupted run, record for record
 * (compared as multisets: the order across subtasks is not defined).
 * Covered: a keyed process function with keyed state and event- and processing-time timers
 * (restored processing-time timers must be scheduled again, so some keys get no record after
 * the cut), broadcast state (a new subtask gets its copy), the interval join, the window join
 * (tumbling and session windows), and malformed sections, which are refused.
 * UDFs have external linkage and a ps_ prefix.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/hash.h"
#include "connectors/registry.h"
#include "operators/registry.h"
#include "runtime/operator.h"
#include "state/snapshot.h"
#include "types/row.h"

/* ---- collected output: (timestamp, row bytes), compared as multisets ------------------------- */
typedef struct blob {
  uint8_t *p;
  size_t n;
} blob;

typedef struct outs {
  blob *v;
  size_t n, cap;
} outs;

static void outs_push(outs *o, int64_t ts, const spate_row *row) {
  if (o->n == o->cap) {
    o->cap = o->cap ? 2 * o->cap : 256;
    o->v = realloc(o->v, o->cap * sizeof *o->v);
  }
  o->v[o->n].n = 8 + row->len;
  o->v[o->n].p = malloc(8 + row->len);
  memcpy(o->v[o->n].p, &ts, 8);
  memcpy(o->v[o->n].p + 8, row->data, row->len);
  o->n++;
}

static void outs_free(outs *o) {
  for (size_t i = 0; i < o->n; i++) free(o->v[i].p);
  free(o->v);
  memset(o, 0, sizeof *o);
}

static int cmp_blob(const void *a, const void *b) {
  const blob *x = a, *y = b;
  size_t n = x->n < y->n ? x->n : y->n;
  int c = memcmp(x->p, y->p, n);
  return c ? c : (x->n > y->n) - (x->n < y->n);
}

static void assert_same_multiset(outs *got, outs *want) {
  qsort(got->v, got->n, sizeof *got->v, cmp_blob);
  qsort(want->v, want->n, sizeof *want->v, cmp_blob);
  if (got->n != want->n) fail_msg("%zu records, expected %zu", got->n, want->n);
  for (size_t i = 0; i < got->n; i++)
    if (cmp_blob(&got->v[i], &want->v[i]) != 0) fail_msg("record %zu (sorted) differs", i);
}

/* ---- the script ------------------------------------------------------------------------------ */
enum { EV_RECORD, EV_BROADCAST, EV_WATERMARK, EV_PROC };

typedef struct event {
  int type;
  int input;    /* records */
  int64_t ts;   /* record timestamp, watermark, or processing time */
  int64_t k, v; /* the record (k BIGINT, v BIGINT) */
} event;

typedef struct script {
  event *v;
  size_t n, cap;
} script;

static void ev(script *s, int type, int input, int64_t ts, int64_t k, int64_t v) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 256;
    s->v = realloc(s->v, s->cap * sizeof *s->v);
  }
  s->v[s->n++] = (event){type, input, ts, k, v};
}

/* ---- a rig: the node's operator at any parallelism ------------------------------------------- */
static const op_vtable *vtable_for(op_kind k) {
  const op_vtable *vt = op_vtable_for(k);
  return vt ? vt : connector_vtable_for(k);
}

static int cap_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  outs_push(op->impl, ts, row);
  return 0;
}
static int cap_watermark(op_t *op, int input, int64_t wm) { return 0; }
static const op_vtable cap_vt = {.process = cap_process, .watermark = cap_watermark};

typedef struct sub {
  op_t *op;
  op_t *cap;
  snap_restore restore;
  bool has_restore;
  struct {
    int64_t due;
    op_timer_fn fn;
  } timers[64];
  int ntimers;
} sub;

typedef struct rig {
  spate_env *env;
  job_graph *jg;
  void *dl;
  int node;
  int max_parallelism;
  _Atomic bool cancel;
  char err[1024];
  outs out;
  spate_row_builder *in_rb[2];
  spate_row_builder *key_rb[2];
  const spate_schema *key_schema[2];
} rig;

static int rig_schedule(void *task, op_t *op, int64_t due, op_timer_fn fn) {
  sub *s = task;
  if (s->ntimers == 64) return SPATE_ENOMEM;
  s->timers[s->ntimers].due = due;
  s->timers[s->ntimers].fn = fn;
  s->ntimers++;
  return 0;
}

static void rig_open(rig *g, spate_env *env, spate_stream *s) {
  memset(g, 0, sizeof *g);
  g->env = env;
  if (spate_env_error(env)) fail_msg("%s", spate_env_error(env));
  env->g->default_parallelism = 1;
  env->g->chaining_enabled = true;
  if (jobgraph_build(env->g, &g->jg, g->err, sizeof g->err) < 0) fail_msg("%s", g->err);
  g->dl = dlopen(NULL, RTLD_NOW);
  g->node = s->node;
  const sg_node *n = &g->jg->nodes[g->node];
  g->max_parallelism = n->max_parallelism;
  for (int i = 0; i < n->ninputs && i < 2; i++) {
    g->in_rb[i] = spate_rb_new(sg_edge_schema(g->jg->nodes, &n->inputs[i]));
    const key_spec *k = n->kind == OP_PROCESS ? &n->key : &n->inputs[i].key;
    g->key_schema[i] = k->key_schema;
    if (k->key_schema) g->key_rb[i] = spate_rb_new(k->key_schema);
  }
}

static void rig_close(rig *g) {
  for (int i = 0; i < 2; i++) {
    if (g->in_rb[i]) spate_rb_free(g->in_rb[i]);
    if (g->key_rb[i]) spate_rb_free(g->key_rb[i]);
  }
  outs_free(&g->out);
  jobgraph_free(g->jg);
  dlclose(g->dl);
  spate_env_free(g->env);
}

/* Creates, opens and restores (r != NULL) subtask i of p; returns the code of open or restore. */
static int sub_open(rig *g, sub *s, int i, int p, const snap_restore *r) {
  s->cap = calloc(1, sizeof *s->cap);
  s->cap->vt = &cap_vt;
  s->cap->impl = &g->out;
  s->cap->out.records_out = &s->cap->records_out;
  g->err[0] = 0;
  int rc = op_create(g->jg, g->node, i, vtable_for, g->dl, NULL, g->err, sizeof g->err, &g->cancel,
                     &s->op);
  if (rc < 0) return rc;
  s->cap->node = s->op->node;
  s->op->ctx.parallelism = p;
  s->op->out.chained = sp_malloc(sizeof *s->op->out.chained); /* freed by op_free */
  s->op->out.chained_input = sp_malloc(sizeof *s->op->out.chained_input);
  if (!s->op->out.chained || !s->op->out.chained_input) return SPATE_ENOMEM;
  s->op->out.chained[0] = s->cap;
  s->op->out.chained_input[0] = 0;
  s->op->out.nchained = 1;
  s->op->schedule = rig_schedule;
  s->op->task = s;
  s->op->restored = r;
  rc = op_open(s->op);
  if (rc == 0 && r && s->op->vt->restore) rc = s->op->vt->restore(s->op, r);
  return rc;
}

static void sub_close(sub *s) {
  if (s->op) op_free(s->op);
  free(s->cap);
  if (s->has_restore) snap_restore_free(&s->restore);
  memset(s, 0, sizeof *s);
}

static void sub_snapshot(rig *g, sub *s, int i, int p, sp_writer *out) {
  snap_writer w;
  ks_key_group_range range = ks_key_group_range_for(g->max_parallelism, p, i);
  assert_int_equal(snap_writer_init(&w, g->max_parallelism, range), 0);
  if (s->op->vt->snapshot && s->op->vt->snapshot(s->op, 1, &w) < 0)
    fail_msg("snapshot: %s", g->err);
  sp_writer_init(out);
  assert_int_equal(snap_encode(&w, out), 0);
  snap_writer_free(&w);
}

static void assign(rig *g, const sp_writer *old, int nold, int p, int i, sub *s) {
  snap_section sec[8];
  for (int k = 0; k < nold; k++) sec[k] = (snap_section){old[k].data, old[k].len};
  char err[256];
  if (snap_assign(sec, nold, g->max_parallelism, p, i, &s->restore, err, sizeof err) < 0)
    fail_msg("snap_assign: %s", err);
  s->has_restore = true;
}

/* The subtask of p that the hash partitioner sends key k of input `input` to. */
static int route(rig *g, int input, int64_t k, int p) {
  spate_rb_begin(g->key_rb[input]);
  spate_rb_set_bigint(g->key_rb[input], 0, k);
  spate_row key;
  assert_int_equal(spate_rb_finish(g->key_rb[input], &key), 0);
  int field = 0;
  int32_t h = row_fields_java_hash(&key, &field, 1, g->key_schema[input]);
  return sp_operator_index(g->max_parallelism, p, sp_key_group(h, g->max_parallelism));
}

/* Runs the processing-time callbacks due at now, including those they schedule. */
static void tick(rig *g, sub *s, int64_t now) {
  for (bool again = true; again;) {
    again = false;
    for (int i = 0; i < s->ntimers; i++) {
      if (s->timers[i].due > now) continue;
      op_timer_fn fn = s->timers[i].fn;
      s->timers[i] = s->timers[--s->ntimers];
      if (fn(s->op, now) < 0) fail_msg("processing-time timer: %s", g->err);
      again = true;
      break;
    }
  }
}

static void play(rig *g, sub *subs, int p, const event *e) {
  switch (e->type) {
  case EV_RECORD:
  case EV_BROADCAST: {
    spate_row_builder *b = g->in_rb[e->input];
    spate_rb_begin(b);
    spate_rb_set_bigint(b, 0, e->k);
    spate_rb_set_bigint(b, 1, e->v);
    spate_row row;
    assert_int_equal(spate_rb_finish(b, &row), 0);
    for (int i = 0; i < p; i++) {
      if (e->type == EV_RECORD && route(g, e->input, e->k, p) != i) continue;
      if (op_process(subs[i].op, e->input, e->ts, &row) < 0) fail_msg("process: %s", g->err);
    }
    break;
  }
  case EV_WATERMARK:
    for (int i = 0; i < p; i++)
      if (op_watermark(subs[i].op, 0, e->ts) < 0) fail_msg("watermark: %s", g->err);
    break;
  case EV_PROC:
    for (int i = 0; i < p; i++) tick(g, &subs[i], e->ts);
    break;
  }
}

/* Plays the script in stages of parallelism ps[0..nstages): stage st plays events
 * [st * n / nstages, (st + 1) * n / nstages), then (but the last) is snapshotted, and the next
 * stage's subtasks are restored from the snapshots. */
static void run_stages(rig *g, const script *sc, const int *ps, int nstages) {
  sp_writer old[8];
  int nold = 0;
  for (int st = 0; st < nstages; st++) {
    int p = ps[st];
    sub *subs = calloc((size_t)p, sizeof *subs);
    for (int i = 0; i < p; i++) {
      if (st > 0) assign(g, old, nold, p, i, &subs[i]);
      if (sub_open(g, &subs[i], i, p, st > 0 ? &subs[i].restore : NULL) < 0)
        fail_msg("open/restore: %s", g->err);
    }
    size_t from = sc->n * (size_t)st / (size_t)nstages,
           to = sc->n * (size_t)(st + 1) / (size_t)nstages;
    for (size_t e = from; e < to; e++) play(g, subs, p, &sc->v[e]);
    sp_writer next[8];
    for (int i = 0; st + 1 < nstages && i < p; i++) sub_snapshot(g, &subs[i], i, p, &next[i]);
    for (int i = 0; i < p; i++) sub_close(&subs[i]);
    free(subs);
    for (int k = 0; k < nold; k++) sp_writer_free(&old[k]);
    nold = st + 1 < nstages ? p : 0;
    memcpy(old, next, sizeof(sp_writer) * (size_t)nold);
  }
}

typedef spate_stream *(*build_fn)(spate_env *env);

static const int PLANS[][3] = {{2, 2}, {1, 1}, {2, 3}, {3, 1}, {1, 3}, {3, 2, 1}};
static const int PLAN_LEN[] = {2, 2, 2, 2, 2, 3};
#define NPLANS (sizeof PLAN_LEN / sizeof PLAN_LEN[0])

/* Every plan's output equals the uninterrupted run's at the plan's first parallelism. */
static void check_plans(build_fn build, const script *sc, size_t min_out) {
  for (size_t pl = 0; pl < NPLANS; pl++) {
    spate_env *env = spate_env_create();
    rig ref;
    rig_open(&ref, env, build(env));
    run_stages(&ref, sc, PLANS[pl], 1);
    if (ref.out.n < min_out) fail_msg("only %zu records, expected %zu or more", ref.out.n, min_out);
    env = spate_env_create();
    rig g;
    rig_open(&g, env, build(env));
    run_stages(&g, sc, PLANS[pl], PLAN_LEN[pl]);
    assert_same_multiset(&g.out, &ref.out);
    rig_close(&g);
    rig_close(&ref);
  }
}

static const spate_schema *in_schema(spate_env *env) {
  return spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
}

/* ---- keyed process function with state and timers -------------------------------------------- */
static spate_schema *count_schema; /* n BIGINT NOT NULL */

static int64_t bump(spate_ctx *ctx, spate_state *st) {
  spate_row cur, next;
  int rc = spate_value_get(st, &cur);
  if (rc < 0) return rc;
  int64_t n = rc == 1 ? spate_row_bigint(&cur, 0) + 1 : 1;
  spate_row_builder *b = spate_rb_new(count_schema);
  spate_rb_set_bigint(b, 0, n);
  if (spate_rb_finish(b, &next) < 0 || spate_value_update(st, &next) < 0) n = -1;
  spate_rb_free(b);
  return n;
}

static spate_state *count_state(spate_ctx *ctx) {
  spate_state_desc d = {.name = "count", .kind = SPATE_STATE_VALUE, .schema = count_schema};
  return spate_ctx_state(ctx, &d);
}

/* (k, v): count per key; an event-time timer at v + 10, a processing-time timer at 1000 + k */
int ps_count(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_state *st = count_state(ctx);
  if (!st || bump(ctx, st) < 0) return -1;
  if (spate_ctx_register_event_timer(ctx, spate_row_bigint(in, 1) + 10) < 0) return -1;
  return spate_ctx_register_processing_timer(ctx, 1000 + spate_row_bigint(in, 0));
}

/* a timer: (k, count, timestamp, domain) */
int ps_fired(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out) {
  spate_row cur;
  int rc = spate_value_get(count_state(ctx), &cur);
  if (rc < 0) return rc;
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_field(b, 0, spate_ctx_current_key(ctx), 0);
  spate_rb_set_bigint(b, 1, rc == 1 ? spate_row_bigint(&cur, 0) : 0);
  spate_rb_set_bigint(b, 2, ts);
  spate_rb_set_bigint(b, 3, d);
  return spate_collect_emit(out);
}

static spate_stream *build_keyed_process(spate_env *env) {
  const spate_schema *s = in_schema(env);
  const spate_schema *o =
      spate_env_schema(env,
                       "k BIGINT NOT NULL, n BIGINT NOT NULL, t BIGINT NOT NULL, "
                       "d BIGINT NOT NULL");
  return spate_process(spate_key_by(spate_from_rows(env, s, NULL, 0), 0), ps_count, ps_fired, o);
}

/* Keys 0..22 before the middle, only 0..10 after it: the processing-time timers of keys 11..22
 * fire only if the restore scheduled them. A tick at 1005 fires keys 0..4 early. */
static void keyed_script(script *sc) {
  memset(sc, 0, sizeof *sc);
  for (int i = 0; i < 240; i++) {
    int64_t k = i < 120 ? (i * 7) % 23 : (i * 7) % 11, t = 2 * i;
    ev(sc, EV_RECORD, 0, t, k, t);
    if (i % 6 == 5) ev(sc, EV_WATERMARK, 0, t - 3, 0, 0);
    if (i == 90) ev(sc, EV_PROC, 0, 1005, 0, 0);
  }
  ev(sc, EV_WATERMARK, 0, INT64_MAX, 0, 0);
  ev(sc, EV_PROC, 0, 5000, 0, 0);
}

/* Every record before the middle, only watermarks after it: nothing but the restore can
 * schedule the processing-time timers of the last stage. */
static void quiet_script(script *sc) {
  memset(sc, 0, sizeof *sc);
  for (int i = 0; i < 240; i++) {
    int64_t t = 2 * i;
    ev(sc, EV_RECORD, 0, t, (i * 7) % 23, t);
    if (i % 6 == 5) ev(sc, EV_WATERMARK, 0, t - 3, 0, 0);
  }
  for (int i = 0; i < 300; i++) ev(sc, EV_WATERMARK, 0, 480 + i, 0, 0);
  ev(sc, EV_PROC, 0, 5000, 0, 0);
}

static void test_keyed_process(void **state) {
  char err[64];
  assert_int_equal(spate_schema_parse("n BIGINT NOT NULL", &count_schema, err, sizeof err), 0);
  script sc;
  keyed_script(&sc);
  check_plans(build_keyed_process, &sc, 240 / 10 + 23);
  free(sc.v);
  quiet_script(&sc);
  check_plans(build_keyed_process, &sc, 240 / 10 + 23);
  free(sc.v);
  spate_schema_free(count_schema);
}

/* ---- broadcast state ------------------------------------------------------------------------- */
typedef struct ps_bc {
  spate_state *rules;
  spate_row_builder *k, *w;
} ps_bc;

int ps_bc_open(spate_ctx *ctx, void **user) {
  ps_bc *s = calloc(1, sizeof *s);
  *user = s;
  spate_schema *k = NULL, *w = NULL;
  char err[64];
  spate_schema_parse("k BIGINT NOT NULL", &k, err, sizeof err);
  spate_schema_parse("w BIGINT NOT NULL", &w, err, sizeof err);
  spate_state_desc d = {.name = "rules", .kind = SPATE_STATE_MAP, .schema = w, .key_schema = k};
  s->rules = spate_ctx_broadcast_state(ctx, &d);
  s->k = spate_rb_new(k);
  s->w = spate_rb_new(w);
  spate_schema_free(k);
  spate_schema_free(w);
  return s->rules ? 0 : -1;
}

void ps_bc_close(spate_ctx *ctx, void *user) {
  ps_bc *s = user;
  spate_rb_free(s->k);
  spate_rb_free(s->w);
  free(s);
}

/* broadcast side (k, w): rules[k] = w */
int ps_bc_rule(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  ps_bc *s = spate_ctx_user(ctx);
  spate_row k, w;
  spate_rb_begin(s->k);
  spate_rb_set_field(s->k, 0, in, 0);
  spate_rb_finish(s->k, &k);
  spate_rb_begin(s->w);
  spate_rb_set_field(s->w, 0, in, 1);
  spate_rb_finish(s->w, &w);
  return spate_map_put(s->rules, &k, &w);
}

/* keyed side (k, v): (k, count, rule or -1, v) */
int ps_bc_word(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  ps_bc *s = spate_ctx_user(ctx);
  spate_state *st = count_state(ctx);
  int64_t n = st ? bump(ctx, st) : -1;
  if (n < 0) return -1;
  spate_row w;
  int found = spate_map_get(s->rules, spate_ctx_current_key(ctx), &w);
  if (found < 0) return found;
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_field(b, 0, in, 0);
  spate_rb_set_bigint(b, 1, n);
  spate_rb_set_bigint(b, 2, found ? spate_row_bigint(&w, 0) : -1);
  spate_rb_set_bigint(b, 3, spate_row_bigint(in, 1));
  return spate_collect_emit(out);
}

static spate_stream *build_broadcast(spate_env *env) {
  const spate_schema *s = in_schema(env);
  const spate_schema *o =
      spate_env_schema(env,
                       "k BIGINT NOT NULL, n BIGINT NOT NULL, w BIGINT NOT NULL, "
                       "v BIGINT NOT NULL");
  spate_stream *words = spate_key_by(spate_from_rows(env, s, NULL, 0), 0);
  spate_stream *rules = spate_from_rows(env, s, NULL, 0);
  spate_stream *p =
      spate_co_process(spate_connect_broadcast(words, rules), ps_bc_word, ps_bc_rule, NULL, o);
  return spate_udf_lifecycle(p, ps_bc_open, ps_bc_close);
}

/* Rules for even keys arrive before the first cut only; every subtask after a rescale must
 * still apply them. */
static void test_broadcast_state(void **state) {
  char err[64];
  assert_int_equal(spate_schema_parse("n BIGINT NOT NULL", &count_schema, err, sizeof err), 0);
  script sc = {0};
  for (int k = 0; k < 20; k += 2) ev(&sc, EV_BROADCAST, 1, INT64_MIN, k, 100 * k + 1);
  for (int i = 0; i < 120; i++) ev(&sc, EV_RECORD, 0, INT64_MIN, (i * 3) % 20, i);
  check_plans(build_broadcast, &sc, 120);
  free(sc.v);
  spate_schema_free(count_schema);
}

/* ---- joins ----------------------------------------------------------------------------------- */
/* (k, l.v, r.v) */
int ps_join(spate_ctx *ctx, const spate_row *l, const spate_row *r, spate_row_builder *out) {
  spate_rb_set_field(out, 0, l, 0);
  spate_rb_set_bigint(out, 1, spate_row_bigint(l, 1));
  spate_rb_set_bigint(out, 2, spate_row_bigint(r, 1));
  return 0;
}

static spate_stream *build_interval_join(spate_env *env) {
  const spate_schema *s = in_schema(env);
  const spate_schema *o =
      spate_env_schema(env, "k BIGINT NOT NULL, l BIGINT NOT NULL, r BIGINT NOT NULL");
  spate_stream *l = spate_key_by(spate_from_rows(env, s, NULL, 0), 0);
  spate_stream *r = spate_key_by(spate_from_rows(env, s, NULL, 0), 0);
  return spate_interval_join(l, r, -6, 4, false, false, ps_join, o);
}

static spate_stream *build_window_join(spate_env *env) {
  const spate_schema *s = in_schema(env);
  const spate_schema *o =
      spate_env_schema(env, "k BIGINT NOT NULL, l BIGINT NOT NULL, r BIGINT NOT NULL");
  spate_stream *l = spate_key_by(spate_from_rows(env, s, NULL, 0), 0);
  spate_stream *r = spate_key_by(spate_from_rows(env, s, NULL, 0), 0);
  return spate_window_join(l, r, spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0), ps_join, o);
}

static spate_stream *build_session_join(spate_env *env) {
  const spate_schema *s = in_schema(env);
  const spate_schema *o =
      spate_env_schema(env, "k BIGINT NOT NULL, l BIGINT NOT NULL, r BIGINT NOT NULL");
  spate_stream *l = spate_key_by(spate_from_rows(env, s, NULL, 0), 0);
  spate_stream *r = spate_key_by(spate_from_rows(env, s, NULL, 0), 0);
  return spate_window_join(l, r, spate_session_windows(SPATE_EVENT_TIME, 4), ps_join, o);
}

/* Both sides in time order over 7 keys: at time t a left record of key t % 7 and a right one
 * of key 3t % 7, so each key's sides are offset by a different amount; keys 5 and 6 pause now
 * and then (sessions close). Watermarks trail by 2, so that no element is late. */
static void join_script(script *sc) {
  memset(sc, 0, sizeof *sc);
  for (int64_t t = 0; t < 300; t++) {
    int64_t kl = t % 7, kr = (3 * t) % 7;
    bool pause = t % 40 >= 20;
    if (!(kl >= 5 && pause)) ev(sc, EV_RECORD, 0, t, kl, t);
    if (!(kr >= 5 && pause)) ev(sc, EV_RECORD, 1, t, kr, t);
    if (t % 8 == 7) ev(sc, EV_WATERMARK, 0, t - 2, 0, 0);
  }
  ev(sc, EV_WATERMARK, 0, INT64_MAX, 0, 0);
}

static void test_interval_join(void **state) {
  script sc;
  join_script(&sc);
  check_plans(build_interval_join, &sc, 100);
  free(sc.v);
}

/* The buffered elements' (ts, seq) keys: a subtask restored with an element at sequence number
 * 0 must not give the next element of that key and time the same key (it would replace it). */
static void test_interval_join_sequence(void **state) {
  script sc = {0};
  ev(&sc, EV_RECORD, 0, 0, 1, 0);
  ev(&sc, EV_WATERMARK, 0, -5, 0, 0);
  ev(&sc, EV_RECORD, 0, 0, 1, 1); /* after the cut */
  ev(&sc, EV_RECORD, 1, 0, 1, 2);
  ev(&sc, EV_WATERMARK, 0, INT64_MAX, 0, 0);
  check_plans(build_interval_join, &sc, 2);
  free(sc.v);
}

static void test_window_join(void **state) {
  script sc;
  join_script(&sc);
  check_plans(build_window_join, &sc, 100);
  check_plans(build_session_join, &sc, 100);
  free(sc.v);
}

/* ---- malformed sections ---------------------------------------------------------------------- */
/* Restores subtask 0 of 1 from a snapshot whose key group kg (-1: none) holds `bytes`, plus
 * `nbc` broadcast-state entries holding `bc`. Returns the code of the restore. */
static int restore_bytes(rig *g, int kg, const void *bytes, size_t len, int nbc, const void *bc,
                         uint32_t bclen) {
  snap_writer w;
  assert_int_equal(
      snap_writer_init(&w, g->max_parallelism, ks_key_group_range_for(g->max_parallelism, 1, 0)),
      0);
  if (kg >= 0) sp_put_bytes(snap_key_group(&w, kg), bytes, len);
  for (int i = 0; i < nbc; i++)
    assert_int_equal(snap_list_add(&w, "broadcast-state", SNAP_BROADCAST, bc, bclen), 0);
  sp_writer enc;
  sp_writer_init(&enc);
  assert_int_equal(snap_encode(&w, &enc), 0);
  snap_writer_free(&w);
  sub s;
  memset(&s, 0, sizeof s);
  assign(g, &enc, 1, 1, 0, &s);
  int rc = sub_open(g, &s, 0, 1, &s.restore);
  sub_close(&s);
  sp_writer_free(&enc);
  return rc;
}

static void test_malformed_sections(void **state) {
  char err[64];
  assert_int_equal(spate_schema_parse("n BIGINT NOT NULL", &count_schema, err, sizeof err), 0);
  spate_env *env = spate_env_create();
  rig g;
  rig_open(&g, env, build_keyed_process(env));
  static const uint8_t empty[13] = {0};
  assert_int_equal(restore_bytes(&g, 5, empty, 12, 0, NULL, 0), 0); /* an empty group */
  assert_int_equal(restore_bytes(&g, 5, empty, 13, 0, NULL, 0), SPATE_ECORRUPT);
  assert_non_null(strstr(g.err, "key group 5"));
  static const uint8_t junk[] = {0xff, 0xff, 0xff, 0x7f, 1, 2, 3};
  assert_int_equal(restore_bytes(&g, 7, junk, sizeof junk, 0, NULL, 0), SPATE_ECORRUPT);
  assert_int_equal(restore_bytes(&g, 7, empty, 6, 0, NULL, 0), SPATE_ECORRUPT); /* short */
  /* timers that cannot fit their section */
  static const uint8_t timers[12] = {0, 0, 0, 0, 9, 0, 0, 0};
  assert_int_equal(restore_bytes(&g, 9, timers, 12, 0, NULL, 0), SPATE_ECORRUPT);
  assert_non_null(strstr(g.err, "event-time timers"));
  /* broadcast state for an operator without a broadcast input */
  assert_int_equal(restore_bytes(&g, -1, NULL, 0, 1, empty, 4), SPATE_ESTATE);
  rig_close(&g);

  env = spate_env_create();
  rig_open(&g, env, build_broadcast(env));
  assert_int_equal(restore_bytes(&g, -1, NULL, 0, 1, empty, 4), 0); /* no broadcast records */
  assert_int_equal(restore_bytes(&g, -1, NULL, 0, 2, empty, 4), SPATE_ECORRUPT); /* two copies */
  assert_int_equal(restore_bytes(&g, -1, NULL, 0, 1, junk, sizeof junk), SPATE_ECORRUPT);
  assert_int_equal(restore_bytes(&g, -1, NULL, 0, 1, empty, 5), SPATE_ECORRUPT); /* trailing */
  rig_close(&g);

  /* keyed state for a process function on a stream that is not keyed */
  env = spate_env_create();
  const spate_schema *s = in_schema(env);
  rig_open(&g, env, spate_process(spate_from_rows(env, s, NULL, 0), ps_count, NULL, s));
  assert_int_equal(restore_bytes(&g, 3, empty, 12, 0, NULL, 0), SPATE_ESTATE);
  rig_close(&g);
  spate_schema_free(count_schema);
}

/* Restoring the keyed process function 2 -> 3 with the n-th allocation failing (and all after
 * it): every attempt fails with SPATE_ENOMEM and leaks nothing, or restores what the rest of
 * the run needs to match the uninterrupted run. */
static void test_restore_allocation_failures(void **state) {
  char err[64];
  assert_int_equal(spate_schema_parse("n BIGINT NOT NULL", &count_schema, err, sizeof err), 0);
  script sc;
  keyed_script(&sc);
  spate_env *env = spate_env_create();
  rig ref;
  rig_open(&ref, env, build_keyed_process(env));
  int two = 2;
  run_stages(&ref, &sc, &two, 1);

  env = spate_env_create();
  rig g;
  rig_open(&g, env, build_keyed_process(env));
  sub subs[3];
  memset(subs, 0, sizeof subs);
  sp_writer old[2];
  for (int i = 0; i < 2; i++) assert_int_equal(sub_open(&g, &subs[i], i, 2, NULL), 0);
  for (size_t e = 0; e < sc.n / 2; e++) play(&g, subs, 2, &sc.v[e]);
  for (int i = 0; i < 2; i++) {
    sub_snapshot(&g, &subs[i], i, 2, &old[i]);
    sub_close(&subs[i]);
  }
  int succeeded = 0;
  for (int64_t n = 1; n < 2000 && !succeeded; n++) {
    int64_t before = sp_alloc_current();
    sp_alloc_fail_after(n, 1);
    snap_section sec[2] = {{old[0].data, old[0].len}, {old[1].data, old[1].len}};
    int rc = 0;
    for (int j = 0; j < 3 && rc >= 0; j++) {
      char msg[256];
      rc = snap_assign(sec, 2, g.max_parallelism, 3, j, &subs[j].restore, msg, sizeof msg);
      if (rc < 0) break;
      subs[j].has_restore = true;
      rc = sub_open(&g, &subs[j], j, 3, &subs[j].restore);
    }
    sp_alloc_fail_after(0, 0);
    if (rc < 0 && rc != SPATE_ENOMEM)
      fail_msg("allocation %lld failing: %d, %s", (long long)n, rc, g.err);
    if (rc >= 0) {
      succeeded = 1;
      for (size_t e = sc.n / 2; e < sc.n; e++) play(&g, subs, 3, &sc.v[e]);
    }
    for (int j = 0; j < 3; j++) sub_close(&subs[j]);
    if (!succeeded) assert_int_equal(sp_alloc_current(), before);
  }
  assert_true(succeeded);
  assert_same_multiset(&g.out, &ref.out);
  for (int i = 0; i < 2; i++) sp_writer_free(&old[i]);
  rig_close(&g);
  rig_close(&ref);
  free(sc.v);
  spate_schema_free(count_schema);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keyed_process),
      cmocka_unit_test(test_broadcast_state),
      cmocka_unit_test(test_interval_join),
      cmocka_unit_test(test_interval_join_sequence),
      cmocka_unit_test(test_window_join),
      cmocka_unit_test(test_malformed_sections),
      cmocka_unit_test(test_restore_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
