/*
 * sql_script.c: the script splitter (see sql_script.h). One pass with a small state machine
 * (code, string, quoted identifier, line comment, block comment) that also tracks lines and
 * columns as the lexer counts them, and the words of the statement so far, to recognise
 * EXECUTE STATEMENT SET BEGIN ... END.
 */
#include "sql/sql_script.h"

#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/err.h"

typedef struct splitter {
  sql_script_stmt *v;
  int n, cap;
} splitter;

static int emit(splitter *s, sql_script_stmt st) {
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 8;
    sql_script_stmt *v = sp_realloc(s->v, (size_t)cap * sizeof *v);
    if (!v) return SPATE_ENOMEM;
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = st;
  return 0;
}

static int is_word_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c >= 0x80;
}

int sql_split_script(const char *src, size_t len, sql_script_stmt **out, int *n) {
  splitter s = {0};
  *out = NULL;
  *n = 0;
  int line = 1, col = 1;
  int in_stmt = 0; /* a statement's first significant byte was seen */
  sql_script_stmt cur = {0};
  /* The first four words (to see EXECUTE STATEMENT SET BEGIN) and the last word. */
  int words = 0, set_block = 0;
  int last_is_end = 0;
  static const char *const lead[] = {"EXECUTE", "STATEMENT", "SET", "BEGIN"};
  size_t i = 0;
  while (i < len) {
    unsigned char c = (unsigned char)src[i];
    size_t start = i;
    int sline = line, scol = col;
    size_t next = i + 1; /* the byte after this token */
    if (c == '-' && i + 1 < len && src[i + 1] == '-') {
      while (next < len && src[next] != '\n') next++;
    } else if (c == '/' && i + 1 < len && src[i + 1] == '*') {
      next = i + 2;
      while (next < len && !(src[next] == '*' && next + 1 < len && src[next + 1] == '/')) next++;
      next = next < len ? next + 2 : len;
    } else if (c == '\'' || c == '`') {
      while (next < len) {
        if ((unsigned char)src[next] == c) {
          if (next + 1 < len && (unsigned char)src[next + 1] == c) {
            next += 2;
            continue;
          }
          next++;
          break;
        }
        next++;
      }
      if (!in_stmt) {
        in_stmt = 1;
        cur = (sql_script_stmt){.off = start, .line = sline, .col = scol};
      }
      last_is_end = 0;
      words = 4; /* not a statement set's lead any more */
    } else if (c == ';') {
      if (in_stmt && (!set_block || last_is_end)) {
        cur.len = start - cur.off;
        cur.terminated = 1;
        if (emit(&s, cur)) goto oom;
        in_stmt = 0;
        words = set_block = last_is_end = 0;
      } else if (in_stmt) {
        last_is_end = 0;
      }
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      /* whitespace */
    } else {
      if (!in_stmt) {
        in_stmt = 1;
        cur = (sql_script_stmt){.off = start, .line = sline, .col = scol};
      }
      if (is_word_char(c)) {
        while (next < len && is_word_char((unsigned char)src[next])) next++;
        size_t wl = next - start;
        if (words < 4) {
          if (wl == strlen(lead[words]) && strncasecmp(src + start, lead[words], wl) == 0) {
            words++;
            if (words == 4) set_block = 1;
          } else {
            words = 4;
          }
        }
        last_is_end = wl == 3 && strncasecmp(src + start, "END", 3) == 0;
      } else {
        if (words < 4) words = 4;
        last_is_end = 0;
      }
    }
    /* Advance the position over [i, next), counting characters as the lexer does. */
    for (size_t k = i; k < next && k < len; k++) {
      unsigned char b = (unsigned char)src[k];
      if (b == '\n') {
        line++;
        col = 1;
      } else if (b < 0x80 || b >= 0xC0) {
        col++;
      }
    }
    i = next < len ? next : len;
  }
  if (in_stmt) {
    cur.len = len - cur.off;
    cur.terminated = 0;
    if (emit(&s, cur)) goto oom;
  }
  *out = s.v;
  *n = s.n;
  return 0;
oom:
  sp_free(s.v);
  return SPATE_ENOMEM;
}
