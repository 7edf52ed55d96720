/*
 * schema.c: building, parsing, printing and encoding schemas.
 *
 * A schema is one allocation: the header with its reference count followed by the field array;
 * the field names are separate strings owned by the schema. Schemas are immutable after
 * construction, so sharing one between threads only needs the atomic reference count.
 *
 * The text form is the one users write in jobs ("word STRING, count BIGINT NOT NULL"). Parse
 * errors quote the whole spec and give the 1-based column, because specs are short and users
 * copy them from code. The byte form (schema_encode) travels inside job graphs, so decoding treats
 * its input as hostile: every count is checked against the bytes that remain before anything is
 * allocated for it.
 */
#include "types/schema.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/err.h"

static void free_fields(spate_schema *s, int n) {
  for (int i = 0; i < n; i++) {
    sp_free(s->fields[i].name);
    schema_unref(s->fields[i].sub);
  }
}

/* Allocates a schema with room for n fields and one reference; names are left NULL. */
static spate_schema *alloc_schema(int n) {
  spate_schema *s = sp_calloc(1, sizeof *s + (size_t)n * sizeof(schema_field));
  if (!s) return NULL;
  atomic_init(&s->refs, 1);
  s->nfields = n;
  return s;
}

spate_schema *schema_new(int nfields, const char *const *names, const spate_type *types,
                         const bool *nullable) {
  if (nfields < 0) return NULL;
  spate_schema *s = alloc_schema(nfields);
  if (!s) return NULL;
  for (int i = 0; i < nfields; i++) {
    s->fields[i].name = sp_strdup(names[i]);
    if (!s->fields[i].name) {
      free_fields(s, i);
      sp_free(s);
      return NULL;
    }
    type_default(&s->fields[i], types[i]);
    s->fields[i].nullable = nullable ? nullable[i] : true;
  }
  return s;
}

spate_schema *schema_select(const spate_schema *src, const int *fields, int n) {
  if (n < 0) return NULL;
  spate_schema *s = alloc_schema(n);
  if (!s) return NULL;
  for (int i = 0; i < n; i++) {
    s->fields[i] = src->fields[fields[i]];
    s->fields[i].name = sp_strdup(src->fields[fields[i]].name);
    if (!s->fields[i].name) {
      free_fields(s, i);
      sp_free(s);
      return NULL;
    }
    schema_ref(s->fields[i].sub);
  }
  return s;
}

spate_schema *schema_concat(const spate_schema *a, const spate_schema *b) {
  int n = a->nfields + b->nfields;
  spate_schema *s = alloc_schema(n);
  if (!s) return NULL;
  for (int i = 0; i < n; i++) {
    const schema_field *f = i < a->nfields ? &a->fields[i] : &b->fields[i - a->nfields];
    s->fields[i] = *f;
    s->fields[i].name = sp_strdup(f->name);
    if (!s->fields[i].name) {
      free_fields(s, i);
      sp_free(s);
      return NULL;
    }
    schema_ref(s->fields[i].sub);
  }
  return s;
}

spate_schema *schema_repeat(const schema_field *f, int n) {
  if (n < 0) return NULL;
  spate_schema *s = alloc_schema(n);
  if (!s) return NULL;
  for (int i = 0; i < n; i++) {
    char name[16];
    snprintf(name, sizeof name, "%d", i);
    s->fields[i] = *f;
    s->fields[i].nullable = true; /* the array builder checks NOT NULL on the elements in use */
    s->fields[i].name = sp_strdup(name);
    if (!s->fields[i].name) {
      free_fields(s, i);
      sp_free(s);
      return NULL;
    }
    schema_ref(s->fields[i].sub);
  }
  return s;
}

const spate_schema *spate_schema_field_schema(const spate_schema *schema, int i) {
  if (!schema || i < 0 || i >= schema->nfields) return NULL;
  return schema->fields[i].sub;
}

spate_schema *schema_ref(const spate_schema *s) {
  /* The reference count is the one mutable part of an otherwise immutable value. */
  spate_schema *m = (spate_schema *)s;
  if (m) atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
  return m;
}

void schema_unref(const spate_schema *s) {
  spate_schema *m = (spate_schema *)s;
  if (!m) return;
  if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1) return;
  free_fields(m, m->nfields);
  sp_free(m);
}

void spate_schema_free(spate_schema *schema) { schema_unref(schema); }

bool schema_equal(const spate_schema *a, const spate_schema *b) {
  if (a == b) return true;
  if (!a || !b || a->nfields != b->nfields) return false;
  for (int i = 0; i < a->nfields; i++) {
    const schema_field *fa = &a->fields[i], *fb = &b->fields[i];
    if (!schema_type_equal(fa, fb) || fa->nullable != fb->nullable ||
        strcmp(fa->name, fb->name) != 0)
      return false;
  }
  return true;
}

const char *schema_type_name(spate_type t) {
  switch (t) {
  case SPATE_BOOLEAN: return "BOOLEAN";
  case SPATE_INT: return "INT";
  case SPATE_BIGINT: return "BIGINT";
  case SPATE_DOUBLE: return "DOUBLE";
  case SPATE_STRING: return "STRING";
  case SPATE_BYTES: return "BYTES";
  case SPATE_TIMESTAMP: return "TIMESTAMP";
  case SPATE_TINYINT: return "TINYINT";
  case SPATE_SMALLINT: return "SMALLINT";
  case SPATE_FLOAT: return "FLOAT";
  case SPATE_DECIMAL: return "DECIMAL";
  case SPATE_DATE: return "DATE";
  case SPATE_TIME: return "TIME";
  case SPATE_TIMESTAMP_LTZ: return "TIMESTAMP_LTZ";
  case SPATE_INTERVAL_YM: return "INTERVAL YEAR TO MONTH";
  case SPATE_INTERVAL_DT: return "INTERVAL DAY TO SECOND";
  case SPATE_CHAR: return "CHAR";
  case SPATE_BINARY: return "BINARY";
  case SPATE_ARRAY: return "ARRAY";
  case SPATE_MAP: return "MAP";
  case SPATE_ROW: return "ROW";
  case SPATE_MULTISET: return "MULTISET";
  }
  return "UNKNOWN";
}

int spate_schema_num_fields(const spate_schema *schema) { return schema ? schema->nfields : 0; }

const char *spate_schema_field_name(const spate_schema *schema, int i) {
  if (!schema || i < 0 || i >= schema->nfields) return NULL;
  return schema->fields[i].name;
}

spate_type spate_schema_field_type(const spate_schema *schema, int i) {
  if (!schema || i < 0 || i >= schema->nfields) return (spate_type)0;
  return schema->fields[i].type;
}

static const schema_field *field_at(const spate_schema *schema, int i) {
  return schema && i >= 0 && i < schema->nfields ? &schema->fields[i] : NULL;
}

bool spate_schema_field_nullable(const spate_schema *schema, int i) {
  const schema_field *f = field_at(schema, i);
  return f && f->nullable;
}

int spate_schema_field_precision(const spate_schema *schema, int i) {
  const schema_field *f = field_at(schema, i);
  return f ? f->precision : 0;
}

int spate_schema_field_scale(const spate_schema *schema, int i) {
  const schema_field *f = field_at(schema, i);
  return f ? f->scale : 0;
}

int32_t spate_schema_field_length(const spate_schema *schema, int i) {
  const schema_field *f = field_at(schema, i);
  return f ? f->length : 0;
}

spate_interval_unit spate_schema_field_interval_unit(const spate_schema *schema, int i) {
  const schema_field *f = field_at(schema, i);
  return f ? (spate_interval_unit)f->unit : SPATE_INTERVAL_NONE;
}

int spate_schema_field_index(const spate_schema *schema, const char *name) {
  if (!schema || !name) return -1;
  for (int i = 0; i < schema->nfields; i++)
    if (strcmp(schema->fields[i].name, name) == 0) return i;
  return -1;
}

/* ---------------------------------------------------------------------------------------------
 * Text form. */

static bool is_ident_start(char c) { return isalpha((unsigned char)c) || c == '_'; }
static bool is_ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* A name prints bare when it would parse back bare: an identifier that is not a keyword. */
static bool needs_quotes(const char *name) {
  if (!is_ident_start(name[0])) return true;
  for (const char *p = name; *p; p++)
    if (!is_ident_char(*p)) return true;
  return strcasecmp(name, "NOT") == 0 || strcasecmp(name, "NULL") == 0;
}

static int append_name(sp_strbuf *sb, const char *name) {
  if (!needs_quotes(name)) return sp_strbuf_add(sb, name);
  int rc = sp_strbuf_append(sb, "`", 1);
  for (const char *p = name; *p && rc == 0; p++) {
    if (*p == '`') rc = sp_strbuf_append(sb, "`", 1);
    if (rc == 0) rc = sp_strbuf_append(sb, p, 1);
  }
  return rc ? rc : sp_strbuf_append(sb, "`", 1);
}

/* "name TYPE[ NOT NULL], ..." of s into sb; with_names false for an element list. */
static int fields_text(sp_strbuf *sb, const schema_field *fields, int n, bool with_names) {
  int rc = 0;
  for (int i = 0; i < n && rc == 0; i++) {
    const schema_field *f = &fields[i];
    if (i > 0) rc = sp_strbuf_add(sb, ", ");
    if (rc == 0 && with_names) rc = append_name(sb, f->name);
    if (rc == 0 && with_names) rc = sp_strbuf_add(sb, " ");
    if (rc == 0) rc = schema_type_text(sb, f);
    if (rc == 0 && !f->nullable) rc = sp_strbuf_add(sb, " NOT NULL");
  }
  return rc;
}

int schema_type_text(sp_strbuf *sb, const schema_field *f) {
  char type[TYPE_NAME_MAX];
  if (!type_is_composite(f->type) || !f->sub) {
    size_t n = type_to_string(f, type);
    return sp_strbuf_append(sb, type, n);
  }
  int rc = sp_strbuf_add(sb, schema_type_name(f->type));
  if (rc == 0) rc = sp_strbuf_append(sb, "<", 1);
  if (rc) return rc;
  /* a ROW's fields by name; an ARRAY's element, a MAP's key and value, a MULTISET's element
   * alone (its counts are implied) */
  int n = f->type == SPATE_MULTISET ? 1 : f->sub->nfields;
  rc = fields_text(sb, f->sub->fields, n, f->type == SPATE_ROW);
  return rc ? rc : sp_strbuf_append(sb, ">", 1);
}

char *schema_to_string(const spate_schema *s) {
  sp_strbuf sb = {0};
  if (fields_text(&sb, s->fields, s->nfields, true) != 0 || sp_strbuf_append(&sb, "", 1) != 0) {
    sp_strbuf_free(&sb);
    return NULL;
  }
  return sb.data; /* the caller frees it with sp_free */
}

typedef struct parser {
  const char *spec;
  const char *p;
  char *err;
  size_t err_len;
  int depth; /* composite types entered */
} parser;

static int col(const parser *ps, const char *at) { return (int)(at - ps->spec) + 1; }

static void skip_ws(parser *ps) {
  while (isspace((unsigned char)*ps->p)) ps->p++;
}

/* Specs longer than this are quoted up to here and "...", so that the column still fits in a
 * message of 256 bytes (what callers usually give). */
#define SPEC_QUOTE_MAX 100

static int fail(parser *ps, const char *at, const char *what) {
  size_t n = strlen(ps->spec);
  int shown = n > SPEC_QUOTE_MAX ? SPEC_QUOTE_MAX : (int)n;
  return sp_err(ps->err, ps->err_len, SPATE_EINVAL, "schema '%.*s%s': %s at column %d", shown,
                ps->spec, n > SPEC_QUOTE_MAX ? "..." : "", what, col(ps, at));
}

/* Reads a bare word of identifier characters; returns its length (0 if none). */
static size_t word(parser *ps) {
  const char *q = ps->p;
  if (!is_ident_start(*q)) return 0;
  while (is_ident_char(*q)) q++;
  return (size_t)(q - ps->p);
}

static bool word_is(const char *w, size_t n, const char *kw) {
  return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

/* Parses a field name at ps->p into a heap string (*out). */
static int parse_name(parser *ps, char **out) {
  const char *start = ps->p;
  if (*ps->p == '`') {
    /* Backquoted as in Flink SQL: `` inside stands for one backquote. */
    size_t n = 0;
    const char *q = ps->p + 1;
    for (;; q++) {
      if (!*q) return fail(ps, start, "unterminated quoted name");
      if (*q == '`') {
        if (q[1] != '`') break;
        q++;
      }
      n++;
    }
    if (n == 0) return fail(ps, start, "empty quoted name");
    char *name = sp_malloc(n + 1);
    if (!name) return SPATE_ENOMEM;
    size_t k = 0;
    for (const char *r = ps->p + 1; r < q; r++) {
      if (*r == '`') r++;
      name[k++] = *r;
    }
    name[k] = 0;
    ps->p = q + 1;
    *out = name;
    return 0;
  }
  size_t n = word(ps);
  if (n == 0) {
    if (!*ps->p) return fail(ps, start, "expected a field name but the spec ended");
    char what[64];
    snprintf(what, sizeof what, "expected a field name, found '%c'", *ps->p);
    return fail(ps, start, what);
  }
  *out = sp_strndup(ps->p, n);
  if (!*out) return SPATE_ENOMEM;
  ps->p += n;
  return 0;
}

/* A growable field list used while parsing; becomes the schema at the end. */
typedef struct field_list {
  schema_field *v;
  int n, cap;
} field_list;

static void field_list_free(field_list *l) {
  for (int i = 0; i < l->n; i++) {
    sp_free(l->v[i].name);
    schema_unref(l->v[i].sub);
  }
  sp_free(l->v);
}

static int field_list_push(field_list *l, schema_field f) {
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 8;
    schema_field *v = sp_realloc(l->v, (size_t)cap * sizeof *v);
    if (!v) return SPATE_ENOMEM;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = f;
  return 0;
}

/* The list's fields as a schema (which takes their names and parts); NULL on no memory. */
static spate_schema *field_list_take(field_list *l) {
  spate_schema *s = alloc_schema(l->n);
  if (!s) return NULL;
  memcpy(s->fields, l->v, (size_t)l->n * sizeof *l->v);
  l->n = 0;
  return s;
}

static int parse_fields(parser *ps, field_list *l, char close);
static int parse_type(parser *ps, schema_field *f);

/* An optional NOT NULL (or NULL, SQL's explicit default) after a type. */
static int parse_nullability(parser *ps, bool *nullable) {
  *nullable = true;
  skip_ws(ps);
  const char *kw = ps->p;
  size_t n = word(ps);
  if (n && word_is(kw, n, "NOT")) {
    ps->p += n;
    skip_ws(ps);
    const char *kw2 = ps->p;
    size_t n2 = word(ps);
    if (!word_is(kw2, n2, "NULL")) return fail(ps, kw2, "expected NULL after NOT");
    ps->p += n2;
    *nullable = false;
    skip_ws(ps);
  } else if (n && word_is(kw, n, "NULL")) {
    ps->p += n;
    skip_ws(ps);
  }
  return 0;
}

static int expect_char(parser *ps, char c) {
  skip_ws(ps);
  if (*ps->p == c) {
    ps->p++;
    return 0;
  }
  char what[64];
  if (*ps->p)
    snprintf(what, sizeof what, "expected '%c', found '%c'", c, *ps->p);
  else
    snprintf(what, sizeof what, "expected '%c' but the spec ended", c);
  return fail(ps, ps->p, what);
}

/* An element type (with its nullability) named `name` pushed to l. */
static int parse_part(parser *ps, field_list *l, const char *name) {
  schema_field f = {0};
  f.name = sp_strdup(name);
  if (!f.name) return SPATE_ENOMEM;
  int rc = field_list_push(l, f);
  if (rc) {
    sp_free(f.name);
    return rc;
  }
  schema_field *cur = &l->v[l->n - 1];
  skip_ws(ps);
  if ((rc = parse_type(ps, cur)) != 0) return rc;
  return parse_nullability(ps, &cur->nullable);
}

/* ARRAY<T>, MULTISET<T>, MAP<K, V>, ROW<name T, ...> or ROW(name T, ...) after its keyword. */
static int parse_composite(parser *ps, schema_field *f, spate_type t, const char *start) {
  if (++ps->depth > SCHEMA_MAX_DEPTH) return fail(ps, start, "types nest deeper than 16 levels");
  skip_ws(ps);
  char close = t == SPATE_ROW && *ps->p == '(' ? ')' : '>';
  int rc = expect_char(ps, close == ')' ? '(' : '<');
  field_list l = {0};
  if (rc == 0 && t == SPATE_ROW) {
    skip_ws(ps);
    if (*ps->p == close) rc = fail(ps, ps->p, "a ROW needs at least one field");
    if (rc == 0) rc = parse_fields(ps, &l, close);
  } else if (rc == 0) {
    rc = parse_part(ps, &l, t == SPATE_ARRAY ? "element" : "key");
    if (rc == 0 && t == SPATE_MAP) rc = expect_char(ps, ',');
    if (rc == 0 && t == SPATE_MAP) rc = parse_part(ps, &l, "value");
    if (rc == 0 && t == SPATE_MULTISET) { /* Flink keeps a multiset as a map to counts */
      schema_field v = {0};
      type_default(&v, SPATE_INT);
      v.nullable = false;
      if (!(v.name = sp_strdup("value"))) rc = SPATE_ENOMEM;
      if (rc == 0 && (rc = field_list_push(&l, v)) != 0) sp_free(v.name);
    }
  }
  if (rc == 0) rc = expect_char(ps, close);
  if (rc == 0) {
    type_default(f, t);
    if (!(f->sub = field_list_take(&l))) rc = SPATE_ENOMEM;
  }
  field_list_free(&l);
  ps->depth--;
  return rc;
}

static int parse_type(parser *ps, schema_field *f) {
  const char *start = ps->p;
  if (!*ps->p) return fail(ps, start, "expected a type but the spec ended");
  if (!is_ident_start(*ps->p)) {
    char what[64];
    snprintf(what, sizeof what, "expected a type, found '%c'", *ps->p);
    return fail(ps, start, what);
  }
  size_t n = word(ps);
  static const struct {
    const char *name;
    spate_type t;
  } composites[] = {
      {"ARRAY", SPATE_ARRAY}, {"MAP", SPATE_MAP}, {"MULTISET", SPATE_MULTISET}, {"ROW", SPATE_ROW}};
  for (size_t k = 0; k < sizeof composites / sizeof composites[0]; k++) {
    if (!word_is(start, n, composites[k].name)) continue;
    ps->p += n;
    return parse_composite(ps, f, composites[k].t, start);
  }
  const char *at = start;
  char what[128];
  if (type_parse(&ps->p, f, &at, what, sizeof what) != 0) return fail(ps, at, what);
  return 0;
}

/* Fields up to `close` (0: the end of the spec), which is left unread. */
static int parse_fields(parser *ps, field_list *l, char close) {
  skip_ws(ps);
  if (!*ps->p) return fail(ps, ps->p, close ? "the spec ended inside a ROW" : "empty schema");
  for (;;) {
    skip_ws(ps);
    const char *name_at = ps->p;
    schema_field f = {0};
    int rc = parse_name(ps, &f.name);
    if (rc) return rc;
    rc = field_list_push(l, f);
    if (rc) {
      sp_free(f.name);
      return rc;
    }
    schema_field *cur = &l->v[l->n - 1];
    for (int i = 0; i < l->n - 1; i++) {
      if (strcmp(l->v[i].name, cur->name) == 0) {
        char what[96];
        snprintf(what, sizeof what, "duplicate field name '%.64s'", cur->name);
        return fail(ps, name_at, what);
      }
    }
    if (name_at[0] != '`' && !isspace((unsigned char)*ps->p)) {
      /* A name runs into something that is neither space nor a type: report that char. */
      char what[64];
      if (!*ps->p) return fail(ps, ps->p, "expected a type but the spec ended");
      snprintf(what, sizeof what, "unexpected '%c' after field name", *ps->p);
      return fail(ps, ps->p, what);
    }
    skip_ws(ps);
    rc = parse_type(ps, cur);
    if (rc) return rc;
    if ((rc = parse_nullability(ps, &cur->nullable)) != 0) return rc;
    if (*ps->p == close) return 0;
    if (*ps->p != ',') {
      char what[80];
      if (!*ps->p)
        snprintf(what, sizeof what, "expected ',' or '%c' but the spec ended", close);
      else if (close)
        snprintf(what, sizeof what, "unexpected '%c', expected ',' or '%c'", *ps->p, close);
      else
        snprintf(what, sizeof what, "unexpected '%c', expected ',' or the end", *ps->p);
      return fail(ps, ps->p, what);
    }
    ps->p++;
    skip_ws(ps);
    if (!*ps->p) return fail(ps, ps->p, "expected a field name after ','");
  }
}

int spate_schema_parse(const char *spec, spate_schema **out, char *err, size_t err_len) {
  if (out) *out = NULL;
  if (!spec || !out) return sp_err(err, err_len, SPATE_EINVAL, "schema: no spec given");
  parser ps = {spec, spec, err, err_len, 0};
  field_list l = {0};
  int rc = parse_fields(&ps, &l, 0);
  if (rc == SPATE_ENOMEM) sp_err(err, err_len, rc, "schema '%s': out of memory", spec);
  if (rc) goto done;
  spate_schema *s = field_list_take(&l); /* names and parts now belong to the schema */
  if (!s) {
    rc = sp_err(err, err_len, SPATE_ENOMEM, "schema '%s': out of memory", spec);
    goto done;
  }
  *out = s;
done:
  field_list_free(&l);
  return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Byte form: u32 count, then per field: name (u32 length + bytes), u8 type, u8 flags (bit 0:
 * nullable, bit 1: parameters follow), then the type's parameters when bit 1 is set
 * (type_desc.c). Before types had parameters the flags byte was 0 or 1 and no parameters
 * followed; a field of those seven types with its default descriptor is still written so, so
 * job graphs and checkpoints of such schemas keep their bytes, and old bytes decode as before
 * (a TIMESTAMP without parameters is TIMESTAMP(3)). Old readers refuse the new bytes (flags 2
 * and 3), which is what they must do with types they do not know. */

#define MIN_FIELD_BYTES 6u

void schema_encode(sp_writer *w, const spate_schema *s) {
  sp_put_u32(w, (uint32_t)s->nfields);
  for (int i = 0; i < s->nfields; i++) {
    sp_put_str(w, s->fields[i].name);
    sp_put_u8(w, (uint8_t)s->fields[i].type);
    bool params = type_has_params(&s->fields[i]);
    sp_put_u8(w, (uint8_t)((s->fields[i].nullable ? 1 : 0) | (params ? 2 : 0)));
    if (params) type_encode_params(w, &s->fields[i]);
    if (s->fields[i].sub) schema_encode(w, s->fields[i].sub); /* a composite's parts */
  }
}

static spate_schema *decode_depth(sp_reader *r, int depth);

spate_schema *schema_decode(sp_reader *r) { return decode_depth(r, 0); }

static spate_schema *decode_depth(sp_reader *r, int depth) {
  uint32_t n = sp_get_u32(r);
  if (!sp_reader_ok(r)) return NULL;
  /* Never trust the count: it must fit in what is left before we allocate for it. */
  if (n > INT32_MAX / 2 || (size_t)n * MIN_FIELD_BYTES > r->len - r->pos) {
    char msg[96];
    snprintf(msg, sizeof msg, "schema field count %u exceeds the remaining %zu bytes", n,
             r->len - r->pos);
    sp_reader_fail(r, msg);
    return NULL;
  }
  spate_schema *s = alloc_schema((int)n);
  if (!s) {
    sp_reader_fail(r, "out of memory decoding a schema");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    char *name = sp_get_str(r);
    uint8_t type = sp_get_u8(r);
    uint8_t flags = sp_get_u8(r);
    s->fields[i].name = name; /* owned by s from here, so the failure path frees it */
    if (!sp_reader_ok(r)) goto fail;
    if (!name || !name[0]) {
      sp_reader_fail(r, "schema field with no name");
      goto fail;
    }
    if (!type_kind_valid(type)) {
      char msg[64];
      snprintf(msg, sizeof msg, "schema field %u has bad type code %u", i, type);
      sp_reader_fail(r, msg);
      goto fail;
    }
    if (flags > 3) {
      sp_reader_fail(r, "schema field with bad flags");
      goto fail;
    }
    type_default(&s->fields[i], (spate_type)type);
    s->fields[i].nullable = flags & 1;
    if (flags & 2) {
      if (!type_decode_params(r, &s->fields[i])) goto fail;
      if (type_is_composite((spate_type)type)) {
        if (depth >= SCHEMA_MAX_DEPTH) {
          sp_reader_fail(r, "schema types nest deeper than 16 levels");
          goto fail;
        }
        if (!(s->fields[i].sub = decode_depth(r, depth + 1))) goto fail;
      }
      const char *why = type_check_sub(&s->fields[i]);
      if (!why && !type_has_params(&s->fields[i]))
        why = "schema field with parameters written that are its type's default (written without)";
      if (why) {
        sp_reader_fail(r, why);
        goto fail;
      }
    } else if (type > SPATE_TIMESTAMP) {
      sp_reader_fail(r, "schema field of a type with parameters has none");
      goto fail;
    }
    for (uint32_t j = 0; j < i; j++) {
      if (strcmp(s->fields[j].name, name) == 0) {
        sp_reader_fail(r, "schema with a duplicate field name");
        goto fail;
      }
    }
  }
  return s;
fail:
  schema_unref(s); /* free_fields skips the NULL names of fields not reached */
  return NULL;
}
