// Tabs.jsx: a row of tabs that are links (hash routes), so every tab has its own address.
export function Tabs({ tabs, active }) {
  return (
    <nav class="tabs">
      {tabs.map((t) => (
        <a href={t.href} class={t.id === active ? 'tab active' : 'tab'} key={t.id}
          data-tab={t.id}>{t.label}</a>
      ))}
    </nav>
  );
}
