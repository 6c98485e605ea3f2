import { describe, expect, it } from 'vitest';
import { noticeTrackingState, transitionUrl, URL_STATES, type UrlEvent, type UrlState } from '../../../services/monitoring/url-state.ts';

const answer = (a: 'acknowledged' | 'removed' | 'refused' | 'need-info' | 'not-found'): UrlEvent => ({ type: 'answer', answer: a });
const check = (r: 'removed' | 'present' | 'unknown'): UrlEvent => ({ type: 'check', result: r });

// state, event, next state, effects
const TABLE: Array<[UrlState, UrlEvent, UrlState, string[]]> = [
  ['notified', answer('acknowledged'), 'acknowledged', []],
  ['notified', answer('removed'), 'removal-claimed', ['check-now']],
  ['acknowledged', answer('removed'), 'removal-claimed', ['check-now']],
  ['notified', answer('not-found'), 'removal-claimed', ['check-now']],
  ['notified', answer('refused'), 'refused', []],
  ['acknowledged', answer('refused'), 'refused', []],
  ['removal-claimed', answer('refused'), 'refused', []],
  ['notified', answer('need-info'), 'notified', []],
  ['acknowledged', answer('acknowledged'), 'acknowledged', []],
  // The platform's word never makes a URL removed; only a check does.
  ['removal-claimed', check('removed'), 'removed', ['start-rechecks']],
  ['notified', check('removed'), 'removed', ['start-rechecks']],
  ['acknowledged', check('removed'), 'removed', ['start-rechecks']],
  ['refused', check('removed'), 'removed', ['start-rechecks']],
  ['escalated', check('removed'), 'removed', ['start-rechecks']],
  ['removal-claimed', check('present'), 'acknowledged', []],
  ['notified', check('present'), 'notified', []],
  ['removed', check('removed'), 'removed', []],
  ['removed', check('present'), 'reappeared', ['draft-notice']],
  ['reappeared', { type: 'notice-sent' }, 'notified', []],
  ['notified', { type: 'escalation-sent' }, 'escalated', []],
  ['refused', { type: 'escalation-sent' }, 'escalated', []],
  ['acknowledged', { type: 'escalation-sent' }, 'escalated', []],
  ['escalated', answer('removed'), 'removal-claimed', ['check-now']],
  ['refused', answer('removed'), 'removal-claimed', ['check-now']],
  ['notified', { type: 'reminder-sent' }, 'notified', []],
  ['acknowledged', { type: 'deadline-passed' }, 'acknowledged', []],
  ['removed', answer('refused'), 'removed', []],
  ['removed', { type: 'escalation-sent' }, 'removed', []],
  ['reappeared', check('present'), 'reappeared', []],
];

describe('the URL state table', () => {
  it.each(TABLE)('%s + %j -> %s', (from, event, to, effects) => {
    const t = transitionUrl(from, event);
    expect(t.to).toBe(to);
    expect(t.changed).toBe(from !== to);
    expect(t.effects).toEqual(effects);
    expect(t.why).toMatch(/^[A-Zs].*\.$/);
  });

  it('an unknown check never moves any state (retried, never counted as removed)', () => {
    for (const s of URL_STATES) expect(transitionUrl(s, check('unknown'))).toMatchObject({ from: s, to: s, changed: false, effects: [] });
  });

  it('no platform answer leads to removed from any state', () => {
    for (const s of URL_STATES) {
      for (const a of ['acknowledged', 'removed', 'refused', 'need-info', 'not-found'] as const) {
        const t = transitionUrl(s, answer(a));
        if (s !== 'removed') expect(t.to).not.toBe('removed');
      }
    }
  });
});

describe("a notice's state follows from its URLs", () => {
  it.each([
    [[], 'notified'],
    [['removed', 'removed'], 'removed'],
    [['removed', 'notified'], 'partly-removed'],
    [['removed', 'reappeared'], 'reappeared'],
    [['acknowledged', 'refused'], 'acknowledged'],
    [['escalated', 'refused'], 'refused'],
    [['escalated'], 'escalated'],
    [['removal-claimed', 'notified'], 'notified'],
  ] as Array<[UrlState[], string]>)('%j -> %s', (states, expected) => {
    expect(noticeTrackingState(states)).toBe(expected);
  });
});
