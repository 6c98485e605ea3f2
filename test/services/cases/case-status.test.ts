// services/case-status.ts is moving to services/cases/case-status.ts; this file already sits where it will live.
import { describe, expect, it } from 'vitest';
import { canMoveTo, isMatchable, type CaseStatus } from '../../../services/cases/case-status.ts';

const STATUSES = ['open', 'monitoring', 'closed', 'withdrawn', 'erased'] as const satisfies readonly CaseStatus[];
// Every status is in the list (tsc fails here when a status is added to CaseStatus and not to STATUSES).
const everyStatusListed: [Exclude<CaseStatus, (typeof STATUSES)[number]>] extends [never] ? true : false = true;
void everyStatusListed;

// The lifecycle written out independently of the module's table: every allowed move, and no other.
const ALLOWED = new Set([
  'open -> monitoring', 'open -> closed', 'open -> withdrawn', 'open -> erased',
  'monitoring -> closed', 'monitoring -> withdrawn', 'monitoring -> erased',
  'closed -> monitoring', 'closed -> withdrawn', 'closed -> erased',
  'withdrawn -> erased',
]);

describe('case status transitions', () => {
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      const allowed = ALLOWED.has(`${from} -> ${to}`);
      it(`${from} -> ${to}: ${allowed ? 'allowed' : 'refused'}`, () => {
        expect(canMoveTo(from, to)).toBe(allowed);
      });
    }
  }

  it('never moves a case to the status it already has', () => {
    expect(STATUSES.filter((s) => canMoveTo(s, s))).toEqual([]);
  });

  it('never reopens a case: nothing leads back to open', () => {
    expect(STATUSES.filter((s) => canMoveTo(s, 'open'))).toEqual([]);
  });

  it('lets a case be erased from every status but erased, and leaves an erased case where it is', () => {
    expect(STATUSES.filter((s) => canMoveTo(s, 'erased'))).toEqual(['open', 'monitoring', 'closed', 'withdrawn']);
    expect(STATUSES.filter((s) => canMoveTo('erased', s))).toEqual([]);
  });

  it('lets a withdrawn case only be erased (the victim withdrew: it is not monitored again)', () => {
    expect(STATUSES.filter((s) => canMoveTo('withdrawn', s))).toEqual(['erased']);
  });
});

describe('which statuses are matched', () => {
  it.each([
    ['open', true],
    ['monitoring', true],
    ['closed', false],
    ['withdrawn', false],
    ['erased', false],
  ] as const)('%s: %s', (status, matchable) => {
    expect(isMatchable(status)).toBe(matchable);
  });

  it('switches matching on by one move only: closed -> monitoring', () => {
    const turnsOn = STATUSES.flatMap((from) => STATUSES.filter((to) => canMoveTo(from, to) && !isMatchable(from) && isMatchable(to)).map((to) => `${from} -> ${to}`));
    expect(turnsOn).toEqual(['closed -> monitoring']);
  });
});
