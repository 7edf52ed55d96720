/*
 * sql_table_view.c: the `table` result mode's full-screen view (sql_table_view.h), laid out and
 * driven as Flink's CliTableResultView:
 *
 *                              SQL Query Result (Table)                      <- title, inverse
 *    Refresh: 1 s                  Page: Last of 1           Updated: 10:15:02.113 <- inverse
 *
 *     name       cnt                                        <- the column names, underlined
 *      Bob         2
 *    Alice         1
 *   ...
 *   Q Quit      + Inc Refresh  G Goto Page  N Next Page  O Open Row    <- keys inverse
 *   R Refresh   - Dec Refresh  L Last Page  P Prev Page
 *
 * The rows of the result are applied to a materialized table (sql_materialized.h) by the job's
 * thread as they come, under the view's lock. The view's own thread refreshes every interval
 * (Flink's choices: 100 ms, 500 ms, 1 s (the default), 5 s, 10 s, 1 min, or never; the first
 * refresh comes one interval after the view opens, as Flink's refresh thread waits first): it
 * counts the table's pages of as many rows as the screen shows and copies the rows of the page
 * in view (the last page unless the user chose another), then draws. Cells that changed since
 * the previous refresh of the same page are drawn bold while the query runs. Between refreshes
 * the thread waits for keys at most 100 ms at a time, so that the end of the query and a change
 * of the terminal's size show at once.
 *
 * One difference from Flink: Flink takes a snapshot of the whole table at each refresh and turns
 * pages within it; here a page turn copies the page from the table as it is at that moment (the
 * table is not copied whole, which for a million rows ten times a second would cost more than
 * the drawing).
 */
#include "cli/sql_table_view.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/err.h"
#include "cli/sql_materialized.h"
#include "cli/sql_tableau.h"
#include "cli/term_screen.h"

/* Flink's refresh intervals (CliResultView.REFRESH_INTERVALS): label and milliseconds, -1 for
 * never. The table view starts at "1 s" and goes no faster than "100 ms". */
static const struct {
  const char *label;
  int ms;
} INTERVALS[] = {{"Fastest", 0}, {"100 ms", 100}, {"500 ms", 500},  {"1 s", 1000},
                 {"5 s", 5000},  {"10 s", 10000}, {"1 min", 60000}, {"-", -1}};
enum { N_INTERVALS = sizeof INTERVALS / sizeof INTERVALS[0] };
#define DEFAULT_INTERVAL 3
#define MIN_INTERVAL 1
#define LAST_PAGE 0
#define NO_ROW -1
#define DISPLAY_EVERY_MS 100 /* at most this often a refresh draws (Flink's refresh thread) */
#define MARGIN " "

struct sql_table_view {
  void (*cancel)(void *arg);
  void *cancel_arg;
  int ncols; /* the result's columns, without the op */
  char **names, **types;
  int *widths;
  pthread_t thread;

  /* Guards table, ended and abort. Taken by the job's thread for each row and by the view's
   * thread to copy a page; nothing else is locked while it is held. */
  pthread_mutex_t mu;
  mat_table *table;
  bool ended; /* the query's job has ended: the table is final */
  bool abort; /* the query failed: close without waiting for the user */

  /* The rest belongs to the view's thread. */
  ts_term term;
  bool quit;
  bool retrieving;        /* false once the final rows are shown ("Table program finished.") */
  int interval;           /* index into INTERVALS */
  int page;               /* 1-based, or LAST_PAGE */
  int page_count;         /* at the last refresh, at least 1 */
  int shown_page;         /* the page rows are of (1-based), 0 before the first */
  mat_row **rows, **prev; /* this page's rows now, and at the refresh before (prev_ok) */
  int nrows, nprev;
  bool prev_ok;
  int selected; /* index into rows, or NO_ROW */
  int offset_x, offset_y;
  char updated[16]; /* the wall time of the last refresh, HH:MM:SS.mmm; "" before the first */
  int64_t last_refresh_ms, last_display_ms;
};

/* ---- rows ------------------------------------------------------------------------------- */

void sql_table_view_row(sql_table_view *v, const char *const *cells, int ncols) {
  if (ncols != v->ncols + 1) return;
  pthread_mutex_lock(&v->mu);
  /* out of memory, the change is lost: the view shows what it could keep */
  (void)mat_table_apply(v->table, cells[0], cells + 1);
  pthread_mutex_unlock(&v->mu);
}

static void free_rows(mat_row **rows, int n) {
  for (int i = 0; rows && i < n; i++) sp_free(rows[i]);
  sp_free(rows);
}

/* The rows one page holds: as many as the main part of the screen shows. */
static int page_size(const sql_table_view *v) { return ts_main_height(&v->term, 2, 1, 2); }

/* Copies the page in view from the table (Flink's updatePage); v->mu is held. */
static void update_page_locked(sql_table_view *v) {
  int ps = page_size(v);
  int page = v->page == LAST_PAGE ? v->page_count : v->page;
  mat_row **rows = sp_calloc((size_t)ps, sizeof *rows);
  int64_t n = rows ? mat_table_copy(v->table, (int64_t)(page - 1) * ps, ps, rows) : 0;
  if (n < 0) n = 0;
  free_rows(v->prev, v->nprev);
  if (page == v->shown_page) { /* the same page: what changed can be shown */
    v->prev = v->rows;
    v->nprev = v->nrows;
    v->prev_ok = true;
  } else {
    free_rows(v->rows, v->nrows);
    v->prev = NULL;
    v->nprev = 0;
    v->prev_ok = false;
    v->shown_page = page;
  }
  v->rows = rows;
  v->nrows = (int)n;
  if (v->selected >= v->nrows) v->selected = NO_ROW;
}

static void update_page(sql_table_view *v) {
  pthread_mutex_lock(&v->mu);
  update_page_locked(v);
  pthread_mutex_unlock(&v->mu);
}

/* A refresh (Flink's refresh): the page count of the table now, and the page in view. */
static void refresh(sql_table_view *v) {
  int64_t ps = page_size(v);
  pthread_mutex_lock(&v->mu);
  int64_t size = mat_table_size(v->table);
  int64_t count = (size + ps - 1) / ps;
  v->page_count = count < 1 ? 1 : count > INT32_MAX ? INT32_MAX : (int)count;
  if (v->page > v->page_count) v->page = LAST_PAGE;
  update_page_locked(v);
  pthread_mutex_unlock(&v->mu);
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  localtime_r(&ts.tv_sec, &tm);
  snprintf(v->updated, sizeof v->updated, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
           (int)(ts.tv_nsec / 1000000));
  v->last_refresh_ms = sp_mono_ms();
}

/* ---- drawing ---------------------------------------------------------------------------- */

/* Flink's formatTwoLineHelpOptions: the options in columns of two, each key inverse. */
static void help_lines(ts_lines *footer, int width, const char *const (*opts)[2], int n) {
  ts_line *l1 = ts_lines_add(footer), *l2 = ts_lines_add(footer);
  int columns = (n + 1) / 2;
  int space = (width - (int)strlen(MARGIN) - columns * 13) / columns;
  if (space < 0) space = 0;
  for (int i = 0; i < n; i++) {
    ts_line *l = i % 2 == 0 ? l1 : l2;
    ts_put(l, opts[i][0], TS_INVERSE);
    ts_put(l, " ", 0);
    ts_put(l, opts[i][1], 0);
    ts_repeat(l, ' ', 11 - (int)strlen(opts[i][1]) + space, 0);
  }
}

static void display(sql_table_view *v) {
  static const char *const help[][2] = {
      {"Q", "Quit"},        {"R", "Refresh"},   {"+", "Inc Refresh"},
      {"-", "Dec Refresh"}, {"G", "Goto Page"}, {"L", "Last Page"},
      {"N", "Next Page"},   {"P", "Prev Page"}, {"O", "Open Row"},
  };
  ts_lines header = {0}, main_header = {0}, main = {0}, footer = {0};
  int width = v->term.width;

  /* the status line: refresh interval (or the end) left, the page centred, the time right */
  char left[64], middle[64], right[64];
  if (v->retrieving)
    snprintf(left, sizeof left, "%sRefresh: %s", MARGIN, INTERVALS[v->interval].label);
  else
    snprintf(left, sizeof left, "%sTable program finished.", MARGIN);
  if (v->page == LAST_PAGE)
    snprintf(middle, sizeof middle, "Page: Last of %d", v->page_count);
  else
    snprintf(middle, sizeof middle, "Page: %d of %d", v->page, v->page_count);
  snprintf(right, sizeof right, "Updated: %s%s", v->updated[0] ? v->updated : "Unknown", MARGIN);
  ts_line *status = ts_lines_add(&header);
  ts_put(status, left, TS_INVERSE);
  ts_repeat(status, ' ', (width - (int)strlen(middle)) / 2 - (int)strlen(left), TS_INVERSE);
  ts_put(status, middle, TS_INVERSE);
  ts_repeat(status, ' ', width - (status ? status->width : 0) - (int)strlen(right), TS_INVERSE);
  ts_put(status, right, TS_INVERSE);
  ts_lines_add(&header);

  ts_line *names = ts_lines_add(&main_header);
  for (int c = 0; c < v->ncols; c++) {
    ts_put(names, " ", 0);
    ts_put_column(names, v->names[c], v->widths[c], TS_UNDERLINE);
  }

  const char **cells = sp_calloc((size_t)v->ncols + 1, sizeof *cells);
  const char **before = sp_calloc((size_t)v->ncols + 1, sizeof *before);
  for (int r = 0; cells && before && r < v->nrows; r++) {
    ts_line *l = ts_lines_add(&main);
    int attr = r == v->selected ? TS_INVERSE : 0;
    mat_row_cells(v->rows[r], v->ncols, cells);
    bool compare = v->prev_ok && r != v->selected && v->retrieving;
    if (compare && r < v->nprev) mat_row_cells(v->prev[r], v->ncols, before);
    for (int c = 0; c < v->ncols; c++) {
      const char *s = cells[c] ? cells[c] : TABLEAU_NULL;
      ts_put(l, " ", attr);
      bool changed = compare && (r >= v->nprev || !(before[c] ? strcmp(before[c], s) == 0
                                                              : strcmp(TABLEAU_NULL, s) == 0));
      ts_put_column(l, s, v->widths[c], changed ? TS_BOLD : attr);
    }
  }
  sp_free(cells);
  sp_free(before);

  help_lines(&footer, width, help, (int)(sizeof help / sizeof help[0]));
  ts_draw(&v->term, "SQL Query Result (Table)", &header, &main_header, &main, &footer, &v->offset_x,
          &v->offset_y);
  ts_lines_free(&header);
  ts_lines_free(&main_header);
  ts_lines_free(&main);
  ts_lines_free(&footer);
  v->last_display_ms = sp_mono_ms();
}

/* ---- the row view and the page dialog (Flink's CliRowView, CliInputView) ----------------- */

/* Whether the query failed (the view is to close at once, also from a dialog). */
static bool aborted(sql_table_view *v) {
  pthread_mutex_lock(&v->mu);
  bool a = v->abort;
  pthread_mutex_unlock(&v->mu);
  return a;
}

/* "Press <key> <rest>" with the key inverse. */
static void press_line(ts_lines *ls, const char *key, const char *rest) {
  ts_line *l = ts_lines_add(ls);
  ts_put(l, "Press ", 0);
  ts_put(l, key, TS_INVERSE);
  ts_put(l, rest, 0);
}

/* The selected row, one column after another (name and type in bold, the value below), until
 * Q or Escape. Returns false if the terminal is gone or the query failed. */
static bool open_row(sql_table_view *v) {
  if (v->selected == NO_ROW) return true;
  mat_row *row = v->rows[v->selected];
  const char **cells = sp_calloc((size_t)v->ncols + 1, sizeof *cells);
  if (!cells) return true;
  mat_row_cells(row, v->ncols, cells);
  int ox = 0, oy = 0;
  for (;;) {
    ts_lines header = {0}, none = {0}, main = {0}, footer = {0};
    ts_lines_add(&header);
    for (int c = 0; c < v->ncols; c++) {
      ts_line *l = ts_lines_add(&main);
      ts_put(l, MARGIN, 0);
      ts_put(l, v->names[c], TS_BOLD);
      ts_put(l, " (", TS_BOLD);
      ts_put(l, v->types[c], TS_BOLD);
      ts_put(l, "):", TS_BOLD);
      l = ts_lines_add(&main);
      ts_put(l, MARGIN, 0);
      ts_put(l, cells[c] ? cells[c] : TABLEAU_NULL, 0);
      ts_lines_add(&main);
    }
    press_line(&footer, "Q", " to go back.");
    ts_draw(&v->term, "Row Summary", &header, &none, &main, &footer, &ox, &oy);
    ts_lines_free(&header);
    ts_lines_free(&main);
    ts_lines_free(&footer);
    int k = ts_read_key(&v->term, 100);
    if (k == TS_KEY_EOF || aborted(v)) {
      sp_free(cells);
      return false;
    }
    if (k == 'q' || k == 'Q' || k == TS_KEY_ESC) break;
    if (k == 'w' || k == 'W' || k == TS_KEY_UP) oy = oy > 0 ? oy - 1 : 0;
    if (k == 's' || k == 'S' || k == TS_KEY_DOWN) oy++;
    if (k == 'a' || k == 'A' || k == TS_KEY_LEFT) ox = ox > 0 ? ox - 1 : 0;
    if (k == 'd' || k == 'D' || k == TS_KEY_RIGHT) ox++;
    ts_update_size(&v->term);
  }
  sp_free(cells);
  return true;
}

/* Asks for a page number in [1, page_count]: Enter submits, Escape or an empty input cancels.
 * Returns the page, 0 if cancelled, -1 if the terminal is gone or the query failed. */
static int ask_page(sql_table_view *v) {
  char input[16] = {0}, prompt[64];
  size_t len = 0;
  bool invalid = false;
  snprintf(prompt, sizeof prompt, "Enter page number: [1 to %d]", v->page_count);
  for (;;) {
    ts_lines header = {0}, none = {0}, main = {0}, footer = {0};
    ts_lines_add(&header);
    ts_line *l = ts_lines_add(&main);
    ts_put(l, MARGIN, 0);
    ts_put(l, prompt, 0);
    l = ts_lines_add(&main);
    ts_put(l, MARGIN "> ", 0);
    ts_put(l, input, 0);
    ts_put(l, "_", TS_INVERSE);
    if (invalid) {
      ts_lines_add(&main);
      l = ts_lines_add(&main);
      ts_put(l, MARGIN "The input is invalid please check it again.", 0);
    }
    ts_line *f = ts_lines_add(&footer);
    ts_put(f, "Press ", 0);
    ts_put(f, "Enter", TS_INVERSE);
    ts_put(f, " to submit. Press ", 0);
    ts_put(f, "ESC", TS_INVERSE);
    ts_put(f, " or submit an empty string to cancel.", 0);
    int ox = 0, oy = 0;
    ts_draw(&v->term, "Input Dialog", &header, &none, &main, &footer, &ox, &oy);
    ts_lines_free(&header);
    ts_lines_free(&main);
    ts_lines_free(&footer);
    int k = ts_read_key(&v->term, 100);
    if (k == TS_KEY_EOF || aborted(v)) return -1;
    if (k == TS_KEY_ESC) return 0;
    if (k == '\r' || k == '\n') {
      if (len == 0) return 0;
      char *end;
      long p = strtol(input, &end, 10);
      if (*end == 0 && p >= 1 && p <= v->page_count) return (int)p;
      invalid = true;
    } else if ((k == 0x7F || k == 0x08) && len > 0) {
      input[--len] = 0;
    } else if (k >= 0x20 && k < 0x7F && len + 1 < sizeof input) {
      input[len++] = (char)k;
      input[len] = 0;
    }
    ts_update_size(&v->term);
  }
}

/* ---- keys ------------------------------------------------------------------------------- */

static void change_interval(sql_table_view *v, int by) {
  int i = v->interval + by;
  v->interval = i < MIN_INTERVAL ? MIN_INTERVAL : i >= N_INTERVALS ? N_INTERVALS - 1 : i;
  v->last_refresh_ms = sp_mono_ms(); /* the new interval counts from now, as Flink's notify */
}

static void evaluate(sql_table_view *v, int k) {
  int cur = v->page == LAST_PAGE ? v->page_count : v->page;
  switch (k) {
  case 'q':
  case 'Q':
  case TS_KEY_ESC:
  case 0x03: /* Ctrl-C */
  case 0x1C: /* Ctrl-\ */ v->quit = true; break;
  case 'r':
  case 'R':
  case TS_KEY_F5: refresh(v); break;
  case 'w':
  case 'W':
  case TS_KEY_UP:
    if (v->selected == NO_ROW)
      v->selected = v->nrows - 1; /* the lowest row shown (NO_ROW if none) */
    else if (v->selected > 0)
      v->selected--;
    break;
  case 's':
  case 'S':
  case TS_KEY_DOWN:
    if (v->selected == NO_ROW && v->nrows > 0)
      v->selected = 0;
    else if (v->selected != NO_ROW && v->selected < v->nrows - 1)
      v->selected++;
    break;
  case 'a':
  case 'A':
  case TS_KEY_LEFT:
    if (v->offset_x > 0) v->offset_x--;
    break;
  case 'd':
  case 'D':
  case TS_KEY_RIGHT: v->offset_x++; break; /* bounded when drawn */
  case 'o':
  case 'O':
  case '\r':
    if (!open_row(v)) v->quit = true;
    break;
  case 'g':
  case 'G': {
    int p = ask_page(v);
    if (p < 0) {
      v->quit = true;
    } else if (p > 0) {
      v->page = p;
      update_page(v);
    }
    break;
  }
  case 'n':
  case 'N':
    if (cur < v->page_count) v->page = cur + 1;
    update_page(v);
    break;
  case 'p':
  case 'P':
    if (cur > 1) v->page = cur - 1;
    update_page(v);
    break;
  case 'l':
  case 'L':
  case TS_KEY_END:
    v->page = LAST_PAGE;
    update_page(v);
    break;
  case '+': change_interval(v, 1); break;
  case '-': change_interval(v, -1); break;
  default: break;
  }
}

/* ---- the view's thread ------------------------------------------------------------------ */

static void *run(void *arg) {
  sql_table_view *v = arg;
  v->last_refresh_ms = sp_mono_ms();
  display(v);
  bool ended = false, aborted = false;
  while (!v->quit) {
    int ms = INTERVALS[v->interval].ms;
    int64_t now = sp_mono_ms();
    int timeout = 100;
    if (v->retrieving && ms >= 0) {
      int64_t due = v->last_refresh_ms + ms - now;
      timeout = due <= 0 ? 0 : due < timeout ? (int)due : timeout;
    }
    int k = ts_read_key(&v->term, timeout);
    if (k == TS_KEY_EOF) break;
    if (k != TS_KEY_NONE) {
      evaluate(v, k);
      if (v->quit) break;
      ts_update_size(&v->term);
      display(v);
    }
    pthread_mutex_lock(&v->mu);
    ended = v->ended;
    aborted = v->abort;
    pthread_mutex_unlock(&v->mu);
    if (aborted) break;
    bool resized = ts_update_size(&v->term);
    now = sp_mono_ms();
    if (v->retrieving && ended) { /* the final rows, and the end shown */
      refresh(v);
      v->retrieving = false;
      display(v);
    } else if (v->retrieving && ms >= 0 && now >= v->last_refresh_ms + ms) {
      refresh(v);
      if (now - v->last_display_ms >= DISPLAY_EVERY_MS || resized) display(v);
    } else if (resized) {
      display(v);
    }
  }
  ts_leave(&v->term);
  pthread_mutex_lock(&v->mu);
  ended = v->ended;
  pthread_mutex_unlock(&v->mu);
  if (!ended) v->cancel(v->cancel_arg); /* left while the query runs: it is cancelled */
  return NULL;
}

/* ---- open and close --------------------------------------------------------------------- */

static void view_free(sql_table_view *v) {
  for (int c = 0; c < v->ncols; c++) {
    if (v->names) sp_free(v->names[c]);
    if (v->types) sp_free(v->types[c]);
  }
  sp_free(v->names);
  sp_free(v->types);
  sp_free(v->widths);
  free_rows(v->rows, v->nrows);
  free_rows(v->prev, v->nprev);
  mat_table_free(v->table);
  pthread_mutex_destroy(&v->mu);
  sp_free(v);
}

int sql_table_view_open(const char *const *names, const char *const *types, int ncols,
                        int max_width, int64_t max_rows, void (*cancel)(void *arg),
                        void *cancel_arg, sql_table_view **out) {
  if (ncols < 1) return SPATE_EINVAL;
  sql_table_view *v = sp_calloc(1, sizeof *v);
  if (!v) return SPATE_ENOMEM;
  pthread_mutex_init(&v->mu, NULL);
  v->cancel = cancel;
  v->cancel_arg = cancel_arg;
  v->ncols = ncols - 1; /* the op column is applied, not shown */
  v->names = sp_calloc((size_t)ncols, sizeof *v->names);
  v->types = sp_calloc((size_t)ncols, sizeof *v->types);
  v->widths = sp_calloc((size_t)ncols, sizeof *v->widths);
  v->table = mat_table_new(v->ncols, max_rows);
  int rc = v->names && v->types && v->widths && v->table ? 0 : SPATE_ENOMEM;
  for (int c = 0; !rc && c < v->ncols; c++) {
    v->names[c] = sp_strdup(names[c + 1]);
    v->types[c] = sp_strdup(types[c + 1]);
    if (!v->names[c] || !v->types[c])
      rc = SPATE_ENOMEM;
    else
      v->widths[c] = tableau_width_by_type(names[c + 1], types[c + 1], max_width);
  }
  v->retrieving = true;
  v->interval = DEFAULT_INTERVAL;
  v->page = LAST_PAGE;
  v->page_count = 1;
  v->selected = NO_ROW;
  if (!rc && ts_enter(&v->term, STDIN_FILENO, STDOUT_FILENO) < 0) rc = SPATE_EIO;
  if (!rc && pthread_create(&v->thread, NULL, run, v) != 0) {
    ts_leave(&v->term);
    rc = SPATE_ENOMEM;
  }
  if (rc) {
    view_free(v);
    return rc;
  }
  *out = v;
  return 0;
}

void sql_table_view_close(sql_table_view *v, bool wait) {
  if (!v) return;
  pthread_mutex_lock(&v->mu);
  v->ended = true;
  v->abort = !wait;
  pthread_mutex_unlock(&v->mu);
  pthread_join(v->thread, NULL);
  view_free(v);
}
