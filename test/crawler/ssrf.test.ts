import { describe, expect, it } from 'vitest';
import { checkUrl, classifyAddress, guardedLookup } from '../../crawler/ssrf.ts';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'], ['1.1.1.1', 'public'], ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'], ['169.254.169.254', 'link-local'], ['100.64.0.1', 'cgnat'], ['100.128.0.1', 'public'],
    ['0.0.0.0', 'unspecified'], ['224.0.0.1', 'multicast'], ['255.255.255.255', 'reserved'], ['198.18.0.1', 'reserved'],
    ['::', 'unspecified'], ['::1', 'loopback'], ['0:0:0:0:0:0:0:1', 'loopback'], ['fe80::1%eth0', 'link-local'],
    ['fd00:ec2::254', 'unique-local'], ['fc00::1', 'unique-local'], ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:10.0.0.1', 'private'], ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a9fe:a9fe', 'link-local'], ['2002:7f00:1::', 'loopback'], ['2001:db8::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'], ['[::1]', 'loopback'],
  ])('%s is %s', (addr, cls) => {
    expect(classifyAddress(addr)).toBe(cls);
  });

  it('rejects strings that are not addresses', () => {
    expect(() => classifyAddress('example.com')).toThrow(/not an IP address/);
    expect(() => classifyAddress('1:2:3')).toThrow(/not an IP address/);
  });
});

describe('checkUrl', () => {
  const none = { allowHosts: [] };
  it('allows only http and https', () => {
    expect(checkUrl(new URL('file:///etc/passwd'), none)).toMatch(/scheme 'file:' is not allowed/);
    expect(checkUrl(new URL('gopher://x.example/'), none)).toMatch(/not allowed/);
    expect(checkUrl(new URL('https://example.com/a.jpg'), none)).toBeNull();
  });

  it('refuses literal private addresses, including the forms the URL parser normalises', () => {
    for (const u of ['http://127.0.0.1/', 'http://2130706433/', 'http://0x7f.1/', 'http://[::1]:8080/', 'http://[::ffff:169.254.169.254]/', 'http://10.0.0.1/']) {
      expect(checkUrl(new URL(u), none), u).toMatch(/and the site does not allow it/);
    }
  });

  it('lets an explicitly allowed host through, by the name written in the URL', () => {
    expect(checkUrl(new URL('http://127.0.0.1:9999/'), { allowHosts: ['127.0.0.1'] })).toBeNull();
    expect(checkUrl(new URL('http://[::1]/'), { allowHosts: ['::1'] })).toBeNull();
    expect(checkUrl(new URL('http://127.0.0.2/'), { allowHosts: ['127.0.0.1'] })).toMatch(/loopback/);
  });
});

describe('guardedLookup', () => {
  const fakeDns = (answers: Record<string, string[]>) =>
    ((host: string, _o: unknown, cb: (e: Error | null, a: Array<{ address: string; family: number }>) => void) =>
      cb(null, (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })))) as never;
  const run = (host: string, allow: string[], answers: Record<string, string[]>) =>
    new Promise<{ err: Error | null; addr: unknown }>((resolve) =>
      guardedLookup({ allowHosts: allow }, fakeDns(answers))(host, {}, (err, addr) => resolve({ err, addr })));

  it('refuses a public name that resolves to a private address (DNS rebinding), even if the address is allowed', async () => {
    const r = await run('evil.example', ['127.0.0.1'], { 'evil.example': ['127.0.0.1'] });
    expect(r.err?.message).toMatch(/'evil.example' resolves to a loopback address/);
  });

  it('refuses when any one of several answers is private', async () => {
    const r = await run('mixed.example', [], { 'mixed.example': ['93.184.216.34', '169.254.169.254'] });
    expect(r.err?.message).toMatch(/link-local/);
  });

  it('refuses, with a reason and without throwing, an answer that is not an IP address, allowed host or not', async () => {
    for (const allow of [[], ['odd.example']]) {
      const r = await run('odd.example', allow, { 'odd.example': ['93.184.216.34', 'www.google.com'] });
      expect(r.err).toMatchObject({ code: 'SSRF_BLOCKED', message: expect.stringMatching(/'odd.example' resolved to 'www.google.com', which is not an IP address/) });
    }
  });

  it('passes public answers and allowed hosts', async () => {
    expect((await run('ok.example', [], { 'ok.example': ['93.184.216.34'] })).addr).toBe('93.184.216.34');
    expect((await run('localhost', ['localhost'], { localhost: ['127.0.0.1'] })).addr).toBe('127.0.0.1');
  });
});
