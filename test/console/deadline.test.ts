/** The notices board's deadline timers (pure): time left, overdue, waiting, done; the text in both languages. */
import { describe, expect, it } from 'vitest';
import { duration, noticeTimer, timerText } from '../../console/deadline.ts';
import { CATALOGUES, translator } from '../../console/i18n.ts';
import { TIMELINE_EVENTS } from '../../services/monitoring/index.ts';

const now = new Date('2026-12-01T00:00:00Z');
const at = (h: number) => new Date(now.getTime() + h * 3_600_000).toISOString();

describe('notice deadline timers', () => {
  it('counts down a sent notice, then counts past its deadline; a verified removal or a cancellation ends it', () => {
    expect(noticeTimer({ status: 'sent', deadline: at(5) }, 'notified', now)).toMatchObject({ kind: 'left', ms: 5 * 3_600_000 });
    expect(noticeTimer({ status: 'sent', deadline: at(-26) }, 'acknowledged', now)).toMatchObject({ kind: 'overdue', ms: 26 * 3_600_000 });
    expect(noticeTimer({ status: 'sent', deadline: at(-26) }, 'removed', now).kind).toBe('done');
    expect(noticeTimer({ status: 'draft', deadline: null }, null, now).kind).toBe('waiting');
    expect(noticeTimer({ status: 'failed', deadline: null }, null, now).kind).toBe('none');
    expect(noticeTimer({ status: 'cancelled', deadline: at(3) }, null, now).kind).toBe('none');
  });

  it('says it in two units at most, in Korean and English', () => {
    const ko = translator('ko');
    const en = translator('en');
    expect(timerText(noticeTimer({ status: 'sent', deadline: at(-26) }, null, now), ko)).toBe('기한 초과 1일 2시간');
    expect(timerText(noticeTimer({ status: 'sent', deadline: at(3.2) }, null, now), en)).toBe('3 h 12 min left');
    expect(duration(20_000, ko)).toBe('1분');
    expect(duration(59 * 60_000, en)).toBe('59 min');
    expect(duration(49 * 3_600_000, ko)).toBe('2일 1시간');
  });

  it('has every status, kind, tracking and timeline text it builds from lists', () => {
    const keys = [
      ...['draft', 'approved', 'sending', 'sent', 'failed', 'cancelled'].flatMap((s) => [`notices.status.${s}`, `notices.one.statusHelp.${s}`]),
      ...['initial', 'reminder', 'escalation'].map((k) => `notices.kind.${k}`),
      ...['notified', 'acknowledged', 'removal-claimed', 'refused', 'escalated', 'partly-removed', 'removed', 'reappeared'].map((s) => `notices.tracking.${s}`),
      ...['none', 'notified', 'acknowledged', 'removal-claimed', 'removed', 'refused', 'escalated', 'reappeared'].map((s) => `timeline.state.${s}`),
      ...['acknowledged', 'removed', 'refused', 'need-info', 'not-found'].flatMap((a) => [`respond.answers.${a}`, `respond.answerHint.${a}`]),
      ...['email', 'webhook', 'form'].map((c) => `notices.one.channels.${c}`),
      ...['KR', 'US', 'EU', 'OTHER'].map((j) => `notices.one.jurisdictions.${j}`),
      ...TIMELINE_EVENTS.map((e) => `timeline.event.${e}`),
    ];
    expect(keys.filter((k) => !(k in CATALOGUES.ko) || !(k in CATALOGUES.en))).toEqual([]);
  });
});
