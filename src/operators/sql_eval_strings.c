/*
 * sql_eval_strings.c: the string functions of SQL calc programs, with Flink's semantics: code
 * points (not bytes) for lengths, positions and padding; NULL in, NULL out except CONCAT_WS,
 * which skips NULL strings; LIKE with '%', '_' and an escape character; SIMILAR TO, REGEXP,
 * REGEXP_EXTRACT and REGEXP_REPLACE through POSIX extended regular expressions (regex.h), each
 * pattern compiled once and kept while an instruction sees the same pattern, so a literal
 * pattern is compiled once per program.
 *
 * Java's regex syntax is wider than POSIX ERE: the shorthand classes \d \w \s (and negations)
 * outside brackets are translated, other Java-only constructs (lookaround, lazy quantifiers)
 * make the pattern invalid and the function NULL, as Flink's functions give NULL on a bad
 * pattern. Case mapping is towupper/towlower of the C library (ASCII in the "C" locale).
 *
 * Results are written into the program's scratch (sqlp_scratch), never allocated per row.
 */
#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <wctype.h>

#include "base/alloc.h"
#include "base/err.h"
#include "operators/sql_program.h"

/* ---- UTF-8 helpers (tolerant: a stray byte counts as one code point) ---------------------- */

static uint32_t cp_len(uint8_t c) {
  return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* The code point at s[i] (i < n), its byte length in *len. */
static uint32_t cp_at(const uint8_t *s, uint32_t n, uint32_t i, uint32_t *len) {
  uint32_t l = cp_len(s[i]);
  if (i + l > n) l = 1;
  for (uint32_t k = 1; k < l; k++)
    if ((s[i + k] & 0xC0) != 0x80) l = 1;
  *len = l;
  if (l == 1) return s[i];
  uint32_t cp = s[i] & (0x7F >> l);
  for (uint32_t k = 1; k < l; k++) cp = cp << 6 | (s[i + k] & 0x3F);
  return cp;
}

static uint32_t cp_put(uint32_t cp, uint8_t *o) {
  if (cp < 0x80) {
    o[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (uint8_t)(0xC0 | cp >> 6);
    o[1] = (uint8_t)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (uint8_t)(0xE0 | cp >> 12);
    o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    o[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (uint8_t)(0xF0 | cp >> 18);
  o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
  o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
  o[3] = (uint8_t)(0x80 | (cp & 0x3F));
  return 4;
}

static uint32_t cp_count(const uint8_t *s, uint32_t n) {
  uint32_t c = 0, l;
  for (uint32_t i = 0; i < n; i += l) {
    cp_at(s, n, i, &l);
    c++;
  }
  return c;
}

/* Byte offset of code point k (or n when the string has fewer). */
static uint32_t cp_offset(const uint8_t *s, uint32_t n, uint32_t k) {
  uint32_t i = 0, l;
  while (k-- > 0 && i < n) {
    cp_at(s, n, i, &l);
    i += l;
  }
  return i;
}

static void view(sqlp_val *dst, const uint8_t *s, uint32_t n) {
  dst->null = false;
  dst->p = s;
  dst->len = n;
}

/* ---- LIKE --------------------------------------------------------------------------------- */

enum { TOK_END, TOK_CP, TOK_ONE, TOK_ANY, TOK_BAD };

/* The pattern token at *i: a literal code point (*cp), '_' or '%'; escape may be -1. */
static int like_tok(const uint8_t *p, uint32_t n, uint32_t *i, int64_t escape, uint32_t *cp) {
  if (*i >= n) return TOK_END;
  uint32_t l;
  uint32_t c = cp_at(p, n, *i, &l);
  *i += l;
  if ((int64_t)c == escape) {
    if (*i >= n) return TOK_BAD;
    c = cp_at(p, n, *i, &l);
    *i += l;
    if (c != '%' && c != '_' && (int64_t)c != escape) return TOK_BAD;
    *cp = c;
    return TOK_CP;
  }
  if (c == '%') return TOK_ANY;
  if (c == '_') return TOK_ONE;
  *cp = c;
  return TOK_CP;
}

/* 1 match, 0 no match, -1 bad escape. Greedy with backtracking to the last '%'. */
static int like_match(const uint8_t *s, uint32_t sn, const uint8_t *p, uint32_t pn,
                      int64_t escape) {
  uint32_t si = 0, pi = 0, star_p = UINT32_MAX, star_s = 0, cp, l;
  for (;;) {
    uint32_t pi0 = pi;
    int t = like_tok(p, pn, &pi, escape, &cp);
    if (t == TOK_BAD) return -1;
    if (t == TOK_ANY) {
      star_p = pi;
      star_s = si;
      continue;
    }
    if (t == TOK_END && si >= sn) return 1;
    if (si < sn && t != TOK_END) {
      uint32_t c = cp_at(s, sn, si, &l);
      if (t == TOK_ONE || c == cp) {
        si += l;
        continue;
      }
    }
    (void)pi0;
    if (star_p == UINT32_MAX || star_s >= sn) {
      /* validate the rest of the pattern for bad escapes before saying no */
      while ((t = like_tok(p, pn, &pi, escape, &cp)) != TOK_END)
        if (t == TOK_BAD) return -1;
      return 0;
    }
    cp_at(s, sn, star_s, &l);
    star_s += l;
    si = star_s;
    pi = star_p;
  }
}

/* ---- regular expressions --------------------------------------------------------------- */

/* Appends to o (cap bytes) the Java-ish regex s translated to POSIX ERE; false when too long. */
static bool java_to_ere(const uint8_t *s, uint32_t n, char *o, size_t cap) {
  size_t k = 0;
  bool in_bracket = false;
  for (uint32_t i = 0; i < n; i++) {
    const char *rep = NULL;
    char c = (char)s[i];
    if (c == '\\' && i + 1 < n && !in_bracket) {
      switch (s[i + 1]) {
      case 'd': rep = "[0-9]"; break;
      case 'D': rep = "[^0-9]"; break;
      case 'w': rep = "[a-zA-Z0-9_]"; break;
      case 'W': rep = "[^a-zA-Z0-9_]"; break;
      case 's': rep = "[[:space:]]"; break;
      case 'S': rep = "[^[:space:]]"; break;
      default: break;
      }
      if (rep) {
        i++;
        size_t rl = strlen(rep);
        if (k + rl >= cap) return false;
        memcpy(o + k, rep, rl);
        k += rl;
        continue;
      }
      if (k + 2 >= cap) return false;
      o[k++] = c;
      o[k++] = (char)s[++i];
      continue;
    }
    if (c == '[')
      in_bracket = true;
    else if (c == ']')
      in_bracket = false;
    if (k + 1 >= cap) return false;
    o[k++] = c;
  }
  o[k] = 0;
  return true;
}

/* SIMILAR TO's pattern as an anchored POSIX ERE: '%' '.*', '_' '.', the escape character
 * quoting the next one, '.', '^', '$' and '\' literal; false when too long or a bad escape. */
static bool similar_to_ere(const uint8_t *s, uint32_t n, int64_t escape, char *o, size_t cap) {
  size_t k = 0;
  o[k++] = '^';
  o[k++] = '(';
  for (uint32_t i = 0; i < n; i++) {
    if (k + 8 >= cap) return false;
    char c = (char)s[i];
    if ((int64_t)(uint8_t)c == escape) {
      if (++i >= n) return false;
      c = (char)s[i];
      if (strchr(".^$\\[]()|*+?{}%_", c)) {
        if (c != '%' && c != '_') o[k++] = '\\';
        o[k++] = c;
        continue;
      }
      return false;
    }
    switch (c) {
    case '%':
      o[k++] = '.';
      o[k++] = '*';
      break;
    case '_': o[k++] = '.'; break;
    case '.':
    case '^':
    case '$':
    case '\\':
      o[k++] = '\\';
      o[k++] = c;
      break;
    default: o[k++] = c; break;
    }
  }
  o[k++] = ')';
  o[k++] = '$';
  o[k] = 0;
  return true;
}

/* The compiled regex of instruction `in` for pattern (pat, n) (translated by `similar` or
 * java_to_ere), recompiled only when the pattern changed; NULL when it is invalid. *oom set
 * when memory ran out. */
static regex_t *regex_for(sqlp_program *p, const sqlp_ins *in, const uint8_t *pat, uint32_t n,
                          bool similar, int64_t escape, int flags, bool *oom) {
  sqlp_regex *r = &p->regex[in - p->ins];
  *oom = false;
  if (r->pattern && r->len == n && memcmp(r->pattern, pat, n) == 0)
    return r->compiled ? &r->re : NULL;
  if (r->compiled) regfree(&r->re);
  r->compiled = false;
  sp_free(r->pattern);
  r->pattern = sp_malloc(n ? n : 1);
  if (!r->pattern) {
    r->len = 0;
    *oom = true;
    return NULL;
  }
  memcpy(r->pattern, pat, n);
  r->len = n;
  size_t cap = (size_t)n * 12 + 16;
  char *ere = sp_malloc(cap);
  if (!ere) {
    *oom = true;
    return NULL;
  }
  bool ok = similar ? similar_to_ere(pat, n, escape, ere, cap) : java_to_ere(pat, n, ere, cap);
  if (ok && memchr(pat, 0, n) == NULL)
    r->compiled = regcomp(&r->re, ere, REG_EXTENDED | flags) == 0;
  sp_free(ere);
  return r->compiled ? &r->re : NULL;
}

/* The subject NUL-terminated in scratch. */
static char *cstr(sqlp_program *p, const sqlp_val *v) {
  char *s = (char *)sqlp_scratch(p, (size_t)v->len + 1);
  if (!s) return NULL;
  memcpy(s, v->p, v->len);
  s[v->len] = 0;
  return s;
}

/* ---- the functions ----------------------------------------------------------------------- */

/* Case mapping of code points as Java's Character.toUpperCase/toLowerCase do for one-to-one
 * mappings: the C library's wide-character tables of a UTF-8 locale, taken as a locale object so
 * that the process's own locale (C) stays as it is. Without C.UTF-8 only ASCII letters map. */
static locale_t utf8_ctype;
static pthread_once_t utf8_ctype_once = PTHREAD_ONCE_INIT;

static void utf8_ctype_init(void) {
  utf8_ctype = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  if (!utf8_ctype) utf8_ctype = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
}

static uint32_t cp_upper(uint32_t c) {
  return (uint32_t)(utf8_ctype ? towupper_l((wint_t)c, utf8_ctype) : towupper((wint_t)c));
}
static uint32_t cp_lower(uint32_t c) {
  return (uint32_t)(utf8_ctype ? towlower_l((wint_t)c, utf8_ctype) : towlower((wint_t)c));
}
static bool cp_alnum(uint32_t c) {
  return utf8_ctype ? iswalnum_l((wint_t)c, utf8_ctype) != 0 : (c < 128 && isalnum((int)c));
}

static int case_map(sqlp_program *p, sqlp_val *dst, const sqlp_val *a, int mode) {
  pthread_once(&utf8_ctype_once, utf8_ctype_init);
  uint8_t *o = sqlp_scratch(p, (size_t)a->len * 2 + 4);
  if (!o) return SPATE_ENOMEM;
  uint32_t k = 0, l;
  bool word_start = true;
  for (uint32_t i = 0; i < a->len; i += l) {
    uint32_t c = cp_at(a->p, a->len, i, &l);
    uint32_t m;
    if (mode == 0)
      m = cp_upper(c);
    else if (mode == 1)
      m = cp_lower(c);
    else { /* INITCAP: a word is a run of letters and digits */
      bool alnum = cp_alnum(c);
      m = word_start ? cp_upper(c) : cp_lower(c);
      word_start = !alnum;
    }
    if (m > 0x10FFFF) m = c;
    if (l == 1 && c >= 0x80) { /* a stray byte stays as it is */
      o[k++] = (uint8_t)c;
      continue;
    }
    k += cp_put(m, o + k);
  }
  view(dst, o, k);
  return 0;
}

static int pad(sqlp_program *p, sqlp_val *dst, const sqlp_val *s, int64_t n, const sqlp_val *f,
               bool left) {
  if (n < 0) {
    dst->null = true;
    return 0;
  }
  uint32_t len = cp_count(s->p, s->len);
  if ((uint64_t)n <= len) {
    view(dst, s->p, cp_offset(s->p, s->len, (uint32_t)n));
    return 0;
  }
  uint32_t flen = cp_count(f->p, f->len);
  if (flen == 0) {
    dst->null = true;
    return 0;
  }
  uint64_t need = (uint64_t)n - len;
  if ((uint64_t)n > 100000000) {
    snprintf(p->err, sizeof p->err, "padding to %lld characters is too long", (long long)n);
    return SPATE_EINVAL;
  }
  uint8_t *o = sqlp_scratch(p, (size_t)s->len + need * 4 + 4);
  if (!o) return SPATE_ENOMEM;
  uint32_t k = 0;
  if (!left) {
    memcpy(o, s->p, s->len);
    k = s->len;
  }
  uint32_t fi = 0, l;
  for (uint64_t j = 0; j < need; j++) {
    if (fi >= f->len) fi = 0;
    cp_at(f->p, f->len, fi, &l);
    memcpy(o + k, f->p + fi, l);
    k += l;
    fi += l;
  }
  if (left) {
    memcpy(o + k, s->p, s->len);
    k += s->len;
  }
  view(dst, o, k);
  return 0;
}

static bool in_set(const sqlp_val *chars, uint32_t c) {
  uint32_t l;
  for (uint32_t i = 0; i < chars->len; i += l)
    if (cp_at(chars->p, chars->len, i, &l) == c) return true;
  return false;
}

static const uint8_t *find(const uint8_t *h, uint32_t hn, const uint8_t *n, uint32_t nn) {
  if (nn == 0) return h;
  if (nn > hn) return NULL;
  for (uint32_t i = 0; i + nn <= hn; i++)
    if (h[i] == n[0] && memcmp(h + i, n, nn) == 0) return h + i;
  return NULL;
}

static int regexp_replace(sqlp_program *p, const sqlp_ins *in, sqlp_val *dst, const sqlp_val *a,
                          const sqlp_val *b, const sqlp_val *c) {
  bool oom;
  regex_t *re = regex_for(p, in, b->p, b->len, false, -1, 0, &oom);
  if (oom) return SPATE_ENOMEM;
  if (!re) {
    dst->null = true;
    return 0;
  }
  char *s = cstr(p, a);
  if (!s) return SPATE_ENOMEM;
  /* worst case: every position replaced (the replacement with groups as long as the subject) */
  size_t cap = (size_t)a->len + 1, used = 0;
  uint8_t *o = NULL;
  regmatch_t m[10];
  const char *at = s;
  int eflags = 0;
  /* first pass: size; second pass: write */
  for (int pass = 0; pass < 2; pass++) {
    at = s;
    eflags = 0;
    used = 0;
    while (at <= s + a->len && regexec(re, at, 10, m, eflags) == 0) {
      size_t pre = (size_t)m[0].rm_so;
      if (o) memcpy(o + used, at, pre);
      used += pre;
      for (uint32_t i = 0; i < c->len; i++) {
        uint8_t ch = c->p[i];
        if (ch == '\\' && i + 1 < c->len) {
          if (o) o[used] = c->p[i + 1];
          used++;
          i++;
        } else if (ch == '$' && i + 1 < c->len && isdigit(c->p[i + 1])) {
          int g = c->p[++i] - '0';
          if (g < 10 && m[g].rm_so >= 0) {
            size_t gl = (size_t)(m[g].rm_eo - m[g].rm_so);
            if (o) memcpy(o + used, at + m[g].rm_so, gl);
            used += gl;
          }
        } else {
          if (o) o[used] = ch;
          used++;
        }
      }
      if (m[0].rm_eo == m[0].rm_so) { /* an empty match: copy one character and move on */
        if (at[m[0].rm_eo] == 0) {
          at += m[0].rm_eo + 1;
          break;
        }
        if (o) o[used] = (uint8_t)at[m[0].rm_eo];
        used++;
        at += m[0].rm_eo + 1;
      } else {
        at += m[0].rm_eo;
      }
      eflags = REG_NOTBOL;
    }
    if (at < s + a->len) {
      size_t rest = (size_t)(s + a->len - at);
      if (o) memcpy(o + used, at, rest);
      used += rest;
    }
    if (!o) {
      cap = used;
      o = sqlp_scratch(p, cap ? cap : 1);
      if (!o) return SPATE_ENOMEM;
    }
  }
  view(dst, o, (uint32_t)used);
  return 0;
}

int sqlp_call_string(sqlp_program *p, const sqlp_ins *in, sqlp_val *dst, const sqlp_val *a,
                     const sqlp_val *b, const sqlp_val *c) {
  int fn = (int)(in->imm & 0xffff);
  int unit = (int)(in->imm >> 16);
  if (fn == SQLP_FN_CONCAT_WS) {
    if (a->null) {
      dst->null = true;
      return 0;
    }
    if (b->null && c->null) {
      dst->null = true; /* the compiler turns a final NULL into '' */
      return 0;
    }
    if (b->null || c->null) {
      *dst = b->null ? *c : *b;
      return 0;
    }
    uint8_t *o = sqlp_scratch(p, (size_t)b->len + a->len + c->len);
    if (!o) return SPATE_ENOMEM;
    memcpy(o, b->p, b->len);
    memcpy(o + b->len, a->p, a->len);
    memcpy(o + b->len + a->len, c->p, c->len);
    view(dst, o, b->len + a->len + c->len);
    return 0;
  }
  /* every other function: NULL when a present operand is NULL */
  if (a->null || (in->b != SQLP_NONE && b->null) || (in->c != SQLP_NONE && c->null)) {
    dst->null = true;
    return 0;
  }
  dst->null = false;
  switch (fn) {
  case SQLP_FN_CONCAT: {
    uint8_t *o = sqlp_scratch(p, (size_t)a->len + b->len);
    if (!o) return SPATE_ENOMEM;
    memcpy(o, a->p, a->len);
    memcpy(o + a->len, b->p, b->len);
    view(dst, o, a->len + b->len);
    return 0;
  }
  case SQLP_FN_UPPER: return case_map(p, dst, a, 0);
  case SQLP_FN_LOWER: return case_map(p, dst, a, 1);
  case SQLP_FN_INITCAP: return case_map(p, dst, a, 2);
  case SQLP_FN_CHAR_LENGTH: dst->i = cp_count(a->p, a->len); return 0;
  case SQLP_FN_TRIM: { /* a: the characters, b: the string */
    uint32_t s = 0, e = b->len, l;
    if (unit != 3)
      while (s < e && in_set(a, cp_at(b->p, b->len, s, &l))) s += l;
    if (unit != 2)
      while (e > s) {
        uint32_t k = e - 1;
        while (k > s && (b->p[k] & 0xC0) == 0x80) k--;
        if (!in_set(a, cp_at(b->p, b->len, k, &l))) break;
        e = k;
      }
    view(dst, b->p + s, e - s);
    return 0;
  }
  case SQLP_FN_SUBSTRING: {
    int64_t len = cp_count(a->p, a->len), pos = b->i;
    int64_t cnt = in->c != SQLP_NONE ? c->i : INT64_MAX;
    if (cnt < 0) {
      dst->null = true;
      return 0;
    }
    int64_t start = pos > 0 ? pos - 1 : pos < 0 ? len + pos : 0;
    int64_t end = cnt == INT64_MAX || start + cnt > len ? len : start + cnt;
    if (start < 0) start = 0;
    if (start >= end) {
      view(dst, a->p, 0);
      return 0;
    }
    uint32_t s = cp_offset(a->p, a->len, (uint32_t)start);
    uint32_t e = s + cp_offset(a->p + s, a->len - s, (uint32_t)(end - start));
    view(dst, a->p + s, e - s);
    return 0;
  }
  case SQLP_FN_POSITION: { /* a: needle, b: haystack, c: the 1-based start (none: 1) */
    int64_t from = in->c != SQLP_NONE ? c->i : 1;
    if (from < 1 || from - 1 > (int64_t)cp_count(b->p, b->len)) {
      dst->i = 0;
      return 0;
    }
    uint32_t off = cp_offset(b->p, b->len, (uint32_t)(from - 1));
    const uint8_t *f = find(b->p + off, b->len - off, a->p, a->len);
    dst->i = f ? (int64_t)cp_count(b->p, (uint32_t)(f - b->p)) + 1 : 0;
    return 0;
  }
  case SQLP_FN_REPLACE: {
    if (b->len == 0) {
      *dst = *a;
      return 0;
    }
    uint32_t n = 0;
    for (const uint8_t *f = a->p; (f = find(f, a->len - (uint32_t)(f - a->p), b->p, b->len));
         f += b->len)
      n++;
    size_t size = (size_t)a->len + (size_t)n * c->len;
    uint8_t *o = sqlp_scratch(p, size ? size : 1);
    if (!o) return SPATE_ENOMEM;
    size_t k = 0;
    const uint8_t *at = a->p, *end = a->p + a->len, *f;
    while ((f = find(at, (uint32_t)(end - at), b->p, b->len))) {
      memcpy(o + k, at, (size_t)(f - at));
      k += (size_t)(f - at);
      memcpy(o + k, c->p, c->len);
      k += c->len;
      at = f + b->len;
    }
    memcpy(o + k, at, (size_t)(end - at));
    k += (size_t)(end - at);
    view(dst, o, (uint32_t)k);
    return 0;
  }
  case SQLP_FN_LIKE:
  case SQLP_FN_SIMILAR: {
    int64_t esc = -1;
    if (in->c != SQLP_NONE) {
      uint32_t l;
      if (cp_count(c->p, c->len) != 1) {
        snprintf(p->err, sizeof p->err, "Invalid escape character '%.*s'",
                 (int)(c->len > 20 ? 20 : c->len), (const char *)c->p);
        return SPATE_EINVAL;
      }
      esc = cp_at(c->p, c->len, 0, &l);
    }
    if (fn == SQLP_FN_LIKE) {
      int m = like_match(a->p, a->len, b->p, b->len, esc);
      if (m < 0) {
        snprintf(p->err, sizeof p->err, "Invalid escape sequence '%.*s'",
                 (int)(b->len > 100 ? 100 : b->len), (const char *)b->p);
        return SPATE_EINVAL;
      }
      dst->i = m;
      return 0;
    }
    bool oom;
    regex_t *re = regex_for(p, in, b->p, b->len, true, esc, REG_NOSUB, &oom);
    if (oom) return SPATE_ENOMEM;
    if (!re) {
      snprintf(p->err, sizeof p->err, "Invalid regular expression '%.*s'",
               (int)(b->len > 100 ? 100 : b->len), (const char *)b->p);
      return SPATE_EINVAL;
    }
    char *s = cstr(p, a);
    if (!s) return SPATE_ENOMEM;
    dst->i = regexec(re, s, 0, NULL, 0) == 0;
    return 0;
  }
  case SQLP_FN_REGEXP:
  case SQLP_FN_REGEXP_EXTRACT: {
    bool oom;
    regex_t *re = regex_for(p, in, b->p, b->len, false, -1, 0, &oom);
    if (oom) return SPATE_ENOMEM;
    if (!re) {
      dst->null = true;
      return 0;
    }
    char *s = cstr(p, a);
    if (!s) return SPATE_ENOMEM;
    regmatch_t m[10];
    int found = regexec(re, s, 10, m, 0) == 0;
    if (fn == SQLP_FN_REGEXP) {
      dst->i = found;
      return 0;
    }
    int64_t g = in->c != SQLP_NONE ? c->i : 1;
    if (!found || g < 0 || g > 9 || (size_t)g > re->re_nsub || m[g].rm_so < 0) {
      dst->null = true;
      return 0;
    }
    view(dst, (const uint8_t *)s + m[g].rm_so, (uint32_t)(m[g].rm_eo - m[g].rm_so));
    return 0;
  }
  case SQLP_FN_REGEXP_REPLACE: return regexp_replace(p, in, dst, a, b, c);
  case SQLP_FN_SPLIT_INDEX: {
    if (c->i < 0 || b->len == 0) {
      dst->null = true;
      return 0;
    }
    const uint8_t *at = a->p, *end = a->p + a->len, *f;
    for (int64_t k = 0;; k++) {
      f = find(at, (uint32_t)(end - at), b->p, b->len);
      if (k == c->i) {
        view(dst, at, (uint32_t)((f ? f : end) - at));
        return 0;
      }
      if (!f) break;
      at = f + b->len;
    }
    dst->null = true;
    return 0;
  }
  case SQLP_FN_LPAD:
  case SQLP_FN_RPAD: return pad(p, dst, a, b->i, c, fn == SQLP_FN_LPAD);
  default: break;
  }
  snprintf(p->err, sizeof p->err, "unknown string function %d", fn);
  return SPATE_EINVAL;
}
