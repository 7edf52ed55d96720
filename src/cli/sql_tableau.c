/*
 * sql_tableau.c: the tableau drawing of SQL results (sql_tableau.h).
 *
 * East Asian width comes from the C library's wcwidth under the C.UTF-8 locale, whose tables
 * glibc builds from Unicode's EastAsianWidth.txt: width 2 is exactly the Wide and Fullwidth
 * classes that Flink asks ICU about. The locale is set for the calling thread only, for the
 * length of one call, so the process's own locale stays what it was.
 */
#define _GNU_SOURCE
#include "cli/sql_tableau.h"

#include <locale.h>
#include <string.h>
#include <wchar.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/utf8.h"

static const char TRUNCATED[] = "...";

static locale_t utf8_locale(void) {
  static locale_t loc; /* made once; a process has one C.UTF-8 */
  if (!loc) loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  return loc;
}

/* The columns code point cp takes as Flink counts them: its UTF-16 units, plus one if wide. */
static int cp_width(uint32_t cp) {
  int units = cp > 0xFFFF ? 2 : 1;
  return units + (cp >= 0x1100 && wcwidth((wchar_t)cp) == 2);
}

/* Runs with the thread's LC_CTYPE switched to C.UTF-8, so that wcwidth knows Unicode. */
#define WITH_UTF8(body)                                   \
  do {                                                    \
    locale_t loc_ = utf8_locale();                        \
    locale_t old_ = loc_ ? uselocale(loc_) : (locale_t)0; \
    body;                                                 \
    if (loc_) uselocale(old_);                            \
  } while (0)

static int width_of(const char *s) {
  const uint8_t *p = (const uint8_t *)s;
  size_t n = strlen(s), i = 0;
  int w = 0;
  while (i < n) {
    uint32_t cp;
    w += sp_utf8_next(p, n, &i, &cp) ? cp_width(cp) : 1;
  }
  return w;
}

int tableau_display_width(const char *s) {
  int w = 0;
  WITH_UTF8(w = width_of(s));
  return w;
}

void tableau_widths_by_content(const char *const *names, int ncols, const char *const *const *rows,
                               int64_t nrows, int max_width, int *widths) {
  WITH_UTF8({
    for (int c = 0; c < ncols; c++) widths[c] = width_of(names[c]);
    for (int64_t r = 0; r < nrows; r++)
      for (int c = 0; c < ncols; c++) {
        int w = width_of(rows[r][c] ? rows[r][c] : TABLEAU_NULL);
        if (w > widths[c]) widths[c] = w;
      }
  });
  for (int c = 0; c < ncols; c++)
    if (widths[c] > max_width) widths[c] = max_width;
}

void tableau_border(FILE *out, const int *widths, int ncols) {
  fputc('+', out);
  for (int c = 0; c < ncols; c++) {
    for (int k = 0; k < widths[c] + 2; k++) fputc('-', out);
    fputc('+', out);
  }
  fputc('\n', out);
}

static void pad(FILE *out, int n) {
  for (; n > 0; n--) fputc(' ', out);
}

/* Writes the longest prefix of s that fits in target columns, padded on the left to target, as
 * Flink's truncateString (which stops at the first character that passes the width). */
static void put_truncated(FILE *out, const char *s, int target) {
  const uint8_t *p = (const uint8_t *)s;
  size_t n = strlen(s), i = 0, cut = 0;
  int used = 0;
  while (i < n) {
    uint32_t cp;
    int w = sp_utf8_next(p, n, &i, &cp) ? cp_width(cp) : 1;
    if (used + w > target) break;
    used += w;
    cut = i;
  }
  pad(out, target - used);
  fwrite(s, 1, cut, out);
}

void tableau_row(FILE *out, const int *widths, int ncols, const char *const *cells) {
  WITH_UTF8({
    fputc('|', out);
    for (int c = 0; c < ncols; c++) {
      const char *s = cells[c] ? cells[c] : TABLEAU_NULL;
      fputc(' ', out);
      int w = width_of(s);
      if (w <= widths[c]) {
        pad(out, widths[c] - w);
        fputs(s, out);
      } else {
        put_truncated(out, s, widths[c] - (int)strlen(TRUNCATED));
        fputs(TRUNCATED, out);
      }
      fputs(" |", out);
    }
    fputc('\n', out);
  });
}

int tableau_print(FILE *out, const char *const *names, int ncols, const char *const *const *rows,
                  int64_t nrows, int max_width) {
  if (nrows == 0) {
    fputs("Empty set\n", out);
    return 0;
  }
  int *widths = sp_malloc(sizeof *widths * (size_t)(ncols ? ncols : 1));
  if (!widths) return SPATE_ENOMEM;
  tableau_widths_by_content(names, ncols, rows, nrows, max_width, widths);
  tableau_border(out, widths, ncols);
  tableau_row(out, widths, ncols, names);
  tableau_border(out, widths, ncols);
  for (int64_t r = 0; r < nrows; r++) tableau_row(out, widths, ncols, rows[r]);
  tableau_border(out, widths, ncols);
  fprintf(out, "%lld %s in set\n", (long long)nrows, nrows > 1 ? "rows" : "row");
  sp_free(widths);
  return 0;
}

/* The display width of a column of this type (Flink's PrintUtils.columnWidthsByType): the widest
 * value of the type, the name, or "<NULL>", at most max_width. */
int tableau_width_by_type(const char *name, const char *type, int max_width) {
  int w = max_width, p = 0, sc = 0;
  if (strncmp(type, "BOOLEAN", 7) == 0)
    w = 5;
  else if (strncmp(type, "TINYINT", 7) == 0)
    w = 4;
  else if (strncmp(type, "SMALLINT", 8) == 0)
    w = 6;
  else if (strncmp(type, "INT", 3) == 0 && (type[3] == 0 || type[3] == ' '))
    w = 11;
  else if (strncmp(type, "BIGINT", 6) == 0)
    w = 20;
  else if (strncmp(type, "DATE", 4) == 0)
    w = 10;
  else if (sscanf(type, "DECIMAL(%d, %d)", &p, &sc) == 2)
    w = p + 2;
  else if (sscanf(type, "TIME(%d)", &p) == 1)
    w = 8 + (p > 0 ? p + 1 : 0);
  else if (sscanf(type, "TIMESTAMP(%d)", &p) == 1 || sscanf(type, "TIMESTAMP_LTZ(%d)", &p) == 1)
    w = 19 + (p > 0 ? p + 1 : 0);
  if (strcmp(name, "op") == 0 && strcmp(type, "STRING NOT NULL") == 0) w = 2;
  int n = tableau_display_width(name);
  if (n > w) w = n;
  if (w < (int)strlen(TABLEAU_NULL) && strcmp(name, "op") != 0) w = (int)strlen(TABLEAU_NULL);
  return w > max_width ? max_width : w;
}
