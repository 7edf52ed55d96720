/*
 * term_screen.h: full-screen drawing and key reading on a terminal with plain ANSI escapes, for
 * the SQL client's views (sql_table_view.c), laid out as Flink's CliView frames them: a title
 * line, header lines, a main part (its own header lines, then lines scrolled vertically and
 * sideways) and footer lines at the bottom.
 *
 * A line is a list of glyphs (one code point each, with its display width and attributes), so
 * that a line can be cut at any column. The terminal is used through escapes every terminal
 * emulator of today knows (xterm's: the alternate screen, cursor keys in application mode,
 * SGR bold/underline/inverse), so no terminfo library is needed.
 */
#ifndef SPATE_CLI_TERM_SCREEN_H
#define SPATE_CLI_TERM_SCREEN_H
#include <stdbool.h>
#include <stdint.h>
#include <termios.h>

enum { TS_BOLD = 1, TS_UNDERLINE = 2, TS_INVERSE = 4 };

typedef struct ts_glyph {
  char b[4];
  uint8_t nb, w, attr;
} ts_glyph;

typedef struct ts_line {
  ts_glyph *g;
  int n, cap;
  int width; /* sum of the glyphs' widths */
} ts_line;

/* A list of lines (one part of a screen). Appending never fails visibly: out of memory, the
 * screen only shows less. */
typedef struct ts_lines {
  ts_line *l;
  int n, cap;
} ts_lines;

ts_line *ts_lines_add(ts_lines *ls); /* a new empty line at the end, or NULL */
void ts_lines_free(ts_lines *ls);
/* Appends the UTF-8 string s with attributes attr. */
void ts_put(ts_line *l, const char *s, int attr);
/* Appends n copies of the ASCII character c. */
void ts_repeat(ts_line *l, char c, int n, int attr);
/* Appends s padded on the left to exactly width columns, or cut to width - 1 columns and '~'
 * when wider (Flink's CliUtils.normalizeColumn). */
void ts_put_column(ts_line *l, const char *s, int width, int attr);

/* The terminal: its input and output descriptors, its modes before raw mode, its size. */
typedef struct ts_term {
  int in, out;
  struct termios saved;
  bool raw;
  int width, height;
  unsigned char pending[64]; /* bytes read but not yet taken as keys */
  int npending;
} ts_term;

/* Raw mode (no echo, no line editing, no signals from keys: Ctrl-C arrives as a key) and the
 * alternate screen with the cursor hidden. Returns 0, or -1 if in is no terminal. */
int ts_enter(ts_term *t, int in, int out);
/* Back to the modes and the screen as they were. */
void ts_leave(ts_term *t);
/* Reads the terminal's size (80x30 when it tells none, as Flink's plain terminal); returns true
 * when it changed. */
bool ts_update_size(ts_term *t);

/* Keys beyond bytes: */
enum {
  TS_KEY_NONE = -1, /* nothing came within the time */
  TS_KEY_EOF = -2,  /* the terminal is gone */
  TS_KEY_UP = 256,
  TS_KEY_DOWN,
  TS_KEY_LEFT,
  TS_KEY_RIGHT,
  TS_KEY_END,
  TS_KEY_F5,
  TS_KEY_ESC, /* Escape alone (nothing followed within 200 ms, as Flink's ambiguous timeout) */
};
/* The next key, waiting at most timeout_ms (0: only what is there). A byte is its own key. */
int ts_read_key(ts_term *t, int timeout_ms);

/* Draws a whole screen: title (centred, inverse), header lines, the main header lines and the
 * main lines from *offset_y, both from column *offset_x, empty lines, then the footer lines at
 * the bottom. The offsets are bounded to what there is to show. Returns the number of main lines
 * that fit (at least 1). */
int ts_main_height(const ts_term *t, int nheader, int nmain_header, int nfooter);
void ts_draw(ts_term *t, const char *title, const ts_lines *header, const ts_lines *main_header,
             const ts_lines *main, const ts_lines *footer, int *offset_x, int *offset_y);

#endif
