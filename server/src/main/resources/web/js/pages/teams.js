import { api, seg } from '../api.js';
import { errorBox, h, table } from '../dom.js';
import { currentOrg } from '../orgs.js';

/** The chosen organisation's teams, their members and grants, and its users: readable by its owners. */
export async function teamsPage(main, page) {
  const org = currentOrg.get();
  page.title(`Teams of ${org}`);
  main.append(h('h1', {}, `Teams of ${org}`));
  try {
    const list = await api.get(`/orgs/${seg(org)}/teams`);
    main.append(
      table('Teams', ['Team', 'Members', 'Grants'],
        list.teams.map((t) => [
          t.name,
          t.members.join(', ') || '—',
          t.grants.map((g) => `${g.role} on ${g.workspace ?? 'every workspace'}`).join('; ') || '—',
        ]),
        'No teams yet.'),
      table('Users', ['User'], list.users.map((u) => [u]), 'No users yet.'));
  } catch (e) {
    main.append(errorBox(e));
  }
}
