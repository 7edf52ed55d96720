/*
 * assert.c: what a failed sp_assert does (see assert.h): one ERROR log line, then abort().
 */
#include "base/assert.h"

#include <stdlib.h>

#include "base/log.h"

_Noreturn void sp_assert_failed(const char *expr, const char *file, int line, const char *func) {
  sp_log(SP_LOG_ERROR, "assert", "Assertion failed: %s at %s:%d (%s)", expr, file, line, func);
  abort();
}
