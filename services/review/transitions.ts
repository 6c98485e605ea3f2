/**
 * The review's state machine, as data: an alert is decided once. `new` -> `confirmed` (it is the
 * material: a takedown notice follows) or `rejected` (it is not; optionally its media is allowlisted for
 * the material). A decision is final: changing one means a new alert, not a flip, because a confirmed
 * alert may already be in a notice sent to a platform. Pure.
 */
export const ALERT_STATUSES = ['new', 'confirmed', 'rejected'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export type Decision = 'confirm' | 'reject';

export const TRANSITIONS: Readonly<Record<AlertStatus, Readonly<Partial<Record<Decision, AlertStatus>>>>> = {
  new: { confirm: 'confirmed', reject: 'rejected' },
  confirmed: {},
  rejected: {},
};

export type TransitionResult = { ok: true; to: AlertStatus } | { ok: false; why: string };

export function isAlertStatus(value: string): value is AlertStatus {
  return (ALERT_STATUSES as readonly string[]).includes(value);
}

/** Where `decision` takes an alert in `from`, or why it cannot (a sentence about alert `id`). */
export function transition(id: string, from: string, decision: Decision): TransitionResult {
  if (!isAlertStatus(from)) return { ok: false, why: `Alert ${id} has the status '${from}', which the review does not know; it was changed outside staydown.` };
  const to = TRANSITIONS[from][decision];
  if (to) return { ok: true, to };
  const verb = decision === 'confirm' ? 'confirmed' : 'rejected';
  if (from === TRANSITIONS.new[decision]) return { ok: false, why: `Alert ${id} is already ${verb}; nothing was changed.` };
  return {
    ok: false,
    why: `Alert ${id} was already ${from} and cannot be ${verb} now: a decision is final. If it was wrong, tell an administrator; the next crawl raises a new alert only for a new media URL.`,
  };
}
