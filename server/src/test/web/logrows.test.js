// The log view's row arithmetic (js/logrows.js): which rows a viewport shows, unscaled and above the browsers' height
// cap, and where following the end keeps it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  MAX_SCROLL_PX, OVERSCAN, ROW_PX, endScrollTop, isAtEnd, isScaled, rowWindow, scrollRangePx,
} from '../../main/resources/web/js/logrows.js';

const VIEWPORT_PX = 180; // ten rows exactly
const ROWS_IN_VIEW = VIEWPORT_PX / ROW_PX;

/** The rows a viewport at `scrollTop` actually shows (unscaled), and that the window drawn must hold. */
function visible(count, scrollTop, viewportPx) {
  const first = Math.floor(scrollTop / ROW_PX);
  return { first, last: Math.min(count, Math.ceil((scrollTop + viewportPx) / ROW_PX)) - 1 };
}

describe('the scroll range', () => {
  it('is every row\'s height up to the cap, and the cap above it', () => {
    assert.equal(ROW_PX, 18);
    assert.equal(scrollRangePx(0), 0);
    assert.equal(scrollRangePx(1000), 18_000);
    const lastUnscaled = Math.floor(MAX_SCROLL_PX / ROW_PX); // 444,444 rows: 7,999,992 px
    assert.equal(isScaled(lastUnscaled), false);
    assert.equal(scrollRangePx(lastUnscaled), 7_999_992);
    assert.equal(isScaled(lastUnscaled + 1), true);
    assert.equal(scrollRangePx(lastUnscaled + 1), MAX_SCROLL_PX);
    assert.equal(scrollRangePx(1_000_000), MAX_SCROLL_PX);
  });
});

describe('rowWindow, unscaled', () => {
  it('draws the first rows and a few beyond the bottom at the top', () => {
    assert.deepEqual(rowWindow(1000, 0, VIEWPORT_PX), { from: 0, to: ROWS_IN_VIEW + 1 + OVERSCAN, offsetPx: 0 });
  });

  it('draws the rows in view and OVERSCAN beyond each edge in the middle, each at its own place', () => {
    const top = 500 * ROW_PX + 7; // row 500 partly scrolled out
    const w = rowWindow(1000, top, VIEWPORT_PX);
    assert.deepEqual(w, { from: 496, to: 515, offsetPx: 496 * ROW_PX });
    const { first, last } = visible(1000, top, VIEWPORT_PX);
    assert.deepEqual([first, last], [500, 510]);
    assert.ok(w.from <= first && last < w.to, 'every row in view is drawn');
  });

  it('draws up to the last row at the end', () => {
    const top = endScrollTop(1000, VIEWPORT_PX);
    assert.equal(top, 18_000 - VIEWPORT_PX);
    const w = rowWindow(1000, top, VIEWPORT_PX);
    assert.deepEqual(w, { from: 986, to: 1000, offsetPx: 986 * ROW_PX });
    assert.deepEqual(Object.values(visible(1000, top, VIEWPORT_PX)), [990, 999]);
  });

  it('draws every row of a log shorter than the viewport, and none of an empty one', () => {
    assert.deepEqual(rowWindow(3, 0, VIEWPORT_PX), { from: 0, to: 3, offsetPx: 0 });
    assert.deepEqual(rowWindow(0, 0, VIEWPORT_PX), { from: 0, to: 0, offsetPx: 0 });
    assert.equal(endScrollTop(3, VIEWPORT_PX), 0);
  });

  it('counts a row cut by the viewport\'s bottom edge', () => {
    // 100 px: five rows and a half; the sixth shows in part.
    assert.deepEqual(rowWindow(1000, 0, 100), { from: 0, to: 6 + 1 + OVERSCAN, offsetPx: 0 });
  });
});

describe('rowWindow, scaled (more rows than the browser can make tall)', () => {
  const count = 1_000_000; // 18 million px unscaled
  const range = MAX_SCROLL_PX - VIEWPORT_PX;

  it('draws the first rows at the top, at the top of the viewport', () => {
    assert.deepEqual(rowWindow(count, 0, VIEWPORT_PX), { from: 0, to: ROWS_IN_VIEW + 1, offsetPx: 0 });
  });

  it('reads the scroll position as a fraction of the log in the middle, the rows drawn where the viewport is', () => {
    const half = rowWindow(count, range / 2, VIEWPORT_PX);
    assert.deepEqual(half, { from: 499_995, to: 500_006, offsetPx: range / 2 });
    const quarter = rowWindow(count, range / 4, VIEWPORT_PX);
    assert.equal(quarter.from, Math.round((count - ROWS_IN_VIEW) / 4));
    assert.equal(quarter.offsetPx, range / 4);
  });

  it('draws the last rows that fit whole at the end, ending with the last row', () => {
    const top = endScrollTop(count, VIEWPORT_PX);
    assert.equal(top, range);
    assert.deepEqual(rowWindow(count, top, VIEWPORT_PX), { from: count - ROWS_IN_VIEW, to: count, offsetPx: range });
  });

  it('reaches every row: one pixel of scroll moves at most a few rows on', () => {
    const a = rowWindow(count, 1_000_000, VIEWPORT_PX).from;
    const b = rowWindow(count, 1_000_001, VIEWPORT_PX).from;
    assert.ok(b - a >= 0 && b - a <= Math.ceil(count / range), `${a} → ${b}`);
  });

  it('scales from the first row over the cap', () => {
    const just = Math.floor(MAX_SCROLL_PX / ROW_PX) + 1;
    assert.deepEqual(rowWindow(just, endScrollTop(just, VIEWPORT_PX), VIEWPORT_PX).to, just);
  });
});

describe('following the end', () => {
  it('keeps the last row drawn whatever the count, scaled or not', () => {
    for (const count of [1, 10, 11, 1000, 444_444, 444_445, 5_000_000]) {
      const w = rowWindow(count, endScrollTop(count, VIEWPORT_PX), VIEWPORT_PX);
      assert.equal(w.to, count, `${count} rows`);
    }
  });

  it('is on at the end and within a row of it, off once the reader scrolls further up', () => {
    const height = scrollRangePx(1000);
    const end = endScrollTop(1000, VIEWPORT_PX);
    assert.equal(isAtEnd(end, height, VIEWPORT_PX), true);
    assert.equal(isAtEnd(end - ROW_PX, height, VIEWPORT_PX), true);
    assert.equal(isAtEnd(end - ROW_PX - 1, height, VIEWPORT_PX), false);
    assert.equal(isAtEnd(0, height, VIEWPORT_PX), false);
    assert.equal(isAtEnd(0, 0, VIEWPORT_PX), true, 'an empty log is at its end');
  });
});
