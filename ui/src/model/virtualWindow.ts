// The virtual window of a list of fixed-height rows: which rows to put in the DOM for a scroll
// position, and where. Browsers cap an element's height (Chrome near 33.5M px, Firefox 17.9M),
// so past `maxContentHeight` the scroll range is scaled: the scrollbar moves through the rows
// proportionally and the rows themselves are laid out at their true height around the viewport.

export interface WindowInput {
  rowCount: number;
  rowHeight: number;
  viewportHeight: number;
  scrollTop: number;
  overscan?: number;
  maxContentHeight?: number;
}

export interface VirtualWindow {
  /** Height of the scrolling content (the spacer). */
  contentHeight: number;
  /** Rows [first, last) go into the DOM. */
  first: number;
  last: number;
  /** Top of row `first`, in content coordinates. */
  offsetTop: number;
  /** Whether the content is scaled (rows × rowHeight > maxContentHeight). */
  scaled: boolean;
}

export const DEFAULT_MAX_CONTENT_HEIGHT = 8_000_000;

export function computeWindow(w: WindowInput): VirtualWindow {
  const overscan = w.overscan ?? 8;
  const max = w.maxContentHeight ?? DEFAULT_MAX_CONTENT_HEIGHT;
  const trueHeight = w.rowCount * w.rowHeight;
  const scaled = trueHeight > max;
  const contentHeight = scaled ? max : trueHeight;
  const viewport = Math.max(0, w.viewportHeight);
  const scrollTop = clamp(w.scrollTop, 0, Math.max(0, contentHeight - viewport));
  // Top of the viewport in "true" pixels (as if nothing were scaled).
  const topTrue = scaled ? scrollTop * trueScrollRange(w, viewport, contentHeight) : scrollTop;
  const firstVisible = Math.floor(topTrue / w.rowHeight);
  const first = clamp(firstVisible - overscan, 0, w.rowCount);
  const last = clamp(Math.ceil((topTrue + viewport) / w.rowHeight) + overscan, first, w.rowCount);
  // Row r sits at scrollTop + (r * rowHeight - topTrue) in content coordinates.
  const offsetTop = scrollTop + (first * w.rowHeight - topTrue);
  return { contentHeight, first, last, offsetTop, scaled };
}

function trueScrollRange(w: WindowInput, viewport: number, contentHeight: number): number {
  const trueRange = w.rowCount * w.rowHeight - viewport;
  const range = contentHeight - viewport;
  return range > 0 ? trueRange / range : 0;
}

/**
 * The scrollTop that shows `row` fully, moving as little as possible from `scrollTop`
 * (unchanged when the row is already in view).
 */
export function scrollTopForRow(w: WindowInput, row: number): number {
  const max = w.maxContentHeight ?? DEFAULT_MAX_CONTENT_HEIGHT;
  const trueHeight = w.rowCount * w.rowHeight;
  const scaled = trueHeight > max;
  const contentHeight = scaled ? max : trueHeight;
  const viewport = Math.max(0, w.viewportHeight);
  const factor = scaled ? trueScrollRange(w, viewport, contentHeight) : 1;
  const topTrue = w.scrollTop * factor;
  const rowTop = row * w.rowHeight;
  let targetTrue = topTrue;
  if (rowTop < topTrue) targetTrue = rowTop;
  else if (rowTop + w.rowHeight > topTrue + viewport) targetTrue = rowTop + w.rowHeight - viewport;
  if (targetTrue === topTrue) return w.scrollTop;
  const top = factor > 0 ? targetTrue / factor : 0;
  return clamp(top, 0, Math.max(0, contentHeight - viewport));
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** The scrollTop that puts `row` at the centre of the viewport (for jumps from the minimap). */
export function scrollTopToCenter(w: Omit<WindowInput, 'scrollTop'>, row: number): number {
  const max = w.maxContentHeight ?? DEFAULT_MAX_CONTENT_HEIGHT;
  const trueHeight = w.rowCount * w.rowHeight;
  const contentHeight = Math.min(trueHeight, max);
  const viewport = Math.max(0, w.viewportHeight);
  const factor = trueHeight > max ? trueScrollRange({ ...w, scrollTop: 0 }, viewport, contentHeight) : 1;
  const targetTrue = row * w.rowHeight + w.rowHeight / 2 - viewport / 2;
  return clamp(factor > 0 ? targetTrue / factor : 0, 0, Math.max(0, contentHeight - viewport));
}
