/*
 * partitioners.h: which subpartition of a record writer each record goes to (Flink's
 * StreamPartitioner), one rule per part_kind: FORWARD and GLOBAL the first, REBALANCE and RESCALE
 * round robin from a start that depends on the producing subtask, SHUFFLE at random, BROADCAST
 * every one, HASH the consumer that owns the key's key group (computed as Flink does, so a key
 * lands on the same subtask index as in Flink), CUSTOM what the user's partition function returns
 * for the key field.
 *
 * A record writer holds one partitioner (record_writer.h). Choosing is on the per-record path:
 * the cheap rules are inline below, the keyed ones (which may call a key selector or partition
 * function) are in partitioners.c. Which consumers a producer is connected to at all (pointwise
 * or all-to-all) is result_partition.h's rp_consumers_of.
 */
#ifndef SPATE_RUNTIME_PARTITIONERS_H
#define SPATE_RUNTIME_PARTITIONERS_H
#include <stddef.h>
#include <stdint.h>
#include "graph/stream_graph.h"
#include "spate/spate.h"

/* How records are spread: the settings rw_init hands to partitioner_init. */
typedef struct partitioner_config {
  part_kind part;
  int nsub; /* subpartitions to choose from (connected consumers) */
  int consumer_parallelism, max_parallelism; /* HASH: key group to consumer, as Flink */
  int subtask;                /* the producing subtask: where round robin starts, and the
                                     shuffle's seed */
  const spate_schema *schema; /* the records' schema (HASH by fields) */
  /* keys for HASH and CUSTOM: fields of the record, or a key selector building a row of
   * key_schema; CUSTOM keys by one field, built into a row of key_schema for custom_fn */
  int nkey;
  const int *key_fields;
  spate_key_fn key_fn;
  const spate_schema *key_schema;
  spate_partition_fn custom_fn;
} partitioner_config;

typedef struct partitioner {
  part_kind part;
  int nsub;
  int consumer_parallelism, max_parallelism;
  int rr;       /* round-robin position */
  uint64_t rng; /* shuffle */
  /* keys for HASH and CUSTOM */
  const spate_schema *schema;
  int nkey;
  const int *key_fields;
  spate_key_fn key_fn;            /* selector keys */
  const spate_schema *key_schema; /* selector keys: schema of the key row */
  const int *key_all_fields;      /* selector keys: 0..n-1 */
  spate_row_builder *key_rb;
  spate_partition_fn custom_fn;
  int key_group;         /* HASH: the key group of the record selected last (the record writer
                           sends it along: element.h) */
  uint16_t *kg_target;   /* HASH: key group -> subpartition (sp_operator_index), computed once:
                           no division per record */
  struct spate_ctx *ctx; /* context handed to key and partition UDFs */
  char *err;             /* task error buffer */
  size_t err_len;
} partitioner;

/* The target of a BROADCAST record: every subpartition. */
enum { PARTITION_ALL = -1 };

/* Sets p up from c; UDF failures are written into err (naming ctx's operator), and ctx is what
 * the UDFs receive. Returns 0 or SPATE_ENOMEM (then nothing is held). */
int partitioner_init(partitioner *p, const partitioner_config *c, struct spate_ctx *ctx, char *err,
                     size_t err_len);
/* Frees what partitioner_init allocated. */
void partitioner_destroy(partitioner *p);

/* HASH and CUSTOM: the subpartition of a record by its key (partitioners.c); HASH also sets
 * p->key_group. */
int partitioner_key_target(partitioner *p, const spate_row *row, int *target);

/* Picks the subpartition of a record (PARTITION_ALL for BROADCAST). Returns 0, or an error of a
 * key selector or partition function (message in p->err). */
static inline int partitioner_select(partitioner *p, const spate_row *row, int *target) {
  switch (p->part) {
  case PART_FORWARD: *target = 0; return 0;
  case PART_RESCALE:
  case PART_REBALANCE:
    *target = p->rr;
    if (++p->rr == p->nsub) p->rr = 0;
    return 0;
  case PART_SHUFFLE:
    p->rng ^= p->rng << 13;
    p->rng ^= p->rng >> 7;
    p->rng ^= p->rng << 17;
    *target = (int)(p->rng % (uint64_t)p->nsub);
    return 0;
  case PART_GLOBAL: *target = 0; return 0;
  case PART_BROADCAST: *target = PARTITION_ALL; return 0;
  case PART_HASH:
  case PART_CUSTOM: return partitioner_key_target(p, row, target);
  default: *target = 0; return 0;
  }
}
#endif
