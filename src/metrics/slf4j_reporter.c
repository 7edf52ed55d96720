/*
 * slf4j_reporter.c: Flink's Slf4jReporter (slf4j_reporter.h): the report text and the thread
 * that logs it every interval.
 */
#define _GNU_SOURCE
#include "metrics/slf4j_reporter.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

struct slf4j_reporter {
  metric_registry *reg;
  char *name;
  int64_t interval_ms;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t wake; /* on the monotonic clock */
  bool stop;
};

typedef struct report_ctx {
  metric_kind kind;
  sp_strbuf *out;
  int rc;
} report_ctx;

static void report_one(void *arg, const metric_sample *s) {
  report_ctx *c = arg;
  if (c->rc < 0 || s->kind != c->kind) return;
  char id[1024], line[1536];
  metric_identifier(s->group, s->name, id, sizeof id);
  if (s->kind == METRIC_HISTOGRAM) {
    const metric_histogram_stats *h = &s->hist;
    char v[11][40];
    const double f[] = {h->min, h->max, h->mean, h->stddev, h->p50,
                        h->p75, h->p95, h->p98,  h->p99,    h->p999};
    for (int i = 0; i < 10; i++) metric_dump_double(f[i], v[i], sizeof v[i]);
    snprintf(line, sizeof line,
             "%s: count=%lld, min=%s, max=%s, mean=%s, stddev=%s, p50=%s, p75=%s, p95=%s, p98=%s, "
             "p99=%s, p999=%s\n",
             id, (long long)h->count, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
  } else {
    snprintf(line, sizeof line, "%s: %s\n", id, s->text);
  }
  c->rc = sp_strbuf_add(c->out, line);
}

int slf4j_report(metric_registry *reg, sp_strbuf *out) {
  static const struct {
    metric_kind kind;
    const char *head;
  } sections[] = {
      {METRIC_COUNTER,
       "-- Counters -------------------------------------------------------------------\n"},
      {METRIC_GAUGE,
       "-- Gauges ---------------------------------------------------------------------\n"},
      {METRIC_METER,
       "-- Meters ---------------------------------------------------------------------\n"},
      {METRIC_HISTOGRAM,
       "-- Histograms -----------------------------------------------------------------\n"},
  };
  int rc = sp_strbuf_add(
      out, "\n=========================== Starting metrics report ===========================\n");
  for (size_t i = 0; i < sizeof sections / sizeof sections[0] && rc == 0; i++) {
    rc = sp_strbuf_add(out, "\n");
    if (rc == 0) rc = sp_strbuf_add(out, sections[i].head);
    report_ctx c = {.kind = sections[i].kind, .out = out, .rc = rc};
    if (rc == 0) metric_registry_each(reg, report_one, &c);
    rc = c.rc;
  }
  if (rc == 0)
    rc = sp_strbuf_add(
        out, "\n=========================== Finished metrics report ===========================\n");
  return rc;
}

static void *reporter_main(void *arg) {
  slf4j_reporter *r = arg;
  pthread_mutex_lock(&r->mu);
  while (!r->stop) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    int64_t ns = until.tv_nsec + (r->interval_ms % 1000) * 1000000LL;
    until.tv_sec += (time_t)(r->interval_ms / 1000 + ns / 1000000000LL);
    until.tv_nsec = (long)(ns % 1000000000LL);
    while (!r->stop && pthread_cond_timedwait(&r->wake, &r->mu, &until) == 0) {
    }
    if (r->stop) break;
    pthread_mutex_unlock(&r->mu); /* the registry's lock is taken without ours */
    sp_strbuf sb = {0};
    if (slf4j_report(r->reg, &sb) == 0) SP_INFO("metrics", "%s", sb.data);
    sp_strbuf_free(&sb);
    pthread_mutex_lock(&r->mu);
  }
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

int slf4j_reporter_start(metric_registry *reg, const char *name, int64_t interval_ms,
                         slf4j_reporter **out) {
  *out = NULL;
  slf4j_reporter *r = sp_calloc(1, sizeof *r);
  if (!r || !(r->name = sp_strdup(name))) {
    sp_free(r);
    return SPATE_ENOMEM;
  }
  r->reg = reg;
  r->interval_ms = interval_ms > 0 ? interval_ms : 10000;
  pthread_mutex_init(&r->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&r->wake, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&r->thread, NULL, reporter_main, r) != 0) {
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->wake);
    sp_free(r->name);
    sp_free(r);
    return SPATE_ENOMEM;
  }
  SP_INFO("metrics", "Reporting metrics for reporter %s of type slf4j every %lld ms.", name,
          (long long)r->interval_ms);
  *out = r;
  return 0;
}

void slf4j_reporter_stop(slf4j_reporter *r) {
  if (!r) return;
  pthread_mutex_lock(&r->mu);
  r->stop = true;
  pthread_cond_signal(&r->wake);
  pthread_mutex_unlock(&r->mu);
  pthread_join(r->thread, NULL);
  pthread_mutex_destroy(&r->mu);
  pthread_cond_destroy(&r->wake);
  sp_free(r->name);
  sp_free(r);
}
