// What a session's roles allow, as GET /whoami states them, by the server's own rules. Pure logic (no DOM, no
// requests), unit-tested in server/src/test/web/roles.test.js; the server checks every request anyway.

/** Least to most: each role includes the ones before it (protocol's Role). */
const ROLES = ['read', 'plan', 'apply', 'admin'];

/** The organisation of a workspace key: `ORG/NAME`, or a bare name in `default` (the server's OrgNames). */
export function orgOfKey(workspaceId) {
  const slash = workspaceId.indexOf('/');
  return slash > 0 ? workspaceId.slice(0, slash) : 'default';
}

/**
 * Whether `who` (a /whoami reply, or null when signed out) holds at least `needed` in `workspaceId`: by its role
 * there or its role on every workspace of the organisation (a team's grant on all of them; an owner's admin),
 * whichever is more.
 */
export function holds(who, workspaceId, needed) {
  if (!who) return false;
  if (who.global_admin) return true;
  const held = Math.max(
    ROLES.indexOf(who.workspaces?.[workspaceId]),
    ROLES.indexOf(who.org_roles?.[orgOfKey(workspaceId)]));
  return held >= 0 && held >= ROLES.indexOf(needed);
}

/** Whether `who` manages organisation `org`'s teams and users: its owner, or the site admin. */
export function owns(who, org) {
  if (!who) return false;
  return who.global_admin === true || (who.owner_of ?? []).includes(org);
}

/** The role that may queue a task of this action, and so cancel it: plan for a plan, apply for a plan_apply. */
export function roleToRun(action) {
  return action === 'plan_apply' ? 'apply' : 'plan';
}

/** The role that may confirm or discard a planned run, or apply a reviewed plan: apply, as the server checks it. */
export const ROLE_TO_REVIEW = 'apply';
