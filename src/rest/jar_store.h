/*
 * jar_store.h: the directory of job objects uploaded through the REST API (Flink's web upload
 * directory, `<web.upload.dir>/flink-web-upload`). A "jar" of Flink is here a job's shared object
 * (an ELF shared object defining spate_main, what `spate run` takes); the REST names stay Flink's.
 *
 * A stored object is named <uuid>_<name>, its jar id; <name> is the uploaded file's name reduced
 * to its last component (CVE-2020-17518). Jar ids coming back from clients are checked to be a
 * bare file name (no '/', not "." or "..", no leading '.', no control characters) before any
 * file is touched, so a request can name nothing outside the directory.
 *
 * The store holds no state besides its directory: the files are the truth, as in Flink (an
 * explicit web.upload.dir keeps jars across JobManager restarts). Functions return 0 or a negative
 * SPATE_E* code with a message in err naming the file.
 */
#ifndef SPATE_REST_JAR_STORE_H
#define SPATE_REST_JAR_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Makes the directory: <upload_dir>/flink-web-upload, or with upload_dir NULL
 * <tmp>/flink-web-<uuid>/flink-web-upload (tmp: $TMPDIR, else /tmp), creating parents. *dir is
 * the directory (sp_malloc'd), *root what to remove at the end (NULL for an explicit upload_dir,
 * whose jars are kept). */
int jar_store_open(const char *upload_dir, char **dir, char **root, char *err, size_t err_len);
/* Removes root and everything in it (a directory jar_store_open made). NULL is a no-op. */
void jar_store_remove(const char *root);

/* Whether id may name a file of the store (a bare file name, see above). */
bool jar_store_valid_id(const char *id);
/* Whether the file at path is an ELF shared object (ET_DYN); false with err saying why not,
 * naming it as `name`. */
bool jar_store_is_shared_object(const char *path, const char *name, char *err, size_t err_len);
/* Moves (or copies, across file systems) the uploaded file `src` into the store as
 * <uuid>_<name>; *stored (sp_malloc'd) is its absolute path. A store directory removed meanwhile
 * is made again (as Flink checks its upload directory on every upload). */
int jar_store_add(const char *dir, const char *src, const char *name, char **stored, char *err,
                  size_t err_len);

typedef struct jar_entry {
  char *id;         /* the file name, <uuid>_<name> */
  char *name;       /* <name>: the id without its "<uuid>_" */
  int64_t uploaded; /* epoch ms of the upload (the file's mtime) */
} jar_entry;

/* The store's regular files, newest first (none when the directory is gone). *out (sp_malloc'd) and each entry freed with
 * jar_store_list_free. */
int jar_store_list(const char *dir, jar_entry **out, size_t *n, char *err, size_t err_len);
void jar_store_list_free(jar_entry *e, size_t n);

/* The path of jar id (sp_malloc'd into *path) if id is valid and a regular file of the store;
 * SPATE_ENOENT "File <id> does not exist in <dir>." otherwise. */
int jar_store_find(const char *dir, const char *id, char **path, char *err, size_t err_len);
/* Deletes jar id; SPATE_ENOENT as jar_store_find. */
int jar_store_delete(const char *dir, const char *id, char *err, size_t err_len);
#endif
