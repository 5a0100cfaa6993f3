// What a session's roles allow, as GET /whoami states them, by the server's own rules. Pure logic (no DOM, no
// requests), unit-tested in server/src/test/web/roles.test.js; the server checks every request anyway.

/** Least to most: each role includes the ones before it (protocol's Role). */
const ROLES = ['read', 'plan', 'apply', 'admin'];

/** Whether `who` (a /whoami reply, or null when signed out) holds at least `needed` in `workspaceId`. */
export function holds(who, workspaceId, needed) {
  if (!who) return false;
  if (who.global_admin) return true;
  const held = ROLES.indexOf(who.workspaces?.[workspaceId]);
  return held >= 0 && held >= ROLES.indexOf(needed);
}

/** The role that may queue a task of this action, and so cancel it: plan for a plan, apply for a plan_apply. */
export function roleToRun(action) {
  return action === 'plan_apply' ? 'apply' : 'plan';
}

/** The role that may confirm or discard a planned run, or apply a reviewed plan: apply, as the server checks it. */
export const ROLE_TO_REVIEW = 'apply';
