// A log view for any number of lines: rows of one fixed height, and only the rows in the viewport exist in the DOM
// (a few dozen, reused), so a million lines cost memory for their strings but nothing in layout or paint. Which rows
// those are, and the scaled scroll range above the browsers' height cap, is plain arithmetic in logrows.js; this file
// only applies it to the DOM.

import { renderAnsi } from './ansi.js';
import { endScrollTop, isAtEnd, rowWindow, scrollRangePx } from './logrows.js';

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

  /** Following is on while the view shows the end (see isAtEnd). */
  onScroll() {
    const { scrollTop, scrollHeight, clientHeight } = this.element;
    this.setFollow(isAtEnd(scrollTop, scrollHeight, clientHeight));
    this.schedule();
  }

  render() {
    const view = this.element;
    const count = this.texts.length;
    const spacerPx = scrollRangePx(count);
    if (this.spacerPx !== spacerPx) {
      this.spacer.style.height = `${spacerPx}px`;
      this.spacerPx = spacerPx;
    }
    if (this.follow) {
      const bottom = endScrollTop(count, view.clientHeight);
      if (view.scrollTop !== bottom) view.scrollTop = bottom;
    }
    // Read back: the browser clamps what was set, and the reader may have scrolled since.
    const { from, to, offsetPx } = rowWindow(count, view.scrollTop, view.clientHeight);
    this.rows.style.transform = `translateY(${offsetPx}px)`;
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
