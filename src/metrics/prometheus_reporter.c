/*
 * prometheus_reporter.c: the Prometheus reporter's HTTP server (prometheus_reporter.h). Each
 * scrape renders the registry afresh; the server runs on libmicrohttpd's own polling thread.
 */
#include "metrics/prometheus_reporter.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"

struct prometheus_reporter {
  metric_registry *reg;
  struct MHD_Daemon *daemon;
  int port;
  prometheus_options opt;
  char *excluded;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body,
                             const char *type) {
  /* body came from sp_malloc: sp_free gives it back */
  struct MHD_Response *r =
      body ? MHD_create_response_from_buffer_with_free_callback(strlen(body), body, sp_free) : NULL;
  if (!r) {
    sp_free(body);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", type);
  enum MHD_Result rc = MHD_queue_response(conn, status, r);
  MHD_destroy_response(r);
  return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state) {
  (void)version;
  (void)upload;
  prometheus_reporter *p = cls;
  if (!*state) { /* the headers: answer with the (empty) body's call */
    *state = p;
    return MHD_YES;
  }
  *upload_size = 0;
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
    return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, sp_strdup("Method not allowed\n"),
                 "text/plain; charset=utf-8");
  if (strcmp(url, "/") != 0 && strcmp(url, "/metrics") != 0)
    return reply(conn, MHD_HTTP_NOT_FOUND, sp_strdup("Not found\n"), "text/plain; charset=utf-8");
  sp_strbuf sb = {0};
  if (prometheus_render(p->reg, &p->opt, &sb) < 0 || sp_strbuf_add(&sb, "") < 0) {
    sp_strbuf_free(&sb);
    return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, sp_strdup("out of memory\n"),
                 "text/plain; charset=utf-8");
  }
  return reply(conn, MHD_HTTP_OK, sb.data, "text/plain; version=0.0.4; charset=utf-8");
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  (void)fmt;
  (void)ap; /* a port in use is expected while probing a range; failures are reported below */
}

int prometheus_reporter_start(metric_registry *reg, int port_lo, int port_hi,
                              const prometheus_options *opt, prometheus_reporter **out, char *err,
                              size_t err_len) {
  *out = NULL;
  prometheus_reporter *p = sp_calloc(1, sizeof *p);
  if (!p) return SPATE_ENOMEM;
  p->reg = reg;
  p->opt = *opt;
  if (opt->excluded && !(p->excluded = sp_strdup(opt->excluded))) {
    sp_free(p);
    return SPATE_ENOMEM;
  }
  p->opt.excluded = p->excluded;
  for (int port = port_lo; port <= port_hi && !p->daemon; port++)
    p->daemon =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL,
                         NULL, on_request, p, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, p,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
  if (!p->daemon) {
    sp_free(p->excluded);
    sp_free(p);
    if (port_lo == port_hi)
      return sp_err(err, err_len, SPATE_EIO, "Could not start the Prometheus reporter on port %d",
                    port_lo);
    return sp_err(err, err_len, SPATE_EIO,
                  "Could not start the Prometheus reporter on any port of %d-%d", port_lo, port_hi);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(p->daemon, MHD_DAEMON_INFO_BIND_PORT);
  p->port = info ? (int)info->port : port_lo;
  SP_INFO("metrics", "Started PrometheusReporter HTTP server on port %d.", p->port);
  *out = p;
  return 0;
}

int prometheus_reporter_port(const prometheus_reporter *r) { return r->port; }

void prometheus_reporter_stop(prometheus_reporter *r) {
  if (!r) return;
  MHD_stop_daemon(r->daemon);
  sp_free(r->excluded);
  sp_free(r);
}
