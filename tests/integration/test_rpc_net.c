/*
 * test_rpc_net.c: RPC between two services over real TCP on loopback (net/rpc_net.h through
 * cluster/rpc.h): qualified addresses, replies to the sender's address, many messages in order,
 * a lost peer reported at once, a message that cannot be delivered reported to its sender (and
 * not as a loss: no connection closed), and hostile bytes (garbage, another protocol version, a frame
 * over the limit, a message before IDENT) refused by closing only that connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/testkit.h"

#include "base/alloc.h"
#include "base/bytes.h"
#include "cluster/rpc.h"
#include "net/frame.h"
#include "net/rpc_net.h"

enum { T_PING = 7, T_PONG = 8 };

typedef struct box {
  pthread_mutex_t mu;
  int pongs, last_seq, out_of_order, pings;
  char lost[256], lost_reason[256];
  int losses;
  char undelivered_to[256], undelivered_reason[256];
  uint32_t undelivered_type;
  int undelivered;
  rpc_service *svc;
} box;

static void box_init(box *b, rpc_service *s) {
  memset(b, 0, sizeof *b);
  pthread_mutex_init(&b->mu, NULL);
  b->svc = s;
  b->last_seq = -1;
}

/* "echo": answers each ping (str reply address, i32 seq) with a pong carrying seq. */
static void echo(void *self, uint32_t type, sp_reader *r) {
  box *b = self;
  if (type != T_PING) return;
  char *reply = sp_get_str(r);
  int32_t seq = sp_get_i32(r);
  if (reply && sp_reader_ok(r)) {
    pthread_mutex_lock(&b->mu);
    b->pings++;
    pthread_mutex_unlock(&b->mu);
    sp_writer w;
    sp_writer_init(&w);
    sp_put_i32(&w, seq);
    assert_int_equal(rpc_send(b->svc, reply, T_PONG, &w), 0);
  }
  sp_free(reply);
  tk_notify();
}

/* "client": counts pongs, checks their order, records lost peers. */
static void client(void *self, uint32_t type, sp_reader *r) {
  box *b = self;
  pthread_mutex_lock(&b->mu);
  if (type == T_PONG) {
    int32_t seq = sp_get_i32(r);
    if (seq != b->last_seq + 1) b->out_of_order++;
    b->last_seq = seq;
    b->pongs++;
  } else if (type == RPC_MSG_PEER_LOST) {
    char *peer = sp_get_str(r), *reason = sp_get_str(r);
    snprintf(b->lost, sizeof b->lost, "%s", peer ? peer : "");
    snprintf(b->lost_reason, sizeof b->lost_reason, "%s", reason ? reason : "");
    b->losses++;
    sp_free(peer);
    sp_free(reason);
  } else if (type == RPC_MSG_UNDELIVERED) {
    char *to = sp_get_str(r);
    uint32_t what = sp_get_u32(r);
    char *reason = sp_get_str(r);
    snprintf(b->undelivered_to, sizeof b->undelivered_to, "%s", to ? to : "");
    snprintf(b->undelivered_reason, sizeof b->undelivered_reason, "%s", reason ? reason : "");
    b->undelivered_type = what;
    b->undelivered++;
    sp_free(to);
    sp_free(reason);
  }
  pthread_mutex_unlock(&b->mu);
  tk_notify();
}

static int locked_int(box *b, const int *v) {
  pthread_mutex_lock(&b->mu);
  int x = *v;
  pthread_mutex_unlock(&b->mu);
  return x;
}

static rpc_service *listening(void) {
  rpc_service *s;
  assert_int_equal(rpc_service_create(NULL, &s), 0);
  char err[256];
  int rc = rpc_service_listen(s, "127.0.0.1", 0, NULL, err, sizeof err);
  if (rc < 0) fail_msg("listen: %s", err);
  return s;
}

static void send_ping(rpc_service *from, const char *to, const char *reply, int seq) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, reply);
  sp_put_i32(&w, seq);
  assert_int_equal(rpc_send(from, to, T_PING, &w), 0);
}

static void test_ping_pong_in_order(void **state) {
  (void)state;
  rpc_service *a = listening(), *b = listening();
  box ea, cb;
  box_init(&ea, a);
  box_init(&cb, b);
  rpc_endpoint *e1, *e2;
  assert_int_equal(rpc_endpoint_start(a, "echo", echo, &ea, &e1), 0);
  assert_int_equal(rpc_endpoint_start(b, "client", client, &cb, &e2), 0);
  char *echo_addr = rpc_address_of(a, "echo"), *client_addr = rpc_address_of(b, "client");
  assert_non_null(strchr(echo_addr, '/'));
  assert_true(rpc_address_is_local(a, echo_addr));
  assert_false(rpc_address_is_local(b, echo_addr));
  assert_true(rpc_address_is_local(b, "client"));
  enum { N = 2000 };
  for (int i = 0; i < N; i++) send_ping(b, echo_addr, client_addr, i);
  TK_AWAIT(locked_int(&cb, &cb.pongs) == N, "%d pongs (have %d)", N, cb.pongs);
  assert_int_equal(locked_int(&cb, &cb.out_of_order), 0);
  /* a qualified address of the sender's own process goes to the local endpoint */
  send_ping(b, client_addr, client_addr, 0);
  rpc_endpoint_stop(e1);
  rpc_endpoint_stop(e2);
  sp_free(echo_addr);
  sp_free(client_addr);
  rpc_service_destroy(a);
  rpc_service_destroy(b);
}

static void test_lost_peer_is_reported(void **state) {
  (void)state;
  rpc_service *a = listening(), *b = listening();
  box ea, cb;
  box_init(&ea, a);
  box_init(&cb, b);
  rpc_endpoint *e1, *e2;
  assert_int_equal(rpc_endpoint_start(a, "echo", echo, &ea, &e1), 0);
  assert_int_equal(rpc_endpoint_start(b, "client", client, &cb, &e2), 0);
  assert_int_equal(rpc_watch_peers(b, "client"), 0);
  char *echo_addr = rpc_address_of(a, "echo"), *client_addr = rpc_address_of(b, "client");
  char a_proc[300];
  assert_true(rpc_address_process(echo_addr, a_proc, sizeof a_proc));
  send_ping(b, echo_addr, client_addr, 0);
  TK_AWAIT(locked_int(&cb, &cb.pongs) == 1, "the first pong");
  rpc_endpoint_stop(e1);
  rpc_service_destroy(a); /* the process "dies": its connections close */
  /* both connections close: b's to a (the pings) and a's to b (the pongs) */
  TK_AWAIT(locked_int(&cb, &cb.losses) == 2, "the loss of %s on both connections", a_proc);
  pthread_mutex_lock(&cb.mu);
  assert_string_equal(cb.lost, a_proc);
  pthread_mutex_unlock(&cb.mu);
  /* sending to it again fails to connect: no connection closed, so no loss; a tracked message
   * comes back to its sender as undelivered (a failed RPC, as heartbeats count them) */
  int before = locked_int(&cb, &cb.losses);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, client_addr);
  sp_put_i32(&w, 1);
  assert_int_equal(rpc_send_tracked(b, "client", echo_addr, T_PING, &w), 0);
  TK_AWAIT(locked_int(&cb, &cb.undelivered) == 1, "the ping reported undelivered");
  pthread_mutex_lock(&cb.mu);
  assert_string_equal(cb.undelivered_to, echo_addr);
  assert_int_equal(cb.undelivered_type, T_PING);
  assert_non_null(strstr(cb.undelivered_reason, "connect"));
  pthread_mutex_unlock(&cb.mu);
  /* the failed connection was not reported as a loss: a loss would have been queued for the
   * client with the report, and rpc_flush waits until everything queued for it is handled */
  assert_int_equal(rpc_flush(b, "client"), 0);
  assert_int_equal(locked_int(&cb, &cb.losses), before);
  rpc_endpoint_stop(e2);
  sp_free(echo_addr);
  sp_free(client_addr);
  rpc_service_destroy(b);
}

/* A raw TCP connection to the service's listening address. */
static int raw_connect(rpc_service *s) {
  char host[64];
  int port;
  assert_int_equal(rpc_net_split_address(rpc_service_address(s), host, sizeof host, &port), 0);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  struct timeval tv = {.tv_sec = TK_TIMEOUT_MS / 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

/* Reads until the service closes the connection: true if it did (EOF), false on the timeout. */
static bool closed_by_peer(int fd) {
  char buf[256];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) return false;
  }
}

static void write_all(int fd, const void *p, size_t n) {
  assert_int_equal(write(fd, p, n), (ssize_t)n);
}

static void test_hostile_bytes_close_only_that_connection(void **state) {
  (void)state;
  rpc_service *a = listening(), *b = listening();
  box ea, cb;
  box_init(&ea, a);
  box_init(&cb, b);
  rpc_endpoint *e1, *e2;
  assert_int_equal(rpc_endpoint_start(a, "echo", echo, &ea, &e1), 0);
  assert_int_equal(rpc_endpoint_start(b, "client", client, &cb, &e2), 0);
  char *echo_addr = rpc_address_of(a, "echo"), *client_addr = rpc_address_of(b, "client");

  /* garbage instead of a hello */
  int fd = raw_connect(a);
  write_all(fd, "GET / HTTP/1.1\r\n\r\n", 18);
  assert_true(closed_by_peer(fd));
  close(fd);
  /* another protocol version */
  fd = raw_connect(a);
  uint8_t hello[8] = {'S', 'P', 'A', 'T', SP_WIRE_VERSION + 1, 0, 0, 0};
  write_all(fd, hello, sizeof hello);
  assert_true(closed_by_peer(fd));
  close(fd);
  /* a message before IDENT */
  sp_writer w, p;
  sp_writer_init(&w);
  sp_writer_init(&p);
  sp_wire_put_hello(&w);
  sp_put_str(&p, "echo");
  sp_put_u32(&p, T_PING);
  sp_wire_put_frame(&w, 2, p.data, p.len);
  fd = raw_connect(a);
  write_all(fd, w.data, w.len);
  assert_true(closed_by_peer(fd));
  close(fd);
  sp_writer_free(&w);
  sp_writer_free(&p);
  /* a frame claiming more than the limit */
  sp_writer_init(&w);
  sp_wire_put_hello(&w);
  sp_put_u32(&w, SP_WIRE_MAX_PAYLOAD + 1);
  sp_put_u32(&w, SP_WIRE_VERSION);
  sp_put_u32(&w, 1);
  fd = raw_connect(a);
  write_all(fd, w.data, w.len);
  assert_true(closed_by_peer(fd));
  close(fd);
  sp_writer_free(&w);
  /* a truncated MESSAGE after a valid IDENT */
  sp_writer_init(&w);
  sp_writer_init(&p);
  sp_wire_put_hello(&w);
  sp_put_str(&p, "127.0.0.1:1");
  sp_wire_put_frame(&w, 1, p.data, p.len);
  uint8_t bad[3] = {9, 0, 0};
  sp_wire_put_frame(&w, 2, bad, sizeof bad);
  fd = raw_connect(a);
  write_all(fd, w.data, w.len);
  assert_true(closed_by_peer(fd));
  close(fd);
  sp_writer_free(&w);
  sp_writer_free(&p);
  assert_int_equal(locked_int(&ea, &ea.pings), 0);

  /* the service still serves well-behaved peers */
  send_ping(b, echo_addr, client_addr, 0);
  TK_AWAIT(locked_int(&cb, &cb.pongs) == 1, "a pong after the hostile connections");
  rpc_endpoint_stop(e1);
  rpc_endpoint_stop(e2);
  sp_free(echo_addr);
  sp_free(client_addr);
  rpc_service_destroy(a);
  rpc_service_destroy(b);
}

static void test_addresses(void **state) {
  (void)state;
  char host[64];
  int port;
  assert_int_equal(rpc_net_split_address("localhost:6123", host, sizeof host, &port), 0);
  assert_string_equal(host, "localhost");
  assert_int_equal(port, 6123);
  assert_int_equal(rpc_net_split_address("[::1]:80", host, sizeof host, &port), 0);
  assert_string_equal(host, "::1");
  assert_int_equal(rpc_net_split_address("localhost", host, sizeof host, &port), SPATE_EINVAL);
  assert_int_equal(rpc_net_split_address("h:0", host, sizeof host, &port), SPATE_EINVAL);
  assert_int_equal(rpc_net_split_address("h:70000", host, sizeof host, &port), SPATE_EINVAL);
  assert_int_equal(rpc_net_split_address("h:12x", host, sizeof host, &port), SPATE_EINVAL);
  /* a bound port in use is named */
  rpc_service *a = listening(), *b;
  assert_int_equal(rpc_service_create(NULL, &b), 0);
  assert_int_equal(rpc_net_split_address(rpc_service_address(a), host, sizeof host, &port), 0);
  char err[256];
  assert_true(rpc_service_listen(b, "127.0.0.1", port, NULL, err, sizeof err) < 0);
  char want[32];
  snprintf(want, sizeof want, ":%d", port);
  assert_non_null(strstr(err, want));
  rpc_service_destroy(a);
  rpc_service_destroy(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ping_pong_in_order),
      cmocka_unit_test(test_lost_peer_is_reported),
      cmocka_unit_test(test_hostile_bytes_close_only_that_connection),
      cmocka_unit_test(test_addresses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
