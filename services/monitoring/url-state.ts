/**
 * The life of a notified URL, as a table (pure): `notified` -> `acknowledged` -> `removal-claimed` ->
 * `removed` (verified by staydown) | `refused` -> `escalated`; `removed` -> `reappeared` (back at the same
 * URL) -> `notified` again when the new notice is sent. A platform's word never makes a URL `removed`:
 * only a check does; a `removed` answer only makes it `removal-claimed` and asks for a check at once.
 */

export const URL_STATES = ['notified', 'acknowledged', 'removal-claimed', 'removed', 'refused', 'escalated', 'reappeared'] as const;
export type UrlState = (typeof URL_STATES)[number];

/** What can happen to a tracked URL. `answer` comes from the platform, `check` from staydown. */
export type UrlEvent =
  | { type: 'answer'; answer: 'acknowledged' | 'removed' | 'refused' | 'need-info' | 'not-found' }
  | { type: 'check'; result: 'removed' | 'present' | 'unknown' }
  | { type: 'reminder-sent' }
  | { type: 'escalation-sent' }
  | { type: 'deadline-passed' }
  /** The new notice for re-appeared content was sent. */
  | { type: 'notice-sent' };

export type UrlEventName = 'answer:acknowledged' | 'answer:removed' | 'answer:refused' | 'answer:need-info' | 'answer:not-found'
  | 'check:removed' | 'check:present' | 'check:unknown' | 'reminder-sent' | 'escalation-sent' | 'deadline-passed' | 'notice-sent';

export function eventName(e: UrlEvent): UrlEventName {
  if (e.type === 'answer') return `answer:${e.answer}`;
  if (e.type === 'check') return `check:${e.result}`;
  return e.type;
}

/** What follows from an event besides the state: check now, draft a new notice for re-appeared content. */
export type UrlEffect = 'check-now' | 'draft-notice' | 'start-rechecks';

export interface UrlTransition {
  from: UrlState;
  to: UrlState;
  /** false: the event is recorded in the history but the state stays. */
  changed: boolean;
  effects: UrlEffect[];
  /** Why, in a sentence (kept in the history). */
  why: string;
}

type Row = { to: UrlState; effects?: UrlEffect[]; why: string };
const OPEN: readonly UrlState[] = ['notified', 'acknowledged', 'removal-claimed', 'refused', 'escalated'];

/**
 * The table: state x event -> next state. A missing cell keeps the state (recorded, no change): a check
 * whose answer is `unknown` never moves anything, an answer about a removed URL changes nothing.
 */
const TABLE: Partial<Record<UrlState, Partial<Record<UrlEventName, Row>>>> = {};
function cell(states: readonly UrlState[], event: UrlEventName, row: Row): void {
  for (const s of states) (TABLE[s] ??= {})[event] = row;
}
cell(['notified'], 'answer:acknowledged', { to: 'acknowledged', why: 'The platform acknowledged the notice.' });
cell(['notified', 'acknowledged', 'refused', 'escalated'], 'answer:removed', { to: 'removal-claimed', effects: ['check-now'], why: 'The platform says it removed the content; staydown checks it at once.' });
cell(['notified', 'acknowledged', 'refused', 'escalated'], 'answer:not-found', { to: 'removal-claimed', effects: ['check-now'], why: 'The platform says the content is not there; staydown checks it at once.' });
cell(['notified', 'acknowledged', 'removal-claimed'], 'answer:refused', { to: 'refused', why: 'The platform refused to remove the content.' });
cell(OPEN, 'check:removed', { to: 'removed', effects: ['start-rechecks'], why: 'staydown verified that neither the media URL nor the page shows the material any more.' });
cell(['removal-claimed'], 'check:present', { to: 'acknowledged', why: 'The platform claimed removal, but the check still found the material.' });
cell(['removed'], 'check:present', { to: 'reappeared', effects: ['draft-notice'], why: 'The material is back at the same URL after it was removed.' });
cell(['notified', 'acknowledged', 'removal-claimed', 'refused'], 'escalation-sent', { to: 'escalated', why: 'An escalation went to the platform\'s escalation target.' });
cell(['reappeared'], 'notice-sent', { to: 'notified', why: 'A new notice for the re-appeared content was sent.' });

export function transitionUrl(from: UrlState, event: UrlEvent): UrlTransition {
  const name = eventName(event);
  const row = TABLE[from]?.[name];
  if (row) return { from, to: row.to, changed: row.to !== from, effects: row.effects ?? [], why: row.why };
  const why =
    name === 'check:unknown' ? 'The check could not tell (a timeout, a server error, a login wall or a refused address); it is retried and never counts as removed.'
      : name === 'check:present' ? 'The check found the material still there.'
        : name === 'check:removed' ? 'The check found it still removed.'
          : name === 'reminder-sent' ? 'A reminder went out.'
            : name === 'deadline-passed' ? 'The platform\'s deadline passed without a verified removal.'
              : name === 'answer:need-info' ? 'The platform asked for more information.'
                : `The event ${name} changes nothing for a URL that is ${from}.`;
  return { from, to: from, changed: false, effects: [], why };
}

/** Whether a URL still awaits removal (reminders and escalations concern these). */
export function awaitsRemoval(state: UrlState): boolean {
  return state !== 'removed' && state !== 'reappeared';
}

export const NOTICE_TRACKING_STATES = ['notified', 'acknowledged', 'removal-claimed', 'refused', 'escalated', 'partly-removed', 'removed', 'reappeared'] as const;
export type NoticeTrackingState = (typeof NOTICE_TRACKING_STATES)[number];

const ORDER: readonly UrlState[] = ['notified', 'acknowledged', 'removal-claimed', 'refused', 'escalated'];

/**
 * A notice's state follows from its URLs (pure): all removed -> `removed`; any re-appeared ->
 * `reappeared`; some removed -> `partly-removed`; otherwise the least advanced of the others (a notice is
 * only as far along as its slowest URL). No URLs: `notified`.
 */
export function noticeTrackingState(states: readonly UrlState[]): NoticeTrackingState {
  if (states.length === 0) return 'notified';
  if (states.includes('reappeared')) return 'reappeared';
  const removed = states.filter((s) => s === 'removed').length;
  if (removed === states.length) return 'removed';
  if (removed > 0) return 'partly-removed';
  let least = ORDER.length - 1;
  for (const s of states) least = Math.min(least, ORDER.indexOf(s));
  return ORDER[least];
}
