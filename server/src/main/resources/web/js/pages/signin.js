import { h } from '../dom.js';
import { session } from '../session.js';

/** A token pasted once per tab; it is checked with the server before anything else is shown. */
export function signInPage(main, page, signedIn) {
  page.title('Sign in');
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true,
    'aria-describedby': 'token-help',
  });
  const status = h('p', { class: 'error', role: 'alert', id: 'sign-in-error' });
  const form = h('form', { class: 'sign-in', onsubmit: submit },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'token' }, 'Token'),
    input,
    h('p', { id: 'token-help', class: 'muted' },
      'An admin token (', h('code', {}, '.iac-data/admin.token'), ' under ', h('code', {}, './iac dev'),
      ') or a user token. It is kept in this tab only, until the tab closes or you sign out.'),
    h('button', { type: 'submit' }, 'Sign in'),
    status);
  main.replaceChildren(form);
  input.focus();

  async function submit(event) {
    event.preventDefault();
    status.textContent = '';
    try {
      await session.signIn(input.value.trim());
      signedIn();
    } catch (e) {
      status.textContent = `Not signed in: ${e.message}`;
      input.focus();
    }
  }
}
