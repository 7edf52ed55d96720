/*
 * socket_source.c: Flink's socket text source: lines read from a TCP server (socket_reader.h),
 * non-parallel. A poll waits briefly for data and reports SRC_IDLE when none came, so the task
 * flushes what it holds while the server is quiet.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "connectors/registry.h"
#include "connectors/socket_reader.h"
#include "graph/op_params.h"

/* ---- socket -------------------------------------------------------------------------------- */
static int socket_open(op_t *op) {
  op_socket_params p;
  char err[SP_ERRMSG_MAX];
  int rc = op_socket_params_load(op->node, &p, err, sizeof err);
  if (rc < 0) {
    rc = op_fail(op, rc, "socket source: %s", err);
  } else if (!p.host) {
    rc = op_fail(op, SPATE_ECORRUPT, "socket source: bad parameters");
  } else {
    char msg[512];
    socket_reader *sr = NULL;
    rc = socket_reader_open(p.host, p.port, &sr, msg, sizeof msg);
    if (rc < 0) rc = op_fail(op, rc, "%s", msg);
    op->impl = sr;
  }
  op_socket_params_free(&p);
  return rc;
}

static int socket_poll(op_t *op, int budget) {
  socket_reader *sr = op->impl;
  int timeout = 50; /* the first read may wait; later ones in the batch take what is there */
  while (budget-- > 0) {
    const char *line;
    size_t len;
    int rc = socket_reader_next(sr, timeout, &line, &len);
    if (rc == 0) return SRC_END;
    if (rc == 2) return SRC_IDLE;
    if (rc < 0) return op_fail(op, rc, "%s", socket_reader_error(sr));
    timeout = 0;
    spate_rb_begin(&op->rb);
    spate_rb_set_string(&op->rb, 0, line, len);
    if ((rc = op_emit_built(op, INT64_MIN, "socket source")) < 0) return rc;
  }
  return SRC_MORE;
}

static void socket_close(op_t *op) {
  if (op->impl) socket_reader_close(op->impl);
}

const op_vtable op_source_socket_vt = {
    .open = socket_open, .poll = socket_poll, .close = socket_close};
