/*
 * type_desc.c: the type descriptor of a schema field (kind, precision, scale, interval unit,
 * length): Flink's SQL type syntax read and written, defaults, equality, and the parameters'
 * byte form inside an encoded schema.
 *
 * The syntax is Flink's (LogicalTypeParser): DECIMAL(p, s), VARCHAR(n), TIMESTAMP(p) WITH LOCAL
 * TIME ZONE, INTERVAL DAY(p) TO SECOND(f), DOUBLE PRECISION, ... with the bounds Flink checks
 * (DECIMAL precision 1..38 and scale 0..p, TIME and TIMESTAMP precision 0..9, interval leading
 * precision 1..6 and fraction 0..9, lengths 1..2147483647). Spate's earlier spellings keep their
 * meaning: a bare TIMESTAMP is TIMESTAMP(3) (Spate's TIMESTAMP was milliseconds before types had
 * parameters; Flink's default would be 6), a bare VARCHAR is STRING and a bare VARBINARY is BYTES.
 *
 * Printing follows Flink's LogicalType.asSummaryString: "DECIMAL(10, 2)", "STRING" for
 * VARCHAR(2147483647), "BYTES" for VARBINARY(2147483647), "TIMESTAMP_LTZ(3)",
 * "INTERVAL DAY(2) TO SECOND(3)", "INTERVAL YEAR(2) TO MONTH", "INTERVAL MONTH",
 * "INTERVAL HOUR TO MINUTE", "INTERVAL SECOND(3)". Every printed type parses back to itself.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "types/schema.h"

void type_default(schema_field *f, spate_type t) {
  f->type = t;
  f->sub = NULL;
  f->precision = f->scale = f->unit = 0;
  f->length = 0;
  switch (t) {
  case SPATE_DECIMAL: f->precision = 10; break;
  case SPATE_TIMESTAMP: f->precision = 3; break;
  case SPATE_TIMESTAMP_LTZ: f->precision = 6; break;
  case SPATE_STRING:
  case SPATE_BYTES: f->length = SCHEMA_MAX_LENGTH; break;
  case SPATE_CHAR:
  case SPATE_BINARY: f->length = 1; break;
  case SPATE_INTERVAL_YM:
    f->unit = SPATE_INTERVAL_YEAR_TO_MONTH;
    f->precision = 2;
    break;
  case SPATE_INTERVAL_DT:
    f->unit = SPATE_INTERVAL_DAY_TO_SECOND;
    f->precision = 2;
    f->scale = 6;
    break;
  default: break;
  }
}

bool schema_type_equal(const schema_field *a, const schema_field *b) {
  return a->type == b->type && a->precision == b->precision && a->scale == b->scale &&
         a->unit == b->unit && a->length == b->length && schema_equal(a->sub, b->sub);
}

/* The parts of an ARRAY, MAP and MULTISET have fixed names (the text form does not write them),
 * so that a decoded descriptor prints as text that parses back to it. */
static bool named(const spate_schema *s, const char *a, const char *b) {
  return strcmp(s->fields[0].name, a) == 0 && (!b || strcmp(s->fields[1].name, b) == 0);
}

const char *type_check_sub(const schema_field *f) {
  const spate_schema *s = f->sub;
  switch (f->type) {
  case SPATE_ARRAY:
    return s && s->nfields == 1 && named(s, "element", NULL) ? NULL
                                                             : "an ARRAY needs one element type";
  case SPATE_MAP:
    return s && s->nfields == 2 && named(s, "key", "value") ? NULL
                                                            : "a MAP needs a key and a value type";
  case SPATE_MULTISET:
    return s && s->nfields == 2 && named(s, "key", "value") && s->fields[1].type == SPATE_INT &&
                   !s->fields[1].nullable
               ? NULL
               : "a MULTISET needs an element type and INT NOT NULL counts";
  case SPATE_ROW: return s && s->nfields >= 1 ? NULL : "a ROW needs at least one field";
  default: return s ? "a part schema on a type that has none" : NULL;
  }
}

static const char *const unit_names[] = {
    [SPATE_INTERVAL_YEAR] = "YEAR",
    [SPATE_INTERVAL_YEAR_TO_MONTH] = "YEAR TO MONTH",
    [SPATE_INTERVAL_MONTH] = "MONTH",
    [SPATE_INTERVAL_DAY] = "DAY",
    [SPATE_INTERVAL_DAY_TO_HOUR] = "DAY TO HOUR",
    [SPATE_INTERVAL_DAY_TO_MINUTE] = "DAY TO MINUTE",
    [SPATE_INTERVAL_DAY_TO_SECOND] = "DAY TO SECOND",
    [SPATE_INTERVAL_HOUR] = "HOUR",
    [SPATE_INTERVAL_HOUR_TO_MINUTE] = "HOUR TO MINUTE",
    [SPATE_INTERVAL_HOUR_TO_SECOND] = "HOUR TO SECOND",
    [SPATE_INTERVAL_MINUTE] = "MINUTE",
    [SPATE_INTERVAL_MINUTE_TO_SECOND] = "MINUTE TO SECOND",
    [SPATE_INTERVAL_SECOND] = "SECOND",
};

static bool unit_has_seconds(int u) {
  return u == SPATE_INTERVAL_DAY_TO_SECOND || u == SPATE_INTERVAL_HOUR_TO_SECOND ||
         u == SPATE_INTERVAL_MINUTE_TO_SECOND || u == SPATE_INTERVAL_SECOND;
}

size_t type_to_string(const schema_field *f, char *buf) {
  const size_t cap = TYPE_NAME_MAX;
  switch (f->type) {
  case SPATE_DECIMAL: return (size_t)snprintf(buf, cap, "DECIMAL(%d, %d)", f->precision, f->scale);
  case SPATE_STRING:
    if (f->length == SCHEMA_MAX_LENGTH) break;
    return (size_t)snprintf(buf, cap, "VARCHAR(%d)", (int)f->length);
  case SPATE_BYTES:
    if (f->length == SCHEMA_MAX_LENGTH) break;
    return (size_t)snprintf(buf, cap, "VARBINARY(%d)", (int)f->length);
  case SPATE_CHAR: return (size_t)snprintf(buf, cap, "CHAR(%d)", (int)f->length);
  case SPATE_BINARY: return (size_t)snprintf(buf, cap, "BINARY(%d)", (int)f->length);
  case SPATE_TIME: return (size_t)snprintf(buf, cap, "TIME(%d)", f->precision);
  case SPATE_TIMESTAMP: return (size_t)snprintf(buf, cap, "TIMESTAMP(%d)", f->precision);
  case SPATE_TIMESTAMP_LTZ: return (size_t)snprintf(buf, cap, "TIMESTAMP_LTZ(%d)", f->precision);
  case SPATE_INTERVAL_YM:
    if (f->unit == SPATE_INTERVAL_MONTH) return (size_t)snprintf(buf, cap, "INTERVAL MONTH");
    return (size_t)snprintf(buf, cap, "INTERVAL YEAR(%d)%s", f->precision,
                            f->unit == SPATE_INTERVAL_YEAR_TO_MONTH ? " TO MONTH" : "");
  case SPATE_INTERVAL_DT: {
    /* Flink writes the day precision only where DAY leads and the fraction only where SECOND
     * ends; "INTERVAL DAY(2) TO SECOND(3)", "INTERVAL HOUR TO MINUTE", "INTERVAL SECOND(3)". */
    int u = f->unit;
    size_t n;
    if (u >= SPATE_INTERVAL_DAY && u <= SPATE_INTERVAL_DAY_TO_SECOND)
      n = (size_t)snprintf(buf, cap, "INTERVAL DAY(%d)%s", f->precision,
                           u == SPATE_INTERVAL_DAY ? "" : unit_names[u] + 3);
    else
      n = (size_t)snprintf(buf, cap, "INTERVAL %s", unit_names[u]);
    if (unit_has_seconds(u)) n += (size_t)snprintf(buf + n, cap - n, "(%d)", f->scale);
    return n;
  }
  default: break;
  }
  return (size_t)snprintf(buf, cap, "%s", schema_type_name(f->type)); /* composites: the kind */
}

size_t spate_schema_field_type_string(const spate_schema *schema, int i, char *buf, size_t cap) {
  if (cap) buf[0] = 0;
  if (!schema || i < 0 || i >= schema->nfields) return 0;
  sp_strbuf sb = {0};
  if (schema_type_text(&sb, &schema->fields[i]) != 0 ||
      (!schema->fields[i].nullable && sp_strbuf_add(&sb, " NOT NULL") != 0)) {
    sp_strbuf_free(&sb);
    return 0;
  }
  size_t n = sb.len;
  if (cap) snprintf(buf, cap, "%.*s", (int)n, sb.data);
  sp_strbuf_free(&sb);
  return n;
}

/* ---------------------------------------------------------------------------------------------
 * Text form. */

typedef struct tparser {
  const char *p;
  const char *at; /* where the error is */
  const char *what;
  char *whatbuf;
  size_t whatlen;
} tparser;

static void skip(tparser *t) {
  while (isspace((unsigned char)*t->p)) t->p++;
}

static size_t word_len(const char *q) {
  if (!isalpha((unsigned char)*q) && *q != '_') return 0;
  size_t n = 0;
  while (isalnum((unsigned char)q[n]) || q[n] == '_') n++;
  return n;
}

static bool is_kw(const char *w, size_t n, const char *kw) {
  return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

/* Consumes the keyword kw after spaces, or leaves the position alone and returns false. */
static bool accept_kw(tparser *t, const char *kw) {
  const char *save = t->p;
  skip(t);
  size_t n = word_len(t->p);
  if (n && is_kw(t->p, n, kw)) {
    t->p += n;
    return true;
  }
  t->p = save;
  return false;
}

static int fail_at(tparser *t, const char *at, const char *what) {
  t->at = at;
  t->what = what;
  return SPATE_EINVAL;
}

static int expect_kw(tparser *t, const char *kw) {
  if (accept_kw(t, kw)) return 0;
  skip(t);
  snprintf(t->whatbuf, t->whatlen, "expected %s", kw);
  return fail_at(t, t->p, t->whatbuf);
}

/* An optional "(n)" or "(n, m)": returns how many numbers were read (0 when there is no
 * parenthesis), at most max; -1 on error. Each number is checked against [lo, hi] by the caller. */
static int paren_ints(tparser *t, long long *v, int max) {
  const char *save = t->p;
  skip(t);
  if (*t->p != '(') {
    t->p = save;
    return 0;
  }
  t->p++;
  int k = 0;
  for (;;) {
    skip(t);
    if (!isdigit((unsigned char)*t->p)) {
      fail_at(t, t->p,
              *t->p ? "expected a number in the type's parameters"
                    : "the type's parameters are not closed");
      return -1;
    }
    long long x = 0;
    while (isdigit((unsigned char)*t->p)) {
      if (x < 10000000000LL) x = x * 10 + (*t->p - '0');
      t->p++;
    }
    v[k++] = x;
    skip(t);
    if (*t->p == ')') {
      t->p++;
      return k;
    }
    if (!*t->p) {
      fail_at(t, t->p, "the type's parameters are not closed");
      return -1;
    }
    if (*t->p != ',' || k == max) {
      fail_at(t, t->p,
              *t->p == ',' ? "too many type parameters"
                           : "expected ',' or ')' in the type's parameters");
      return -1;
    }
    t->p++;
  }
}

static int range_fail(tparser *t, const char *at, const char *what, long long lo, long long hi) {
  snprintf(t->whatbuf, t->whatlen, "%s must be between %lld and %lld", what, lo, hi);
  return fail_at(t, at, t->whatbuf);
}

/* "(p)" with lo <= p <= hi into *out, or def when absent. */
static int opt_precision(tparser *t, const char *what, long long lo, long long hi, long long def,
                         long long *out) {
  skip(t);
  const char *at = t->p;
  long long v[1];
  int k = paren_ints(t, v, 1);
  if (k < 0) return SPATE_EINVAL;
  *out = k ? v[0] : def;
  if (*out < lo || *out > hi) return range_fail(t, at, what, lo, hi);
  return 0;
}

static int parse_interval(tparser *t, schema_field *f) {
  skip(t);
  const char *at = t->p;
  size_t n = word_len(t->p);
  static const char *const leads[] = {"YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"};
  int lead = -1;
  for (int k = 0; k < 6; k++)
    if (n && is_kw(t->p, n, leads[k])) lead = k;
  if (lead < 0) return fail_at(t, at, "expected YEAR, MONTH, DAY, HOUR, MINUTE or SECOND");
  t->p += n;
  long long p = 2, frac = 6;
  if (lead == 0 || lead == 2) {
    if (opt_precision(t, lead == 0 ? "the year precision" : "the day precision", 1, 6, 2, &p))
      return SPATE_EINVAL;
  }
  if (lead <= 1) {
    f->type = SPATE_INTERVAL_YM;
    f->precision = (uint8_t)p;
    f->unit = lead == 1 ? SPATE_INTERVAL_MONTH : SPATE_INTERVAL_YEAR;
    if (lead == 0 && accept_kw(t, "TO")) {
      if (expect_kw(t, "MONTH")) return SPATE_EINVAL;
      f->unit = SPATE_INTERVAL_YEAR_TO_MONTH;
    }
    return 0;
  }
  f->type = SPATE_INTERVAL_DT;
  static const int alone[] = {
      0, 0, SPATE_INTERVAL_DAY, SPATE_INTERVAL_HOUR, SPATE_INTERVAL_MINUTE, SPATE_INTERVAL_SECOND};
  int unit = alone[lead];
  if (lead == 5) {
    if (opt_precision(t, "the fractional precision", 0, 9, 6, &frac)) return SPATE_EINVAL;
  } else if (accept_kw(t, "TO")) {
    skip(t);
    const char *to_at = t->p;
    size_t m = word_len(t->p);
    int to = -1;
    for (int k = lead + 1; k < 6; k++)
      if (m && is_kw(t->p, m, leads[k])) to = k;
    if (to < 0) {
      snprintf(t->whatbuf, t->whatlen, "expected %s after TO",
               lead == 2   ? "HOUR, MINUTE or SECOND"
               : lead == 3 ? "MINUTE or SECOND"
                           : "SECOND");
      return fail_at(t, to_at, t->whatbuf);
    }
    t->p += m;
    /* DAY TO HOUR .. MINUTE TO SECOND, numbered as in spate_interval_unit */
    if (lead == 2) unit = SPATE_INTERVAL_DAY + (to - 2);
    if (lead == 3) unit = SPATE_INTERVAL_HOUR + (to - 3);
    if (lead == 4) unit = SPATE_INTERVAL_MINUTE_TO_SECOND;
    if (to == 5 && opt_precision(t, "the fractional precision", 0, 9, 6, &frac))
      return SPATE_EINVAL;
  }
  f->unit = (uint8_t)unit;
  f->precision = (uint8_t)p;
  f->scale = (uint8_t)frac;
  return 0;
}

int type_parse(const char **pp, schema_field *f, const char **at, char *whatbuf, size_t whatlen) {
  tparser t = {*pp, *pp, NULL, whatbuf, whatlen};
  const char *start = t.p;
  size_t n = word_len(t.p);
  int rc = 0;
  long long v[2], x;
  int k;
#define IS(kw) is_kw(start, n, kw)
  if (n == 0) {
    rc = fail_at(&t, start, "expected a type");
    goto out;
  }
  t.p += n;
  if (IS("BOOLEAN") || IS("BOOL")) {
    type_default(f, SPATE_BOOLEAN);
  } else if (IS("TINYINT")) {
    type_default(f, SPATE_TINYINT);
  } else if (IS("SMALLINT")) {
    type_default(f, SPATE_SMALLINT);
  } else if (IS("INT") || IS("INTEGER")) {
    type_default(f, SPATE_INT);
  } else if (IS("BIGINT") || IS("LONG")) {
    type_default(f, SPATE_BIGINT);
  } else if (IS("FLOAT") || IS("REAL")) {
    type_default(f, SPATE_FLOAT);
  } else if (IS("DOUBLE")) {
    type_default(f, SPATE_DOUBLE);
    accept_kw(&t, "PRECISION");
  } else if (IS("DATE")) {
    type_default(f, SPATE_DATE);
  } else if (IS("STRING")) {
    type_default(f, SPATE_STRING);
  } else if (IS("BYTES")) {
    type_default(f, SPATE_BYTES);
  } else if (IS("DECIMAL") || IS("DEC") || IS("NUMERIC")) {
    type_default(f, SPATE_DECIMAL);
    skip(&t);
    const char *pat = t.p;
    if ((k = paren_ints(&t, v, 2)) < 0) goto fail;
    if (k >= 1) {
      if (v[0] < 1 || v[0] > 38) {
        rc = range_fail(&t, pat, "DECIMAL precision", 1, 38);
        goto out;
      }
      f->precision = (uint8_t)v[0];
      f->scale = 0;
    }
    if (k == 2) {
      if (v[1] > v[0]) {
        rc = range_fail(&t, pat, "DECIMAL scale", 0, v[0]);
        goto out;
      }
      f->scale = (uint8_t)v[1];
    }
  } else if (IS("CHAR") || IS("VARCHAR") || IS("BINARY") || IS("VARBINARY")) {
    bool chars = IS("CHAR") || IS("VARCHAR"), fixed = IS("CHAR") || IS("BINARY");
    /* Bare VARCHAR and VARBINARY are Spate's STRING and BYTES; bare CHAR and BINARY are
     * CHAR(1) and BINARY(1) as in Flink. */
    type_default(f, fixed   ? (chars ? SPATE_CHAR : SPATE_BINARY)
                    : chars ? SPATE_STRING
                            : SPATE_BYTES);
    skip(&t);
    const char *pat = t.p;
    if ((k = paren_ints(&t, v, 1)) < 0) goto fail;
    if (k == 1) {
      if (v[0] < 1 || v[0] > SCHEMA_MAX_LENGTH) {
        rc = range_fail(&t, pat, "the length", 1, SCHEMA_MAX_LENGTH);
        goto out;
      }
      f->length = (int32_t)v[0];
    }
  } else if (IS("TIME")) {
    type_default(f, SPATE_TIME);
    if (opt_precision(&t, "TIME precision", 0, 9, 0, &x)) goto fail;
    f->precision = (uint8_t)x;
    if (accept_kw(&t, "WITHOUT")) {
      if (expect_kw(&t, "TIME") || expect_kw(&t, "ZONE")) goto fail;
    }
  } else if (IS("TIMESTAMP") || IS("TIMESTAMP_LTZ")) {
    bool ltz = IS("TIMESTAMP_LTZ");
    type_default(f, ltz ? SPATE_TIMESTAMP_LTZ : SPATE_TIMESTAMP);
    skip(&t);
    bool given = *t.p == '(';
    if (opt_precision(&t, "TIMESTAMP precision", 0, 9, ltz ? 6 : 3, &x)) goto fail;
    f->precision = (uint8_t)x;
    if (!ltz && accept_kw(&t, "WITHOUT")) {
      if (expect_kw(&t, "TIME") || expect_kw(&t, "ZONE")) goto fail;
    } else if (!ltz && accept_kw(&t, "WITH")) {
      if (expect_kw(&t, "LOCAL") || expect_kw(&t, "TIME") || expect_kw(&t, "ZONE")) goto fail;
      f->type = SPATE_TIMESTAMP_LTZ;
      if (!given) f->precision = 6; /* Flink's default for the SQL spelling */
    }
  } else if (IS("INTERVAL")) {
    if (parse_interval(&t, f)) goto fail;
  } else {
    snprintf(whatbuf, whatlen, "unknown type '%.*s'", (int)(n > 64 ? 64 : n), start);
    rc = fail_at(&t, start, whatbuf);
    goto out;
  }
#undef IS
  *pp = t.p;
  return 0;
fail:
  rc = SPATE_EINVAL;
out:
  *at = t.at;
  if (t.what != whatbuf) snprintf(whatbuf, whatlen, "%s", t.what ? t.what : "bad type");
  return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Byte form of the parameters: u8 precision, u8 scale, u8 unit, i32 length. A field of one of
 * the seven first kinds with its default descriptor is written without them, so that schemas
 * without new types encode to the bytes they always did and old bytes decode unchanged. */

bool type_kind_valid(unsigned kind) { return kind >= SPATE_BOOLEAN && kind <= SPATE_MULTISET; }

bool type_has_params(const schema_field *f) {
  if (f->type > SPATE_TIMESTAMP) return true;
  schema_field d;
  type_default(&d, f->type);
  return !schema_type_equal(f, &d);
}

void type_encode_params(sp_writer *w, const schema_field *f) {
  sp_put_u8(w, f->precision);
  sp_put_u8(w, f->scale);
  sp_put_u8(w, f->unit);
  sp_put_i32(w, f->length);
}

/* The parameters a kind may carry, each checked as the parser would have built it. */
static const char *check_params(const schema_field *f) {
  bool p0 = f->precision == 0, s0 = f->scale == 0, u0 = f->unit == 0, l0 = f->length == 0;
  switch (f->type) {
  case SPATE_DECIMAL:
    if (f->precision < 1 || f->precision > 38 || f->scale > f->precision || !u0 || !l0)
      return "bad DECIMAL precision or scale";
    return NULL;
  case SPATE_TIME:
  case SPATE_TIMESTAMP:
  case SPATE_TIMESTAMP_LTZ:
    if (f->precision > 9 || !s0 || !u0 || !l0) return "bad time precision";
    return NULL;
  case SPATE_STRING:
  case SPATE_BYTES:
  case SPATE_CHAR:
  case SPATE_BINARY:
    if (f->length < 1 || !p0 || !s0 || !u0) return "bad length";
    return NULL;
  /* A parameter the text form does not write (the year precision of INTERVAL MONTH, the day
   * precision where DAY does not lead, the fraction where SECOND does not end) keeps its default,
   * as the parser leaves it, so that every descriptor prints as text that reads back as it. */
  case SPATE_INTERVAL_YM:
    if (f->unit < SPATE_INTERVAL_YEAR || f->unit > SPATE_INTERVAL_MONTH || f->precision < 1 ||
        f->precision > 6 || !s0 || !l0 || (f->unit == SPATE_INTERVAL_MONTH && f->precision != 2))
      return "bad INTERVAL YEAR TO MONTH parameters";
    return NULL;
  case SPATE_INTERVAL_DT:
    if (f->unit < SPATE_INTERVAL_DAY || f->unit > SPATE_INTERVAL_SECOND || f->precision < 1 ||
        f->precision > 6 || f->scale > 9 || !l0 ||
        (f->unit > SPATE_INTERVAL_DAY_TO_SECOND && f->precision != 2) ||
        (!unit_has_seconds(f->unit) && f->scale != 6))
      return "bad INTERVAL DAY TO SECOND parameters";
    return NULL;
  default: return p0 && s0 && u0 && l0 ? NULL : "parameters on a type that has none";
  }
}

bool type_decode_params(sp_reader *r, schema_field *f) {
  f->precision = sp_get_u8(r);
  f->scale = sp_get_u8(r);
  f->unit = sp_get_u8(r);
  f->length = sp_get_i32(r);
  if (!sp_reader_ok(r)) return false;
  const char *why = check_params(f);
  if (why) {
    char msg[96];
    snprintf(msg, sizeof msg, "schema field of type %s: %s", schema_type_name(f->type), why);
    sp_reader_fail(r, msg);
    return false;
  }
  return true;
}
