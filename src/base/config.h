/*
 * config.h: configuration with Flink's key names. Values come from conf/config.yaml (flat keys
 * "a.b.c: v" or nested maps, as Flink's config.yaml accepts both), from -D key=value, and from
 * code, later sources overriding earlier ones.
 *
 * Every key must be known (see the table in config.c) and every value must parse for its type;
 * otherwise the call fails with SPATE_EINVAL and a message naming the file and line (or "-D" and
 * the argument). Keys of Flink that mean nothing to Spate (JVM memory sizes, ...) are accepted
 * with a warning. Getters return the default when a key is not set. Some keys have no default
 * (execution.checkpointing.interval: unset means checkpointing is off): sp_config_str returns
 * NULL for them, and the numeric getters must only be called once sp_config_is_set says the key
 * is set (otherwise they abort, like a getter of the wrong type).
 *
 * Types: int, bool (true/false), string, duration ("100 ms", "5 s", "1 min", bare number = ms),
 * memory size ("32 kb", "64mb", bare number = bytes), double ("1.5", "2", "1e-3"), enum (one of
 * fixed names, case-insensitive), log level.
 */
#ifndef SPATE_BASE_CONFIG_H
#define SPATE_BASE_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sp_config sp_config;

sp_config *sp_config_new(void);
sp_config *sp_config_clone(const sp_config *c);
void sp_config_free(sp_config *c);
/* Loads a YAML file. A missing file is SPATE_ENOENT (callers decide whether that matters). */
int sp_config_load_file(sp_config *c, const char *path, char *err, size_t err_len);
/* Sets one key; origin names where it came from for messages ("-D", "code"). */
int sp_config_set(sp_config *c, const char *key, const char *value, const char *origin, char *err,
                  size_t err_len);
/* Parses "key=value" as given to -D. */
int sp_config_set_kv(sp_config *c, const char *kv, char *err, size_t err_len);
bool sp_config_is_set(const sp_config *c, const char *key);
int64_t sp_config_int(const sp_config *c, const char *key); /* int keys */
bool sp_config_bool(const sp_config *c, const char *key);
int64_t sp_config_duration_ms(const sp_config *c, const char *key);
int64_t sp_config_bytes(const sp_config *c, const char *key);
double sp_config_double(const sp_config *c, const char *key);
/* String, enum (the canonical name, e.g. "EXACTLY_ONCE") and log level keys. */
const char *sp_config_str(const sp_config *c, const char *key);
/* Calls fn for every explicitly set key, in insertion order (for encoding and printing). */
void sp_config_each(const sp_config *c, void (*fn)(void *arg, const char *key, const char *value),
                    void *arg);
/* Parses a value in Flink's duration syntax ("100 ms", "1 min", bare number = ms) into
 * milliseconds, or a memory size ("64mb", bare number = bytes) into bytes; false if it does not
 * parse or overflows. For options outside the config table (connector options). */
bool sp_parse_duration_ms(const char *s, int64_t *out);
bool sp_parse_memory_size(const char *s, int64_t *out);
#endif
