/** The notice status machine, every pair of statuses against the table written out here. */
import { describe, expect, it } from 'vitest';
import { canMoveNotice, NOTICE_STATUSES, noticeStatusesBefore, type NoticeStatus } from '../../../services/takedown/index.ts';

// The specification: draft -> approved -> sending -> sent | failed; draft|approved|failed -> cancelled;
// a failed delivery is retried (failed -> sending). Everything else is refused.
const ALLOWED = new Set([
  'draft>approved', 'draft>cancelled',
  'approved>sending', 'approved>cancelled',
  'sending>sent', 'sending>failed',
  'failed>sending', 'failed>cancelled',
]);

describe('notice status machine', () => {
  const pairs = NOTICE_STATUSES.flatMap((from) => NOTICE_STATUSES.map((to) => [from, to] as [NoticeStatus, NoticeStatus]));
  it.each(pairs)('%s -> %s', (from, to) => {
    expect(canMoveNotice(from, to)).toBe(ALLOWED.has(`${from}>${to}`));
  });

  it('sent and cancelled are final', () => {
    for (const to of NOTICE_STATUSES) {
      expect(canMoveNotice('sent', to)).toBe(false);
      expect(canMoveNotice('cancelled', to)).toBe(false);
    }
  });

  it('lists where a status can be reached from', () => {
    expect(noticeStatusesBefore('cancelled').sort()).toEqual(['approved', 'draft', 'failed']);
    expect(noticeStatusesBefore('approved')).toEqual(['draft']);
    expect(noticeStatusesBefore('sending').sort()).toEqual(['approved', 'failed']);
  });
});
