/*
 * metric_reporters.c: which reporters a configuration asks for, and starting and stopping them
 * (metric_reporters.h).
 */
#include "metrics/metric_reporters.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "metrics/prometheus_reporter.h"
#include "metrics/slf4j_reporter.h"

#define MAX_REPORTERS 16
#define NAME_MAX_LEN 64

typedef enum reporter_kind { RK_PROMETHEUS, RK_SLF4J } reporter_kind;

struct metric_reporters {
  prometheus_reporter *prom[MAX_REPORTERS];
  slf4j_reporter *slf4j[MAX_REPORTERS];
  int nprom, nslf4j;
};

/* Flink's factory and reporter class names, and Spate's short names. */
static const struct {
  const char *name;
  reporter_kind kind;
} kinds[] = {
    {"org.apache.flink.metrics.prometheus.PrometheusReporterFactory", RK_PROMETHEUS},
    {"org.apache.flink.metrics.prometheus.PrometheusReporter", RK_PROMETHEUS},
    {"prometheus", RK_PROMETHEUS},
    {"org.apache.flink.metrics.slf4j.Slf4jReporterFactory", RK_SLF4J},
    {"org.apache.flink.metrics.slf4j.Slf4jReporter", RK_SLF4J},
    {"slf4j", RK_SLF4J},
    {"log", RK_SLF4J},
};

typedef struct names {
  char v[MAX_REPORTERS][NAME_MAX_LEN];
  int n;
  bool overflow;
} names;

static void add_name(names *ns, const char *name, size_t len) {
  if (len == 0) return;
  if (len >= NAME_MAX_LEN || ns->n == MAX_REPORTERS) {
    ns->overflow = true;
    return;
  }
  for (int i = 0; i < ns->n; i++)
    if (strlen(ns->v[i]) == len && strncmp(ns->v[i], name, len) == 0) return;
  memcpy(ns->v[ns->n], name, len);
  ns->v[ns->n++][len] = 0;
}

/* Every <name> of a set metrics.reporter.<name>.factory.class or .class key. */
static void collect_name(void *arg, const char *key, const char *value) {
  (void)value;
  static const char prefix[] = "metrics.reporter.";
  if (strncmp(key, prefix, sizeof prefix - 1) != 0) return;
  const char *name = key + sizeof prefix - 1, *dot = strchr(name, '.');
  if (dot && (strcmp(dot, ".factory.class") == 0 || strcmp(dot, ".class") == 0))
    add_name(arg, name, (size_t)(dot - name));
}

static int parse_port_range(const char *s, const char *key, int *lo, int *hi, char *err,
                            size_t err_len) {
  char *end;
  while (isspace((unsigned char)*s)) s++;
  long a = strtol(s, &end, 10), b = a;
  bool ok = end != s && isdigit((unsigned char)*s);
  if (ok) {
    while (isspace((unsigned char)*end)) end++;
    if (*end == '-') {
      const char *t = end + 1;
      while (isspace((unsigned char)*t)) t++;
      b = strtol(t, &end, 10);
      ok = end != t && isdigit((unsigned char)*t);
      while (ok && isspace((unsigned char)*end)) end++;
    }
  }
  if (!ok || *end || a < 0 || b > 65535 || a > b)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "%s: invalid port '%s' (expected a port or a range such as 9250-9260)", key, s);
  *lo = (int)a;
  *hi = (int)b;
  return 0;
}

static int start_one(metric_reporters *r, metric_registry *reg, const sp_config *cfg,
                     const char *name, char *err, size_t err_len) {
  char key[NAME_MAX_LEN + 64];
  snprintf(key, sizeof key, "metrics.reporter.%s.factory.class", name);
  if (!sp_config_is_set(cfg, key)) snprintf(key, sizeof key, "metrics.reporter.%s.class", name);
  if (!sp_config_is_set(cfg, key)) {
    SP_WARN("metrics", "No reporter configured under the name %s (metrics.reporters); skipped.",
            name);
    return 0;
  }
  const char *cls = sp_config_str(cfg, key);
  int kind = -1;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0] && kind < 0; i++)
    if (strcasecmp(kinds[i].name, cls) == 0) kind = (int)kinds[i].kind;
  if (kind < 0)
    return sp_err(err, err_len, SPATE_EINVAL,
                  "%s: unknown metric reporter '%s' (Spate has the Prometheus reporter "
                  "(org.apache.flink.metrics.prometheus.PrometheusReporterFactory, prometheus) "
                  "and the slf4j reporter (org.apache.flink.metrics.slf4j.Slf4jReporterFactory, "
                  "slf4j, log))",
                  key, cls);
  if (kind == RK_PROMETHEUS) {
    snprintf(key, sizeof key, "metrics.reporter.%s.port", name);
    int lo = 0, hi = 0;
    int rc = parse_port_range(sp_config_str(cfg, key), key, &lo, &hi, err, err_len);
    if (rc < 0) return rc;
    snprintf(key, sizeof key, "metrics.reporter.%s.filterLabelValueCharacters", name);
    prometheus_options opt = {.filter_label_values = sp_config_bool(cfg, key)};
    snprintf(key, sizeof key, "metrics.reporter.%s.scope.variables.excludes", name);
    opt.excluded = sp_config_is_set(cfg, key) ? sp_config_str(cfg, key) : NULL;
    rc = prometheus_reporter_start(reg, lo, hi, &opt, &r->prom[r->nprom], err, err_len);
    if (rc == 0) r->nprom++;
    return rc;
  }
  snprintf(key, sizeof key, "metrics.reporter.%s.interval", name);
  int rc = slf4j_reporter_start(reg, name, sp_config_duration_ms(cfg, key), &r->slf4j[r->nslf4j]);
  if (rc == 0) r->nslf4j++;
  return rc;
}

int metric_reporters_start(metric_registry *reg, const sp_config *cfg, metric_reporters **out,
                           char *err, size_t err_len) {
  *out = NULL;
  metric_reporters *r = sp_calloc(1, sizeof *r);
  if (!r) return SPATE_ENOMEM;
  names ns = {.n = 0};
  if (cfg && sp_config_is_set(cfg, "metrics.reporters")) {
    const char *list = sp_config_str(cfg, "metrics.reporters");
    for (const char *p = list; *p;) {
      while (*p == ' ' || *p == ',') p++;
      size_t len = strcspn(p, ", ");
      add_name(&ns, p, len);
      p += len;
    }
  } else if (cfg) {
    sp_config_each(cfg, collect_name, &ns);
  }
  int rc = ns.overflow ? sp_err(err, err_len, SPATE_EINVAL,
                                "metrics.reporter: more than %d reporters, or a name longer than "
                                "%d characters",
                                MAX_REPORTERS, NAME_MAX_LEN - 1)
                       : 0;
  for (int i = 0; i < ns.n && rc == 0; i++) rc = start_one(r, reg, cfg, ns.v[i], err, err_len);
  if (rc < 0) {
    metric_reporters_stop(r);
    return rc;
  }
  *out = r;
  return 0;
}

void metric_reporters_stop(metric_reporters *r) {
  if (!r) return;
  for (int i = 0; i < r->nprom; i++) prometheus_reporter_stop(r->prom[i]);
  for (int i = 0; i < r->nslf4j; i++) slf4j_reporter_stop(r->slf4j[i]);
  sp_free(r);
}

int metric_reporters_prometheus_port(const metric_reporters *r) {
  return r && r->nprom ? prometheus_reporter_port(r->prom[0]) : -1;
}
