// Chart.jsx: a time-series line chart on uPlot. series: [{ label, values }] sharing `times`
// (epoch seconds). The plot is created once and fed new data on every render.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

const PALETTE = ['#2f6fdf', '#e0642a', '#2a9d5c', '#a347c2', '#c9a227', '#d33f6a'];

export function Chart({ title, times, series, height = 180, unit = '' }) {
  const box = useRef(null);
  const plot = useRef(null);
  const shape = series.map((s) => s.label).join('\u0000');
  useEffect(() => {
    const opts = {
      title,
      width: Math.max(300, box.current.clientWidth || 600),
      height,
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length],
        width: 1.5, value: (u, v) => (v == null ? '-' : `${+v.toFixed(2)}${unit}`) }))],
      axes: [{}, { size: 60, values: (u, vals) => vals.map((v) => `${+v.toFixed(2)}${unit}`) }],
    };
    plot.current = new uPlot(opts, [times, ...series.map((s) => s.values)], box.current);
    return () => {
      plot.current.destroy();
      plot.current = null;
    };
  }, [shape, title]);
  useEffect(() => {
    if (plot.current) plot.current.setData([times, ...series.map((s) => s.values)]);
  });
  return <div class="chart" ref={box} data-chart={title} />;
}
