/** Reading RDAP IP network answers (RFC 9083 section 5.4), pure and table-driven: outside input read defensively. */
import { describe, expect, it } from 'vitest';
import { parseRdapIp } from '../../../services/takedown/rdap.ts';

const vcard = (...props: unknown[][]) => ['vcard', [['version', {}, 'text', '4.0'], ...props]];
const abuse = (email: unknown) => ({ objectClassName: 'entity', roles: ['abuse'], vcardArray: vcard(['fn', {}, 'text', 'Abuse desk'], ['email', {}, 'text', email]) });
const org = (fn: string, ...inner: unknown[]) => ({ objectClassName: 'entity', roles: ['registrant'], vcardArray: vcard(['fn', {}, 'text', fn]), entities: inner });
const net = (o: Record<string, unknown>) => ({ objectClassName: 'ip network', handle: 'NET-1', startAddress: '198.51.100.0', endAddress: '198.51.100.255', name: 'EXAMPLE-NET', country: 'DE', ...o });

describe('RDAP ip answers', () => {
  it.each([
    ['abuse nested in the registrant (ARIN style)', net({ entities: [org('Hosting GmbH', abuse('Abuse@Hosting.example'))] }), ['abuse@hosting.example'], 'Hosting GmbH', 'DE'],
    ['abuse beside the registrant (RIPE style)', net({ entities: [org('Hosting GmbH'), abuse('abuse@hosting.example')] }), ['abuse@hosting.example'], 'Hosting GmbH', 'DE'],
    ['a mailto: URI is read as its address', net({ entities: [abuse('mailto:noc@host.example')] }), ['noc@host.example'], 'EXAMPLE-NET', 'DE'],
    ['no registrant: the network name stands for the holder', net({ entities: [abuse('abuse@host.example')] }), ['abuse@host.example'], 'EXAMPLE-NET', 'DE'],
    ['the same address twice is listed once', net({ entities: [abuse('a@host.example'), org('X', abuse('A@host.example'))] }), ['a@host.example'], 'X', 'DE'],
    ['a technical contact is not an abuse contact', net({ entities: [{ roles: ['technical'], vcardArray: vcard(['email', {}, 'text', 'noc@host.example']) }] }), [], 'EXAMPLE-NET', 'DE'],
    ['a display name or a list is not an address', net({ entities: [abuse('Abuse Team <abuse@host.example>'), abuse('a@x.example, b@x.example'), abuse(42)] }), [], 'EXAMPLE-NET', 'DE'],
    ['a country that is not ISO 3166 alpha-2 is dropped', net({ country: 'Germany', entities: [] }), [], 'EXAMPLE-NET', null],
    ['the country is upper-cased', net({ country: 'kr', entities: [] }), [], 'EXAMPLE-NET', 'KR'],
    ['entities of the wrong type are ignored', net({ entities: [7, null, 'x', [abuse('a@b.example')], { roles: 'abuse', vcardArray: 'no' }] }), [], 'EXAMPLE-NET', 'DE'],
    ['not an object at all', 'this is a string', [], null, null],
    ['null', null, [], null, null],
  ])('%s', (_name, body, emails, organisation, country) => {
    const r = parseRdapIp(body, 'http://rdap.test/ip/198.51.100.7');
    expect(r.abuseEmails).toEqual(emails);
    expect(r.organisation).toBe(organisation);
    expect(r.network.country).toBe(country);
    expect(r.source).toBe('http://rdap.test/ip/198.51.100.7');
  });

  it('reads the network range and handle, control characters removed and long strings cut', () => {
    const r = parseRdapIp(net({ name: `EVIL\u0000\nNET${'x'.repeat(500)}`, entities: [] }), 's');
    expect(r.network).toMatchObject({ handle: 'NET-1', startAddress: '198.51.100.0', endAddress: '198.51.100.255' });
    expect(r.network.name!.length).toBe(200);
    expect(r.network.name).not.toMatch(/[\u0000-\u001f]/);
  });

  it('stops at a bounded depth and count (a hostile answer cannot make it walk forever)', () => {
    let deep: Record<string, unknown> = abuse('deep@host.example');
    for (let i = 0; i < 50; i++) deep = { roles: ['registrant'], entities: [deep] };
    expect(parseRdapIp(net({ entities: [deep] }), 's').abuseEmails).toEqual([]);
    const many = Array.from({ length: 500 }, (_v, i) => abuse(`a${i}@host.example`));
    expect(parseRdapIp(net({ entities: many }), 's').abuseEmails).toHaveLength(10);
  });
});
