/*
 * fuzz_socket_reader.c: the socket text source's line splitting (connectors/socket_reader.c)
 * on bytes a server sends, through one end of a socketpair (socket_reader_adopt), so no
 * network is involved. Input: byte 0 sets the size of the pieces the bytes arrive in
 * (1 + b % 97), the rest is what the server sends before closing the connection.
 *
 * The reader must deliver exactly the lines of the stream: split on "\n", a trailing "\r"
 * dropped, a last unterminated line delivered, and the end (0) once the server closed. A
 * complete line is delivered as soon as it arrived; without one the reader times out (2).
 */
#include "fuzz.h"

#include <sys/socket.h>

#include "base/err.h"
#include "connectors/socket_reader.h"

typedef struct expect {
  const uint8_t *text;
  size_t size, pos; /* the next line starts at pos */
} expect;

/* Compares a delivered line with the next one of the stream. */
static void take_line(expect *e, const char *line, size_t len) {
  FUZZ_CHECK(e->pos < e->size, "a line after the last one");
  const uint8_t *nl = memchr(e->text + e->pos, '\n', e->size - e->pos);
  size_t end = nl ? (size_t)(nl - e->text) : e->size, want = end - e->pos;
  if (want > 0 && e->text[end - 1] == '\r') want--;
  FUZZ_CHECK(len == want && memcmp(line, e->text + e->pos, len) == 0,
             "wrong line for stream offset %zu (%zu bytes, expected %zu)", e->pos, len, want);
  e->pos = end + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t piece = 1 + data[0] % 97;
  expect e = {data + 1, size - 1, 0};
  int sv[2];
  FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair failed");
  socket_reader *r = NULL;
  char err[SP_ERRMSG_MAX] = "";
  FUZZ_CHECK(socket_reader_adopt(sv[0], "fuzz", 1, &r, err, sizeof err) == 0, "%s", err);
  const char *line;
  size_t len;
  int rc;
  for (size_t sent = 0; sent < e.size;) {
    size_t n = e.size - sent < piece ? e.size - sent : piece;
    FUZZ_CHECK(send(sv[1], e.text + sent, n, MSG_NOSIGNAL) == (ssize_t)n, "send failed");
    sent += n;
    while ((rc = socket_reader_next(r, 0, &line, &len)) == 1) take_line(&e, line, len);
    FUZZ_CHECK(rc == 2, "%d (%s) while the server is quiet", rc, socket_reader_error(r));
    /* Every complete line that arrived was delivered. */
    FUZZ_CHECK(!memchr(e.text + e.pos, '\n', sent > e.pos ? sent - e.pos : 0),
               "a complete line was not delivered");
  }
  shutdown(sv[1], SHUT_WR);
  while ((rc = socket_reader_next(r, 10000, &line, &len)) == 1) take_line(&e, line, len);
  FUZZ_CHECK(rc == 0, "%d (%s) instead of the end", rc, socket_reader_error(r));
  FUZZ_CHECK(e.pos >= e.size, "the stream ended before its last line at offset %zu", e.pos);
  FUZZ_CHECK(socket_reader_next(r, 0, &line, &len) == 0, "a line after the end");
  socket_reader_close(r);
  close(sv[1]);
  return 0;
}
