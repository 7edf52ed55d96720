/*
 * storage_file.c: the checksummed file format of checkpoint storage (storage.h): state files
 * and metadata alike are u32 magic, u32 version, u64 payload length, payload, u64 checksum
 * (version 2: XXH3-64; version 3, what streams write: XXH3-64 of the XXH3-64s of 1 MiB blocks;
 * version 1, still read: XXH64).
 *
 * Durability: a file is written under a temporary name in its final directory (mkostemp, so
 * concurrent writers never collide), fsynced, renamed over its final name, and the directory is
 * fsynced, so after a crash the name holds either nothing or the whole file. Large state files
 * are streamed (ckpt_stream, storage_stream.c) rather than held twice in memory. Reading trusts
 * nothing: framing, length and checksum are checked before a payload is handed out.
 */
#define _GNU_SOURCE             /* mkostemp, MAP_POPULATE */
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xxhash.h>

#include "base/alloc.h"
#include "base/err.h"
#include "checkpoint/storage_internal.h"

/* ---------------------------------------------------------------------------------------------
 * Checksummed files. */

static const char *file_kind(uint32_t magic) {
  return magic == CKPT_META_MAGIC    ? "a metadata file"
         : magic == CKPT_STATE_MAGIC ? "a state file"
                                     : "a checkpoint file";
}

/* Writes header, payload and trailer to fd and syncs it. 0 or an errno. */
/* Writes header, payload and trailer, checksumming the payload as it goes. The payload goes
 * out in chunks of WRITE_CHUNK: one write() of a gigabyte is several times slower than the same
 * bytes in pieces the page cache takes in stride, and the checksum reads each piece while it is
 * still in the CPU cache. */
#define WRITE_CHUNK ((size_t)8 << 20)
static int write_framed(int fd, uint32_t magic, const void *payload, size_t len, uint64_t *sum) {
  uint8_t head[HEADER_LEN], tail[TRAILER_LEN];
  put_le(head, magic, 4);
  put_le(head + 4, FILE_VERSION, 4);
  put_le(head + 8, len, 8);
  int e = write_all(fd, head, sizeof head);
  XXH3_state_t *st = e ? NULL : XXH3_createState();
  if (!e && !st) e = ENOMEM;
  if (!e) XXH3_64bits_reset(st);
  const uint8_t *p = payload;
  for (size_t off = 0; !e && off < len; off += WRITE_CHUNK) {
    size_t k = len - off < WRITE_CHUNK ? len - off : WRITE_CHUNK;
    XXH3_64bits_update(st, p + off, k);
    e = write_all(fd, p + off, k);
  }
  if (!e) {
    *sum = XXH3_64bits_digest(st);
    put_le(tail, *sum, 8);
    e = write_all(fd, tail, sizeof tail);
  }
  if (st) XXH3_freeState(st);
  if (!e && fchmod(fd, 0644) != 0) e = errno;
  if (!e && fsync(fd) != 0) e = errno;
  return e;
}

int ckpt_write_file(const char *dir, const char *name, uint32_t magic, const void *payload,
                    size_t len, uint64_t *checksum, char *err, size_t err_len) {
  bool named = name && (plain_name(name) || strcmp(name, METADATA_NAME) == 0);
  if (!dir || !named)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "checkpoint file name '%s' must be a plain name inside the directory",
                  name ? name : "(null)");
  char path[PATH_CAP], tmp[PATH_CAP];
  int n = snprintf(tmp, sizeof tmp, "%s/.%s.tmp-XXXXXX", dir, name);
  if (!join(path, sizeof path, dir, name) || n < 0 || (size_t)n >= sizeof tmp)
    return sp_err(err, err_len, SPATE_EIO, "cannot write %s/%s: path too long", dir, name);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return sp_err(err, err_len, SPATE_EIO, "cannot create a temporary file for %s: %s", path,
                  strerror(errno));
  uint64_t sum = 0;
  int e = write_framed(fd, magic, len ? payload : "", len, &sum);
  if (close(fd) != 0 && !e) e = errno;
  if (!e && rename(tmp, path) != 0) e = errno;
  if (e) {
    unlink(tmp);
    return sp_err(err, err_len, SPATE_EIO, "cannot write %s: %s", path, strerror(e));
  }
  if ((e = fsync_dir(dir)) != 0)
    return sp_err(err, err_len, SPATE_EIO, "cannot sync directory %s after writing %s: %s", dir,
                  name, strerror(e));
  if (checksum) *checksum = sum;
  return 0;
}

/* ---- checksums ------------------------------------------------------------------------------ */

/* The XXH3-64s of blocks [first, last) of the n payload bytes at p into sums[first..]. */
typedef struct block_sums {
  const uint8_t *p;
  size_t n, first, last;
  uint64_t *sums;
} block_sums;

/* The XXH3-64 of block i of the n bytes at p (the last one may be short). */
static uint64_t block_sum(const uint8_t *p, size_t n, size_t i) {
  size_t off = i * CKPT_BLOCK;
  return XXH3_64bits(p + off, n - off < CKPT_BLOCK ? n - off : CKPT_BLOCK);
}

static void *sum_blocks(void *arg) {
  block_sums *j = arg;
  for (size_t i = j->first; i < j->last; i++) j->sums[i] = block_sum(j->p, j->n, i);
  return NULL;
}

/* Payloads from this size on are checksummed by two threads (the blocks' checksums do not
 * depend on each other): restoring a gigabyte of state waits for its verification, and the
 * second core would otherwise idle meanwhile. Smaller ones are not worth a thread. */
#define PARALLEL_SUM_MIN ((size_t)64 << 20)

uint64_t ckpt_checksum(uint32_t version, const void *p, size_t n) {
  if (version == FILE_VERSION_XXH64) return XXH64(p, n, 0);
  if (version != FILE_VERSION_BLOCKS) return XXH3_64bits(p, n);
  XXH3_state_t outer;
  XXH3_INITSTATE(&outer);
  XXH3_64bits_reset(&outer);
  const uint8_t *b = p;
  size_t nblocks = (n + CKPT_BLOCK - 1) / CKPT_BLOCK;
  uint64_t *sums = n >= PARALLEL_SUM_MIN ? sp_malloc(nblocks * sizeof *sums) : NULL;
  pthread_t helper;
  block_sums back = {b, n, nblocks / 2, nblocks, sums}, front = {b, n, 0, nblocks / 2, sums};
  if (sums && pthread_create(&helper, NULL, sum_blocks, &back) == 0) {
    sum_blocks(&front);
    pthread_join(helper, NULL);
    for (size_t i = 0; i < nblocks; i++) ckpt_put_block_sum(&outer, sums[i]);
  } else { /* small, or no memory or thread for the parallel way: one block after the other */
    for (size_t i = 0; i < nblocks; i++) ckpt_put_block_sum(&outer, block_sum(b, n, i));
  }
  sp_free(sums);
  return XXH3_64bits_digest(&outer);
}

/* Checks the 16-byte header against the file size; *plen receives the payload length. `shown`
 * is how messages name the file. */
static int check_header(const uint8_t *head, size_t got, uint64_t size, uint32_t magic,
                        const char *shown, uint64_t *plen, uint32_t *version, char *err,
                        size_t err_len) {
  if (got >= 4 && (uint32_t)get_le(head, 4) != magic)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: wrong magic 0x%08x at offset 0 (expected 0x%08x, %s)", shown,
                  (uint32_t)get_le(head, 4), magic, file_kind(magic));
  if (size < HEADER_LEN + TRAILER_LEN)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s is truncated: %llu bytes, fewer than the %d of header and checksum",
                  shown, (unsigned long long)size, HEADER_LEN + TRAILER_LEN);
  *version = (uint32_t)get_le(head + 4, 4);
  if (*version != FILE_VERSION && *version != FILE_VERSION_XXH64 && *version != FILE_VERSION_BLOCKS)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: unsupported version %u at offset 4 (expected %u to %u)", shown,
                  *version, FILE_VERSION_XXH64, FILE_VERSION_BLOCKS);
  *plen = get_le(head + 8, 8);
  uint64_t have = size - HEADER_LEN - TRAILER_LEN;
  if (*plen > have)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s is truncated: the header at offset 8 announces %llu payload bytes but "
                  "the file holds %llu",
                  shown, (unsigned long long)*plen, (unsigned long long)have);
  if (*plen < have)
    return sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: %llu unexpected bytes after the checksum at offset %llu", shown,
                  (unsigned long long)(have - *plen),
                  (unsigned long long)(HEADER_LEN + *plen + TRAILER_LEN));
  return 0;
}

/* Reads payload and trailer of an open file whose header has been checked. */
static int read_body(int fd, const char *shown, uint64_t plen, uint32_t version, uint8_t **payload,
                     uint64_t *checksum, char *err, size_t err_len) {
  uint8_t *buf = sp_malloc(plen ? (size_t)plen : 1);
  if (!buf)
    return sp_err(err, err_len, SPATE_ENOMEM, "file %s: cannot allocate %llu bytes", shown,
                  (unsigned long long)plen);
  uint8_t tail[TRAILER_LEN];
  size_t got = 0, got_tail = 0;
  int e = read_all(fd, buf, (size_t)plen, &got);
  if (!e && got == plen) e = read_all(fd, tail, sizeof tail, &got_tail);
  int rc = 0;
  if (e) {
    rc = sp_err(err, err_len, SPATE_EIO, "cannot read file %s: %s", shown, strerror(e));
  } else if (got != plen || got_tail != sizeof tail) {
    rc = sp_err(err, err_len, SPATE_ECORRUPT, "file %s is truncated (it shrank while read)", shown);
  } else {
    uint64_t stored = get_le(tail, 8), sum = ckpt_checksum(version, buf, (size_t)plen);
    if (stored != sum)
      rc = sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: checksum mismatch (stored %016llx at offset %llu, computed %016llx)",
                  shown, (unsigned long long)stored, (unsigned long long)(HEADER_LEN + plen),
                  (unsigned long long)sum);
    *checksum = sum;
  }
  if (rc)
    sp_free(buf);
  else
    *payload = buf;
  return rc;
}

int ckpt_read_checked(const char *path, const char *shown, uint32_t magic, uint8_t **payload,
                      size_t *len, uint64_t *checksum, char *err, size_t err_len) {
  *payload = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return sp_err(err, err_len, e == ENOENT ? SPATE_ENOENT : SPATE_EIO, "cannot open file %s: %s",
                  shown, strerror(e));
  }
  struct stat st;
  uint8_t head[HEADER_LEN];
  size_t got = 0;
  uint64_t plen = 0, sum = 0;
  int rc = 0, e = fstat(fd, &st) != 0 ? errno : 0;
  if (!e && !S_ISREG(st.st_mode)) e = EISDIR;
  if (!e) e = read_all(fd, head, sizeof head, &got);
  if (e) rc = sp_err(err, err_len, SPATE_EIO, "cannot read file %s: %s", shown, strerror(e));
  uint32_t version = 0;
  if (!rc)
    rc = check_header(head, got, (uint64_t)st.st_size, magic, shown, &plen, &version, err, err_len);
  if (!rc && plen > SIZE_MAX - 1)
    rc = sp_err(err, err_len, SPATE_ENOMEM, "file %s is too large", shown);
  if (!rc) rc = read_body(fd, shown, plen, version, payload, &sum, err, err_len);
  close(fd);
  if (rc) return rc;
  *len = (size_t)plen;
  if (checksum) *checksum = sum;
  return 0;
}

/* Maps the file read-only and checks its framing, and with verify its checksum, on the
 * mapping: no copy of the payload and no fresh memory to fault in, which for a gigabyte is most
 * of the cost of read() into a buffer. A verified file is mapped with MAP_POPULATE (the page
 * cache's pages in one pass, as the checksum reads them all); an unverified one is mapped
 * lazily, so that only the pages read are touched. */
int ckpt_map_file(const char *path, const char *shown, uint32_t magic, bool verify,
                  ckpt_mapped *out, char *err, size_t err_len) {
  memset(out, 0, sizeof *out);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return sp_err(err, err_len, e == ENOENT ? SPATE_ENOENT : SPATE_EIO, "cannot open file %s: %s",
                  shown, strerror(e));
  }
  struct stat st;
  int rc = 0, e = fstat(fd, &st) != 0 ? errno : 0;
  if (!e && !S_ISREG(st.st_mode)) e = EISDIR;
  if (e) rc = sp_err(err, err_len, SPATE_EIO, "cannot read file %s: %s", shown, strerror(e));
  if (!rc && (uint64_t)st.st_size > SIZE_MAX / 2)
    rc = sp_err(err, err_len, SPATE_ENOMEM, "file %s is too large", shown);
  size_t size = rc ? 0 : (size_t)st.st_size;
  void *map = MAP_FAILED;
  if (!rc && size > 0 &&
      (map = mmap(NULL, size, PROT_READ, MAP_PRIVATE | (verify ? MAP_POPULATE : 0), fd, 0)) ==
          MAP_FAILED)
    rc = sp_err(err, err_len, SPATE_EIO, "cannot map file %s: %s", shown, strerror(errno));
  close(fd);
  if (rc) return rc;
  const uint8_t *b = map == MAP_FAILED ? NULL : map;
  uint64_t plen = 0;
  uint8_t head[HEADER_LEN] = {0};
  size_t got = size < HEADER_LEN ? size : HEADER_LEN;
  if (got) memcpy(head, b, got);
  uint32_t version = 0;
  rc = check_header(head, got, (uint64_t)size, magic, shown, &plen, &version, err, err_len);
  if (rc == 0 && !verify)
    out->checksum = get_le(b + HEADER_LEN + plen, 8); /* what the file claims, unchecked */
  else if (rc == 0) {
    uint64_t stored = get_le(b + HEADER_LEN + plen, 8),
             sum = ckpt_checksum(version, b + HEADER_LEN, plen);
    if (stored != sum)
      rc = sp_err(err, err_len, SPATE_ECORRUPT,
                  "file %s: checksum mismatch (stored %016llx at offset %llu, computed %016llx)",
                  shown, (unsigned long long)stored, (unsigned long long)(HEADER_LEN + plen),
                  (unsigned long long)sum);
    out->checksum = sum;
  }
  if (rc) {
    if (b) munmap(map, size);
    return rc;
  }
  out->map = map;
  out->map_len = size;
  out->version = version;
  out->payload = b + HEADER_LEN;
  out->len = (size_t)plen;
  return 0;
}

void ckpt_unmap(ckpt_mapped *m) {
  if (m && m->map) munmap(m->map, m->map_len);
  if (m) memset(m, 0, sizeof *m);
}

int ckpt_read_file(const char *path, uint32_t magic, uint8_t **payload, size_t *len,
                   uint64_t *checksum, char *err, size_t err_len) {
  return ckpt_read_checked(path, path, magic, payload, len, checksum, err, err_len);
}
