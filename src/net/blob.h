/*
 * blob.h: the BlobServer (Flink's, on blob.server.port) and its client: job artifacts (a job's
 * shared object) kept by content hash on the JobManager and fetched once by each TaskManager.
 *
 * A key is the 32 hex digits of the XXH3-128 hash of the content. The server keeps each blob as
 * <dir>/blob_<key>; a client asks for a key and writes what arrives to a file of its own after
 * checking that its hash is the key (a corrupted or foreign transfer is refused, not loaded).
 *
 * Protocol (net/frame.h frames after the hellos): the client sends GET (1: str key); the server
 * answers DATA frames (2: raw bytes, at most 1 MiB each) and END (3: u64 total length), or
 * ERROR (4: str message). One request per connection.
 *
 * The server runs one thread that serves one connection at a time, each with a socket timeout,
 * so a stalled client delays others by at most that timeout; artifacts are small and fetched
 * once per TaskManager.
 */
#ifndef SPATE_NET_BLOB_H
#define SPATE_NET_BLOB_H
#include <stddef.h>

#define BLOB_KEY_LEN 32

typedef struct blob_server blob_server;

/* Serves the blobs of dir (created if missing) on bind_host:port (port 0: a free one);
 * advertised_host as in rpc_net_start. 0, or a negative SPATE_E* code with err. */
int blob_server_start(const char *dir, const char *bind_host, int port, const char *advertised_host,
                      blob_server **out, char *err, size_t err_len);
/* "host:port" clients reach the server at. */
const char *blob_server_address(const blob_server *s);
/* Stores len bytes as a blob; key gets its key (BLOB_KEY_LEN + 1 bytes). Thread-safe. */
int blob_server_put(blob_server *s, const void *data, size_t len, char *key, char *err,
                    size_t err_len);
void blob_server_stop(blob_server *s);

/* The key of len bytes of data (BLOB_KEY_LEN + 1 bytes). */
void blob_key_of(const void *data, size_t len, char *key);
/* Fetches blob `key` from the server at `server` ("host:port") into the file dest (written
 * under a temporary name, checked against the key, then renamed). 0, or a negative SPATE_E*
 * code with err naming the server and the reason. Waits at most timeout_ms for each step. */
int blob_fetch(const char *server, const char *key, const char *dest, int timeout_ms, char *err,
               size_t err_len);
#endif
