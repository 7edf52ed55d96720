/*
 * sql_lexer.h: Flink SQL's tokens. The lexer turns one statement's text into an array of tokens
 * (in the parse's arena) before the parser runs, so the parser can look ahead freely.
 *
 * Lexical rules follow Flink's configuration of Calcite: identifiers quoted with backquotes
 * (`a``b` holds a doubled backquote), unquoted identifiers keep their case, keywords are
 * recognised case-insensitively by the parser (a word token carries its text; the lexer does
 * not know keywords), strings in single quotes with '' as the escape, and adjacent string
 * literals separated only by whitespace or comments concatenate into one token as in Calcite.
 * Comments are `-- ...` and `/ * ... * /`; a hint `/ *+ ... * /` is skipped like a comment
 * (hints such as OPTIONS are not parsed yet).
 *
 * Positions are 1-based lines and columns as Calcite reports them: a tab counts as one column
 * (Calcite sets the tab size to 1) and a UTF-8 sequence as one character.
 */
#ifndef SPATE_SQL_LEXER_H
#define SPATE_SQL_LEXER_H
#include <stddef.h>

#include "sql/sql_arena.h"

typedef enum sql_tok_kind {
  SQL_TK_EOF = 0,
  SQL_TK_WORD,    /* an unquoted identifier or keyword; text is the word as written */
  SQL_TK_QIDENT,  /* a backquoted identifier; text is its name with `` undoubled */
  SQL_TK_STRING,  /* '...' (or U&'...'); text is the value, adjacent parts concatenated */
  SQL_TK_BINARY,  /* X'...'; text holds the hex digits in upper case */
  SQL_TK_INTEGER, /* 12; text is the digits */
  SQL_TK_DECIMAL, /* 1.5, .5, 1.; text as written */
  SQL_TK_APPROX,  /* 1e3, 1.5E-2; text as written */
  SQL_TK_OP,      /* punctuation or operator; op says which */
} sql_tok_kind;

typedef enum sql_op {
  SQL_OP_NONE = 0,
  SQL_OP_EQ,        /* = */
  SQL_OP_NE,        /* <> */
  SQL_OP_NE2,       /* != */
  SQL_OP_LT,        /* < */
  SQL_OP_LE,        /* <= */
  SQL_OP_GT,        /* > */
  SQL_OP_GE,        /* >= */
  SQL_OP_PLUS,      /* + */
  SQL_OP_MINUS,     /* - */
  SQL_OP_STAR,      /* * */
  SQL_OP_SLASH,     /* / */
  SQL_OP_PERCENT,   /* % */
  SQL_OP_CONCAT,    /* || */
  SQL_OP_DOT,       /* . */
  SQL_OP_COMMA,     /* , */
  SQL_OP_LPAREN,    /* ( */
  SQL_OP_RPAREN,    /* ) */
  SQL_OP_LBRACKET,  /* [ */
  SQL_OP_RBRACKET,  /* ] */
  SQL_OP_SEMICOLON, /* ; */
  SQL_OP_ARROW,     /* => */
  SQL_OP_COUNT
} sql_op;

typedef struct sql_token {
  sql_tok_kind kind;
  sql_op op;        /* for SQL_TK_OP */
  int line, col;    /* 1-based position of the first character */
  size_t off, len;  /* byte span in the source text (for a concatenated string: all parts) */
  const char *text; /* NUL-terminated, in the arena; see the kinds above */
  size_t text_len;  /* bytes of text (a U& string may hold a NUL) */
  int unicode;      /* a U&'...' string */
} sql_token;

typedef struct sql_token_list {
  sql_token *v; /* n tokens, the last one SQL_TK_EOF */
  int n;
} sql_token_list;

/* Tokenizes src[0, len). Positions start at (line, col) so that a statement cut from a script
 * reports positions in the whole script. Returns 0, SPATE_EINVAL with a Calcite-style message
 * ("Lexical error at line 1, column 8.  Encountered: ...", or a malformed literal), or
 * SPATE_ENOMEM. The EOF token sits on the input's last character, as JavaCC places it. */
int sql_lex(sql_arena *arena, const char *src, size_t len, int line, int col, sql_token_list *out,
            char *err, size_t errcap);

/* The spelling of an operator ("<>", "=>", ...). */
const char *sql_op_text(sql_op op);

/* Writes s as JavaCC's ParseException prints a token image (quotes and control characters
 * escaped) into out, cut at cap. */
void sql_escape_image(const char *s, size_t n, char *out, size_t cap);
#endif
