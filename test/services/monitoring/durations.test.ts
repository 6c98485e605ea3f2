import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseDurationList } from '../../../services/platform/durations.ts';
import { ConfigError, loadConfig } from '../../../services/platform/config.ts';

describe('durations with units', () => {
  it.each([
    ['30s', 30_000], ['24h', 86_400_000], ['7d', 604_800_000], ['90d', 7_776_000_000], ['15m', 900_000], ['250ms', 250], ['2w', 1_209_600_000], [' 6H ', 21_600_000],
  ])('%s is %d ms', (raw, ms) => {
    expect(parseDuration(raw)).toEqual({ ok: true, ms });
  });

  it.each([
    ['24', /Add a unit: '24s'/], ['1.5h', /whole number and a unit/], ['-3d', /not a duration/], ['0s', /longer than zero/], ['d', /not a duration/], ['', /not a duration/], ['11000d', /ten years/],
  ])('%j is refused with a sentence', (raw, message) => {
    const r = parseDuration(raw, 'STAYDOWN_CHECK_EVERY');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toMatch(message);
      expect(r.message).toMatch(/^STAYDOWN_CHECK_EVERY is|^STAYDOWN_CHECK_EVERY/);
    }
  });

  it('parses a strictly increasing list and refuses one out of order', () => {
    expect(parseDurationList('1d,7d,30d,90d')).toEqual({ ok: true, ms: [1, 7, 30, 90].map((d) => d * 86_400_000) });
    const bad = parseDurationList('1d,7d,3d', 'STAYDOWN_RECHECKS');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toContain('3d is not');
    expect(parseDurationList(' , ', 'STAYDOWN_RECHECKS').ok).toBe(false);
  });

  it('formats back in the largest whole unit', () => {
    expect([formatDuration(86_400_000), formatDuration(90_000), formatDuration(1500)]).toEqual(['1d', '90s', '1500ms']);
  });
});

describe('monitoring settings', () => {
  it('defaults: 6h checks, reminders after 24h, escalation after 72h, re-checks 1d,7d,30d,90d, 3 reminders, reminders automatic, escalations not', () => {
    const m = loadConfig({ dataDir: '/tmp/x' }, {}).monitoring;
    expect(m).toEqual({
      checkEveryMs: 6 * 3_600_000, remindAfterMs: 24 * 3_600_000, escalateAfterMs: 72 * 3_600_000,
      rechecksMs: [1, 7, 30, 90].map((d) => d * 86_400_000), maxReminders: 3, autoReminders: true, autoEscalations: false, sweepMs: 60_000,
    });
  });

  it('takes seconds so a test runs the ladder quickly', () => {
    const m = loadConfig({ dataDir: '/tmp/x' }, {
      STAYDOWN_CHECK_EVERY: '2s', STAYDOWN_REMIND_AFTER: '3s', STAYDOWN_ESCALATE_AFTER: '8s', STAYDOWN_RECHECKS: '1s,2s', STAYDOWN_MAX_REMINDERS: '1',
      STAYDOWN_AUTO_REMINDERS: 'false', STAYDOWN_AUTO_ESCALATIONS: 'true', STAYDOWN_MONITOR_SWEEP: '1s',
    }).monitoring;
    expect(m).toMatchObject({ checkEveryMs: 2000, remindAfterMs: 3000, escalateAfterMs: 8000, rechecksMs: [1000, 2000], maxReminders: 1, autoReminders: false, autoEscalations: true, sweepMs: 1000 });
  });

  it.each([
    ['STAYDOWN_CHECK_EVERY', '6', /STAYDOWN_CHECK_EVERY is '6'.*Add a unit/],
    ['STAYDOWN_RECHECKS', '7d,1d', /STAYDOWN_RECHECKS is '7d,1d': each duration must be longer/],
    ['STAYDOWN_MAX_REMINDERS', 'many', /STAYDOWN_MAX_REMINDERS must be a whole number/],
    ['STAYDOWN_AUTO_ESCALATIONS', 'sometimes', /STAYDOWN_AUTO_ESCALATIONS must be true or false/],
  ])('%s=%s is a configuration error with a sentence', (name, value, message) => {
    expect(() => loadConfig({ dataDir: '/tmp/x' }, { [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ dataDir: '/tmp/x' }, { [name]: value })).toThrow(message);
  });
});
