/*
 * blob.c: the BlobServer and its client (blob.h), over blocking sockets and net/frame.h frames.
 */
#define _GNU_SOURCE
#include "net/blob.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/alloc.h"
#include "base/bytes.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/log.h"
#include "net/address.h"
#include "net/frame.h"
#include "net/rpc_net.h"
#include "spate/spate.h"

enum { BLOB_GET = 1, BLOB_DATA = 2, BLOB_END = 3, BLOB_ERROR = 4 };
#define BLOB_CHUNK (1u << 20)
#define BLOB_SERVER_TIMEOUT_MS 5000

struct blob_server {
  char *dir;
  char *address;
  int fd;
  int wake[2]; /* a pipe: stop wakes the accept loop */
  pthread_t thread;
  pthread_mutex_t mu; /* serializes puts */
};

void blob_key_of(const void *data, size_t len, char *key) { sp_hex_id(data, len, 0, key); }

static bool valid_key(const char *key) {
  if (!key || strlen(key) != BLOB_KEY_LEN) return false;
  for (const char *p = key; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
  return true;
}

/* Writes all of p, waiting at most timeout_ms for the socket each time. */
static int send_all(int fd, const void *p, size_t n, int timeout_ms) {
  const uint8_t *b = p;
  while (n) {
    struct pollfd pf = {.fd = fd, .events = POLLOUT};
    if (poll(&pf, 1, timeout_ms) <= 0) return SPATE_EIO;
    ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return SPATE_EIO;
    b += k;
    n -= (size_t)k;
  }
  return 0;
}

static int send_frame(int fd, uint32_t type, const void *p, size_t n, bool hello) {
  sp_writer w;
  sp_writer_init(&w);
  if (hello) sp_wire_put_hello(&w);
  sp_wire_put_frame(&w, type, p, n);
  int rc = w.failed ? SPATE_ENOMEM : send_all(fd, w.data, w.len, BLOB_SERVER_TIMEOUT_MS);
  sp_writer_free(&w);
  return rc;
}

/* The next frame of the connection: 1 with *f, or a negative code with err. */
static int recv_frame(int fd, sp_wire_reader *rd, sp_wire_frame *f, int timeout_ms, char *err,
                      size_t err_len) {
  for (;;) {
    int rc = sp_wire_next(rd, f);
    if (rc != 0) return rc < 0 ? sp_err(err, err_len, rc, "%s", rd->error) : 1;
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    int pr = poll(&pf, 1, timeout_ms);
    if (pr == 0) return sp_err(err, err_len, SPATE_EIO, "no answer within %d ms", timeout_ms);
    if (pr < 0 && errno == EINTR) continue;
    uint8_t buf[65536];
    ssize_t n = pr < 0 ? -1 : recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return sp_err(err, err_len, SPATE_EIO, "the connection closed early");
    if (n < 0) return sp_err(err, err_len, SPATE_EIO, "%s", strerror(errno));
    if (sp_wire_feed(rd, buf, (size_t)n) < 0) return sp_err(err, err_len, SPATE_ENOMEM, "oom");
  }
}

/* Serves one connection: a GET, answered with the blob or an error. */
static void serve(blob_server *s, int fd) {
  sp_wire_reader rd;
  sp_wire_reader_init(&rd, 4096); /* a GET is a key */
  char err[256];
  sp_wire_frame f;
  int rc = recv_frame(fd, &rd, &f, BLOB_SERVER_TIMEOUT_MS, err, sizeof err);
  char *key = NULL;
  if (rc == 1 && f.type == BLOB_GET) {
    sp_reader r;
    sp_reader_init(&r, f.payload, f.len);
    key = sp_get_str(&r);
    if (!sp_reader_ok(&r) || !valid_key(key)) {
      sp_free(key);
      key = NULL;
    }
  }
  if (!key) {
    SP_WARN("blobserver", "refusing a request: %s", rc < 0 ? err : "not a GET of a valid blob key");
    if (rc == 1) send_frame(fd, BLOB_ERROR, NULL, 0, true);
    sp_wire_reader_free(&rd);
    return;
  }
  size_t plen = strlen(s->dir) + BLOB_KEY_LEN + 16;
  char *path = sp_malloc(plen);
  int in = -1;
  if (path) {
    snprintf(path, plen, "%s/blob_%s", s->dir, key);
    in = open(path, O_RDONLY | O_CLOEXEC);
  }
  if (in < 0) {
    sp_writer m;
    sp_writer_init(&m);
    char msg[128];
    snprintf(msg, sizeof msg, "no blob %s", key);
    sp_put_str(&m, msg);
    send_frame(fd, BLOB_ERROR, m.data, m.len, true);
    sp_writer_free(&m);
  } else {
    uint8_t *chunk = sp_malloc(BLOB_CHUNK);
    uint64_t total = 0;
    bool hello = true, ok = chunk != NULL;
    for (ssize_t n; ok && (n = read(in, chunk, BLOB_CHUNK)) > 0;) {
      ok = send_frame(fd, BLOB_DATA, chunk, (size_t)n, hello) == 0;
      hello = false;
      total += (uint64_t)n;
    }
    if (ok) {
      sp_writer m;
      sp_writer_init(&m);
      sp_put_u64(&m, total);
      send_frame(fd, BLOB_END, m.data, m.len, hello);
      sp_writer_free(&m);
    }
    sp_free(chunk);
    close(in);
  }
  sp_free(path);
  sp_free(key);
  sp_wire_reader_free(&rd);
}

static void *server_main(void *arg) {
  blob_server *s = arg;
  for (;;) {
    struct pollfd pf[2] = {{.fd = s->fd, .events = POLLIN}, {.fd = s->wake[0], .events = POLLIN}};
    if (poll(pf, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return NULL;
    }
    if (pf[1].revents) return NULL;
    int c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) continue;
    serve(s, c);
    close(c);
  }
}

/* A socket bound and listening on host:port (NULL host: every interface). */
static int listen_on(const char *host, int port, int *out, char *err, size_t err_len) {
  struct addrinfo hints = {
      .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
  struct addrinfo *ai = NULL;
  char ps[16];
  snprintf(ps, sizeof ps, "%d", port);
  int g = getaddrinfo(host, ps, &hints, &ai);
  if (g != 0)
    return sp_err(err, err_len, SPATE_EINVAL, "cannot resolve the bind address '%s': %s",
                  host ? host : "*", gai_strerror(g));
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    freeaddrinfo(ai);
    return sp_err(err, err_len, SPATE_EIO, "cannot listen on %s:%d (blob.server.port): %s",
                  host ? host : "*", port, strerror(e));
  }
  freeaddrinfo(ai);
  *out = fd;
  return 0;
}

int blob_server_start(const char *dir, const char *bind_host, int port, const char *advertised_host,
                      blob_server **out, char *err, size_t err_len) {
  *out = NULL;
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return sp_err(err, err_len, SPATE_EIO, "cannot create the blob directory %s: %s", dir,
                  strerror(errno));
  blob_server *s = sp_calloc(1, sizeof *s);
  if (!s || !(s->dir = sp_strdup(dir))) {
    sp_free(s);
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  s->fd = s->wake[0] = s->wake[1] = -1;
  pthread_mutex_init(&s->mu, NULL);
  const char *bh = bind_host && bind_host[0] ? bind_host : NULL;
  int rc = listen_on(bh, port, &s->fd, err, err_len);
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (rc == 0 && getsockname(s->fd, (struct sockaddr *)&ss, &sl) == 0 &&
      !(s->address = net_listen_address(&ss, bh, advertised_host)))
    rc = sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  if (rc == 0 && pipe2(s->wake, O_CLOEXEC) < 0)
    rc = sp_err(err, err_len, SPATE_EIO, "pipe: %s", strerror(errno));
  if (rc == 0 && pthread_create(&s->thread, NULL, server_main, s) != 0)
    rc = sp_err(err, err_len, SPATE_ENOMEM, "cannot start the BlobServer thread");
  if (rc < 0) {
    if (s->fd >= 0) close(s->fd);
    if (s->wake[0] >= 0) close(s->wake[0]);
    if (s->wake[1] >= 0) close(s->wake[1]);
    pthread_mutex_destroy(&s->mu);
    sp_free(s->address);
    sp_free(s->dir);
    sp_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

const char *blob_server_address(const blob_server *s) { return s->address; }

int blob_server_put(blob_server *s, const void *data, size_t len, char *key, char *err,
                    size_t err_len) {
  blob_key_of(data, len, key);
  size_t plen = strlen(s->dir) + BLOB_KEY_LEN + 32;
  char *path = sp_malloc(plen), *tmp = sp_malloc(plen);
  if (!path || !tmp) {
    sp_free(path);
    sp_free(tmp);
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  snprintf(path, plen, "%s/blob_%s", s->dir, key);
  snprintf(tmp, plen, "%s/.blob_%s.tmp", s->dir, key);
  int rc = 0;
  pthread_mutex_lock(&s->mu);
  if (access(path, F_OK) != 0) { /* the same content is kept once */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0;
    for (size_t off = 0; ok && off < len;) {
      ssize_t n = write(fd, (const uint8_t *)data + off, len - off);
      if (n < 0 && errno == EINTR) continue;
      ok = n > 0;
      off += ok ? (size_t)n : 0;
    }
    if (fd >= 0 && close(fd) < 0) ok = false;
    if (!ok || rename(tmp, path) < 0) {
      rc = sp_err(err, err_len, SPATE_EIO, "cannot store blob %s in %s: %s", key, s->dir,
                  strerror(errno));
      unlink(tmp);
    }
  }
  pthread_mutex_unlock(&s->mu);
  sp_free(path);
  sp_free(tmp);
  return rc;
}

void blob_server_stop(blob_server *s) {
  if (!s) return;
  ssize_t w = write(s->wake[1], "x", 1);
  (void)w;
  pthread_join(s->thread, NULL);
  close(s->fd);
  close(s->wake[0]);
  close(s->wake[1]);
  pthread_mutex_destroy(&s->mu);
  sp_free(s->address);
  sp_free(s->dir);
  sp_free(s);
}

/* A connected socket to host:port within timeout_ms. */
static int connect_to(const char *server, int timeout_ms, int *out, char *err, size_t err_len) {
  char host[256], ps[16];
  int port;
  if (rpc_net_split_address(server, host, sizeof host, &port) < 0)
    return sp_err(err, err_len, SPATE_EINVAL, "'%s' is not a host:port address", server);
  snprintf(ps, sizeof ps, "%d", port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo *ai = NULL;
  int g = getaddrinfo(host, ps, &hints, &ai);
  if (g != 0)
    return sp_err(err, err_len, SPATE_EIO, "cannot resolve %s: %s", host, gai_strerror(g));
  int rc = SPATE_EIO, e = 0;
  for (struct addrinfo *a = ai; a && rc < 0; a = a->ai_next) {
    int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int c = connect(fd, a->ai_addr, a->ai_addrlen);
    if (c < 0 && errno == EINPROGRESS) {
      struct pollfd pf = {.fd = fd, .events = POLLOUT};
      socklen_t el = sizeof e;
      c = poll(&pf, 1, timeout_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 &&
                  e == 0
              ? 0
              : -1;
      if (c < 0 && !e) e = ETIMEDOUT;
    } else if (c < 0) {
      e = errno;
    }
    if (c == 0) {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      *out = fd;
      rc = 0;
    } else {
      close(fd);
    }
  }
  freeaddrinfo(ai);
  if (rc < 0) return sp_err(err, err_len, SPATE_EIO, "cannot connect: %s", strerror(e));
  return 0;
}

int blob_fetch(const char *server, const char *key, const char *dest, int timeout_ms, char *err,
               size_t err_len) {
  char why[256] = "";
  if (!valid_key(key))
    return sp_err(err, err_len, SPATE_EINVAL, "'%s' is not a blob key", key ? key : "(null)");
  int fd = -1, out = -1, rc = connect_to(server, timeout_ms, &fd, why, sizeof why);
  size_t tl = strlen(dest) + 16;
  char *tmp = sp_malloc(tl);
  if (rc == 0 && !tmp) rc = sp_err(why, sizeof why, SPATE_ENOMEM, "out of memory");
  if (rc == 0) {
    snprintf(tmp, tl, "%s.part", dest);
    out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    if (out < 0)
      rc = sp_err(why, sizeof why, SPATE_EIO, "cannot write %s: %s", tmp, strerror(errno));
  }
  if (rc == 0) {
    sp_writer m;
    sp_writer_init(&m);
    sp_put_str(&m, key);
    rc = send_frame(fd, BLOB_GET, m.data, m.len, true);
    sp_writer_free(&m);
    if (rc < 0) sp_err(why, sizeof why, rc, "cannot send the request");
  }
  XXH3_state_t *st = rc == 0 ? XXH3_createState() : NULL;
  if (rc == 0 && !st) rc = sp_err(why, sizeof why, SPATE_ENOMEM, "out of memory");
  if (st) XXH3_128bits_reset(st);
  sp_wire_reader rd;
  sp_wire_reader_init(&rd, BLOB_CHUNK + 64);
  uint64_t got = 0;
  while (rc == 0) {
    sp_wire_frame f;
    rc = recv_frame(fd, &rd, &f, timeout_ms, why, sizeof why);
    if (rc < 0) break;
    rc = 0;
    if (f.type == BLOB_DATA) {
      XXH3_128bits_update(st, f.payload, f.len);
      got += f.len;
      if (write(out, f.payload, f.len) != (ssize_t)f.len)
        rc = sp_err(why, sizeof why, SPATE_EIO, "cannot write %s: %s", tmp, strerror(errno));
    } else if (f.type == BLOB_END) {
      sp_reader r;
      sp_reader_init(&r, f.payload, f.len);
      uint64_t total = sp_get_u64(&r);
      XXH128_hash_t h = XXH3_128bits_digest(st);
      char have[BLOB_KEY_LEN + 1];
      snprintf(have, sizeof have, "%016llx%016llx", (unsigned long long)h.high64,
               (unsigned long long)h.low64);
      if (!sp_reader_ok(&r) || total != got)
        rc = sp_err(why, sizeof why, SPATE_ECORRUPT, "received %llu bytes of %llu",
                    (unsigned long long)got, (unsigned long long)total);
      else if (strcmp(have, key) != 0)
        rc = sp_err(why, sizeof why, SPATE_ECORRUPT, "the content's hash is %s, not the key", have);
      break;
    } else if (f.type == BLOB_ERROR) {
      sp_reader r;
      sp_reader_init(&r, f.payload, f.len);
      char *m = f.len ? sp_get_str(&r) : NULL;
      rc = sp_err(why, sizeof why, SPATE_ENOENT, "the BlobServer answered: %s",
                  m ? m : "bad request");
      sp_free(m);
    } else {
      rc = sp_err(why, sizeof why, SPATE_ECORRUPT, "unexpected frame of type %u", f.type);
    }
  }
  sp_wire_reader_free(&rd);
  if (st) XXH3_freeState(st);
  if (fd >= 0) close(fd);
  if (out >= 0 && close(out) < 0 && rc == 0)
    rc = sp_err(why, sizeof why, SPATE_EIO, "cannot write %s: %s", tmp, strerror(errno));
  if (rc == 0 && rename(tmp, dest) < 0)
    rc = sp_err(why, sizeof why, SPATE_EIO, "cannot rename %s: %s", tmp, strerror(errno));
  if (rc < 0 && tmp) unlink(tmp);
  sp_free(tmp);
  if (rc < 0)
    return sp_err(err, err_len, rc, "cannot fetch blob %s from the BlobServer at %s: %s", key,
                  server, why);
  return 0;
}
