/*
 * wordcount.c: Flink's streaming WordCount example as a Spate job.
 *
 * Reads text lines, splits them into lower-case words, and keeps a running count per word:
 *
 *     source ("file-input" or "in-memory-input")
 *       -> flat map "tokenizer"      (line -> (word, 1) for every word)
 *       -> key by word -> sum "counter"   (rolling count, one output per input word)
 *       -> sink ("file-sink" or "print-sink")
 *
 * Because the sum is a rolling aggregation on an unbounded-style stream, every word occurrence
 * produces an updated count, so "(to,1)" ... "(to,2)" ... appear in order; the last line for a
 * word is its total. With parallelism above 1 the counts for one word still come out in order
 * (one word always goes to the same subtask), but lines of different subtasks interleave.
 *
 * Usage:
 *     spate run [-p N] wordcount.so [--input <file or dir>]... [--output <path>]
 *
 * Without --input the job counts the words of a built-in text (the one Flink's example uses);
 * without --output it prints to stdout.
 *
 * The tokenizer does what Flink's does: `line.toLowerCase().split("\\W+")` minus empty tokens.
 * Java's \W (without the UNICODE_CHARACTER_CLASS flag) is anything but [a-zA-Z0-9_], so every
 * byte of a multi-byte UTF-8 character separates words. Java's toLowerCase maps exactly two
 * non-ASCII characters to ASCII letters, and they are handled here too so the output matches:
 * the Kelvin sign U+212A becomes "k", and U+0130 (capital I with dot) becomes "i" followed by a
 * combining dot, which is a separator.
 *
 * The per-record path allocates nothing: words that are already lower case are handed to the
 * row builder straight from the input row, and the others are lower-cased into a buffer owned by
 * the subtask (created in tokenizer_open, kept through spate_ctx_user) that grows only when a
 * longer word arrives, so a line of 10 MB works and costs one growth.
 *
 * Records are typed (SPATE_RECORD): the text sources' rows are `line`s, the counts
 * `word_count`s, keyed and summed by field name as Flink's keyBy("word").sum("count").
 */
#include <stdio.h>
#include <stdlib.h>

#include <spate/spate.h>

/* A text source's row: one STRING, the line (Flink's DataStream<String>). */
SPATE_RECORD(line, (text, STRING));
SPATE_RECORD(word_count, (word, STRING_NOT_NULL), (count, BIGINT_NOT_NULL));

/* Flink's WordCountData.WORDS: the opening of Hamlet's soliloquy (public domain). */
static const char *const WORDS[] = {
    "To be, or not to be,--that is the question:--",
    "Whether 'tis nobler in the mind to suffer",
    "The slings and arrows of outrageous fortune",
    "Or to take arms against a sea of troubles,",
    "And by opposing end them?--To die,--to sleep,--",
    "No more; and by a sleep to say we end",
    "The heartache, and the thousand natural shocks",
    "That flesh is heir to,--'tis a consummation",
    "Devoutly to be wish'd. To die,--to sleep;--",
    "To sleep! perchance to dream:--ay, there's the rub;",
    "For in that sleep of death what dreams may come,",
    "When we have shuffled off this mortal coil,",
    "Must give us pause: there's the respect",
    "That makes calamity of so long life;",
    "For who would bear the whips and scorns of time,",
    "The oppressor's wrong, the proud man's contumely,",
    "The pangs of despis'd love, the law's delay,",
    "The insolence of office, and the spurns",
    "That patient merit of the unworthy takes,",
    "When he himself might his quietus make",
    "With a bare bodkin? who would these fardels bear,",
    "To grunt and sweat under a weary life,",
    "But that the dread of something after death,--",
    "The undiscover'd country, from whose bourn",
    "No traveller returns,--puzzles the will,",
    "And makes us rather bear those ills we have",
    "Than fly to others that we know not of?",
    "Thus conscience does make cowards of us all;",
    "And thus the native hue of resolution",
    "Is sicklied o'er with the pale cast of thought;",
    "And enterprises of great pith and moment,",
    "With this regard, their currents turn awry,",
    "And lose the name of action.--Soft you now!",
    "The fair Ophelia!--Nymph, in thy orisons",
    "Be all my sins remember'd.",
};

/* The tokenizer's per-subtask scratch space for words that must be lower-cased. */
typedef struct tokenizer_buf {
  char *data;
  size_t cap;
} tokenizer_buf;

int tokenizer_open(spate_ctx *ctx, void **user) {
  tokenizer_buf *b = calloc(1, sizeof *b);
  if (!b) return spate_ctx_fail(ctx, "out of memory");
  b->cap = 256;
  b->data = malloc(b->cap);
  if (!b->data) {
    free(b);
    return spate_ctx_fail(ctx, "out of memory");
  }
  *user = b;
  return 0;
}

void tokenizer_close(spate_ctx *ctx, void *user) {
  (void)ctx;
  tokenizer_buf *b = user;
  if (b) free(b->data);
  free(b);
}

static int is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Looks at the character starting at p (before end) as Java's toLowerCase + \W would. Returns
 * the lower-case ASCII word character it contributes (0 for a separator) and sets *adv to the
 * bytes consumed and *ends_word when the character also ends the word after contributing. */
static char word_char_at(const unsigned char *p, const unsigned char *end, size_t *adv,
                         int *ends_word) {
  *adv = 1;
  *ends_word = 0;
  if (is_word_byte(*p)) return (char)((*p >= 'A' && *p <= 'Z') ? *p + ('a' - 'A') : *p);
  if (end - p >= 3 && p[0] == 0xE2 && p[1] == 0x84 && p[2] == 0xAA) { /* U+212A KELVIN SIGN */
    *adv = 3;
    return 'k';
  }
  if (end - p >= 2 && p[0] == 0xC4 && p[1] == 0xB0) { /* U+0130 -> "i" + U+0307 */
    *adv = 2;
    *ends_word = 1;
    return 'i';
  }
  return 0;
}

static int emit_word(spate_collector *out, const char *w, size_t len) {
  return word_count_emit(out, &(struct word_count){{w, (uint32_t)len}, 1});
}

/* Flat map: a line -> a word_count (word, 1) for every word of the line. */
int tokenize(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  tokenizer_buf *buf = spate_ctx_user(ctx);
  spate_bytes text = line_text(in);
  const unsigned char *p = (const unsigned char *)text.ptr;
  const unsigned char *end = p + text.len;

  while (p < end) {
    size_t adv;
    int ends;
    if (!word_char_at(p, end, &adv, &ends)) {
      p += adv;
      continue;
    }
    /* A word starts at p. First try the common case: it is already lower-case ASCII, so it can
     * be emitted from the input row in place. */
    const unsigned char *start = p;
    while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) p++;
    if (p == end || !word_char_at(p, end, &adv, &ends)) {
      int rc = emit_word(out, (const char *)start, (size_t)(p - start));
      if (rc < 0) return rc;
      continue;
    }
    /* The word goes on with a character that needs lower-casing: copy it into the buffer. */
    size_t n = 0;
    p = start;
    for (;;) {
      char c = word_char_at(p, end, &adv, &ends);
      if (!c) break;
      if (n == buf->cap) {
        size_t cap = buf->cap * 2;
        char *grown = realloc(buf->data, cap);
        if (!grown) return spate_ctx_fail(ctx, "out of memory for a word of %zu bytes", n);
        buf->data = grown;
        buf->cap = cap;
      }
      buf->data[n++] = c;
      p += adv;
      if (ends || p == end) break;
    }
    int rc = emit_word(out, buf->data, n);
    if (rc < 0) return rc;
  }
  return 0;
}

int spate_main(int argc, char **argv) {
  static const char *const needs_value[] = {"input", "output", NULL};
  const char *bare = spate_arg_missing_value(argc, argv, needs_value);
  if (bare) {
    fprintf(stderr, "wordcount: --%s needs a value (a path)\n", bare);
    return 1;
  }
  const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
  if (!inputs) {
    fprintf(stderr, "wordcount: out of memory\n");
    return 1;
  }
  int ninputs = spate_arg_all(argc, argv, "input", inputs, argc);
  const char *output = spate_arg(argc, argv, "output", NULL);

  spate_env *env = spate_env_create();
  spate_stream *text;
  if (ninputs > 0) {
    text = spate_name(spate_read_text_files(env, inputs, (size_t)ninputs), "file-input");
  } else {
    /* Hints go to stderr so that stdout holds only results (and `spate info`'s plan). */
    fprintf(stderr,
            "Executing WordCount example with default input data set.\n"
            "Use --input to specify file input.\n");
    text = spate_name(spate_from_strings(env, WORDS, sizeof WORDS / sizeof WORDS[0]),
                      "in-memory-input");
  }

  spate_stream *words =
      spate_name(spate_flat_map(text, tokenize, word_count_schema()), "tokenizer");
  spate_udf_lifecycle(words, tokenizer_open, tokenizer_close);
  spate_stream *counts =
      spate_name(spate_sum_name(spate_key_by_name(words, "word"), "count"), "counter");

  if (output) {
    spate_name(spate_write_text(counts, output), "file-sink");
  } else {
    fprintf(stderr, "Printing result to stdout. Use --output to specify output path.\n");
    spate_name(spate_print(counts, NULL), "print-sink");
  }
  int rc = spate_execute_main(env, "WordCount");
  free(inputs);
  return rc;
}
