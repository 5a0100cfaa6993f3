// The live log's seq bookkeeping, apart from the WebSocket: what a frame of lines means for a view that has lines
// 0 … expected-1 of an attempt. The server numbers lines per attempt (seq 0, 1, …) and sends them in order from the
// offset asked for, so a frame can only repeat lines the view has, bring the next ones, or (after a drop) start
// further on than the view is.

/**
 * Where a stream is after the `lines` frame `frame` ({attempt, lines: [{seq, …}]}), from `position`
 * ({attempt, expected}: the attempt shown, null before the first frame, and the seq of the next line it lacks).
 *
 * Returns {attempt, expected, restart, gap, skipped, lines}:
 * - restart: the frame is of another attempt than the one shown (a lost attempt retried): the view starts again from
 *   that attempt's line 0. Not for the first frame, which only says which attempt there is.
 * - gap: lines are missing before the frame: nothing of it is taken, and the stream reconnects from `expected`.
 * - skipped: how many lines at its start the view already had, dropped.
 * - lines: the lines new to the view, in order.
 */
export function acceptFrame(position, frame) {
  let { attempt, expected } = position;
  let restart = false;
  if (frame.attempt !== attempt) {
    restart = attempt !== null;
    attempt = frame.attempt;
    expected = 0;
  }
  const nothing = { attempt, expected, restart, gap: false, skipped: 0, lines: [] };
  if (frame.lines.length === 0) return nothing;
  const first = frame.lines[0].seq;
  if (first > expected) return { ...nothing, gap: true };
  const skipped = Math.min(frame.lines.length, expected - first);
  const lines = frame.lines.slice(skipped);
  return { ...nothing, expected: expected + lines.length, skipped, lines };
}

/** The viewer WebSocket's query (without the ticket): from line `offset`, of attempt `pinned` (0: the current one). */
export function viewerQuery(taskId, offset, pinned) {
  const query = `task_id=${encodeURIComponent(taskId)}&offset=${offset}`;
  return pinned > 0 ? `${query}&attempt=${pinned}` : query;
}

/**
 * The choices of the run page's attempt picker for a task at attempt `current`: the current attempt (followed live,
 * value 0), then each earlier one, newest first. None for a task with one attempt or none.
 */
export function attemptChoices(current) {
  if (!(current > 1)) return [];
  const choices = [{ value: 0, label: `attempt ${current} (current)` }];
  for (let n = current - 1; n >= 1; n--) choices.push({ value: n, label: `attempt ${n}` });
  return choices;
}
