import { api, seg } from '../api.js';
import { errorBox, fmtDuration, h, replaceKeepingFocus, statusBadge, table, timeEl } from '../dom.js';
import { waitingFirst } from '../runorder.js';
import { lockHolder } from './workspaces.js';

/** A workspace's runs, those waiting for confirmation first, then newest first, with its lock and state; live. */
export function runsPage(main, page, workspaceId) {
  page.title(`${workspaceId}: runs`);
  const summary = h('p', { class: 'summary' });
  const body = h('div', { 'aria-busy': 'true' });
  main.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, 'Workspaces'), ' / ', workspaceId),
    h('h1', {}, `Runs of ${workspaceId}`),
    summary,
    h('p', {}, h('a', { href: `#/workspaces/${seg(workspaceId)}/state` }, 'State versions')),
    body);
  let shown = '';
  page.every(2000, async () => {
    try {
      const [ws, { tasks }] = await Promise.all([
        api.get(`/workspaces/${seg(workspaceId)}`),
        api.get(`/tasks?workspace=${seg(workspaceId)}&limit=100`),
      ]);
      const json = JSON.stringify([ws, tasks]);
      if (json === shown) return;
      shown = json;
      body.removeAttribute('aria-busy');
      summary.replaceChildren(
        ws.lock ? h('span', { class: 'locked' }, 'Locked by ', lockHolder(ws.lock),
          ws.lock.reason ? ` (${ws.lock.reason})` : '') : 'Unlocked',
        ` · state serial ${ws.current_state_serial ?? '—'} (version ${ws.current_state_version ?? '—'})`);
      replaceKeepingFocus(body, table('Runs, waiting for confirmation first, then newest first',
        ['Run', 'Action', 'Status', 'Queued by', 'Queued', 'Started', 'Duration', 'Agent'],
        waitingFirst(tasks).map((t) => [
          h('a', { href: `#/runs/${seg(t.task_id)}`, dataset: { key: t.task_id } }, t.task_id),
          t.action,
          h('span', {}, statusBadge(t.status), t.cancel_requested && !isDone(t) ? ' cancel requested' : ''),
          t.created_by ?? h('span', { class: 'muted' }, '—'),
          timeEl(t.created_at),
          timeEl(t.started_at),
          fmtDuration(t.started_at, t.finished_at),
          t.agent_id ?? h('span', { class: 'muted' }, '—'),
        ]),
        'No runs in this workspace.'));
    } catch (e) {
      shown = '';
      body.replaceChildren(errorBox(e));
    }
  });
}

/** Nothing more happens to it: not queued, running, or planned (waiting for a person). */
export const isDone = (task) => !['queued', 'running', 'planned'].includes(task.status);
