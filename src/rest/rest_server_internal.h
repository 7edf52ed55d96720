/*
 * rest_server_internal.h: what the REST server's HTTP side (rest_server.c) and its routes
 * (rest_routes.c) share: the server, one request in flight, and the reply helpers.
 */
#ifndef SPATE_REST_REST_SERVER_INTERNAL_H
#define SPATE_REST_REST_SERVER_INTERNAL_H
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "rest/rest_operations.h"
#include "rest/rest_server.h"

struct rest_server {
  struct MHD_Daemon *daemon;
  const rest_cluster_ops *ops;
  void *ctx;
  int port;
  size_t max_content, max_json;
  int refresh_interval;
  bool web_submit, web_cancel; /* rest_server_config's */
  char *upload_dir;
  /* web submission (rest_routes_jars.c): where uploaded job objects live (NULL when
   * web.submit.enable is false), whether this server made that directory (and removes it at
   * stop), the spate binary that runs their programs, the REST address clients are shown */
  char *jar_dir, *jar_root;
  char *program;
  char *address;
  char *self_host; /* where a program run for /jars/:jarid/run reaches this server */
  rest_operations *operations;
  /* issue 11, cluster part */
  char *allow_origin; /* web.access-control-allow-origin */
  sp_config *config;  /* /jobmanager/config (a copy); may be NULL */
  /* Requests between their first call and their completion, so that a stop lets a reply already
   * decided (a cancel's 202, say) reach its client before the sockets close. */
  pthread_mutex_t flight_mu;
  pthread_cond_t flight_done;
  int in_flight;
};

/* One uploaded file of a POST /jobs, in the request's temporary directory. */
typedef struct rest_upload {
  char *name; /* the part's file name, reduced to its last component */
  char *path;
  size_t size;
} rest_upload;

/* One request in flight (MHD's per-connection pointer). */
typedef struct rest_request {
  rest_server *server;
  struct MHD_Connection *conn;
  const char *url;   /* the request's path (as MHD gives it) */
  bool upload;       /* POST /jobs or POST /jars/upload: multipart */
  bool jar_upload;   /* POST /jars/upload: exactly one file part, any field name */
  bool replied;      /* a reply is queued */
  bool shutdown;     /* DELETE /cluster: shut down once the reply went out */
  const char *allow; /* Allow header of a 405 */
  /* the body: JSON text, or the "request" field of an upload */
  char *body;
  size_t len, cap, total;
  /* uploads */
  struct MHD_PostProcessor *pp;
  char *tmpdir;
  rest_upload *files;
  size_t n_files;
  int fd;
  bool saw_request;
  /* the first error while reading the body, replied at its end */
  unsigned fail_status;
  char fail_msg[SP_ERRMSG_MAX + 256];
  /* an in-process request (rest_server_get): no connection; the reply is kept here */
  unsigned captured_status;
  char *captured_body; /* sp_malloc'd JSON text */
} rest_request;

/* Queues status with body (consumed; NULL: 500 "Internal server error."). MHD_YES/MHD_NO. */
int rest_reply_json(rest_request *req, unsigned status, json_t *body);
/* Queues r (consumed) with status, adding the CORS and Allow headers every reply has. */
int rest_queue_reply(rest_request *req, unsigned status, struct MHD_Response *r);
/* Queues status with len bytes of text (copied) as text/plain. */
int rest_reply_text(rest_request *req, unsigned status, const char *text, size_t len);
/* Queues {"errors": [message]} with status. */
int rest_reply_error(rest_request *req, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The HTTP status of an operation's error code (rest_server.h). */
unsigned rest_status_of(int rc);
/* The reply for an operation's error rc with its message err (or rc's default message). */
int rest_reply_op_error(rest_request *req, int rc, const char *err);
/* Replies 400 naming the field, from a request body decoder's error rc and message err. */
int rest_reply_bad_body(rest_request *req, int rc, const char *err);
/* The value of query parameter name, or NULL (always NULL for an in-process request: handlers
 * read the request through this and req->body only, never through req->conn, which is NULL). */
const char *rest_query(rest_request *req, const char *name);

/* Web submission's state of the server (rest_routes_jars.c): opens the directory of uploaded job
 * objects (web.upload.dir, else a fresh one) and finds the spate binary; closes (removes the
 * directory if it made it). Open: 0 or SPATE_EIO/SPATE_ENOMEM with err set. */
int rest_jars_open(rest_server *s, const rest_server_config *cfg, char *err, size_t err_len);
void rest_jars_close(rest_server *s);

/* Dispatches a request whose body has arrived whole (rest_router.c). */
int rest_route(rest_request *req, const char *url, const char *method);

/* ---- route tables: one per rest_routes_*.c file, listed in rest_router.c ---- */
#define REST_MAX_PARAMS 4
/* params: the path's parameters in pattern order, checked as rest_router.c says. */
typedef int (*rest_handler_fn)(rest_request *req, char **params);
typedef struct rest_route_def {
  const char *method;
  const char *pattern; /* segments without a leading slash; ":name" segments are parameters */
  rest_handler_fn handler;
} rest_route_def;
typedef struct rest_route_table {
  const rest_route_def *routes;
  size_t n;
} rest_route_table;
extern const rest_route_table rest_routes_core;        /* rest_routes.c */
extern const rest_route_table rest_routes_jars;        /* rest_routes_jars.c */
extern const rest_route_table rest_routes_jobs;        /* rest_routes_jobs.c */
extern const rest_route_table rest_routes_checkpoints; /* rest_routes_checkpoints.c */
extern const rest_route_table rest_routes_metrics;     /* rest_routes_metrics.c */
extern const rest_route_table rest_routes_cluster;     /* rest_routes_cluster.c */
#endif
