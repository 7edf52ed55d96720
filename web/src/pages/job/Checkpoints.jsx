// Checkpoints.jsx: checkpoint overview, history, summary, configuration and anatomy.
export function JobCheckpointsTab({ job, jobId, sub, base }) {
  return <div class="todo">Checkpoints</div>;
}
