// Table.jsx: a plain data table. columns: [{ label, render(row) | key, class }]; rows: array.
export function Table({ columns, rows, empty, rowKey, onRowClick, rowClass, testid }) {
  if (!rows || rows.length === 0) return <div class="empty">{empty || 'Nothing to show.'}</div>;
  return (
    <table class="data" data-testid={testid}>
      <thead>
        <tr>{columns.map((c) => <th class={c.class} key={c.label}>{c.label}</th>)}</tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={rowKey ? rowKey(r) : i} onClick={onRowClick && (() => onRowClick(r))}
            class={(onRowClick ? 'clickable ' : '') + (rowClass ? rowClass(r) : '')}>
            {columns.map((c) => (
              <td class={c.class} key={c.label}>{c.render ? c.render(r) : r[c.key]}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
