// TaskManagerMetrics.jsx: #/task-manager/<id>/metrics: the TaskManager's hardware, slots and
// memory from /taskmanagers/<id> (Flink's TaskManagerDetailsInfo), live charts of its memory,
// CPU, threads and network memory (the Status.* metrics a Spate TaskManager reports; heap means
// the process's allocator), and every metric it reports with its current value.
import { fmtBytes, fmtNumber } from '../../lib/format.js';
import { Table } from '../../components/Table.jsx';
import { useMetricHistory, MetricChart, MetricTable, toMB, toPercent } from '../MetricCharts.jsx';
import { ErrorBox } from '../../components/Feedback.jsx';

const CHARTED = [
  'Status.JVM.Memory.Heap.Used', 'Status.JVM.Memory.Heap.Committed',
  'Status.JVM.Memory.NonHeap.Used', 'Status.Process.PeakResidentMemory',
  'Status.JVM.CPU.Load', 'Status.JVM.Threads.Count',
  'Status.Shuffle.Netty.UsedMemory', 'Status.Shuffle.Netty.AvailableMemory',
];

function Row({ label, value, testid }) {
  return (
    <tr><th>{label}</th><td class="num" data-testid={testid}>{value}</td></tr>
  );
}

function Details({ tm }) {
  const m = tm.metrics || {};
  const hw = tm.hardware || {};
  const slots = tm.allocatedSlots || [];
  return (
    <div class="tm-details">
      <table class="data tm-kv">
        <thead><tr><th colspan="2">Hardware and slots</th></tr></thead>
        <tbody>
          <Row label="CPU Cores" value={fmtNumber(hw.cpuCores)} testid="tm-cpu-cores" />
          <Row label="Physical Memory" value={fmtBytes(hw.physicalMemory)} />
          <Row label="Free Memory" value={fmtBytes(hw.freeMemory)} />
          <Row label="Total Slots" value={tm.slotsNumber} testid="tm-slots-total" />
          <Row label="Free Slots" value={tm.freeSlots} testid="tm-slots-free" />
          <Row label="Allocated Slots (jobs)" value={slots.length ? [...new Set(slots.map((s) => s.jobId))].map((j) => (
            <div class="mono small" key={j}>{j}</div>)) : '-'} />
        </tbody>
      </table>
      <table class="data tm-kv">
        <thead><tr><th>Memory</th><th class="num">Used</th><th class="num">Committed</th><th class="num">Maximum</th></tr></thead>
        <tbody>
          <tr><th>Heap</th><td class="num" data-testid="tm-heap-used">{fmtBytes(m.heapUsed)}</td>
            <td class="num">{fmtBytes(m.heapCommitted)}</td><td class="num">{fmtBytes(m.heapMax)}</td></tr>
          <tr><th>Non-Heap</th><td class="num">{fmtBytes(m.nonHeapUsed)}</td>
            <td class="num">{fmtBytes(m.nonHeapCommitted)}</td><td class="num">{fmtBytes(m.nonHeapMax)}</td></tr>
          <tr><th>Direct ({fmtNumber(m.directCount)} buffers)</th><td class="num">{fmtBytes(m.directUsed)}</td>
            <td class="num">-</td><td class="num">{fmtBytes(m.directMax)}</td></tr>
          <tr><th>Network (shuffle)</th><td class="num">{fmtBytes(m.nettyShuffleMemoryUsed)}</td>
            <td class="num">-</td><td class="num">{fmtBytes(m.nettyShuffleMemoryTotal)}</td></tr>
        </tbody>
      </table>
      {(m.garbageCollectors || []).length > 0 && (
        <Table testid="tm-gc" rows={m.garbageCollectors} rowKey={(g) => g.name}
          columns={[{ label: 'Collector', key: 'name' }, { label: 'Count', key: 'count', class: 'num' },
            { label: 'Time (ms)', key: 'time', class: 'num' }]} />
      )}
    </div>
  );
}

export function TaskManagerMetricsTab({ tm, api }) {
  const history = useMetricHistory(`${api}/metrics`, CHARTED);
  return (
    <div data-testid="tm-metrics">
      <Details tm={tm} />
      <h2>Live</h2>
      {history.error && <ErrorBox error={history.error} what="the TaskManager's metrics" />}
      <div class="tm-charts">
        <MetricChart title="Memory (MB)" history={history} scale={toMB} lines={[
          { id: 'Status.JVM.Memory.Heap.Used', label: 'Heap used' },
          { id: 'Status.JVM.Memory.Heap.Committed', label: 'Heap committed' },
          { id: 'Status.JVM.Memory.NonHeap.Used', label: 'Non-heap used' },
          { id: 'Status.Process.PeakResidentMemory', label: 'Peak resident' },
        ]} />
        <MetricChart title="CPU load (%)" history={history} scale={toPercent} lines={[
          { id: 'Status.JVM.CPU.Load', label: 'CPU load' },
        ]} />
        <MetricChart title="Threads" history={history} lines={[
          { id: 'Status.JVM.Threads.Count', label: 'Threads' },
        ]} />
        <MetricChart title="Network memory (MB)" history={history} scale={toMB} lines={[
          { id: 'Status.Shuffle.Netty.UsedMemory', label: 'Used' },
          { id: 'Status.Shuffle.Netty.AvailableMemory', label: 'Available' },
        ]} />
      </div>
      <h2>All metrics</h2>
      <MetricTable path={`${api}/metrics`} what="the TaskManager's metrics" />
    </div>
  );
}
