import { api, seg } from '../api.js';
import { errorBox, h, replaceKeepingFocus, table, timeEl } from '../dom.js';

/** A workspace's state versions, newest first, each downloadable as the terraform.tfstate it was. */
export function statesPage(main, page, workspaceId) {
  page.title(`${workspaceId}: state versions`);
  const body = h('div', { 'aria-busy': 'true' });
  const errors = h('div');
  main.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, 'Workspaces'), ' / ',
      h('a', { href: `#/workspaces/${seg(workspaceId)}` }, workspaceId), ' / state'),
    h('h1', {}, `State versions of ${workspaceId}`), errors, body);
  let shown = '';
  page.every(2000, async () => {
    try {
      const [ws, { versions }] = await Promise.all([
        api.get(`/workspaces/${seg(workspaceId)}`),
        api.get(`/workspaces/${seg(workspaceId)}/state/versions`),
      ]);
      const json = JSON.stringify([ws.current_state_version, versions]);
      if (json === shown) return;
      shown = json;
      body.removeAttribute('aria-busy');
      const newestFirst = [...versions].sort((a, b) => b.version - a.version);
      replaceKeepingFocus(body, table('State versions, newest first',
        ['Version', 'Serial', 'Written by', 'Written', 'SHA-256', 'Download'],
        newestFirst.map((v) => [
          v.version === ws.current_state_version ? h('strong', {}, `${v.version} (current)`) : String(v.version),
          String(v.serial),
          v.task_id ? h('a', { href: `#/runs/${seg(v.task_id)}` }, v.task_id) : `rollback to version ${v.rollback_of}`,
          timeEl(v.created_at),
          h('code', { title: v.sha256 }, v.sha256.slice(0, 12)),
          h('button', { type: 'button', dataset: { key: `v${v.version}` }, onclick: () => download(v.version) },
            `Download version ${v.version}`),
        ]),
        'No state yet: the first apply writes version 1.'));
    } catch (e) {
      shown = '';
      body.replaceChildren(errorBox(e));
    }
  });

  function download(version) {
    api.download(`/workspaces/${seg(workspaceId)}/state?version=${version}`, `${workspaceId}-v${version}.tfstate`)
      .catch((e) => errors.replaceChildren(errorBox(e)));
  }
}
