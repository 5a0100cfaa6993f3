import { api, seg } from '../api.js';
import { errorBox, fmtAgo, h, replaceKeepingFocus, table, timeEl } from '../dom.js';
import { percent, slotsText } from '../fleet.js';

/**
 * Agents (status, last seen, isolation, load and plan slots from their last ping, what they run) and pools (their
 * limits and the capacity in use). A pool's
 * max_plan_concurrency is per agent, so its capacity is that times its agents that are not offline. An agent that
 * runs tasks without a sandbox (--isolation none) is flagged, and a warning above the list counts them.
 */
export function agentsPage(main, page) {
  page.title('Agents and pools');
  const pools = h('div', { 'aria-busy': 'true' });
  const agents = h('div', { 'aria-busy': 'true' });
  const warning = h('div', { role: 'status' });
  main.append(h('h1', {}, 'Agents and pools'), h('h2', {}, 'Pools'), pools, h('h2', {}, 'Agents'), warning, agents);
  let shown = '';
  page.every(2000, async () => {
    try {
      const [agentList, poolList] = await Promise.all([api.get('/agents'), api.get('/pools')]);
      const json = JSON.stringify([agentList, poolList]);
      if (json === shown) return;
      shown = json;
      pools.removeAttribute('aria-busy');
      agents.removeAttribute('aria-busy');
      const limits = Object.fromEntries(poolList.pools.map((p) => [p.pool_id, p.max_plan_concurrency]));
      replaceKeepingFocus(pools, table('Pools', ['Pool', 'Agents online', 'Capacity in use', 'Plans per agent', 'Applies beside plans',
        'Max run time', 'Max running', 'Min agent version', 'Labels'],
        poolList.pools.map((p) => poolRow(p, agentList.agents.filter((a) => a.pool_id === p.pool_id))),
        'No pools.'));
      const unsandboxed = agentList.agents.filter((a) => a.isolation === 'none' && a.status !== 'offline').length;
      warning.replaceChildren(...(unsandboxed
        ? [h('p', { class: 'warning' }, `${unsandboxed} agent${unsandboxed === 1 ? '' : 's'} run${unsandboxed === 1 ? 's' : ''} tasks without a sandbox`
          + ' (--isolation none): any configuration they run can read the agent\'s credentials and the secrets of tasks running beside it.')]
        : []));
      replaceKeepingFocus(agents, table('Agents, oldest registration first',
        ['Agent', 'Pool', 'Status', 'Last seen', 'Isolation', 'Running', 'Capacity in use', 'CPU', 'Memory', 'Plan slots',
          'Version'],
        agentList.agents.map((a) => agentRow(a, limits[a.pool_id])),
        'No agents have registered yet.'));
    } catch (e) {
      shown = '';
      agents.replaceChildren(errorBox(e));
    }
  });
}

function poolRow(pool, members) {
  const online = members.filter((a) => a.status !== 'offline');
  const running = online.reduce((n, a) => n + a.running_tasks.length, 0);
  return [
    pool.pool_id,
    String(online.length),
    usage(running, online.length * pool.max_plan_concurrency),
    String(pool.max_plan_concurrency),
    pool.allow_apply_concurrent ? 'allowed' : 'no',
    pool.max_run_time ?? '',
    pool.max_running ?? h('span', { class: 'muted' }, 'no limit'),
    pool.min_agent_version ?? h('span', { class: 'muted' }, 'any'),
    Object.entries(pool.labels).map(([k, v]) => `${k}=${v}`).join(', ') || h('span', { class: 'muted' }, 'none'),
  ];
}

function agentRow(agent, limit) {
  return [
    h('span', { title: agent.agent_id }, agent.name),
    agent.pool_id,
    h('span', {}, h('span', { class: `badge agent-${agent.status}` }, agent.status),
      agent.disk_full ? h('span', { class: 'warning' }, ' disk full: claims nothing') : ''),
    h('span', {}, timeEl(agent.last_seen), ' ', h('span', { class: 'muted' }, `(${fmtAgo(agent.last_seen)})`)),
    isolation(agent.isolation),
    agent.running_tasks.length
      ? h('ul', { class: 'plain' }, agent.running_tasks.map((id) => h('li', {}, h('a', { href: `#/runs/${seg(id)}`, dataset: { key: id } }, id))))
      : h('span', { class: 'muted' }, 'nothing'),
    agent.status === 'offline' ? h('span', { class: 'muted' }, '—') : usage(agent.running_tasks.length, limit ?? 0),
    percent(agent.cpu_usage),
    percent(agent.mem_usage),
    slotsText(agent),
    agent.version ?? '',
  ];
}

/** 'sandbox', or a warning badge for an agent whose tasks run beside its credentials. */
function isolation(value) {
  if (value === 'none') {
    return h('span', { class: 'badge isolation-none', title: 'started with --isolation none: its tasks can read its credentials' },
      'no sandbox');
  }
  if (value === 'sandbox') return h('span', { class: 'badge isolation-sandbox' }, 'sandbox');
  return h('span', { class: 'muted' }, 'unknown');
}

/** "2 of 6" with a meter, so the share is visible at a glance and read out as a value. */
function usage(used, capacity) {
  return h('span', { class: 'usage' },
    h('meter', { min: 0, max: Math.max(capacity, 1), value: Math.min(used, Math.max(capacity, 1)), 'aria-label': `${used} of ${capacity} slots in use` }),
    ` ${used} of ${capacity}`);
}
