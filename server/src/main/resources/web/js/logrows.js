// The log view's row arithmetic, apart from the DOM: which rows a viewport shows, how high the scroll range is, and
// where the end is. Every row is ROW_PX high, so all of it follows from the row count, the scroll position and the
// viewport's height.
//
// Browsers cap an element's height (Firefox near 17.9 million px), so past MAX_SCROLL_PX the scroll range is scaled:
// the scroll position is read as a fraction of the log instead of a pixel offset.

export const ROW_PX = 18; // the .log-row height in app.css
export const MAX_SCROLL_PX = 8_000_000;
/** Rows drawn beyond each edge of the viewport (unscaled only), so a small scroll shows rows already drawn. */
export const OVERSCAN = 4;

/** Whether `count` rows need the scaled scroll range. */
export function isScaled(count) {
  return count * ROW_PX > MAX_SCROLL_PX;
}

/** The height of the scroll range for `count` rows: their own height, or MAX_SCROLL_PX when scaled. */
export function scrollRangePx(count) {
  return isScaled(count) ? MAX_SCROLL_PX : count * ROW_PX;
}

/** The scroll position that shows the end of `count` rows in a viewport `viewportPx` high: where following keeps it. */
export function endScrollTop(count, viewportPx) {
  return Math.max(0, scrollRangePx(count) - viewportPx);
}

/**
 * Whether a viewport scrolled to `scrollTop` shows the end (within a row). Following is simply this: the view itself
 * only scrolls to the end (while following), so any scroll that leaves the end was the reader's.
 */
export function isAtEnd(scrollTop, scrollHeight, viewportPx) {
  return scrollHeight - scrollTop - viewportPx <= ROW_PX;
}

/**
 * The rows to draw for a viewport `viewportPx` high scrolled to `scrollTop`: rows `from` (included) to `to`
 * (excluded) of `count`, the first of them `offsetPx` from the top of the scroll range.
 *
 * Unscaled, a row's place is its index times ROW_PX, with OVERSCAN rows beyond each edge. Scaled, the rows stay where
 * the viewport is and the scroll position only says how far into the log: at the top the first rows, at the end the
 * last rows that fit whole.
 */
export function rowWindow(count, scrollTop, viewportPx) {
  const viewportRows = Math.ceil(viewportPx / ROW_PX) + 1;
  if (isScaled(count)) {
    const range = Math.max(1, MAX_SCROLL_PX - viewportPx);
    const fit = Math.floor(viewportPx / ROW_PX);
    const first = Math.round((Math.min(scrollTop, range) / range) * Math.max(0, count - fit));
    return { from: first, to: Math.min(count, first + viewportRows), offsetPx: scrollTop };
  }
  const first = Math.floor(scrollTop / ROW_PX);
  const from = Math.max(0, first - OVERSCAN);
  return { from, to: Math.min(count, first + viewportRows + OVERSCAN), offsetPx: from * ROW_PX };
}
