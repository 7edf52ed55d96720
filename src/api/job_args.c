/*
 * job_args.c: job arguments read the way Flink's ParameterTool reads them.
 *
 * A key is an argument that starts with '-' or "--" and is not a number; its value is the next
 * argument unless that one is a key too (a negative number is a value, not a key). A key with no
 * value (the last argument, or one followed by another key) is a flag: spate_arg returns
 * SPATE_ARG_NO_VALUE for it, as ParameterTool returns its NO_VALUE_KEY. "--key=value" is also
 * accepted. Anything else at a key's place (the program's own path in argv[0], a stray word) is
 * skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "spate/spate.h"

static const char no_value[] = SPATE_ARG_NO_VALUE;

/* Whether a is a decimal number such as "-5", "+3", "0.25" or "-1e3" (ParameterTool reads those
 * as values even when they start with '-'). */
static bool is_number(const char *a) {
  const char *p = a + (*a == '-' || *a == '+');
  if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9'))) return false;
  char *end;
  strtod(a, &end);
  return end != a && *end == '\0';
}

static bool is_key(const char *a) { return a[0] == '-' && a[1] && !is_number(a); }

typedef struct arg_iter {
  int argc;
  char **argv;
  int i;
} arg_iter;

/* The next key (without its dashes, name_len bytes at *name) and its value (no_value when it
 * has none); false at the end. */
static bool arg_next(arg_iter *it, const char **name, size_t *name_len, const char **value) {
  while (it->i < it->argc) {
    const char *a = it->argv[it->i++];
    if (!a || !is_key(a)) continue;
    a += a[1] == '-' ? 2 : 1;
    const char *eq = strchr(a, '=');
    *name = a;
    *name_len = eq ? (size_t)(eq - a) : strlen(a);
    if (*name_len == 0) continue; /* "-", "--", "--=x": no key */
    if (eq) {
      *value = eq + 1;
    } else if (it->i < it->argc && it->argv[it->i] && !is_key(it->argv[it->i])) {
      *value = it->argv[it->i++];
    } else {
      *value = no_value;
    }
    return true;
  }
  return false;
}

/* Whether the key at (n, len) is `name`, which may be written with its dashes ("--input"). */
static bool same_key(const char *n, size_t len, const char *name) {
  while (*name == '-') name++;
  return strlen(name) == len && strncmp(n, name, len) == 0;
}

const char *spate_arg(int argc, char **argv, const char *name, const char *fallback) {
  arg_iter it = {argc, argv, 0};
  const char *n, *v;
  size_t len;
  while (arg_next(&it, &n, &len, &v))
    if (same_key(n, len, name)) return v;
  return fallback;
}

int spate_arg_all(int argc, char **argv, const char *name, const char **out, int max) {
  arg_iter it = {argc, argv, 0};
  const char *n, *v;
  size_t len;
  int count = 0;
  while (arg_next(&it, &n, &len, &v))
    if (same_key(n, len, name) && count < max) out[count++] = v;
  return count;
}

bool spate_arg_has(int argc, char **argv, const char *name) {
  return spate_arg(argc, argv, name, NULL) != NULL;
}

bool spate_arg_no_value(const char *value) {
  return value && (value == no_value || strcmp(value, SPATE_ARG_NO_VALUE) == 0);
}

const char *spate_arg_missing_value(int argc, char **argv, const char *const *names) {
  arg_iter it = {argc, argv, 0};
  const char *n, *v;
  size_t len;
  while (arg_next(&it, &n, &len, &v)) {
    if (!spate_arg_no_value(v) && v[0]) continue;
    for (int k = 0; names && names[k]; k++)
      if (same_key(n, len, names[k])) return names[k];
  }
  return NULL;
}
