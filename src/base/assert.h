/*
 * assert.h: sp_assert, the check of an invariant that must hold in every build, release too (as
 * Redis's serverAssert). An invariant is something the code itself guarantees (a count that
 * never goes negative, an index inside its array, a state machine's order), not a property of
 * outside input: bad input gets an error value and a message, never an assert.
 *
 * A failed assert logs "Assertion failed: <expr> at <file>:<line> (<function>)" as an ERROR line
 * and aborts; inside a task the fatal-signal report (runtime/crash_report.c) then names the
 * task and operator. Unlike <assert.h>, NDEBUG does not turn it off.
 */
#ifndef SPATE_BASE_ASSERT_H
#define SPATE_BASE_ASSERT_H

_Noreturn void sp_assert_failed(const char *expr, const char *file, int line, const char *func);

#define sp_assert(expr) ((expr) ? (void)0 : sp_assert_failed(#expr, __FILE__, __LINE__, __func__))

#endif
