// The page-side probe of the big-trace benchmarks (tests/bigtrace.mjs for our UI,
// tests/bigtrace_jaeger.mjs for Jaeger UI), installed with page.addInitScript(PAGE_PROBE,
// { row, rootToggle }): records when the first span row (`row`) is painted and, as soon as the
// page is free after that, clicks the root's toggle (`rootToggle`, the first interaction) — and
// every change of the row count with the frame that painted it. Clicks are dispatched events
// (window.__benchClick), which also reach SVG icons, which have no click().
export const PAGE_PROBE = ({ row, rootToggle }) => {
  window.__bench = { firstRowAt: 0, firstClickAt: 0, rowChanges: [], longTasks: [] };
  window.__benchClick = (selector) =>
    document.querySelector(selector).dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, view: window }));
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.longTasks.push([e.startTime, e.startTime + e.duration]);
  }).observe({ type: 'longtask', buffered: true });
  let last = -1;
  const check = () => {
    const rows = document.querySelectorAll(row);
    if (rows.length && !window.__bench.firstRowAt) {
      window.__bench.firstRowAt = -1;
      requestAnimationFrame(() => {
        window.__bench.firstRowAt = performance.now();
        setTimeout(() => {
          window.__bench.firstClickAt = performance.now();
          window.__benchClick(rootToggle);
        }, 0);
      });
    }
    if (rows.length !== last) {
      last = rows.length;
      const at = performance.now();
      requestAnimationFrame(() => window.__bench.rowChanges.push({ n: rows.length, at, paintedAt: performance.now() }));
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
};
