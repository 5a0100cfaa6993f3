// The live log's seq bookkeeping (js/logseq.js): lines already had are skipped, a gap reconnects from the missing
// line, and a new attempt starts the view again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { acceptFrame, attemptChoices, viewerQuery } from '../../main/resources/web/js/logseq.js';

/** A frame of `attempt` with the lines seq from … to-1. */
function frame(attempt, from, to) {
  const lines = [];
  for (let seq = from; seq < to; seq++) lines.push({ seq, line: `line ${seq}` });
  return { type: 'lines', attempt, lines };
}

const seqs = (result) => result.lines.map((l) => l.seq);

describe('acceptFrame', () => {
  it('takes the first frame whole and learns its attempt, without restarting the view', () => {
    const r = acceptFrame({ attempt: null, expected: 0 }, frame(1, 0, 3));
    assert.deepEqual({ ...r, lines: seqs(r) },
      { attempt: 1, expected: 3, restart: false, gap: false, skipped: 0, lines: [0, 1, 2] });
  });

  it('takes the next lines in order', () => {
    const r = acceptFrame({ attempt: 1, expected: 3 }, frame(1, 3, 5));
    assert.deepEqual(seqs(r), [3, 4]);
    assert.equal(r.expected, 5);
    assert.equal(r.skipped, 0);
  });

  it('skips lines already had (a resend after a reconnect) and takes the rest', () => {
    const r = acceptFrame({ attempt: 1, expected: 5 }, frame(1, 3, 8));
    assert.deepEqual(seqs(r), [5, 6, 7]);
    assert.equal(r.skipped, 2);
    assert.equal(r.expected, 8);
  });

  it('skips a frame of nothing but lines already had', () => {
    const r = acceptFrame({ attempt: 1, expected: 10 }, frame(1, 2, 6));
    assert.deepEqual(seqs(r), []);
    assert.equal(r.skipped, 4);
    assert.equal(r.expected, 10);
    assert.equal(r.gap, false);
  });

  it('reports a gap when lines are missing before the frame, takes none and keeps where to resume', () => {
    const r = acceptFrame({ attempt: 1, expected: 5 }, frame(1, 7, 9));
    assert.deepEqual({ ...r, lines: seqs(r) },
      { attempt: 1, expected: 5, restart: false, gap: true, skipped: 0, lines: [] });
  });

  it('reports a gap of a single missing line', () => {
    const r = acceptFrame({ attempt: 1, expected: 5 }, frame(1, 6, 9));
    assert.equal(r.gap, true);
    assert.deepEqual(seqs(r), []);
    assert.equal(r.expected, 5);
  });

  it('restarts the view for a new attempt, from its line 0', () => {
    const r = acceptFrame({ attempt: 1, expected: 40 }, frame(2, 0, 2));
    assert.deepEqual({ ...r, lines: seqs(r) },
      { attempt: 2, expected: 2, restart: true, gap: false, skipped: 0, lines: [0, 1] });
  });

  it('restarts for a new attempt and reports a gap when its frame does not start at line 0', () => {
    const r = acceptFrame({ attempt: 1, expected: 40 }, frame(2, 5, 8));
    assert.deepEqual({ ...r, lines: seqs(r) },
      { attempt: 2, expected: 0, restart: true, gap: true, skipped: 0, lines: [] });
  });

  it('learns the attempt from an empty frame without taking anything', () => {
    const r = acceptFrame({ attempt: null, expected: 0 }, { type: 'lines', attempt: 3, lines: [] });
    assert.deepEqual(r, { attempt: 3, expected: 0, restart: false, gap: false, skipped: 0, lines: [] });
    const again = acceptFrame({ attempt: 3, expected: 4 }, { type: 'lines', attempt: 3, lines: [] });
    assert.deepEqual(again, { attempt: 3, expected: 4, restart: false, gap: false, skipped: 0, lines: [] });
  });

  it('gives every line once, in order, across repeats, a gap and its resend', () => {
    let position = { attempt: null, expected: 0 };
    const shown = [];
    const frames = [frame(1, 0, 4), frame(1, 2, 6), frame(1, 9, 12), frame(1, 6, 12), frame(1, 11, 13)];
    let gaps = 0;
    for (const f of frames) {
      const r = acceptFrame(position, f);
      position = { attempt: r.attempt, expected: r.expected };
      if (r.gap) gaps++;
      shown.push(...seqs(r));
    }
    assert.deepEqual(shown, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.equal(gaps, 1);
  });

  it('leaves the position it is given alone', () => {
    const position = Object.freeze({ attempt: 1, expected: 2 });
    acceptFrame(position, frame(1, 0, 5));
    assert.deepEqual(position, { attempt: 1, expected: 2 });
  });
});

describe('viewerQuery', () => {
  it('follows the current attempt unless one is asked for', () => {
    assert.equal(viewerQuery('t 1', 5, 0), 'task_id=t%201&offset=5');
    assert.equal(viewerQuery('t-1', 0, 2), 'task_id=t-1&offset=0&attempt=2');
  });
});

describe('attemptChoices', () => {
  it('offers nothing to pick for a task with one attempt or none', () => {
    assert.deepEqual(attemptChoices(0), []);
    assert.deepEqual(attemptChoices(1), []);
  });

  it('offers the current attempt first, then each earlier one, newest first', () => {
    assert.deepEqual(attemptChoices(3), [
      { value: 0, label: 'attempt 3 (current)' },
      { value: 2, label: 'attempt 2' },
      { value: 1, label: 'attempt 1' },
    ]);
  });
});
