import { describe, expect, it } from 'vitest';
import { followUpsDue } from '../../../services/monitoring/follow-ups.ts';
import { escalationPackage } from '../../../services/monitoring/escalation-package.ts';

const H = 3_600_000;
const sent = new Date('2026-03-01T00:00:00Z');
const at = (h: number) => new Date(sent.getTime() + h * H);
const s = { remindAfterMs: 24 * H, escalateAfterMs: 72 * H, maxReminders: 3 };
const row = (o: Partial<Parameters<typeof followUpsDue>[0][number]> = {}) => ({
  id: 'u1', state: 'notified' as const, notified_at: sent, reminders_sent: 0, last_reminder_at: null, escalations_sent: 0, last_escalation_at: null, ...o,
});

describe('reminders and escalations due', () => {
  it.each([
    ['nothing before 24 h', row(), 23, [], []],
    ['a reminder after 24 h', row(), 24, ['u1'], []],
    ['the next reminder 24 h after the last', row({ reminders_sent: 1, last_reminder_at: at(24) }), 47, [], []],
    ['the second reminder', row({ reminders_sent: 1, last_reminder_at: at(24) }), 48, ['u1'], []],
    ['escalation 72 h after the first notice', row({ reminders_sent: 2, last_reminder_at: at(48) }), 72, [], ['u1']],
    ['escalation on a refusal, at once', row({ state: 'refused' as const }), 1, [], ['u1']],
    ['escalation after the last reminder went unanswered', row({ reminders_sent: 3, last_reminder_at: at(30) }), 54, [], ['u1']],
    ['no reminder past the maximum', row({ reminders_sent: 3, last_reminder_at: at(30) }), 50, [], []],
    ['nothing for a removed URL', row({ state: 'removed' as const }), 500, [], []],
    ['nothing for a re-appeared URL (a new notice is drafted instead)', row({ state: 'reappeared' as const }), 500, [], []],
    ['no reminders once escalated; the next escalation level after another 72 h', row({ state: 'escalated' as const, escalations_sent: 1, last_escalation_at: at(72) }), 143, [], []],
    ['the next escalation level (the registrar)', row({ state: 'escalated' as const, escalations_sent: 1, last_escalation_at: at(72) }), 144, [], ['u1']],
  ])('%s', (_n, r, hours, remind, escalate) => {
    expect(followUpsDue([r], s, at(hours as number))).toEqual({ remind, escalate });
  });

  it('with STAYDOWN_MAX_REMINDERS=0 no reminder goes out and escalation waits for its time', () => {
    expect(followUpsDue([row()], { ...s, maxReminders: 0 }, at(30))).toEqual({ remind: [], escalate: [] });
    expect(followUpsDue([row()], { ...s, maxReminders: 0 }, at(72))).toEqual({ remind: [], escalate: ['u1'] });
  });
});

describe('the escalation package', () => {
  const input = {
    reference: 'SD-2026-000009',
    site: { name: 'board-kr', jurisdiction: 'KR' },
    target: { name: 'KCSC', kind: 'site', jurisdiction: 'KR' },
    urls: [{ pageUrl: 'https://board.kr/p/1', mediaUrl: 'https://board.kr/i/1.jpg', firstSeen: sent, state: 'notified', notifiedAt: sent }],
    notices: [{ reference: 'SD-2026-000001', kind: 'initial', platform: 'board-kr', sentAt: sent }, { reference: 'SD-2026-000005', kind: 'reminder', platform: 'board-kr', sentAt: at(24) }],
    answers: [{ at: at(2), answer: 'acknowledged', noticeReference: 'SD-2026-000001', urls: 1 }],
    generatedAt: at(80),
  };

  it('for a KR site escalating to the KCSC: a review request asking deletion (domestic)', () => {
    const p = escalationPackage(input);
    expect(p).toMatchObject({ schema: 'staydown-escalation/1', type: 'kcsc-review-request', requestedMeasure: 'deletion', target: 'KCSC' });
    expect(p.notices.map((n) => n.reference)).toEqual(['SD-2026-000001', 'SD-2026-000005']);
    expect(p.answers).toEqual([{ at: at(2).toISOString(), answer: 'acknowledged', notice: 'SD-2026-000001', urls: 1 }]);
    expect(p.summary).toContain('3 day(s) after the first notice');
  });

  it('an overseas site escalated to the KCSC: access blocking; a host: an abuse report', () => {
    expect(escalationPackage({ ...input, site: { name: 'overseas', jurisdiction: 'OTHER' } }).requestedMeasure).toBe('access-blocking');
    const host = escalationPackage({ ...input, target: { name: 'hosting-co', kind: 'host', jurisdiction: 'OTHER' } });
    expect(host).toMatchObject({ type: 'abuse-report', requestedMeasure: null });
  });

  it('holds URLs, references, dates and answers only - nothing else', () => {
    const keys = Object.keys(escalationPackage(input)).sort();
    expect(keys).toEqual(['answers', 'generatedAt', 'notices', 'reference', 'requestedMeasure', 'schema', 'site', 'summary', 'target', 'targetKind', 'type', 'urls']);
  });
});
