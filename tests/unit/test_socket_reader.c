/*
 * test_socket_reader.c: the socket text source's client against a real TCP server thread on
 * 127.0.0.1 (an ephemeral port). Lines arrive cut across sends, with CRLF, an empty line, a 1 MB
 * line and an unterminated last line; a quiet server gives timeouts (the server stays quiet until
 * the client signals through a pipe that it saw one); a closed port gives a clear error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "connectors/socket_reader.h"
#include "spate/spate.h"

#define BIG_LINE ((size_t)1 << 20)

typedef struct server {
  int listen_fd;
  int port;
  pthread_t thread;
  int wake[2]; /* timeout test: the client writes a byte when it has seen a timeout */
  char *big;   /* the 1 MB line */
  int failed;  /* set by the server thread, which must not use cmocka's asserts */
  void (*script)(struct server *s, int conn);
} server;

/* Server side: a failure is recorded in s->failed and checked by the test after the join. */
static void send_all(server *s, int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0 && !s->failed) {
    ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
    if (k <= 0) {
      s->failed = 1;
      return;
    }
    c += k;
    n -= (size_t)k;
  }
}

static void send_str(server *s, int fd, const char *str) { send_all(s, fd, str, strlen(str)); }

static void *server_main(void *arg) {
  server *s = arg;
  int conn = accept(s->listen_fd, NULL, NULL);
  if (conn < 0) {
    s->failed = 1;
    return NULL;
  }
  s->script(s, conn);
  close(conn);
  return NULL;
}

/* Listens on 127.0.0.1 with port 0 and reads the chosen port back. */
static int listen_ephemeral(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t len = sizeof a;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

static void server_start(server *s, void (*script)(server *, int)) {
  s->script = script;
  s->listen_fd = listen_ephemeral(&s->port);
  assert_int_equal(listen(s->listen_fd, 4), 0);
  assert_int_equal(pipe(s->wake), 0);
  assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(server *s) {
  assert_int_equal(pthread_join(s->thread, NULL), 0);
  assert_int_equal(s->failed, 0);
  close(s->listen_fd);
  close(s->wake[0]);
  close(s->wake[1]);
}

/* ---- lines in pieces ---- */

static void script_pieces(server *s, int conn) {
  send_str(s, conn, "hel");
  send_str(s, conn, "lo\nwor");
  send_str(s, conn, "ld\r");
  send_str(s, conn, "\n");
  send_str(s, conn, "\n"); /* an empty line */
  send_str(s, conn, "tab\there\n\xc3\xa9t\xc3");
  send_str(s, conn, "\xa9\r\n"); /* a character cut across sends */
  for (size_t off = 0; off < BIG_LINE; off += 70001) {
    size_t n = BIG_LINE - off < 70001 ? BIG_LINE - off : 70001;
    send_all(s, conn, s->big + off, n);
  }
  send_str(s, conn, "\nlast");
}

static void expect_line(socket_reader *r, const char *want, size_t want_len) {
  const char *line;
  size_t len;
  int rc;
  while ((rc = socket_reader_next(r, 10000, &line, &len)) == 2)
    ;
  assert_int_equal(rc, 1);
  assert_int_equal(len, want_len);
  assert_memory_equal(line, want, want_len);
}

static void test_lines_in_pieces(void **state) {
  (void)state;
  server s = {0};
  s.big = malloc(BIG_LINE);
  for (size_t i = 0; i < BIG_LINE; i++) s.big[i] = (char)('A' + (i * 13 + i / 1000) % 26);
  server_start(&s, script_pieces);

  int64_t before = sp_alloc_current();
  socket_reader *r = NULL;
  char err[512];
  assert_int_equal(socket_reader_open("localhost", s.port, &r, err, sizeof err), 0);
  expect_line(r, "hello", 5);
  expect_line(r, "world", 5);
  expect_line(r, "", 0);
  expect_line(r, "tab\there", 8);
  expect_line(r, "\xc3\xa9t\xc3\xa9", 5);
  expect_line(r, s.big, BIG_LINE);
  expect_line(r, "last", 4);
  const char *line;
  size_t len;
  assert_int_equal(socket_reader_next(r, 10000, &line, &len), 0);
  assert_int_equal(socket_reader_next(r, 10000, &line, &len), 0);
  /* The buffer grew for the big line and shrank back on the next call. */
  assert_true(sp_alloc_current() - before < ((int64_t)2 << 20));
  socket_reader_close(r);
  assert_int_equal(sp_alloc_current(), before);
  server_stop(&s);
  free(s.big);
}

/* ---- timeouts ---- */

static void script_quiet(server *s, int conn) {
  send_str(s, conn, "a\npart");
  char c;
  /* Stay quiet until the client has seen its timeout. */
  if (read(s->wake[0], &c, 1) != 1) s->failed = 1;
  send_str(s, conn, "ial\r\n");
}

static void test_timeout_while_quiet(void **state) {
  (void)state;
  server s = {0};
  server_start(&s, script_quiet);
  socket_reader *r = NULL;
  char err[512];
  assert_int_equal(socket_reader_open("127.0.0.1", s.port, &r, err, sizeof err), 0);
  expect_line(r, "a", 1);
  const char *line;
  size_t len;
  /* "part" may have arrived, but it is not a complete line. */
  assert_int_equal(socket_reader_next(r, 30, &line, &len), 2);
  assert_int_equal(socket_reader_next(r, 0, &line, &len), 2);
  assert_int_equal(write(s.wake[1], "x", 1), 1);
  expect_line(r, "partial", 7);
  /* The server closed after the line: the end, not a timeout. */
  assert_int_equal(socket_reader_next(r, -1, &line, &len), 0);
  socket_reader_close(r);
  server_stop(&s);
}

/* ---- errors ---- */

static void test_connection_refused(void **state) {
  (void)state;
  /* A port that was bound and released has nobody listening on it. */
  int port;
  int fd = listen_ephemeral(&port);
  close(fd);
  socket_reader *r = (socket_reader *)1;
  char err[512], want[256];
  assert_int_equal(socket_reader_open("127.0.0.1", port, &r, err, sizeof err), SPATE_EIO);
  assert_null(r);
  snprintf(want, sizeof want,
           "could not connect to socket source 127.0.0.1:%d : Connection refused", port);
  assert_string_equal(err, want);

  /* "localhost" may resolve to ::1 and 127.0.0.1; all of them refuse. */
  assert_int_equal(socket_reader_open("localhost", port, &r, err, sizeof err), SPATE_EIO);
  snprintf(want, sizeof want,
           "could not connect to socket source localhost:%d : Connection refused", port);
  assert_string_equal(err, want);

  assert_int_equal(socket_reader_open("no-such-host.invalid", port, &r, err, sizeof err),
                   SPATE_EIO);
  snprintf(want, sizeof want, "could not resolve socket source no-such-host.invalid:%d : ", port);
  assert_memory_equal(err, want, strlen(want));

  assert_int_equal(socket_reader_open("127.0.0.1", 0, &r, err, sizeof err), SPATE_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lines_in_pieces),
      cmocka_unit_test(test_timeout_while_quiet),
      cmocka_unit_test(test_connection_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
