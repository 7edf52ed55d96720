/*
 * address.c: the address a listening socket is known by (address.h).
 */
#include "net/address.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

char *net_listen_address(const struct sockaddr_storage *bound, const char *bind_host,
                         const char *advertised_host) {
  int port = bound->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)bound)->sin6_port)
                                          : ntohs(((const struct sockaddr_in *)bound)->sin_port);
  const char *bh = bind_host && bind_host[0] ? bind_host : NULL;
  const char *host = advertised_host && advertised_host[0]                       ? advertised_host
                     : bh && strcmp(bh, "0.0.0.0") != 0 && strcmp(bh, "::") != 0 ? bh
                                                                                 : "localhost";
  size_t cap = strlen(host) + 16;
  char *a = sp_malloc(cap);
  if (a) snprintf(a, cap, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
  return a;
}
