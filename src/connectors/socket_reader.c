/*
 * socket_reader.c: the socket text source's TCP client (contract in socket_reader.h).
 *
 * The connect is blocking: it happens once when the source opens, before records flow. Reads
 * wait in poll() for at most the caller's timeout, so the task gets control back while the
 * server is quiet. Lines are cut out of one buffer that starts at 1 MiB, doubles while a line
 * does not fit, and shrinks back on the call after a long line; unlike a file, received bytes
 * cannot be read again, so the shrunk buffer keeps whatever is still unconsumed.
 */
#include "connectors/socket_reader.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"

#define BUF_BYTES ((size_t)1 << 20)

struct socket_reader {
  int fd;
  char *host;
  int port;
  /* Bytes [pos, fill) of buf are unconsumed; none of [pos, scan) is '\n'. eof is set once the
   * server closed its side; done once everything before that has been delivered. */
  char *buf;
  size_t cap, pos, fill, scan;
  int eof, done;
  int failed; /* sticky error code, message in err */
  char err[SP_ERRMSG_MAX];
};

int socket_reader_open(const char *host, int port, socket_reader **out, char *err, size_t err_len) {
  *out = NULL;
  if (!host || !*host || port <= 0 || port > 65535)
    return sp_err(err, err_len, SPATE_EINVAL, "bad socket source address %s:%d", host ? host : "",
                  port);
  char portstr[16];
  snprintf(portstr, sizeof portstr, "%d", port);
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int g = getaddrinfo(host, portstr, &hints, &res);
  if (g != 0)
    return sp_err(err, err_len, SPATE_EIO, "could not resolve socket source %s:%d : %s", host, port,
                  g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
  int fd = -1, last_errno = 0;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    int c;
    do {
      c = connect(fd, ai->ai_addr, ai->ai_addrlen);
    } while (c != 0 && errno == EINTR);
    if (c == 0) break;
    last_errno = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0)
    return sp_err(err, err_len, SPATE_EIO, "could not connect to socket source %s:%d : %s", host,
                  port, strerror(last_errno));
  return socket_reader_adopt(fd, host, port, out, err, err_len);
}

int socket_reader_adopt(int fd, const char *host, int port, socket_reader **out, char *err,
                        size_t err_len) {
  *out = NULL;
  socket_reader *r = sp_calloc(1, sizeof *r);
  if (r) {
    r->fd = fd;
    r->host = sp_strdup(host ? host : "");
    r->buf = sp_malloc(BUF_BYTES);
  }
  if (!r || !r->host || !r->buf) {
    if (!r) close(fd);
    socket_reader_close(r);
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory opening socket source %s:%d",
                  host ? host : "", port);
  }
  r->port = port;
  r->cap = BUF_BYTES;
  *out = r;
  return 0;
}

static int fail(socket_reader *r, int rc) {
  r->failed = rc;
  return rc;
}

/* Makes room after the unconsumed bytes: moves them to the front, and doubles the buffer when a
 * line fills it. */
static int make_room(socket_reader *r) {
  if (r->pos > 0) {
    memmove(r->buf, r->buf + r->pos, r->fill - r->pos);
    r->fill -= r->pos;
    r->scan -= r->pos;
    r->pos = 0;
  }
  if (r->fill < r->cap) return 0;
  char *nb = sp_realloc(r->buf, r->cap * 2);
  if (!nb)
    return fail(r, sp_err(r->err, sizeof r->err, SPATE_ENOMEM,
                          "out of memory reading a %zu-byte line from socket source %s:%d", r->fill,
                          r->host, r->port));
  r->buf = nb;
  r->cap *= 2;
  return 0;
}

/* Called at a line boundary: after a long line, gives memory back down to the default size or
 * to what is still unconsumed, whichever is larger. */
static void maybe_shrink(socket_reader *r) {
  if (r->cap <= BUF_BYTES) return;
  size_t keep = r->fill - r->pos;
  size_t ncap = keep > BUF_BYTES ? keep : BUF_BYTES;
  if (ncap >= r->cap) return;
  memmove(r->buf, r->buf + r->pos, keep);
  r->fill = keep;
  r->scan -= r->pos;
  r->pos = 0;
  char *nb = sp_realloc(r->buf, ncap);
  if (nb) { /* a failed shrink keeps the larger buffer, which still works */
    r->buf = nb;
    r->cap = ncap;
  }
}

int socket_reader_next(socket_reader *r, int timeout_ms, const char **line, size_t *len) {
  if (r->failed) return r->failed;
  if (r->done) return 0;
  maybe_shrink(r);
  int64_t deadline = timeout_ms >= 0 ? sp_mono_ms() + timeout_ms : -1;
  for (;;) {
    char *nl = memchr(r->buf + r->scan, '\n', r->fill - r->scan);
    if (nl || (r->eof && r->pos < r->fill)) {
      size_t n = nl ? (size_t)(nl - (r->buf + r->pos)) : r->fill - r->pos;
      const char *p = r->buf + r->pos;
      r->pos += n + (nl ? 1 : 0);
      r->scan = r->pos;
      if (n > 0 && p[n - 1] == '\r') n--;
      *line = p;
      *len = n;
      return 1;
    }
    r->scan = r->fill;
    if (r->eof) {
      r->done = 1;
      return 0;
    }

    int wait_ms = -1;
    if (deadline >= 0) {
      int64_t left = deadline - sp_mono_ms();
      wait_ms = left > 0 ? (int)left : 0;
    }
    struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
    int pr = poll(&pfd, 1, wait_ms);
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0)
      return fail(
          r, sp_err(r->err, sizeof r->err, SPATE_EIO, "could not wait on socket source %s:%d : %s",
                    r->host, r->port, strerror(errno)));
    if (pr == 0) return 2;

    int rc = make_room(r);
    if (rc < 0) return rc;
    ssize_t got = recv(r->fd, r->buf + r->fill, r->cap - r->fill, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return fail(r, sp_err(r->err, sizeof r->err, SPATE_EIO,
                            "could not read from socket source %s:%d : %s", r->host, r->port,
                            strerror(errno)));
    }
    if (got == 0) r->eof = 1;
    r->fill += (size_t)got;
  }
}

const char *socket_reader_error(const socket_reader *r) { return r->err; }

void socket_reader_close(socket_reader *r) {
  if (!r) return;
  close(r->fd);
  sp_free(r->host);
  sp_free(r->buf);
  sp_free(r);
}
