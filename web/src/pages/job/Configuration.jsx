// Configuration.jsx: the execution and user configuration.
export function JobConfigurationTab({ job, jobId }) {
  return <div class="todo">Configuration</div>;
}
