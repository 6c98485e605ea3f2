import { describe, expect, it } from 'vitest';
import { decideRemoval, looksLikeLoginWall, observeStatus, type RemovalObservations } from '../../../services/monitoring/removal.ts';

const gone404 = { kind: 'gone', status: 404 } as const;
const gone410 = { kind: 'gone', status: 410 } as const;
const page = { kind: 'page', status: 200, loginWall: false } as const;
const wall = { kind: 'page', status: 200, loginWall: true } as const;
const matching = { kind: 'media', status: 200, matches: true } as const;
const other = { kind: 'media', status: 200, matches: false } as const;
const html = { kind: 'not-media', status: 200, loginWall: false } as const;
const timeout = { kind: 'unknown', reason: 'timeout' } as const;
const s503 = { kind: 'unknown', status: 503, reason: 'HTTP 503' } as const;
const none = { checked: 2, matching: 0, unknown: 0 };

const CASES: Array<[string, RemovalObservations, 'removed' | 'present' | 'unknown']> = [
  ['media 404, page 200 "deleted" with a placeholder', { media: gone404, page, pageMedia: none }, 'removed'],
  ['media 410, page 404', { media: gone410, page: gone404 }, 'removed'],
  ['media replaced by a placeholder image, page shows no match', { media: other, page, pageMedia: none }, 'removed'],
  ['media URL answers with an HTML page, page 410', { media: html, page: gone410 }, 'removed'],
  ['media 404 but the page shows a re-encoded copy', { media: gone404, page, pageMedia: { checked: 3, matching: 1, unknown: 0 } }, 'present'],
  ['page 404 but the media URL still serves matching media', { media: matching, page: gone404 }, 'present'],
  ['media still matching, page times out', { media: matching, page: timeout }, 'present'],
  ['media times out', { media: timeout, page, pageMedia: none }, 'unknown'],
  ['page 503', { media: gone404, page: s503 }, 'unknown'],
  ['media 503', { media: s503, page: gone404 }, 'unknown'],
  ['page behind a login wall (password form)', { media: gone404, page: wall }, 'unknown'],
  ['page 401', { media: gone404, page: observeStatus(401, 'x') }, 'unknown'],
  ['page 403', { media: gone404, page: observeStatus(403, 'x') }, 'unknown'],
  ['media URL answers a login page', { media: { kind: 'not-media', status: 200, loginWall: true }, page: gone404 }, 'unknown'],
  ['page media could not all be fetched', { media: gone404, page, pageMedia: { checked: 3, matching: 0, unknown: 1 } }, 'unknown'],
  ['DNS failure on both', { media: { kind: 'unknown', reason: 'network: ENOTFOUND' }, page: { kind: 'unknown', reason: 'network: ENOTFOUND' } }, 'unknown'],
  ['refused by the SSRF guard', { media: { kind: 'unknown', reason: 'refused by the SSRF guard' }, page: { kind: 'unknown', reason: 'refused by the SSRF guard' } }, 'unknown'],
  ['page loaded but not examined', { media: gone404, page }, 'unknown'],
  ['page 429', { media: gone404, page: observeStatus(429, 'x') }, 'unknown'],
];

describe('decideRemoval', () => {
  it.each(CASES)('%s -> %s', (_name, obs, expected) => {
    const d = decideRemoval(obs);
    expect(d.result).toBe(expected);
    expect(d.reason).toMatch(/\.$/);
  });

  it('never says removed unless both the media URL and the page are conclusive', () => {
    const all = [gone404, gone410, page, wall, matching, other, html, timeout, s503];
    for (const media of all) for (const p of all) {
      const d = decideRemoval({ media, page: p, ...(p.kind === 'page' ? { pageMedia: none } : {}) });
      if (d.result === 'removed') {
        // The media URL is gone, serves something else (other media, a page, a placeholder) - never unknown.
        expect(media.kind).not.toBe('unknown');
        expect(media.kind === 'media' ? media.matches : false).toBe(false);
        expect(media.kind === 'not-media' || media.kind === 'page' ? media.loginWall : false).toBe(false);
        expect(p.kind === 'page' ? p.loginWall : false).toBe(false);
        expect(p.kind).not.toBe('unknown');
      }
    }
  });

  it('observes statuses: 404/410 gone, 401/403 a login wall, others unknown', () => {
    expect(observeStatus(404, 'x')).toEqual({ kind: 'gone', status: 404 });
    expect(observeStatus(410, 'x')).toEqual({ kind: 'gone', status: 410 });
    expect(observeStatus(403, 'x')).toMatchObject({ kind: 'unknown', status: 403 });
    expect(observeStatus(500, 'x')).toMatchObject({ kind: 'unknown', status: 500 });
    expect(observeStatus(undefined, 'timeout')).toEqual({ kind: 'unknown', reason: 'timeout' });
  });

  it('finds a password form', () => {
    expect(looksLikeLoginWall('<form action=/login><input name=u><input type="password" name=p></form>')).toBe(true);
    expect(looksLikeLoginWall('<p>This post was deleted.</p><img src=/deleted.png>')).toBe(false);
  });
});
