/*
 * storage_internal.h: what the checkpoint storage files (storage.c, storage_file.c,
 * storage_stream.c, storage_metadata.c, storage_load.c) share and nothing else includes: the
 * file format's constants, small path and I/O helpers, and the two readers that loading builds
 * on.
 */
#ifndef SPATE_CHECKPOINT_STORAGE_INTERNAL_H
#define SPATE_CHECKPOINT_STORAGE_INTERNAL_H
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "checkpoint/storage.h"

#define FILE_VERSION 2u              /* what ckpt_write_file writes: the checksum is XXH3-64 */
#define FILE_VERSION_XXH64 1u        /* still read: the checksum is XXH64 */
#define FILE_VERSION_BLOCKS 3u       /* what streams write: XXH3-64 of the blocks' XXH3-64s */
#define CKPT_BLOCK ((size_t)1 << 20) /* the block of FILE_VERSION_BLOCKS checksums */
#define HEADER_LEN 16                /* magic, version, payload length */
#define TRAILER_LEN 8                /* the checksum */

/* The checksum of a payload in a file of the given version (seed 0); see storage.h for
 * version 3's. (storage_file.c) */
uint64_t ckpt_checksum(uint32_t version, const void *p, size_t n);
#define PATH_CAP 4096
#define METADATA_NAME "_metadata"

static inline void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Feeds one block's checksum into the outer hash of a version 3 checksum. */
static inline void ckpt_put_block_sum(XXH3_state_t *outer, uint64_t sum) {
  uint8_t b[8];
  put_le(b, sum, 8);
  XXH3_64bits_update(outer, b, sizeof b);
}

static inline uint64_t get_le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* <dir>/<name> into out; false if it does not fit. */
static inline bool join(char *out, size_t cap, const char *dir, const char *name) {
  int n = snprintf(out, cap, "%s/%s", dir, name);
  return n >= 0 && (size_t)n < cap;
}

/* A name a checkpoint may refer to: one path component, not hidden (temporary files are). */
static inline bool plain_name(const char *s) {
  return s && s[0] && s[0] != '.' && !strchr(s, '/') && strcmp(s, METADATA_NAME) != 0;
}

/* 0 or an errno. */
static inline int write_all(int fd, const void *p, size_t n) {
  const uint8_t *b = p;
  while (n > 0) {
    ssize_t k = write(fd, b, n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return errno;
    b += k;
    n -= (size_t)k;
  }
  return 0;
}

/* Reads up to n bytes; *got is how many arrived before end of file. 0 or an errno. */
static inline int read_all(int fd, void *p, size_t n, size_t *got) {
  uint8_t *b = p;
  *got = 0;
  while (*got < n) {
    ssize_t k = read(fd, b + *got, n - *got);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return errno;
    if (k == 0) break;
    *got += (size_t)k;
  }
  return 0;
}

/* 0 or an errno. */
static inline int fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int e = fsync(fd) == 0 ? 0 : errno;
  close(fd);
  return e == EINVAL ? 0 : e; /* some file systems cannot sync directories */
}

static inline bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static inline bool is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Reads and verifies a file in the format of storage.h (ckpt_read_file); messages name it as
 * `shown`. (storage_file.c) */
int ckpt_read_checked(const char *path, const char *shown, uint32_t magic, uint8_t **payload,
                      size_t *len, uint64_t *checksum, char *err, size_t err_len);
/* Maps a file in the format of storage.h read-only and checks its framing (magic, version,
 * length against the file's size). With verify also its checksum, as ckpt_read_checked does:
 * out->checksum is then the payload's checksum; without, it is the checksum the file's trailer
 * claims and the payload is unchecked. out->payload and out->len stay valid until ckpt_unmap.
 * Checkpoint files are replaced by rename, never rewritten in place, so a mapping stays the
 * bytes that were verified. (storage_file.c) */
int ckpt_map_file(const char *path, const char *shown, uint32_t magic, bool verify,
                  ckpt_mapped *out, char *err, size_t err_len);
/* Reads <dir>/_metadata; messages name it as "_metadata" (ckpt_read_metadata prefixes the
 * directory). (storage_metadata.c) */
int ckpt_read_metadata_inner(const char *dir, ckpt_metadata *m, char *err, size_t err_len);
#endif
