/*
 * socket_wordcount.c: Flink's SocketWindowWordCount example.
 *
 * Connects to a TCP server, reads text lines from it, and counts words per 5-second tumbling
 * processing-time window (--window <ms> changes the size; --window 0 keeps a running count per
 * word instead, printed after every word). The job ends when the server closes the connection.
 *
 *     socket source "socket-input" (parallelism 1)
 *       -> flat map "tokenizer" -> key by word
 *       -> tumbling processing-time window, reduce "counter" (or rolling sum)
 *       -> print "print-sink"
 *
 * Usage:
 *     spate run socket_wordcount.so [--hostname <host>] --port <port> [--window <ms>]
 *
 * To try it, start a server first, for example `nc -l 9000`, then run the job with --port 9000
 * and type lines into nc.
 *
 * The tokenizer is the one of wordcount.c (Java's `toLowerCase().split("\\W+")`), repeated here
 * so that each example is one self-contained file; see that file for the details.
 */
#include <stdio.h>
#include <stdlib.h>

#include <spate/spate.h>

/* A text source's row: one STRING, the line. */
SPATE_RECORD(line, (text, STRING));
SPATE_RECORD(word_count, (word, STRING_NOT_NULL), (count, BIGINT_NOT_NULL));

static int usage(void) {
  fprintf(stderr,
          "No port specified. Please run 'socket_wordcount.so --hostname <hostname> "
          "--port <port>', where hostname (localhost by default) and port is the "
          "address of the text server.\n"
          "To start a simple text server, run 'netcat -l <port>' and type the input text "
          "into the command line.\n");
  return 1;
}

/* Per-subtask scratch space for words that must be lower-cased (see wordcount.c). */
typedef struct tokenizer_buf {
  char *data;
  size_t cap;
} tokenizer_buf;

int socket_tokenizer_open(spate_ctx *ctx, void **user) {
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

void socket_tokenizer_close(spate_ctx *ctx, void *user) {
  (void)ctx;
  tokenizer_buf *b = user;
  if (b) free(b->data);
  free(b);
}

/* Java's toLowerCase + \W on the character at p: the lower-case ASCII word character it
 * contributes (0 for a separator), the bytes consumed, and whether it also ends the word. */
static char word_char_at(const unsigned char *p, const unsigned char *end, size_t *adv,
                         int *ends_word) {
  unsigned char c = *p;
  *adv = 1;
  *ends_word = 0;
  if (c >= 'A' && c <= 'Z') return (char)(c + ('a' - 'A'));
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') return (char)c;
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

/* Flat map: a line -> a word_count (word, 1) for every word of the line. Words are lower-cased
 * into the subtask's buffer, which grows only when a longer word arrives. */
int socket_tokenize(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  tokenizer_buf *buf = spate_ctx_user(ctx);
  spate_bytes text = line_text(in);
  const unsigned char *p = (const unsigned char *)text.ptr;
  const unsigned char *end = p + text.len;

  while (p < end) {
    size_t adv = 1, n = 0;
    int ends = 0;
    char c;
    while (p < end && (c = word_char_at(p, end, &adv, &ends)) != 0) {
      if (n == buf->cap) {
        char *grown = realloc(buf->data, buf->cap * 2);
        if (!grown) return spate_ctx_fail(ctx, "out of memory for a word of %zu bytes", n);
        buf->data = grown;
        buf->cap *= 2;
      }
      buf->data[n++] = c;
      p += adv;
      if (ends) break;
    }
    if (n > 0) {
      int rc = emit_word(out, buf->data, n);
      if (rc < 0) return rc;
    } else {
      p += adv; /* a separator */
    }
  }
  return 0;
}

/* The window's reduce: (word, a) + (word, b) = (word, a + b). */
int socket_sum_counts(spate_ctx *ctx, const spate_row *acc, const spate_row *in,
                      spate_row_builder *out) {
  struct word_count sum = word_count_read(acc);
  sum.count += word_count_count(in);
  word_count_write(out, &sum);
  return 0;
}

int spate_main(int argc, char **argv) {
  static const char *const needs_value[] = {"hostname", "port", "window", NULL};
  const char *bare = spate_arg_missing_value(argc, argv, needs_value);
  if (bare) {
    fprintf(stderr, "socket_wordcount: --%s needs a value\n", bare);
    return usage();
  }
  const char *hostname = spate_arg(argc, argv, "hostname", "localhost");
  const char *window_arg = spate_arg(argc, argv, "window", "5000");
  char *wend;
  long long window_ms = strtoll(window_arg, &wend, 10);
  if (*wend != '\0' || window_ms < 0) {
    fprintf(stderr, "Invalid --window '%s': expected milliseconds (0: a running count).\n",
            window_arg);
    return 1;
  }
  const char *port_arg = spate_arg(argc, argv, "port", NULL);
  if (!port_arg || !*port_arg) return usage();
  char *endp;
  long port = strtol(port_arg, &endp, 10);
  if (*endp != '\0' || port < 1 || port > 65535) {
    fprintf(stderr, "Invalid port '%s': expected a number from 1 to 65535.\n", port_arg);
    return usage();
  }

  spate_env *env = spate_env_create();
  spate_stream *text =
      spate_name(spate_socket_text_stream(env, hostname, (int)port), "socket-input");
  spate_stream *words =
      spate_name(spate_flat_map(text, socket_tokenize, word_count_schema()), "tokenizer");
  spate_udf_lifecycle(words, socket_tokenizer_open, socket_tokenizer_close);
  spate_stream *keyed = spate_key_by_name(words, "word");
  spate_stream *counts =
      window_ms > 0
          ? spate_window_reduce(
                spate_window(keyed, spate_tumbling_windows(SPATE_PROCESSING_TIME, window_ms, 0)),
                socket_sum_counts)
          : spate_sum_name(keyed, "count");
  spate_name(counts, "counter");
  spate_name(spate_print(counts, NULL), "print-sink");
  return spate_execute_main(env, "Socket Window WordCount");
}
