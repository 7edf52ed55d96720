/*
 * sql_client.c: `spate sql` (sql_client.h): reads statements, hands each to the SQL session
 * (sql/sql_session.h) and draws the outcome the way Flink's SQL client does.
 *
 * Statements are found in the text by the SQL parser's script splitter (sql/sql_script.h), which
 * knows strings, quoted names and comments, so a ';' inside them ends nothing, and which reports
 * each statement's line and column in the whole script: errors then point into the script, not
 * into the statement. Interactive input is kept in one buffer across lines until it holds a
 * complete statement; the prompt for a continued statement is Flink's "> " under the main one.
 */
#include "cli/sql_client.h"

#include <editline/readline.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "cli/install_paths.h"
#include "cli/sql_table_view.h"
#include "cli/sql_tableau.h"
#include "sql/sql_script.h"
#include "sql/sql_session.h"

#define PROMPT "Spate SQL> "
#define PROMPT_MORE "> "
#define CLI_NAME "Spate SQL CLI Client"

typedef struct client {
  sql_session *session;
  FILE *out;
  bool quit;  /* QUIT or EXIT was executed */
  bool echo;  /* scripts (-f, piped stdin): each statement is shown after the prompt */
  bool quiet; /* -i: only failures are shown (never together with echo) */
  /* a streamed query's table: its columns' widths (by type, as Flink's columnWidthsByType) */
  int *widths;
  int ncols;
  sql_table_view *view; /* table mode on a terminal: the query's live view while it runs */
  pthread_t thread;     /* the thread that runs the statements */
} client;

static void usage(FILE *f) {
  fprintf(f,
          "Usage: spate sql [options]\n"
          "\n"
          "Flink's SQL client for Spate: statements end with ';' and may span lines.\n"
          "\n"
          "Options:\n"
          "  -f, --file <script.sql>   run the script's statements and exit (stops at the first\n"
          "                            that fails, with exit code 1)\n"
          "  -i, --init <init.sql>     run this script first to set up the session (SET, CREATE\n"
          "                            TABLE, ...); only failures are shown\n"
          "  -D <key>=<value>          set a configuration key for the session (as SET does)\n"
          "  -m, --jobmanager <host:port>\n"
          "                            run jobs on the cluster whose REST endpoint is there\n"
          "                            (as execution.target: remote); default: the embedded\n"
          "                            MiniCluster\n"
          "  --history <file>          the interactive history (default ~/.spate-sql-history)\n"
          "  -h, --help                show this help\n"
          "\n"
          "Without -f, with a terminal on stdin, the client is interactive (type HELP;).\n"
          "Configuration: conf/config.yaml as for `spate run`, then -D.\n");
}

static void print_help(FILE *out) {
  static const char *const cmds[][2] = {
      {"HELP", "Prints the available commands."},
      {"QUIT/EXIT", "Quits the SQL CLI client."},
      {"CLEAR", "Clears the current terminal."},
      {"SET",
       "Sets a session configuration property. Syntax: \"SET '<key>'='<value>';\". Use "
       "\"SET;\" for listing all properties."},
      {"RESET",
       "Resets a session configuration property. Syntax: \"RESET '<key>';\". Use "
       "\"RESET;\" for reset all session properties."},
      {"INSERT INTO", "Inserts the results of a SQL SELECT query into a declared table sink."},
      {"SELECT", "Executes a SQL SELECT query on the Spate cluster."},
      {"EXPLAIN", "Describes the execution plan of a query or table with the given name."},
      {"BEGIN STATEMENT SET", "Begins a statement set. Syntax: \"BEGIN STATEMENT SET;\""},
      {"END", "Ends a statement set. Syntax: \"END;\""},
  };
  size_t n = sizeof cmds / sizeof cmds[0];
  int w = 0;
  for (size_t i = 0; i < n; i++)
    if ((int)strlen(cmds[i][0]) > w) w = (int)strlen(cmds[i][0]);
  fputs("The following commands are available:\n\n", out);
  for (size_t i = 0; i < n; i++) fprintf(out, "%-*s\t\t%s\n", w, cmds[i][0], cmds[i][1]);
  fputs(
      "\nHint: Make sure that a statement ends with \";\" for finalizing (multi-line) "
      "statements.\nYou can also type any Flink SQL statement the documentation of Spate "
      "lists as supported.\n",
      out);
}

/* A query's changelog as sql-client.execution.result-mode shows it: tableau and changelog print
 * every change with its op, as Flink's client prints a streaming result ("Received a total of N
 * rows"); table applies the changes (+I and +U add a row, -U and -D take one back) and prints the
 * rows that remain. */
static void show_changelog(client *c, const sql_result *r, int width) {
  const char *mode =
      sp_config_str(sql_session_config(c->session), "sql-client.execution.result-mode");
  if (mode && strcasecmp(mode, "table") == 0) {
    char ***rows = sp_calloc((size_t)r->nrows + 1, sizeof *rows);
    if (!rows) {
      fputs("[ERROR] out of memory\n", c->out);
      return;
    }
    int64_t n = 0;
    for (int64_t i = 0; i < r->nrows; i++) {
      const char *op = r->rows[i][0];
      if (op[0] == '+') {
        rows[n++] = r->rows[i] + 1;
        continue;
      }
      for (int64_t k = 0; k < n; k++) { /* the first equal row goes */
        bool same = true;
        for (int col = 1; same && col < r->ncols; col++) {
          const char *a = rows[k][col - 1], *b = r->rows[i][col];
          same = (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
        }
        if (same) {
          memmove(&rows[k], &rows[k + 1], sizeof *rows * (size_t)(n - k - 1));
          n--;
          break;
        }
      }
    }
    tableau_print(c->out, (const char *const *)r->names + 1, r->ncols - 1,
                  (const char *const *const *)rows, n, width);
    sp_free(rows);
    return;
  }
  if (r->nrows == 0) {
    fputs("Empty set\n", c->out);
    return;
  }
  int *widths = sp_calloc((size_t)r->ncols + 1, sizeof *widths);
  if (!widths) return;
  tableau_widths_by_content((const char *const *)r->names, r->ncols,
                            (const char *const *const *)r->rows, r->nrows, width, widths);
  tableau_border(c->out, widths, r->ncols);
  tableau_row(c->out, widths, r->ncols, (const char *const *)r->names);
  tableau_border(c->out, widths, r->ncols);
  for (int64_t i = 0; i < r->nrows; i++)
    tableau_row(c->out, widths, r->ncols, (const char *const *)r->rows[i]);
  tableau_border(c->out, widths, r->ncols);
  fprintf(c->out, "Received a total of %lld row%s\n", (long long)r->nrows,
          r->nrows == 1 ? "" : "s");
  sp_free(widths);
}

/* Leaving the table view while its query runs cancels the query as Ctrl-C does: SIGINT to the
 * thread running the statement, whose handler sets the session's cancel flag (so that flag is
 * written and read by that one thread). */
static void cancel_from_view(void *arg) {
  client *c = arg;
  pthread_kill(c->thread, SIGINT);
}

/* The stream listener: the table's head when the query starts, a line per row as it comes. */
static void stream_columns(void *arg, const char *const *names, const char *const *types,
                           int ncols) {
  client *c = arg;
  const sp_config *cfg = sql_session_config(c->session);
  const char *mode = sp_config_str(cfg, "sql-client.execution.result-mode");
  int max_width = (int)sp_config_int(cfg, "sql-client.display.max-column-width");
  if (mode && strcasecmp(mode, "table") == 0) { /* only on a terminal: Flink's table view */
    c->ncols = 0;                               /* no tableau rows, also if the view cannot open */
    if (sql_table_view_open(names, types, ncols, max_width,
                            sp_config_int(cfg, "sql-client.execution.max-table-result.rows"),
                            cancel_from_view, c, &c->view) < 0)
      c->view = NULL;
    return;
  }
  sp_free(c->widths);
  c->widths = sp_calloc((size_t)ncols, sizeof *c->widths);
  c->ncols = c->widths ? ncols : 0;
  for (int i = 0; i < c->ncols; i++)
    c->widths[i] = tableau_width_by_type(names[i], types[i], max_width);
  if (c->quiet || !c->ncols) return;
  tableau_border(c->out, c->widths, c->ncols);
  tableau_row(c->out, c->widths, c->ncols, names);
  tableau_border(c->out, c->widths, c->ncols);
  fflush(c->out);
}

static void stream_row(void *arg, const char *const *cells, int ncols) {
  client *c = arg;
  if (c->view) {
    sql_table_view_row(c->view, cells, ncols);
    return;
  }
  if (c->quiet || ncols != c->ncols) return;
  tableau_row(c->out, c->widths, c->ncols, cells);
  fflush(c->out); /* streamed: a reader of a pipe or a file sees each row as it comes */
}

static void show_result(client *c, const sql_result *r) {
  if (r->warning) fprintf(c->out, "[WARNING] %s\n", r->warning);
  switch (r->kind) {
  case SQL_RESULT_INFO:
    if (!c->quiet) fprintf(c->out, "[INFO] %s\n", r->message ? r->message : "");
    break;
  case SQL_RESULT_TABLE:
    if (!c->quiet) {
      if (r->message) fprintf(c->out, "[INFO] %s\n", r->message);
      /* the width of the session's configuration as it is now (a SET may have changed it) */
      int width =
          (int)sp_config_int(sql_session_config(c->session), "sql-client.display.max-column-width");
      if (r->changelog)
        show_changelog(c, r, width);
      else
        tableau_print(c->out, (const char *const *)r->names, r->ncols,
                      (const char *const *const *)r->rows, r->nrows, width);
    }
    break;
  case SQL_RESULT_TEXT:
    if (!c->quiet) fprintf(c->out, "%s\n", r->message ? r->message : "");
    break;
  case SQL_RESULT_STREAMED:
    if (!c->quiet) {
      if (r->nrows > 0 && c->ncols) tableau_border(c->out, c->widths, c->ncols);
      fprintf(c->out, "%s%s %lld row%s\n", r->message ? r->message : "",
              r->message ? ", received a total of" : "Received a total of", (long long)r->nrows,
              r->nrows == 1 ? "" : "s");
    }
    break;
  case SQL_RESULT_HELP: print_help(c->out); break;
  case SQL_RESULT_CLEAR:
    if (isatty(fileno(c->out))) fputs("\033[H\033[2J", c->out);
    break;
  case SQL_RESULT_QUIT:
    fprintf(c->out, "Exiting %s...\n", CLI_NAME);
    c->quit = true;
    break;
  }
}

/* Ctrl-C while a statement runs cancels the query's job (sql_session_cancel), as in Flink's
 * client; the rows so far stay shown. */
static sql_session *volatile running;

static volatile sig_atomic_t terminated; /* SIGTERM or SIGHUP came during a statement */

static void on_interrupt(int sig) {
  if (sig != SIGINT) terminated = 1;
  sql_session *s = running;
  if (s) sql_session_cancel(s);
}

static bool run_statement(client *c, const char *text, size_t len, int line, int col) {
  if (c->echo) fprintf(c->out, "%s%.*s;\n", PROMPT, (int)len, text);
  sql_result r = {0};
  sql_error_kind kind = SQL_ERR_EXECUTION;
  sp_strbuf err = {0};
  /* the end of the client (SIGTERM, SIGHUP) during a query cancels its job too, a job on a
   * cluster included, and then ends the client */
  struct sigaction sa = {.sa_handler = on_interrupt}, old[3];
  static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
  sigemptyset(&sa.sa_mask);
  running = c->session;
  for (int i = 0; i < 3; i++) sigaction(sigs[i], &sa, &old[i]);
  int rc = sql_session_execute(c->session, text, len, line, col, &r, &kind, &err);
  /* the user leaves the view (a failed query's closes at once, as Flink's); until then leaving
   * it raises SIGINT (cancel_from_view), so the handler stays till it is closed */
  if (c->view) {
    sql_table_view_close(c->view, rc == 0);
    c->view = NULL;
    if (rc == 0) {
      sp_free(r.message);
      r.kind = SQL_RESULT_INFO;
      r.message = sp_strdup("Result retrieval cancelled.");
      r.nrows = 0;
    }
  }
  for (int i = 0; i < 3; i++) sigaction(sigs[i], &old[i], NULL);
  running = NULL;
  if (terminated) c->quit = true;
  if (rc == 0) {
    show_result(c, &r);
    sql_result_free(&r);
  } else {
    fprintf(c->out, "[ERROR] Could not execute SQL statement. Reason:\n%s: %s\n",
            sql_error_kind_name(kind), err.len ? err.data : "out of memory");
  }
  sp_free(err.data);
  if (!c->quiet) fputc('\n', c->out);
  fflush(c->out);
  return rc == 0;
}

/* A whole script: its statements in order; a last statement without ';' runs too, as Flink's
 * client runs the last statement of a file. Returns false at the first that fails. */
static bool run_script(client *c, const char *text, size_t len) {
  sql_script_stmt *st = NULL;
  int n = 0;
  if (sql_split_script(text, len, &st, &n) < 0) {
    fprintf(stderr, "spate sql: out of memory\n");
    return false;
  }
  bool ok = true;
  for (int i = 0; i < n && ok && !c->quit; i++)
    ok = run_statement(c, text + st[i].off, st[i].len, st[i].line, st[i].col);
  sp_free(st);
  return ok;
}

static char *read_file(const char *path, size_t *len, const char *what) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "spate sql: cannot read the %s '%s': %s\n", what, path, strerror(errno));
    return NULL;
  }
  sp_strbuf sb = {0};
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    if (sp_strbuf_append(&sb, buf, n)) {
      fclose(f);
      sp_free(sb.data);
      fprintf(stderr, "spate sql: out of memory reading '%s'\n", path);
      return NULL;
    }
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    fprintf(stderr, "spate sql: error reading the %s '%s'\n", what, path);
    sp_free(sb.data);
    return NULL;
  }
  *len = sb.len;
  if (!sb.data) sb.data = sp_calloc(1, 1);
  return sb.data;
}

static bool run_file(client *c, const char *path, const char *what) {
  size_t len = 0;
  char *text = read_file(path, &len, what);
  if (!text) return false;
  bool ok = run_script(c, text, len);
  sp_free(text);
  return ok;
}

static void history_path(const char *given, char *out, size_t cap) {
  const char *home = getenv("HOME");
  if (given)
    snprintf(out, cap, "%s", given);
  else if (home && home[0])
    snprintf(out, cap, "%s/.spate-sql-history", home);
  else
    out[0] = 0;
}

/* The interactive loop: lines are gathered until they hold complete statements, which run (a
 * failure is shown and the session goes on); what follows the last ';' waits for more lines.
 * History keeps each statement as one entry. Ends at QUIT/EXIT or end of input (Ctrl-D). */
static void interactive(client *c, const char *history) {
  if (history[0]) read_history(history);
  fprintf(c->out,
          "Spate SQL client. Enter 'HELP;' to list all available commands. 'QUIT;' to "
          "exit.\n\n");
  sp_strbuf buf = {0};
  while (!c->quit) {
    char *l = readline(buf.len ? PROMPT_MORE : PROMPT);
    if (!l) {
      fprintf(c->out, "\nExiting %s...\n", CLI_NAME);
      break;
    }
    int rc = sp_strbuf_add(&buf, l);
    if (!rc) rc = sp_strbuf_append(&buf, "\n", 1);
    free(l);
    sql_script_stmt *st = NULL;
    int n = 0;
    if (rc || sql_split_script(buf.data, buf.len, &st, &n) < 0) {
      fprintf(stderr, "spate sql: out of memory\n");
      break;
    }
    size_t keep = buf.len; /* from here on the buffer waits for more (buf.len: nothing) */
    for (int i = 0; i < n && !c->quit; i++) {
      if (!st[i].terminated) {
        keep = st[i].off;
        break;
      }
      /* the history entry is the statement with its ';' (terminated: it follows the text) */
      char *entry = sp_strndup(buf.data + st[i].off, st[i].len + 1);
      if (entry) {
        add_history(entry);
        if (history[0]) write_history(history);
        sp_free(entry);
      }
      run_statement(c, buf.data + st[i].off, st[i].len, st[i].line, st[i].col);
    }
    sp_free(st);
    memmove(buf.data, buf.data + keep, buf.len - keep + 1);
    buf.len -= keep;
  }
  sp_free(buf.data);
}

static bool opt_is(const char *a, const char *s, const char *l) {
  return strcmp(a, s) == 0 || (l && strcmp(a, l) == 0);
}

int sql_client_main(int argc, char **argv) {
  const char *file = NULL, *init = NULL, *history = NULL, *jm = NULL;
  sp_config *cfg = sp_config_new();
  if (!cfg) return 1;
  int rc = cli_load_config(cfg), code = 1;
  sql_session *session = NULL;
  client c = {0};
  if (rc < 0) goto done;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (opt_is(a, "-h", "--help")) {
      usage(stdout);
      code = 0;
      goto done;
    }
    bool valued = opt_is(a, "-f", "--file") || opt_is(a, "-i", "--init") || opt_is(a, "-D", NULL) ||
                  opt_is(a, "-m", "--jobmanager") || opt_is(a, "--history", NULL);
    if (!valued) {
      fprintf(stderr, "spate sql: unknown option '%s' (spate sql --help)\n", a);
      goto done;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "spate sql: option '%s' needs a value\n", a);
      goto done;
    }
    const char *v = argv[++i];
    if (opt_is(a, "-f", "--file"))
      file = v;
    else if (opt_is(a, "-i", "--init"))
      init = v;
    else if (opt_is(a, "-m", "--jobmanager"))
      jm = v;
    else if (opt_is(a, "--history", NULL))
      history = v;
    else {
      char err[SP_ERRMSG_MAX];
      if (sp_config_set_kv(cfg, v, err, sizeof err) < 0) {
        fprintf(stderr, "spate sql: %s\n", err);
        goto done;
      }
    }
  }
  if (jm) {
    const char *colon = strrchr(jm, ':');
    char err[SP_ERRMSG_MAX], host[256];
    if (!colon || colon == jm || (size_t)(colon - jm) >= sizeof host) {
      fprintf(stderr, "spate sql: -m '%s' is not host:port\n", jm);
      goto done;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - jm), jm);
    if (sp_config_set(cfg, "execution.target", "remote", "-m", err, sizeof err) < 0 ||
        sp_config_set(cfg, "rest.address", host, "-m", err, sizeof err) < 0 ||
        sp_config_set(cfg, "rest.port", colon + 1, "-m", err, sizeof err) < 0) {
      fprintf(stderr, "spate sql: -m %s: %s\n", jm, err);
      goto done;
    }
  }
  /* The jobs' log lines would mix with the results on the terminal: as Flink's client writes
   * them to its own log file, Spate's writes them to log.file when one is set and otherwise shows
   * warnings and errors only. */
  if (!sp_config_is_set(cfg, "log.file")) {
    char err[SP_ERRMSG_MAX];
    int level = sp_log_parse_level(sp_config_str(cfg, "log.level"));
    if (level < (int)SP_LOG_WARN &&
        sp_config_set(cfg, "log.level", "WARN", "sql client", err, sizeof err) < 0) {
      fprintf(stderr, "spate sql: %s\n", err);
      goto done;
    }
    sp_log_set_level(SP_LOG_WARN);
  }
  if (sql_session_new(cfg, &session) < 0) {
    fprintf(stderr, "spate sql: out of memory\n");
    goto done;
  }
  c.session = session;
  c.out = stdout;
  c.thread = pthread_self();
  sql_stream_listener listener = {.arg = &c, .columns = stream_columns, .row = stream_row};
  sql_session_set_stream_listener(session, &listener);
  if (init) {
    c.quiet = true;
    if (!run_file(&c, init, "initialization file")) goto done;
    c.quiet = false;
  }
  if (file) {
    c.echo = true;
    code = run_file(&c, file, "SQL file") ? 0 : 1;
  } else if (isatty(STDIN_FILENO)) {
    listener.table_mode = isatty(STDOUT_FILENO); /* table mode's live view (sql_table_view.c) */
    sql_session_set_stream_listener(session, &listener);
    char path[4096];
    history_path(history, path, sizeof path);
    interactive(&c, path);
    code = 0;
  } else {
    c.echo = true;
    size_t len = 0;
    char *text = read_file("/dev/stdin", &len, "standard input");
    code = text && run_script(&c, text, len) ? 0 : 1;
    sp_free(text);
  }
done:
  if (terminated) code = 1; /* ended by a signal while a statement ran */
  sql_session_free(session);
  sp_free(c.widths);
  sp_config_free(cfg);
  fflush(stdout);
  return code;
}
