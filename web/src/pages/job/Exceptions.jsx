// Exceptions.jsx: the root exception and the exception history.
export function JobExceptionsTab({ job, jobId }) {
  return <div class="todo">Exceptions</div>;
}
