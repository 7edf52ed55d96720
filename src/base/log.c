/*
 * log.c: the logger. The level is a process-wide setting (one process, one log), read with a
 * relaxed atomic on every call so that a disabled level costs one load.
 */
#include "base/log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "spate/spate.h"

static _Atomic int log_level = SP_LOG_INFO;
static _Atomic int log_fd = 2;

void sp_log_set_level(sp_log_level level) { atomic_store(&log_level, (int)level); }
sp_log_level sp_log_get_level(void) {
  return (sp_log_level)atomic_load_explicit(&log_level, memory_order_relaxed);
}

int sp_log_parse_level(const char *s) {
  static const struct {
    const char *name;
    int level;
  } names[] = {
      {"DEBUG", SP_LOG_DEBUG}, {"TRACE", SP_LOG_DEBUG},  {"INFO", SP_LOG_INFO},
      {"WARN", SP_LOG_WARN},   {"WARNING", SP_LOG_WARN}, {"ERROR", SP_LOG_ERROR},
      {"OFF", SP_LOG_OFF},
  };
  if (!s) return -1;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp(s, names[i].name) == 0) return names[i].level;
  return -1;
}

int sp_log_set_file(const char *path) {
  int fd = 2;
  if (path) {
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return SPATE_EIO;
  }
  int old = atomic_exchange(&log_fd, fd);
  if (old != 2) close(old);
  return 0;
}

void sp_log(sp_log_level level, const char *component, const char *fmt, ...) {
  static const char *names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
  if ((int)level < atomic_load_explicit(&log_level, memory_order_relaxed) || level >= SP_LOG_OFF)
    return;
  char line[2048];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  localtime_r(&ts.tv_sec, &tm);
  int n = (int)strftime(line, sizeof line, "%Y-%m-%d %H:%M:%S", &tm);
  n += snprintf(line + n, sizeof line - (size_t)n, ",%03ld %s %s - ", ts.tv_nsec / 1000000L,
                names[level], component ? component : "spate");
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (m < 0) m = 0;
  n += m;
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  ssize_t w = write(atomic_load(&log_fd), line, (size_t)n);
  (void)w;
}
