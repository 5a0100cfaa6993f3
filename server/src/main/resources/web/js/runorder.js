// The order a workspace's runs are listed in. Pure logic (no DOM, no requests), unit-tested in
// server/src/test/web/runorder.test.js.

/** Whether a run waits for a person: planned, its plan to be confirmed or discarded. */
export const waitsForConfirmation = (task) => task.status === 'planned';

/** Runs waiting for confirmation first, then the rest; each group keeps the order it came in (newest first). */
export function waitingFirst(tasks) {
  return [...tasks.filter(waitsForConfirmation), ...tasks.filter((t) => !waitsForConfirmation(t))];
}
