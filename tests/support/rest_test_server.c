/*
 * rest_test_server.c: the REST endpoint (rest/rest_server.h) serving the fake cluster's table of
 * jobs (rest_fake_cluster.h) on a free port of localhost, for the CLI's end-to-end test
 * (tests/e2e/test_cli_cluster.sh). Prints "port <n>" on stdout once it listens, then serves until
 * DELETE /cluster or the test's deadline (SPATE_TEST_TIMEOUT_MS, default 120 s), and exits 0 if it
 * was shut down through DELETE /cluster, 1 otherwise.
 *
 * Usage: rest_test_server [--gate]   (--gate: blocking operations wait forever; for timeouts)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/rest_fake_cluster.h"

int main(int argc, char **argv) {
  fake_cluster f;
  fake_cluster_init(&f);
  if (argc > 1 && strcmp(argv[1], "--gate") == 0) fake_cluster_gate(&f, true);
  rest_server_config cfg = {
      .bind_address = "localhost", .port = 0, .ops = &fake_cluster_ops, .ctx = &f};
  rest_server *s;
  char err[1024];
  if (rest_server_start(&cfg, &s, err, sizeof err) < 0) {
    fprintf(stderr, "rest_test_server: %s\n", err);
    return 2;
  }
  printf("port %d\n", rest_server_port(s));
  fflush(stdout);
  const char *t = getenv("SPATE_TEST_TIMEOUT_MS");
  long long timeout = t && atoll(t) > 0 ? atoll(t) : 120000;
  bool shut = fake_cluster_await_shutdown(&f, timeout);
  fake_cluster_gate(&f, false); /* let held operations end, so the server can stop */
  rest_server_stop(s);
  fake_cluster_destroy(&f);
  return shut ? 0 : 1;
}
