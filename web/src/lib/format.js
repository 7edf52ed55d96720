// format.js: how the dashboard writes numbers, sizes, times and durations (as Flink's does:
// '-' for unknown values, which Flink's REST API sends as -1).
export function fmtNumber(n, digits = 0) {
  if (n === null || n === undefined || n < 0 || Number.isNaN(n)) return '-';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits });
}

export function fmtRate(perSecond) {
  if (perSecond === null || perSecond === undefined || Number.isNaN(perSecond) || perSecond < 0)
    return '-';
  if (perSecond >= 1e6) return (perSecond / 1e6).toFixed(2) + ' M/s';
  if (perSecond >= 1e3) return (perSecond / 1e3).toFixed(1) + ' k/s';
  return perSecond.toFixed(perSecond < 10 ? 1 : 0) + ' /s';
}

export function fmtBytes(b) {
  if (b === null || b === undefined || b < 0 || Number.isNaN(b)) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = b;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[i];
}

/* A duration in milliseconds as Flink writes it: 1h 2m 3s, 2m 3s, 3s 120ms, 120ms. */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined || ms < 0 || Number.isNaN(ms)) return '-';
  ms = Math.round(ms);
  if (ms < 1000) return ms + 'ms';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m ${sec}s`;
  if (m) return `${m}m ${sec}s`;
  return `${sec}s ${ms % 1000}ms`;
}

/* An epoch-milliseconds time as 'YYYY-MM-DD HH:MM:SS' in the browser's zone; '-' if unset. */
export function fmtTime(ms) {
  if (!ms || ms < 0) return '-';
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(
    d.getMinutes()
  )}:${p(d.getSeconds())}`;
}

export const fmtPercent = (ratio) =>
  ratio === null || ratio === undefined || Number.isNaN(ratio) || ratio < 0
    ? '-'
    : (ratio * 100).toFixed(0) + '%';
