/*
 * file_sink_options.h: the options of the exactly-once file sink given by Flink's filesystem
 * connector keys (spate_file_sink_options.options), and the partition time of a partition
 * (Flink's DefaultPartTimeExtractor), shared by the API (which checks the options when the job
 * is built), the writer (connectors/file_sink.c) and the partition committer
 * (connectors/partition_committer.c), which parse them again from the job graph.
 *
 * Keys (values are strings, as in a Flink table's WITH clause):
 *   sink.rolling-policy.file-size            memory size ("128MB")
 *   sink.rolling-policy.rollover-interval    duration ("1 min")
 *   sink.rolling-policy.inactivity-interval  duration
 *   sink.rolling-policy.check-interval       duration
 *   sink.partition-commit.trigger            process-time (default) | partition-time
 *   sink.partition-commit.delay              duration, default 0
 *   sink.partition-commit.watermark-time-zone  UTC (default), GMT, Z, UT, or a fixed offset
 *                                            (+08:00, -5, UTC+8, GMT-05:30); region ids such as
 *                                            Asia/Shanghai are refused
 *   sink.partition-commit.policy.kind        comma-separated: success-file (metastore and custom
 *                                            are refused: no Hive metastore, no Java classes)
 *   sink.partition-commit.success-file.name  default _SUCCESS
 *   partition.time-extractor.kind            default (custom is refused)
 *   partition.time-extractor.timestamp-pattern  "$dt $hm:00": $key replaced by the partition
 *                                            value of key, keys in partition-key order; unset:
 *                                            the first partition value
 *   partition.time-extractor.timestamp-formatter  a DateTimeFormatter pattern of the letters
 *                                            y M d H m s (other letters are refused) and
 *                                            literals; unset: "yyyy-[M]M-[d]d[ [H]H:[m]m:[s]s
 *                                            [.fraction]]" as Flink's default parser
 * An unknown key, a key given twice or a value that does not parse is refused, naming the key.
 */
#ifndef SPATE_CONNECTORS_FILE_SINK_OPTIONS_H
#define SPATE_CONNECTORS_FILE_SINK_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph/op_params.h"
#include "types/schema.h"

enum { FS_TRIGGER_PROCESS_TIME = 0, FS_TRIGGER_PARTITION_TIME = 1 };

typedef struct fs_sink_options {
  /* rolling policy; 0: not given (the sink's own defaults apply) */
  int64_t file_size, rollover_ms, inactivity_ms, check_ms;
  /* partition commit */
  bool commit; /* a policy kind is given: the sink has a partition committer */
  bool success_file;
  int trigger; /* FS_TRIGGER_* */
  int64_t delay_ms;
  int64_t tz_offset_ms; /* of the watermark time zone, east of UTC positive */
  char *success_name;   /* owned; "_SUCCESS" by default */
  char *pattern;        /* owned; NULL: the first partition value */
  char *formatter;      /* owned; NULL: Flink's default parser */
} fs_sink_options;

/* What the writer subtasks send the committer (one row per partition whose files a completed
 * checkpoint published, then one with an empty partition: "subtask done for this checkpoint";
 * checkpoint INT64_MAX: the end of input): the fields' indexes, and the schema (a new
 * reference, NULL when out of memory). */
enum { FS_INFO_CHECKPOINT = 0, FS_INFO_SUBTASK = 1, FS_INFO_TASKS = 2, FS_INFO_PARTITION = 3 };
spate_schema *fs_commit_info_schema(void);

/* Parses the key/value list kv[0..n) (n even: key, value, key, value, ...). On error
 * SPATE_EINVAL and err names the key and the value; o is then freed. */
int fs_sink_options_parse(fs_sink_options *o, uint32_t n, const char *const *kv, char *err,
                          size_t err_len);
void fs_sink_options_free(fs_sink_options *o);

/* The partition time of partition path "k1=v1/k2=v2" (names and values escaped as the sink
 * writes them) of the partition keys: the extracted local date-time as epoch milliseconds in
 * the watermark time zone. SPATE_EINVAL with err naming the partition and the text when the
 * time cannot be extracted. */
int fs_partition_time(const fs_sink_options *o, const op_str_list *keys, const char *path,
                      int64_t *out_ms, char *err, size_t err_len);
#endif
