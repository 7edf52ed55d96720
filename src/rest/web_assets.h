/*
 * web_assets.h: the web dashboard's files, embedded in libspate at build time. CMake builds the
 * dashboard (web/, scripts/build-web.sh) and cmake/embed_web.cmake writes the table below into
 * <build>/generated/web_assets.c, so a binary serves its dashboard without reading a file or
 * fetching anything at run time. Built with SPATE_WEB OFF (and in fuzz builds) the table holds
 * one small index.html saying the dashboard was not built into the binary. web_static.h serves
 * the table over HTTP.
 */
#ifndef SPATE_REST_WEB_ASSETS_H
#define SPATE_REST_WEB_ASSETS_H
#include <stddef.h>

/* One file of the dashboard, and its gzip twin when the build made one. */
typedef struct web_asset {
  const char *path;         /* "/index.html": a slash and the file's name */
  const char *content_type; /* from the name's extension */
  const unsigned char *data;
  size_t len;
  const char *etag; /* a quoted hash of the bytes: "\"<32 hex>\"" */
  /* the gzip twin (<name>.gz of the build): NULL, 0, NULL when there is none */
  const unsigned char *gz_data;
  size_t gz_len;
  const char *gz_etag;
} web_asset;

extern const web_asset web_assets[]; /* sorted by path; at least one entry */
extern const size_t web_assets_count;
#endif
