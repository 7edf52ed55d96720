/*
 * merging_window_set.h: Flink's MergingWindowSet, the session windows of one key, kept in a
 * value state of a keyed-state backend and merged as windows are added. The window operator
 * (session windows, operators/window_operator.c) and the window join (operators/window_join.c)
 * use it.
 *
 * The windows of a set never intersect one another (touching counts, as TimeWindow.intersects),
 * so a new window merges with every window reachable from it. As in Flink, every window maps to
 * a state window: the namespace its contents live under. A new window is its own state window;
 * a merged window keeps the state window of one of the windows it replaces (the first the merge
 * function is given), so a session that grows element by element never moves its contents:
 * only when two existing sessions merge does the merge function fold the other state windows'
 * contents into the kept one. Without this every element of a session in timestamp order
 * (which always extends its session) would copy the session's contents: quadratic.
 *
 * Use per element or timer: make the key current in the backend, mws_load, add or remove
 * windows, mws_store (or drop the changes by not storing). The set in memory is a scratch copy
 * of the current key's; the state is a row of two BYTES fields, the windows and their state
 * windows, each packed (start, end) pairs (spate_time_window in memory order), cleared when the
 * set is empty. (Sets written before state windows existed were one field: a restore refuses
 * them as rows of the wrong shape.)
 *
 * Errors: the functions return 0 or a negative SPATE_E* code with the reason in mws_error.
 */
#ifndef SPATE_OPERATORS_MERGING_WINDOW_SET_H
#define SPATE_OPERATORS_MERGING_WINDOW_SET_H
#include "spate/spate.h"
#include "state/keyed_state.h"
#include "types/row.h"

typedef struct merging_window_set {
  ks_backend *backend;
  ks_state *state; /* VALUE (windows BYTES) per key, in the default namespace */
  spate_schema *schema;
  spate_row_builder rb;
  spate_time_window *w;  /* the current key's windows (after mws_load) */
  spate_time_window *sw; /* sw[i]: the state window of w[i] */
  size_t n, cap;
  char error[200];
} merging_window_set;

/* Called when an added window merges existing ones (Flink's MergeFunction): `cover` is the
 * merged window, the n windows `merged` are those it replaces (cover may be new or one of them
 * grown); `state` is the state window cover keeps (merged[0]'s), and the nstates windows
 * `merged_states` are the other merged windows' state windows, whose contents the function
 * folds into `state` (in their order; none when a single session grows). Called before the set
 * changes; timers are the caller's. Returns 0 to accept the merge, > 0 to refuse it (the set
 * stays as it was), < 0 on failure (the function reports its own error). */
typedef int (*mws_merge_fn)(void *arg, spate_time_window cover, const spate_time_window *merged,
                            size_t n, spate_time_window state,
                            const spate_time_window *merged_states, size_t nstates);

/* What mws_add did with a window. */
typedef enum {
  MWS_ADDED,  /* it intersected no window and joined the set as it is */
  MWS_INSIDE, /* it lay inside an existing window: nothing changed */
  MWS_MERGED  /* it merged with existing windows into a cover (the merge function ran) */
} mws_outcome;

/* Registers the set's value state `name` in backend b. s is zeroed first. */
int mws_open(merging_window_set *s, ks_backend *b, const char *name);
/* Frees what mws_open allocated (the state stays in the backend). Safe on a zeroed set. */
void mws_close(merging_window_set *s);

/* Reads the windows of the backend's current key (the namespace is left at the default one).
 * They may come from a checkpoint, so they are checked: whole windows, each with start < end;
 * key_group only names the key's group in the error. */
int mws_load(merging_window_set *s, int key_group);
/* Writes the set back as the current key's (the namespace is left at the default one). */
int mws_store(merging_window_set *s);

/* Adds window x (start < end), merging it with every window it intersects; *actual receives
 * the window x ends up in, *state (state may be NULL) its state window, *how what happened.
 * Returns 0, the merge function's non-zero
 * result, or a negative code of its own (out of memory for a new window, before the merge
 * function could run) with mws_error set; mws_error is empty after every other outcome. */
int mws_add(merging_window_set *s, spate_time_window x, mws_merge_fn merge, void *arg,
            spate_time_window *actual, spate_time_window *state, mws_outcome *how);
/* Removes window x (MergingWindowSet.retireWindow); false when the set does not hold it. */
bool mws_remove(merging_window_set *s, spate_time_window x);
/* Whether the set holds window x, and then (state may be NULL) its state window: a timer of a
 * window it does not hold was left behind by a window merged away
 * (MergingWindowSet.getStateWindow returns null). */
bool mws_state_window(const merging_window_set *s, spate_time_window x, spate_time_window *state);
/* The window whose state window is `state`, if any (the session a timer registered under its
 * state window belongs to now). */
bool mws_window_of_state(const merging_window_set *s, spate_time_window state,
                         spate_time_window *window);

const char *mws_error(const merging_window_set *s);
#endif
