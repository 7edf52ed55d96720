/*
 * standalone.c: the JobManager and TaskManager processes of a standalone cluster (standalone.h):
 * the cluster components of components.h on an RPC service that listens on TCP, the BlobServer,
 * and (for a TaskManager) the data server its exchanges with other TaskManagers use.
 *
 * Both wait for SIGTERM/SIGINT or a shutdown request (standalone_request_shutdown, e.g. REST's
 * DELETE /cluster) on a pipe: the signal handler only writes a byte to it.
 */
#define _GNU_SOURCE
#include "cluster/standalone.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "base/log_files.h"
#include "checkpoint/storage.h"
#include "cluster/cluster_metrics.h"
#include "cluster/cluster_view.h"
#include "cluster/components.h"
#include "cluster/jobmanager_gateway.h"
#include "cluster/messages.h"
#include "net/blob.h"
#include "net/shuffle_net.h"

#ifndef SPATE_VERSION
#define SPATE_VERSION "0.1.0"
#endif

static int shutdown_pipe[2] = {-1, -1};
static standalone_hooks hooks;

void standalone_set_hooks(const standalone_hooks *h) { hooks = *h; }
const standalone_hooks *standalone_get_hooks(void) { return &hooks; }

static void on_signal(int sig) {
  int saved = errno;
  char c = (char)sig;
  if (shutdown_pipe[1] >= 0) {
    ssize_t w = write(shutdown_pipe[1], &c, 1);
    (void)w;
  }
  errno = saved;
}

void standalone_request_shutdown(void) { on_signal(0); }

/* Sets up the pipe and the handlers; 0 or SPATE_EIO. */
static int shutdown_init(void) {
  if (shutdown_pipe[0] < 0 && pipe2(shutdown_pipe, O_CLOEXEC) < 0) return SPATE_EIO;
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  return 0;
}

/* Blocks until a signal or a shutdown request; returns the signal number (0: a request). */
static int shutdown_wait(void) {
  char c = 0;
  for (;;) {
    ssize_t n = read(shutdown_pipe[0], &c, 1);
    if (n == 1) return (unsigned char)c;
    if (n < 0 && errno == EINTR) continue;
    return 0;
  }
}

static void apply_logging(const sp_config *cfg) {
  int level = sp_log_parse_level(sp_config_str(cfg, "log.level"));
  if (level >= 0) sp_log_set_level((sp_log_level)level);
  if (sp_config_is_set(cfg, "log.file")) sp_log_set_file(sp_config_str(cfg, "log.file"));
  /* which files REST's /jobmanager/log[s] and /taskmanagers/:id/log[s] show */
  sp_log_files_set(sp_config_is_set(cfg, "log.file") ? sp_config_str(cfg, "log.file") : NULL,
                   sp_config_is_set(cfg, "env.log.dir") ? sp_config_str(cfg, "env.log.dir") : NULL);
}

static const char *str_or(const sp_config *cfg, const char *key, const char *def) {
  return sp_config_is_set(cfg, key) ? sp_config_str(cfg, key) : def;
}

/* The blob directory: blob.storage.directory, else a fresh one under $TMPDIR (or /tmp). *made
 * says whether it was created here (and is removed at shutdown). */
static char *blob_dir(const sp_config *cfg, const char *what, bool *made) {
  *made = false;
  if (sp_config_is_set(cfg, "blob.storage.directory")) {
    const char *d = sp_config_str(cfg, "blob.storage.directory");
    char err[SP_ERRMSG_MAX];
    if (ckpt_mkdirs(d, err, sizeof err) < 0) {
      SP_ERROR(what, "%s", err);
      return NULL;
    }
    return sp_strdup(d);
  }
  const char *tmp = getenv("TMPDIR");
  size_t cap = strlen(tmp && tmp[0] ? tmp : "/tmp") + 64;
  char *d = sp_malloc(cap);
  if (!d) return NULL;
  snprintf(d, cap, "%s/spate-blobs-%s-XXXXXX", tmp && tmp[0] ? tmp : "/tmp", what);
  if (!mkdtemp(d)) {
    SP_ERROR(what, "cannot create a blob directory %s: %s", d, strerror(errno));
    sp_free(d);
    return NULL;
  }
  *made = true;
  return d;
}

static void remove_tree(const char *dir) {
  if (!dir) return;
  char err[SP_ERRMSG_MAX];
  ckpt_discard(dir, err, sizeof err);
}

/* Application mode: the job's program runs on a thread of the JobManager; when it returns the
 * JobManager shuts down. */
typedef struct app_run {
  const sp_config *cfg;
  const standalone_job *job;
  jm_gateway *gw;
  int exit_code;
} app_run;

static void *app_main(void *arg) {
  app_run *a = arg;
  a->exit_code = hooks.run_job(a->cfg, a->job, a->gw) == 0 ? 0 : 1;
  standalone_request_shutdown();
  return NULL;
}

int standalone_jobmanager_run(const sp_config *cfg, const standalone_job *job) {
  apply_logging(cfg);
  if (shutdown_init() < 0) {
    fprintf(stderr, "spate jobmanager: cannot set up signal handling\n");
    return 1;
  }
  SP_INFO("entrypoint", "Starting %s (Spate %s, pid %d).",
          job ? "StandaloneApplicationClusterEntryPoint" : "StandaloneSessionClusterEntrypoint",
          SPATE_VERSION, (int)getpid());
  const char *bind = str_or(cfg, "jobmanager.bind-host", NULL);
  const char *host = sp_config_str(cfg, "jobmanager.rpc.address");
  int port = (int)sp_config_int(cfg, "jobmanager.rpc.port");
  char err[SP_ERRMSG_MAX];
  rpc_service *rpc = NULL;
  resource_manager *rm = NULL;
  dispatcher *d = NULL;
  blob_server *blobs = NULL;
  cluster_view *view = NULL;
  jm_gateway *gw = NULL;
  cluster_metrics metrics = {0};
  void *rest = NULL;
  int rest_port = 0;
  bool made_blobs = false;
  char *blobdir = NULL;
  int rc = rpc_service_create(NULL, &rpc);
  if (rc == 0 && (rc = rpc_service_listen(rpc, bind, port, host, err, sizeof err)) < 0)
    SP_ERROR("entrypoint", "Could not start the JobManager's RPC service: %s", err);
  if (rc == 0) {
    blobdir = blob_dir(cfg, "jobmanager", &made_blobs);
    rc = blobdir ? blob_server_start(blobdir, bind, (int)sp_config_int(cfg, "blob.server.port"),
                                     host, &blobs, err, sizeof err)
                 : SPATE_EIO;
    if (rc < 0) SP_ERROR("entrypoint", "Could not start the BlobServer: %s", err);
  }
  if (rc == 0) rc = cluster_view_create(&view);
  if (rc == 0) view->exception_history = (int)sp_config_int(cfg, "web.exception-history-size");
  if (rc == 0 && (rc = cluster_metrics_start(&metrics, cfg, err, sizeof err)) < 0)
    SP_ERROR("entrypoint", "Could not start the metric registry: %s", err);
  if (rc == 0) rc = cluster_metrics_add_jobmanager(&metrics, host, view);
  if (rc == 0) {
    hb_settings hb = hb_settings_from_config(cfg);
    rm_options ro = {.slot_wait_ms = sp_config_duration_ms(cfg, "slot.request.timeout"),
                     .heartbeat_interval_ms = hb.interval_ms,
                     .heartbeat_timeout_ms = hb.timeout_ms,
                     .heartbeat_failure_threshold = hb.failure_threshold,
                     .view = view};
    rc = rm_start(rpc, &ro, &rm);
  }
  if (rc == 0) rc = dispatcher_start(rpc, blob_server_address(blobs), view, &d);
  if (rc == 0) {
    hb_settings hb = hb_settings_from_config(cfg);
    dispatcher_set_heartbeats(d, &hb);
    dispatcher_set_metrics(d, metrics.jm);
    cluster_metrics_start_reporters(&metrics, cfg);
  }
  if (rc == 0)
    rc = dispatcher_set_failover_strategy(
        d, sp_config_str(cfg, "jobmanager.execution.failover-strategy"));
  if (rc == 0)
    dispatcher_set_checkpoint_history(d, (int)sp_config_int(cfg, "web.checkpoints.history"));
  if (rc == 0) rc = jm_gateway_create(rpc, blobs, view, &gw);
  if (rc == 0 && hooks.rest_start &&
      (rc = hooks.rest_start(cfg, gw, &rest, &rest_port, err, sizeof err)) < 0)
    SP_ERROR("entrypoint", "Could not start the REST endpoint: %s", err);
  int exit_code = rc == 0 ? 0 : 1;
  if (rc == 0) {
    SP_INFO("entrypoint", "JobManager RPC endpoint listening at %s.", rpc_service_address(rpc));
    SP_INFO("entrypoint", "BlobServer listening at %s (blobs in %s).", blob_server_address(blobs),
            blobdir);
    if (rest)
      SP_INFO("entrypoint", "Rest endpoint listening at %s:%d", sp_config_str(cfg, "rest.address"),
              rest_port);
    pthread_t runner;
    app_run app = {.cfg = cfg, .job = job, .gw = gw, .exit_code = 0};
    bool app_started = job && hooks.run_job && pthread_create(&runner, NULL, app_main, &app) == 0;
    if (job && !app_started) {
      SP_ERROR("entrypoint", "Could not run the application's job");
      exit_code = 1;
    } else {
      int sig = shutdown_wait();
      SP_INFO("entrypoint", "Shutting down the JobManager (%s).",
              sig           ? strsignal(sig)
              : app_started ? "the application's job ended"
                            : "shutdown requested");
    }
    if (app_started) {
      /* a signal before the job ended: the job is cancelled with the cluster below, and the
       * program waiting for it is let go */
      dispatcher_stop(d);
      d = NULL;
      cv_job_done_all(view, "CANCELED", sp_wall_ms());
      pthread_join(runner, NULL);
      exit_code = app.exit_code;
    }
  } else if (rc == SPATE_ENOMEM) {
    SP_ERROR("entrypoint", "Could not start the JobManager: out of memory");
  }
  if (rest && hooks.rest_stop) hooks.rest_stop(rest);
  metric_reporters_stop(metrics.reporters); /* before the groups' owners go */
  metrics.reporters = NULL;
  dispatcher_stop(d);
  rm_stop(rm);
  jm_gateway_free(gw);
  cluster_metrics_stop(&metrics);
  cluster_view_free(view);
  blob_server_stop(blobs);
  rpc_service_destroy(rpc);
  if (made_blobs) remove_tree(blobdir);
  sp_free(blobdir);
  return exit_code;
}

/* The host a TaskManager advertises: taskmanager.host, else localhost when the JobManager is on
 * this machine's loopback, else this machine's name. */
static void tm_host(const sp_config *cfg, char *out, size_t cap) {
  if (sp_config_is_set(cfg, "taskmanager.host")) {
    snprintf(out, cap, "%s", sp_config_str(cfg, "taskmanager.host"));
    return;
  }
  const char *jm = sp_config_str(cfg, "jobmanager.rpc.address");
  if (strcmp(jm, "localhost") == 0 || strncmp(jm, "127.", 4) == 0 || strcmp(jm, "::1") == 0 ||
      gethostname(out, cap) != 0) {
    snprintf(out, cap, "localhost");
    return;
  }
  out[cap - 1] = 0;
}

int standalone_taskmanager_run(const sp_config *cfg) {
  apply_logging(cfg);
  if (shutdown_init() < 0) {
    fprintf(stderr, "spate taskmanager: cannot set up signal handling\n");
    return 1;
  }
  SP_INFO("taskmanager", "Starting TaskManager (Spate %s, pid %d).", SPATE_VERSION, (int)getpid());
  const char *bind = str_or(cfg, "taskmanager.bind-host", NULL);
  char host[256];
  tm_host(cfg, host, sizeof host);
  char err[SP_ERRMSG_MAX];
  rpc_service *rpc = NULL;
  shuffle_env *shuffle = NULL;
  shuffle_net *data = NULL;
  task_executor *te = NULL;
  bool made_blobs = false;
  char *blobdir = NULL;
  cluster_metrics metrics = {0};
  metric_group *tm_group = NULL;
  int rc = rpc_service_create(NULL, &rpc);
  if (rc == 0 &&
      (rc = rpc_service_listen(rpc, bind, (int)sp_config_int(cfg, "taskmanager.rpc.port"), host,
                               err, sizeof err)) < 0)
    SP_ERROR("taskmanager", "Could not start the TaskManager's RPC service: %s", err);
  if (rc == 0 && (rc = cluster_metrics_start(&metrics, cfg, err, sizeof err)) < 0)
    SP_ERROR("taskmanager", "Could not start the metric registry: %s", err);
  /* Flink's tm_id is the TaskManager's ResourceID; here its RPC address, unique per process */
  if (rc == 0 &&
      !(tm_group = cluster_metrics_add_taskmanager(&metrics, host, rpc_service_address(rpc), true)))
    rc = SPATE_ENOMEM;
  if (rc == 0) rc = shuffle_env_create(&shuffle);
  if (rc == 0 &&
      (rc = shuffle_net_start(shuffle, bind, (int)sp_config_int(cfg, "taskmanager.data.port"), host,
                              &data, err, sizeof err)) < 0)
    SP_ERROR("taskmanager", "Could not start the TaskManager's data server: %s", err);
  if (rc == 0 && !(blobdir = blob_dir(cfg, "taskmanager", &made_blobs))) rc = SPATE_EIO;
  char rm[600];
  const char *jm = sp_config_str(cfg, "jobmanager.rpc.address");
  snprintf(rm, sizeof rm, strchr(jm, ':') ? "[%s]:%lld/%s" : "%s:%lld/%s", jm,
           (long long)sp_config_int(cfg, "jobmanager.rpc.port"), RM_ADDRESS);
  if (rc == 0) {
    task_config tc = {
        .buffer_size = (uint32_t)sp_config_bytes(cfg, "taskmanager.memory.segment-size"),
        .buffers_per_channel =
            (int)sp_config_int(cfg, "taskmanager.network.memory.buffers-per-channel"),
        .floating_buffers =
            (int)sp_config_int(cfg, "taskmanager.network.memory.floating-buffers-per-gate"),
        .buffer_timeout_ms = 100,
    };
    hb_settings hb = hb_settings_from_config(cfg);
    te_options to = {.rm_address = rm,
                     .data_address = data ? shuffle_net_address(data) : NULL,
                     .blob_dir = blobdir,
                     .heartbeat_interval_ms = hb.interval_ms,
                     .heartbeat_timeout_ms = hb.timeout_ms,
                     .heartbeat_failure_threshold = hb.failure_threshold,
                     .metrics = tm_group};
    rc = te_start(rpc, shuffle, 0, (int)sp_config_int(cfg, "taskmanager.numberOfTaskSlots"), &tc,
                  &to, &te);
  }
  if (rc == 0) cluster_metrics_start_reporters(&metrics, cfg);
  if (rc == 0) {
    SP_INFO("taskmanager",
            "TaskManager RPC endpoint listening at %s, data server at %s; registering at %s.",
            rpc_service_address(rpc), shuffle_net_address(data), rm);
    int sig = shutdown_wait();
    SP_INFO("taskmanager", "Shutting down the TaskManager (%s).",
            sig ? strsignal(sig) : "shutdown requested");
  } else if (rc == SPATE_ENOMEM) {
    SP_ERROR("taskmanager", "Could not start the TaskManager: out of memory");
  }
  metric_reporters_stop(metrics.reporters);
  metrics.reporters = NULL;
  te_stop(te);
  metric_group_release(tm_group);
  cluster_metrics_stop(&metrics);
  rpc_service_destroy(rpc);
  shuffle_net_stop(data); /* after the tasks: none asks for an input any more */
  shuffle_env_destroy(shuffle);
  if (made_blobs) remove_tree(blobdir);
  sp_free(blobdir);
  return rc == 0 ? 0 : 1;
}
