// The live log of one task over the viewer WebSocket (/ws/logs), resumed after any drop from the next line it has
// not received, so the view never misses or doubles a line.
//
// A frame's lines are checked against the seq expected next (acceptFrame in logseq.js): lines already had are skipped,
// a gap reconnects from the missing line, and a frame of a new attempt (a lost attempt retried) starts the view again
// from that attempt's line 0.
// Given an attempt number it shows that attempt alone (an earlier attempt's log is whole: its lines, then the end).
// Browsers cannot set an Authorization header on a WebSocket, so each connection uses a one-time ticket.

import { ApiError, api, seg } from './api.js';
import { acceptFrame, viewerQuery } from './logseq.js';

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;
/** Close codes 4000 + HTTP status that retrying cannot fix. */
const FINAL_REFUSALS = [4400, 4403, 4404];

export class LogStream {
  attempt = null;
  /** The seq of the next line to receive, in `attempt`; where a reconnect resumes. */
  expected = 0;
  /** Connections opened, and lines skipped as already received or reconnects for a gap: what a test checks. */
  connects = 0;
  skipped = 0;
  gaps = 0;

  /**
   * @param handlers onLines(lines), onNewAttempt(attempt), onEnd(endFrame), onState('connecting' | 'live' |
   *     'reconnecting' | 'ended' | 'failed', detail)
   * @param pinned the attempt to show, or 0 to follow the task's current attempt
   */
  constructor(taskId, handlers, pinned = 0) {
    this.taskId = taskId;
    this.pinned = pinned;
    this.handlers = handlers;
    this.retryMs = RETRY_MIN_MS;
    this.stopped = false;
  }

  start() {
    this.handlers.onState('connecting');
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, 'page left');
  }

  async connect() {
    let ticket;
    try {
      ticket = (await api.post('/ws-tickets')).ticket;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return this.fail(e.message);
      return this.retry(e.message);
    }
    if (this.stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = viewerQuery(this.taskId, this.expected, this.pinned);
    const url = `${scheme}//${location.host}/ws/logs?${query}&ticket=${seg(ticket)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    this.connects++;
    let refusal = null;
    ws.onopen = () => {
      this.retryMs = RETRY_MIN_MS;
      this.handlers.onState('live');
    };
    ws.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.error) refusal = frame.error;
      else if (frame.type === 'lines') this.receive(frame, ws);
      else if (frame.type === 'end') this.end(frame, ws);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws || this.stopped || this.ended) return;
      if (FINAL_REFUSALS.includes(event.code)) return this.fail(refusal?.message ?? `refused (${event.code})`);
      this.retry(refusal?.message ?? 'connection lost');
    };
  }

  receive(frame, ws) {
    const next = acceptFrame(this, frame);
    this.attempt = next.attempt;
    this.expected = next.expected;
    if (next.restart) this.handlers.onNewAttempt(next.attempt);
    if (next.gap) {
      // Lines missing before this frame (say, an attempt changed while we were away): ask again from the first.
      this.gaps++;
      ws.close(4000, 'gap');
      return;
    }
    this.skipped += next.skipped;
    if (next.lines.length) this.handlers.onLines(next.lines);
  }

  end(frame, ws) {
    this.ended = true;
    ws.close(1000, 'done');
    this.handlers.onState('ended');
    this.handlers.onEnd(frame);
  }

  retry(detail) {
    if (this.stopped) return;
    this.handlers.onState('reconnecting', detail);
    const wait = this.retryMs * (0.5 + Math.random() / 2);
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  fail(detail) {
    this.handlers.onState('failed', detail);
  }
}
