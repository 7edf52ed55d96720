/*
 * test_partitioners.c: which consumer subtask gets which record.
 *
 * Two parts:
 *  - the wiring (rp_consumers_of / rp_producers_of): for pointwise edges (FORWARD, RESCALE) and
 *    all-to-all edges, every producer -> consumer connection seen from the producer is seen from
 *    the consumer with the same subpartition index and vice versa; pointwise wiring is compared
 *    with Flink's EdgeManagerBuildUtil / VertexInputInfoComputationUtils ranges;
 *  - the record writer's partitioners, driven through rw_emit into a real result partition and
 *    read back through input channels: HASH (field keys of several types, composite keys, key
 *    selectors, several max parallelisms) lands where Flink would put it, computed here
 *    independently from Java's String.hashCode / Integer / Long hashCode, Flink's
 *    MathUtils.murmurHash and KeyGroupRangeAssignment; REBALANCE and RESCALE are round robin;
 *    BROADCAST reaches every subpartition; GLOBAL always the first; SHUFFLE stays in range and
 *    spreads; CUSTOM uses the user's function and rejects out-of-range answers.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/sync.h"
#include "runtime/element.h"
#include "runtime/input_gate.h"
#include "runtime/operator.h"
#include "runtime/record_writer.h"
#include "runtime/result_partition.h"
#include "spate/spate.h"

/* ---- Flink's formulas, written out independently of src/base/hash.c ------------------------- */

/* java.lang.String.hashCode for ASCII text: s[0]*31^(n-1) + ... + s[n-1], in 32-bit wrapping
 * arithmetic. */
static int32_t java_string_hash_ascii(const char *s, size_t n) {
  uint32_t h = 0;
  for (size_t i = 0; i < n; i++) h = h * 31u + (uint8_t)s[i];
  return (int32_t)h;
}

/* java.lang.Long.hashCode: (int)(value ^ (value >>> 32)). */
static int32_t java_long_hash(int64_t v) {
  uint64_t u = (uint64_t)v;
  return (int32_t)(uint32_t)(u ^ (u >> 32));
}

static uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

/* org.apache.flink.util.MathUtils.murmurHash(int), as documented there: MurmurHash3_x86_32 of
 * the four bytes of the int with seed 0 (one block: k1 mix, h1 mix, length 4, fmix32), then made
 * non-negative (Integer.MIN_VALUE becomes 0, other negatives are negated). */
static int32_t flink_murmur(int32_t code) {
  uint32_t k = (uint32_t)code;
  k *= 0xcc9e2d51u;
  k = rotl(k, 15);
  k *= 0x1b873593u;
  uint32_t h = 0 ^ k;
  h = rotl(h, 13);
  h = h * 5u + 0xe6546b64u;
  h ^= 4u; /* length in bytes */
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  int32_t s = (int32_t)h;
  if (s >= 0) return s;
  if (h == 0x80000000u) return 0;
  return (int32_t)(0u - h);
}

/* KeyGroupRangeAssignment.assignKeyToParallelOperator(key, maxParallelism, parallelism). */
static int flink_operator_for_hash(int32_t key_hash, int max_parallelism, int parallelism) {
  int key_group = flink_murmur(key_hash) % max_parallelism;
  return key_group * parallelism / max_parallelism;
}

static void test_reference_formulas_sanity(void **state) {
  (void)state;
  /* anchors for the model itself: known Java hashCodes and the MurmurHash3 test vector */
  assert_int_equal(java_string_hash_ascii("hello", 5), 99162322);
  assert_int_equal(java_string_hash_ascii("hello world", 11), 1794106052);
  assert_int_equal(java_long_hash(-1), 0);
  assert_int_equal(java_long_hash(INT64_C(1) << 32), 1);
  assert_int_equal(flink_murmur(0), 0x2362F9DE);
}

/* ---- wiring ---------------------------------------------------------------------------------- */
enum { MAXP = 12 };

/* Checks that both views of an edge agree. Returns the number of connections. */
static int check_wiring(part_kind part, int up, int down) {
  int consumers[MAXP], producers[MAXP], subs[MAXP];
  /* seen[i][j] = subpartition of producer i feeding consumer j, or -1 */
  int seen[MAXP][MAXP];
  memset(seen, -1, sizeof seen);
  int links = 0;
  for (int i = 0; i < up; i++) {
    int n = rp_consumers_of(part, up, down, i, consumers);
    assert_true(n >= 1 && n <= down);
    for (int k = 0; k < n; k++) {
      assert_true(consumers[k] >= 0 && consumers[k] < down);
      if (k) assert_true(consumers[k] > consumers[k - 1]); /* ascending, no duplicates */
      seen[i][consumers[k]] = k;                           /* subpartition k feeds it */
      links++;
    }
  }
  int back = 0;
  for (int j = 0; j < down; j++) {
    int n = rp_producers_of(part, up, down, j, producers, subs);
    assert_true(n >= 1 && n <= up); /* every consumer reads something */
    for (int k = 0; k < n; k++) {
      assert_true(producers[k] >= 0 && producers[k] < up);
      if (k) assert_true(producers[k] > producers[k - 1]);
      /* the producer lists this consumer, at the very subpartition the consumer reads */
      if (seen[producers[k]][j] != subs[k]) {
        print_error(
            "%s up=%d down=%d: consumer %d reads subpartition %d of producer %d, which "
            "sends it subpartition %d\n",
            part_kind_name(part), up, down, j, subs[k], producers[k], seen[producers[k]][j]);
        fail();
      }
      back++;
    }
  }
  assert_int_equal(back, links); /* nothing seen from one side only */
  return links;
}

static void test_pointwise_wiring_consistent(void **state) {
  (void)state;
  part_kind parts[] = {PART_FORWARD, PART_RESCALE};
  for (int p = 0; p < 2; p++)
    for (int up = 1; up <= MAXP; up++)
      for (int down = 1; down <= MAXP; down++) {
        int links = check_wiring(parts[p], up, down);
        /* pointwise: each producer-consumer pair at most once, and exactly max(up, down)
         * connections (every subtask on the wider side has exactly one partner) */
        assert_int_equal(links, up > down ? up : down);
      }
}

static void test_all_to_all_wiring_consistent(void **state) {
  (void)state;
  part_kind parts[] = {PART_REBALANCE, PART_SHUFFLE, PART_BROADCAST,
                       PART_GLOBAL,    PART_CUSTOM,  PART_HASH};
  for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++)
    for (int up = 1; up <= MAXP; up++)
      for (int down = 1; down <= MAXP; down++) {
        assert_int_equal(check_wiring(parts[p], up, down), up * down);
        int consumers[MAXP], producers[MAXP], subs[MAXP];
        for (int i = 0; i < up; i++) {
          assert_int_equal(rp_consumers_of(parts[p], up, down, i, consumers), down);
          for (int j = 0; j < down; j++) assert_int_equal(consumers[j], j);
        }
        for (int j = 0; j < down; j++) {
          assert_int_equal(rp_producers_of(parts[p], up, down, j, producers, subs), up);
          for (int i = 0; i < up; i++) {
            assert_int_equal(producers[i], i);
            assert_int_equal(subs[i], j); /* subpartition j of every producer is consumer j's */
          }
        }
      }
}

static void test_pointwise_examples(void **state) {
  (void)state;
  int c[MAXP], p[MAXP], s[MAXP];
  /* 4 -> 2: consumer 0 reads producers 0 and 1, consumer 1 reads 2 and 3 */
  assert_int_equal(rp_producers_of(PART_RESCALE, 4, 2, 0, p, s), 2);
  assert_int_equal(p[0], 0);
  assert_int_equal(p[1], 1);
  assert_int_equal(s[0], 0);
  assert_int_equal(s[1], 0);
  assert_int_equal(rp_producers_of(PART_RESCALE, 4, 2, 1, p, s), 2);
  assert_int_equal(p[0], 2);
  assert_int_equal(p[1], 3);
  /* 2 -> 4: producer 0 feeds consumers 0 and 1 through subpartitions 0 and 1 */
  assert_int_equal(rp_consumers_of(PART_RESCALE, 2, 4, 0, c), 2);
  assert_int_equal(c[0], 0);
  assert_int_equal(c[1], 1);
  assert_int_equal(rp_consumers_of(PART_RESCALE, 2, 4, 1, c), 2);
  assert_int_equal(c[0], 2);
  assert_int_equal(c[1], 3);
  assert_int_equal(rp_producers_of(PART_RESCALE, 2, 4, 3, p, s), 1);
  assert_int_equal(p[0], 1);
  assert_int_equal(s[0], 1);
  /* FORWARD at equal parallelism: i -> i through subpartition 0 */
  for (int i = 0; i < 5; i++) {
    assert_int_equal(rp_consumers_of(PART_FORWARD, 5, 5, i, c), 1);
    assert_int_equal(c[0], i);
    assert_int_equal(rp_producers_of(PART_FORWARD, 5, 5, i, p, s), 1);
    assert_int_equal(p[0], i);
    assert_int_equal(s[0], 0);
  }
}

/* Flink's pointwise ranges (EdgeManagerBuildUtil.connectPointwise, and the same formulas in
 * VertexInputInfoComputationUtils.computeVertexInputInfoForPointwise):
 *   up >= down: consumer j reads producers [j*up/down, (j+1)*up/down)          (floor)
 *   up <  down: producer i feeds consumers [ceil(i*down/up), ceil((i+1)*down/up)) */
static bool flink_pointwise_connected(int up, int down, int producer, int consumer) {
  if (up >= down) {
    int start = consumer * up / down, end = (consumer + 1) * up / down;
    return producer >= start && producer < end;
  }
  int start = (producer * down + up - 1) / up, end = ((producer + 1) * down + up - 1) / up;
  return consumer >= start && consumer < end;
}

static void test_pointwise_matches_flink(void **state) {
  (void)state;
  int mismatches = 0;
  for (int up = 1; up <= MAXP; up++)
    for (int down = 1; down <= MAXP; down++)
      for (int i = 0; i < up; i++) {
        int c[MAXP];
        int n = rp_consumers_of(PART_RESCALE, up, down, i, c);
        bool ours[MAXP] = {false};
        for (int k = 0; k < n; k++) ours[c[k]] = true;
        for (int j = 0; j < down; j++)
          if (ours[j] != flink_pointwise_connected(up, down, i, j)) {
            if (mismatches++ < 5)
              print_error("RESCALE %d -> %d: producer %d %s consumer %d, Flink %s\n", up, down, i,
                          ours[j] ? "feeds" : "does not feed", j, ours[j] ? "does not" : "does");
          }
      }
  assert_int_equal(mismatches, 0);
}

/* ---- record writer fixture --------------------------------------------------------------- */
#define BUF 1024u
#define NBUF 2048u
#define NREC 4000

typedef struct px {
  result_partition *rp;
  record_writer w;
  _Atomic bool cancel;
  uint64_t bp;
  char err[512];
  sp_event ev;
  input_channel ch[16];
  int nsub;
  spate_schema *schema, *key_schema;
  spate_row_builder *rb;
  spate_ctx ctx;
  /* what came out: per record id, a bit per subpartition, and delivery order per subpartition */
  uint32_t hits[NREC];
  int key_group[NREC]; /* the key group each record's element carried (-1: none) */
  int order[16][NREC];
  int norder[16];
} px;

static const char *SCHEMA =
    "id BIGINT NOT NULL, word STRING NOT NULL, n INT NOT NULL, "
    "big BIGINT NOT NULL";

/* The fixture without its writer (px_wire adds it). */
static px *px_alloc(int nsub) {
  px *x = sp_calloc(1, sizeof *x);
  assert_non_null(x);
  assert_int_equal(rp_create(nsub, NBUF, BUF, &x->rp), 0);
  char err[256];
  assert_int_equal(spate_schema_parse(SCHEMA, &x->schema, err, sizeof err), 0);
  x->rb = spate_rb_new(x->schema);
  x->nsub = nsub;
  sp_event_init(&x->ev);
  x->ctx.name = "Partitioner Test";
  x->ctx.parallelism = 1;
  x->ctx.ts = INT64_MIN;
  for (int i = 0; i < nsub; i++) channel_connect(&x->ch[i], x->rp, i, &x->ev);
  return x;
}

/* Sets up the writer as a task does for producer `subtask` (rw_init), with the keys and
 * functions of `keys` (part, nsub, parallelisms and schema are filled in here). */
static void px_wire(px *x, part_kind part, int maxp, int subtask, partitioner_config keys) {
  keys.part = part;
  keys.nsub = x->nsub;
  keys.consumer_parallelism = x->nsub;
  keys.max_parallelism = maxp;
  keys.subtask = subtask;
  keys.schema = x->schema;
  rw_config c = {.partitioner = keys,
                 .cancel = &x->cancel,
                 .backpressure_ns = &x->bp,
                 .ctx = &x->ctx,
                 .err = x->err,
                 .err_len = sizeof x->err};
  rp_ref(x->rp); /* the writer's own reference */
  assert_int_equal(rw_init(&x->w, x->rp, &c), 0);
}

static px *px_new(part_kind part, int nsub, int maxp) {
  px *x = px_alloc(nsub);
  px_wire(x, part, maxp, 0, (partitioner_config){0});
  return x;
}

static void px_free(px *x) {
  for (int i = 0; i < x->nsub; i++) channel_close(&x->ch[i]);
  rw_release(&x->w);
  assert_int_equal(bufpool_available(x->rp->pool), NBUF);
  rw_destroy(&x->w);
  rp_unref(x->rp);
  spate_rb_free(x->rb);
  spate_schema_free(x->schema);
  if (x->key_schema) spate_schema_free(x->key_schema);
  sp_event_destroy(&x->ev);
  sp_free(x);
}

/* Deterministic test words: 1..12 characters of [a-zA-Z0-9_]. */
static void word_of(int i, char *out, size_t *len) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
  uint64_t s = (uint64_t)i * 0x9E3779B97F4A7C15ull + 12345;
  s ^= s >> 29;
  size_t n = 1 + (size_t)(s % 12);
  for (size_t k = 0; k < n; k++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    out[k] = alphabet[(s >> 40) % (sizeof alphabet - 1)];
  }
  out[n] = 0;
  *len = n;
}

static int32_t n_of(int i) { return (int32_t)((uint32_t)i * 2654435761u); } /* any int, some < 0 */
static int64_t big_of(int i) { return (int64_t)((uint64_t)i * 0xD6E8FEB86659FD93ull); }

static int px_emit(px *x, int i) {
  char word[16];
  size_t len;
  word_of(i, word, &len);
  spate_rb_begin(x->rb);
  spate_rb_set_bigint(x->rb, 0, i);
  spate_rb_set_string(x->rb, 1, word, len);
  spate_rb_set_int(x->rb, 2, n_of(i));
  spate_rb_set_bigint(x->rb, 3, big_of(i));
  spate_row row;
  assert_int_equal(spate_rb_finish(x->rb, &row), 0);
  return rw_emit(&x->w, INT64_MIN, &row);
}

/* Emits records 0..n-1, flushes, and reads every subpartition dry. */
static void px_run(px *x, int n) {
  for (int i = 0; i < n; i++) assert_int_equal(px_emit(x, i), 0);
  rw_flush(&x->w);
  for (int c = 0; c < x->nsub; c++) {
    stream_element el;
    int rc;
    while ((rc = channel_next(&x->ch[c], &el)) == 1) {
      assert_int_equal(el.tag, EL_RECORD);
      spate_row row = {el.payload + 8, el.len - 8, 4};
      int64_t id = spate_row_bigint(&row, 0);
      assert_true(id >= 0 && id < n);
      assert_int_equal(x->hits[id] & (1u << c), 0); /* no duplicates */
      x->hits[id] |= 1u << c;
      x->key_group[id] = el.key_group;
      x->order[c][x->norder[c]++] = (int)id;
    }
    assert_int_equal(rc, 0);
  }
}

static int px_single_target(px *x, int id) {
  uint32_t h = x->hits[id];
  assert_int_not_equal(h, 0);       /* delivered */
  assert_int_equal(h & (h - 1), 0); /* to exactly one subpartition */
  return __builtin_ctz(h);
}

static void assert_in_order(px *x) {
  for (int c = 0; c < x->nsub; c++)
    for (int k = 1; k < x->norder[c]; k++) assert_true(x->order[c][k] > x->order[c][k - 1]);
}

/* ---- HASH ---------------------------------------------------------------------------------- */
static void hash_case(const int *fields, int nfields, int nsub, int maxp) {
  px *x = px_alloc(nsub);
  px_wire(x, PART_HASH, maxp, 0, (partitioner_config){.nkey = nfields, .key_fields = fields});
  px_run(x, NREC);
  int used = 0;
  uint32_t used_mask = 0;
  for (int i = 0; i < NREC; i++) {
    char word[16];
    size_t len;
    word_of(i, word, &len);
    int32_t h = 0;
    for (int k = 0; k < nfields; k++) { /* Tuple1 = the value's hash; TupleN = 31 * h + next */
      int32_t fh = fields[k] == 1   ? java_string_hash_ascii(word, len)
                   : fields[k] == 2 ? n_of(i) /* Integer.hashCode */
                   : fields[k] == 3 ? java_long_hash(big_of(i))
                                    : java_long_hash(i);
      h = (int32_t)((uint32_t)h * 31u + (uint32_t)fh);
    }
    int want = flink_operator_for_hash(h, maxp, nsub);
    int got = px_single_target(x, i);
    /* the element carries the key group, Flink's for the key, to the consumer (element.h) */
    assert_int_equal(x->key_group[i], flink_murmur(h) % maxp);
    if (got != want) {
      print_error("record %d key '%s': subpartition %d, Flink's would be %d (p=%d maxp=%d)\n", i,
                  word, got, want, nsub, maxp);
      fail();
    }
    used_mask |= 1u << got;
  }
  for (int c = 0; c < nsub; c++) used += (used_mask >> c) & 1;
  assert_int_equal(used, nsub); /* 4000 keys reach every subtask */
  assert_in_order(x);
  px_free(x);
}

static void test_hash_string_key(void **state) {
  (void)state;
  int f[] = {1};
  int ps[] = {1, 2, 3, 4, 7};
  int maxps[] = {128, 7, 300, 32768};
  for (size_t a = 0; a < sizeof ps / sizeof ps[0]; a++)
    for (size_t b = 0; b < sizeof maxps / sizeof maxps[0]; b++)
      if (ps[a] <= maxps[b]) hash_case(f, 1, ps[a], maxps[b]);
}

static void test_hash_int_long_and_composite_keys(void **state) {
  (void)state;
  int f_int[] = {2}, f_long[] = {3}, f_id[] = {0}, f_two[] = {1, 2}, f_three[] = {3, 1, 2};
  hash_case(f_int, 1, 4, 128);
  hash_case(f_long, 1, 4, 128);
  hash_case(f_id, 1, 3, 128);
  hash_case(f_two, 2, 4, 128);
  hash_case(f_three, 3, 5, 256);
}

/* Key selector: the key is the word's first two characters, upper-cased if lower case. */
int partitioners_test_key_fn(spate_ctx *ctx, const spate_row *in, spate_row_builder *key) {
  (void)ctx;
  spate_bytes w = spate_row_string(in, 1);
  char k[2];
  size_t n = w.len < 2 ? w.len : 2;
  for (size_t i = 0; i < n; i++)
    k[i] = (char)(w.ptr[i] >= 'a' && w.ptr[i] <= 'z' ? w.ptr[i] - 32 : w.ptr[i]);
  spate_rb_set_string(key, 0, k, n);
  return 0;
}

static void test_hash_key_selector(void **state) {
  (void)state;
  const int nsub = 4, maxp = 128;
  px *x = px_alloc(nsub);
  char err[256];
  assert_int_equal(spate_schema_parse("k STRING NOT NULL", &x->key_schema, err, sizeof err), 0);
  px_wire(x, PART_HASH, maxp, 0,
          (partitioner_config){.key_fn = partitioners_test_key_fn, .key_schema = x->key_schema});
  px_run(x, NREC);
  for (int i = 0; i < NREC; i++) {
    char word[16];
    size_t len;
    word_of(i, word, &len);
    char k[2];
    size_t n = len < 2 ? len : 2;
    for (size_t j = 0; j < n; j++)
      k[j] = (char)(word[j] >= 'a' && word[j] <= 'z' ? word[j] - 32 : word[j]);
    assert_int_equal(px_single_target(x, i),
                     flink_operator_for_hash(java_string_hash_ascii(k, n), maxp, nsub));
  }
  px_free(x);
}

int partitioners_test_failing_key_fn(spate_ctx *ctx, const spate_row *in, spate_row_builder *key) {
  if (spate_row_bigint(in, 0) == 3) return spate_ctx_fail(ctx, "no key for record %d", 3);
  spate_rb_set_string(key, 0, "x", 1);
  return 0;
}

static void test_hash_key_selector_failure(void **state) {
  (void)state;
  px *x = px_alloc(2);
  char err[256];
  assert_int_equal(spate_schema_parse("k STRING NOT NULL", &x->key_schema, err, sizeof err), 0);
  px_wire(x, PART_HASH, 128, 0,
          (partitioner_config){.key_fn = partitioners_test_failing_key_fn,
                               .key_schema = x->key_schema});
  for (int i = 0; i < 3; i++) assert_int_equal(px_emit(x, i), 0);
  assert_int_equal(px_emit(x, 3), SPATE_EUDF);
  assert_non_null(strstr(x->err, "no key for record 3"));
  assert_non_null(strstr(x->err, "Partitioner Test"));
  px_free(x);
}

/* ---- round robin, broadcast, global, shuffle ---------------------------------------------- */
static void test_rebalance_and_rescale_round_robin(void **state) {
  (void)state;
  part_kind parts[] = {PART_REBALANCE, PART_RESCALE};
  for (int p = 0; p < 2; p++)
    for (int nsub = 1; nsub <= 5; nsub++) {
      px *x = px_alloc(nsub);
      px_wire(x, parts[p], 128, 3, (partitioner_config){0}); /* the writer of subtask 3 */
      int start = 3 % nsub;                                  /* where subtask 3 starts */
      px_run(x, 1000);
      for (int i = 0; i < 1000; i++) {
        assert_int_equal(px_single_target(x, i), (start + i) % nsub);
        assert_int_equal(x->key_group[i], -1); /* not keyed: no key group travels */
      }
      for (int c = 0; c < nsub; c++) { /* even spread: 1000 / nsub, give or take one */
        assert_true(x->norder[c] >= 1000 / nsub);
        assert_true(x->norder[c] <= 1000 / nsub + 1);
      }
      assert_in_order(x);
      px_free(x);
    }
}

static void test_broadcast_reaches_all(void **state) {
  (void)state;
  px *x = px_new(PART_BROADCAST, 5, 128);
  px_run(x, 777);
  for (int i = 0; i < 777; i++) assert_int_equal(x->hits[i], 0x1Fu);
  for (int c = 0; c < 5; c++) {
    assert_int_equal(x->norder[c], 777);
    for (int k = 0; k < 777; k++) assert_int_equal(x->order[c][k], k); /* same order everywhere */
  }
  px_free(x);
}

static void test_global_always_first(void **state) {
  (void)state;
  px *x = px_new(PART_GLOBAL, 4, 128);
  px_run(x, 500);
  for (int i = 0; i < 500; i++) assert_int_equal(px_single_target(x, i), 0);
  assert_int_equal(x->norder[0], 500);
  for (int c = 1; c < 4; c++) assert_int_equal(x->norder[c], 0);
  assert_in_order(x);
  px_free(x);
}

static void test_shuffle_in_range_and_spread(void **state) {
  (void)state;
  px *x = px_new(PART_SHUFFLE, 4, 128);
  px_run(x, NREC);
  for (int i = 0; i < NREC; i++) px_single_target(x, i);
  for (int c = 0; c < 4; c++) assert_true(x->norder[c] > NREC * 15 / 100); /* ~25% each */
  /* not round robin in disguise: some consecutive records share a subpartition */
  int same = 0;
  for (int i = 1; i < NREC; i++) same += px_single_target(x, i) == px_single_target(x, i - 1);
  assert_true(same > NREC / 10);
  assert_in_order(x);
  px_free(x);
}

/* ---- custom ---------------------------------------------------------------------------------- */
int partitioners_test_custom_fn(spate_ctx *ctx, const spate_row *key, int num_partitions) {
  (void)ctx;
  int64_t v = spate_row_bigint(key, 0);
  return (int)(((v * 7) % num_partitions + num_partitions) % num_partitions);
}

int partitioners_test_bad_custom_fn(spate_ctx *ctx, const spate_row *key, int num_partitions) {
  (void)ctx;
  return spate_row_bigint(key, 0) == 5 ? num_partitions : 0;
}

int partitioners_test_failing_custom_fn(spate_ctx *ctx, const spate_row *key, int n) {
  (void)n;
  if (spate_row_bigint(key, 0) == 2) return spate_ctx_fail(ctx, "cannot place %lld", 2LL);
  return 0;
}

static px *custom_px(spate_partition_fn fn, int nsub) {
  px *x = px_alloc(nsub);
  static const int key_field[] = {0};
  char err[256];
  assert_int_equal(spate_schema_parse("id BIGINT NOT NULL", &x->key_schema, err, sizeof err), 0);
  px_wire(x, PART_CUSTOM, 128, 0,
          (partitioner_config){
              .nkey = 1, .key_fields = key_field, .key_schema = x->key_schema, .custom_fn = fn});
  return x;
}

static void test_custom_partitioner(void **state) {
  (void)state;
  px *x = custom_px(partitioners_test_custom_fn, 3);
  px_run(x, 600);
  for (int i = 0; i < 600; i++) assert_int_equal(px_single_target(x, i), (i * 7) % 3);
  assert_in_order(x);
  px_free(x);

  x = custom_px(partitioners_test_bad_custom_fn, 3);
  for (int i = 0; i < 5; i++) assert_int_equal(px_emit(x, i), 0);
  assert_int_equal(px_emit(x, 5), SPATE_EUDF);
  assert_non_null(strstr(x->err, "custom partitioner returned partition 3, expected 0..2"));
  px_free(x);

  x = custom_px(partitioners_test_failing_custom_fn, 2);
  assert_int_equal(px_emit(x, 0), 0);
  assert_int_equal(px_emit(x, 1), 0);
  assert_int_equal(px_emit(x, 2), SPATE_EUDF);
  assert_non_null(strstr(x->err, "cannot place 2"));
  px_free(x);
}

int main(void) {
  sp_log_set_level(SP_LOG_WARN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reference_formulas_sanity),
      cmocka_unit_test(test_pointwise_wiring_consistent),
      cmocka_unit_test(test_all_to_all_wiring_consistent),
      cmocka_unit_test(test_pointwise_examples),
      cmocka_unit_test(test_pointwise_matches_flink),
      cmocka_unit_test(test_hash_string_key),
      cmocka_unit_test(test_hash_int_long_and_composite_keys),
      cmocka_unit_test(test_hash_key_selector),
      cmocka_unit_test(test_hash_key_selector_failure),
      cmocka_unit_test(test_rebalance_and_rescale_round_robin),
      cmocka_unit_test(test_broadcast_reaches_all),
      cmocka_unit_test(test_global_always_first),
      cmocka_unit_test(test_shuffle_in_range_and_spread),
      cmocka_unit_test(test_custom_partitioner),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
