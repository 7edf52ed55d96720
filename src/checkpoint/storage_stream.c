/*
 * storage_stream.c: streamed state files (storage.h, ckpt_stream): a snapshot too large to hold
 * twice in memory goes into its file as it is encoded, in the format storage_file.c reads
 * (version 3: the checksum is the XXH3-64 of the 1 MiB blocks' XXH3-64s).
 *
 * What a checkpoint's asynchronous part costs beyond the disk's own write and fsync is kept out
 * of its way three ways:
 *  - each block is checksummed as it goes out, while it is in the CPU's cache; a patch (a length
 *    fixed after its bytes went out) marks its block, and only marked blocks are read back at
 *    the end, instead of the whole file;
 *  - the kernel's writeback is started every few MiB (sync_file_range, which does not wait), so
 *    the disk writes while the snapshot is being encoded and the final fsync has little left;
 *  - ckpt_stream_put hands a whole buffer to a thread of the stream that writes it while the
 *    caller encodes the next one into the buffer the thread gave back (two buffers, no copy).
 * Durability is storage_file.c's: temporary name, fsync, rename, fsync of the directory.
 */
#define _GNU_SOURCE             /* mkostemp, sync_file_range */
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <pthread.h>
#include <stdlib.h>
#include <xxhash.h>

#include "base/alloc.h"
#include "base/err.h"
#include "checkpoint/storage_internal.h"

/* How much a stream gathers before it starts the kernel's writeback of it. */
#define WRITEBACK_STEP ((uint64_t)8 << 20)

struct ckpt_stream {
  int fd;
  int err;           /* first errno, sticky (written by the thread while it runs) */
  uint64_t len;      /* payload bytes written */
  uint64_t flushed;  /* payload bytes handed to writeback */
  XXH3_state_t *blk; /* the checksum of the block being written (64-byte aligned) */
  uint64_t *sums;    /* the checksums of the blocks written whole, then of all */
  size_t nsums, cap;
  uint64_t *dirty; /* bitmap of the blocks patched after they were checksummed */
  size_t dirty_words;
  /* the writing thread (ckpt_stream_put): it owns `busy` while busy is set, and with it len,
   * flushed, blk, sums and err; the caller waits for it to clear before touching those */
  pthread_t thread;
  bool started, stop, busy;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  sp_writer full; /* what the thread writes, or the buffer it wrote (the next to hand back) */
  char tmp[PATH_CAP], path[PATH_CAP], dir[PATH_CAP];
};

int ckpt_stream_open(const char *dir, const char *name, uint32_t magic, ckpt_stream **out,
                     char *err, size_t err_len) {
  *out = NULL;
  if (!dir || !name || !plain_name(name))
    return sp_err(err, err_len, SPATE_EINVAL,
                  "checkpoint file name '%s' must be a plain name inside the directory",
                  name ? name : "(null)");
  ckpt_stream *s = sp_calloc(1, sizeof *s);
  if (!s) return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  int n = snprintf(s->tmp, sizeof s->tmp, "%s/.%s.tmp-XXXXXX", dir, name);
  int d = snprintf(s->dir, sizeof s->dir, "%s", dir);
  if (!join(s->path, sizeof s->path, dir, name) || n < 0 || (size_t)n >= sizeof s->tmp || d < 0 ||
      (size_t)d >= sizeof s->dir) {
    sp_free(s);
    return sp_err(err, err_len, SPATE_EIO, "cannot write %s/%s: path too long", dir, name);
  }
  if (!(s->blk = XXH3_createState())) {
    sp_free(s);
    return sp_err(err, err_len, SPATE_ENOMEM, "out of memory");
  }
  s->fd = mkostemp(s->tmp, O_CLOEXEC);
  if (s->fd < 0) {
    int e = errno;
    XXH3_freeState(s->blk);
    sp_free(s);
    return sp_err(err, err_len, SPATE_EIO, "cannot create a temporary file in %s: %s", dir,
                  strerror(e));
  }
  XXH3_64bits_reset(s->blk);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cond, NULL);
  sp_writer_init(&s->full);
  uint8_t head[HEADER_LEN];
  put_le(head, magic, 4);
  put_le(head + 4, FILE_VERSION_BLOCKS, 4);
  put_le(head + 8, 0, 8); /* the payload length, written at the end */
  s->err = write_all(s->fd, head, sizeof head);
  *out = s;
  return 0;
}

/* Appends the checksum of a finished block. 0 or ENOMEM. */
static int push_sum(ckpt_stream *s, uint64_t sum) {
  if (s->nsums == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 256;
    uint64_t *g = sp_realloc(s->sums, cap * sizeof *g);
    if (!g) return ENOMEM;
    s->sums = g;
    s->cap = cap;
  }
  s->sums[s->nsums++] = sum;
  return 0;
}

/* Starts writeback of what was written since the last call, once WRITEBACK_STEP has gathered.
 * Only a hint: where the kernel cannot, the fsync at the end writes it all. */
static void start_writeback(ckpt_stream *s) {
  if (s->len - s->flushed < WRITEBACK_STEP) return;
  (void)sync_file_range(s->fd, (off_t)(HEADER_LEN + s->flushed), (off_t)(s->len - s->flushed),
                        SYNC_FILE_RANGE_WRITE);
  s->flushed = s->len;
}

/* Writes n bytes at the end of the payload. Each piece is checksummed just before it is
 * written, while it is in the CPU's cache, and never crosses a block's end, so a block's
 * checksum is done when its last piece is. Pieces are at most a block (1 MiB), which the page
 * cache takes in stride (one write() of a gigabyte is several times slower). */
static void append(ckpt_stream *s, const uint8_t *b, size_t n) {
  for (size_t off = 0; !s->err && off < n;) {
    size_t room = CKPT_BLOCK - (size_t)(s->len % CKPT_BLOCK);
    size_t k = n - off < room ? n - off : room;
    XXH3_64bits_update(s->blk, b + off, k);
    s->err = write_all(s->fd, b + off, k);
    if (s->err) break;
    s->len += k;
    off += k;
    if (k == room) {
      s->err = push_sum(s, XXH3_64bits_digest(s->blk));
      XXH3_64bits_reset(s->blk);
      start_writeback(s);
    }
  }
}

static void *writer_main(void *arg) {
  ckpt_stream *s = arg;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (!s->busy && !s->stop) pthread_cond_wait(&s->cond, &s->mu);
    if (!s->busy) break; /* stopping, nothing left */
    pthread_mutex_unlock(&s->mu);
    append(s, s->full.data, s->full.len);
    pthread_mutex_lock(&s->mu);
    s->busy = false;
    pthread_cond_broadcast(&s->cond);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* Waits until the thread has written what it was given; afterwards the caller owns every field. */
static void drain(ckpt_stream *s) {
  if (!s->started) return;
  pthread_mutex_lock(&s->mu);
  while (s->busy) pthread_cond_wait(&s->cond, &s->mu);
  pthread_mutex_unlock(&s->mu);
}

static void stop_thread(ckpt_stream *s) {
  if (!s->started) return;
  pthread_mutex_lock(&s->mu);
  s->stop = true;
  pthread_cond_broadcast(&s->cond);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->thread, NULL);
  s->started = false;
}

int ckpt_stream_write(ckpt_stream *s, const void *p, size_t n) {
  drain(s);
  append(s, p, n);
  return s->err ? SPATE_EIO : 0;
}

int ckpt_stream_put(ckpt_stream *s, sp_writer *buf) {
  if (buf->failed) return SPATE_ENOMEM;
  drain(s); /* before s->err is read: the thread may be writing it */
  if (s->err) return SPATE_EIO;
  if (buf->len == 0) return 0;
  if (!s->started && pthread_create(&s->thread, NULL, writer_main, s) != 0) {
    int rc = ckpt_stream_write(s, buf->data, buf->len); /* no thread: written here and now */
    buf->len = 0;
    return rc;
  }
  s->started = true;
  /* the written buffer comes back empty for the caller to fill next */
  sp_writer written = s->full;
  written.len = 0;
  pthread_mutex_lock(&s->mu);
  s->full = *buf;
  s->busy = true;
  pthread_cond_broadcast(&s->cond);
  pthread_mutex_unlock(&s->mu);
  *buf = written;
  return 0;
}

int ckpt_stream_patch(ckpt_stream *s, uint64_t off, const void *p, size_t n) {
  drain(s);
  if (s->err) return SPATE_EIO;
  if (off + n > s->len) return SPATE_EINVAL;
  if (n == 0) return 0;
  /* the blocks touched (the one being written included) are checksummed again at the end */
  size_t words = (size_t)((off + n - 1) / CKPT_BLOCK / 64) + 1;
  if (words > s->dirty_words) {
    uint64_t *g = sp_realloc(s->dirty, words * sizeof *g);
    if (!g) {
      s->err = ENOMEM;
      return SPATE_ENOMEM;
    }
    memset(g + s->dirty_words, 0, (words - s->dirty_words) * sizeof *g);
    s->dirty = g;
    s->dirty_words = words;
  }
  for (uint64_t blk = off / CKPT_BLOCK; blk <= (off + n - 1) / CKPT_BLOCK; blk++)
    s->dirty[blk / 64] |= (uint64_t)1 << (blk % 64);
  const uint8_t *b = p;
  while (n > 0) {
    ssize_t k = pwrite(s->fd, b, n, (off_t)(HEADER_LEN + off));
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      s->err = errno;
      return SPATE_EIO;
    }
    b += k;
    off += (uint64_t)k;
    n -= (size_t)k;
  }
  return 0;
}

static void stream_free(ckpt_stream *s) {
  stop_thread(s);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cond);
  sp_writer_free(&s->full);
  XXH3_freeState(s->blk);
  sp_free(s->sums);
  sp_free(s->dirty);
  sp_free(s);
}

void ckpt_stream_abort(ckpt_stream *s) {
  if (!s) return;
  stop_thread(s);
  close(s->fd);
  unlink(s->tmp);
  stream_free(s);
}

/* The checksum of the payload: the last block's, then the patched blocks' again from the file
 * (the page cache: they were just written), then the hash of them all. 0 or an errno. */
static int stream_checksum(ckpt_stream *s, uint64_t *sum) {
  int e = 0;
  if (s->len % CKPT_BLOCK) e = push_sum(s, XXH3_64bits_digest(s->blk));
  uint8_t *buf = NULL;
  for (size_t blk = 0; !e && blk < s->nsums; blk++) {
    if (blk / 64 >= s->dirty_words || !(s->dirty[blk / 64] >> (blk % 64) & 1)) continue;
    if (!buf && !(buf = sp_malloc(CKPT_BLOCK))) e = ENOMEM;
    uint64_t at = (uint64_t)blk * CKPT_BLOCK;
    size_t want = s->len - at < CKPT_BLOCK ? (size_t)(s->len - at) : CKPT_BLOCK;
    for (size_t got = 0; !e && got < want;) {
      ssize_t k = pread(s->fd, buf + got, want - got, (off_t)(HEADER_LEN + at + got));
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) e = k < 0 ? errno : EIO;
      if (k > 0) got += (size_t)k;
    }
    if (!e) s->sums[blk] = XXH3_64bits(buf, want);
  }
  sp_free(buf);
  if (e) return e;
  XXH3_state_t outer;
  XXH3_INITSTATE(&outer);
  XXH3_64bits_reset(&outer);
  for (size_t blk = 0; blk < s->nsums; blk++) ckpt_put_block_sum(&outer, s->sums[blk]);
  *sum = XXH3_64bits_digest(&outer);
  return 0;
}

int ckpt_stream_finish(ckpt_stream *s, uint64_t *length, uint64_t *checksum, char *err,
                       size_t err_len) {
  stop_thread(s);
  int e = s->err;
  uint64_t sum = 0;
  if (!e) e = stream_checksum(s, &sum);
  if (!e) {
    uint8_t tail[TRAILER_LEN], len8[8];
    put_le(tail, sum, 8);
    put_le(len8, s->len, 8);
    if (pwrite(s->fd, tail, sizeof tail, (off_t)(HEADER_LEN + s->len)) != (ssize_t)sizeof tail ||
        pwrite(s->fd, len8, sizeof len8, 8) != (ssize_t)sizeof len8)
      e = errno ? errno : EIO;
  }
  if (!e && fchmod(s->fd, 0644) != 0) e = errno;
  if (!e && fsync(s->fd) != 0) e = errno;
  if (close(s->fd) != 0 && !e) e = errno;
  s->fd = -1;
  if (!e && rename(s->tmp, s->path) != 0) e = errno;
  int rc = 0;
  if (e) {
    unlink(s->tmp);
    rc = sp_err(err, err_len, SPATE_EIO, "cannot write %s: %s", s->path, strerror(e));
  } else if ((e = fsync_dir(s->dir)) != 0) {
    rc = sp_err(err, err_len, SPATE_EIO, "cannot sync directory %s after writing %s: %s", s->dir,
                s->path, strerror(e));
  }
  if (rc == 0 && length) *length = s->len;
  if (rc == 0 && checksum) *checksum = sum;
  stream_free(s);
  return rc;
}
