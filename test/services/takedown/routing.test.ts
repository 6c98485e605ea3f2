/** Which platform answers for a URL (pure), the jurisdiction guess, and reading RDAP answers. */
import { describe, expect, it } from 'vitest';
import { buildDirectory, domainCovers, domainProblem, guessJurisdiction, normalizeDomain, routeUrls } from '../../../services/takedown/platform-domains.ts';
import { parseRdapDomain } from '../../../services/takedown/rdap.ts';
import { rdapDomainAnswer } from '../../support/takedown.ts';

const board = { id: 'board', domains: ['board.example'] };
const cdn = { id: 'cdn', domains: ['cdn.board.example'] };
const kr = { id: 'kr', domains: ['board.co.kr'] };
const ipHost = { id: 'ip', domains: ['203.0.113.7'] };
const imgHost = { id: 'img', domains: ['imghost.example'] };
const dir = buildDirectory([board, cdn, kr, ipHost, imgHost].map((p) => ({ platform: p, domains: p.domains })));

describe('platform domains', () => {
  it('a host name covers itself and its subdomains; an IP address only itself', () => {
    expect(domainCovers('board.example', 'board.example')).toBe(true);
    expect(domainCovers('board.example', 'img.board.example')).toBe(true);
    expect(domainCovers('board.example', 'notboard.example')).toBe(false);
    expect(domainCovers('board.example', 'board.example.evil')).toBe(false);
    expect(domainCovers('203.0.113.7', '203.0.113.7')).toBe(true);
    expect(domainCovers('203.0.113.7', '203.0.113.70')).toBe(false);
  });

  it('refuses public suffixes and URLs as platform domains, with sentences', () => {
    expect(domainProblem('co.kr')).toMatch(/public suffix/);
    expect(domainProblem('com')).toMatch(/public suffix/);
    expect(domainProblem('https://board.example/')).toMatch(/not a host name/);
    expect(domainProblem('board.example')).toBeNull();
    expect(domainProblem('203.0.113.7')).toBeNull();
    expect(normalizeDomain(' Board.Example. ')).toBe('board.example');
    expect(normalizeDomain('bücher.de')).toBe('xn--bcher-kva.de');
  });

  it('routes by registrable domain, the most specific platform domain winning', () => {
    expect(dir.forHost('img.board.example')?.platform.id).toBe('board');
    expect(dir.forHost('cdn.board.example')?.platform.id).toBe('cdn');
    expect(dir.forHost('a.cdn.board.example')?.platform.id).toBe('cdn');
    expect(dir.forHost('img.board.co.kr')?.platform.id).toBe('kr');
    expect(dir.forHost('other.co.kr')).toBeNull();
    expect(dir.forHost('203.0.113.7')?.platform.id).toBe('ip');
    expect(dir.forHost('203.0.113.8')).toBeNull();
  });

  it('sends an alert to its page platform, and to its media platform when that is another one', () => {
    expect(routeUrls(dir, 'https://board.example/post/1', 'https://img.board.example/a.jpg')).toEqual({ page: board, media: null });
    expect(routeUrls(dir, 'https://board.example/post/1', 'https://cdn.board.example/a.jpg')).toEqual({ page: board, media: cdn });
    expect(routeUrls(dir, 'https://board.example/post/1', 'https://i.imghost.example/a.jpg')).toEqual({ page: board, media: imgHost });
    expect(routeUrls(dir, 'https://unknown.example/p', 'https://i.imghost.example/a.jpg')).toEqual({ page: null, media: imgHost });
    expect(routeUrls(dir, 'not a url', 'also not')).toEqual({ page: null, media: null });
  });

  it('guesses a jurisdiction from the TLD', () => {
    expect(guessJurisdiction('board.co.kr')).toBe('KR');
    expect(guessJurisdiction('board.de')).toBe('EU');
    expect(guessJurisdiction('board.eu')).toBe('EU');
    expect(guessJurisdiction('board.us')).toBe('US');
    expect(guessJurisdiction('board.com')).toBe('OTHER');
  });
});

describe('RDAP answers', () => {
  it('finds the abuse e-mail nested in the registrar entity, not the registrant', () => {
    const r = parseRdapDomain(rdapDomainAnswer('board.example', 'Abuse@Registrar.example'), 'x');
    expect(r).toEqual({ abuseEmails: ['abuse@registrar.example'], registrarAbuseEmails: ['abuse@registrar.example'], registrar: 'Example Registrar, Inc.', source: 'x' });
  });

  it('reads malformed answers without throwing', () => {
    expect(parseRdapDomain(null, 'x').abuseEmails).toEqual([]);
    expect(parseRdapDomain({ entities: [{ roles: 'abuse', vcardArray: 'no' }, 7, { roles: ['abuse'], vcardArray: ['vcard', [['email', {}, 'text', 42]]] }] }, 'x').abuseEmails).toEqual([]);
  });
});
