/*
 * sql_lexer.c: Flink SQL's lexer (see sql_lexer.h). One pass over the text tracks line and
 * column the way Calcite counts them; tokens go into a growing array in the arena.
 *
 * Errors name the position where the bad token starts: an unterminated string, quoted
 * identifier or comment is reported at its opening quote or slash (the text since then follows
 * "after :" as in JavaCC's TokenMgrError), an unknown character at itself.
 */
#include "sql/sql_lexer.h"

#include <stdio.h>
#include <string.h>

#include "base/err.h"

typedef struct lexer {
  sql_arena *arena;
  const char *s;
  size_t n, i;
  int line, col;
  int last_line, last_col; /* position of the last character read: where EOF is reported */
  sql_token *v;
  int count, cap;
  char *err;
  size_t errcap;
} lexer;

static const char *const op_texts[SQL_OP_COUNT] = {
    "",  "=", "<>", "!=", "<", "<=", ">", ">=", "+", "-", "*",
    "/", "%", "||", ".",  ",", "(",  ")", "[",  "]", ";", "=>",
};

const char *sql_op_text(sql_op op) { return op > 0 && op < SQL_OP_COUNT ? op_texts[op] : ""; }

/* Advances over one character (a whole UTF-8 sequence counts as one column). */
static void step(lexer *L) {
  unsigned char c = (unsigned char)L->s[L->i];
  L->last_line = L->line;
  L->last_col = L->col;
  L->i++;
  if (c == '\n') {
    L->line++;
    L->col = 1;
    return;
  }
  if (c >= 0xC0)
    while (L->i < L->n && ((unsigned char)L->s[L->i] & 0xC0) == 0x80) L->i++;
  L->col++;
}

static int peek(const lexer *L, size_t k) {
  return L->i + k < L->n ? (unsigned char)L->s[L->i + k] : -1;
}

void sql_escape_image(const char *s, size_t n, char *out, size_t cap) {
  size_t o = 0;
  if (cap == 0) return;
  for (size_t i = 0; i < n && o + 8 < cap; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    switch (c) {
    case '\b': esc = "\\b"; break;
    case '\t': esc = "\\t"; break;
    case '\n': esc = "\\n"; break;
    case '\f': esc = "\\f"; break;
    case '\r': esc = "\\r"; break;
    case '"': esc = "\\\""; break;
    case '\'': esc = "\\'"; break;
    case '\\': esc = "\\\\"; break;
    default: break;
    }
    if (esc) {
      size_t k = strlen(esc);
      memcpy(out + o, esc, k);
      o += k;
    } else if (c < 0x20 || c == 0x7f) {
      o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
    } else {
      out[o++] = (char)c;
    }
  }
  out[o] = 0;
}

static int lex_error_after(lexer *L, int line, int col, const char *what, size_t from) {
  char image[160];
  size_t k = L->i - from;
  if (k > 100) k = 100;
  sql_escape_image(L->s + from, k, image, sizeof image);
  return sp_err(L->err, L->errcap, SPATE_EINVAL,
                "Lexical error at line %d, column %d.  Encountered: %s after : \"%s\"", line, col,
                what, image);
}

static sql_token *push(lexer *L, sql_tok_kind kind, int line, int col, size_t off) {
  if (L->count == L->cap) {
    int cap = L->cap ? L->cap * 2 : 64;
    sql_token *v = sql_arena_alloc(L->arena, (size_t)cap * sizeof *v);
    if (!v) return NULL;
    if (L->count) memcpy(v, L->v, (size_t)L->count * sizeof *v);
    L->v = v;
    L->cap = cap;
  }
  sql_token *t = &L->v[L->count++];
  memset(t, 0, sizeof *t);
  t->kind = kind;
  t->line = line;
  t->col = col;
  t->off = off;
  return t;
}

static int oom(lexer *L) { return sp_err(L->err, L->errcap, SPATE_ENOMEM, "out of memory"); }

/* Skips whitespace and comments. Returns 0 or an error for an unterminated comment. */
static int skip_space(lexer *L) {
  for (;;) {
    int c = peek(L, 0);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      step(L);
    } else if (c == '-' && peek(L, 1) == '-') {
      while (L->i < L->n && L->s[L->i] != '\n') step(L);
    } else if (c == '/' && peek(L, 1) == '*') {
      int line = L->line, col = L->col;
      size_t from = L->i;
      step(L);
      step(L);
      for (;;) {
        if (L->i >= L->n) return lex_error_after(L, line, col, "<EOF>", from);
        if (peek(L, 0) == '*' && peek(L, 1) == '/') {
          step(L);
          step(L);
          break;
        }
        step(L);
      }
    } else {
      return 0;
    }
  }
}

/* Reads a quoted run starting at the opening quote q; a doubled quote stands for one. Appends
 * the value to buf (arena memory grown as needed). */
static int read_quoted(lexer *L, char q, char **buf, size_t *len, size_t *cap) {
  int line = L->line, col = L->col;
  size_t from = L->i;
  step(L);
  for (;;) {
    if (L->i >= L->n) return lex_error_after(L, line, col, "<EOF>", from);
    char c = L->s[L->i];
    if (c == q) {
      if (peek(L, 1) == q) {
        step(L);
      } else {
        step(L);
        return 0;
      }
    }
    if (*len + 2 > *cap) {
      size_t ncap = *cap ? *cap * 2 : 32;
      char *nb = sql_arena_alloc(L->arena, ncap);
      if (!nb) return oom(L);
      if (*len) memcpy(nb, *buf, *len);
      *buf = nb;
      *cap = ncap;
    }
    (*buf)[(*len)++] = c;
    (*buf)[*len] = 0;
    L->i++; /* the byte itself; columns advance once per character below */
    if ((unsigned char)c < 0x80 || (unsigned char)c >= 0xC0) {
      L->last_line = L->line;
      L->last_col = L->col;
      if (c == '\n') {
        L->line++;
        L->col = 1;
      } else {
        L->col++;
      }
    }
  }
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Appends code point cp as UTF-8. */
static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | cp >> 6);
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | cp >> 12);
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | cp >> 18);
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Decodes U&'...' escapes with the default escape character, the backslash: \XXXX, \+XXXXXX
 * and \\ (UESCAPE is not supported). */
static int decode_unicode(lexer *L, sql_token *t) {
  const char *s = t->text;
  size_t n = t->text_len;
  char *o = sql_arena_alloc(L->arena, n * 2 + 1);
  if (!o) return oom(L);
  size_t k = 0;
  for (size_t i = 0; i < n;) {
    if (s[i] != '\\') {
      o[k++] = s[i++];
      continue;
    }
    if (i + 1 < n && s[i + 1] == '\\') {
      o[k++] = '\\';
      i += 2;
      continue;
    }
    int digits = (i + 1 < n && s[i + 1] == '+') ? 6 : 4;
    size_t start = i + (digits == 6 ? 2 : 1);
    unsigned cp = 0;
    for (int d = 0; d < digits; d++) {
      int h = start + (size_t)d < n ? hexval((unsigned char)s[start + (size_t)d]) : -1;
      if (h < 0)
        return sp_err(L->err, L->errcap, SPATE_EINVAL,
                      "Unicode escape sequence at line %d, column %d: \\ must be followed by "
                      "4 hexadecimal digits, + and 6 hexadecimal digits, or \\",
                      t->line, t->col);
      cp = cp << 4 | (unsigned)h;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return sp_err(L->err, L->errcap, SPATE_EINVAL,
                    "Unicode escape sequence at line %d, column %d: not a valid code point",
                    t->line, t->col);
    k += put_utf8(o + k, cp);
    i = start + (size_t)digits;
  }
  o[k] = 0;
  t->text = o;
  t->text_len = k;
  return 0;
}

static int is_word_start(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
static int is_word_char(int c) { return is_word_start(c) || (c >= '0' && c <= '9') || c == '$'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* A string literal at the quote (or at U& when unicode); adjacent parts concatenate. */
static int lex_string(lexer *L, int unicode) {
  int line = L->line, col = L->col;
  size_t off = L->i;
  if (unicode) {
    step(L);
    step(L);
  }
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int rc = read_quoted(L, '\'', &buf, &len, &cap);
  if (rc) return rc;
  size_t end = L->i;
  int end_line = L->line, end_col = L->col, last_line = L->last_line, last_col = L->last_col;
  /* Calcite joins 'a' 'b' into one literal; only whitespace and comments may separate them. */
  for (;;) {
    rc = skip_space(L);
    if (rc) return rc;
    if (peek(L, 0) != '\'') break;
    rc = read_quoted(L, '\'', &buf, &len, &cap);
    if (rc) return rc;
    end = L->i;
    end_line = L->line;
    end_col = L->col;
    last_line = L->last_line;
    last_col = L->last_col;
  }
  /* Rewind to just after the last part: what follows is lexed from there. */
  L->i = end;
  L->line = end_line;
  L->col = end_col;
  L->last_line = last_line;
  L->last_col = last_col;
  sql_token *t = push(L, SQL_TK_STRING, line, col, off);
  if (!t) return oom(L);
  t->len = end - off;
  t->text = buf ? buf : "";
  t->text_len = len;
  t->unicode = unicode;
  if (unicode) return decode_unicode(L, t);
  return 0;
}

static int lex_binary(lexer *L) {
  int line = L->line, col = L->col;
  size_t off = L->i;
  step(L); /* X */
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int rc = read_quoted(L, '\'', &buf, &len, &cap);
  if (rc) return rc;
  for (size_t i = 0; i < len; i++) {
    if (hexval((unsigned char)buf[i]) < 0)
      return sp_err(L->err, L->errcap, SPATE_EINVAL,
                    "Binary literal string must contain only characters '0' - '9', 'A' - 'F' "
                    "(at line %d, column %d)",
                    line, col);
    if (buf[i] >= 'a') buf[i] = (char)(buf[i] - 'a' + 'A');
  }
  if (len % 2)
    return sp_err(L->err, L->errcap, SPATE_EINVAL,
                  "Binary literal string must contain an even number of hexits (at line %d, "
                  "column %d)",
                  line, col);
  sql_token *t = push(L, SQL_TK_BINARY, line, col, off);
  if (!t) return oom(L);
  t->len = L->i - off;
  t->text = buf ? buf : "";
  t->text_len = len;
  return 0;
}

static int lex_number(lexer *L) {
  int line = L->line, col = L->col;
  size_t off = L->i;
  sql_tok_kind kind = SQL_TK_INTEGER;
  while (is_digit(peek(L, 0))) step(L);
  if (peek(L, 0) == '.') {
    kind = SQL_TK_DECIMAL;
    step(L);
    while (is_digit(peek(L, 0))) step(L);
  }
  int c = peek(L, 0);
  if (c == 'e' || c == 'E') {
    int k = 1;
    if (peek(L, 1) == '+' || peek(L, 1) == '-') k = 2;
    if (is_digit(peek(L, (size_t)k))) {
      kind = SQL_TK_APPROX;
      while (k-- > 0) step(L);
      while (is_digit(peek(L, 0))) step(L);
    }
  }
  sql_token *t = push(L, kind, line, col, off);
  if (!t) return oom(L);
  t->len = L->i - off;
  t->text = sql_arena_strndup(L->arena, L->s + off, t->len);
  if (!t->text) return oom(L);
  t->text_len = t->len;
  return 0;
}

static int lex_op(lexer *L) {
  int line = L->line, col = L->col;
  size_t off = L->i;
  int c = peek(L, 0), d = peek(L, 1);
  sql_op op = SQL_OP_NONE;
  int two = 0;
  switch (c) {
  case '=': op = d == '>' ? (two = 1, SQL_OP_ARROW) : SQL_OP_EQ; break;
  case '<':
    if (d == '>')
      op = SQL_OP_NE, two = 1;
    else if (d == '=')
      op = SQL_OP_LE, two = 1;
    else
      op = SQL_OP_LT;
    break;
  case '>': op = d == '=' ? (two = 1, SQL_OP_GE) : SQL_OP_GT; break;
  case '!':
    if (d == '=') op = SQL_OP_NE2, two = 1;
    break;
  case '|':
    if (d == '|') op = SQL_OP_CONCAT, two = 1;
    break;
  case '+': op = SQL_OP_PLUS; break;
  case '-': op = SQL_OP_MINUS; break;
  case '*': op = SQL_OP_STAR; break;
  case '/': op = SQL_OP_SLASH; break;
  case '%': op = SQL_OP_PERCENT; break;
  case '.': op = SQL_OP_DOT; break;
  case ',': op = SQL_OP_COMMA; break;
  case '(': op = SQL_OP_LPAREN; break;
  case ')': op = SQL_OP_RPAREN; break;
  case '[': op = SQL_OP_LBRACKET; break;
  case ']': op = SQL_OP_RBRACKET; break;
  case ';': op = SQL_OP_SEMICOLON; break;
  default: break;
  }
  if (op == SQL_OP_NONE) {
    /* Calcite's TokenMgrError: the character, its code, and what was read of the token. */
    char image[16];
    unsigned cp = (unsigned)c;
    size_t from = L->i;
    step(L);
    sql_escape_image(L->s + from, L->i - from, image, sizeof image);
    if (c >= 0xC0) cp = 0xFFFD; /* a lone character outside ASCII that is no letter here */
    return sp_err(L->err, L->errcap, SPATE_EINVAL,
                  "Lexical error at line %d, column %d.  Encountered: \"%s\" (%u), after : \"\"",
                  line, col, image, cp);
  }
  step(L);
  if (two) step(L);
  sql_token *t = push(L, SQL_TK_OP, line, col, off);
  if (!t) return oom(L);
  t->op = op;
  t->len = L->i - off;
  t->text = op_texts[op];
  t->text_len = strlen(t->text);
  return 0;
}

int sql_lex(sql_arena *arena, const char *src, size_t len, int line, int col, sql_token_list *out,
            char *err, size_t errcap) {
  lexer L = {.arena = arena, .s = src, .n = len, .line = line, .col = col, .err = err};
  L.errcap = errcap;
  L.last_line = line;
  L.last_col = col;
  *out = (sql_token_list){0};
  for (;;) {
    int rc = skip_space(&L);
    if (rc) return rc;
    if (L.i >= L.n) break;
    int c = peek(&L, 0), d = peek(&L, 1);
    if (c == '\'') {
      rc = lex_string(&L, 0);
    } else if ((c == 'u' || c == 'U') && d == '&' && peek(&L, 2) == '\'') {
      rc = lex_string(&L, 1);
    } else if ((c == 'x' || c == 'X') && d == '\'') {
      rc = lex_binary(&L);
    } else if (c == '`') {
      int tl = L.line, tc = L.col;
      size_t off = L.i;
      char *buf = NULL;
      size_t blen = 0, cap = 0;
      rc = read_quoted(&L, '`', &buf, &blen, &cap);
      if (rc == 0) {
        sql_token *t = push(&L, SQL_TK_QIDENT, tl, tc, off);
        if (!t) return oom(&L);
        t->len = L.i - off;
        t->text = buf ? buf : "";
        t->text_len = blen;
        if (blen == 0)
          return sp_err(err, errcap, SPATE_EINVAL,
                        "Lexical error at line %d, column %d.  Encountered: \"``\": an identifier "
                        "may not be empty",
                        tl, tc);
      }
    } else if (is_digit(c) || (c == '.' && is_digit(d))) {
      rc = lex_number(&L);
    } else if (is_word_start(c)) {
      int tl = L.line, tc = L.col;
      size_t off = L.i;
      while (L.i < L.n && is_word_char(peek(&L, 0))) step(&L);
      sql_token *t = push(&L, SQL_TK_WORD, tl, tc, off);
      if (!t) return oom(&L);
      t->len = L.i - off;
      t->text = sql_arena_strndup(arena, src + off, t->len);
      if (!t->text) return oom(&L);
      t->text_len = t->len;
    } else {
      rc = lex_op(&L);
    }
    if (rc) return rc;
  }
  sql_token *t = push(&L, SQL_TK_EOF, L.last_line, L.last_col, L.n);
  if (!t) return oom(&L);
  t->text = "<EOF>";
  t->text_len = 5;
  out->v = L.v;
  out->n = L.count;
  return 0;
}
