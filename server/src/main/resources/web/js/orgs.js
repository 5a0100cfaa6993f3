// Organisations in the web UI: which one the pages are about (kept for this tab), and how an API path names it.

const ORG_KEY = 'iac-runner.org';
export const DEFAULT_ORG = 'default';

/** `path` naming organisation `org` (`?org=` or `&org=`); the default one is named by nothing, as before organisations. */
export function withOrg(path, org) {
  if (!org || org === DEFAULT_ORG || /[?&]org=/.test(path)) return path;
  return `${path}${path.includes('?') ? '&' : '?'}org=${encodeURIComponent(org)}`;
}

/** The organisations to offer in the switcher: those listed, the chosen one first if it is among them. */
export function switcherChoices(orgs, chosen) {
  const names = orgs.map((o) => o.org_id).sort();
  if (!names.includes(chosen)) return names;
  return [chosen, ...names.filter((n) => n !== chosen)];
}

export const currentOrg = {
  get: () => sessionStorage.getItem(ORG_KEY) || DEFAULT_ORG,
  set: (value) => sessionStorage.setItem(ORG_KEY, value),
};
