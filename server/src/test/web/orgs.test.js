import { test } from 'node:test';
import assert from 'node:assert/strict';
import { switcherChoices, withOrg } from '../../main/resources/web/js/orgs.js';

test('a path names the chosen organisation, and the default one by nothing', () => {
  assert.equal(withOrg('/workspaces', 'acme'), '/workspaces?org=acme');
  assert.equal(withOrg('/tasks?workspace=a', 'acme'), '/tasks?workspace=a&org=acme');
  assert.equal(withOrg('/workspaces', 'default'), '/workspaces');
  assert.equal(withOrg('/workspaces', null), '/workspaces');
  assert.equal(withOrg('/pools?org=b', 'acme'), '/pools?org=b');
});

test('the switcher offers the chosen organisation first, and only those the token sees', () => {
  const orgs = [{ org_id: 'zeta' }, { org_id: 'default' }, { org_id: 'acme' }];
  assert.deepEqual(switcherChoices(orgs, 'zeta'), ['zeta', 'acme', 'default']);
  assert.deepEqual(switcherChoices(orgs, 'gone'), ['acme', 'default', 'zeta']);
});
