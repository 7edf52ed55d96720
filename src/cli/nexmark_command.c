/*
 * nexmark_command.c: `spate nexmark run|list` (nexmark_command.h). The runner finds the query's
 * job file, turns its options into the arguments of `spate run` (-p, -D nexmark.* keys, the
 * job's own --output / --print), runs it through the same function, and times the whole of it:
 * wall seconds on the monotonic clock, CPU seconds of the process from getrusage.
 */
#include "cli/nexmark_command.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/err.h"
#include "cli/install_paths.h"

#define DEFAULT_EVENTS INT64_C(10000000)
#define MAX_QUERIES 1024

static void usage(FILE *f) {
  fprintf(f,
          "Usage: spate nexmark run <query> [options]\n"
          "       spate nexmark list\n"
          "\n"
          "Runs a query of the Nexmark benchmark (q0, q1, ...: the jobs of examples/nexmark/)\n"
          "over the Nexmark source on the embedded MiniCluster, or on a cluster with -m, and\n"
          "reports on stderr the events, seconds, events/s, the CPU seconds of the process\n"
          "(user + sys) and events per CPU-second. `list` lists the queries found.\n"
          "\n"
          "Options of run:\n"
          "  --events <n>            events to generate (nexmark.events.num); default %lld,\n"
          "                          0 generates without end\n"
          "  --tps <n>               events per second of event time (nexmark.first-event.rate)\n"
          "  -p, --parallelism <n>   parallelism of the job (parallelism.default)\n"
          "  -D <key>=<value>        set a configuration key (any nexmark.* option, or e.g.\n"
          "                          execution.checkpointing.interval=10s)\n"
          "  -m, --jobmanager <host:port>\n"
          "                          run on the cluster whose REST endpoint is there\n"
          "  --output <path>         write the result as CSV (a file at parallelism 1, else a\n"
          "                          directory of files 1..N)\n"
          "  --discard               drop the result in a discarding sink (Flink's blackhole)\n"
          "  -h, --help              show this help\n"
          "Without --output or --discard the result is printed to stdout (Flink's print).\n"
          "\n"
          "A query q<N> (or N) is the job file q<N>.so of $SPATE_NEXMARK_JOBS when set, else of\n"
          "the installation's examples/nexmark (build/examples/nexmark next to build/bin); a\n"
          "name with a '/' is the path of a job file.\n",
          (long long)DEFAULT_EVENTS);
}

/* The directory of the query jobs into out; false (with a message) when there is none. */
static bool jobs_dir(char *out, size_t cap, bool quiet) {
  const char *env = getenv("SPATE_NEXMARK_JOBS");
  if (env && env[0]) {
    if ((size_t)snprintf(out, cap, "%s", env) >= cap) {
      if (!quiet) fprintf(stderr, "spate nexmark: SPATE_NEXMARK_JOBS is too long\n");
      return false;
    }
  } else {
    char inst[PATH_MAX];
    if (cli_install_dir(inst, sizeof inst) < 0 ||
        (size_t)snprintf(out, cap, "%s/examples/nexmark", inst) >= cap) {
      if (!quiet) fprintf(stderr, "spate nexmark: cannot find the installation directory\n");
      return false;
    }
  }
  struct stat st;
  if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (!quiet)
      fprintf(stderr, "spate nexmark: the Nexmark jobs directory '%s'%s is %s\n", out,
              env && env[0] ? " (SPATE_NEXMARK_JOBS)" : "",
              stat(out, &st) != 0 ? "missing (build with: make)" : "not a directory");
    return false;
  }
  return true;
}

/* The query number of a name "q<N>", "Q<N>" or "<N>" (N decimal, at most 6 digits), or -1. */
static int query_number(const char *name) {
  const char *p = name[0] == 'q' || name[0] == 'Q' ? name + 1 : name;
  size_t n = strlen(p);
  if (n == 0 || n > 6) return -1;
  for (size_t i = 0; i < n; i++)
    if (p[i] < '0' || p[i] > '9') return -1;
  return atoi(p);
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* The query numbers of the files q<N>.so in dir, in order, into out (at most cap); the count,
 * or -1 when the directory cannot be read. */
static int find_queries(const char *dir, int *out, int cap) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < cap) {
    size_t len = strlen(e->d_name);
    if (len < 5 || e->d_name[0] != 'q' || strcmp(e->d_name + len - 3, ".so") != 0) continue;
    char stem[16];
    if (len - 3 >= sizeof stem) continue;
    memcpy(stem, e->d_name, len - 3);
    stem[len - 3] = 0;
    int q = query_number(stem);
    if (q >= 0 && snprintf(stem, sizeof stem, "q%d", q) > 0 && strlen(stem) == len - 3 &&
        memcmp(stem, e->d_name, len - 3) == 0) /* q5.so, not q05.so */
      out[n++] = q;
  }
  closedir(d);
  qsort(out, (size_t)n, sizeof *out, cmp_int);
  return n;
}

/* Prints " q0 q1 ..." (or " none") to f. */
static void print_queries(FILE *f, const int *q, int n) {
  if (n == 0) fprintf(f, " none");
  for (int i = 0; i < n; i++) fprintf(f, " q%d", q[i]);
}

static int list_command(int argc, char **argv) {
  if (argc > 0 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)) {
    usage(stdout);
    return 0;
  }
  if (argc > 0) {
    fprintf(stderr, "spate nexmark list: unexpected argument '%s'\n", argv[0]);
    return 1;
  }
  char dir[PATH_MAX];
  if (!jobs_dir(dir, sizeof dir, false)) return 1;
  int q[MAX_QUERIES], n = find_queries(dir, q, MAX_QUERIES);
  if (n < 0) {
    fprintf(stderr, "spate nexmark list: cannot read '%s': %s\n", dir, strerror(errno));
    return 1;
  }
  for (int i = 0; i < n; i++) printf("q%d\t%s/q%d.so\n", q[i], dir, q[i]);
  if (n == 0) fprintf(stderr, "spate nexmark list: no q<N>.so in '%s'\n", dir);
  return n > 0 ? 0 : 1;
}

/* The job file of query `name` into path; false with a message naming it when there is none. */
static bool query_path(const char *name, char *path, size_t cap, char *label, size_t label_cap) {
  struct stat st;
  if (strchr(name, '/')) { /* a job file given by its path */
    const char *base = strrchr(name, '/') + 1;
    snprintf(label, label_cap, "%.*s", (int)strcspn(base, "."), base);
    if (stat(name, &st) != 0 || !S_ISREG(st.st_mode)) {
      fprintf(stderr, "spate nexmark run: no job file '%s'\n", name);
      return false;
    }
    snprintf(path, cap, "%s", name);
    return true;
  }
  char dir[PATH_MAX];
  int qn = query_number(name);
  if (qn < 0) {
    fprintf(stderr,
            "spate nexmark run: '%s' is not a query name: q<N> (q0, q5, ...), N, or the path "
            "of a job file",
            name);
    if (jobs_dir(dir, sizeof dir, true)) {
      int q[MAX_QUERIES], n = find_queries(dir, q, MAX_QUERIES);
      fprintf(stderr, "; queries in %s:", dir);
      print_queries(stderr, q, n > 0 ? n : 0);
    }
    fprintf(stderr, "\n");
    return false;
  }
  if (!jobs_dir(dir, sizeof dir, false)) return false;
  snprintf(label, label_cap, "q%d", qn);
  if ((size_t)snprintf(path, cap, "%s/q%d.so", dir, qn) < cap && stat(path, &st) == 0 &&
      S_ISREG(st.st_mode))
    return true;
  int q[MAX_QUERIES], n = find_queries(dir, q, MAX_QUERIES);
  fprintf(stderr, "spate nexmark run: no query '%s' (no q%d.so in %s); queries found:", name, qn,
          dir);
  print_queries(stderr, q, n > 0 ? n : 0);
  fprintf(stderr, "\n");
  return false;
}

/* A non-negative decimal integer within [min, max] into *out; false otherwise. */
static bool parse_count(const char *s, int64_t min, int64_t max, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || errno || v < min || v > max) return false;
  *out = v;
  return true;
}

static double cpu_s(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* The value of option a (argv[*i]): "--opt=value" or the next argument (consumed); NULL with a
 * message when there is none. */
static const char *value_of(int argc, char **argv, int *i, const char *opt, const char *what) {
  const char *a = argv[*i];
  size_t n = strlen(opt);
  if (strncmp(a, opt, n) == 0 && a[n] == '=') return a + n + 1;
  if (strncmp(a, opt, n) == 0 && a[n] && opt[1] != '-') return a + n; /* -p4, -Dk=v */
  if (*i + 1 < argc) return argv[++*i];
  fprintf(stderr, "spate nexmark run: %s needs a value: %s\n", a, what);
  return NULL;
}

/* Whether a is option opt as "opt", "opt=..." or, for a short option, "opt...". */
static bool is_opt(const char *a, const char *opt) {
  size_t n = strlen(opt);
  if (strncmp(a, opt, n) != 0) return false;
  return a[n] == 0 || a[n] == '=' || opt[1] != '-';
}

static int run_command(int argc, char **argv, nexmark_run_fn run) {
  const char *query = NULL, *events = NULL, *tps = NULL, *par = NULL, *target = NULL,
             *output = NULL;
  bool discard = false;
  int rc = 1, nd = 0;
  /* the arguments of `spate run`: at most 2 per option given, and the fixed ones */
  char **args = sp_calloc((size_t)argc * 2 + 16, sizeof *args);
  char **defs = sp_calloc((size_t)argc + 1, sizeof *defs); /* the -D key=value, in order */
  char ev_def[64] = "", tps_def[64] = ""; /* the -D of --events and --tps (numbers checked) */
  sp_config *cfg = sp_config_new();
  if (!args || !defs || !cfg) goto out;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      rc = 0;
      goto out;
    } else if (is_opt(a, "--events")) {
      if (!(events = value_of(argc, argv, &i, "--events", "a count of events"))) goto out;
    } else if (is_opt(a, "--tps")) {
      if (!(tps = value_of(argc, argv, &i, "--tps", "events per second"))) goto out;
    } else if (is_opt(a, "--parallelism") || is_opt(a, "-p")) {
      const char *o = a[1] == '-' ? "--parallelism" : "-p";
      if (!(par = value_of(argc, argv, &i, o, "the parallelism"))) goto out;
    } else if (is_opt(a, "-D")) {
      const char *kv = value_of(argc, argv, &i, "-D", "key=value");
      if (!kv) goto out;
      defs[nd++] = (char *)kv;
    } else if (is_opt(a, "--jobmanager") || is_opt(a, "-m")) {
      const char *o = a[1] == '-' ? "--jobmanager" : "-m";
      if (!(target = value_of(argc, argv, &i, o, "the JobManager's REST address, host:port")))
        goto out;
    } else if (is_opt(a, "--output")) {
      if (!(output = value_of(argc, argv, &i, "--output", "a file or directory path"))) goto out;
      if (!output[0]) {
        fprintf(stderr, "spate nexmark run: --output needs a path, got ''\n");
        goto out;
      }
    } else if (strcmp(a, "--discard") == 0) {
      discard = true;
    } else if (a[0] == '-') {
      fprintf(stderr, "spate nexmark run: unknown option '%s' (see spate nexmark --help)\n", a);
      goto out;
    } else if (query) {
      fprintf(stderr, "spate nexmark run: unexpected argument '%s' after the query '%s'\n", a,
              query);
      goto out;
    } else {
      query = a;
    }
  }
  if (!query) {
    fprintf(stderr, "spate nexmark run: no query given (see spate nexmark list)\n");
    goto out;
  }
  if (output && discard) {
    fprintf(stderr, "spate nexmark run: --output and --discard exclude each other\n");
    goto out;
  }
  int64_t n_events = 0, rate = 0, p = 0;
  if (events && !parse_count(events, 0, INT64_MAX - 2, &n_events)) {
    fprintf(stderr, "spate nexmark run: invalid --events '%s': a count of events, 0 or more\n",
            events);
    goto out;
  }
  if (tps && !parse_count(tps, 1, 1000000000, &rate)) {
    fprintf(stderr,
            "spate nexmark run: invalid --tps '%s': events per second, from 1 to 1000000000\n",
            tps);
    goto out;
  }
  if (par && !parse_count(par, 1, 32768, &p)) {
    fprintf(stderr,
            "spate nexmark run: invalid parallelism '%s': must be an integer from 1 to 32768\n",
            par);
    goto out;
  }
  char path[PATH_MAX + 32], label[64];
  if (!query_path(query, path, sizeof path, label, sizeof label)) goto out;

  /* The configuration the job will see (file, then -D, then --events / --tps), for the events
   * it generates: `spate run` checks and reports it again, so errors here stay silent. */
  char err[SP_ERRMSG_MAX];
  if (cli_load_config(cfg) < 0) goto out;
  for (int k = 0; k < nd; k++)
    if (sp_config_set_kv(cfg, defs[k], err, sizeof err) < 0) {
      fprintf(stderr, "spate nexmark run: %s\n", err);
      goto out;
    }
  if (!events && !sp_config_is_set(cfg, "nexmark.events.num")) n_events = DEFAULT_EVENTS;
  if (events || n_events == DEFAULT_EVENTS) {
    snprintf(ev_def, sizeof ev_def, "nexmark.events.num=%lld", (long long)n_events);
    if (sp_config_set_kv(cfg, ev_def, err, sizeof err) < 0) goto out;
  }
  if (tps) snprintf(tps_def, sizeof tps_def, "nexmark.first-event.rate=%lld", (long long)rate);
  int64_t total = sp_config_int(cfg, "nexmark.events.num");
  if (!par && sp_config_is_set(cfg, "parallelism.default"))
    p = sp_config_int(cfg, "parallelism.default");

  int n = 0;
  if (par) {
    args[n++] = "-p";
    args[n++] = (char *)par;
  }
  for (int k = 0; k < nd; k++) {
    args[n++] = "-D";
    args[n++] = defs[k];
  }
  if (ev_def[0]) {
    args[n++] = "-D";
    args[n++] = ev_def;
  }
  if (tps_def[0]) {
    args[n++] = "-D";
    args[n++] = tps_def;
  }
  if (target) {
    args[n++] = "-m";
    args[n++] = (char *)target;
  }
  args[n++] = path;
  if (output) {
    args[n++] = "--output";
    args[n++] = (char *)output;
  } else if (!discard) {
    args[n++] = "--print";
  }
  int64_t t0 = sp_mono_ns();
  rc = run("nexmark run", n, args);
  double secs = (double)(sp_mono_ns() - t0) * 1e-9, cpu = cpu_s();
  if (rc != 0 || total <= 0) goto out;
  double per_s = secs > 0 ? (double)total / secs : 0;
  fflush(stdout);
  if (target) {
    fprintf(stderr, "nexmark %s: events=%lld seconds=%.3f events/s=%.0f parallelism=%lld\n", label,
            (long long)total, secs, per_s, (long long)(p > 0 ? p : 1));
  } else {
    fprintf(stderr,
            "nexmark %s: events=%lld seconds=%.3f events/s=%.0f cpu-seconds=%.3f "
            "events/cpu-second=%.0f parallelism=%lld\n",
            label, (long long)total, secs, per_s, cpu, cpu > 0 ? (double)total / cpu : 0,
            (long long)(p > 0 ? p : 1));
  }
out:
  sp_config_free(cfg);
  sp_free(defs);
  sp_free(args);
  return rc;
}

int nexmark_command(int argc, char **argv, nexmark_run_fn run) {
  if (argc < 1) {
    usage(stderr);
    return 1;
  }
  const char *verb = argv[0];
  if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0 || strcmp(verb, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(verb, "run") == 0) return run_command(argc - 1, argv + 1, run);
  if (strcmp(verb, "list") == 0) return list_command(argc - 1, argv + 1);
  fprintf(stderr, "spate nexmark: unknown action '%s': run or list (see spate nexmark --help)\n",
          verb);
  return 1;
}
