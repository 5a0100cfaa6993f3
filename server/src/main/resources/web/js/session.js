// Who is signed in (GET /whoami) and what that allows. The UI only hides what the server would refuse anyway: every
// request is still checked by the server.

import { ApiError, api, token } from './api.js';
import { ROLE_TO_REVIEW, holds, owns, roleToRun } from './roles.js';

/** Kinds of token a person uses; pool and agent tokens are for agents. */
const PEOPLE = ['admin', 'user'];

let who = null;

export const session = {
  get who() {
    return who;
  },

  /** Checks `candidate` with the server and keeps it for this tab; throws when it is refused or not a person's. */
  async signIn(candidate) {
    const me = await api.get('/whoami', candidate);
    if (!PEOPLE.includes(me.kind)) {
      throw new Error(`this is a ${me.kind} token; sign in with an admin or user token`);
    }
    token.set(candidate);
    who = me;
  },

  /** Restores the tab's session after a reload; false when there is none or the token no longer works. */
  async resume() {
    if (!token.get()) return false;
    try {
      await this.signIn(token.get());
      return true;
    } catch (e) {
      // A server that cannot be reached has not refused the token: keep it for the next attempt.
      if (!(e instanceof ApiError && e.status === 0)) this.signOut();
      return false;
    }
  },

  signOut() {
    token.clear();
    who = null;
  },

  /** Cancel and force-cancel need the role that may queue the run: plan for a plan, apply for a plan_apply. */
  canCancel(task) {
    return holds(who, task.workspace_id, roleToRun(task.action));
  },

  /** Confirm and discard need the apply role in the run's workspace. */
  canReview(task) {
    return holds(who, task.workspace_id, ROLE_TO_REVIEW);
  },

  /** Teams and users of an organisation are its owners' (and the site admin's) to read. */
  canManage(org) {
    return owns(who, org);
  },

  /** Agents and pools are a global admin's to list; the server refuses them to every other token. */
  canListAgents() {
    return who?.global_admin === true;
  },
};
