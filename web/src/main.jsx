// main.jsx: the dashboard's entry point: mounts the app shell on #app.
import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { App } from './app.jsx';

// The boot message is static HTML, not Preact's: remove it, or render() keeps it above the app.
const root = document.getElementById('app');
root.textContent = '';
render(<App />, root);
