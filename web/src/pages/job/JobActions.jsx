// JobActions.jsx: cancel and stop-with-savepoint buttons (features.web-cancel).
export function JobActions({ job, live, reload }) {
  return <div class="todo">JobActions</div>;
}
