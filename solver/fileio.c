/* Files written atomically: under a temporary name, renamed into place
 * (fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

/* The temporary name of path: unique per process, so that processes writing
 * the same result (job-array elements) never rename each other's file; the
 * host's name too, as processes on different nodes of a shared file system
 * (containers above all) can have the same pid. */
static void tmp_name(const char *path, char *tmp, size_t n) {
  static char host[64];
  if (!host[0]) {
    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
      snprintf(host, sizeof host, "host");
    for (char *p = host; *p; p++) /* a file-name part */
      if (*p == '/' || *p == ' ')
        *p = '_';
  }
  snprintf(tmp, n, "%s.tmp.%s.%ld", path, host, (long)getpid());
}

int fm_make_dirs(const char *dir) {
  char buf[4800];
  snprintf(buf, sizeof buf, "%s", dir);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      if (mkdir(buf, 0777) && errno != EEXIST)
        return fm_error("%s: cannot create directory: %s", buf,
                        strerror(errno));
      *p = '/';
    }
  if (mkdir(buf, 0777) && errno != EEXIST)
    return fm_error("%s: cannot create directory: %s", buf, strerror(errno));
  struct stat st; /* EEXIST: a directory, or something else by that name */
  if (stat(buf, &st) != 0)
    return fm_error("%s: cannot create directory: %s", buf, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return fm_error("%s: exists and is not a directory", buf);
  return 0;
}

FILE *fm_open_tmp(const char *path) {
  char tmp[4200];
  tmp_name(path, tmp, sizeof tmp);
  FILE *fp = fopen(tmp, "wb");
  if (!fp)
    fm_error("%s: cannot write: %s", tmp, strerror(errno));
  return fp;
}

int fm_close_tmp(FILE *fp, const char *path) {
  const int bad = ferror(fp);
  if (fclose(fp) != 0 || bad) {
    fm_discard_tmp(path);
    return fm_error("%s: write failed (disk full?)", path);
  }
  return 0;
}

int fm_rename_tmp(const char *path) {
  char tmp[4200];
  tmp_name(path, tmp, sizeof tmp);
  if (rename(tmp, path) != 0) {
    remove(tmp);
    return fm_error("%s: cannot rename into place: %s", path, strerror(errno));
  }
  return 0;
}

void fm_discard_tmp(const char *path) {
  char tmp[4200];
  tmp_name(path, tmp, sizeof tmp);
  remove(tmp);
}

static char open_why[128];

const char *fm_open_error(void) {
  return open_why;
}

FILE *fm_open_regular(const char *path) {
  /* non-blocking: opening a FIFO must not wait for a writer */
  const int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    snprintf(open_why, sizeof open_why, "%s", strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
    const int dir = S_ISDIR(st.st_mode);
    close(fd);
    snprintf(open_why, sizeof open_why, "%s",
             dir ? "a folder, not a file"
                 : "not a regular file (a device, FIFO or socket)");
    return NULL;
  }
  const int fl = fcntl(fd, F_GETFL);
  if (fl >= 0)
    (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  FILE *f = fdopen(fd, "rb");
  if (!f) {
    snprintf(open_why, sizeof open_why, "%s", strerror(errno));
    close(fd);
  }
  return f;
}

char *fm_read_text(const char *path, size_t *n) {
  FILE *f = fm_open_regular(path);
  if (!f)
    return NULL;
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    len += fread(buf + len, 1, cap - len, f);
    if (len < cap)
      break;
    char *more = realloc(buf, 2 * cap + 1);
    if (!more)
      free(buf);
    buf = more;
    cap *= 2;
  }
  const int err = !buf ? ENOMEM : ferror(f) ? EIO : 0;
  fclose(f);
  if (err) {
    free(buf);
    snprintf(open_why, sizeof open_why, "%s", strerror(err));
    errno = err;
    return NULL;
  }
  buf[len] = 0;
  if (n)
    *n = len;
  return buf;
}
