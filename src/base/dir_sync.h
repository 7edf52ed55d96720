/*
 * dir_sync.h: making a directory's entries durable: after a file is created or renamed in a
 * directory, the directory itself must be fsync'ed for the name to survive a crash.
 */
#ifndef SPATE_BASE_DIR_SYNC_H
#define SPATE_BASE_DIR_SYNC_H

/* fsyncs the directory at path; returns 0, or the errno of the open or the fsync that failed. */
int sp_sync_dir(const char *path);

#endif
