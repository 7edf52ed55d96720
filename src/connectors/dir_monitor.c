/*
 * dir_monitor.c: a directory's files read once each as they appear (see dir_monitor.h). The
 * names seen are kept in two lists, done and queued, looked up linearly at each scan: a
 * monitored directory of many thousands of files would want a hash set here.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "connectors/dir_monitor.h"

typedef struct name_list {
  char **v;
  int n, cap;
} name_list;

struct dir_monitor {
  char *dir;
  int64_t interval;
  int64_t next_scan; /* INT64_MIN: scan at the next call */
  name_list done;    /* read to their end */
  name_list queue;   /* not yet; queue.v[head] is being read when lr is set */
  int head;
  line_reader *lr;
  char *cur_path; /* dir/queue.v[head] while lr is set */
  int started;
  char err[SP_ERRMSG_MAX];
};

static int list_push(name_list *l, const char *s) {
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 16;
    char **v = sp_realloc(l->v, sizeof *v * (size_t)cap);
    if (!v) return SPATE_ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  if (!(l->v[l->n] = sp_strdup(s))) return SPATE_ENOMEM;
  l->n++;
  return 0;
}

static void list_free(name_list *l) {
  for (int i = 0; i < l->n; i++) sp_free(l->v[i]);
  sp_free(l->v);
  *l = (name_list){0};
}

static bool list_has(const name_list *l, const char *s, int from) {
  for (int i = from; i < l->n; i++)
    if (strcmp(l->v[i], s) == 0) return true;
  return false;
}

int dir_monitor_open(const char *dir, int64_t interval_ms, dir_monitor **out, char *err,
                     size_t err_len) {
  *out = NULL;
  struct stat st;
  if (stat(dir, &st) < 0)
    return sp_err(err, err_len, errno == ENOENT ? SPATE_ENOENT : SPATE_EIO,
                  "cannot monitor directory '%s': %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return sp_err(err, err_len, SPATE_EINVAL, "cannot monitor '%s': not a directory", dir);
  dir_monitor *m = sp_calloc(1, sizeof *m);
  if (!m || !(m->dir = sp_strdup(dir))) {
    sp_free(m);
    return SPATE_ENOMEM;
  }
  m->interval = interval_ms;
  m->next_scan = INT64_MIN;
  *out = m;
  return 0;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int dir_monitor_sort_names(char **names, int n) {
  if (n <= 1) return n;
  qsort(names, (size_t)n, sizeof *names, cmp_names);
  int k = 1;
  for (int i = 1; i < n; i++)
    if (strcmp(names[i], names[k - 1]) == 0)
      sp_free(names[i]);
    else
      names[k++] = names[i];
  return k;
}

/* Lists the directory and queues the files not seen before, in name order. */
static int scan(dir_monitor *m) {
  DIR *d = opendir(m->dir);
  if (!d)
    return sp_err(m->err, sizeof m->err, SPATE_EIO, "cannot list directory '%s': %s", m->dir,
                  strerror(errno));
  name_list found = {0};
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d))) {
    if (e->d_name[0] == '.' || e->d_name[0] == '_') continue;
    if (list_has(&m->done, e->d_name, 0) || list_has(&m->queue, e->d_name, m->head)) continue;
    struct stat st; /* follows symlinks, as stat of the joined path would */
    if (fstatat(dirfd(d), e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
      rc = list_push(&found, e->d_name);
  }
  closedir(d);
  if (rc == 0) found.n = dir_monitor_sort_names(found.v, found.n);
  for (int i = 0; i < found.n && rc == 0; i++) rc = list_push(&m->queue, found.v[i]);
  list_free(&found);
  return rc;
}

/* Opens the reader on queue.v[head]. */
static int begin_file(dir_monitor *m) {
  const char *name = m->queue.v[m->head];
  size_t n = strlen(m->dir) + strlen(name) + 2;
  if (!(m->cur_path = sp_malloc(n))) return SPATE_ENOMEM;
  snprintf(m->cur_path, n, "%s/%s", m->dir, name);
  const char *p = m->cur_path;
  return line_reader_open(&p, 1, 0, 1, 0, &m->lr, m->err, sizeof m->err);
}

/* The current file is read: it moves to done. */
static int end_file(dir_monitor *m) {
  if (m->lr) line_reader_close(m->lr);
  m->lr = NULL;
  sp_free(m->cur_path);
  m->cur_path = NULL;
  int rc = list_push(&m->done, m->queue.v[m->head]);
  sp_free(m->queue.v[m->head]);
  m->queue.v[m->head++] = NULL;
  return rc;
}

int dir_monitor_next(dir_monitor *m, int64_t now, const char **line, size_t *len,
                     int64_t *wake_at) {
  m->started = 1;
  for (;;) {
    int rc;
    if (m->lr) {
      rc = line_reader_next(m->lr, line, len);
      if (rc == 1) return 1;
      if (rc < 0) {
        snprintf(m->err, sizeof m->err, "%s", line_reader_error(m->lr));
        return rc;
      }
      if ((rc = end_file(m)) < 0) return rc;
      continue;
    }
    if (m->head < m->queue.n) {
      rc = begin_file(m);
      if (rc == SPATE_ENOENT) { /* removed since the scan (or before a restore): nothing to read */
        SP_WARN("dir_monitor", "Skipping %s: it was removed before it was read", m->cur_path);
        rc = end_file(m);
      }
      if (rc < 0) return rc;
      continue;
    }
    if (m->next_scan != INT64_MIN && now < m->next_scan) {
      *wake_at = m->next_scan;
      return 0;
    }
    if ((rc = scan(m)) < 0) return rc;
    m->next_scan = now + m->interval;
    if (m->head == m->queue.n) {
      *wake_at = m->next_scan;
      return 0;
    }
  }
}

const char *dir_monitor_error(const dir_monitor *m) { return m->err; }

void dir_monitor_last_line(const dir_monitor *m, const char **path, int64_t *line_no,
                           int64_t *offset) {
  line_reader_last_line(m->lr, path, line_no, offset);
}

typedef struct visit_arg {
  int (*fn)(void *arg, const dm_entry *e);
  void *arg;
  const char *name;
} visit_arg;

static int visit_split(void *arg, const lr_split_state *s) {
  visit_arg *v = arg;
  dm_entry e = {.name = v->name, .queued = 1, .split = s};
  return v->fn(v->arg, &e);
}

int dir_monitor_visit(const dir_monitor *m, int (*fn)(void *arg, const dm_entry *e), void *arg) {
  int rc = 0;
  for (int i = 0; i < m->done.n && rc == 0; i++) rc = fn(arg, &(dm_entry){.name = m->done.v[i]});
  for (int i = m->head; i < m->queue.n && rc == 0; i++) {
    bool reading = i == m->head && m->lr;
    rc = fn(arg, &(dm_entry){.name = m->queue.v[i], .queued = 1, .reading = reading});
    if (rc == 0 && reading) {
      visit_arg v = {fn, arg, m->queue.v[i]};
      rc = line_reader_visit_unfinished(m->lr, visit_split, &v);
    }
  }
  return rc;
}

int dir_monitor_resume(dir_monitor *m, const dm_entry *entries, int n, char *err, size_t err_len) {
  if (m->started || m->done.n || m->queue.n)
    return sp_err(err, err_len, SPATE_ESTATE, "the directory monitor already started");
  int i = 0, rc = 0;
  for (; i < n && rc == 0 && !entries[i].queued; i++)
    if (entries[i].split)
      rc = SPATE_ECORRUPT;
    else
      rc = list_push(&m->done, entries[i].name);
  int reading = -1, nsplits = 0;
  for (; i < n && rc == 0; i++) {
    const dm_entry *e = &entries[i];
    if (!e->queued) {
      rc = SPATE_ECORRUPT;
    } else if (e->split) { /* a split of the file being read: right after its name */
      if (reading < 0 || reading != m->queue.n - 1 || strcmp(e->name, m->queue.v[reading]) != 0)
        rc = SPATE_ECORRUPT;
      nsplits++;
    } else {
      if (e->reading && (m->queue.n != 0 || reading >= 0)) rc = SPATE_ECORRUPT;
      if (rc == 0) rc = list_push(&m->queue, e->name);
      if (e->reading) reading = m->queue.n - 1;
    }
  }
  if (rc == SPATE_ECORRUPT)
    return sp_err(err, err_len, rc, "the restored position of directory '%s' is malformed", m->dir);
  if (rc < 0 || reading < 0) return rc;
  if (nsplits == 0) /* it was read to its end */
    return end_file(m);
  lr_split_state *splits = sp_calloc((size_t)nsplits, sizeof *splits);
  if (!splits) return SPATE_ENOMEM;
  if ((rc = begin_file(m)) < 0) {
    snprintf(err, err_len, "%s", m->err);
    sp_free(splits);
    return rc;
  }
  int k = 0;
  for (int j = 0; j < n; j++)
    if (entries[j].split) {
      splits[k] = *entries[j].split;
      splits[k++].path = m->cur_path; /* as the reader names its one input */
    }
  rc = line_reader_resume(m->lr, splits, nsplits, err, err_len);
  sp_free(splits);
  return rc;
}

void dir_monitor_close(dir_monitor *m) {
  if (!m) return;
  if (m->lr) line_reader_close(m->lr);
  list_free(&m->done);
  list_free(&m->queue);
  sp_free(m->cur_path);
  sp_free(m->dir);
  sp_free(m);
}
