/*
 * web_static.c: the embedded web dashboard over HTTP (web_static.h): finding an asset by its
 * path, content negotiation of the gzip twin, ETag revalidation, and the MHD response of a GET or
 * HEAD. The bytes are the table's (web_assets.h), referenced by the response, never copied.
 */
#include "rest/web_static.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const web_asset *web_asset_find(const char *path) {
  if (!path) return NULL;
  if (strcmp(path, "/") == 0) path = "/index.html";
  for (size_t i = 0; i < web_assets_count; i++)
    if (strcmp(web_assets[i].path, path) == 0) return &web_assets[i];
  return NULL;
}

/* The next comma-separated element of a header value from *p: its start and length without
 * surrounding blanks; false at the end. */
static bool next_element(const char **p, const char **start, size_t *len) {
  const char *s = *p;
  while (*s == ' ' || *s == '\t' || *s == ',') s++;
  if (!*s) return false;
  const char *e = strchr(s, ',');
  if (!e) e = s + strlen(s);
  *p = e;
  while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
  *start = s;
  *len = (size_t)(e - s);
  return true;
}

/* The q value of one Accept-Encoding element ("gzip;q=0.5"): 1 without a q parameter. */
static double q_value(const char *el, size_t len) {
  const char *semi = memchr(el, ';', len);
  while (semi) {
    const char *s = semi + 1, *end = el + len;
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    if (end - s >= 2 && (s[0] == 'q' || s[0] == 'Q') && s[1] == '=') {
      char num[16];
      size_t n = (size_t)(end - s - 2) < sizeof num - 1 ? (size_t)(end - s - 2) : sizeof num - 1;
      memcpy(num, s + 2, n);
      num[n] = 0;
      return strtod(num, NULL);
    }
    semi = memchr(s, ';', (size_t)(end - s));
  }
  return 1;
}

/* Whether the element's coding (before any ';') is name, ignoring case. */
static bool is_coding(const char *el, size_t len, const char *name) {
  size_t n = 0;
  while (n < len && el[n] != ';' && el[n] != ' ' && el[n] != '\t') n++;
  return n == strlen(name) && strncasecmp(el, name, n) == 0;
}

bool web_accepts_gzip(const char *accept_encoding) {
  if (!accept_encoding) return false;
  const char *p = accept_encoding, *el;
  size_t len;
  double gzip = -1, star = -1; /* -1: not named */
  while (next_element(&p, &el, &len)) {
    if (is_coding(el, len, "gzip") || is_coding(el, len, "x-gzip")) {
      double q = q_value(el, len);
      if (q > gzip) gzip = q;
    } else if (is_coding(el, len, "*")) {
      star = q_value(el, len);
    }
  }
  return gzip >= 0 ? gzip > 0 : star > 0;
}

bool web_etag_matches(const char *if_none_match, const char *etag) {
  if (!if_none_match || !etag) return false;
  const char *p = if_none_match, *el;
  size_t len, want = strlen(etag);
  while (next_element(&p, &el, &len)) {
    if (len == 1 && el[0] == '*') return true;
    if (len >= 2 && el[0] == 'W' && el[1] == '/') {
      el += 2;
      len -= 2;
    }
    if (len == want && memcmp(el, etag, len) == 0) return true;
  }
  return false;
}

struct MHD_Response *web_static_response(struct MHD_Connection *conn, const char *url,
                                         const char *method, unsigned *status) {
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return NULL;
  const web_asset *a = web_asset_find(url);
  if (!a) return NULL;
  bool gz = a->gz_data &&
            web_accepts_gzip(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding"));
  const char *etag = gz ? a->gz_etag : a->etag;
  bool fresh =
      web_etag_matches(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match"), etag);
  struct MHD_Response *r;
  if (fresh)
    r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  else
    r = MHD_create_response_from_buffer(
        gz ? a->gz_len : a->len, (void *)(gz ? a->gz_data : a->data), MHD_RESPMEM_PERSISTENT);
  if (!r) return NULL;
  if (!fresh) MHD_add_response_header(r, "Content-Type", a->content_type);
  if (gz && !fresh) MHD_add_response_header(r, "Content-Encoding", "gzip");
  if (a->gz_data) MHD_add_response_header(r, "Vary", "Accept-Encoding");
  MHD_add_response_header(r, "Cache-Control", "no-cache");
  MHD_add_response_header(r, "ETag", etag);
  *status = fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK;
  return r;
}
