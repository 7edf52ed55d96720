/* err.c: error codes to text, and the message-and-return helper. */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *spate_strerror(int rc) {
  switch (rc) {
  case SPATE_OK: return "success";
  case SPATE_EINVAL: return "invalid argument or input";
  case SPATE_ENOMEM: return "out of memory";
  case SPATE_EIO: return "I/O error";
  case SPATE_ENOENT: return "not found";
  case SPATE_ECANCELED: return "canceled";
  case SPATE_ENORESOURCE: return "not enough resources";
  case SPATE_EUDF: return "user function failed";
  case SPATE_ECORRUPT: return "corrupt data";
  case SPATE_ESTATE: return "invalid state";
  default: return "unknown error";
  }
}

int sp_err(char *buf, size_t cap, int rc, const char *fmt, ...) {
  if (buf && cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
  }
  return rc;
}
