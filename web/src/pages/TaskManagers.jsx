// TaskManagers.jsx: #/task-manager (the list) and #/task-manager/<id>/<tab> (one TaskManager).
export function TaskManagerListPage() {
  return <h1>Task Managers</h1>;
}

export function TaskManagerPage({ id, rest }) {
  return <h1>Task Manager {id}</h1>;
}
