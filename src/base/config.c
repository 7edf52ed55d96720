/*
 * config.c: the configuration store, the parsing of values, and the YAML loader. Every key
 * Spate understands is a row of the table in config_keys.c (Flink's name and alias, type,
 * default, bounds, description); a key not in it is refused.
 *
 * A config is a small array of explicitly set keys in the order they were first set, each holding
 * the text it was given (what sp_config_each reports, so encoding and re-parsing round-trips) and
 * its parsed form (what the getters return). Unset keys read as the table default, parsed on
 * demand: defaults are constants, so there is nothing to cache.
 *
 * The YAML loader walks libyaml's event stream, flattening nested mappings into dotted keys the
 * way Flink's config.yaml does. Loading is all-or-nothing: the file is applied to a copy that
 * replaces the config only when every key and value was accepted.
 */
#include "base/config.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "base/alloc.h"
#include "base/config_keys.h"
#include "base/err.h"
#include "base/log.h"
#include "spate/spate.h"

#define LOG_COMP "config"

/* Nested mappings deeper than this are certainly a mistake (real keys have at most six parts);
 * the bound keeps a hostile file from exhausting the stack through recursion. */
#define MAX_YAML_DEPTH 32

/* The parsed form of a value: num for int (and 0/1, milliseconds, bytes, enum index, log level),
 * dbl for double keys; strings keep only their text. */
typedef struct parsed {
  int64_t num;
  double dbl;
} parsed;

/* One explicitly set key. value is owned; p holds its parsed form. key is the name as set when
 * def is a pattern (metrics.reporter.*.port: one def, a key per reporter; owned), else NULL. */
typedef struct entry {
  const key_def *def;
  char *key;
  char *value;
  parsed p;
} entry;

/* Invariant: at most one entry per key_def (per key, for pattern defs), in the order keys were
 * first set. */
struct sp_config {
  entry *v;
  size_t n, cap;
};

/* Misuse by the caller (unknown key, wrong getter) is a bug in Spate, not bad input, so it stops
 * the process in every build rather than returning a value that looks valid. */
#define CONFIG_CHECK(cond, key)                                                            \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "spate: config: programming error on key '%s': %s\n", (key), #cond); \
      abort();                                                                             \
    }                                                                                      \
  } while (0)

/* The entry of key, whose def is d. */
static entry *find_entry(const sp_config *c, const key_def *d, const char *key) {
  for (size_t i = 0; i < c->n; i++)
    if (c->v[i].def == d && (!c->v[i].key || strcmp(c->v[i].key, key) == 0)) return &c->v[i];
  return NULL;
}

/* ---- value parsing ------------------------------------------------------------------------ */

/* Copies s without surrounding ASCII whitespace into buf; returns false if it does not fit. */
static bool trim_copy(const char *s, char *buf, size_t cap) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
  if (n >= cap) return false;
  memcpy(buf, s, n);
  buf[n] = '\0';
  return true;
}

/* Flink's duration and memory syntax: digits, optional blanks, optional unit label. Returns the
 * number in *num and the lower-cased unit in unit (empty when absent). */
static bool split_number_unit(const char *s, uint64_t *num, char *unit, size_t unit_cap) {
  char buf[128];
  if (!trim_copy(s, buf, sizeof buf)) return false;
  const char *p = buf;
  if (!isdigit((unsigned char)*p)) return false;
  uint64_t v = 0;
  for (; isdigit((unsigned char)*p); p++) {
    uint64_t d = (uint64_t)(*p - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  while (*p == ' ' || *p == '\t') p++;
  size_t n = strlen(p);
  if (n >= unit_cap) return false;
  /* ASCII-only lowering leaves the bytes of "µs" untouched, which is what we compare against. */
  for (size_t i = 0; i <= n; i++) unit[i] = (char)tolower((unsigned char)p[i]);
  *num = v;
  return true;
}

static bool parse_int(const char *s, int64_t *out) {
  char buf[64];
  if (!trim_copy(s, buf, sizeof buf) || buf[0] == '\0') return false;
  const char *p = buf;
  if (*p == '+' || *p == '-') p++;
  if (!isdigit((unsigned char)*p)) return false; /* strtoll would also take "0x", blanks, ... */
  for (const char *q = p; *q; q++)
    if (!isdigit((unsigned char)*q)) return false;
  errno = 0;
  long long v = strtoll(buf, NULL, 10);
  if (errno == ERANGE) return false;
  *out = v;
  return true;
}

typedef struct unit_def {
  const char *label;
  int64_t mul, div; /* value = number * mul / div, in the stored unit */
} unit_def;

/* Labels of Flink's TimeUtils (and "us" as the ASCII spelling of µs), relative to milliseconds.
 * Sub-millisecond values truncate, as Duration.toMillis() does. */
static const unit_def duration_units[] = {
    {"ns", 1, 1000000},
    {"nano", 1, 1000000},
    {"nanos", 1, 1000000},
    {"nanosecond", 1, 1000000},
    {"nanoseconds", 1, 1000000},
    {"us", 1, 1000},
    {"\xc2\xb5s", 1, 1000},
    {"micro", 1, 1000},
    {"micros", 1, 1000},
    {"microsecond", 1, 1000},
    {"microseconds", 1, 1000},
    {"", 1, 1},
    {"ms", 1, 1},
    {"milli", 1, 1},
    {"millis", 1, 1},
    {"millisecond", 1, 1},
    {"milliseconds", 1, 1},
    {"s", 1000, 1},
    {"sec", 1000, 1},
    {"secs", 1000, 1},
    {"second", 1000, 1},
    {"seconds", 1000, 1},
    {"m", 60000, 1},
    {"min", 60000, 1},
    {"minute", 60000, 1},
    {"minutes", 60000, 1},
    {"h", 3600000, 1},
    {"hour", 3600000, 1},
    {"hours", 3600000, 1},
    {"d", 86400000, 1},
    {"day", 86400000, 1},
    {"days", 86400000, 1},
};

/* Labels of Flink's MemorySize; multiples are binary. */
static const unit_def memory_units[] = {
    {"", 1, 1},          {"b", 1, 1},          {"bytes", 1, 1},
    {"k", KB, 1},        {"kb", KB, 1},        {"kibibytes", KB, 1},
    {"m", MB, 1},        {"mb", MB, 1},        {"mebibytes", MB, 1},
    {"g", GB, 1},        {"gb", GB, 1},        {"gibibytes", GB, 1},
    {"t", GB * 1024, 1}, {"tb", GB * 1024, 1}, {"tebibytes", GB * 1024, 1},
};

static bool parse_with_units(const char *s, const unit_def *units, size_t nunits, int64_t *out) {
  uint64_t num;
  char unit[32];
  if (!split_number_unit(s, &num, unit, sizeof unit)) return false;
  for (size_t i = 0; i < nunits; i++) {
    if (strcmp(units[i].label, unit) != 0) continue;
    uint64_t mul = (uint64_t)units[i].mul;
    if (num > (uint64_t)INT64_MAX / mul) return false;
    *out = (int64_t)(num * mul) / units[i].div;
    return true;
  }
  return false;
}

bool sp_parse_duration_ms(const char *s, int64_t *out) {
  return parse_with_units(s, duration_units, sizeof duration_units / sizeof duration_units[0], out);
}

bool sp_parse_memory_size(const char *s, int64_t *out) {
  return parse_with_units(s, memory_units, sizeof memory_units / sizeof memory_units[0], out);
}

/* Java's Double.parseDouble for decimal text: optional sign, digits with an optional fraction,
 * optional exponent. strtod alone would also take "inf", "nan", hex and leading blanks. */
static bool parse_double(const char *s, double *out) {
  char buf[64];
  if (!trim_copy(s, buf, sizeof buf)) return false;
  const char *p = buf;
  if (*p == '+' || *p == '-') p++;
  size_t digits = 0;
  for (; isdigit((unsigned char)*p); p++) digits++;
  if (*p == '.')
    for (p++; isdigit((unsigned char)*p); p++) digits++;
  if (digits == 0) return false;
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p)) return false;
    while (isdigit((unsigned char)*p)) p++;
  }
  if (*p != '\0') return false;
  char *end;
  double v = strtod(buf, &end);
  if (*end != '\0' || !isfinite(v)) return false; /* overflow gives HUGE_VAL */
  *out = v;
  return true;
}

static bool parse_bool(const char *s, int64_t *out) {
  char buf[16];
  if (!trim_copy(s, buf, sizeof buf)) return false;
  if (strcasecmp(buf, "true") == 0)
    *out = 1;
  else if (strcasecmp(buf, "false") == 0)
    *out = 0;
  else
    return false;
  return true;
}

/* True if word is one of the '|'-separated spellings in list, ignoring case. */
static bool in_synonyms(const char *word, const char *list) {
  size_t n = strlen(word);
  for (const char *p = list; *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && strncasecmp(p, word, n) == 0) return true;
    p += len + (bar != NULL);
  }
  return false;
}

static bool parse_choice(const char *s, const char *const *choices, const char *const *synonyms,
                         int64_t *out) {
  char buf[64];
  if (!trim_copy(s, buf, sizeof buf)) return false;
  for (int64_t i = 0; choices[i]; i++)
    if (strcasecmp(buf, choices[i]) == 0 ||
        (synonyms && synonyms[i] && in_synonyms(buf, synonyms[i]))) {
      *out = i;
      return true;
    }
  return false;
}

/* Parses value for d into *out (unused for strings). Returns false if the value is not valid
 * for the key, bounds included. */
static bool parse_value(const key_def *d, const char *value, parsed *out) {
  int64_t v = 0;
  double dbl = 0;
  switch (d->type) {
  case KT_INT:
    if (!parse_int(value, &v)) return false;
    if (!(d->or_minus_one && v == -1) && (v < d->min || v > d->max)) return false;
    break;
  case KT_BOOL:
    if (!parse_bool(value, &v)) return false;
    break;
  case KT_DURATION:
    if (!parse_with_units(value, duration_units, sizeof duration_units / sizeof duration_units[0],
                          &v))
      return false;
    if (v < d->min || v > d->max) return false;
    break;
  case KT_MEMORY:
    if (!parse_with_units(value, memory_units, sizeof memory_units / sizeof memory_units[0], &v))
      return false;
    if (v < d->min || v > d->max) return false;
    break;
  case KT_DOUBLE:
    if (!parse_double(value, &dbl)) return false;
    if (dbl < d->dmin || (d->dmin_open && dbl == d->dmin) || dbl > d->dmax) return false;
    break;
  case KT_STRING:
    if (value[0] == '\0') return false;
    break;
  case KT_ENUM:
    if (!parse_choice(value, d->choices, d->synonyms, &v)) return false;
    break;
  case KT_LOGLEVEL: {
    char buf[16];
    if (!trim_copy(value, buf, sizeof buf)) return false;
    int level = sp_log_parse_level(buf);
    if (level < 0) return false;
    v = level;
    break;
  }
  case KT_IGNORED: break;
  }
  out->num = v;
  out->dbl = dbl;
  return true;
}

/* Writes "1 gb", "32 kb" or "100 b" for a bound, whichever unit divides it. */
static void format_bytes(int64_t b, char *buf, size_t cap) {
  if (b != 0 && b % GB == 0)
    snprintf(buf, cap, "%" PRId64 " gb", b / GB);
  else if (b != 0 && b % MB == 0)
    snprintf(buf, cap, "%" PRId64 " mb", b / MB);
  else if (b != 0 && b % KB == 0)
    snprintf(buf, cap, "%" PRId64 " kb", b / KB);
  else
    snprintf(buf, cap, "%" PRId64 " b", b);
}

/* Describes what d accepts, for the "(expected ...)" part of a message. */
static void describe_expected(const key_def *d, char *buf, size_t cap) {
  switch (d->type) {
  case KT_INT:
    if (d->or_minus_one)
      snprintf(buf, cap, "-1 or an integer between %" PRId64 " and %" PRId64, d->min, d->max);
    else if (d->max == INT32_MAX)
      snprintf(buf, cap, "an integer >= %" PRId64, d->min);
    else
      snprintf(buf, cap, "an integer between %" PRId64 " and %" PRId64, d->min, d->max);
    break;
  case KT_BOOL: snprintf(buf, cap, "true or false"); break;
  case KT_DURATION:
    if (d->min > 0)
      snprintf(buf, cap,
               "a duration of at least %" PRId64 " ms such as '100 ms', '10 s' or '5 min'", d->min);
    else
      snprintf(buf, cap, "a duration such as '100 ms', '10 s' or '5 min'");
    break;
  case KT_MEMORY: {
    char lo[32], hi[32];
    format_bytes(d->min, lo, sizeof lo);
    format_bytes(d->max, hi, sizeof hi);
    snprintf(buf, cap, "a memory size between %s and %s such as '32 kb' or '4 mb'", lo, hi);
    break;
  }
  case KT_DOUBLE:
    if (d->dmax == DBL_MAX)
      snprintf(buf, cap, "a number %s %g", d->dmin_open ? "greater than" : ">=", d->dmin);
    else if (d->dmin_open)
      snprintf(buf, cap, "a number greater than %g and at most %g", d->dmin, d->dmax);
    else
      snprintf(buf, cap, "a number between %g and %g", d->dmin, d->dmax);
    break;
  case KT_STRING: snprintf(buf, cap, "a non-empty string"); break;
  case KT_ENUM:
  case KT_LOGLEVEL: {
    /* Every accepted spelling, synonyms after their canonical name. */
    const char *const *names = d->type == KT_ENUM ? d->choices : config_log_level_names;
    size_t off = (size_t)snprintf(buf, cap, "one of ");
    for (size_t i = 0; names[i] && off < cap; i++) {
      off += (size_t)snprintf(buf + off, cap - off, "%s%s", i ? ", " : "", names[i]);
      const char *syn = d->synonyms ? d->synonyms[i] : NULL;
      for (const char *p = syn; p && *p && off < cap;) {
        const char *bar = strchr(p, '|');
        int len = bar ? (int)(bar - p) : (int)strlen(p);
        off += (size_t)snprintf(buf + off, cap - off, ", %.*s", len, p);
        p += len + (bar != NULL);
      }
    }
    break;
  }
  case KT_IGNORED: snprintf(buf, cap, "anything"); break;
  }
}

/* ---- store -------------------------------------------------------------------------------- */

sp_config *sp_config_new(void) { return sp_calloc(1, sizeof(sp_config)); }

void sp_config_free(sp_config *c) {
  if (!c) return;
  for (size_t i = 0; i < c->n; i++) {
    sp_free(c->v[i].value);
    sp_free(c->v[i].key);
  }
  sp_free(c->v);
  sp_free(c);
}

sp_config *sp_config_clone(const sp_config *c) {
  sp_config *k = sp_config_new();
  if (!k) return NULL;
  if (c->n) {
    k->v = sp_calloc(c->n, sizeof(entry));
    if (!k->v) goto fail;
    k->cap = c->n;
    for (size_t i = 0; i < c->n; i++) {
      k->v[i] = c->v[i];
      k->v[i].value = sp_strdup(c->v[i].value);
      k->v[i].key = c->v[i].key ? sp_strdup(c->v[i].key) : NULL;
      k->n++;
      if (!k->v[i].value || (c->v[i].key && !k->v[i].key)) goto fail;
    }
  }
  return k;
fail:
  sp_config_free(k);
  return NULL;
}

/* Validates and stores one value. key_loc and val_loc prefix messages about the key and the
 * value ("conf/config.yaml:7", "-D a=b"); in YAML they may be different lines. */
static int set_value(sp_config *c, const char *key, const char *value, const char *key_loc,
                     const char *val_loc, char *err, size_t err_len) {
  const key_def *d = config_find_def(key);
  if (!d)
    return sp_err(err, err_len, SPATE_EINVAL, "%s: unknown configuration key '%s'", key_loc, key);
  if (d->type == KT_IGNORED) {
    SP_WARN(LOG_COMP, "%s: ignoring configuration key '%s': %s", key_loc, key, d->desc);
    return 0;
  }
  parsed pv;
  if (!parse_value(d, value, &pv)) {
    char expected[256];
    describe_expected(d, expected, sizeof expected);
    return sp_err(err, err_len, SPATE_EINVAL, "%s: invalid value '%s' for %s (expected %s)",
                  val_loc, value, config_def_is_pattern(d) ? key : d->name, expected);
  }
  if (d->alias && !d->alias_is_newer && strcmp(key, d->alias) == 0)
    SP_WARN(LOG_COMP, "%s: configuration key '%s' is deprecated, use '%s'", key_loc, key, d->name);

  char *copy = sp_strdup(value);
  if (!copy) return sp_err(err, err_len, SPATE_ENOMEM, "%s: out of memory", val_loc);
  entry *e = find_entry(c, d, key);
  if (!e) {
    char *pkey = config_def_is_pattern(d) ? sp_strdup(key) : NULL;
    if (config_def_is_pattern(d) && !pkey) {
      sp_free(copy);
      return sp_err(err, err_len, SPATE_ENOMEM, "%s: out of memory", val_loc);
    }
    if (c->n == c->cap) {
      size_t cap = c->cap ? c->cap * 2 : 8;
      entry *v = sp_realloc(c->v, cap * sizeof(entry));
      if (!v) {
        sp_free(copy);
        sp_free(pkey);
        return sp_err(err, err_len, SPATE_ENOMEM, "%s: out of memory", val_loc);
      }
      c->v = v;
      c->cap = cap;
    }
    e = &c->v[c->n++];
    e->def = d;
    e->key = pkey;
    e->value = NULL;
  }
  sp_free(e->value);
  e->value = copy;
  e->p = pv;
  return 0;
}

int sp_config_set(sp_config *c, const char *key, const char *value, const char *origin, char *err,
                  size_t err_len) {
  const char *loc = origin ? origin : "code";
  if (!key || !*key) return sp_err(err, err_len, SPATE_EINVAL, "%s: empty configuration key", loc);
  if (!value)
    return sp_err(err, err_len, SPATE_EINVAL, "%s: missing value for configuration key '%s'", loc,
                  key);
  return set_value(c, key, value, loc, loc, err, err_len);
}

int sp_config_set_kv(sp_config *c, const char *kv, char *err, size_t err_len) {
  const char *eq = strchr(kv, '=');
  if (!eq) return sp_err(err, err_len, SPATE_EINVAL, "-D %s: expected key=value", kv);
  const char *ks = kv, *ke = eq;
  while (ks < ke && isspace((unsigned char)*ks)) ks++;
  while (ke > ks && isspace((unsigned char)ke[-1])) ke--;
  if (ks == ke) return sp_err(err, err_len, SPATE_EINVAL, "-D %s: empty configuration key", kv);
  char *key = sp_strndup(ks, (size_t)(ke - ks));
  size_t loc_len = strlen(kv) + 4;
  char *loc = sp_malloc(loc_len);
  int rc;
  if (!key || !loc) {
    rc = sp_err(err, err_len, SPATE_ENOMEM, "-D %s: out of memory", kv);
    goto out;
  }
  snprintf(loc, loc_len, "-D %s", kv);
  rc = set_value(c, key, eq + 1, loc, loc, err, err_len);
out:
  sp_free(key);
  sp_free(loc);
  return rc;
}

bool sp_config_is_set(const sp_config *c, const char *key) {
  const key_def *d = config_find_def(key);
  CONFIG_CHECK(d != NULL, key);
  return find_entry(c, d, key) != NULL;
}

/* The parsed value of key (set value or default), checking the getter matches the key's type
 * and that a key without default is set. */
static parsed get_parsed(const sp_config *c, const char *key, key_type type) {
  const key_def *d = config_find_def(key);
  CONFIG_CHECK(d != NULL, key);
  CONFIG_CHECK(d->type == type, key);
  const entry *e = find_entry(c, d, key);
  if (e) return e->p;
  parsed v = {0, 0};
  CONFIG_CHECK(d->def != NULL && parse_value(d, d->def, &v), key);
  return v;
}

static int64_t get_num(const sp_config *c, const char *key, key_type type) {
  return get_parsed(c, key, type).num;
}

int64_t sp_config_int(const sp_config *c, const char *key) { return get_num(c, key, KT_INT); }
bool sp_config_bool(const sp_config *c, const char *key) { return get_num(c, key, KT_BOOL) != 0; }
int64_t sp_config_duration_ms(const sp_config *c, const char *key) {
  return get_num(c, key, KT_DURATION);
}
int64_t sp_config_bytes(const sp_config *c, const char *key) { return get_num(c, key, KT_MEMORY); }
double sp_config_double(const sp_config *c, const char *key) {
  return get_parsed(c, key, KT_DOUBLE).dbl;
}

const char *sp_config_str(const sp_config *c, const char *key) {
  const key_def *d = config_find_def(key);
  CONFIG_CHECK(d != NULL, key);
  switch (d->type) {
  case KT_STRING: {
    const entry *e = find_entry(c, d, key);
    return e ? e->value : d->def;
  }
  case KT_ENUM:
    if (!d->def && !find_entry(c, d, key)) return NULL;
    return d->choices[get_num(c, key, KT_ENUM)];
  case KT_LOGLEVEL: return config_log_level_names[get_num(c, key, KT_LOGLEVEL)];
  default: CONFIG_CHECK(!"sp_config_str on a key that is not a string", key); return NULL;
  }
}

void sp_config_each(const sp_config *c, void (*fn)(void *arg, const char *key, const char *value),
                    void *arg) {
  for (size_t i = 0; i < c->n; i++)
    fn(arg, c->v[i].key ? c->v[i].key : c->v[i].def->name, c->v[i].value);
}

/* ---- YAML loader -------------------------------------------------------------------------- */

typedef struct yaml_ctx {
  yaml_parser_t parser;
  const char *path;
  sp_config *c;
  char *err;
  size_t err_len;
} yaml_ctx;

static int next_event(yaml_ctx *y, yaml_event_t *ev) {
  if (yaml_parser_parse(&y->parser, ev)) return 0;
  const yaml_parser_t *p = &y->parser;
  const char *problem = p->problem ? p->problem : "unknown error";
  if (p->error == YAML_MEMORY_ERROR)
    return sp_err(y->err, y->err_len, SPATE_ENOMEM, "%s: out of memory while parsing", y->path);
  if (p->error == YAML_READER_ERROR) /* no line/column: the reader works below the tokenizer */
    return sp_err(y->err, y->err_len, SPATE_EINVAL, "%s: %s at byte offset %zu", y->path, problem,
                  p->problem_offset);
  if (p->context)
    return sp_err(y->err, y->err_len, SPATE_EINVAL, "%s:%zu:%zu: %s %s (line %zu)", y->path,
                  p->problem_mark.line + 1, p->problem_mark.column + 1, problem, p->context,
                  p->context_mark.line + 1);
  return sp_err(y->err, y->err_len, SPATE_EINVAL, "%s:%zu:%zu: %s", y->path,
                p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
}

static const char *event_name(yaml_event_type_t t) {
  switch (t) {
  case YAML_SEQUENCE_START_EVENT: return "a list";
  case YAML_MAPPING_START_EVENT: return "a mapping";
  case YAML_ALIAS_EVENT: return "an alias";
  default: return "this node";
  }
}

/* Consumes key/value pairs up to the end of the current mapping; prefix is "" or "a.b.". */
static int walk_mapping(yaml_ctx *y, const char *prefix, int depth) {
  yaml_event_t kev, vev;
  char loc[1100], vloc[1100];
  for (;;) {
    int rc = next_event(y, &kev);
    if (rc < 0) return rc;
    if (kev.type == YAML_MAPPING_END_EVENT) {
      yaml_event_delete(&kev);
      return 0;
    }
    size_t kline = kev.start_mark.line + 1;
    snprintf(loc, sizeof loc, "%s:%zu", y->path, kline);
    if (kev.type != YAML_SCALAR_EVENT || kev.data.scalar.anchor) {
      rc = sp_err(y->err, y->err_len, SPATE_EINVAL,
                  "%s: a configuration key must be plain text, not %s", loc,
                  kev.type == YAML_SCALAR_EVENT ? "an anchored value" : event_name(kev.type));
      yaml_event_delete(&kev);
      return rc;
    }
    size_t klen = strlen(prefix) + kev.data.scalar.length + 1;
    char *key = sp_malloc(klen);
    if (!key) {
      yaml_event_delete(&kev);
      return sp_err(y->err, y->err_len, SPATE_ENOMEM, "%s: out of memory", loc);
    }
    snprintf(key, klen, "%s%s", prefix, (const char *)kev.data.scalar.value);
    bool empty_key = kev.data.scalar.value[0] == '\0';
    yaml_event_delete(&kev);
    if (empty_key) {
      rc = sp_err(y->err, y->err_len, SPATE_EINVAL, "%s: empty configuration key", loc);
      sp_free(key);
      return rc;
    }

    rc = next_event(y, &vev);
    if (rc < 0) {
      sp_free(key);
      return rc;
    }
    snprintf(vloc, sizeof vloc, "%s:%zu", y->path, vev.start_mark.line + 1);
    if (vev.type == YAML_SCALAR_EVENT && !vev.data.scalar.anchor) {
      rc = set_value(y->c, key, (const char *)vev.data.scalar.value, loc, vloc, y->err, y->err_len);
    } else if (vev.type == YAML_MAPPING_START_EVENT && !vev.data.mapping_start.anchor &&
               depth < MAX_YAML_DEPTH) {
      size_t plen = strlen(key) + 2;
      char *sub = sp_malloc(plen);
      if (!sub) {
        rc = sp_err(y->err, y->err_len, SPATE_ENOMEM, "%s: out of memory", vloc);
      } else {
        snprintf(sub, plen, "%s.", key);
        rc = walk_mapping(y, sub, depth + 1);
        sp_free(sub);
      }
    } else if (vev.type == YAML_MAPPING_START_EVENT && depth >= MAX_YAML_DEPTH) {
      rc = sp_err(y->err, y->err_len, SPATE_EINVAL, "%s: mappings nested too deeply under '%s'",
                  vloc, key);
    } else {
      bool anchored = (vev.type == YAML_SCALAR_EVENT && vev.data.scalar.anchor) ||
                      (vev.type == YAML_MAPPING_START_EVENT && vev.data.mapping_start.anchor) ||
                      (vev.type == YAML_SEQUENCE_START_EVENT && vev.data.sequence_start.anchor);
      rc = sp_err(y->err, y->err_len, SPATE_EINVAL,
                  "%s: value of '%s' must be a plain value, not %s", vloc, key,
                  anchored ? "an anchored node" : event_name(vev.type));
    }
    yaml_event_delete(&vev);
    sp_free(key);
    if (rc < 0) return rc;
  }
}

/* Walks a whole stream: nothing at all, or one document holding a mapping (or nothing). */
static int walk_stream(yaml_ctx *y) {
  yaml_event_t ev;
  int rc, docs = 0;
  if ((rc = next_event(y, &ev)) < 0) return rc; /* STREAM-START */
  yaml_event_delete(&ev);
  for (;;) {
    if ((rc = next_event(y, &ev)) < 0) return rc;
    yaml_event_type_t t = ev.type;
    size_t line = ev.start_mark.line + 1;
    yaml_event_delete(&ev);
    if (t == YAML_STREAM_END_EVENT) return 0;
    if (t != YAML_DOCUMENT_START_EVENT || docs++ > 0)
      return sp_err(y->err, y->err_len, SPATE_EINVAL, "%s:%zu: only one YAML document is supported",
                    y->path, line);

    if ((rc = next_event(y, &ev)) < 0) return rc;
    line = ev.start_mark.line + 1;
    if (ev.type == YAML_MAPPING_START_EVENT && !ev.data.mapping_start.anchor) {
      yaml_event_delete(&ev);
      if ((rc = walk_mapping(y, "", 0)) < 0) return rc;
    } else {
      /* A document with only "---" parses as an empty plain scalar: an empty config. */
      bool empty = ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 0 &&
                   ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev.data.scalar.anchor;
      yaml_event_delete(&ev);
      if (!empty)
        return sp_err(y->err, y->err_len, SPATE_EINVAL,
                      "%s:%zu: the top level must be a mapping of keys to values", y->path, line);
    }
    if ((rc = next_event(y, &ev)) < 0) return rc; /* DOCUMENT-END */
    yaml_event_delete(&ev);
  }
}

int sp_config_load_file(sp_config *c, const char *path, char *err, size_t err_len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    int e = errno;
    return sp_err(err, err_len, e == ENOENT ? SPATE_ENOENT : SPATE_EIO, "%s: %s", path,
                  strerror(e));
  }
  int rc;
  yaml_ctx y = {.path = path, .err = err, .err_len = err_len};
  /* Applied to a copy so that a file rejected halfway leaves c as it was. */
  y.c = sp_config_clone(c);
  if (!y.c) {
    fclose(f);
    return sp_err(err, err_len, SPATE_ENOMEM, "%s: out of memory", path);
  }
  if (!yaml_parser_initialize(&y.parser)) {
    rc = sp_err(err, err_len, SPATE_ENOMEM, "%s: out of memory", path);
    goto out;
  }
  yaml_parser_set_input_file(&y.parser, f);
  rc = walk_stream(&y);
  yaml_parser_delete(&y.parser);
  if (rc == 0) {
    sp_config tmp = *c;
    *c = *y.c;
    *y.c = tmp;
  }
out:
  sp_config_free(y.c);
  fclose(f);
  return rc;
}
