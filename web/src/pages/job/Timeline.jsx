// Timeline.jsx: vertex and subtask state durations as a Gantt chart.
export function JobTimelineTab({ job, jobId }) {
  return <div class="todo">Timeline</div>;
}
