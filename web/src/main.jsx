// main.jsx: the dashboard's entry point: mounts the app shell on #app.
import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { App } from './app.jsx';

render(<App />, document.getElementById('app'));
