/*
 * test_source_snapshot.c: replayable sources. Each source is run in stages: every subtask emits
 * part of its records, the stage is snapshotted (snap_writer, snap_encode), and the next stage's
 * fresh operators are restored from those sections through snap_assign, at the same or another
 * parallelism (2 -> 3 -> 1 and the like). The records of all stages together must be exactly
 * the records of an uninterrupted run: nothing lost, nothing twice. Covered: the collection
 * (elements), the number sequence, bounded and unbounded generators, the DataGen source, the text file source over
 * a directory, and the line reader's resume with tiny splits (several splits per file, a split
 * resumed mid-way). Restored state that is malformed or no longer fits the source (a changed or
 * vanished file, a split past the sequence's end, ...) is refused with a message.
 * UDFs have external linkage and an ss_ prefix.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw */
#endif
#include <dlfcn.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/api.h"
#include "base/alloc.h"
#include "connectors/line_reader.h"
#include "connectors/registry.h"
#include "graph/op_params.h"
#include "operators/registry.h"
#include "runtime/operator.h"
#include "spate/nexmark.h"
#include "state/snapshot.h"

/* ---- collected output: row bytes, compared as multisets -------------------------------------- */
typedef struct blob {
  uint8_t *p;
  size_t n;
} blob;

typedef struct outs {
  blob *v;
  size_t n, cap;
} outs;

static void outs_push(outs *o, const void *p, size_t n) {
  if (o->n == o->cap) {
    o->cap = o->cap ? 2 * o->cap : 256;
    o->v = realloc(o->v, o->cap * sizeof *o->v);
  }
  o->v[o->n].p = malloc(n ? n : 1);
  memcpy(o->v[o->n].p, p, n);
  o->v[o->n].n = n;
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

/* Asserts both hold the same rows the same number of times. */
static void assert_same_multiset(outs *got, outs *want) {
  qsort(got->v, got->n, sizeof *got->v, cmp_blob);
  qsort(want->v, want->n, sizeof *want->v, cmp_blob);
  if (got->n != want->n) fail_msg("%zu records, expected %zu", got->n, want->n);
  for (size_t i = 0; i < got->n; i++)
    if (cmp_blob(&got->v[i], &want->v[i]) != 0) fail_msg("record %zu (sorted) differs", i);
}

/* ---- a rig: the operator of one node, instantiated per subtask at any parallelism ------------ */
static const op_vtable *vtable_for(op_kind k) {
  const op_vtable *vt = op_vtable_for(k);
  return vt ? vt : connector_vtable_for(k);
}

static int cap_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  outs_push(op->impl, row->data, row->len);
  return 0;
}
static const op_vtable cap_vt = {.process = cap_process};

typedef struct rig {
  spate_env *env;
  job_graph *jg;
  void *dl;
  int node;
  int max_parallelism;
  _Atomic bool cancel;
  char err[1024];
  outs out; /* every record of every subtask and stage */
} rig;

typedef struct sub {
  op_t *op;
  op_t *cap;
  snap_restore restore;
  bool has_restore;
} sub;

static void rig_open(rig *g, spate_env *env, spate_stream *s) {
  memset(g, 0, sizeof *g);
  g->env = env;
  assert_null(spate_env_error(env));
  env->g->default_parallelism = 1;
  env->g->chaining_enabled = true;
  if (jobgraph_build(env->g, &g->jg, g->err, sizeof g->err) < 0) fail_msg("%s", g->err);
  g->dl = dlopen(NULL, RTLD_NOW);
  g->node = s->node;
  g->max_parallelism = g->jg->nodes[g->node].max_parallelism;
}

static void rig_close(rig *g) {
  outs_free(&g->out);
  jobgraph_free(g->jg);
  dlclose(g->dl);
  spate_env_free(g->env);
}

/* Creates subtask i of p (whatever the graph says), opens it and restores it from r (if any).
 * Returns the code of open or restore. */
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

/* Snapshots subtask i of p into out (an encoded operator snapshot). */
static void sub_snapshot(rig *g, sub *s, int i, int p, sp_writer *out) {
  snap_writer w;
  ks_key_group_range range = ks_key_group_range_for(g->max_parallelism, p, i);
  assert_int_equal(snap_writer_init(&w, g->max_parallelism, range), 0);
  if (s->op->vt->snapshot) {
    int rc = s->op->vt->snapshot(s->op, 1, &w);
    if (rc < 0) fail_msg("snapshot: %s", g->err);
  }
  sp_writer_init(out);
  assert_int_equal(snap_encode(&w, out), 0);
  snap_writer_free(&w);
}

/* The view new subtask i of p gets of the old sections. */
static void assign(rig *g, const sp_writer *old, int nold, int p, int i, sub *s) {
  snap_section sec[8];
  for (int k = 0; k < nold; k++) sec[k] = (snap_section){old[k].data, old[k].len};
  char err[256];
  if (snap_assign(sec, nold, g->max_parallelism, p, i, &s->restore, err, sizeof err) < 0)
    fail_msg("snap_assign: %s", err);
  s->has_restore = true;
}

/* Polls until the source ends (or `polls` times when polls > 0). Returns SRC_END, SRC_MORE or
 * the error of a poll. */
static int poll_n(sub *s, int budget, int polls) {
  int rc = SRC_MORE;
  for (int n = 0; rc == SRC_MORE && (polls <= 0 || n < polls); n++)
    rc = s->op->vt->poll(s->op, budget);
  return rc;
}

/* Runs the source in stages of parallelism ps[0], ps[1], ...: in every stage but the last,
 * subtask i polls (i + stage + 1) times `budget` records, then all are snapshotted and the next
 * stage is restored from them; the last stage runs to the end (or, with end_polls > 0, polls
 * that often). Records land in g->out. */
static void run_stages(rig *g, const int *ps, int nstages, int budget, int end_polls) {
  sp_writer old[8];
  int nold = 0;
  for (int st = 0; st < nstages; st++) {
    int p = ps[st];
    sub subs[8];
    memset(subs, 0, sizeof subs);
    for (int i = 0; i < p; i++) {
      if (st > 0) assign(g, old, nold, p, i, &subs[i]);
      if (sub_open(g, &subs[i], i, p, st > 0 ? &subs[i].restore : NULL) < 0)
        fail_msg("open/restore: %s", g->err);
    }
    for (int i = 0; i < p; i++)
      if (poll_n(&subs[i], budget, st + 1 < nstages ? i + st + 1 : end_polls) < 0)
        fail_msg("poll: %s", g->err);
    sp_writer next[8];
    for (int i = 0; st + 1 < nstages && i < p; i++) sub_snapshot(g, &subs[i], i, p, &next[i]);
    for (int i = 0; i < p; i++) sub_close(&subs[i]); /* the views into old go first */
    for (int k = 0; k < nold; k++) sp_writer_free(&old[k]);
    nold = st + 1 < nstages ? p : 0;
    memcpy(old, next, sizeof(sp_writer) * (size_t)nold);
  }
}

/* The records of an uninterrupted run at parallelism 1. */
static void reference(spate_env *env, spate_stream *s, outs *want) {
  rig g;
  rig_open(&g, env, s);
  int p1 = 1;
  run_stages(&g, &p1, 1, 1000, 0);
  *want = g.out;
  memset(&g.out, 0, sizeof g.out);
  rig_close(&g);
}

/* The plans every bounded source is run with. */
static const int PLANS[][4] = {{1, 1}, {2, 2}, {2, 3}, {3, 1}, {2, 3, 1}, {1, 3, 2, 3}};
static const int PLAN_LEN[] = {2, 2, 2, 2, 3, 4};
#define NPLANS (sizeof PLAN_LEN / sizeof PLAN_LEN[0])

typedef spate_stream *(*build_fn)(spate_env *env, void *arg);

/* Runs every plan with a few budgets and compares with the uninterrupted run. */
static void check_plans(build_fn build, void *arg) {
  spate_env *env = spate_env_create();
  outs want;
  reference(env, build(env, arg), &want);
  assert_true(want.n > 0);
  static const int BUDGETS[] = {1, 3, 7};
  for (size_t pl = 0; pl < NPLANS; pl++)
    for (size_t b = 0; b < sizeof BUDGETS / sizeof BUDGETS[0]; b++) {
      spate_env *e = spate_env_create();
      rig g;
      rig_open(&g, e, build(e, arg));
      run_stages(&g, PLANS[pl], PLAN_LEN[pl], BUDGETS[b], 0);
      assert_same_multiset(&g.out, &want);
      rig_close(&g);
    }
  outs_free(&want);
}

/* ---- elements -------------------------------------------------------------------------------- */
static spate_stream *build_elements(spate_env *env, void *arg) {
  const spate_schema *s = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  spate_row_builder *b = spate_rb_new(s);
  spate_row rows[25];
  for (int i = 0; i < 25; i++) {
    spate_row r;
    spate_rb_begin(b);
    spate_rb_set_bigint(b, 0, i);
    spate_rb_set_bigint(b, 1, i * i);
    assert_int_equal(spate_rb_finish(b, &r), 0);
    assert_int_equal(spate_row_copy(&r, &rows[i]), 0);
  }
  spate_stream *src = spate_from_rows(env, s, rows, 25);
  for (int i = 0; i < 25; i++) spate_row_free(&rows[i]);
  spate_rb_free(b);
  return src;
}

/* The collection is non-parallel, but its position still moves to whichever subtask gets it. */
static void test_elements(void **state) { check_plans(build_elements, NULL); }

/* ---- sequence and bounded generator ---------------------------------------------------------- */
static spate_stream *build_sequence(spate_env *env, void *arg) {
  return spate_from_sequence(env, -17, 300);
}

static void test_sequence(void **state) { check_plans(build_sequence, NULL); }

int ss_gen(spate_ctx *ctx, int64_t index, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, index);
  spate_rb_set_bigint(out, 1, 7 * index + 1);
  return 0;
}

static spate_stream *build_generator(spate_env *env, void *arg) {
  const spate_schema *s = spate_env_schema(env, "i BIGINT NOT NULL, x BIGINT NOT NULL");
  return spate_generate(env, s, ss_gen, *(const int64_t *)arg);
}

static void test_generator_bounded(void **state) {
  int64_t count = 211;
  check_plans(build_generator, &count);
  count = 2; /* fewer indices than subtasks: some start with no split at all */
  check_plans(build_generator, &count);
}

/* Unbounded: the splits are i, i + p, ... of the first parallelism. After any number of
 * rescales every index is emitted at most once and each split's indices form a prefix. */
static void test_generator_unbounded(void **state) {
  static const int plans[][4] = {{2, 3, 1}, {3, 1, 2}, {1, 2, 3, 2}};
  static const int lens[] = {3, 3, 4};
  for (size_t pl = 0; pl < 3; pl++) {
    spate_env *env = spate_env_create();
    int64_t count = -1;
    rig g;
    rig_open(&g, env, build_generator(env, &count));
    run_stages(&g, plans[pl], lens[pl], 5, 12);
    int p0 = plans[pl][0];
    int64_t *idx = malloc(g.out.n * sizeof *idx);
    for (size_t i = 0; i < g.out.n; i++) {
      spate_row r = {g.out.v[i].p, (uint32_t)g.out.v[i].n, 2};
      idx[i] = spate_row_bigint(&r, 0);
    }
    for (int c = 0; c < p0; c++) {
      int64_t n = 0, max = -1;
      for (size_t i = 0; i < g.out.n; i++)
        if (idx[i] % p0 == c) {
          n++;
          if (idx[i] > max) max = idx[i];
          for (size_t j = i + 1; j < g.out.n; j++) assert_true(idx[j] != idx[i]); /* once */
        }
      assert_true(n >= 12 * 5 / 3);            /* the split kept going after every restore */
      assert_int_equal(max, c + (n - 1) * p0); /* no gap */
    }
    free(idx);
    rig_close(&g);
  }
}

/* ---- DataGen --------------------------------------------------------------------------------- */
/* A sequence, random numbers and strings with NULLs: rows are functions of their numbers, so
 * every plan emits exactly the rows of an uninterrupted run, each sequence value once. */
static spate_stream *build_datagen(spate_env *env, void *arg) {
  const spate_schema *s =
      spate_env_schema(env, "id BIGINT NOT NULL, v INT, s STRING, d DECIMAL(6, 2)");
  const char *opts[] = {"rows-per-second", "0",   "fields.id.kind",     "sequence",
                        "fields.id.start", "-40", "fields.id.end",      (const char *)arg,
                        "fields.v.min",    "-3",  "fields.v.max",       "3",
                        "fields.s.length", "4",   "fields.s.null-rate", "0.3"};
  int id;
  sg_node *n = api_add_node(env, OP_SRC_DATAGEN, "Source: datagen", &id);
  assert_non_null(n);
  n->out_schema = schema_ref(s);
  op_datagen_params p = {.options = {16, opts}, .seed = 7};
  assert_true(api_set_params(env, id, &p));
  return api_new_stream(env, id, s);
}

static void test_datagen(void **state) {
  check_plans(build_datagen, "260");
  check_plans(build_datagen, "-40"); /* one row: some subtasks start with no split */
}

/* ---- Nexmark --------------------------------------------------------------------------------- */
/* The table and the bid view (whose splits skip the other kinds' numbers), 600 events: every
 * plan emits exactly the events of an uninterrupted run, being functions of their numbers. */
static spate_stream *build_nexmark(spate_env *env, void *arg) {
  const char *opts[] = {"events.num", "600", "base-time", "1700000000000", NULL};
  return spate_nexmark_source(env, *(const spate_nexmark_stream *)arg, opts);
}

static void test_nexmark(void **state) {
  spate_nexmark_stream streams[] = {SPATE_NEXMARK_EVENTS, SPATE_NEXMARK_PERSON, SPATE_NEXMARK_BID};
  for (int i = 0; i < 3; i++) check_plans(build_nexmark, &streams[i]);
}

/* Unbounded: splits i, i + p, ... of the first parallelism, restored at others; every event
 * once at most, and each split's events a prefix of it (events.num 0). */
static void test_nexmark_unbounded(void **state) {
  static const int plans[][4] = {{2, 3, 1}, {3, 1, 2}};
  static const int lens[] = {3, 3};
  for (size_t pl = 0; pl < 2; pl++) {
    spate_env *env = spate_env_create();
    const char *opts[] = {"base-time", "1700000000000", "tps", "1000", NULL};
    rig g;
    rig_open(&g, env, spate_nexmark_source(env, SPATE_NEXMARK_EVENTS, opts));
    run_stages(&g, plans[pl], lens[pl], 5, 12);
    /* at 1,000 events per second, event n's dateTime is base + n + 1 ms: its number */
    int p0 = plans[pl][0];
    int64_t *idx = malloc(g.out.n * sizeof *idx);
    for (size_t i = 0; i < g.out.n; i++) {
      spate_row r = {g.out.v[i].p, (uint32_t)g.out.v[i].n, nexmark_event_FIELD_COUNT};
      idx[i] = nexmark_event_dateTime(&r) - INT64_C(1700000000001);
    }
    for (int c = 0; c < p0; c++) {
      int64_t n = 0, max = -1;
      for (size_t i = 0; i < g.out.n; i++)
        if (idx[i] % p0 == c) {
          n++;
          if (idx[i] > max) max = idx[i];
          for (size_t j = i + 1; j < g.out.n; j++) assert_true(idx[j] != idx[i]); /* once */
        }
      assert_true(n >= 12 * 5 / 3);
      assert_int_equal(max, c + (n - 1) * p0); /* no gap */
    }
    free(idx);
    rig_close(&g);
  }
}

/* ---- text files ------------------------------------------------------------------------------ */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  return remove(path);
}

static char *make_tmpdir(void) {
  char tmpl[] = "/tmp/spate_ss_XXXXXX";
  char *d = mkdtemp(tmpl);
  assert_non_null(d);
  return strdup(d);
}

static void remove_tmpdir(char *dir) {
  assert_int_equal(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
  free(dir);
}

static void write_file(const char *dir, const char *name, const char *data) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, strlen(data), f), strlen(data));
  assert_int_equal(fclose(f), 0);
}

/* Contents with the awkward cases: empty lines, CRLF, no final newline, multi-byte text. */
static const char *const CONTENTS[] = {
    "a\nbb\n\nccc\r\nd",
    "\n\n\n",
    "x",
    "hello\r\n\r\nworld\n",
    "abcdefghij\nk\n\n\nlmnopqrstuvwxyz\r\n\r",
    "h\xc3\xa9llo\nw\xc3\xb6rld\xe2\x82\xac\n\xf0\x9f\x98\x80\n",
    "one line without newline but rather long compared to splits",
    "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n",
};
#define NCONTENTS (sizeof CONTENTS / sizeof CONTENTS[0])

static void fill_dir(const char *dir) {
  for (size_t c = 0; c < NCONTENTS; c++) {
    char name[32];
    snprintf(name, sizeof name, "f%zu.txt", c);
    write_file(dir, name, CONTENTS[c]);
  }
}

static spate_stream *build_files(spate_env *env, void *arg) {
  return spate_read_text_file(env, arg);
}

/* One split per file (the default split size is large): splits move between subtasks and a
 * file is resumed after the last line emitted. */
static void test_file_source(void **state) {
  char *dir = make_tmpdir();
  fill_dir(dir);
  check_plans(build_files, dir);
  remove_tmpdir(dir);
}

/* The line reader with tiny splits: several per file and subtask, resumed at every point. */
typedef struct split_list {
  lr_split_state *v;
  int n, cap;
} split_list;

static int collect_split(void *arg, const lr_split_state *s) {
  split_list *l = arg;
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->v = realloc(l->v, (size_t)l->cap * sizeof *l->v);
  }
  l->v[l->n] = *s;
  l->v[l->n].path = strdup(s->path);
  l->n++;
  return 0;
}

static void split_list_free(split_list *l) {
  for (int i = 0; i < l->n; i++) free((char *)l->v[i].path);
  free(l->v);
  memset(l, 0, sizeof *l);
}

static void read_lines(line_reader *r, int max, outs *o) {
  const char *line;
  size_t len;
  int rc = 1;
  for (int n = 0; (max < 0 || n < max) && (rc = line_reader_next(r, &line, &len)) == 1; n++)
    outs_push(o, line, len);
  if (rc < 0) fail_msg("%s", line_reader_error(r));
}

static void test_line_reader_resume(void **state) {
  char *dir = make_tmpdir();
  fill_dir(dir);
  const char *paths[] = {dir};
  static const int64_t splits[] = {1, 2, 3, 7, 100};
  for (size_t si = 0; si < sizeof splits / sizeof splits[0]; si++) {
    outs want = {0};
    line_reader *r;
    char err[256];
    assert_int_equal(line_reader_open(paths, 1, 0, 1, splits[si], &r, err, sizeof err), 0);
    read_lines(r, -1, &want);
    line_reader_close(r);
    for (int p = 1; p <= 3; p++)
      for (int q = 1; q <= 3; q++)
        for (int k = 0; k <= 6; k++) {
          outs got = {0};
          split_list all = {0};
          for (int s = 0; s < p; s++) {
            assert_int_equal(line_reader_open(paths, 1, s, p, splits[si], &r, err, sizeof err), 0);
            read_lines(r, k + s, &got);
            assert_int_equal(line_reader_visit_unfinished(r, collect_split, &all), 0);
            line_reader_close(r);
          }
          /* even-split redistribution, as SNAP_SPLIT deals the entries out */
          for (int s = 0; s < q; s++) {
            int from = s * all.n / q, to = (s + 1) * all.n / q;
            assert_int_equal(line_reader_open(paths, 1, s, q, splits[si], &r, err, sizeof err), 0);
            if (line_reader_resume(r, all.v + from, to - from, err, sizeof err) < 0)
              fail_msg("resume: %s", err);
            read_lines(r, -1, &got);
            line_reader_close(r);
          }
          assert_same_multiset(&got, &want);
          outs_free(&got);
          split_list_free(&all);
        }
    outs_free(&want);
  }
  remove_tmpdir(dir);
}

/* ---- restored state that does not fit -------------------------------------------------------- */
/* Restores subtask 0 of 1 of the rig's operator from one list entry; returns the code. */
static int restore_entry(rig *g, const char *list, const void *e, uint32_t len) {
  snap_writer w;
  assert_int_equal(
      snap_writer_init(&w, g->max_parallelism, ks_key_group_range_for(g->max_parallelism, 1, 0)),
      0);
  assert_int_equal(snap_list_add(&w, list, SNAP_SPLIT, e, len), 0);
  sp_writer enc;
  sp_writer_init(&enc);
  assert_int_equal(snap_encode(&w, &enc), 0);
  snap_writer_free(&w);
  sub s = {0};
  assign(g, &enc, 1, 1, 0, &s);
  int rc = sub_open(g, &s, 0, 1, &s.restore);
  if (rc == 0) rc = poll_n(&s, 100, 0);
  if (rc == SRC_END) rc = 0;
  sub_close(&s);
  sp_writer_free(&enc);
  return rc;
}

static void range_entry(uint8_t e[24], int64_t next, int64_t end, int64_t step) {
  sp_patch_i64(e, next);
  sp_patch_i64(e + 8, end);
  sp_patch_i64(e + 16, step);
}

static void test_bad_range_state(void **state) {
  spate_env *env = spate_env_create();
  rig g;
  rig_open(&g, env, build_sequence(env, NULL)); /* 318 indices */
  uint8_t e[24];
  range_entry(e, 300, 318, 1);
  assert_int_equal(restore_entry(&g, "splits", e, 24), 0);
  assert_int_equal(g.out.n, 18); /* a valid entry: the last 18 numbers */
  assert_int_equal(restore_entry(&g, "splits", e, 23), SPATE_ECORRUPT);
  assert_non_null(strstr(g.err, "23 bytes"));
  range_entry(e, 0, 10, 0);
  assert_int_equal(restore_entry(&g, "splits", e, 24), SPATE_ECORRUPT);
  range_entry(e, 11, 10, 1);
  assert_int_equal(restore_entry(&g, "splits", e, 24), SPATE_ECORRUPT);
  range_entry(e, 0, 400, 1);
  assert_int_equal(restore_entry(&g, "splits", e, 24), SPATE_ESTATE); /* past the end */
  range_entry(e, 5, -1, 3);
  assert_int_equal(restore_entry(&g, "splits", e, 24), SPATE_ESTATE); /* unbounded */
  assert_non_null(strstr(g.err, "318 indices"));
  rig_close(&g);

  env = spate_env_create();
  rig_open(&g, env, build_elements(env, NULL));
  uint8_t pos[8] = {3, 0, 0, 0, 25, 0, 0, 0};
  assert_int_equal(restore_entry(&g, "next-element", pos, 8), 0);
  assert_int_equal(g.out.n, 22);
  pos[4] = 24;
  assert_int_equal(restore_entry(&g, "next-element", pos, 8), SPATE_ESTATE);
  assert_non_null(strstr(g.err, "24 elements"));
  pos[0] = 26;
  pos[4] = 25;
  assert_int_equal(restore_entry(&g, "next-element", pos, 8), SPATE_ECORRUPT);
  assert_int_equal(restore_entry(&g, "next-element", pos, 7), SPATE_ECORRUPT);
  rig_close(&g);
}

static void file_entry(sp_writer *w, const char *path, int64_t size, int64_t start, int64_t end,
                       int64_t offset) {
  sp_writer_init(w);
  sp_put_str(w, path);
  sp_put_i64(w, size);
  sp_put_i64(w, start);
  sp_put_i64(w, end);
  sp_put_i64(w, offset);
  sp_put_i64(w, 0);
}

static void test_bad_file_state(void **state) {
  char *dir = make_tmpdir();
  write_file(dir, "a.txt", "one\ntwo\nthree\n");
  char path[512];
  snprintf(path, sizeof path, "%s/a.txt", dir);
  spate_env *env = spate_env_create();
  rig g;
  rig_open(&g, env, build_files(env, dir));
  sp_writer e;
  file_entry(&e, path, 14, 0, 14, 4); /* resume at "two" */
  assert_int_equal(restore_entry(&g, "splits", e.data, (uint32_t)e.len), 0);
  assert_int_equal(g.out.n, 2);
  assert_int_equal(restore_entry(&g, "splits", e.data, (uint32_t)e.len - 1), SPATE_ECORRUPT);
  sp_writer_free(&e);
  file_entry(&e, path, 14, 0, 14, 15); /* past the end */
  assert_int_equal(restore_entry(&g, "splits", e.data, (uint32_t)e.len), SPATE_ECORRUPT);
  sp_writer_free(&e);
  file_entry(&e, path, 14, 0, 14, 5); /* inside "two" */
  assert_int_equal(restore_entry(&g, "splits", e.data, (uint32_t)e.len), SPATE_ESTATE);
  assert_non_null(strstr(g.err, "a.txt"));
  assert_non_null(strstr(g.err, "no line starts"));
  sp_writer_free(&e);
  file_entry(&e, path, 13, 0, 13, 4); /* the file had another size */
  assert_int_equal(restore_entry(&g, "splits", e.data, (uint32_t)e.len), SPATE_ESTATE);
  assert_non_null(strstr(g.err, "a.txt"));
  assert_non_null(strstr(g.err, "changed since the checkpoint"));
  sp_writer_free(&e);
  char gone[600];
  snprintf(gone, sizeof gone, "%s/gone.txt", dir);
  file_entry(&e, gone, 14, 0, 14, 4); /* a file that is not an input any more */
  assert_int_equal(restore_entry(&g, "splits", e.data, (uint32_t)e.len), SPATE_ESTATE);
  assert_non_null(strstr(g.err, "gone.txt"));
  sp_writer_free(&e);
  rig_close(&g);

  /* overlapping splits of one file would read lines twice */
  line_reader *r;
  char err[256];
  const char *paths[] = {path};
  assert_int_equal(line_reader_open(paths, 1, 0, 1, 5, &r, err, sizeof err), 0);
  lr_split_state two[2] = {{path, 14, 0, 4, 0, 0}, {path, 14, 3, 10, 3, 0}};
  assert_int_equal(line_reader_resume(r, two, 2, err, sizeof err), SPATE_ECORRUPT);
  assert_non_null(strstr(err, "overlap"));
  two[1] = two[0];
  assert_int_equal(line_reader_resume(r, two, 2, err, sizeof err), SPATE_ECORRUPT);
  line_reader_close(r);
  const char *twice[] = {path, path}; /* a file given twice is read twice: fine */
  assert_int_equal(line_reader_open(twice, 2, 0, 1, 5, &r, err, sizeof err), 0);
  assert_int_equal(line_reader_resume(r, two, 2, err, sizeof err), 0);
  outs o = {0};
  read_lines(r, -1, &o);
  assert_int_equal(o.n, 2); /* "one" from each */
  outs_free(&o);
  line_reader_close(r);

  /* the file changed in place, same size: the resume point no longer follows a line end */
  env = spate_env_create();
  rig_open(&g, env, build_files(env, dir));
  sub s = {0};
  assert_int_equal(sub_open(&g, &s, 0, 1, NULL), 0);
  assert_int_equal(poll_n(&s, 1, 1), SRC_MORE); /* "one" */
  sp_writer snap;
  sub_snapshot(&g, &s, 0, 1, &snap);
  sub_close(&s);
  write_file(dir, "a.txt", "onetwo\nthree\n\n");
  assign(&g, &snap, 1, 1, 0, &s);
  assert_int_equal(sub_open(&g, &s, 0, 1, &s.restore), 0);
  assert_int_equal(s.op->vt->poll(s.op, 10), SPATE_ESTATE);
  assert_non_null(strstr(g.err, "cannot resume"));
  sub_close(&s);
  sp_writer_free(&snap);
  rig_close(&g);
  remove_tmpdir(dir);
}

/* Restoring 2 -> 3 with the n-th allocation failing (and all after it): every attempt either
 * fails with SPATE_ENOMEM or emits exactly the rest, and nothing leaks. */
static void test_restore_allocation_failures(void **state) {
  char *dir = make_tmpdir();
  fill_dir(dir);
  build_fn builds[] = {build_files, build_sequence};
  void *args[] = {dir, NULL};
  for (int b = 0; b < 2; b++) {
    spate_env *env = spate_env_create();
    rig g;
    rig_open(&g, env, builds[b](env, args[b]));
    sub subs[3];
    sp_writer old[2];
    memset(subs, 0, sizeof subs);
    for (int i = 0; i < 2; i++) {
      assert_int_equal(sub_open(&g, &subs[i], i, 2, NULL), 0);
      assert_int_equal(poll_n(&subs[i], 2, 1), SRC_MORE);
      sub_snapshot(&g, &subs[i], i, 2, &old[i]);
      sub_close(&subs[i]);
    }
    size_t first = g.out.n;
    int succeeded = 0;
    for (int64_t n = 1; n < 400 && !succeeded; n++) {
      int64_t before = sp_alloc_current();
      sp_alloc_fail_after(n, 1);
      snap_section sec[2] = {{old[0].data, old[0].len}, {old[1].data, old[1].len}};
      int rc = 0;
      for (int j = 0; j < 3 && rc >= 0; j++) {
        char err[256];
        rc = snap_assign(sec, 2, g.max_parallelism, 3, j, &subs[j].restore, err, sizeof err);
        if (rc < 0) break;
        subs[j].has_restore = true;
        rc = sub_open(&g, &subs[j], j, 3, &subs[j].restore);
        if (rc >= 0) rc = poll_n(&subs[j], 1000, 0);
      }
      sp_alloc_fail_after(0, 0);
      if (rc < 0) {
        if (rc != SPATE_ENOMEM)
          fail_msg("allocation %lld failing: %d, %s", (long long)n, rc, g.err);
      } else {
        succeeded = 1;
      }
      for (int j = 0; j < 3; j++) sub_close(&subs[j]);
      assert_int_equal(sp_alloc_current(), before);
      if (!succeeded) {
        for (size_t i = first; i < g.out.n; i++) free(g.out.v[i].p);
        g.out.n = first; /* the failed attempt's records */
      }
    }
    assert_true(succeeded);
    spate_env *renv = spate_env_create();
    outs want;
    reference(renv, builds[b](renv, args[b]), &want);
    assert_same_multiset(&g.out, &want);
    outs_free(&want);
    for (int i = 0; i < 2; i++) sp_writer_free(&old[i]);
    rig_close(&g);
  }
  remove_tmpdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_elements),
      cmocka_unit_test(test_sequence),
      cmocka_unit_test(test_generator_bounded),
      cmocka_unit_test(test_generator_unbounded),
      cmocka_unit_test(test_nexmark),
      cmocka_unit_test(test_datagen),
      cmocka_unit_test(test_nexmark_unbounded),
      cmocka_unit_test(test_file_source),
      cmocka_unit_test(test_line_reader_resume),
      cmocka_unit_test(test_bad_range_state),
      cmocka_unit_test(test_bad_file_state),
      cmocka_unit_test(test_restore_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
