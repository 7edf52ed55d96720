/*
 * task_metrics.c: the readers of what a task measures (task_metrics.h), on any thread. Every
 * figure is a single-writer cell of the task thread or the seqlock of its time accounting, so a
 * read takes no lock and never stalls the task.
 */
#include "runtime/task_metrics.h"

#include "base/clock.h"
#include "runtime/operator.h"
#include "runtime/task_cells.h"

/* Records on an output that feeds other tasks (its emits go through record writers). */
static uint64_t to_writers(const op_output *o) { return o->nwriters ? sw_get(o->records_out) : 0; }

void task_metrics_read(const task *t, task_metrics_view *out) {
  const task_cells *c = task_cells_of(t);
  *out = (task_metrics_view){.input_watermark = sw_get_i64(&c->input_watermark)};
  task_time_view tv;
  task_time_read(&c->time, sp_mono_ns(), &tv);
  out->busy_ns = tv.busy_ns;
  out->idle_ns = tv.idle_ns;
  out->backpressured_ns = tv.backpressured_ns;
  out->elapsed_ns = tv.elapsed_ns;
  out->bytes_in = sw_get(&c->bytes_in);
  out->bytes_out = sw_get(&c->bytes_out);
  op_t *const *ops;
  int n = task_wired_ops(t, &ops);
  if (n == 0) return;
  out->records_in = sw_get(&ops[0]->records_in);
  for (int i = 0; i < n; i++) {
    out->records_out += to_writers(&ops[i]->out);
    for (int s = 0; s < ops[i]->nsides; s++) out->records_out += to_writers(&ops[i]->sides[s].out);
  }
}

int task_metrics_operators(const task *t) { return task_vertex(t)->nnodes; }

int task_metrics_operator_node(const task *t, int i) {
  const jg_vertex *v = task_vertex(t);
  return i >= 0 && i < v->nnodes ? v->nodes[i] : -1;
}

/* Operator i once wired, else NULL. */
static const op_t *op_at(const task *t, int i) {
  op_t *const *ops;
  int n = task_wired_ops(t, &ops);
  return i >= 0 && i < n ? ops[i] : NULL;
}

void task_metrics_read_operator(const task *t, int i, task_op_metrics *out) {
  *out = (task_op_metrics){.input_watermark = INT64_MIN, .output_watermark = INT64_MIN};
  const op_t *op = op_at(t, i);
  if (!op) return;
  out->records_in = sw_get(&op->records_in);
  out->records_out = sw_get(&op->records_out);
  out->late_records_dropped = sw_get(&op->late_records_dropped);
  out->input_watermark = sw_get_i64(&op->input_watermark);
  out->output_watermark = sw_get_i64(&op->output_watermark);
}

int task_metrics_user_count(const task *t, int i) {
  const op_t *op = op_at(t, i);
  return op ? user_metrics_count(&op->umetrics) : 0;
}

int task_metrics_read_user(const task *t, int i, int m, task_user_metric *out) {
  *out = (task_user_metric){0};
  const op_t *op = op_at(t, i);
  const user_metric *u = op ? user_metrics_get(&op->umetrics, m) : NULL;
  if (!u) return SPATE_ENOENT;
  out->name = u->name;
  out->kind = u->kind;
  switch (u->kind) {
  case USER_COUNTER:
  case USER_METER: out->count = sw_get_i64(&u->count); return 0;
  case USER_GAUGE: out->value = spate_gauge_value((const spate_gauge *)u); return 0;
  default: {
    int rc = user_histogram_read(u, &out->hist);
    out->count = (int64_t)out->hist.count;
    return rc;
  }
  }
}
