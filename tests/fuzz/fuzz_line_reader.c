/*
 * fuzz_line_reader.c: the file source's line reader (connectors/line_reader.c) on file contents
 * and on restored split positions, which come from checkpoints.
 *
 * Input: byte 0 parallelism (1 + b % 4), byte 1 split size (1 + b % 32 bytes), byte 2 how many
 * lines to read before a checkpoint (b % 8), byte 3 how many restored splits to make up
 * (b % 4), then 4 bytes for each (start, end, offset, line number, small values around the
 * file's size), then the file's contents.
 *
 * Checks, against a model of the split rule (a line belongs to the split its first byte lies
 * in; split k goes to subtask k % parallelism): every subtask returns exactly its lines in file
 * order, up to the first line with invalid UTF-8, where it fails naming the file. A subtask
 * checkpointed after some lines (line_reader_visit_unfinished) and resumed in a new reader
 * returns exactly the rest, as the checkpointed reader itself does. Made-up splits are either refused with a message, or reading them
 * returns only real lines of the file, or fails with a message.
 */
#include "fuzz.h"

#include "base/err.h"
#include "base/utf8.h"
#include "connectors/line_reader.h"

typedef struct model_line {
  size_t off, len; /* content without the "\n" and a trailing "\r" */
  int subtask;
  int valid; /* UTF-8 */
} model_line;

typedef struct model {
  const uint8_t *text;
  size_t size;
  model_line *lines;
  int n;
} model;

static void build_model(model *m, const uint8_t *text, size_t size, int p, int64_t split) {
  m->text = text;
  m->size = size;
  m->n = 0;
  m->lines = sp_malloc((size + 1) * sizeof *m->lines);
  FUZZ_CHECK(m->lines != NULL, "out of memory");
  for (size_t start = 0; start < size;) {
    const uint8_t *nl = memchr(text + start, '\n', size - start);
    size_t end = nl ? (size_t)(nl - text) : size, len = end - start;
    if (len > 0 && text[end - 1] == '\r') len--;
    m->lines[m->n++] = (model_line){start, len, (int)((int64_t)start / split % p),
                                    sp_utf8_invalid_at((const char *)text + start, len) < 0};
    start = end + 1;
  }
}

/* Reads up to max lines (all when max < 0) of subtask s and compares them with the model from
 * model line *next on; *next moves past what was read. Returns 1 at the end, 0 after max
 * lines, -1 after the failure the model expects. */
static int read_and_compare(line_reader *r, const model *m, int s, int *next, int max,
                            const char *path) {
  for (int k = 0; max < 0 || k < max; k++) {
    while (*next < m->n && m->lines[*next].subtask != s) (*next)++;
    const char *line;
    size_t len;
    int rc = line_reader_next(r, &line, &len);
    if (*next == m->n) {
      FUZZ_CHECK(rc == 0, "subtask %d: %d after its last line (%s)", s, rc,
                 rc < 0 ? line_reader_error(r) : "a line");
      return 1;
    }
    const model_line *want = &m->lines[*next];
    if (!want->valid) {
      FUZZ_CHECK(rc == SPATE_EINVAL && strstr(line_reader_error(r), path),
                 "subtask %d: line at offset %zu has invalid UTF-8, but next gave %d (%s)", s,
                 want->off, rc, rc < 0 ? line_reader_error(r) : "a line");
      return -1;
    }
    FUZZ_CHECK(rc == 1, "subtask %d: %d (%s) instead of the line at offset %zu", s, rc,
               rc < 0 ? line_reader_error(r) : "the end", want->off);
    FUZZ_CHECK(len == want->len && memcmp(line, m->text + want->off, len) == 0,
               "subtask %d: wrong line for offset %zu", s, want->off);
    (*next)++;
  }
  return 0;
}

typedef struct saved {
  lr_split_state *v;
  int n, cap;
} saved;

static int save_split(void *arg, const lr_split_state *s) {
  saved *sv = arg;
  if (sv->n == sv->cap) {
    sv->cap = sv->cap ? 2 * sv->cap : 16;
    sv->v = sp_realloc(sv->v, (size_t)sv->cap * sizeof *sv->v);
    FUZZ_CHECK(sv->v != NULL, "out of memory");
  }
  sv->v[sv->n] = *s;
  sv->v[sv->n].path = sp_strdup(s->path);
  FUZZ_CHECK(sv->v[sv->n].path != NULL, "out of memory");
  sv->n++;
  return 0;
}

static line_reader *open_reader(const char *path, int s, int p, int64_t split) {
  line_reader *r = NULL;
  char err[SP_ERRMSG_MAX] = "";
  const char *paths[] = {path};
  FUZZ_CHECK(line_reader_open(paths, 1, s, p, split, &r, err, sizeof err) == 0, "%s", err);
  return r;
}

/* Subtask s: its first `after` lines, a checkpoint (line_reader_visit_unfinished), the rest;
 * then a new reader resumed from the checkpoint must return that rest again. */
static void check_subtask(const model *m, const char *path, int s, int p, int64_t split,
                          int after) {
  line_reader *r = open_reader(path, s, p, split);
  int next = 0;
  if (read_and_compare(r, m, s, &next, after, path) != 0) { /* ended or failed before */
    line_reader_close(r);
    return;
  }
  saved sv = {0};
  FUZZ_CHECK(line_reader_visit_unfinished(r, save_split, &sv) == 0, "visit failed");
  int at_checkpoint = next;
  read_and_compare(r, m, s, &next, -1, path);
  line_reader_close(r);
  /* The new reader may be of any subtask: the splits say what to read. */
  r = open_reader(path, (s + 1) % p, p, split);
  char err[SP_ERRMSG_MAX] = "";
  int rc = line_reader_resume(r, sv.v, sv.n, err, sizeof err);
  FUZZ_CHECK(rc == 0, "subtask %d resuming after %d lines: %s", s, after, err);
  next = at_checkpoint;
  read_and_compare(r, m, s, &next, -1, path);
  line_reader_close(r);
  for (int i = 0; i < sv.n; i++) sp_free((char *)sv.v[i].path);
  sp_free(sv.v);
}

/* Made-up restored splits: refused, or only real lines come out. */
static void check_made_up(const model *m, const char *path, const lr_split_state *v, int n) {
  line_reader *r = open_reader(path, 0, 1, 0);
  char err[SP_ERRMSG_MAX] = "";
  int rc = line_reader_resume(r, v, n, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(err[0], "resume refused (%d) without a message", rc);
    line_reader_close(r);
    return;
  }
  const char *line;
  size_t len;
  int got = 0;
  while ((rc = line_reader_next(r, &line, &len)) == 1) {
    FUZZ_CHECK(++got <= 4 * (m->n + 1), "more lines than the splits can hold");
    int real = 0;
    for (int i = 0; i < m->n && !real; i++)
      real = m->lines[i].len == len && memcmp(m->text + m->lines[i].off, line, len) == 0;
    FUZZ_CHECK(real, "a line that is not a line of the file came out of a made-up split");
  }
  FUZZ_CHECK(rc == 0 || line_reader_error(r)[0], "failed (%d) without a message", rc);
  line_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  int p = 1 + data[0] % 4;
  int64_t split = 1 + data[1] % 32;
  int after = data[2] % 8;
  int nmade = data[3] % 4;
  size_t head = 4 + 4 * (size_t)nmade;
  if (size < head) return 0;
  const uint8_t *text = data + head;
  size_t tsize = size - head;

  char path[4200];
  fuzz_path(path, sizeof path, "input.txt");
  fuzz_write_file(path, text, tsize);
  model m;
  build_model(&m, text, tsize, p, split);
  for (int s = 0; s < p; s++) check_subtask(&m, path, s, p, split, after);

  lr_split_state made[3];
  for (int i = 0; i < nmade; i++) {
    const uint8_t *b = data + 4 + 4 * i;
    int64_t span = (int64_t)tsize + 3;
    made[i] = (lr_split_state){.path = path,
                               .size = (int64_t)tsize,
                               .start = b[0] % span - 1,
                               .end = b[1] % span - 1,
                               .offset = b[2] % span - 1,
                               .line_no = (int64_t)b[3] - 1};
  }
  if (nmade > 0) check_made_up(&m, path, made, nmade);
  sp_free(m.lines);
  return 0;
}
