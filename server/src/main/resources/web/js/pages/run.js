import { ApiError, api, seg } from '../api.js';
import { errorBox, fmtDuration, h, statusBadge, timeEl } from '../dom.js';
import { LogStream } from '../logstream.js';
import { attemptChoices } from '../logseq.js';
import { LogView } from '../logview.js';
import { session } from '../session.js';
import { isDone } from './runs.js';

const STATE_TEXT = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'connection lost, reconnecting…',
  ended: 'complete',
  failed: 'not available',
};

/**
 * One run: its details, plan summary, cancel buttons for those allowed (confirm and discard while its plan waits),
 * and the live log.
 */
export function runPage(main, page, taskId) {
  page.title(`Run ${taskId}`);
  const crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, 'Workspaces'));
  const heading = h('h1', {}, `Run ${taskId}`);
  const details = h('div', { class: 'run-details' });
  const actions = h('div', { class: 'actions' });
  const plan = h('section', { class: 'plan', 'aria-label': 'Plan summary' });
  const errors = h('div');

  const connection = h('span', { class: 'connection', role: 'status' }, STATE_TEXT.connecting);
  const lineCount = h('span', { class: 'muted' });
  const followBox = h('input', { type: 'checkbox', id: 'follow', checked: true });
  const view = new LogView((on) => { followBox.checked = on; });
  followBox.addEventListener('change', () => view.setFollow(followBox.checked));
  // Which attempt's log is shown: 0 follows the current one; an earlier attempt (its agent lost) stays readable.
  let shownAttempt = 0;
  const attemptPicker = h('select', { id: 'log-attempt', 'aria-label': 'Attempt shown', hidden: true,
    onchange: () => showAttempt(Number(attemptPicker.value)) });
  const download = h('button', { type: 'button', onclick: () => api.download(
    `/tasks/${seg(taskId)}/logs.txt${shownAttempt ? `?attempt=${shownAttempt}` : ''}`,
    `${taskId}${shownAttempt ? `.a${shownAttempt}` : ''}.log`).catch(showError) }, 'Download log');
  const toolbar = h('div', { class: 'log-toolbar' },
    h('h2', { id: 'log-title' }, 'Log'), attemptPicker, connection, lineCount,
    h('label', { for: 'follow' }, followBox, ' Follow the end'), download);
  view.element.setAttribute('aria-labelledby', 'log-title');
  main.append(crumbs, heading, errors, details, actions, plan, h('section', { class: 'log' }, toolbar, view.element));

  let task = null;
  const refresh = async () => {
    try {
      task = await api.get(`/tasks/${seg(taskId)}`);
      errors.replaceChildren();
      show(task);
    } catch (e) {
      showError(e);
    }
  };

  const openStream = (pinned = 0) => new LogStream(taskId, {
    onLines: (lines) => {
      view.append(lines);
      lineCount.textContent = `${view.texts.length.toLocaleString('en')} lines`;
    },
    onNewAttempt: (attempt) => {
      view.clear();
      errors.replaceChildren(h('p', { class: 'notice', role: 'status' },
        `The run's agent was lost; attempt ${attempt} started again and its log is shown from its first line`
        + ' (the earlier attempts\' logs stay readable: pick one above the log).'));
    },
    onEnd: () => refresh(),
    onState: (state, detail) => {
      connection.textContent = STATE_TEXT[state] + (detail && state !== 'live' ? ` (${detail})` : '');
      connection.dataset.state = state;
    },
  }, pinned);
  let stream = openStream();
  stream.start();
  view.element.iacStream = stream;
  page.onLeave(() => stream.stop());

  function showAttempt(n) {
    shownAttempt = n;
    stream.stop();
    view.clear();
    lineCount.textContent = '';
    stream = openStream(n);
    view.element.iacStream = stream;
    stream.start();
  }

  /** The picker lists the task's attempts once there is more than one; the choice made stays. */
  function showAttemptPicker(t) {
    const choices = attemptChoices(t.attempt);
    attemptPicker.hidden = choices.length === 0;
    if (attemptPicker.options.length === choices.length) return;
    attemptPicker.replaceChildren(...choices.map((c) => h('option', { value: String(c.value) }, c.label)));
    attemptPicker.value = String(shownAttempt);
  }

  // Status, phase and timestamps come from the task itself; the stream only carries lines.
  page.every(2000, async () => {
    if (task && isDone(task)) return;
    await refresh();
  });

  // Agent names by id, for "name (id)": the list is read once per agent id the page shows (a retried attempt may run
  // elsewhere), and only by a token that may list agents (a global admin; the server refuses the list to any other).
  // Not kept past the page, so no later session in this tab sees them.
  const agentNames = new Map();
  const asked = new Set();

  /** "name (id)" once the agent list is in; the id alone until then, and for a token that may not list agents. */
  function agentLabel(id) {
    const el = h('span', {}, agentNames.has(id) ? `${agentNames.get(id)} (${id})` : id);
    if (!agentNames.has(id) && !asked.has(id) && session.canListAgents()) {
      asked.add(id);
      api.get('/agents').then(({ agents }) => {
        agents.forEach((a) => agentNames.set(a.agent_id, a.name));
        if (agentNames.has(id)) el.textContent = `${agentNames.get(id)} (${id})`;
      }).catch(() => {
        asked.delete(id); // asked again at the next refresh
      });
    }
    return el;
  }

  function show(t) {
    page.title(`Run ${t.task_id} (${t.status}) · ${t.workspace_id}`);
    heading.replaceChildren(`Run ${t.task_id} `, statusBadge(t.status));
    crumbs.replaceChildren(h('a', { href: '#/' }, 'Workspaces'), ' / ',
      h('a', { href: `#/workspaces/${seg(t.workspace_id)}` }, t.workspace_id), ' / ', t.task_id);
    details.replaceChildren(h('dl', {},
      item('Workspace', h('a', { href: `#/workspaces/${seg(t.workspace_id)}` }, t.workspace_id)),
      item('Action', t.action),
      item('Status', h('span', {}, statusBadge(t.status), t.phase && t.status === 'running' ? ` (${t.phase})` : '',
        t.cancel_requested && !isDone(t) ? ' · cancel requested' : '')),
      item('Queued by', t.created_by ?? '—'),
      item('Queued', timeEl(t.created_at)),
      item('Started', timeEl(t.started_at)),
      item('Finished', timeEl(t.finished_at)),
      item('Duration', fmtDuration(t.started_at, t.finished_at) || '—'),
      item('Agent', t.agent_id ? agentLabel(t.agent_id) : '—'),
      item('Attempt', String(t.attempt)),
      t.exit_code !== null && t.exit_code !== undefined ? item('Exit code', String(t.exit_code)) : null,
      t.message ? item('Message', t.message) : null,
      t.agent_unreachable_since && !isDone(t)
        ? item('Agent unreachable', h('span', {}, 'since ', timeEl(t.agent_unreachable_since), ': the apply goes on there and is delivered when the agent is back'))
        : null,
      t.terraform_version ? item('Terraform', t.terraform_version) : null,
      runMode(t.run_options) ? item('Run mode', runMode(t.run_options)) : null,
      t.apply_plan_of && t.apply_plan_of !== t.task_id
        ? item('Applies the plan of', h('a', { href: `#/runs/${seg(t.apply_plan_of)}` }, t.apply_plan_of))
        : null,
      t.reviewed_by ? item(t.status === 'discarded' ? 'Discarded by' : 'Confirmed by',
        h('span', {}, t.reviewed_by, ' ', timeEl(t.reviewed_at))) : null,
      t.review_comment ? item('Comment', t.review_comment) : null,
      item('Log', `${t.log_lines.toLocaleString('en')} lines stored${t.log_complete ? ', complete (checked)' : ''}`
        + (t.log_incomplete_reason ? `; incomplete: ${t.log_incomplete_reason}` : ''))));
    showPlan(t.plan_summary);
    showActions(t);
    showAttemptPicker(t);
  }

  function showPlan(summary) {
    if (!summary) {
      plan.replaceChildren(h('h2', {}, 'Plan'), h('p', { class: 'muted' }, 'Not planned yet.'));
      return;
    }
    const group = (label, sign, addresses) => h('details', { open: addresses.length > 0 && addresses.length <= 20 },
      h('summary', {}, `${sign}${addresses.length} to ${label}`),
      addresses.length ? h('ul', {}, addresses.map((a) => h('li', {}, h('code', {}, a)))) : h('p', { class: 'muted' }, 'none'));
    plan.replaceChildren(h('h2', {}, 'Plan'),
      h('p', { class: 'plan-counts' }, `${summary.add.length} to add, ${summary.change.length} to change, ${summary.destroy.length} to destroy`),
      group('add', '+', summary.add), group('change', '~', summary.change), group('destroy', '−', summary.destroy));
  }

  function showActions(t) {
    if (t.status === 'planned') {
      showReview(t);
      return;
    }
    if (isDone(t) || !session.canCancel(t)) {
      actions.replaceChildren();
      return;
    }
    const running = t.status === 'running';
    actions.replaceChildren(
      h('button', { type: 'button', class: 'danger', id: 'cancel', disabled: t.cancel_requested && !running ? true : null,
        onclick: () => cancel(false) }, 'Cancel run'),
      running ? h('button', { type: 'button', class: 'danger', id: 'force-cancel', onclick: () => cancel(true) }, 'Force cancel') : null,
      running ? h('span', { class: 'muted' }, 'Cancel interrupts Terraform and waits for it to stop; force cancel kills it at once.') : null);
  }

  /** A planned run: the destroy warning, and confirm and discard for a token that may apply. */
  function showReview(t) {
    const warning = t.run_options?.destroy
      ? h('p', { class: 'destroy-warning', role: 'alert' }, 'This run destroys every resource of the workspace.')
      : null;
    if (!session.canReview(t)) {
      actions.replaceChildren(warning, h('p', { class: 'muted' }, 'The plan waits for someone who may apply to confirm or discard it.'));
      return;
    }
    if (actions.querySelector('#review-comment')) return; // keep what is being typed
    const comment = h('input', { type: 'text', id: 'review-comment', maxlength: '4000', placeholder: 'Comment (optional)' });
    actions.replaceChildren(warning,
      h('label', { for: 'review-comment' }, 'Comment '), comment,
      h('button', { type: 'button', id: 'confirm', onclick: () => review('confirm', comment.value) },
        t.run_options?.destroy ? 'Confirm and destroy' : 'Confirm and apply'),
      h('button', { type: 'button', class: 'danger', id: 'discard', onclick: () => review('discard', comment.value) }, 'Discard'),
      h('span', { class: 'muted' }, 'Confirm applies exactly this plan; discard drops it.'));
  }

  async function review(verdict, comment) {
    if (verdict === 'discard' && !window.confirm(`Discard the plan of run ${taskId}?`)) return;
    try {
      task = await api.post(`/tasks/${seg(taskId)}/${verdict}`, { comment: comment || null });
      show(task);
      if (verdict === 'confirm') {
        // The apply is a new attempt with a log of its own: follow it.
        attemptPicker.value = '0';
        showAttempt(0);
      }
    } catch (e) {
      showError(e);
    }
  }

  async function cancel(force) {
    const what = force ? 'Kill Terraform at once' : 'Interrupt Terraform';
    if (!window.confirm(`${what} for run ${taskId}?`)) return;
    try {
      task = await api.post(`/tasks/${seg(taskId)}/cancel`, { force });
      show(task);
    } catch (e) {
      showError(e);
    }
  }

  function showError(e) {
    errors.replaceChildren(errorBox(e instanceof ApiError && e.status === 404 ? new Error(`There is no run ${taskId}.`) : e));
  }
}

/** The run mode in words, or null for a normal run. */
function runMode(options) {
  if (!options) return null;
  const parts = [];
  if (options.destroy) parts.push('destroy');
  if (options.refresh_only) parts.push('refresh only');
  options.targets.forEach((a) => parts.push(`target ${a}`));
  options.replaces.forEach((a) => parts.push(`replace ${a}`));
  return parts.length ? parts.join(', ') : null;
}

function item(term, value) {
  return [h('dt', {}, term), h('dd', {}, value)];
}
