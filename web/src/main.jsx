// main.jsx: the dashboard's entry point: mounts the app shell on #app.
import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { App } from './app.jsx';

// Preact appends to what the container holds: the boot message goes first.
const root = document.getElementById('app');
root.textContent = '';
render(<App />, root);
