/*
 * config_keys.h: the table of every configuration key Spate understands (config_keys.c), shared
 * by the configuration store (config.c) and nothing else: Flink's name, an optional second name,
 * the type, the default, the bounds and a one-line description of each key.
 */
#ifndef SPATE_BASE_CONFIG_KEYS_H
#define SPATE_BASE_CONFIG_KEYS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KB INT64_C(1024)
#define MB (KB * 1024)
#define GB (MB * 1024)

typedef enum key_type {
  KT_INT,      /* integer within [min, max] (or -1 when or_minus_one) */
  KT_BOOL,     /* true / false, case-insensitive */
  KT_DURATION, /* Flink TimeUtils syntax, stored in milliseconds, within [min, max] */
  KT_MEMORY,   /* Flink MemorySize syntax, stored in bytes, within [min, max] */
  KT_DOUBLE,   /* decimal number ("1.5", "2", "1e-3"), within [dmin, dmax] (dmin excluded if
                  dmin_open) */
  KT_STRING,   /* any non-empty text */
  KT_ENUM,     /* one of choices (or their synonyms), case-insensitive, stored as the index */
  KT_LOGLEVEL, /* sp_log_parse_level names, stored as the sp_log_level */
  KT_IGNORED,  /* a Flink key without meaning in Spate: accepted with a warning, not stored */
} key_type;

/* Rows are written with designated initializers: fields a row does not name are zero. */
typedef struct key_def {
  const char *name;
  const char *alias;   /* another Flink name for the same key, or NULL */
  bool alias_is_newer; /* alias is the name newer Flink versions (1.20) give the key; it is
                          accepted without the warning a deprecated name gets */
  key_type type;
  const char *def;   /* default in the same text form a user would write; NULL = no default */
  int64_t min, max;  /* inclusive bounds for int, duration (ms) and memory (bytes) keys */
  bool or_minus_one; /* int keys: -1 is accepted as "not set" besides [min, max] */
  double dmin, dmax; /* bounds of double keys, inclusive unless dmin_open */
  bool dmin_open;
  const char *const *choices;  /* enum keys: NULL-terminated canonical names */
  const char *const *synonyms; /* enum keys, optional: per choice, NULL or other accepted
                                  spellings separated by '|' */
  const char *desc;
} key_def;

/* The canonical names of sp_log_level values, indexed by the level, NULL-terminated. */
extern const char *const config_log_level_names[];

/* The key named key (by its name or its alias), or NULL. A row whose name has a "*" component
 * is a pattern: "*" stands for one component of the key (one or more characters without a dot),
 * as the reporter name in metrics.reporter.<name>.port. Exact names are tried first. */
const key_def *config_find_def(const char *key);
/* Whether d is a pattern row (several keys share it). */
bool config_def_is_pattern(const key_def *d);
#endif
