/*
 * log.h: leveled logging to stderr (or a file), one line per call, prefixed like Flink's log4j
 * pattern: "2026-11-21 05:03:52,123 INFO  component - message". Thread-safe; a line is written
 * with one write() so lines from different threads never interleave.
 */
#ifndef SPATE_BASE_LOG_H
#define SPATE_BASE_LOG_H

typedef enum sp_log_level {
  SP_LOG_DEBUG = 0,
  SP_LOG_INFO = 1,
  SP_LOG_WARN = 2,
  SP_LOG_ERROR = 3,
  SP_LOG_OFF = 4,
} sp_log_level;

void sp_log_set_level(sp_log_level level);
sp_log_level sp_log_get_level(void);
/* "DEBUG", "INFO", "WARN"/"WARNING", "ERROR", "OFF", case-insensitive; -1 if unknown. */
int sp_log_parse_level(const char *s);
/* Redirects logging to a file (append); NULL goes back to stderr. Returns 0 or SPATE_EIO. */
int sp_log_set_file(const char *path);
void sp_log(sp_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define SP_DEBUG(comp, ...)                                                          \
  do {                                                                               \
    if (sp_log_get_level() <= SP_LOG_DEBUG) sp_log(SP_LOG_DEBUG, comp, __VA_ARGS__); \
  } while (0)
#define SP_INFO(comp, ...) sp_log(SP_LOG_INFO, comp, __VA_ARGS__)
#define SP_WARN(comp, ...) sp_log(SP_LOG_WARN, comp, __VA_ARGS__)
#define SP_ERROR(comp, ...) sp_log(SP_LOG_ERROR, comp, __VA_ARGS__)
#endif
