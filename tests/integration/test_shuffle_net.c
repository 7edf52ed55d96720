/*
 * test_shuffle_net.c: the exchange between TaskManagers over TCP (net/shuffle_net.c), with two
 * shuffle environments, each with its own network shuffle on loopback, in one process: env A
 * holds the producers' partitions, env B's consumers read them through mirrors. Producers write
 * with the real record writer, consumers read with the real input channel; the last tests run a
 * job's tasks (task_start) split over the two environments. UDFs have external linkage (the
 * program is linked with -rdynamic) and an sn_ prefix.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cmocka.h>

#include "support/testkit.h"

#include <dlfcn.h>

#include "api/api.h"
#include "connectors/registry.h"
#include "operators/registry.h"
#include "runtime/task.h"

#include "net/frame.h"
#include "net/shuffle_net.h"
#include "runtime/input_gate.h"
#include "runtime/record_writer.h"
#include "runtime/shuffle_env.h"

#define JOB "job-1"
#define BUF 4096u

typedef struct side {
  shuffle_env *env;
  shuffle_net *net;
} side;

typedef struct cluster {
  side a, b; /* A produces, B consumes */
} cluster;

static void side_start(side *s) {
  char err[300] = "";
  assert_int_equal(shuffle_env_create(&s->env), 0);
  int rc = shuffle_net_start(s->env, "127.0.0.1", 0, NULL, &s->net, err, sizeof err);
  if (rc < 0) fail_msg("shuffle_net_start: %s", err);
}

static void side_stop(side *s) {
  shuffle_net_stop(s->net);
  s->net = NULL;
  shuffle_env_destroy(s->env);
}

/* Producers 0..np-1 on A, consumers np..np+nc-1 on B: B's placement. */
static void cluster_start(cluster *c, int np, int nc) {
  side_start(&c->a);
  side_start(&c->b);
  const char *where[16];
  for (int i = 0; i < np; i++) where[i] = shuffle_net_address(c->a.net);
  for (int i = 0; i < nc; i++) where[np + i] = shuffle_net_address(c->b.net);
  assert_int_equal(shuffle_env_set_placement(c->b.env, JOB, where, np + nc), 0);
}

static void cluster_stop(cluster *c) {
  side_stop(&c->b);
  side_stop(&c->a);
}

/* ---- producers ---- */

typedef struct producer {
  record_writer w;
  _Atomic bool cancel;
  uint64_t bp_ns;
  char err[256];
  int id, nsub;
  int n;            /* records to write to every subpartition */
  uint32_t big;     /* > 0: then one element of this many bytes */
  _Atomic int sent; /* records written so far */
  int rc;           /* of the thread */
  bool barrier;     /* after the records: an unaligned barrier of checkpoint 7 */
  pthread_t thread;
} producer;

static void producer_init(producer *p, side *a, int id, int nsub, uint32_t pool) {
  memset(p, 0, sizeof *p);
  p->id = id;
  p->nsub = nsub;
  result_partition *rp;
  assert_int_equal(shuffle_env_partition(a->env, JOB, 0, id, nsub, pool, BUF, &rp), 0);
  rw_config cfg = {.partitioner = {.part = PART_REBALANCE,
                                   .nsub = nsub,
                                   .consumer_parallelism = nsub,
                                   .max_parallelism = 128,
                                   .subtask = id},
                   .cancel = &p->cancel,
                   .backpressure_ns = &p->bp_ns,
                   .err = p->err,
                   .err_len = sizeof p->err};
  assert_int_equal(rw_init(&p->w, rp, &cfg), 0);
}

/* A record's payload: i64 timestamp slot, producer id, sequence number, filler. */
typedef struct rec {
  int64_t ts;
  uint32_t producer, seq;
  uint64_t fill[2];
} rec;

static uint8_t big_byte(uint32_t i) { return (uint8_t)(i * 31u + 7u); }

static void *produce(void *arg) {
  producer *p = arg;
  int rc = 0;
  for (int i = 0; rc == 0 && i < p->n; i++) {
    rec r = {.ts = i, .producer = (uint32_t)p->id, .seq = (uint32_t)i, .fill = {i, ~(uint64_t)i}};
    rc = rw_broadcast_event(&p->w, EL_RECORD, &r, sizeof r);
    atomic_fetch_add(&p->sent, 1);
    tk_notify();
  }
  if (rc == 0 && p->big) {
    uint8_t *b = malloc(p->big);
    for (uint32_t i = 0; i < p->big; i++) b[i] = big_byte(i);
    rc = rw_broadcast_event(&p->w, EL_RECORD, b, p->big);
    free(b);
  }
  if (rc == 0 && p->barrier) {
    struct {
      el_barrier b;
      char dir[8];
    } bar = {{.id = 7, .timestamp = 1, .flags = BARRIER_UNALIGNED, .dir_len = 8}, "/ckpt/7"};
    rc = rw_emit_barrier(&p->w, 7, &bar, sizeof bar);
  }
  if (rc == 0) rc = rw_broadcast_event(&p->w, EL_END_OF_PARTITION, NULL, 0);
  if (rc == 0) {
    p->w.dirty = true;
    rw_flush(&p->w);
  }
  p->rc = rc;
  tk_notify();
  return NULL;
}

static void producer_run(producer *p) {
  assert_int_equal(pthread_create(&p->thread, NULL, produce, p), 0);
}

static void producer_join(producer *p) {
  pthread_join(p->thread, NULL);
  rw_destroy(&p->w);
}

/* ---- consumers ---- */

typedef struct consumer {
  sp_event ev;
  int nch;
  input_channel ch[9];
  result_partition *mirror[9];
} consumer;

static void consumer_init(consumer *c) {
  memset(c, 0, sizeof *c);
  sp_event_init(&c->ev);
}

/* Connects c's next channel to subpartition sub of producer pid, in the input gate of consumer
 * subtask `gate` with `floating` floating buffers. */
static void consumer_connect_gate(consumer *c, cluster *cl, int pid, int sub, int nsub,
                                  uint32_t pool, uint32_t credit, int gate, uint32_t floating) {
  shuffle_input in = {.job_key = JOB,
                      .consumer = gate,
                      .floating = floating,
                      .edge = 0,
                      .producer_index = pid,
                      .producer = pid,
                      .sub = sub,
                      .nsub = nsub,
                      .buffers = pool,
                      .size = BUF,
                      .credit = credit};
  result_partition *rp;
  int s = -1;
  char err[300] = "";
  int rc = shuffle_env_input(cl->b.env, &in, &rp, &s, err, sizeof err);
  if (rc < 0) fail_msg("shuffle_env_input: %s", err);
  assert_int_equal(s, 0); /* a mirror: one subpartition */
  assert_int_equal(rp->nsub, 1);
  assert_int_equal(rp->pool->count, credit);
  channel_connect(&c->ch[c->nch], rp, s, &c->ev);
  c->mirror[c->nch] = rp;
  rp_unref(rp);
  c->nch++;
}

/* Connects c's next channel to subpartition sub of producer pid, with exclusive credit only. */
static void consumer_connect(consumer *c, cluster *cl, int pid, int sub, int nsub, uint32_t pool,
                             uint32_t credit) {
  consumer_connect_gate(c, cl, pid, sub, nsub, pool, credit, 0, 0);
}

static void consumer_close(consumer *c) {
  for (int i = 0; i < c->nch; i++) channel_close(&c->ch[i]);
  sp_event_destroy(&c->ev);
}

/* The next element of channel k: 1, or a negative code; fails the test after TK_TIMEOUT_MS. */
static int next_element(consumer *c, int k, stream_element *el) {
  int64_t deadline = tk_mono_ms() + TK_TIMEOUT_MS;
  for (;;) {
    uint32_t token = sp_event_prepare(&c->ev);
    int r = channel_next(&c->ch[k], el);
    if (r != 0) return r;
    if (tk_mono_ms() > deadline) fail_msg("timed out awaiting an element on channel %d", k);
    sp_event_wait(&c->ev, token, 50 * 1000000LL);
  }
}

/* Reads record i of producer pid from channel k. */
static void expect_record(consumer *c, int k, uint32_t pid, int i) {
  stream_element el;
  assert_int_equal(next_element(c, k, &el), 1);
  assert_int_equal(el.tag, EL_RECORD);
  assert_int_equal(el.len, sizeof(rec));
  rec r;
  memcpy(&r, el.payload, sizeof r);
  if (r.producer != pid || r.seq != (uint32_t)i || r.ts != i)
    fail_msg("channel %d record %d: producer %u seq %u", k, i, r.producer, r.seq);
}

/* Reads records from..n-1 of producer pid from channel k, then its end of partition. */
static void expect_rest(consumer *c, int k, uint32_t pid, int from, int n) {
  for (int i = from; i < n; i++) expect_record(c, k, pid, i);
  stream_element el;
  assert_int_equal(next_element(c, k, &el), 1);
  assert_int_equal(el.tag, EL_END_OF_PARTITION);
}

/* Buffers queued in mirror k of c. */
static uint32_t queued(consumer *c, int k) { return sp_spsc_size(&c->mirror[k]->subs[0].queue); }

/* The floating-buffer gate of consumer subtask `gate` on B (zeros once it is gone). */
static shuffle_gate_stats gate_stats(cluster *cl, int gate) {
  shuffle_gate_stats st;
  if (shuffle_net_gate_stats(cl->b.net, JOB, 0, gate, &st) < 0) memset(&st, 0, sizeof st);
  return st;
}

/* Reads n records of producer `pid` in order, then (big) the large element, (barrier) the
 * barrier, then the end of partition. */
static void expect_stream(consumer *c, int k, uint32_t pid, int n, uint32_t big, bool barrier) {
  stream_element el;
  for (int i = 0; i < n; i++) {
    assert_int_equal(next_element(c, k, &el), 1);
    assert_int_equal(el.tag, EL_RECORD);
    assert_int_equal(el.len, sizeof(rec));
    rec r;
    memcpy(&r, el.payload, sizeof r);
    if (r.producer != pid || r.seq != (uint32_t)i || r.ts != i || r.fill[0] != (uint64_t)i ||
        r.fill[1] != ~(uint64_t)i)
      fail_msg("channel %d record %d: producer %u seq %u ts %lld", k, i, r.producer, r.seq,
               (long long)r.ts);
  }
  if (big) {
    assert_int_equal(next_element(c, k, &el), 1);
    assert_int_equal(el.tag, EL_RECORD);
    assert_int_equal(el.len, big);
    for (uint32_t i = 0; i < big; i++)
      if (el.payload[i] != big_byte(i)) fail_msg("byte %u of the large element differs", i);
  }
  if (barrier) {
    assert_int_equal(next_element(c, k, &el), 1);
    assert_int_equal(el.tag, EL_BARRIER);
    el_barrier b;
    memcpy(&b, el.payload, sizeof b);
    assert_int_equal(b.id, 7);
  }
  assert_int_equal(next_element(c, k, &el), 1);
  assert_int_equal(el.tag, EL_END_OF_PARTITION);
}

/* (a) Bytes and order: many buffers of records, an element larger than three buffers, the end
 * of partition; the producer's small pool makes it wait for credit on the way. */
static void test_bytes_and_order(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 1, 1);
  producer p;
  producer_init(&p, &cl.a, 0, 1, 4);
  p.n = 5000; /* 40 bytes each: about 50 buffers */
  p.big = 3 * BUF + 100;
  consumer c;
  consumer_init(&c);
  consumer_connect(&c, &cl, 0, 0, 1, 4, 2);
  producer_run(&p);
  expect_stream(&c, 0, 0, p.n, p.big, false);
  producer_join(&p);
  assert_int_equal(p.rc, 0);
  consumer_close(&c);
  assert_int_equal(shuffle_net_connections_opened(cl.b.net), 1);
  cluster_stop(&cl);
}

/* (b) Credit bounds memory: a consumer that does not read stops its producer through the
 * producer's own pool, and its mirror never holds more than its credit; reading drains it. */
static void test_credit_bounds_memory(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 1, 1);
  producer p;
  producer_init(&p, &cl.a, 0, 1, 4);
  p.n = 20000; /* about 200 buffers: far more than pool and credit together */
  consumer c;
  consumer_init(&c);
  consumer_connect(&c, &cl, 0, 0, 1, 4, 3);
  result_partition *mirror = c.mirror[0];
  uint64_t waits = bufpool_waits();
  producer_run(&p);
  TK_AWAIT(bufpool_waits() > waits, "the producer waiting for a buffer");
  TK_AWAIT(bufpool_available(mirror->pool) == 0, "the mirror's credit used up");
  /* blocked: its pool (4) and the mirror (3) hold all it could write */
  int sent = atomic_load(&p.sent);
  assert_true(sent < p.n);
  assert_true(sp_spsc_size(&mirror->subs[0].queue) <= 3);
  assert_int_equal(mirror->pool->count, 3);
  expect_stream(&c, 0, 0, p.n, 0, false);
  producer_join(&p);
  assert_int_equal(p.rc, 0);
  consumer_close(&c);
  cluster_stop(&cl);
}

/* (c) All-to-all 3x3 over one connection: nine channels, read round robin as a task reads its
 * gates (a producer's pool is shared by its subpartitions, so every channel must be read). */
static void test_all_to_all(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 3, 3);
  producer p[3];
  for (int i = 0; i < 3; i++) {
    producer_init(&p[i], &cl.a, i, 3, 8);
    p[i].n = 3000;
  }
  consumer c; /* the three consumer subtasks' channels in one: channel 3j+i reads producer i */
  consumer_init(&c);
  for (int j = 0; j < 3; j++)
    for (int i = 0; i < 3; i++) consumer_connect(&c, &cl, i, j, 3, 8, 2);
  for (int i = 0; i < 3; i++) producer_run(&p[i]);
  int seq[9] = {0}, open = 9;
  bool done[9] = {false};
  int64_t deadline = tk_mono_ms() + TK_TIMEOUT_MS;
  while (open > 0) {
    uint32_t token = sp_event_prepare(&c.ev);
    bool progress = false;
    for (int k = 0; k < 9; k++) {
      stream_element el;
      int r;
      while (!done[k] && (r = channel_next(&c.ch[k], &el)) == 1) {
        progress = true;
        if (el.tag == EL_END_OF_PARTITION) {
          assert_int_equal(seq[k], p[k % 3].n);
          done[k] = true;
          open--;
          break;
        }
        assert_int_equal(el.tag, EL_RECORD);
        rec rr;
        memcpy(&rr, el.payload, sizeof rr);
        if (rr.producer != (uint32_t)(k % 3) || rr.seq != (uint32_t)seq[k])
          fail_msg("channel %d: producer %u seq %u, expected %d seq %d", k, rr.producer, rr.seq,
                   k % 3, seq[k]);
        seq[k]++;
      }
      if (!done[k]) assert_int_equal(r, 0);
    }
    if (progress) continue;
    if (tk_mono_ms() > deadline) fail_msg("timed out reading the nine channels");
    sp_event_wait(&c.ev, token, 50 * 1000000LL);
  }
  for (int i = 0; i < 3; i++) {
    producer_join(&p[i]);
    assert_int_equal(p[i].rc, 0);
  }
  consumer_close(&c);
  assert_int_equal(shuffle_net_connections_opened(cl.b.net), 1);
  cluster_stop(&cl);
}

static void test_announced_barrier_overtakes(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 1, 1);
  producer p;
  producer_init(&p, &cl.a, 0, 1, 16);
  p.n = 300; /* about 3 buffers: more than the credit, less than the pool */
  p.barrier = true;
  consumer c;
  consumer_init(&c);
  consumer_connect(&c, &cl, 0, 0, 1, 16, 1);
  result_partition *mirror = c.mirror[0];
  producer_run(&p);
  /* nothing read yet: the barrier's buffer is still queued on the producer's side */
  TK_AWAIT(atomic_load(&mirror->subs[0].announced) == 7, "the barrier announced on the mirror");
  uint8_t buf[sizeof(el_barrier) + 64];
  uint32_t len = rp_announced_barrier(mirror, 0, buf, sizeof buf);
  assert_int_equal(len, sizeof(el_barrier) + 8);
  el_barrier b;
  memcpy(&b, buf, sizeof b);
  assert_int_equal(b.id, 7);
  assert_string_equal((const char *)buf + sizeof b, "/ckpt/7");
  expect_stream(&c, 0, 0, p.n, 0, true);
  producer_join(&p);
  assert_int_equal(p.rc, 0);
  consumer_close(&c);
  cluster_stop(&cl);
}

/* (d) The request arrives before the producer's partition exists: it creates it. */
static void test_request_before_producer(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 1, 1);
  consumer c;
  consumer_init(&c);
  consumer_connect(&c, &cl, 0, 0, 1, 4, 2);
  TK_AWAIT(shuffle_env_has_partition(cl.a.env, JOB, 0, 0), "the request creating the partition");
  producer p;
  producer_init(&p, &cl.a, 0, 1, 4); /* finds the partition the request created */
  p.n = 1000;
  producer_run(&p);
  expect_stream(&c, 0, 0, p.n, 0, false);
  producer_join(&p);
  assert_int_equal(p.rc, 0);
  consumer_close(&c);
  cluster_stop(&cl);
}

/* Channel k failed (its consumer read everything that arrived and then the failure). */
static bool channel_failed(consumer *c, int k) {
  stream_element el;
  int r;
  while ((r = channel_next(&c->ch[k], &el)) == 1) continue;
  return r < 0;
}

/* A request that arrives after the producer's side released the job (a consumer of an attempt
 * that ended, asking late) is refused and leaves no partition behind; a new deployment of the
 * same job key on that side (its placement) serves requests again. */
static void test_request_after_release(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 1, 1);
  result_partition *rp;
  assert_int_equal(shuffle_env_partition(cl.a.env, JOB, 0, 0, 1, 4, BUF, &rp), 0);
  rp_unref(rp);
  shuffle_env_release_job(cl.a.env, JOB); /* the attempt ended on A */
  assert_false(shuffle_env_has_partition(cl.a.env, JOB, 0, 0));
  consumer c;
  consumer_init(&c);
  consumer_connect(&c, &cl, 0, 0, 1, 4, 2); /* its request comes after the release */
  TK_AWAIT(channel_failed(&c, 0) || shuffle_env_has_partition(cl.a.env, JOB, 0, 0),
           "A answering the late request");
  assert_false(shuffle_env_has_partition(cl.a.env, JOB, 0, 0));
  const char *why = channel_failure(&c.ch[0]);
  assert_non_null(why);
  assert_non_null(strstr(why, "Error at remote task manager"));
  assert_non_null(strstr(why, "was released"));
  /* the job key deployed on A again (the same job id resubmitted): served as before */
  const char *where[2] = {shuffle_net_address(cl.a.net), shuffle_net_address(cl.b.net)};
  assert_int_equal(shuffle_env_set_placement(cl.a.env, JOB, where, 2), 0);
  consumer_connect(&c, &cl, 0, 0, 1, 4, 2);
  TK_AWAIT(shuffle_env_has_partition(cl.a.env, JOB, 0, 0), "the request creating the partition");
  producer p;
  producer_init(&p, &cl.a, 0, 1, 4);
  p.n = 100;
  producer_run(&p);
  expect_stream(&c, 1, 0, p.n, 0, false);
  producer_join(&p);
  assert_int_equal(p.rc, 0);
  consumer_close(&c);
  cluster_stop(&cl);
}

/* A request the producer's side refuses (a subpartition its partition does not have) fails
 * that channel with the producer side's reason; the connection serves on. */
static void test_refused_request(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 1, 1);
  producer p;
  producer_init(&p, &cl.a, 0, 1, 4); /* one subpartition */
  consumer c;
  consumer_init(&c);
  consumer_connect(&c, &cl, 0, 2, 3, 4, 2); /* asks for the third of three */
  stream_element el;
  assert_int_equal(next_element(&c, 0, &el), SPATE_EIO);
  const char *why = channel_failure(&c.ch[0]);
  assert_non_null(why);
  assert_non_null(strstr(why, "Error at remote task manager"));
  assert_non_null(strstr(why, "has 1 subpartitions"));
  consumer_connect(&c, &cl, 0, 0, 1, 4, 2); /* the right one, on the same connection */
  p.n = 100;
  producer_run(&p);
  expect_stream(&c, 1, 0, p.n, 0, false);
  producer_join(&p);
  consumer_close(&c);
  assert_int_equal(shuffle_net_connections_opened(cl.b.net), 1);
  cluster_stop(&cl);
}

/* (e) The producer's TaskManager goes away mid-stream: the consumer reads what arrived, then
 * its channel fails with Flink's message naming the peer; nothing hangs. */
static void test_peer_lost_mid_stream(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 1, 1);
  char peer[128];
  snprintf(peer, sizeof peer, "'%s'", shuffle_net_address(cl.a.net));
  producer p;
  producer_init(&p, &cl.a, 0, 1, 4);
  p.n = 100000; /* far more than it can send before the end */
  consumer c;
  consumer_init(&c);
  consumer_connect(&c, &cl, 0, 0, 1, 4, 2);
  producer_run(&p);
  stream_element el;
  for (int i = 0; i < 10; i++) assert_int_equal(next_element(&c, 0, &el), 1);
  shuffle_net_stop(cl.a.net); /* A's data plane closes its connections */
  cl.a.net = NULL;
  int r;
  while ((r = next_element(&c, 0, &el)) == 1) assert_int_equal(el.tag, EL_RECORD);
  assert_int_equal(r, SPATE_EIO);
  const char *why = channel_failure(&c.ch[0]);
  assert_non_null(why);
  assert_non_null(strstr(why, "Connection unexpectedly closed by remote task manager"));
  assert_non_null(strstr(why, peer));
  atomic_store(&p.cancel, true); /* its producer waits for buffers nobody takes: cancel it */
  bufpool_wake(p.w.rp->pool);
  producer_join(&p);
  assert_int_equal(p.rc, SPATE_ECANCELED);
  consumer_close(&c);
  cluster_stop(&cl);
}

/* A consumer that goes away cancels its channel: the producer's side lets go of the
 * subpartition, and a new consumer (a restarted task) reads on from there over the same
 * connection. */
static void test_cancel_and_request_again(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 1, 1);
  producer p;
  producer_init(&p, &cl.a, 0, 1, 4);
  p.n = 20000;
  result_partition *prp = p.w.rp;
  consumer c;
  consumer_init(&c);
  consumer_connect(&c, &cl, 0, 0, 1, 4, 2);
  producer_run(&p);
  stream_element el;
  for (int i = 0; i < 100; i++) assert_int_equal(next_element(&c, 0, &el), 1);
  consumer_close(&c);
  TK_AWAIT(atomic_load(&prp->subs[0].consumer) == NULL, "the producer side letting go");
  consumer_init(&c);
  consumer_connect(&c, &cl, 0, 0, 1, 4, 2);
  uint32_t last = 99;
  int r;
  while ((r = next_element(&c, 0, &el)) == 1 && el.tag == EL_RECORD) {
    rec rr;
    memcpy(&rr, el.payload, sizeof rr);
    if (rr.seq <= last) fail_msg("seq %u after %u", rr.seq, last);
    last = rr.seq;
  }
  assert_int_equal(r, 1);
  assert_int_equal(el.tag, EL_END_OF_PARTITION);
  assert_int_equal(last, (uint32_t)p.n - 1);
  producer_join(&p);
  assert_int_equal(p.rc, 0);
  consumer_close(&c);
  assert_int_equal(shuffle_net_connections_opened(cl.b.net), 1);
  cluster_stop(&cl);
}

/* A data port in use is an error naming it, not a crash. */
static void test_port_in_use(void **state) {
  (void)state;
  side a;
  side_start(&a);
  const char *addr = shuffle_net_address(a.net);
  int port = atoi(strrchr(addr, ':') + 1);
  shuffle_env *env;
  assert_int_equal(shuffle_env_create(&env), 0);
  shuffle_net *net = NULL;
  char err[300] = "";
  assert_true(shuffle_net_start(env, "127.0.0.1", port, NULL, &net, err, sizeof err) < 0);
  assert_null(net);
  char want[64];
  snprintf(want, sizeof want, "127.0.0.1:%d", port);
  if (!strstr(err, want) || !strstr(err, "in use")) fail_msg("%s", err);
  shuffle_env_destroy(env);
  side_stop(&a);
}

/* A producer TaskManager that is not there: the channel fails with the address and the reason
 * (connection refused), it does not hang. */
static void test_connect_refused(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 1, 1);
  char peer[128];
  snprintf(peer, sizeof peer, "'%s'", shuffle_net_address(cl.a.net));
  shuffle_net_stop(cl.a.net); /* its port is closed now */
  cl.a.net = NULL;
  consumer c;
  consumer_init(&c);
  consumer_connect(&c, &cl, 0, 0, 1, 4, 2);
  stream_element el;
  assert_int_equal(next_element(&c, 0, &el), SPATE_EIO);
  const char *why = channel_failure(&c.ch[0]);
  assert_non_null(why);
  if (!strstr(why, "Connecting to remote task manager") || !strstr(why, peer)) fail_msg("%s", why);
  consumer_close(&c);
  cluster_stop(&cl);
}

/* Sends bytes to A's data port as a foreign peer would; returns once A closed the connection
 * (reads until EOF; the receive timeout is only a deadline). */
static void foreign_peer(const char *address, const void *bytes, size_t n) {
  const char *colon = strrchr(address, ':');
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct timeval tv = {.tv_sec = TK_TIMEOUT_MS / 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(send(fd, bytes, n, MSG_NOSIGNAL), (ssize_t)n);
  char buf[256];
  ssize_t got;
  int64_t start = tk_mono_ms();
  while ((got = recv(fd, buf, sizeof buf, 0)) > 0) {
  }
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    fail_msg("the data port kept a foreign peer's connection open for %lld ms",
             (long long)(tk_mono_ms() - start));
  close(fd);
}

/* (f) Garbage, another protocol version and a malformed frame are refused (the connection is
 * closed), and the server keeps serving others. */
static void test_foreign_peers_refused(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 1, 1);
  const char *addr = shuffle_net_address(cl.a.net);
  foreign_peer(addr, "GET / HTTP/1.1\r\n\r\n", 18);
  uint8_t v2[8] = {'S', 'P', 'A', 'T', 2, 0, 0, 0};
  foreign_peer(addr, v2, sizeof v2);
  sp_writer w; /* a good hello, then a request whose subpartition is outside its producer's */
  sp_writer_init(&w);
  sp_wire_put_hello(&w);
  uint8_t bad[8] = {1, 0, 0, 0, 2, 0, 0, 0};
  sp_wire_put_frame(&w, 0x5301, bad, sizeof bad);
  foreign_peer(addr, w.data, w.len);
  sp_writer_free(&w);
  producer p;
  producer_init(&p, &cl.a, 0, 1, 4);
  p.n = 500;
  consumer c;
  consumer_init(&c);
  consumer_connect(&c, &cl, 0, 0, 1, 4, 2);
  producer_run(&p);
  expect_stream(&c, 0, 0, p.n, 0, false);
  producer_join(&p);
  consumer_close(&c);
  cluster_stop(&cl);
}

/* Without a placement everything is local: the producer's own partition, no network. */
static void test_local_without_placement(void **state) {
  (void)state;
  shuffle_env *env;
  assert_int_equal(shuffle_env_create(&env), 0);
  result_partition *prod, *rp;
  assert_int_equal(shuffle_env_partition(env, JOB, 0, 1, 3, 8, BUF, &prod), 0);
  shuffle_input in = {.job_key = JOB,
                      .edge = 0,
                      .producer_index = 1,
                      .producer = 1,
                      .sub = 2,
                      .nsub = 3,
                      .buffers = 8,
                      .size = BUF,
                      .credit = 2};
  int sub = -1;
  char err[100] = "";
  assert_int_equal(shuffle_env_input(env, &in, &rp, &sub, err, sizeof err), 0);
  assert_ptr_equal(rp, prod);
  assert_int_equal(sub, 2);
  rp_unref(rp);
  /* a placement naming another TaskManager without a network shuffle is an error, not a hang */
  const char *where[2] = {NULL, "10.0.0.9:6121"};
  assert_int_equal(shuffle_env_set_placement(env, JOB, where, 2), 0);
  assert_true(shuffle_env_input(env, &in, &rp, &sub, err, sizeof err) < 0);
  assert_non_null(strstr(err, "10.0.0.9:6121"));
  rp_unref(prod);
  shuffle_env_release_job(env, JOB);
  shuffle_env_destroy(env);
}

/* ---- a job's tasks split over two TaskManagers ---- */

static _Atomic int64_t g_count, g_sum;
static _Atomic int g_terminal;
static _Atomic int g_state[4]; /* each task's last state */

int sn_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  (void)ctx;
  spate_rb_set_bigint(out, 0, i);
  return 0;
}

int sn_sink(spate_ctx *ctx, const spate_row *in) {
  (void)ctx;
  atomic_fetch_add(&g_sum, spate_row_bigint(in, 0));
  if (atomic_fetch_add(&g_count, 1) % 1024 == 0) tk_notify();
  return 0;
}

static void sn_listener(void *arg, task *t, task_state from, task_state to) {
  (void)t, (void)from;
  atomic_store(&g_state[(intptr_t)arg], (int)to);
  if (task_state_terminal(to)) {
    atomic_fetch_add(&g_terminal, 1);
    tk_notify();
  }
}

static const op_vtable *sn_vtable_for(op_kind kind) {
  const op_vtable *vt = op_vtable_for(kind);
  return vt ? vt : connector_vtable_for(kind);
}

typedef struct job_rig {
  spate_env *env;
  job_graph *jg;
  void *dl;
  task *t[4]; /* sources 0, 1 on A; sinks 0, 1 on B */
} job_rig;

/* generate(count) at parallelism 2 -> rebalance -> sink at parallelism 2; sources run in A,
 * sinks in B, as the placement says (global subtask indexes 0-1 the sources, 2-3 the sinks). */
static void job_start(job_rig *g, cluster *cl, int64_t count) {
  memset(g, 0, sizeof *g);
  atomic_store(&g_count, 0);
  atomic_store(&g_sum, 0);
  atomic_store(&g_terminal, 0);
  g->env = spate_env_create();
  const spate_schema *schema = spate_env_schema(g->env, "id BIGINT NOT NULL");
  spate_stream *src = spate_generate(g->env, schema, sn_gen, count);
  spate_sink(spate_rebalance(src), sn_sink);
  assert_null(spate_env_error(g->env));
  g->env->g->default_parallelism = 2;
  char err[300];
  assert_int_equal(jobgraph_build(g->env->g, &g->jg, err, sizeof err), 0);
  assert_int_equal(g->jg->nvertices, 2);
  g->dl = dlopen(NULL, RTLD_NOW);
  char key[96];
  snprintf(key, sizeof key, "%s-0", g->jg->job_id);
  const char *where[4] = {shuffle_net_address(cl->a.net), shuffle_net_address(cl->a.net),
                          shuffle_net_address(cl->b.net), shuffle_net_address(cl->b.net)};
  assert_int_equal(shuffle_env_set_placement(cl->a.env, key, where, 4), 0);
  assert_int_equal(shuffle_env_set_placement(cl->b.env, key, where, 4), 0);
  task_config cfg = {.vtable_for = sn_vtable_for,
                     .buffer_size = 4096,
                     .buffers_per_channel = 2,
                     .floating_buffers = 2,
                     .buffer_timeout_ms = -1};
  task_options opts = {0};
  for (int i = 0; i < 4; i++) {
    shuffle_env *env = i < 2 ? cl->a.env : cl->b.env;
    assert_int_equal(task_start(g->jg, i / 2, i % 2, 0, env, g->dl, &cfg, &opts, sn_listener,
                                (void *)(intptr_t)i, &g->t[i]),
                     0);
  }
}

static void job_free(job_rig *g, cluster *cl) {
  for (int i = 0; i < 4; i++) task_join_free(g->t[i]);
  char key[96];
  snprintf(key, sizeof key, "%s-0", g->jg->job_id);
  shuffle_env_release_job(cl->a.env, key);
  shuffle_env_release_job(cl->b.env, key);
  jobgraph_free(g->jg);
  dlclose(g->dl);
  spate_env_free(g->env);
}

/* (g) A job whose exchange crosses the two: every record arrives once. */
static void test_job_across_task_managers(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 1, 1);
  job_rig g;
  const int64_t n = 200000;
  job_start(&g, &cl, n);
  TK_AWAIT(atomic_load(&g_terminal) == 4, "the four tasks' end (%d ended)",
           atomic_load(&g_terminal));
  for (int i = 0; i < 4; i++)
    if ((task_state)atomic_load(&g_state[i]) != TS_FINISHED)
      fail_msg("task %d ended %s: %s", i, task_state_name((task_state)atomic_load(&g_state[i])),
               task_error(g.t[i]));
  assert_int_equal(atomic_load(&g_count), n);
  assert_int_equal(atomic_load(&g_sum), n * (n - 1) / 2);
  assert_int_equal(shuffle_net_connections_opened(cl.b.net), 1);
  job_free(&g, &cl);
  cluster_stop(&cl);
}

/* A producer TaskManager lost while the job runs: the consuming tasks fail with Flink's
 * message naming it (they do not hang); the producers are cancelled. */
static void test_job_fails_when_producer_lost(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 1, 1);
  char peer[128];
  snprintf(peer, sizeof peer, "'%s'", shuffle_net_address(cl.a.net));
  job_rig g;
  job_start(&g, &cl, -1); /* unbounded */
  TK_AWAIT(atomic_load(&g_count) > 10000, "records across the connection (%lld)",
           (long long)atomic_load(&g_count));
  shuffle_net_stop(cl.a.net);
  cl.a.net = NULL;
  TK_AWAIT(atomic_load(&g_terminal) >= 2, "the sinks failing");
  for (int i = 2; i < 4; i++) {
    assert_int_equal((task_state)atomic_load(&g_state[i]), TS_FAILED);
    if (!strstr(task_error(g.t[i]), "Connection unexpectedly closed by remote task manager") ||
        !strstr(task_error(g.t[i]), peer))
      fail_msg("sink %d: %s", i - 2, task_error(g.t[i]));
  }
  task_cancel(g.t[0]);
  task_cancel(g.t[1]);
  TK_AWAIT(atomic_load(&g_terminal) == 4, "the sources cancelled");
  job_free(&g, &cl);
  cluster_stop(&cl);
}

/* (h) Floating buffers: with 1 exclusive buffer and 4 floating ones, a channel whose consumer
 * does not read is granted the gate's floating buffers against its producer's backlog, ends up
 * holding exactly 1 + 4 buffers and no more, and its producer blocks. */
static void test_floating_buffers_bounded(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 1, 1);
  producer p;
  producer_init(&p, &cl.a, 0, 1, 8);
  p.n = 20000; /* about 200 buffers */
  consumer c;
  consumer_init(&c);
  consumer_connect_gate(&c, &cl, 0, 0, 1, 8, 1, 0, 4);
  assert_int_equal(c.mirror[0]->pool->count, 1); /* the mirror's own pool: exclusive only */
  uint64_t waits = bufpool_waits();
  producer_run(&p);
  TK_AWAIT(queued(&c, 0) == 5, "the mirror holding 1 + 4 buffers (%u)", queued(&c, 0));
  TK_AWAIT(bufpool_waits() > waits, "the producer waiting for a buffer");
  TK_AWAIT(bufpool_available(p.w.rp->pool) == 0, "the producer's pool used up");
  shuffle_gate_stats st = gate_stats(&cl, 0);
  assert_int_equal(st.channels, 1);
  assert_int_equal(st.exclusive, 1);
  assert_int_equal(st.floating, 4);
  assert_int_equal(st.floating_free, 0);
  assert_int_equal(st.floating_held, 0);
  assert_int_equal(st.queued, 5);
  assert_true(atomic_load(&p.sent) < p.n);
  expect_stream(&c, 0, 0, p.n, 0, false);
  producer_join(&p);
  assert_int_equal(p.rc, 0);
  consumer_close(&c);
  cluster_stop(&cl);
}

/* (i) Two remote channels of one gate share its floating buffers: while channel 0 (not read)
 * holds all of them, channel 1 still progresses on its exclusive credit and waits for floating
 * buffers; once channel 0's consumer reads, its floating buffers go back to the gate, which
 * hands them to channel 1. */
static void test_floating_buffers_shared_by_gate(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 2, 1);
  producer pa, pb;
  producer_init(&pa, &cl.a, 0, 1, 8);
  producer_init(&pb, &cl.a, 1, 1, 8);
  pa.n = pb.n = 20000;
  consumer c;
  consumer_init(&c);
  consumer_connect_gate(&c, &cl, 0, 0, 1, 8, 1, 0, 4);
  consumer_connect_gate(&c, &cl, 1, 0, 1, 8, 1, 0, 4);
  assert_int_equal(gate_stats(&cl, 0).channels, 2);
  uint64_t waits = bufpool_waits();
  producer_run(&pa);
  TK_AWAIT(queued(&c, 0) == 5, "channel 0 holding 1 + 4 buffers (%u)", queued(&c, 0));
  TK_AWAIT(bufpool_waits() > waits, "producer 0 waiting for a buffer");
  waits = bufpool_waits();
  producer_run(&pb);
  TK_AWAIT(bufpool_waits() > waits, "producer 1 waiting for a buffer");
  TK_AWAIT(gate_stats(&cl, 0).waiting == 2, "both channels waiting for floating buffers");
  /* channel 1 on its exclusive buffer alone: several buffers' worth of records */
  for (int i = 0; i < 400; i++) {
    expect_record(&c, 1, 1, i);
    shuffle_gate_stats st = gate_stats(&cl, 0);
    assert_int_equal(st.floating_free + st.floating_held, 0);
    assert_int_equal(queued(&c, 0), 5);
    assert_true(queued(&c, 1) <= 1);
  }
  /* channel 0 read to its end: its floating buffers go to channel 1 */
  expect_stream(&c, 0, 0, pa.n, 0, false);
  TK_AWAIT(queued(&c, 1) > 1, "channel 1 using floating buffers (%u queued)", queued(&c, 1));
  shuffle_gate_stats st = gate_stats(&cl, 0);
  assert_true(st.queued <= st.exclusive + st.floating);
  expect_rest(&c, 1, 1, 400, pb.n);
  producer_join(&pa);
  producer_join(&pb);
  assert_int_equal(pa.rc, 0);
  assert_int_equal(pb.rc, 0);
  consumer_close(&c);
  cluster_stop(&cl);
}

/* Asserts the bound of a gate: its mirrors and the credit it granted never exceed its
 * exclusive buffers plus its floating ones. */
static void check_gate_bound(cluster *cl, int channels, uint32_t credit, uint32_t floating) {
  shuffle_gate_stats st = gate_stats(cl, 0);
  assert_int_equal(st.channels, channels);
  assert_int_equal(st.exclusive, (uint32_t)channels * credit);
  assert_int_equal(st.floating, floating);
  if (st.queued + st.floating_held > st.exclusive + st.floating)
    fail_msg("a gate holds %u queued + %u held buffers, over %u exclusive + %u floating", st.queued,
             st.floating_held, st.exclusive, st.floating);
  assert_true(st.floating_free + st.floating_held <= floating);
}

/* (j) Memory stays bounded: three channels of one gate (2 exclusive buffers each, 3 floating),
 * read round robin; at every record and while every producer is blocked, the gate's mirrors hold
 * at most 3 x 2 + 3 buffers. */
static void test_floating_gate_bound(void **state) {
  (void)state;
  cluster cl;
  cluster_start(&cl, 3, 1);
  producer p[3];
  consumer c;
  consumer_init(&c);
  for (int i = 0; i < 3; i++) {
    producer_init(&p[i], &cl.a, i, 1, 6);
    p[i].n = 3000;
    consumer_connect_gate(&c, &cl, i, 0, 1, 6, 2, 0, 3);
  }
  for (int i = 0; i < 3; i++) {
    uint64_t waits = bufpool_waits();
    producer_run(&p[i]);
    TK_AWAIT(bufpool_waits() > waits, "producer %d waiting for a buffer", i);
  }
  TK_AWAIT(gate_stats(&cl, 0).queued == 9, "the gate's 9 buffers queued (%u)",
           gate_stats(&cl, 0).queued);
  check_gate_bound(&cl, 3, 2, 3);
  for (int i = 0; i < 3000; i++)
    for (int k = 0; k < 3; k++) {
      expect_record(&c, k, (uint32_t)k, i);
      check_gate_bound(&cl, 3, 2, 3);
    }
  for (int k = 0; k < 3; k++) expect_rest(&c, k, (uint32_t)k, 3000, 3000);
  for (int i = 0; i < 3; i++) {
    producer_join(&p[i]);
    assert_int_equal(p[i].rc, 0);
  }
  consumer_close(&c);
  cluster_stop(&cl);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_local_without_placement),
      cmocka_unit_test(test_bytes_and_order),
      cmocka_unit_test(test_credit_bounds_memory),
      cmocka_unit_test(test_floating_buffers_bounded),
      cmocka_unit_test(test_floating_buffers_shared_by_gate),
      cmocka_unit_test(test_floating_gate_bound),
      cmocka_unit_test(test_all_to_all),
      cmocka_unit_test(test_announced_barrier_overtakes),
      cmocka_unit_test(test_request_before_producer),
      cmocka_unit_test(test_refused_request),
      cmocka_unit_test(test_request_after_release),
      cmocka_unit_test(test_peer_lost_mid_stream),
      cmocka_unit_test(test_foreign_peers_refused),
      cmocka_unit_test(test_connect_refused),
      cmocka_unit_test(test_cancel_and_request_again),
      cmocka_unit_test(test_port_in_use),
      cmocka_unit_test(test_job_across_task_managers),
      cmocka_unit_test(test_job_fails_when_producer_lost),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
