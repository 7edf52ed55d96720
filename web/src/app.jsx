export function App() {
  return <p>Spate</p>;
}
