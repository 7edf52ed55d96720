/*
 * term_screen.c: full-screen drawing and key reading with ANSI escapes (term_screen.h).
 *
 * A screen is drawn in one write: cursor home, every line followed by "erase to end of line",
 * the last line without a newline so that the screen never scrolls. Lines are cut to the
 * terminal's width, so none wraps. Widths of characters are the ones the tableau drawing uses
 * (sql_tableau.h), so the columns line up as in Flink's client.
 */
#include "cli/term_screen.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "cli/sql_tableau.h"

#define PLAIN_WIDTH 80 /* Flink's CliView for a terminal that tells no size */
#define PLAIN_HEIGHT 30
#define ESC_TIMEOUT_MS 200

/* ---- lines ------------------------------------------------------------------------------ */

ts_line *ts_lines_add(ts_lines *ls) {
  if (ls->n == ls->cap) {
    int cap = ls->cap ? ls->cap * 2 : 16;
    ts_line *l = sp_realloc(ls->l, sizeof *l * (size_t)cap);
    if (!l) return NULL;
    ls->l = l;
    ls->cap = cap;
  }
  ts_line *l = &ls->l[ls->n++];
  memset(l, 0, sizeof *l);
  return l;
}

void ts_lines_free(ts_lines *ls) {
  for (int i = 0; i < ls->n; i++) sp_free(ls->l[i].g);
  sp_free(ls->l);
  memset(ls, 0, sizeof *ls);
}

static void push(ts_line *l, const char *b, int nb, int w, int attr) {
  if (!l) return;
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 64;
    ts_glyph *g = sp_realloc(l->g, sizeof *g * (size_t)cap);
    if (!g) return;
    l->g = g;
    l->cap = cap;
  }
  ts_glyph *g = &l->g[l->n++];
  memcpy(g->b, b, (size_t)nb);
  g->nb = (uint8_t)nb;
  g->w = (uint8_t)w;
  g->attr = (uint8_t)attr;
  l->width += w;
}

/* The glyphs of s: its code points with their widths; a control character or an ill-formed byte
 * shows as '?' (it must not move the cursor). */
typedef void (*glyph_fn)(void *arg, const char *b, int nb, int w);

static void each_glyph(const char *s, glyph_fn fn, void *arg) {
  const uint8_t *p = (const uint8_t *)s;
  size_t n = strlen(s), i = 0;
  while (i < n) {
    size_t at = i;
    uint32_t cp;
    bool ok = sp_utf8_next(p, n, &i, &cp);
    if (!ok || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
      fn(arg, "?", 1, 1);
    } else if (cp < 0x80) {
      fn(arg, (const char *)p + at, 1, 1);
    } else {
      char one[5] = {0};
      memcpy(one, p + at, i - at);
      int w = tableau_display_width(one);
      fn(arg, one, (int)(i - at), w > 0 ? w : 1);
    }
  }
}

typedef struct put_ctx {
  ts_line *l;
  int attr;
  int limit; /* columns left; glyphs past it are dropped (negative: no limit) */
} put_ctx;

static void put_glyph(void *arg, const char *b, int nb, int w) {
  put_ctx *c = arg;
  if (c->limit >= 0) {
    if (w > c->limit) {
      c->limit = 0;
      return;
    }
    c->limit -= w;
  }
  push(c->l, b, nb, w, c->attr);
}

static void add_width(void *arg, const char *b, int nb, int w) {
  (void)b;
  (void)nb;
  *(int *)arg += w;
}

void ts_put(ts_line *l, const char *s, int attr) {
  put_ctx c = {l, attr, -1};
  each_glyph(s, put_glyph, &c);
}

void ts_repeat(ts_line *l, char c, int n, int attr) {
  for (int i = 0; i < n; i++) push(l, &c, 1, 1, attr);
}

void ts_put_column(ts_line *l, const char *s, int width, int attr) {
  int w = 0;
  each_glyph(s, add_width, &w);
  if (w <= width) {
    ts_repeat(l, ' ', width - w, attr);
    ts_put(l, s, attr);
    return;
  }
  put_ctx c = {l, attr, width - 1};
  each_glyph(s, put_glyph, &c);
  ts_repeat(l, ' ', c.limit, attr); /* a wide character that did not fit leaves a gap */
  ts_repeat(l, '~', 1, attr);
}

/* ---- the terminal ----------------------------------------------------------------------- */

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return; /* the terminal is gone: nothing to draw on */
    p += k;
    n -= (size_t)k;
  }
}

int ts_enter(ts_term *t, int in, int out) {
  memset(t, 0, sizeof *t);
  t->in = in;
  t->out = out;
  if (tcgetattr(in, &t->saved) < 0) return -1;
  struct termios raw = t->saved;
  raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | IEXTEN | ISIG);
  raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  if (tcsetattr(in, TCSANOW, &raw) < 0) return -1;
  t->raw = true;
  /* the alternate screen, cursor keys in application mode, the cursor hidden */
  static const char on[] = "\033[?1049h\033[?1h\033=\033[?25l";
  write_all(out, on, sizeof on - 1);
  ts_update_size(t);
  return 0;
}

void ts_leave(ts_term *t) {
  if (!t->raw) return;
  static const char off[] = "\033[0m\033[?1049l\033[?1l\033>\033[?25h";
  write_all(t->out, off, sizeof off - 1);
  tcsetattr(t->in, TCSANOW, &t->saved);
  t->raw = false;
}

bool ts_update_size(ts_term *t) {
  struct winsize ws;
  int w = PLAIN_WIDTH, h = PLAIN_HEIGHT;
  if (ioctl(t->out, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
    w = ws.ws_col;
    h = ws.ws_row;
  }
  bool changed = w != t->width || h != t->height;
  t->width = w;
  t->height = h;
  return changed;
}

/* Reads what the terminal has into pending, waiting at most timeout_ms for the first byte.
 * Returns false when the terminal is gone. */
static bool fill(ts_term *t, int timeout_ms) {
  struct pollfd p = {.fd = t->in, .events = POLLIN};
  int r = poll(&p, 1, timeout_ms);
  if (r < 0) return errno == EINTR;
  if (r == 0) return true;
  ssize_t k = read(t->in, t->pending + t->npending, sizeof t->pending - (size_t)t->npending);
  if (k < 0) return errno == EINTR || errno == EAGAIN;
  if (k == 0) return false;
  t->npending += (int)k;
  return true;
}

static void take(ts_term *t, int n) {
  memmove(t->pending, t->pending + n, (size_t)(t->npending - n));
  t->npending -= n;
}

/* An escape sequence at pending[0] (ESC): the key, and how many bytes it took. */
static int decode_escape(const ts_term *t, int *used) {
  const unsigned char *p = t->pending;
  int n = t->npending;
  *used = 1;
  if (n < 2 || (p[1] != '[' && p[1] != 'O')) return TS_KEY_ESC;
  int end = 2; /* the final byte: the first in 0x40..0x7E after the parameters */
  while (end < n && !(p[end] >= 0x40 && p[end] <= 0x7E)) end++;
  if (end >= n) {
    *used = n; /* incomplete: dropped */
    return TS_KEY_NONE;
  }
  *used = end + 1;
  char f = (char)p[end];
  if (end == 2) {
    switch (f) {
    case 'A': return TS_KEY_UP;
    case 'B': return TS_KEY_DOWN;
    case 'C': return TS_KEY_RIGHT;
    case 'D': return TS_KEY_LEFT;
    case 'F': return TS_KEY_END;
    default: return TS_KEY_NONE;
    }
  }
  if (f == '~') {
    int num = 0;
    for (int i = 2; i < end && p[i] >= '0' && p[i] <= '9'; i++) num = num * 10 + (p[i] - '0');
    if (num == 4 || num == 8) return TS_KEY_END;
    if (num == 15) return TS_KEY_F5;
  }
  return TS_KEY_NONE;
}

int ts_read_key(ts_term *t, int timeout_ms) {
  for (;;) {
    if (t->npending == 0) {
      if (!fill(t, timeout_ms)) return TS_KEY_EOF;
      if (t->npending == 0) return TS_KEY_NONE;
    }
    if (t->pending[0] != 0x1B) {
      int k = t->pending[0];
      take(t, 1);
      return k;
    }
    /* an escape: the rest of its sequence may still be on its way */
    if (t->npending == 1 && !fill(t, ESC_TIMEOUT_MS)) return TS_KEY_EOF;
    int used, k = decode_escape(t, &used);
    take(t, used);
    if (k != TS_KEY_NONE) return k;
    timeout_ms = 0; /* an unknown sequence: whatever else is there */
  }
}

/* ---- drawing ---------------------------------------------------------------------------- */

static void sgr(sp_strbuf *sb, int attr) {
  sp_strbuf_add(sb, "\033[0m");
  if (attr & TS_BOLD) sp_strbuf_add(sb, "\033[1m");
  if (attr & TS_UNDERLINE) sp_strbuf_add(sb, "\033[4m");
  if (attr & TS_INVERSE) sp_strbuf_add(sb, "\033[7m");
}

/* The columns [from, from + width) of line l. */
static void emit(sp_strbuf *sb, const ts_line *l, int from, int width) {
  int col = 0, attr = 0;
  for (int i = 0; l && i < l->n && col < from + width; i++) {
    const ts_glyph *g = &l->g[i];
    int start = col;
    col += g->w;
    if (col <= from) continue;
    if (g->attr != attr) {
      attr = g->attr;
      sgr(sb, attr);
    }
    if (start < from || col > from + width) { /* a wide glyph cut by an edge */
      int n = (col > from + width ? from + width : col) - (start < from ? from : start);
      for (int k = 0; k < n; k++) sp_strbuf_append(sb, " ", 1);
    } else {
      sp_strbuf_append(sb, g->b, g->nb);
    }
  }
  sp_strbuf_add(sb, "\033[0m\033[K");
}

int ts_main_height(const ts_term *t, int nheader, int nmain_header, int nfooter) {
  int h = t->height - 1 - nheader - nmain_header - nfooter;
  return h > 1 ? h : 1;
}

void ts_draw(ts_term *t, const char *title, const ts_lines *header, const ts_lines *main_header,
             const ts_lines *main, const ts_lines *footer, int *offset_x, int *offset_y) {
  int visible = ts_main_height(t, header->n, main_header->n, footer->n);
  if (visible >= main->n)
    *offset_y = 0;
  else if (*offset_y > main->n - visible)
    *offset_y = main->n - visible;
  if (*offset_y < 0) *offset_y = 0;
  int total = 0;
  for (int i = 0; i < main_header->n; i++)
    if (main_header->l[i].width > total) total = main_header->l[i].width;
  for (int i = 0; i < main->n; i++)
    if (main->l[i].width > total) total = main->l[i].width;
  if (t->width >= total)
    *offset_x = 0;
  else if (*offset_x > total - t->width)
    *offset_x = total - t->width;
  if (*offset_x < 0) *offset_x = 0;

  ts_lines top = {0};
  ts_line *tl = ts_lines_add(&top);
  int tw = 0;
  each_glyph(title, add_width, &tw);
  int margin = (t->width - tw) / 2;
  if (margin < 0) margin = 0;
  ts_repeat(tl, ' ', margin, TS_INVERSE);
  ts_put(tl, title, TS_INVERSE);
  ts_repeat(tl, ' ', t->width - margin - tw, TS_INVERSE);

  sp_strbuf sb = {0};
  sp_strbuf_add(&sb, "\033[H");
  int rows = 0;
#define LINE(l, from)                               \
  do {                                              \
    if (rows > 0) sp_strbuf_append(&sb, "\r\n", 2); \
    emit(&sb, (l), (from), t->width);               \
    rows++;                                         \
  } while (0)
  LINE(top.n ? &top.l[0] : NULL, 0);
  for (int i = 0; i < header->n; i++) LINE(&header->l[i], 0);
  for (int i = 0; i < main_header->n; i++) LINE(&main_header->l[i], *offset_x);
  int shown = 0;
  for (int i = *offset_y; i < main->n && shown < visible; i++, shown++)
    LINE(&main->l[i], *offset_x);
  while (rows < t->height - footer->n) LINE(NULL, 0);
  for (int i = 0; i < footer->n; i++) LINE(&footer->l[i], 0);
#undef LINE
  if (sb.data) write_all(t->out, sb.data, sb.len);
  sp_strbuf_free(&sb);
  ts_lines_free(&top);
}
