// main.jsx: the dashboard's entry point: mounts the app shell on #app.
import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { App } from './app.jsx';

const root = document.getElementById('app');
root.textContent = ''; // the boot message: preact's render keeps children it did not make
render(<App />, root);
