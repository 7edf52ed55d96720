/*
 * execute.c: from a built environment to a running job. The StreamGraph gets its defaults from
 * the configuration (code settings first, then -p, then the config keys), becomes a JobGraph,
 * is encoded, decoded again (so the bytes a remote TaskManager would get are what runs), and is
 * submitted to a MiniCluster sized for it. Under `spate info` the plan is printed instead.
 *
 * Under the CLI, the submission and the end are reported on stdout in the words of Flink's CLI.
 *
 * Executing installs the fatal-signal report (runtime/crash_report.h), so that a program linking
 * libspate learns which operator crashed it, as `spate run` does (which installs it at start).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "cluster/minicluster.h"
#include "graph/op_params.h"
#include "runtime/crash_report.h"

struct spate_job_client {
  const api_remote *remote; /* the job runs on a cluster (remote submission) */
  minicluster *mc;
  mc_client *client;
  spate_job_result *ready; /* set when the job never reached the cluster */
  char job_id[33];
  int64_t submitted_ms;
};

/* Counts a failed execution for the CLI, keeping its message for the exit report. */
static void cli_failed(const char *msg) {
  cli_context *cli = api_cli_context();
  if (!cli) return;
  cli->failures++;
  snprintf(cli->error, sizeof cli->error, "%s", msg ? msg : "unknown error");
}

static spate_job_client *ready_client(spate_job_result *r) {
  if (!r) return NULL;
  spate_job_client *c = sp_calloc(1, sizeof *c);
  if (!c) {
    spate_job_result_free(r);
    return NULL;
  }
  c->ready = r;
  snprintf(c->job_id, sizeof c->job_id, "%s", r->job_id);
  return c;
}

static void configure_graph(spate_env *env, stream_graph *g, const char *name) {
  const sp_config *cfg = env->config;
  cli_context *cli = api_cli_context();
  sp_free(g->job_name);
  g->job_name = sp_strdup(name && name[0] ? name : "Spate Streaming Job");
  sp_free(g->artifact);
  g->artifact = env->artifact ? sp_strdup(env->artifact) : NULL;
  if (env->parallelism > 0)
    g->default_parallelism = env->parallelism;
  else if (cli && cli->parallelism > 0)
    g->default_parallelism = cli->parallelism;
  else
    g->default_parallelism = (int)sp_config_int(cfg, "parallelism.default");
  int64_t maxp = sp_config_int(cfg, "pipeline.max-parallelism");
  g->default_max_parallelism = env->max_parallelism > 0 ? env->max_parallelism
                               : maxp > 0               ? (int)maxp
                                                        : 0;
  g->chaining_enabled =
      !env->chaining_disabled && sp_config_bool(cfg, "pipeline.operator-chaining.enabled");
  if (env->buffer_timeout >= -1)
    g->buffer_timeout_ms = env->buffer_timeout;
  else if (!sp_config_bool(cfg, "execution.buffer-timeout.enabled"))
    g->buffer_timeout_ms = -1;
  else
    g->buffer_timeout_ms = sp_config_duration_ms(cfg, "execution.buffer-timeout.interval");
  g->buffer_size = (uint32_t)sp_config_bytes(cfg, "taskmanager.memory.segment-size");
  if (sg_set_config(g, cfg) < 0) /* checkpointing and restart settings travel with the job */
    api_fail(env, "out of memory encoding the job configuration");
  /* timestamp assigners (and the Nexmark source) take the watermark interval in force when
   * the job starts */
  int64_t interval = sp_config_duration_ms(cfg, "pipeline.auto-watermark-interval");
  /* text sinks overwrite existing files only when fs.overwrite-files says so (Flink's default
   * write mode) */
  bool overwrite = sp_config_bool(cfg, "fs.overwrite-files");
  for (int i = 0; i < g->nnodes && !env->failed; i++) {
    sg_node *n = &g->nodes[i];
    char err[SP_ERRMSG_MAX] = "out of memory";
    int rc = 0;
    if (n->kind == OP_TIMESTAMPS) {
      op_timestamps_params p;
      if ((rc = op_timestamps_params_load(n, &p, err, sizeof err)) == 0) {
        p.interval = interval;
        rc = op_timestamps_params_store(n, &p);
        op_timestamps_params_free(&p);
      }
    } else if (n->kind == OP_SRC_NEXMARK) { /* its watermarks too */
      op_nexmark_params p;
      if ((rc = op_nexmark_params_load(n, &p, err, sizeof err)) == 0) {
        p.watermark_interval = interval;
        rc = op_nexmark_params_store(n, &p);
        op_nexmark_params_free(&p);
      }
    } else if (n->kind == OP_SINK_TEXT) {
      op_text_sink_params p;
      if ((rc = op_text_sink_params_load(n, &p, err, sizeof err)) == 0) {
        p.overwrite = overwrite;
        rc = op_text_sink_params_store(n, &p);
        op_text_sink_params_free(&p);
      }
    }
    if (rc < 0) api_fail(env, "'%s': %s", n->name, err);
  }
}

static spate_job_result *failed(const char *msg);

/* Submits the encoded graph (consumed) to the cluster of remote: the environment's own (the
 * SQL client's jobs: built-in operators only, their artifact at most the library of their C
 * functions, nothing printed) or the CLI's. */
static spate_job_client *submit_remote(spate_env *env, cli_context *cli, const api_remote *remote,
                                       sp_writer *w, const char *job_id) {
  char err[SP_ERRMSG_MAX];
  bool own = remote == env->remote;
  const char *artifact = env->artifact ? env->artifact : cli && !own ? cli->job_path : NULL;
  if (!artifact && !own) {
    sp_writer_free(w);
    api_fail(env,
             "a job submitted to a cluster must be a shared object (spate run <job.so>): "
             "its functions are loaded there");
    cli_failed(env->error);
    return NULL;
  }
  int rc = remote->submit(remote->arg, w->data, w->len, artifact, job_id, err, sizeof err);
  sp_writer_free(w);
  if (rc < 0) {
    api_fail(env, "Failed to submit the job %s: %s", job_id, err);
    cli_failed(env->error);
    return NULL;
  }
  if (!own) {
    printf("Job has been submitted with JobID %s\n", job_id);
    fflush(stdout);
  }
  if (remote->detached)
    return ready_client(jr_new(job_id, env->g->job_name, SPATE_JOB_DETACHED, NULL));
  spate_job_client *c = sp_calloc(1, sizeof *c);
  if (!c) return ready_client(failed("out of memory"));
  c->remote = remote;
  snprintf(c->job_id, sizeof c->job_id, "%s", job_id);
  c->submitted_ms = sp_wall_ms();
  return c;
}

static spate_job_result *failed(const char *msg) {
  return jr_new(NULL, NULL, SPATE_JOB_FAILED, msg);
}

spate_job_client *spate_execute_async(spate_env *env, const char *job_name) {
  if (!env) return NULL;
  cli_context *cli = api_cli_context();
  if (cli) cli->executions++;
  crash_report_install(); /* keeps (chains to) a handler the program installed */
  if (!env->failed && env->g->nnodes == env->executed_nodes)
    api_fail(env, "No operators defined in streaming topology. Cannot execute.");
  else if (!env->failed && env->executed_nodes > 0)
    api_fail(env,
             "Cannot execute: this environment has run its job already, and Spate does not "
             "run operators added after that (Flink would run them with what feeds them); "
             "build the next job on a new environment");
  if (env->failed) {
    cli_failed(env->error);
    return NULL;
  }
  env->executed_nodes = env->g->nnodes; /* taken, also if it then fails to start */
  configure_graph(env, env->g, job_name);
  if (env->failed) { /* only for lack of memory */
    cli_failed(env->error);
    return NULL;
  }
  char err[SP_ERRMSG_MAX];
  job_graph *jg = NULL, *decoded = NULL;
  int rc = jobgraph_build(env->g, &jg, err, sizeof err);
  if (rc < 0) {
    api_fail(env, "%s", err);
    cli_failed(env->error);
    return NULL;
  }
  if (cli && cli->job_id) snprintf(jg->job_id, sizeof jg->job_id, "%s", cli->job_id);
  sp_writer w;
  sp_writer_init(&w);
  rc = jobgraph_encode(jg, &w);
  if (rc == 0 && w.failed) rc = SPATE_ENOMEM;
  if (rc == 0) rc = jobgraph_decode(w.data, w.len, &decoded, err, sizeof err);
  int slots_needed = decoded ? jobgraph_slots_needed(decoded) : 0;
  char job_id[33];
  snprintf(job_id, sizeof job_id, "%s", jg->job_id);
  jobgraph_free(jg);
  if (rc < 0) {
    sp_writer_free(&w);
    jobgraph_free(decoded);
    api_fail(env, "the job graph did not survive encoding: %s",
             rc == SPATE_ENOMEM ? "out of memory" : err);
    cli_failed(env->error);
    return NULL;
  }
  if (cli && cli->plan_only) {
    char *plan = jobgraph_plan_json(decoded);
    if (plan) {
      fputs(plan, stdout);
      fputc('\n', stdout);
      fflush(stdout);
      cli->planned = true;
    }
    sp_free(plan);
    spate_job_result *r = jr_new(job_id, env->g->job_name, SPATE_JOB_PLANNED, NULL);
    jobgraph_free(decoded);
    sp_writer_free(&w);
    return ready_client(r);
  }
  jobgraph_free(decoded);
  if (env->remote) return submit_remote(env, cli, env->remote, &w, job_id);
  if (cli && cli->remote) return submit_remote(env, cli, cli->remote, &w, job_id);

  /* a MiniCluster sized for the job unless the slots are configured (Flink's local executor) */
  const sp_config *cfg = env->config;
  int ntm = (int)sp_config_int(cfg, "minicluster.number-of-taskmanagers");
  int slots = sp_config_is_set(cfg, "taskmanager.numberOfTaskSlots")
                  ? (int)sp_config_int(cfg, "taskmanager.numberOfTaskSlots")
                  : (int)(((int64_t)slots_needed + ntm - 1) / ntm);
  if (slots < 1) slots = 1;
  int64_t per_channel = sp_config_int(cfg, "taskmanager.network.memory.buffers-per-channel");
  int64_t floating = sp_config_int(cfg, "taskmanager.network.memory.floating-buffers-per-gate");
  const char *bad =
      ntm > 1024           ? "minicluster.number-of-taskmanagers (at most 1024)"
      : per_channel > 1024 ? "taskmanager.network.memory.buffers-per-channel (at most 1024)"
      : floating > 65536   ? "taskmanager.network.memory.floating-buffers-per-gate (at most 65536)"
      : slots > 32768      ? "taskmanager.numberOfTaskSlots (at most 32768)"
                           : NULL;
  if (bad) {
    sp_writer_free(&w);
    api_fail(env, "configuration value out of range for this MiniCluster: %s", bad);
    cli_failed(env->error);
    return NULL;
  }
  task_config tc = {
      .buffer_size = env->g->buffer_size,
      .buffers_per_channel =
          (int)sp_config_int(cfg, "taskmanager.network.memory.buffers-per-channel"),
      .floating_buffers =
          (int)sp_config_int(cfg, "taskmanager.network.memory.floating-buffers-per-gate"),
      .buffer_timeout_ms = env->g->buffer_timeout_ms,
      .clock = env->clock,
  };
  spate_job_client *c = sp_calloc(1, sizeof *c);
  if (!c) {
    sp_writer_free(&w);
    api_fail(env, "out of memory");
    return NULL;
  }
  snprintf(c->job_id, sizeof c->job_id, "%s", job_id);
  rc = minicluster_start_with(ntm, slots, &tc, cfg, &c->mc); /* REST if rest.bind-port is set */
  if (rc == 0)
    rc = minicluster_submit(c->mc, w.data, w.len, job_id, env->listener, env->listener_arg,
                            &c->client);
  sp_writer_free(&w);
  if (rc < 0) {
    minicluster_stop(c->mc);
    sp_free(c);
    api_fail(env, "could not start the MiniCluster: %s", spate_strerror(rc));
    cli_failed(env->error);
    return NULL;
  }
  c->submitted_ms = sp_wall_ms();
  if (cli) {
    printf("Job has been submitted with JobID %s\n", job_id);
    fflush(stdout);
  }
  return c;
}

const char *spate_job_client_id(const spate_job_client *c) { return c->job_id; }

int spate_job_client_savepoint(spate_job_client *c, const char *dir, bool stop, char *path,
                               size_t path_len, char *err, size_t err_len) {
  if (!c->client) return sp_err(err, err_len, SPATE_ESTATE, "job %s is not running", c->job_id);
  return minicluster_savepoint(c->client, dir, stop, false, path, path_len, err, err_len);
}

int spate_job_client_stop_with_savepoint(spate_job_client *c, const char *dir, bool drain,
                                         char *path, size_t path_len, char *err, size_t err_len) {
  if (!c->client) return sp_err(err, err_len, SPATE_ESTATE, "job %s is not running", c->job_id);
  return minicluster_savepoint(c->client, dir, true, drain, path, path_len, err, err_len);
}

void spate_job_client_cancel(spate_job_client *c) {
  if (c->client) minicluster_cancel(c->client);
}

int spate_job_client_checkpoint(spate_job_client *c, int64_t *id, char *err, size_t err_len) {
  if (!c->client) return sp_err(err, err_len, SPATE_ESTATE, "job %s is not running", c->job_id);
  return minicluster_checkpoint(c->client, id, NULL, 0, err, err_len);
}

spate_job_result *spate_job_client_wait(spate_job_client *c) {
  return spate_job_client_wait_for(c, -1);
}

spate_job_result *spate_job_client_wait_for(spate_job_client *c, int64_t timeout_ms) {
  spate_job_result *r = c->ready;
  if (!r && c->remote) { /* the cluster's REST endpoint says how it ended */
    spate_job_status st = SPATE_JOB_FAILED;
    int64_t runtime = 0;
    char *failure = NULL, err[SP_ERRMSG_MAX];
    int rc = c->remote->wait(c->remote->arg, c->job_id, &st, &runtime, &failure, err, sizeof err);
    r = jr_new(c->job_id, NULL, rc < 0 ? SPATE_JOB_FAILED : st, rc < 0 ? err : failure);
    if (r) r->runtime_ms = runtime;
    sp_free(failure);
    if (!r) r = failed("out of memory while receiving the job result");
  }
  if (!r) {
    if (!minicluster_wait_for(c->client, timeout_ms, &r)) return NULL; /* still running */
    minicluster_stop(c->mc);
    if (!r) r = failed("out of memory while receiving the job result");
  }
  cli_context *cli = api_cli_context();
  if (cli && r->status != SPATE_JOB_PLANNED && r->status != SPATE_JOB_DETACHED) {
    if (r->status == SPATE_JOB_FINISHED) {
      printf("Program execution finished\nJob with JobID %s has finished.\nJob Runtime: %lld ms\n",
             r->job_id, (long long)r->runtime_ms);
    } else if (r->status == SPATE_JOB_CANCELED) {
      printf("Job with JobID %s has been canceled.\n", r->job_id);
      cli_failed("the job was canceled");
    } else {
      char msg[SP_ERRMSG_MAX];
      snprintf(msg, sizeof msg, "Job with JobID %s failed: %s", r->job_id,
               r->error ? r->error : "unknown error");
      cli_failed(msg);
    }
    fflush(stdout);
  }
  sp_free(c);
  return r;
}

spate_job_result *spate_execute(spate_env *env, const char *job_name) {
  if (!env) return failed("out of memory creating the execution environment");
  spate_job_client *c = spate_execute_async(env, job_name);
  if (!c) {
    spate_job_result *r = failed(env->failed ? env->error : "out of memory");
    if (r && env->g) {
      sp_free(r->name);
      r->name = sp_strdup(job_name ? job_name : "");
    }
    return r;
  }
  return spate_job_client_wait(c);
}
