/*
 * address.h: the "host:port" a listening socket of a Spate process is known by (RPC, data
 * server, BlobServer): the advertised host if one is configured, else the bind host unless it
 * is a wildcard, else localhost; with the port the socket is bound to (the system's pick when
 * the configured port was 0). IPv6 hosts are bracketed.
 */
#ifndef SPATE_NET_ADDRESS_H
#define SPATE_NET_ADDRESS_H
#include <sys/socket.h>

/* The address (sp_malloc'd), or NULL when out of memory. bind_host and advertised_host may be
 * NULL or "". */
char *net_listen_address(const struct sockaddr_storage *bound, const char *bind_host,
                         const char *advertised_host);
#endif
