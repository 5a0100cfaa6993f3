// What an agent's last ping said, as the agents page shows it (js/fleet.js).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { percent, slotsText } from '../../main/resources/web/js/fleet.js';

describe('percent', () => {
  it('rounds a share and shows a dash before the agent said', () => {
    assert.equal(percent(0.934), '93 %');
    assert.equal(percent(0), '0 %');
    assert.equal(percent(null), '—');
    assert.equal(percent(undefined), '—');
  });
});

describe('slotsText', () => {
  it('names the slots, the limit and why', () => {
    assert.equal(slotsText({ plan_slots: 2, plan_limit: 8, slots_reason: 'cpu waiting 71 %' }), '2 of 8 (cpu waiting 71 %)');
    assert.equal(slotsText({ plan_slots: 3, plan_limit: null, slots_reason: null }), '3');
    assert.equal(slotsText({ plan_slots: null }), '—');
  });
});
