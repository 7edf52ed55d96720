/*
 * prefetch.h: a software prefetch that the compiler keeps.
 *
 * GCC deletes a loop whose only effect is __builtin_prefetch (a finite loop without side
 * effects), so a probe run that reads table slots and prefetches the entry it finds vanished
 * whole from the release build (ks_prefetch's entry prefetch, found in the disassembly). The
 * empty volatile asm after the prefetch is a side effect the compiler must keep, and with it the
 * loop and the prefetch; it emits no instruction.
 */
#ifndef SPATE_BASE_PREFETCH_H
#define SPATE_BASE_PREFETCH_H

static inline void sp_prefetch(const void *p) {
  __builtin_prefetch(p);
  __asm__ volatile("" : : "r"(p));
}

#endif
