/*
 * socket_reader.h: a TCP client that reads lines, for the socket text source (Flink's
 * socketTextStream). Connects to host:port (names resolved with getaddrinfo), splits on "\n",
 * drops a trailing "\r", ends when the server closes the connection; a last unterminated line is
 * delivered. Reads use poll() with a timeout so the task can flush buffers and notice
 * cancellation while the server is quiet.
 */
#ifndef SPATE_CONNECTORS_SOCKET_READER_H
#define SPATE_CONNECTORS_SOCKET_READER_H
#include <stddef.h>

typedef struct socket_reader socket_reader;

/* Connection refused or an unknown host is SPATE_EIO with a message naming host:port. */
int socket_reader_open(const char *host, int port, socket_reader **out, char *err, size_t err_len);
/* Reads lines from fd, a connected stream socket, which the reader owns from here on (closed by
 * socket_reader_close, or at once if this fails with SPATE_ENOMEM). host and port only name the
 * source in messages. socket_reader_open ends here once connected; tests and the fuzz target
 * hand it one end of a socketpair. */
int socket_reader_adopt(int fd, const char *host, int port, socket_reader **out, char *err,
                        size_t err_len);
/* Returns 1 and a line (valid until the next call), 2 if timeout_ms passed without a complete
 * line, 0 when the server closed the connection, or a negative code (message in
 * socket_reader_error). */
int socket_reader_next(socket_reader *r, int timeout_ms, const char **line, size_t *len);
const char *socket_reader_error(const socket_reader *r);
void socket_reader_close(socket_reader *r);
#endif
