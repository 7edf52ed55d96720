/*
 * collect_remote.c: collect sinks' rows kept for a client on another host (collect_remote.h):
 * the buffers of this process, their answers to the client's requests, and the wire forms.
 *
 * One mutex (mu) guards the list of buffers and every buffer's fields. The sink takes it once per
 * published batch (its task flushes before it parks, and at 64 KiB), a request once; a sink whose
 * client is behind waits on `acked` under it.
 */
#include "connectors/collect_remote.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/hash.h"
#include "types/row.h"
#include "types/schema.h"

/* A request carries a name and a version: bounded so that a request cannot ask for much. */
#define MAX_NAME 256

/* Invariants: rows.data[head, rows.len) holds the rows total - base .. total - 1 (blobs) whose
 * offsets start at base; acknowledged rows are dropped (head advances, and the bytes before it
 * are reclaimed once they are the larger part). */
struct collect_buffer {
  char *name;
  char version[COLLECT_VERSION_LEN + 1];
  sp_writer rows;
  size_t head;
  int64_t base, total;
  bool ended;  /* the sink's end of input came */
  bool closed; /* the sink let go of it: the list owns it */
  bool acked;  /* ended, and every row acknowledged: the close frees it */
  int64_t ended_ms;
  collect_buffer *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t acked = PTHREAD_COND_INITIALIZER; /* a client acknowledged rows */
static collect_buffer *buffers;

static void buffer_free(collect_buffer *b) {
  sp_writer_free(&b->rows);
  sp_free(b->name);
  sp_free(b);
}

static void unlink_buffer(collect_buffer *b) {
  for (collect_buffer **p = &buffers; *p; p = &(*p)->next)
    if (*p == b) {
      *p = b->next;
      return;
    }
}

/* Drops closed buffers whose client has not come for them within the linger time. Under mu. */
static void sweep(void) {
  int64_t now = sp_mono_ms();
  for (collect_buffer **p = &buffers; *p;) {
    collect_buffer *b = *p;
    if (b->closed && now - b->ended_ms > COLLECT_REMOTE_LINGER_MS) {
      *p = b->next;
      buffer_free(b);
    } else {
      p = &b->next;
    }
  }
}

static collect_buffer *find(const char *name) {
  for (collect_buffer *b = buffers; b; b = b->next)
    if (strcmp(b->name, name) == 0) return b;
  return NULL;
}

int collect_buffer_open(const char *name, collect_buffer **out) {
  collect_buffer *b = sp_calloc(1, sizeof *b);
  if (!b || !(b->name = sp_strdup(name))) {
    sp_free(b);
    return SPATE_ENOMEM;
  }
  uint8_t raw[16] = {0};
  if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) { /* then time tells versions apart */
    int64_t t = sp_mono_ns();
    memcpy(raw, &t, sizeof t);
  }
  sp_hex_id(raw, sizeof raw, 0, b->version);
  sp_writer_init(&b->rows);
  pthread_mutex_lock(&mu);
  sweep();
  bool taken = find(name) != NULL;
  if (!taken) {
    b->next = buffers;
    buffers = b;
  }
  pthread_mutex_unlock(&mu);
  if (taken) {
    buffer_free(b);
    return SPATE_EINVAL;
  }
  *out = b;
  return 0;
}

int collect_buffer_publish(collect_buffer *b, const void *data, size_t len, uint32_t n,
                           const _Atomic bool *cancel) {
  pthread_mutex_lock(&mu);
  while (b->rows.len - b->head > COLLECT_REMOTE_MAX_KEPT) { /* the client is behind: wait */
    if (cancel && atomic_load_explicit(cancel, memory_order_relaxed)) {
      pthread_mutex_unlock(&mu);
      return SPATE_ECANCELED;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 50 * 1000000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&acked, &mu, &until);
  }
  if (b->head > 65536 && b->head > b->rows.len / 2) { /* reclaim what was acknowledged */
    memmove(b->rows.data, b->rows.data + b->head, b->rows.len - b->head);
    b->rows.len -= b->head;
    b->head = 0;
  }
  sp_put_bytes(&b->rows, data, len);
  b->total += n;
  int rc = b->rows.failed ? SPATE_ENOMEM : 0;
  pthread_mutex_unlock(&mu);
  return rc;
}

void collect_buffer_end(collect_buffer *b) {
  pthread_mutex_lock(&mu);
  b->ended = true;
  b->ended_ms = sp_mono_ms();
  pthread_mutex_unlock(&mu);
}

void collect_buffer_close(collect_buffer *b) {
  if (!b) return;
  pthread_mutex_lock(&mu);
  bool keep = b->ended && !b->acked;
  if (keep)
    b->closed = true;
  else
    unlink_buffer(b);
  pthread_mutex_unlock(&mu);
  if (!keep) buffer_free(b);
}

/* The length of the row blob at p (within end), or 0 when none fits (never for our own). */
static size_t blob_size(const uint8_t *p, const uint8_t *end) {
  if (end - p < 4) return 0;
  uint32_t n = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  return (size_t)(end - p - 4) < n ? 0 : 4 + (size_t)n;
}

int collect_remote_answer(const char *request_b64, sp_writer *w, char *err, size_t err_len) {
  size_t tlen = strlen(request_b64), len = 0;
  uint8_t *bytes = sp_malloc(tlen / 4 * 3 + 1);
  if (!bytes) return SPATE_ENOMEM;
  if (!sp_base64_decode(request_b64, tlen, bytes, &len)) {
    sp_free(bytes);
    return sp_err(err, err_len, SPATE_EINVAL, "the coordination request is not base64");
  }
  collect_request q;
  int rc = collect_request_decode(bytes, len, &q, err, err_len);
  sp_free(bytes);
  if (rc < 0) return rc;
  pthread_mutex_lock(&mu);
  sweep();
  collect_buffer *b = find(q.name);
  if (!b) {
    rc =
        sp_err(err, err_len, SPATE_ENOENT, "no collect sink '%s' runs on this TaskManager", q.name);
  } else if (q.version[0] && strcmp(q.version, b->version) == 0 &&
             (q.offset < b->base || q.offset > b->total)) {
    rc = sp_err(err, err_len, SPATE_EINVAL,
                "offset %lld is outside the rows the collect sink keeps (%lld to %lld)",
                (long long)q.offset, (long long)b->base, (long long)b->total);
  } else {
    const uint8_t *end = b->rows.data + b->rows.len;
    /* the rows before the offset are acknowledged: a client of another version acknowledges
     * nothing and gets the rows from the first kept one */
    if (q.version[0] && strcmp(q.version, b->version) == 0 && b->base < q.offset) {
      while (b->base < q.offset) {
        b->head += blob_size(b->rows.data + b->head, end);
        b->base++;
      }
      pthread_cond_broadcast(&acked);
    }
    sp_put_u32(w, COLLECT_ANSWER_MAGIC);
    sp_put_str(w, b->version);
    sp_put_i64(w, b->base);
    size_t at = w->len;
    sp_put_u8(w, 0);
    sp_put_u32(w, 0);
    const uint8_t *p = b->rows.data + b->head;
    uint32_t n = 0;
    size_t taken = 0;
    while (p < end) {
      size_t sz = blob_size(p, end);
      if (sz == 0 || (n > 0 && taken + sz > COLLECT_REMOTE_MAX_BATCH)) break;
      sp_put_bytes(w, p, sz);
      taken += sz;
      p += sz;
      n++;
    }
    bool ended = b->ended && p == end;
    if (!w->failed) {
      w->data[at] = ended;
      for (int i = 0; i < 4; i++) w->data[at + 1 + i] = (uint8_t)(n >> (8 * i));
    }
    rc = w->failed ? SPATE_ENOMEM : 0;
    if (rc == 0 && ended && n == 0 && b->base == b->total) { /* everything acknowledged */
      if (b->closed) {
        unlink_buffer(b);
        buffer_free(b);
      } else {
        b->acked = true;
      }
    }
  }
  pthread_mutex_unlock(&mu);
  collect_request_free(&q);
  return rc;
}

/* ---- wire forms ---- */

void collect_request_encode(sp_writer *w, const char *name, const char *version, int64_t offset) {
  sp_put_u32(w, COLLECT_REQUEST_MAGIC);
  sp_put_str(w, name);
  sp_put_str(w, version);
  sp_put_i64(w, offset);
}

static int malformed(const sp_reader *r, const char *what, const char *detail, char *err,
                     size_t err_len) {
  return sp_err(err, err_len, SPATE_EINVAL, "malformed collect %s at byte %zu: %s", what, r->pos,
                r->error[0] ? r->error : detail);
}

int collect_request_decode(const void *data, size_t len, collect_request *out, char *err,
                           size_t err_len) {
  memset(out, 0, sizeof *out);
  sp_reader r;
  sp_reader_init(&r, data, len);
  if (sp_get_u32(&r) != COLLECT_REQUEST_MAGIC)
    return malformed(&r, "request", "not a collect request", err, err_len);
  out->name = sp_get_str(&r);
  out->version = sp_get_str(&r);
  out->offset = sp_get_i64(&r);
  const char *bad = !sp_reader_ok(&r)                               ? "truncated"
                    : !out->name || !out->version                   ? "a missing string"
                    : !out->name[0] || strlen(out->name) > MAX_NAME ? "a bad sink name"
                    : strlen(out->version) > COLLECT_VERSION_LEN    ? "a bad version"
                    : out->offset < 0                               ? "a negative offset"
                    : r.pos != len                                  ? "bytes after the request"
                                                                    : NULL;
  if (bad) {
    int rc = malformed(&r, "request", bad, err, err_len);
    collect_request_free(out);
    return rc;
  }
  return 0;
}

void collect_request_free(collect_request *r) {
  sp_free(r->name);
  sp_free(r->version);
  r->name = r->version = NULL;
}

int collect_answer_decode(const void *data, size_t len, const spate_schema *s, collect_answer *out,
                          char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  sp_reader r;
  sp_reader_init(&r, data, len);
  int rc = 0;
  if (sp_get_u32(&r) != COLLECT_ANSWER_MAGIC) {
    rc = malformed(&r, "answer", "not a collect answer", err, err_len);
    goto out;
  }
  out->version = sp_get_str(&r);
  out->offset = sp_get_i64(&r);
  uint8_t ended = sp_get_u8(&r);
  uint32_t n = sp_get_u32(&r);
  const char *bad = !sp_reader_ok(&r)                            ? "truncated"
                    : !out->version                              ? "a missing version"
                    : strlen(out->version) > COLLECT_VERSION_LEN ? "a bad version"
                    : out->offset < 0                            ? "a negative offset"
                    : ended > 1                                  ? "a bad end flag"
                    : n > (len - r.pos) / 4                      ? "more rows than bytes"
                                                                 : NULL;
  if (bad) {
    rc = malformed(&r, "answer", bad, err, err_len);
    goto out;
  }
  out->ended = ended;
  if (n && !(out->rows = sp_calloc(n, sizeof *out->rows))) {
    rc = SPATE_ENOMEM;
    goto out;
  }
  for (uint32_t i = 0; i < n; i++) {
    size_t at = r.pos;
    uint32_t rl = 0;
    const uint8_t *p = sp_get_blob(&r, &rl);
    char why[SP_ERRMSG_MAX];
    if (!p) {
      rc = malformed(&r, "answer", "truncated row", err, err_len);
      goto out;
    }
    if (row_validate(p, rl, s, true, why, sizeof why) < 0) {
      rc = sp_err(err, err_len, SPATE_EINVAL, "malformed collect answer: row %u at byte %zu: %s", i,
                  at, why);
      goto out;
    }
    out->rows[i] = (spate_row){.data = p, .len = rl, .nfields = (uint32_t)s->nfields};
    out->n = i + 1;
  }
  if (r.pos != len) rc = malformed(&r, "answer", "bytes after the rows", err, err_len);
out:
  if (rc < 0) collect_answer_free(out);
  return rc;
}

void collect_answer_free(collect_answer *a) {
  sp_free(a->version);
  sp_free(a->rows);
  memset(a, 0, sizeof *a);
}
