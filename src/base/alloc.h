/*
 * alloc.h: the one allocation wrapper. Every allocation in Spate goes through here so that the
 * process knows how many bytes it holds (reported in job results and benchmarks) and so that
 * tests can inject allocation failures.
 *
 * sp_malloc & co. return NULL on failure like malloc; callers turn that into SPATE_ENOMEM.
 * Blocks carry a 16-byte header with their size; sp_free(NULL) is a no-op.
 */
#ifndef SPATE_BASE_ALLOC_H
#define SPATE_BASE_ALLOC_H
#include <stddef.h>
#include <stdint.h>

void *sp_malloc(size_t n);
void *sp_calloc(size_t count, size_t n);
void *sp_realloc(void *p, size_t n);
void sp_free(void *p);
char *sp_strdup(const char *s);
char *sp_strndup(const char *s, size_t n);
/* Bytes currently allocated through the wrapper (the sum of every thread's count), and the
 * peak since start (within 16 KiB per thread: see alloc.c). */
int64_t sp_alloc_current(void);
int64_t sp_alloc_peak(void);
/* Fault injection for tests: the n-th allocation from now (1 = the next) fails, and every one
 * after it too when sticky; n = 0 switches injection off. */
void sp_alloc_fail_after(int64_t n, int sticky);
#endif
