// A log view for any number of lines: rows of one fixed height, and only the rows in the viewport exist in the DOM
// (a few dozen, reused), so a million lines cost memory for their strings but nothing in layout or paint.
//
// Browsers cap an element's height (Firefox near 17.9 million px), so past MAX_SCROLL_PX the scroll range is scaled:
// the scroll position is read as a fraction of the log instead of a pixel offset.

import { renderAnsi } from './ansi.js';

const ROW_PX = 18; // the .log-row height in app.css
const MAX_SCROLL_PX = 8_000_000;
const OVERSCAN = 4;

export class LogView {
  /** The lines received, in order: seqs[i] is the server's sequence number of texts[i]. */
  texts = [];
  seqs = [];
  /** Follow the tail: on while the view is scrolled to the end; scrolling up (or Home) stops it, End resumes it. */
  follow = true;
  /** When the last received line was first in the viewport (performance.now()), for the follow indicator and tests. */
  lastLineShownAt = null;

  constructor(onFollowChange = () => {}) {
    this.onFollowChange = onFollowChange;
    this.rows = document.createElement('div');
    this.rows.className = 'log-rows';
    this.spacer = document.createElement('div');
    this.spacer.className = 'log-spacer';
    this.spacer.append(this.rows);
    this.element = document.createElement('div');
    Object.assign(this.element, { className: 'log-viewport', tabIndex: 0 });
    this.element.setAttribute('role', 'log');
    this.element.setAttribute('aria-label', 'Run log; arrow keys and Page Up/Down scroll, End follows the tail');
    this.element.append(this.spacer);
    // Tests and debugging read the model through the element: the lines as received, not as drawn.
    this.element.iacLog = this;
    this.element.addEventListener('scroll', () => this.onScroll());
    new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  append(lines) {
    for (const line of lines) {
      this.seqs.push(line.seq);
      this.texts.push(line.line);
    }
    this.schedule();
  }

  /** A new attempt starts its log again from line 0. */
  clear() {
    this.texts = [];
    this.seqs = [];
    this.rows.replaceChildren();
    this.schedule();
  }

  setFollow(on) {
    if (this.follow === on) return;
    this.follow = on;
    this.onFollowChange(on);
    if (on) this.schedule();
  }

  /** Renders at most once per frame however many frames of lines arrive in between. */
  schedule() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.render();
    });
  }

  /**
   * Following is simply "scrolled to the end": the view itself only scrolls to the end (while following), so any
   * scroll that leaves the end was the reader's.
   */
  onScroll() {
    const { scrollTop, scrollHeight, clientHeight } = this.element;
    this.setFollow(scrollHeight - scrollTop - clientHeight <= ROW_PX);
    this.schedule();
  }

  render() {
    const view = this.element;
    const count = this.texts.length;
    const fullPx = count * ROW_PX;
    const scaled = fullPx > MAX_SCROLL_PX;
    const spacerPx = scaled ? MAX_SCROLL_PX : fullPx;
    if (this.spacerPx !== spacerPx) {
      this.spacer.style.height = `${spacerPx}px`;
      this.spacerPx = spacerPx;
    }
    const viewportRows = Math.ceil(view.clientHeight / ROW_PX) + 1;
    if (this.follow) {
      const bottom = Math.max(0, spacerPx - view.clientHeight);
      if (view.scrollTop !== bottom) view.scrollTop = bottom;
    }
    const top = view.scrollTop;
    let first;
    let offsetPx;
    let to;
    if (scaled) {
      // The rows stay where the viewport is and the scroll bar only says how far into the log; at the end, the last
      // rows that fit whole.
      const range = Math.max(1, spacerPx - view.clientHeight);
      const fit = Math.floor(view.clientHeight / ROW_PX);
      first = Math.round((Math.min(top, range) / range) * Math.max(0, count - fit));
      offsetPx = top;
      to = Math.min(count, first + viewportRows);
    } else {
      first = Math.floor(top / ROW_PX);
      offsetPx = first * ROW_PX;
      to = Math.min(count, first + viewportRows + OVERSCAN);
    }
    const from = Math.max(0, first - (scaled ? 0 : OVERSCAN));
    this.rows.style.transform = `translateY(${offsetPx - (first - from) * ROW_PX}px)`;
    this.drawRows(from, to);
    if (to === count && count > 0 && this.lastDrawnSeq !== this.seqs[count - 1]) {
      this.lastDrawnSeq = this.seqs[count - 1];
      this.lastLineShownAt = performance.now();
    }
  }

  /** Reuses row elements; a row is redrawn only when it now shows another line. */
  drawRows(from, to) {
    const needed = to - from;
    while (this.rows.children.length < needed) {
      const row = document.createElement('div');
      row.className = 'log-row';
      this.rows.append(row);
    }
    while (this.rows.children.length > needed) this.rows.lastChild.remove();
    for (let i = 0; i < needed; i++) {
      const row = this.rows.children[i];
      const index = from + i;
      if (row.dataset.index === String(index) && row.dataset.seq === String(this.seqs[index])) continue;
      row.dataset.index = index;
      row.dataset.seq = this.seqs[index];
      renderAnsi(row, this.texts[index]);
    }
  }
}
