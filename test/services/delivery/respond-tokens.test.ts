/** Response tokens: 128 random bits, only the SHA-256 kept, scoped and expiring. */
import { describe, expect, it } from 'vitest';
import { isTokenShaped, newRespondToken, respondTokenHash, respondTokenValid, respondUrl } from '../../../services/delivery/respond-tokens.ts';

describe('response tokens', () => {
  it('are 128-bit base64url strings, different every time, stored as their SHA-256', () => {
    const a = newRespondToken(30);
    const b = newRespondToken(30);
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(a.token, 'base64url').length).toBe(16);
    expect(a.token).not.toBe(b.token);
    expect(a.sha256.equals(respondTokenHash(a.token))).toBe(true);
    expect(a.sha256.toString('hex')).not.toContain(Buffer.from(a.token, 'base64url').toString('hex'));
  });
  it('expire after the configured days', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const t = newRespondToken(30, now);
    expect(t.expiresAt.toISOString()).toBe('2026-12-31T00:00:00.000Z');
    expect(respondTokenValid(t.token, t, new Date('2026-12-30T23:59:59Z'))).toBe(true);
    expect(respondTokenValid(t.token, t, new Date('2026-12-31T00:00:00Z'))).toBe(false);
  });
  it('match only their own notice\'s hash', () => {
    const a = newRespondToken(30);
    const b = newRespondToken(30);
    expect(respondTokenValid(a.token, a)).toBe(true);
    expect(respondTokenValid(a.token, b)).toBe(false);
    expect(respondTokenValid(a.token, { sha256: null, expiresAt: a.expiresAt })).toBe(false);
    expect(isTokenShaped('short')).toBe(false);
    expect(respondTokenValid('x'.repeat(22), a)).toBe(false);
  });
  it('make the link under the public URL', () => {
    expect(respondUrl('https://staydown.example/', 'abc')).toBe('https://staydown.example/respond/abc');
  });
});
