/*
 * stream_graph.h: the StreamGraph (one node per transformation, one edge per input) that the API
 * builds, and the JobGraph that chaining turns it into.
 *
 * The JobGraph is a plain value: it owns copies of all nodes, encodes to bytes and decodes again
 * (jobgraph_encode / jobgraph_decode), and that round trip happens before every run, also in
 * local mode, so what a remote TaskManager would receive is exactly what runs here.
 *
 * UDFs are referenced by symbol name only; `artifact` names the shared object that holds them
 * (NULL: the main program, for jobs linked as executables). The runtime resolves them with
 * dlsym after loading the artifact.
 *
 * This is the interface of the graph layer, besides operator parameters (which the nodes carry
 * as bytes; their structs are in op_params.h). Its implementation is split by concept:
 * stream_graph.c (building a StreamGraph, validation), job_graph.c (chaining, uids, slot
 * sharing), graph_codec.c (the byte encoding with checksum, the job's configuration) and
 * plan_json.c (the JSON plan). graph_internal.h holds what those files share.
 */
#ifndef SPATE_GRAPH_STREAM_GRAPH_H
#define SPATE_GRAPH_STREAM_GRAPH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/bytes.h"
#include "base/config.h"
#include "types/schema.h"

/* Operator kinds. A kind's parameters (sg_node.params) are its struct in graph/op_params.h;
 * kinds without one have none. */
typedef enum op_kind {
  OP_SRC_ELEMENTS = 1, /* non-parallel */
  OP_SRC_FILE,
  OP_SRC_SEQUENCE,
  OP_SRC_GENERATOR, /* udf = generator */
  OP_SRC_SOCKET,    /* non-parallel */
  OP_MAP,           /* udf = map fn */
  OP_FLAT_MAP,      /* udf = flat map fn */
  OP_FILTER,        /* udf = filter fn */
  OP_REDUCE,        /* udf = reduce fn; keyed */
  OP_AGG,           /* keyed */
  OP_SINK_PRINT,
  OP_SINK_TEXT,
  OP_SINK_DISCARD,
  OP_SINK_COLLECT,
  OP_SINK_UDF,         /* udf = sink fn */
  OP_PROCESS,          /* udf = process fn; keyed if key.nfields > 0 or key.selector */
  OP_CO_PROCESS,       /* two inputs (0 and 1, schemas may differ); udf = function of input 0;
                          keyed when both input edges are hash-partitioned (their keys) */
  OP_INTERVAL_JOIN,    /* two keyed inputs; udf = join fn */
  OP_WINDOW_JOIN,      /* two keyed inputs; udf = join or coGroup fn */
  OP_WINDOW,           /* keyed; udf = reduce or window fn, or (WINDOW_FN_AGGREGATE) the
                          aggregate's add */
  OP_TIMESTAMPS,       /* udf = timestamp fn, or none with a timestamp field */
  OP_SINK_FILE,        /* exactly-once file sink */
  OP_SINK_TWO_PHASE,   /* udf = invoke */
  OP_SRC_NEXMARK,      /* the Nexmark generator (connectors/nexmark_source.c) */
  OP_PARTITION_COMMIT, /* the file sink's partition committer (parallelism 1) */
  /* SQL's physical operators (issue 16; their rows may carry a row kind, types/row_kind.h) */
  OP_SQL_CALC,        /* a compiled projection and filter over rows */
  OP_SQL_GROUP_AGG,   /* keyed: an updating GROUP BY aggregation */
  OP_SQL_WINDOW_AGG,  /* keyed: window table function aggregation */
  OP_SRC_DATAGEN,     /* SQL's datagen connector */
  OP_SQL_WINDOW_TVF,  /* a window table function's rows: each row once per window */
  OP_SQL_JOIN,        /* two keyed inputs: a regular join */
  OP_SQL_RANK,        /* keyed: Top-N per partition */
  OP_SQL_DEDUPLICATE, /* keyed: the first or last row per partition */
  OP_SQL_OVER_AGG,    /* keyed: aggregates over each row's window of preceding rows */
  OP_KIND_MAX_
} op_kind;

enum { WINDOW_FN_REDUCE = 1, WINDOW_FN_APPLY = 2, WINDOW_FN_AGGREGATE = 3 };

typedef enum agg_kind { AGG_SUM = 1, AGG_MIN, AGG_MAX, AGG_MIN_BY, AGG_MAX_BY } agg_kind;

typedef enum part_kind {
  PART_UNSET = 0, /* resolved when the JobGraph is built: FORWARD or REBALANCE */
  PART_FORWARD,
  PART_REBALANCE,
  PART_RESCALE,
  PART_SHUFFLE,
  PART_BROADCAST,
  PART_GLOBAL,
  PART_CUSTOM, /* partition_fn over key */
  PART_HASH,   /* key groups over key */
} part_kind;

typedef enum chain_strategy { CHAIN_ALWAYS = 0, CHAIN_HEAD = 1, CHAIN_NEVER = 2 } chain_strategy;

/* A key: either fields of the input row, or a selector UDF building a row of key_schema. */
typedef struct key_spec {
  int nfields; /* > 0 for field keys */
  int *fields;
  char *selector;           /* UDF symbol for selector keys, else NULL */
  spate_schema *key_schema; /* schema of the key row (selector) or of the key fields */
} key_spec;

typedef struct sg_edge {
  int source; /* node id */
  part_kind part;
  key_spec key;       /* for PART_HASH and PART_CUSTOM */
  char *partition_fn; /* for PART_CUSTOM */
  char *side_tag;     /* NULL: the source's main output; else the side output with this tag */
  spate_schema *side_schema; /* schema of that side output */
} sg_edge;

typedef struct sg_node {
  int id; /* index in the graph's node array */
  op_kind kind;
  char *name;
  char *uid;                /* may be NULL */
  int parallelism;          /* <= 0: the environment's default */
  int max_parallelism;      /* <= 0: derived from parallelism (Flink's default rule) */
  bool parallelism_fixed;   /* sources that only run at parallelism 1 (socket, elements) */
  spate_schema *out_schema; /* NULL for sinks */
  char *udf;                /* main UDF symbol or NULL */
  char *open_fn, *close_fn;
  uint8_t *udf_arg;
  size_t udf_arg_len;
  uint8_t *params; /* the kind's parameters, encoded (graph/op_params.h) */
  size_t params_len;
  chain_strategy chaining;
  char *slot_group; /* NULL: inherit from inputs, else "default" */
  int ninputs;
  sg_edge *inputs;
  key_spec key; /* keyed operators (OP_REDUCE, OP_AGG, windows, joins; process, map, flat map
                   and filter on a keyed stream): the key of their input */
} sg_node;

/* The schema of the rows an edge carries: its side output's, or the source's main output's. */
static inline const spate_schema *sg_edge_schema(const sg_node *nodes, const sg_edge *e) {
  return e->side_tag ? e->side_schema : nodes[e->source].out_schema;
}

typedef struct stream_graph {
  char *job_name;
  char *artifact; /* path of the object holding UDFs; NULL = main program */
  int default_parallelism;
  int default_max_parallelism; /* <= 0: Flink's rule */
  bool chaining_enabled;
  int64_t buffer_timeout_ms;
  uint32_t buffer_size; /* bytes per network buffer */
  uint8_t *conf;        /* the job's configuration (jobgraph_set_config), or NULL */
  size_t conf_len;
  int nnodes, cap;
  sg_node *nodes;
} stream_graph;

/* ---- stream_graph.c: building a StreamGraph ------------------------------------------------- */
stream_graph *sg_new(const char *job_name);
void sg_free(stream_graph *g);
/* Appends a zeroed node of this kind, id set, name copied; NULL on allocation failure. The
 * pointer is valid until the next sg_add_node (use ids to keep references). */
sg_node *sg_add_node(stream_graph *g, op_kind kind, const char *name);
/* Appends an input edge to node `target`; returns the edge or NULL. */
sg_edge *sg_add_input(stream_graph *g, int target, int source, part_kind part);
void key_spec_free(key_spec *k);
int key_spec_copy(key_spec *dst, const key_spec *src);
bool op_is_source(op_kind k);
bool op_is_sink(op_kind k);
bool op_is_keyed(op_kind k);
const char *op_kind_name(op_kind k);     /* "MAP", ... */
const char *part_kind_name(part_kind p); /* Flink's ship strategy names: "FORWARD", "HASH", ... */

/* ---- JobGraph --------------------------------------------------------------------------------
 * Vertices are chains. Node ids are kept from the StreamGraph; nodes[i].id == i. */
typedef struct jg_edge {
  int id;
  int source_vertex, target_vertex;
  int source_node, target_node; /* the stream edge this job edge carries */
  int target_input;             /* index of the edge in target node's inputs */
  part_kind part;               /* resolved, never PART_UNSET */
} jg_edge;

typedef struct jg_vertex {
  int id;
  char *name; /* "Source: X -> Map -> Filter" */
  int parallelism, max_parallelism;
  char *slot_group;
  int head; /* head node id */
  int nnodes;
  int *nodes; /* node ids of the chain, topological order, head first */
  int ninputs, noutputs;
  int *inputs, *outputs; /* job edge ids, in order */
} jg_vertex;

typedef struct job_graph {
  char job_id[33]; /* 32 lower-case hex digits */
  char *job_name;
  char *artifact;
  bool chaining_enabled;
  int64_t buffer_timeout_ms;
  uint32_t buffer_size;
  uint8_t *conf; /* the job's configuration: u32 n, n x (str key, str value) */
  size_t conf_len;
  int nnodes;
  sg_node *nodes;   /* resolved: parallelism and max_parallelism > 0, slot_group set */
  int *node_vertex; /* vertex id of each node */
  int nvertices;
  jg_vertex *vertices; /* topological order (sources first) */
  int nedges;
  jg_edge *edges;
} job_graph;

/* ---- job_graph.c: chaining, uids, slot sharing ---------------------------------------------- */
/* Applies defaults, checks the graph (schemas match across edges, keyed operators have keys,
 * forward edges keep parallelism, parallelism within max parallelism, ...) and chains it with
 * Flink's rules. On error returns SPATE_EINVAL with a message naming the operator. */
int jobgraph_build(const stream_graph *g, job_graph **out, char *err, size_t err_len);
void jobgraph_free(job_graph *jg);
/* Highest vertex parallelism = slots needed with slot sharing (one group); per group, summed. */
int jobgraph_slots_needed(const job_graph *jg);
/* The uids of vertex v's chain in order, joined by '\n' (how checkpoints name a task that had
 * finished); sp_malloc'ed, NULL on allocation failure. */
char *jobgraph_chain_uids(const job_graph *jg, int v);
/* True when the node's uid was generated (no spate_uid was given): "auto-<16 hex digits>" from
 * the node's position and its inputs, as Flink's StreamGraphHasher. */
bool sg_uid_generated(const sg_node *n);
/* Flink's JobVertexID of vertex v and OperatorID of node: 32 lowercase hex digits (and a NUL)
 * derived from the head operator's (the node's) uid, so the same job gets the same ids in every
 * run, as Flink's hashes of the StreamGraph. */
void jobgraph_vertex_id(const job_graph *jg, int v, char out[33]);
void jobgraph_operator_id(const job_graph *jg, int node, char out[33]);

/* ---- graph_codec.c: bytes ------------------------------------------------------------------- */
/* Appends the graph's encoding ("SPJG", version, graph, checksum) to w; SPATE_ENOMEM if w
 * failed. */
int jobgraph_encode(const job_graph *jg, sp_writer *w);
/* Validates everything (magic, version, checksum, indexes, schemas) and never trusts a count. */
int jobgraph_decode(const void *data, size_t len, job_graph **out, char *err, size_t err_len);
/* Encodes every explicitly set key of cfg as the graph's configuration (what the JobMaster and
 * TaskExecutors read checkpointing and restart settings from, as Flink's JobGraph carries its
 * Configuration). */
int sg_set_config(stream_graph *g, const sp_config *cfg);
/* A configuration holding the job's keys (defaults for the rest). *out owned by the caller. */
int jobgraph_config(const job_graph *jg, sp_config **out, char *err, size_t err_len);

/* ---- plan_json.c ---------------------------------------------------------------------------- */
/* Flink-style JSON execution plan; caller frees with sp_free. NULL on allocation failure. */
char *jobgraph_plan_json(const job_graph *jg);
/* The same plan as the REST API serves it (Flink's JsonPlanGenerator): nodes' "id" and their
 * inputs' "id" are the vertices' JobVertexIDs (jobgraph_vertex_id, 32 hex digits), which the
 * web dashboard matches against /jobs/:jobid's vertices; jobgraph_plan_json keeps the vertex
 * numbers `spate info` has always printed. */
char *jobgraph_plan_json_rest(const job_graph *jg);
#endif
