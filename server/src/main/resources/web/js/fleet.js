/**
 * What an agent's last ping said, as the agents page shows it: pure functions, no DOM (unit-tested in
 * server/src/test/web/fleet.test.js).
 */

/** A share (0..1) as a whole percentage; '—' before the agent said. */
export function percent(share) {
  return typeof share === 'number' ? `${Math.round(share * 100)} %` : '—';
}

/**
 * The plan slots: how many it takes now of its limit, and why (the slots follow the agent's load unless it runs with
 * --adaptive false): "2 of 8 (cpu waiting 71 %)". '—' before the agent said.
 */
export function slotsText(agent) {
  if (typeof agent.plan_slots !== 'number') return '—';
  const limit = typeof agent.plan_limit === 'number' ? ` of ${agent.plan_limit}` : '';
  const reason = agent.slots_reason ? ` (${agent.slots_reason})` : '';
  return `${agent.plan_slots}${limit}${reason}`;
}
