// The web UI's entry: the session, the hash router, and the page lifecycle. Pages are functions that fill <main>
// and return nothing; whatever they poll or stream is registered on the page context and stopped when the route
// changes, so a page left behind never keeps polling.

import { setUnauthorizedHandler } from './api.js';
import { session } from './session.js';
import { signInPage } from './pages/signin.js';
import { workspacesPage } from './pages/workspaces.js';
import { runsPage } from './pages/runs.js';
import { runPage } from './pages/run.js';
import { agentsPage } from './pages/agents.js';
import { statesPage } from './pages/states.js';
import { teamsPage } from './pages/teams.js';
import { api } from './api.js';
import { currentOrg, switcherChoices } from './orgs.js';

const ROUTES = [
  [/^\/$/, workspacesPage, 'workspaces'],
  [/^\/workspaces\/([^/]+)$/, runsPage, 'workspaces'],
  [/^\/workspaces\/([^/]+)\/state$/, statesPage, 'workspaces'],
  [/^\/runs\/([^/]+)$/, runPage, 'workspaces'],
  [/^\/agents$/, agentsPage, 'agents'],
  [/^\/teams$/, teamsPage, 'teams'],
];

const main = document.getElementById('main');
let current = null;

/** What a page gets: a title setter, and polls and cleanups that end with the page. */
class PageContext {
  cleanups = [];
  active = true;

  title(text) {
    document.title = `${text} · iac-runner`;
  }

  /** Runs `fn` now and every `ms` while the page is shown (skipping ticks while the tab is hidden or a run is slow). */
  every(ms, fn) {
    let busy = false;
    const tick = async () => {
      if (busy || document.hidden || !this.active) return;
      busy = true;
      try {
        await fn();
      } finally {
        busy = false;
      }
    };
    tick();
    const id = setInterval(tick, ms);
    this.onLeave(() => clearInterval(id));
  }

  onLeave(fn) {
    this.cleanups.push(fn);
  }

  leave() {
    this.active = false;
    this.cleanups.forEach((fn) => fn());
  }
}

function route() {
  current?.leave();
  current = new PageContext();
  const path = decodeURI(location.hash.replace(/^#/, '')) || '/';
  showChrome(session.who !== null);
  if (session.who === null) {
    signInPage(main, current, () => {
      fillOrgSwitcher();
      route();
    });
    return;
  }
  const match = ROUTES.map(([pattern, page, nav]) => [pattern.exec(path), page, nav]).find(([m]) => m);
  if (!match) {
    location.replace('#/');
    return;
  }
  const [m, page, nav] = match;
  document.querySelectorAll('[data-nav]').forEach((a) => {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  main.replaceChildren();
  page(main, current, ...m.slice(1).map(decodeURIComponent));
  // Screen readers and keyboard users start at the new page's content, as after a page load.
  main.focus({ preventScroll: true });
}

function showChrome(signedIn) {
  document.getElementById('nav').hidden = !signedIn;
  document.querySelector('[data-nav="agents"]').hidden = !(signedIn && session.canListAgents());
  document.querySelector('[data-nav="teams"]').hidden = !(signedIn && session.canManage(currentOrg.get()));
  document.getElementById('who').hidden = !signedIn;
  document.getElementById('who-kind').textContent = signedIn
    ? `Signed in: ${session.who.global_admin ? 'administrator' : `${session.who.kind} token`}`
    : '';
}

/** The organisation switcher: the organisations the token may see; choosing one shows the pages of it. */
async function fillOrgSwitcher() {
  const label = document.getElementById('org-switch');
  const select = document.getElementById('org');
  try {
    const { orgs } = await api.get('/orgs');
    const names = switcherChoices(orgs, currentOrg.get());
    if (!names.includes(currentOrg.get()) && names.length > 0) currentOrg.set(names[0]);
    select.replaceChildren(...names.map((name) => Object.assign(document.createElement('option'), { value: name, textContent: name })));
    select.value = currentOrg.get();
    label.hidden = names.length < 2;
    showChrome(session.who !== null); // the organisation chosen may have changed what the nav offers
  } catch {
    label.hidden = true;
  }
}

document.getElementById('org').addEventListener('change', (event) => {
  currentOrg.set(event.target.value);
  location.hash = '#/';
  route();
});

function signOut() {
  session.signOut();
  route();
}

setUnauthorizedHandler(() => {
  if (session.who !== null) signOut();
});
document.getElementById('sign-out').addEventListener('click', signOut);
// The skip link moves focus, not the route (its #main would otherwise be read as a route).
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', route);
session.resume().then(() => {
  if (session.who !== null) fillOrgSwitcher();
  route();
});
