// The runs list puts what waits for a person first (js/runorder.js).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { waitingFirst } from '../../main/resources/web/js/runorder.js';

const run = (id, status) => ({ task_id: id, status });

describe('waitingFirst', () => {
  it('lists planned runs first, each group in the order given', () => {
    const tasks = [run('t5', 'running'), run('t4', 'planned'), run('t3', 'succeeded'), run('t2', 'planned'), run('t1', 'queued')];
    assert.deepEqual(waitingFirst(tasks).map((t) => t.task_id), ['t4', 't2', 't5', 't3', 't1']);
  });

  it('leaves a list without planned runs as it is', () => {
    const tasks = [run('t2', 'discarded'), run('t1', 'errored')];
    assert.deepEqual(waitingFirst(tasks), tasks);
  });
});
