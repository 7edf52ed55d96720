/*
 * fuzz_messages.c: the control-plane messages (cluster/messages.h) as every cluster component
 * receives them: the ResourceManager, a TaskExecutor, the Dispatcher, a JobMaster and the
 * client endpoint of minicluster.c. Until now they only came from each other in one process;
 * over TCP any of them may be malformed, stale or arrive where it makes no sense, and must then
 * be dropped without a crash, a leak, a hang or damage to the component.
 *
 * Each input gets a fresh MiniCluster on a manual clock (so timers fire only when the input
 * moves the clock): one TaskExecutor with FM_SLOTS slots and the real job of message_job.h,
 * submitted through the Dispatcher and awaited until its FM_SUBTASKS subtasks run. Then the
 * input's records (layout in message_job.h) are sent one by one with rpc_send, each handled
 * (rpc_flush) before the next is sent. Then the job is cancelled and must end, and everything
 * is stopped and freed, so LeakSanitizer sees what a component kept. A fresh cluster per input
 * costs a few milliseconds (a dozen threads), which keeps inputs independent of each other and
 * crashes reproducible; the real components' own traffic still runs concurrently, so an input
 * is not perfectly deterministic.
 *
 * What the target itself checks: the job ends after its cancellation (no component hangs or
 * lost track of it), the client hands its listener only events that keep spate.h's contract
 * (a known type, the strings that type promises), and the result it gets is well-formed.
 *
 * The target keeps fuzzed messages from reaching outside its sandbox: paths in messages are
 * re-rooted in its temporary directory (FM_ROOT is replaced by it, other paths are put under
 * it, paths with ".." are not sent), and a job graph that decodes but is not the job's own is
 * not sent (a graph names the code a TaskExecutor runs: dlopen, dlsym; its decoder has a
 * target of its own, fuzz_jobgraph). FUZZ_LOG=1 in the environment shows the components' log.
 */
#include "fuzz.h" /* first: it sets _GNU_SOURCE */

#include <pthread.h>
#include <time.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "cluster/messages.h"
#include "cluster/minicluster.h"
#include "cluster/rpc.h"
#include "message_job.h"

/* What the whole process shares: the job and the sandbox. */
static uint8_t *job_bytes;
static size_t job_len;

static void init_once(void) {
  if (job_bytes) return;
  /* the JobMaster's checkpoints go to $TMPDIR/spate-checkpoints: into the sandbox */
  FUZZ_CHECK(setenv("TMPDIR", fuzz_dir(), 1) == 0, "setenv");
  job_bytes = fm_job_bytes(&job_len);
  const char *fuzz_log = getenv("FUZZ_LOG"); /* after the environment set the configured level */
  sp_log_set_level(fuzz_log && fuzz_log[0] == '1' ? SP_LOG_DEBUG : SP_LOG_OFF);
}

/* ---- the listener: records the subtasks that run, checks the events' contract ------------- */

typedef struct events {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int running; /* subtasks of attempt 0 that reported RUNNING */
} events;

void fm_listener(void *arg, const spate_job_event *e);
void fm_listener(void *arg, const spate_job_event *e) {
  events *ev = arg;
  FUZZ_CHECK(e->type >= SPATE_EVENT_JOB_STATUS && e->type <= SPATE_EVENT_CHECKPOINT_TRIGGERED,
             "event of unknown type %d", (int)e->type);
  FUZZ_CHECK(e->job_id && strlen(e->job_id) == 32, "event without the job id");
  FUZZ_CHECK(e->attempt >= 0, "event of attempt %d", e->attempt);
  switch (e->type) {
  case SPATE_EVENT_JOB_STATUS:
    FUZZ_CHECK(e->state != NULL, "job status event without a state");
    break;
  case SPATE_EVENT_TASK_STATE:
    FUZZ_CHECK(e->state && e->task, "task event without %s", e->state ? "a task" : "a state");
    FUZZ_CHECK(e->vertex >= 0 && e->subtask >= 0, "task event for %d/%d", e->vertex, e->subtask);
    if (e->attempt == 0 && strcmp(e->state, "RUNNING") == 0) {
      pthread_mutex_lock(&ev->mu);
      ev->running++;
      pthread_cond_broadcast(&ev->cond);
      pthread_mutex_unlock(&ev->mu);
    }
    break;
  case SPATE_EVENT_CHECKPOINT_FAILED:
    FUZZ_CHECK(e->message != NULL, "failed checkpoint event without a reason");
    break;
  default: FUZZ_CHECK(e->path != NULL, "checkpoint event %d without a path", (int)e->type);
  }
}

/* Waits (60 s at most) until the job's subtasks all run. */
static void await_running(events *ev) {
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += 60;
  pthread_mutex_lock(&ev->mu);
  while (ev->running < FM_SUBTASKS && pthread_cond_timedwait(&ev->cond, &ev->mu, &until) == 0) {
  }
  int running = ev->running;
  pthread_mutex_unlock(&ev->mu);
  FUZZ_CHECK(running >= FM_SUBTASKS, "only %d of the job's %d subtasks reported RUNNING in 60 s",
             running, FM_SUBTASKS);
}

/* ---- sending a record ---------------------------------------------------------------------- */

/* Where a message type carries a path, the fields before it as letters: s str, b blob, i i32 or
 * u32, I i64 or u64. NULL: no path. */
static const char *path_fields(uint32_t type) {
  switch (type) {
  case MSG_SUBMIT_TASK: return "sbiiii";          /* then str restore path */
  case MSG_TRIGGER_CHECKPOINT: return "siiiIIiI"; /* then str dir */
  case MSG_TRIGGER_SAVEPOINT: return "s";         /* then str directory */
  default: return NULL;
  }
}

/* Reads the fields `layout` names; false once the reader failed. */
static bool skip_fields(sp_reader *r, const char *layout) {
  for (const char *f = layout; *f; f++) {
    uint32_t n;
    switch (*f) {
    case 's': sp_free(sp_get_str(r)); break;
    case 'b': sp_get_blob(r, &n); break;
    case 'i': sp_get_u32(r); break;
    case 'I': sp_get_u64(r); break;
    }
  }
  return sp_reader_ok(r);
}

/* Whether a job graph in the message (SUBMIT_TASK, SUBMIT_JOB: a blob after one string) may be
 * sent: if it decodes, it must be the job's own. */
static bool graph_allowed(uint32_t type, const uint8_t *p, size_t n) {
  if (type != MSG_SUBMIT_TASK && type != MSG_SUBMIT_JOB) return true;
  sp_reader r;
  sp_reader_init(&r, p, n);
  uint32_t len;
  const void *bytes = skip_fields(&r, "s") ? sp_get_blob(&r, &len) : NULL;
  if (!bytes) return true;
  job_graph *jg = NULL;
  char err[SP_ERRMSG_MAX];
  if (jobgraph_decode(bytes, len, &jg, err, sizeof err) < 0) return true;
  jobgraph_free(jg);
  return len == job_len && memcmp(bytes, job_bytes, len) == 0;
}

/* The payload to send into w, its path (if any) re-rooted in the sandbox; false: not sent. */
static bool sandboxed(uint32_t type, const uint8_t *p, size_t n, sp_writer *w) {
  const char *layout = path_fields(type);
  sp_reader r;
  sp_reader_init(&r, p, n);
  char *path = NULL;
  size_t start = 0;
  if (layout && skip_fields(&r, layout)) {
    start = r.pos;
    path = sp_get_str(&r);
  }
  if (!path || !path[0]) { /* nothing to re-root */
    sp_free(path);
    sp_put_bytes(w, p, n);
    return true;
  }
  bool ok = strstr(path, "..") == NULL;
  if (ok) {
    const char *rel = strncmp(path, FM_ROOT, strlen(FM_ROOT)) == 0 ? path + strlen(FM_ROOT) : path;
    char full[8192];
    snprintf(full, sizeof full, "%s/%s", fuzz_dir(), rel);
    sp_put_bytes(w, p, start);
    sp_put_str(w, full);
    sp_put_bytes(w, p + r.pos, n - r.pos);
  }
  sp_free(path);
  return ok;
}

static const char *address_of(int target) {
  switch (target) {
  case FM_TO_RM: return RM_ADDRESS;
  case FM_TO_TE: return FM_TASK_EXECUTOR;
  case FM_TO_DISPATCHER: return DISPATCHER_ADDRESS;
  case FM_TO_JM: return FM_JOB_MASTER;
  default: return FM_CLIENT;
  }
}

static void send_record(rpc_service *rpc, sp_clock *clock, int target, uint32_t type,
                        const uint8_t *p, size_t n) {
  if (target == FM_CLOCK) {
    uint32_t ms = n >= 4 ? fuzz_le32(p) : 0;
    sp_clock_set(clock, sp_clock_now(clock) + ms);
    /* the first flush is handled once the JobMaster moved what came due behind it; the second
     * once those are handled too */
    rpc_flush(rpc, FM_JOB_MASTER);
    rpc_flush(rpc, FM_JOB_MASTER);
    return;
  }
  if (!graph_allowed(type, p, n)) return;
  sp_writer w;
  sp_writer_init(&w);
  if (!sandboxed(type, p, n, &w)) {
    sp_writer_free(&w);
    return;
  }
  const char *to = address_of(target);
  rpc_send(rpc, to, type, &w); /* an endpoint that is gone (a job that ended) refuses it */
  rpc_flush(rpc, to);
}

/* ---- one input ------------------------------------------------------------------------------ */

/* Removes what the input left in the sandbox (checkpoints, savepoints), keeping the directory. */
static int rm_below(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  if (ftw->level > 0) remove(path);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  init_once();
  sp_clock *clock = sp_clock_manual(1763700000000);
  FUZZ_CHECK(clock != NULL, "out of memory");
  task_config tc = {.buffer_size = 32768,
                    .buffers_per_channel = 2,
                    .floating_buffers = 8,
                    .buffer_timeout_ms = 0,
                    .clock = clock};
  minicluster *mc = NULL;
  int rc = minicluster_start(1, FM_SLOTS, &tc, &mc);
  FUZZ_CHECK(rc == 0, "minicluster_start: %s", spate_strerror(rc));
  events ev = {.running = 0};
  pthread_mutex_init(&ev.mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&ev.cond, &ca);
  pthread_condattr_destroy(&ca);
  mc_client *client = NULL;
  rc = minicluster_submit(mc, job_bytes, job_len, FM_JOB_ID, fm_listener, &ev, &client);
  FUZZ_CHECK(rc == 0, "minicluster_submit: %s", spate_strerror(rc));
  await_running(&ev);

  rpc_service *rpc = minicluster_rpc(mc);
  size_t pos = 0;
  for (int k = 0; k < FM_MAX_RECORDS && size - pos >= 4; k++) {
    int target = data[pos] % FM_NTARGETS;
    uint32_t type = data[pos + 1];
    size_t n = (size_t)data[pos + 2] | (size_t)data[pos + 3] << 8;
    pos += 4;
    if (n > size - pos) n = size - pos;
    send_record(rpc, clock, target, type, data + pos, n);
    pos += n;
  }

  minicluster_cancel(client);
  spate_job_result *res = NULL;
  FUZZ_CHECK(minicluster_wait_for(client, 60000, &res),
             "the job did not end within 60 s of its cancellation");
  if (res) {
    spate_job_status st = spate_job_result_status(res);
    FUZZ_CHECK(st == SPATE_JOB_FINISHED || st == SPATE_JOB_FAILED || st == SPATE_JOB_CANCELED,
               "the job ended with status %d", (int)st);
    FUZZ_CHECK(st != SPATE_JOB_FAILED || spate_job_result_error(res), "failed without an error");
    spate_job_result_free(res);
  }
  minicluster_stop(mc);
  sp_clock_free(clock);
  pthread_mutex_destroy(&ev.mu);
  pthread_cond_destroy(&ev.cond);
  nftw(fuzz_dir(), rm_below, 16, FTW_DEPTH | FTW_PHYS);
  return 0;
}
