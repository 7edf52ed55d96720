/*
 * scope_format.h: Flink's metric scope formats (metrics.scope.jm, .jm.job, .tm, .tm.job, .task,
 * .operator): a template of components separated by '.', each a literal or a scope variable
 * ("<host>.taskmanager.<tm_id>"), which names a group's metrics for identifier-based reporters
 * once the variables are bound to a group's values and the components joined by
 * metrics.scope.delimiter. A template whose first component is "*" starts with its parent
 * group's scope (Flink's inheritance).
 */
#ifndef SPATE_METRICS_SCOPE_FORMAT_H
#define SPATE_METRICS_SCOPE_FORMAT_H
#include <stdbool.h>
#include <stddef.h>

typedef struct scope_format {
  char **parts; /* components; variables keep their <> */
  int n;
  bool inherit; /* the template began with "*" */
} scope_format;

/* Parses text (the value of key, for messages). Empty components are refused. */
int scope_format_parse(const char *text, const char *key, scope_format *out, char *err,
                       size_t err_len);
void scope_format_free(scope_format *f);
/* Binds the variables through lookup (NULL: the component stays as written) and joins the
 * components by delim after parent (when the format inherits) into buf; returns buf. */
const char *scope_format_apply(const scope_format *f, const char *parent, const char *delim,
                               const char *(*lookup)(const void *arg, const char *var),
                               const void *arg, char *buf, size_t len);
#endif
