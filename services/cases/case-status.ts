/** The case lifecycle as data: open -> monitoring -> closed, plus withdrawn and erased from anywhere. */
import type { CaseStatus } from '../../db/queries/cases.ts';

export type { CaseStatus };

const NEXT: Record<CaseStatus, readonly CaseStatus[]> = {
  open: ['monitoring', 'closed', 'withdrawn', 'erased'],
  monitoring: ['closed', 'withdrawn', 'erased'],
  closed: ['monitoring', 'withdrawn', 'erased'],
  withdrawn: ['erased'],
  erased: [],
};

export function canMoveTo(from: CaseStatus, to: CaseStatus): boolean {
  return NEXT[from].includes(to);
}

/** Only these statuses' material is in the match index. */
export function isMatchable(status: CaseStatus): boolean {
  return status === 'open' || status === 'monitoring';
}
