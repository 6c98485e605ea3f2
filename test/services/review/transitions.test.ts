import { describe, expect, it } from 'vitest';
import { ALERT_STATUSES, TRANSITIONS, transition, type Decision } from '../../../services/review/transitions.ts';

const ID = '00000000-0000-4000-8000-000000000001';

// Every (status, decision) pair and what must come of it, written out apart from TRANSITIONS.
const CASES: Array<[from: string, decision: Decision, expected: string | RegExp]> = [
  ['new', 'confirm', 'confirmed'],
  ['new', 'reject', 'rejected'],
  ['confirmed', 'confirm', /is already confirmed; nothing was changed/],
  ['rejected', 'reject', /is already rejected; nothing was changed/],
  ['confirmed', 'reject', /was already confirmed and cannot be rejected now: a decision is final/],
  ['rejected', 'confirm', /was already rejected and cannot be confirmed now: a decision is final/],
  ['dismissed', 'confirm', /has the status 'dismissed', which the review does not know/],
];

describe('alert transitions', () => {
  it.each(CASES)('%s + %s', (from, decision, expected) => {
    const r = transition(ID, from, decision);
    if (typeof expected === 'string') expect(r).toEqual({ ok: true, to: expected });
    else {
      expect(r.ok).toBe(false);
      expect(!r.ok && r.why).toMatch(expected);
      expect(!r.ok && r.why).toContain(ID);
    }
  });

  it('the table covers every status, and only `new` leads anywhere', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...ALERT_STATUSES].sort());
    for (const s of ALERT_STATUSES) {
      const targets = Object.values(TRANSITIONS[s]);
      expect(targets.length > 0).toBe(s === 'new');
    }
    // The pairs above are every known status with every decision.
    const known = CASES.filter(([f]) => (ALERT_STATUSES as readonly string[]).includes(f)).map(([f, d]) => `${f}/${d}`).sort();
    expect(known).toEqual(ALERT_STATUSES.flatMap((s) => ['confirm', 'reject'].map((d) => `${s}/${d}`)).sort());
  });
});
