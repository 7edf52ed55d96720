/*
 * web_static.h: serving the embedded web dashboard (web_assets.h) over HTTP, shared by the
 * JobManager's REST endpoint (rest_server.c) and the history server (history_server.c). It
 * answers GET and HEAD of "/" (index.html) and of each asset's path with its Content-Type,
 * Cache-Control: no-cache and an ETag (304 on a matching If-None-Match), choosing the gzip twin
 * (Content-Encoding: gzip, Vary: Accept-Encoding) when the request accepts gzip. Paths are looked
 * up in the table by exact comparison: nothing is read from the file system, so no path can
 * reach outside the table.
 */
#ifndef SPATE_REST_WEB_STATIC_H
#define SPATE_REST_WEB_STATIC_H
#include <microhttpd.h>
#include <stdbool.h>

#include "rest/web_assets.h"

/* The asset served at path ("/" is "/index.html"), or NULL. */
const web_asset *web_asset_find(const char *path);

/* Whether an Accept-Encoding header value (NULL: none) allows gzip: "gzip" or "x-gzip" with a
 * non-zero q, or "*" with a non-zero q when gzip is not named. */
bool web_accepts_gzip(const char *accept_encoding);

/* Whether an If-None-Match header value (NULL: none) matches etag: "*", or one of its
 * comma-separated tags equal to etag (weak comparison: a "W/" prefix is ignored). */
bool web_etag_matches(const char *if_none_match, const char *etag);

/* The reply to method url on conn if it is a dashboard request (GET or HEAD of an asset's path),
 * with its status (200 or 304) in *status; NULL for any other request, which the caller routes
 * as before. The response is the caller's to queue and destroy; it references the embedded
 * bytes (no copy). */
struct MHD_Response *web_static_response(struct MHD_Connection *conn, const char *url,
                                         const char *method, unsigned *status);
#endif
