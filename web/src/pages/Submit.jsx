// Submit.jsx: #/submit: upload a job shared object, set its arguments, show its plan, run it.
export function SubmitPage() {
  return <h1>Submit New Job</h1>;
}
