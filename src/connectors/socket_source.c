/*
 * socket_source.c: Flink's socket text source: lines read from a TCP server (socket_reader.h),
 * non-parallel, each one row "f0 STRING", or with a format a row of its schema (line_decoder.h;
 * errors name "host:port:<line>:<column>", lines counted from the connection's start). A poll
 * waits briefly for data and reports SRC_IDLE when none came, so the task flushes what it holds
 * while the server is quiet.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "connectors/line_decoder.h"
#include "connectors/registry.h"
#include "connectors/socket_reader.h"
#include "graph/op_params.h"

typedef struct socket_src {
  socket_reader *sr;
  line_decoder dec;
  char where[300]; /* host:port */
  int64_t lines;
} socket_src;

/* ---- socket -------------------------------------------------------------------------------- */
static int socket_open(op_t *op) {
  socket_src *ss = sp_calloc(1, sizeof *ss);
  if (!ss) return SPATE_ENOMEM;
  op->impl = ss;
  op_socket_params p;
  char err[SP_ERRMSG_MAX];
  int rc = op_socket_params_load(op->node, &p, err, sizeof err);
  if (rc < 0) {
    rc = op_fail(op, rc, "socket source: %s", err);
  } else if (!p.host) {
    rc = op_fail(op, SPATE_ECORRUPT, "socket source: bad parameters");
  } else if ((rc = line_decoder_init(op, &ss->dec, &p.format)) == 0) {
    char msg[512];
    snprintf(ss->where, sizeof ss->where, "%s:%d", p.host, p.port);
    rc = socket_reader_open(p.host, p.port, &ss->sr, msg, sizeof msg);
    if (rc < 0) rc = op_fail(op, rc, "%s", msg);
  }
  op_socket_params_free(&p);
  return rc;
}

static int socket_poll(op_t *op, int budget) {
  socket_src *ss = op->impl;
  socket_reader *sr = ss->sr;
  int timeout = 50; /* the first read may wait; later ones in the batch take what is there */
  while (budget-- > 0) {
    const char *line;
    size_t len;
    int rc = socket_reader_next(sr, timeout, &line, &len);
    if (rc == 0) return SRC_END;
    if (rc == 2) return SRC_IDLE;
    if (rc < 0) return op_fail(op, rc, "%s", socket_reader_error(sr));
    timeout = 0;
    ss->lines++;
    if ((rc = line_decoder_emit(op, &ss->dec, line, len, ss->where, ss->lines, 0)) < 0) return rc;
  }
  return SRC_MORE;
}

static void socket_close(op_t *op) {
  socket_src *ss = op->impl;
  if (!ss) return;
  if (ss->sr) socket_reader_close(ss->sr);
  line_decoder_free(&ss->dec);
  sp_free(ss);
  op->impl = NULL;
}

const op_vtable op_source_socket_vt = {
    .open = socket_open, .poll = socket_poll, .close = socket_close};
