/*
 * state_shortcuts.h: keyed state of single BIGINT, DOUBLE and STRING values without schemas,
 * descriptors or row builders (Flink's ValueState<Long>, ListState<Double>,
 * MapState<String, Long>). Included by spate.h; implemented over the state API above it
 * (src/api/state_shortcuts.c).
 *
 *     spate_state *count = spate_value_state_bigint(ctx, "count");
 *     int64_t n = 0;
 *     if (spate_value_get_bigint(count, &n) < 0) return SPATE_EUDF;   (n stays 0 when absent)
 *     spate_value_set_bigint(count, n + 1);
 *
 * Declaring: spate_value_state_<type>(ctx, name), spate_list_state_<type>(ctx, name), or for
 * maps and per-window state spate_scalar_state. Like spate_ctx_state these work in every
 * function on a keyed stream, in the open function or lazily in the function itself (the same
 * name returns the same handle, and after a restore the state holds what was checkpointed).
 * They return NULL and record a context error when the stream is not keyed or the name is
 * already a state of another type. The value schema is "v <TYPE> NOT NULL", map keys
 * "k <TYPE> NOT NULL": a state declared with such a descriptor is the same state.
 *
 * Reading: get returns 1 and the value when present, 0 when absent (the output is then left
 * untouched, so initialise it with the default), or a negative code (the context has the
 * message; return it from the UDF). A string read is a view valid until the next state call.
 * Strings are (pointer, length); a length of SPATE_STRLEN means the pointer is NUL-terminated.
 * Each call checks that the state was declared with the type in its name, and fails (negative
 * code and a context error naming the state) otherwise. Iterate lists and maps with
 * spate_list_iter / spate_map_iter, then the typed next functions below, which return false at
 * the end (or, after recording a context error, when the state holds another type).
 * Clear with spate_state_clear; spate_map_remove and spate_map_contains work with typed keys
 * through spate_map_remove_<key type> / spate_map_contains_<key type>.
 */
#ifndef SPATE_STATE_SHORTCUTS_H
#define SPATE_STATE_SHORTCUTS_H

#ifdef __cplusplus
extern "C" {
#endif

#define SPATE_STRLEN ((size_t)-1)

/* The general form: a VALUE, LIST or MAP state of value_type (BIGINT, DOUBLE or STRING) with
 * keys of key_type (MAP only: BIGINT or STRING; ignored otherwise), per window (in process
 * window functions: spate_ctx_window_state) or for the key (spate_ctx_state). */
spate_state *spate_scalar_state(spate_ctx *ctx, const char *name, spate_state_kind kind,
                                spate_type key_type, spate_type value_type, bool per_window);

/* Value state. */
spate_state *spate_value_state_bigint(spate_ctx *ctx, const char *name);
spate_state *spate_value_state_double(spate_ctx *ctx, const char *name);
spate_state *spate_value_state_string(spate_ctx *ctx, const char *name);
int spate_value_get_bigint(spate_state *s, int64_t *v);
int spate_value_get_double(spate_state *s, double *v);
int spate_value_get_string(spate_state *s, spate_bytes *v);
int spate_value_set_bigint(spate_state *s, int64_t v);
int spate_value_set_double(spate_state *s, double v);
int spate_value_set_string(spate_state *s, const char *v, size_t len);

/* List state: add one element; iterate with spate_list_iter and the next functions. */
spate_state *spate_list_state_bigint(spate_ctx *ctx, const char *name);
spate_state *spate_list_state_double(spate_ctx *ctx, const char *name);
spate_state *spate_list_state_string(spate_ctx *ctx, const char *name);
int spate_list_add_bigint(spate_state *s, int64_t v);
int spate_list_add_double(spate_state *s, double v);
int spate_list_add_string(spate_state *s, const char *v, size_t len);
bool spate_list_next_bigint(spate_state_iter *it, int64_t *v);
bool spate_list_next_double(spate_state_iter *it, double *v);
bool spate_list_next_string(spate_state_iter *it, spate_bytes *v);

/* Map state (declared with spate_scalar_state): spate_map_<op>_<key type>_<value type>. */
int spate_map_get_bigint_bigint(spate_state *s, int64_t key, int64_t *v);
int spate_map_put_bigint_bigint(spate_state *s, int64_t key, int64_t v);
bool spate_map_next_bigint_bigint(spate_state_iter *it, int64_t *key, int64_t *v);
int spate_map_get_bigint_double(spate_state *s, int64_t key, double *v);
int spate_map_put_bigint_double(spate_state *s, int64_t key, double v);
bool spate_map_next_bigint_double(spate_state_iter *it, int64_t *key, double *v);
int spate_map_get_bigint_string(spate_state *s, int64_t key, spate_bytes *v);
int spate_map_put_bigint_string(spate_state *s, int64_t key, const char *v, size_t len);
bool spate_map_next_bigint_string(spate_state_iter *it, int64_t *key, spate_bytes *v);
int spate_map_get_string_bigint(spate_state *s, const char *key, size_t key_len, int64_t *v);
int spate_map_put_string_bigint(spate_state *s, const char *key, size_t key_len, int64_t v);
bool spate_map_next_string_bigint(spate_state_iter *it, spate_bytes *key, int64_t *v);
int spate_map_get_string_double(spate_state *s, const char *key, size_t key_len, double *v);
int spate_map_put_string_double(spate_state *s, const char *key, size_t key_len, double v);
bool spate_map_next_string_double(spate_state_iter *it, spate_bytes *key, double *v);
int spate_map_get_string_string(spate_state *s, const char *key, size_t key_len, spate_bytes *v);
int spate_map_put_string_string(spate_state *s, const char *key, size_t key_len, const char *v,
                                size_t len);
bool spate_map_next_string_string(spate_state_iter *it, spate_bytes *key, spate_bytes *v);
int spate_map_remove_bigint(spate_state *s, int64_t key); /* 1 removed, 0 absent */
int spate_map_contains_bigint(spate_state *s, int64_t key);
int spate_map_remove_string(spate_state *s, const char *key,
                            size_t key_len); /* 1 removed, 0 absent */
int spate_map_contains_string(spate_state *s, const char *key, size_t key_len);

#ifdef __cplusplus
}
#endif
#endif
