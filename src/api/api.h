/*
 * api.h: internals of the DataStream API shared by its files and the CLI.
 *
 * The environment owns the StreamGraph being built, the schemas it parsed, the stream handles it
 * gave out, and the first build error (sticky: later builder calls do nothing). A stream handle
 * is either a real node, or a virtual result (partitioning, key by, union) that lists the nodes
 * feeding the next operator and how; that is how Flink's partition and union transformations
 * turn into edges without nodes of their own.
 *
 * The CLI context is the one process-wide setting: `spate run` and `spate info` install it before
 * calling the job's spate_main so that environments created there pick up the CLI's
 * configuration and report to the CLI.
 */
#ifndef SPATE_API_API_H
#define SPATE_API_API_H
#include "base/config.h"
#include "base/err.h"
#include "graph/stream_graph.h"

typedef struct stream_input {
  int node;
  part_kind part;
  key_spec key;
  char *partition_fn;
  char *side_tag; /* reads this side output of the node (NULL: its main output) */
  spate_schema *side_schema;
} stream_input;

struct spate_stream {
  spate_env *env;
  int node; /* >= 0 for a real node, -1 for a virtual stream */
  int ninputs;
  stream_input *inputs; /* what feeds the next operator */
  const spate_schema *schema;
  bool keyed;
  bool windowed;  /* spate_window: the next function makes a window operator */
  bool connected; /* spate_connect: inputs[0] is the first stream, inputs[1] the second */
  bool broadcast; /* spate_connect_broadcast: inputs[1] is broadcast */
  spate_window_assigner window;
  int64_t lateness;
  char *late_tag;
  bool arrival_order;    /* spate_window_arrival_order: no panes */
  spate_trigger trigger; /* SPATE_TRIGGER_DEFAULT unless spate_window_trigger set one */
  spate_evictor evictor; /* SPATE_EVICTOR_NONE unless spate_window_evictor set one */
  bool window_all;       /* spate_window_all: one window operator of parallelism 1 */
};

struct spate_env {
  sp_config *config;
  stream_graph *g;
  char error[SP_ERRMSG_MAX];
  bool failed;
  spate_stream **streams;
  int nstreams;
  spate_schema **schemas;
  int nschemas;
  int parallelism;        /* set in code, else 0 */
  int max_parallelism;    /* set in code, else 0 */
  int64_t buffer_timeout; /* set in code, else < -1 */
  bool chaining_disabled;
  char *artifact; /* object holding the UDFs; NULL: the main program */
  bool artifact_known;
  spate_clock *clock;          /* processing time of its jobs; NULL: the system clock */
  spate_job_listener listener; /* events of its jobs, or NULL */
  void *listener_arg;
  /* a cluster its jobs go to instead of the CLI's (cli_context.remote) or an embedded
   * MiniCluster: the SQL client's jobs with execution.target: remote. Its jobs use only built-in
   * operators, so their artifact is at most the library of their C functions (the SQL client
   * sets it); nothing is printed on submission. */
  const struct api_remote *remote;
  int executed_nodes; /* nodes of g when it was last executed (0: never): a job runs once,
                             as Flink clears its transformations when execute takes them */
  struct spate_format **formats; /* formats made with spate_format_csv/json (api/formats.c) */
  int nformats;
};

/* Frees the environment's formats (api/formats.c). */
void api_free_formats(spate_env *env);

/* A cluster a job is submitted to instead of an embedded MiniCluster: `spate run -m` (the REST
 * client) or an application-mode JobManager (its own gateway). */
typedef struct api_remote {
  void *arg;
  bool detached; /* -d: submit and return */
  /* Submits the encoded job graph with its artifact (the shared object holding its functions). */
  int (*submit)(void *arg, const void *graph, size_t len, const char *artifact, const char *job_id,
                char *err, size_t err_len);
  /* Waits for the job to end: its status, runtime and (sp_malloc'd, may be NULL) failure. */
  int (*wait)(void *arg, const char *job_id, spate_job_status *status, int64_t *runtime_ms,
              char **failure, char *err, size_t err_len);
} api_remote;

typedef struct cli_context {
  const api_remote *remote;  /* a cluster to submit to, or NULL: the embedded MiniCluster */
  const char *job_path;      /* the job's shared object (what a cluster loads), or NULL */
  const char *job_id;        /* the id its job gets (application mode's --job-id), or NULL */
  const sp_config *config;   /* configuration file + -D */
  int parallelism;           /* -p, or 0 */
  bool plan_only;            /* spate info: print the plan instead of running */
  int executions;            /* spate_execute calls so far */
  int failures;              /* of which failed */
  bool planned;              /* a plan was printed */
  char error[SP_ERRMSG_MAX]; /* why the last failed execution failed */
} cli_context;

/* Installs (or with NULL removes) the CLI context. */
void api_set_cli_context(cli_context *ctx);
cli_context *api_cli_context(void);

/* Records the first build error on the environment. */
void api_fail(spate_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Loads the configuration an environment starts from: $SPATE_CONF_DIR/config.yaml, else
 * ./conf/config.yaml, if present. */
int api_load_default_config(sp_config *cfg, char *err, size_t err_len);

/* ---- builder steps shared by the DataStream files (datastream.c, virtual_streams.c) ----------
 * Each records its failure on the environment (api_fail) and does nothing once it has failed. */

/* An environment over a copy of cfg as it is (no configuration file read, no CLI context): the
 * SQL client's jobs, configured by its session. NULL on allocation failure. */
spate_env *api_env_create_with(const sp_config *cfg);
/* Hands schema s (the caller's reference) to env, which keeps it as long as its streams; false
 * (env failed, s released) on allocation failure. */
bool api_keep_schema(spate_env *env, spate_schema *s);
/* True when `in` is a stream whose environment has not failed. */
bool api_check_input(const char *api, const spate_stream *in);
/* A new stream handle, owned by env: for node >= 0 the output of that node (one input reading
 * it), for -1 a virtual stream whose inputs the caller fills in. NULL on allocation failure. */
spate_stream *api_new_stream(spate_env *env, int node, const spate_schema *schema);
/* The exported symbol name of fn (sp_malloc'ed), checking that it can be found again where the
 * job runs and that it lives in the same object as the job's other functions (the first one
 * sets the environment's artifact). NULL with the environment failed otherwise; `api` names
 * the calling function in the message. */
char *api_udf_name(spate_env *env, const char *api, void *fn);
/* Appends a node to the environment's StreamGraph and sets *id; NULL once failed or on
 * allocation failure. The pointer is valid until the next node is added (keep the id). */
sg_node *api_add_node(spate_env *env, op_kind kind, const char *name, int *id);
/* Encodes params, the struct of node id's kind (graph/op_params.h), as the node's params; false
 * (the environment failed) on allocation failure. */
bool api_set_params(spate_env *env, int id, const void *params);
/* Connects node id to what feeds `in`: one input edge per input, with copies of its key,
 * partition function and side output. */
bool api_connect_inputs(spate_env *env, int id, const spate_stream *in);
/* A node of `kind` fed by `in` with out_schema and fn (NULL: none) as its UDF, keyed by in's key
 * for keyed kinds; the new node's stream, or NULL. */
spate_stream *api_one_input(spate_stream *in, op_kind kind, const char *api, const char *name,
                            void *fn, const spate_schema *out_schema);
/* A virtual stream with in's schema and copies of its inputs (virtual_streams.c). */
spate_stream *api_virtual_copy(spate_stream *in, const char *api);
/* Deep copy of an input; SPATE_ENOMEM on allocation failure, when dst owns nothing (and must
 * not be freed). */
int api_stream_input_copy(stream_input *dst, const stream_input *src);
#endif
