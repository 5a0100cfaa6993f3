// Who may do what, as the UI decides it from GET /whoami (js/roles.js): the same rules as the server's, so the UI
// offers what the server would allow and nothing else.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { holds, orgOfKey, owns, roleToRun } from '../../main/resources/web/js/roles.js';

const user = (workspaces) => ({ kind: 'user', global_admin: false, workspaces });

describe('holds', () => {
  it('takes each role to include the ones before it', () => {
    const who = user({ ws: 'apply' });
    assert.deepEqual(['read', 'plan', 'apply', 'admin'].map((r) => holds(who, 'ws', r)), [true, true, true, false]);
  });

  it('gives nothing in a workspace the token has no role in', () => {
    assert.equal(holds(user({ ws: 'admin' }), 'other', 'read'), false);
  });

  it('gives a global admin every role everywhere', () => {
    assert.equal(holds({ kind: 'admin', global_admin: true, workspaces: {} }, 'any', 'admin'), true);
  });

  it('gives nothing when signed out', () => {
    assert.equal(holds(null, 'ws', 'read'), false);
  });

  it('takes a role on every workspace of an organisation, and the more of the two where both are held', () => {
    const who = { ...user({ 'acme/app': 'apply' }), org_roles: { acme: 'plan' } };
    assert.equal(holds(who, 'acme/other', 'plan'), true);
    assert.equal(holds(who, 'acme/other', 'apply'), false);
    assert.equal(holds(who, 'acme/app', 'apply'), true);
    assert.equal(holds(who, 'other', 'read'), false, "a bare key is default's, not acme's");
    assert.equal(holds({ ...user({}), org_roles: { default: 'admin' } }, 'ws', 'admin'), true);
  });
});

describe('orgOfKey and owns', () => {
  it('reads the organisation of a key as the server does', () => {
    assert.deepEqual(['acme/app', 'app'].map(orgOfKey), ['acme', 'default']);
  });

  it('lets owners and the site admin manage an organisation, nobody else', () => {
    assert.equal(owns({ ...user({}), owner_of: ['acme'] }, 'acme'), true);
    assert.equal(owns({ ...user({}), owner_of: ['acme'] }, 'beta'), false);
    assert.equal(owns({ kind: 'admin', global_admin: true }, 'beta'), true);
    assert.equal(owns(null, 'acme'), false);
  });
});

describe('roleToRun', () => {
  it('is plan for a plan and apply for a plan_apply: who may queue a run may cancel it', () => {
    assert.equal(roleToRun('plan'), 'plan');
    assert.equal(roleToRun('plan_apply'), 'apply');
  });

  it('lets a plan token cancel a plan but not a plan_apply', () => {
    const plan = user({ ws: 'plan' });
    assert.equal(holds(plan, 'ws', roleToRun('plan')), true);
    assert.equal(holds(plan, 'ws', roleToRun('plan_apply')), false);
  });
});
