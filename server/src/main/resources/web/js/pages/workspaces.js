import { api, seg } from '../api.js';
import { errorBox, fmtAgo, h, replaceKeepingFocus, statusBadge, table, timeEl } from '../dom.js';

/** Every workspace the token may see: lock, current state serial, newest run. */
export function workspacesPage(main, page) {
  page.title('Workspaces');
  const body = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' });
  main.append(h('h1', {}, 'Workspaces'), body);
  let shown = '';
  page.every(2000, async () => {
    try {
      const { workspaces } = await api.get('/workspaces');
      const json = JSON.stringify(workspaces);
      if (json === shown) return;
      shown = json;
      body.removeAttribute('aria-busy');
      replaceKeepingFocus(body, table('Workspaces, by name',
        ['Workspace', 'Lock', 'State serial', 'Last run', 'Last run status', 'Queued'],
        workspaces.map(row),
        'No workspaces yet: a workspace comes into being with its first run.'));
    } catch (e) {
      shown = '';
      body.replaceChildren(errorBox(e));
    }
  });
}

function row(ws) {
  const last = ws.last_task;
  return [
    h('a', { href: `#/workspaces/${seg(ws.workspace_id)}`, dataset: { key: `ws-${ws.workspace_id}` } }, ws.workspace_id),
    ws.lock
      ? h('span', { class: 'locked', title: ws.lock.reason ?? '' }, 'locked by ', lockHolder(ws.lock))
      : h('span', { class: 'muted' }, 'free'),
    ws.current_state_serial ?? h('span', { class: 'muted' }, 'no state'),
    last ? h('a', { href: `#/runs/${seg(last.task_id)}`, dataset: { key: `run-${last.task_id}` } }, `${last.action} ${last.task_id}`) : '—',
    last ? statusBadge(last.status) : '—',
    last ? h('span', {}, timeEl(last.created_at), ' ', h('span', { class: 'muted' }, `(${fmtAgo(last.created_at)})`)) : '—',
  ];
}

/** A running plan_apply (a link to it), or a local Terraform run through the http backend (its lock ID). */
export function lockHolder(lock) {
  return lock.task_id
    ? h('a', { href: `#/runs/${seg(lock.task_id)}` }, lock.task_id)
    : `a local Terraform run (lock ID ${lock.terraform_lock_id})`;
}
