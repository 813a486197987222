/* Files written atomically: under a temporary name (path + ".tmp.<pid>"),
 * renamed into place once complete, so that a failed or interrupted run
 * never leaves a partial file under the real name. */
#ifndef FEMORA_FILEIO_H
#define FEMORA_FILEIO_H

#include <stdio.h>

/* Create a directory and its parents (like mkdir -p). */
int fm_make_dirs(const char *dir);

/* Open path + ".tmp.<pid>" for writing (the temporary name; all below). */
FILE *fm_open_tmp(const char *path);
/* Close the temporary file of path (on a write error: remove it and record
 * an error naming the path). */
int fm_close_tmp(FILE *fp, const char *path);
/* Rename path + ".tmp" to path. */
int fm_rename_tmp(const char *path);
/* Remove path + ".tmp" (a failed run leaves no partial result). */
void fm_discard_tmp(const char *path);

/* An input file opened for reading ("rb"), or NULL, with fm_open_error()
 * saying why: a folder, or anything but a regular file (a FIFO would
 * block, /dev/zero never end), is refused without reading it. */
FILE *fm_open_regular(const char *path);
const char *fm_open_error(void);

/* The whole file at path (a regular file: fm_open_regular),
 * NUL-terminated, its length in *n (n may be NULL); NULL where it cannot
 * be opened or read, fm_open_error() saying why.
 * Records no error (a caller cleaning up after one keeps its message).
 * The caller frees it. */
char *fm_read_text(const char *path, size_t *n);

#endif
