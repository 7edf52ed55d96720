/*
 * fuzz_keyed_state.c: one key group's section of a keyed operator's snapshot, as the process,
 * window and join operators restore it from a checkpoint: the keyed state
 * (state/ks_codec.c, ks_read_key_group), then the event-time and the processing-time timers
 * (state/timer_queue.c, tq_read_key_group). Input: byte 0 says which of the six states below
 * are registered before the restore (bit i for state i; the others are registered after it, so
 * their records wait as pending runs), then the section of key group 5 (max parallelism 128).
 *
 * A section is either refused with a message (on the backend, or the reader's for timers), or
 * the restored state is safe to use: every record's rows can be read (formatted), every key's
 * values found again through the state API, the states registered late accept or refuse their
 * pending records cleanly, TTL cleanup runs, timers fire, and what is there then encodes to a
 * section that restores again with as many entries and timers.
 */
#include "fuzz.h"

#include "base/err.h"
#include "state/keyed_state.h"
#include "state/timer_queue.h"
#include "types/row.h"

#define KG 5
#define MAX_PAR 128
#define NSTATES 6
#define NKEEP 16 /* records looked up again through the state API */

static spate_schema *parse(const char *spec) {
  spate_schema *s = NULL;
  char err[SP_ERRMSG_MAX];
  FUZZ_CHECK(spate_schema_parse(spec, &s, err, sizeof err) == 0, "%s", err);
  return s;
}

static int64_t now_ms(void *arg) {
  (void)arg;
  return 10000;
}

/* n BIGINT NOT NULL: the sum of acc and in. */
static int reduce_sum(void *arg, const spate_row *acc, const spate_row *in,
                      spate_row_builder *out) {
  (void)arg;
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0) + spate_row_bigint(in, 0));
  return 0;
}

/* accumulator (sum BIGINT, cnt BIGINT), result avg DOUBLE; fields may be NULL. */
static int agg_add(void *arg, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  (void)arg;
  int64_t sum = acc && !spate_row_is_null(acc, 0) ? spate_row_bigint(acc, 0) : 0;
  int64_t cnt = acc && !spate_row_is_null(acc, 1) ? spate_row_bigint(acc, 1) : 0;
  spate_rb_set_bigint(out, 0, (int64_t)((uint64_t)sum + (uint64_t)spate_row_bigint(in, 0)));
  spate_rb_set_bigint(out, 1, (int64_t)((uint64_t)cnt + 1));
  return 0;
}

static int agg_result(void *arg, const spate_row *acc, spate_row_builder *out) {
  (void)arg;
  int64_t sum = spate_row_is_null(acc, 0) ? 0 : spate_row_bigint(acc, 0);
  int64_t cnt = spate_row_is_null(acc, 1) ? 0 : spate_row_bigint(acc, 1);
  spate_rb_set_double(out, 0, cnt ? (double)sum / (double)cnt : 0.0);
  return 0;
}

typedef struct fixture {
  spate_schema *count, *item, *key, *acc, *avg;
  ks_descriptor d[NSTATES];
} fixture;

static void fixture_init(fixture *f) {
  f->count = parse("n BIGINT NOT NULL");
  f->item = parse("s STRING, b BYTES, d DOUBLE, t TIMESTAMP, ok BOOLEAN, i INT");
  f->key = parse("k STRING NOT NULL");
  f->acc = parse("sum BIGINT, cnt BIGINT");
  f->avg = parse("avg DOUBLE NOT NULL");
  ks_descriptor d[NSTATES] = {
      {.name = "count", .kind = KS_VALUE, .value_schema = f->count},
      {.name = "items", .kind = KS_LIST, .value_schema = f->item},
      {.name = "index", .kind = KS_MAP, .value_schema = f->count, .user_key_schema = f->key},
      {.name = "sum", .kind = KS_REDUCING, .value_schema = f->count, .reduce = reduce_sum},
      {.name = "avg",
       .kind = KS_AGGREGATING,
       .value_schema = f->count,
       .acc_schema = f->acc,
       .result_schema = f->avg,
       .agg_add = agg_add,
       .agg_result = agg_result},
      {.name = "seen",
       .kind = KS_LIST,
       .value_schema = f->item,
       .ttl = {.update = KS_TTL_ON_READ_AND_WRITE,
               .ttl_ms = 1000,
               .visibility = KS_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP,
               .cleanup_full_snapshot = true}},
  };
  memcpy(f->d, d, sizeof d);
}

static void fixture_free(fixture *f) {
  schema_unref(f->count);
  schema_unref(f->item);
  schema_unref(f->key);
  schema_unref(f->acc);
  schema_unref(f->avg);
}

/* The schema a record's row has: the value's, or the accumulator's for AGGREGATING. */
static const spate_schema *row_schema(const fixture *f, const char *state) {
  for (int i = 0; i < NSTATES; i++)
    if (strcmp(f->d[i].name, state) == 0)
      return f->d[i].kind == KS_AGGREGATING ? f->d[i].acc_schema : f->d[i].value_schema;
  return NULL;
}

static void format(const spate_row *r, const spate_schema *s) {
  char buf[128];
  spate_row_format(r, s, buf, sizeof buf);
}

/* Records copied out of a visit, to look them up again through the state API afterwards. */
typedef struct kept {
  const char *state;
  ks_kind kind;
  uint8_t *key, *ns, *user_key;
  uint32_t key_len, ns_len, user_key_len;
} kept;

typedef struct visit_ctx {
  const fixture *f;
  kept k[NKEEP];
  int n;
  size_t records;
} visit_ctx;

static uint8_t *copy(const uint8_t *p, uint32_t n) {
  uint8_t *c = sp_malloc(n ? n : 1);
  FUZZ_CHECK(c != NULL, "out of memory");
  if (n) memcpy(c, p, n);
  return c;
}

static int visit_record(void *arg, const ks_record *rec) {
  visit_ctx *v = arg;
  const spate_schema *s = row_schema(v->f, rec->state);
  FUZZ_CHECK(s != NULL, "a record of unknown state '%s'", rec->state);
  format(&rec->value, s);
  fuzz_touch(rec->key, rec->key_len);
  fuzz_touch(rec->ns, rec->ns_len);
  if (rec->kind == KS_MAP) {
    spate_row uk = {rec->user_key, rec->user_key_len, 1};
    format(&uk, v->f->key);
  }
  v->records++;
  if (v->n < NKEEP) {
    kept *k = &v->k[v->n++];
    *k = (kept){.state = rec->state,
                .kind = rec->kind,
                .key_len = rec->key_len,
                .ns_len = rec->ns_len,
                .user_key_len = rec->user_key_len};
    k->key = copy(rec->key, rec->key_len);
    k->ns = copy(rec->ns, rec->ns_len);
    k->user_key = rec->kind == KS_MAP ? copy(rec->user_key, rec->user_key_len) : NULL;
  }
  return 0;
}

/* Reads every kept record's key and namespace back through the kind's API. */
static void look_up(ks_backend *b, const fixture *f, visit_ctx *v) {
  for (int i = 0; i < v->n; i++) {
    kept *k = &v->k[i];
    ks_state *s = NULL;
    FUZZ_CHECK(ks_lookup(b, k->state, &s) == 0, "%s", ks_error(b));
    FUZZ_CHECK(ks_set_current_key(b, k->key, k->key_len, KG) == 0, "%s", ks_error(b));
    FUZZ_CHECK(ks_set_namespace(b, k->ns, k->ns_len) == 0, "%s", ks_error(b));
    const spate_schema *rs = row_schema(f, k->state);
    spate_row row;
    int rc = 0;
    switch (k->kind) {
    case KS_VALUE:
      if ((rc = ks_value_get(s, &row)) == 1) format(&row, rs);
      break;
    case KS_LIST: {
      ks_list_iter it;
      if ((rc = ks_list_get(s, &it)) > 0)
        while (ks_list_next(&it, &row)) format(&row, rs);
      break;
    }
    case KS_MAP: {
      spate_row uk = {k->user_key, k->user_key_len, 1}, key;
      if ((rc = ks_map_get(s, &uk, &row)) == 1) format(&row, rs);
      ks_map_iter it;
      if (rc >= 0 && (rc = ks_map_iter_begin(s, &it)) > 0)
        while (ks_map_next(&it, &key, &row)) {
          format(&key, f->key);
          format(&row, rs);
        }
      break;
    }
    case KS_REDUCING:
      if ((rc = ks_reducing_get(s, &row)) == 1) format(&row, rs);
      break;
    case KS_AGGREGATING:
      if ((rc = ks_aggregating_get(s, &row)) == 1) format(&row, f->avg);
      break;
    }
    FUZZ_CHECK(rc >= 0, "reading restored state '%s' failed: %s", k->state, ks_error(b));
    sp_free(k->key);
    sp_free(k->ns);
    sp_free(k->user_key);
  }
  v->n = 0;
}

static int touch_timer(void *arg, const tq_timer_view *t) {
  (void)arg;
  FUZZ_CHECK(t->key_group == KG, "a timer of key group %d", t->key_group);
  fuzz_touch(t->key, t->key_len);
  fuzz_touch(t->ns, t->ns_len);
  return 0;
}

/* Registers the states whose bit in mask is `set`; the late ones may refuse their pending
 * records (with a message), which leaves them unregistered. */
static void register_states(ks_backend *b, const fixture *f, unsigned mask, bool set, bool late) {
  for (int i = 0; i < NSTATES; i++) {
    if (((mask >> i) & 1) != set) continue;
    ks_state *s = NULL;
    int rc = ks_register(b, &f->d[i], &s);
    FUZZ_CHECK(rc == 0 || (late && (rc == SPATE_ECORRUPT || rc == SPATE_ESTATE) && ks_error(b)[0]),
               "registering '%s' failed (%d): %s", f->d[i].name, rc, ks_error(b));
  }
}

static ks_backend *new_backend(void) {
  ks_backend *b = NULL;
  FUZZ_CHECK(ks_backend_new(MAX_PAR, (ks_key_group_range){0, MAX_PAR - 1}, now_ms, NULL, &b) == 0,
             "cannot create a backend");
  return b;
}

static timer_queue *new_queue(void) {
  timer_queue *q = NULL;
  FUZZ_CHECK(tq_new(MAX_PAR, (ks_key_group_range){0, MAX_PAR - 1}, &q) == 0, "tq_new failed");
  return q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  unsigned early = data[0];
  fixture f;
  fixture_init(&f);
  ks_backend *b = new_backend();
  timer_queue *tq[2] = {new_queue(), new_queue()};
  register_states(b, &f, early, true, false);

  sp_reader r;
  sp_reader_init(&r, data + 1, size - 1);
  int rc = ks_read_key_group(b, KG, &r);
  if (rc != 0) {
    FUZZ_CHECK((rc == SPATE_ECORRUPT || rc == SPATE_ESTATE || rc == SPATE_ENOMEM) &&
                   (ks_error(b)[0] || !sp_reader_ok(&r)),
               "keyed state refused (%d) without a message", rc);
    FUZZ_CHECK(ks_key_group_entries(b, KG) == 0, "a refused section left state behind");
  }
  for (int i = 0; rc == 0 && i < 2; i++) {
    rc = tq_read_key_group(tq[i], KG, &r);
    if (rc != 0) {
      FUZZ_CHECK(rc == SPATE_ECORRUPT && !sp_reader_ok(&r),
                 "timers refused (%d) without a "
                 "message",
                 rc);
      FUZZ_CHECK(tq_key_group_size(tq[i], KG) == 0, "refused timers left behind");
    }
  }

  if (rc == 0) {
    visit_ctx v = {.f = &f};
    FUZZ_CHECK(ks_snapshot_key_group(b, KG, visit_record, &v) == 0, "%s", ks_error(b));
    look_up(b, &f, &v);
    register_states(b, &f, early, false, true);
    (void)ks_ttl_cleanup_full(b);
    v.records = 0;
    FUZZ_CHECK(ks_snapshot_key_group(b, KG, visit_record, &v) == 0, "%s", ks_error(b));
    look_up(b, &f, &v);

    /* Encode what is there and restore it into a fresh backend and queues. */
    sp_writer w;
    sp_writer_init(&w);
    FUZZ_CHECK(ks_write_key_group(b, KG, &w) == 0, "%s", ks_error(b));
    for (int i = 0; i < 2; i++)
      FUZZ_CHECK(tq_write_key_group(tq[i], KG, &w) == 0 && !w.failed, "writing timers failed");
    ks_backend *b2 = new_backend();
    timer_queue *tq2[2] = {new_queue(), new_queue()};
    register_states(b2, &f, early, true, false);
    sp_reader r2;
    sp_reader_init(&r2, w.data, w.len);
    rc = ks_read_key_group(b2, KG, &r2);
    FUZZ_CHECK(rc == 0, "re-reading written state failed: %s %s", ks_error(b2), r2.error);
    register_states(b2, &f, early, false, true);
    FUZZ_CHECK(ks_key_group_entries(b2, KG) == ks_key_group_entries(b, KG),
               "%zu entries written, %zu read back", ks_key_group_entries(b, KG),
               ks_key_group_entries(b2, KG));
    for (int i = 0; i < 2; i++) {
      FUZZ_CHECK(tq_read_key_group(tq2[i], KG, &r2) == 0, "re-reading timers: %s", r2.error);
      FUZZ_CHECK(tq_size(tq2[i]) == tq_size(tq[i]), "%zu timers written, %zu read back",
                 tq_size(tq[i]), tq_size(tq2[i]));
    }
    FUZZ_CHECK(r2.pos == r2.len, "%zu bytes left after re-reading", r2.len - r2.pos);
    sp_writer_free(&w);
    ks_backend_free(b2);
    tq_free(tq2[0]);
    tq_free(tq2[1]);

    for (int i = 0; i < 2; i++) {
      FUZZ_CHECK(tq_visit_key_group(tq[i], KG, touch_timer, NULL) == 0, "visit failed");
      uint64_t fired = 0;
      size_t n = tq_size(tq[i]);
      FUZZ_CHECK(tq_advance(tq[i], INT64_MAX, touch_timer, NULL, &fired) == 0 && fired == n,
                 "%llu of %zu timers fired", (unsigned long long)fired, n);
    }
  }
  ks_backend_free(b);
  tq_free(tq[0]);
  tq_free(tq[1]);
  fixture_free(&f);
  return 0;
}
