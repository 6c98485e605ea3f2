/** The takedown settings in platform/config.ts: defaults and the sentences for bad values. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/platform/config.ts';
import { krDesignationState } from '../../../services/takedown/index.ts';

const load = (env: Record<string, string>) => loadConfig({ dataDir: '/tmp/x' }, env);

describe('takedown settings', () => {
  it('has defaults: four eyes off, rdap.org, no designation, no contact address', () => {
    const c = load({});
    expect(c).toMatchObject({ orgName: 'staydown', orgEmail: undefined, publicUrl: undefined, krDesignation: undefined, fourEyes: false, rdapUrl: 'https://rdap.org/' });
  });

  it('reads every setting', () => {
    const c = load({
      STAYDOWN_ORG_NAME: 'Centre', STAYDOWN_ORG_EMAIL: 'a@centre.example', STAYDOWN_PUBLIC_URL: 'https://sd.example.org/', STAYDOWN_FOUR_EYES: 'true',
      STAYDOWN_KR_DESIGNATION: '지정기관', STAYDOWN_KR_DESIGNATION_UNTIL: '2027-01-31', STAYDOWN_RDAP_URL: 'http://127.0.0.1:9/rdap',
    });
    expect(c).toMatchObject({ orgName: 'Centre', orgEmail: 'a@centre.example', publicUrl: 'https://sd.example.org', fourEyes: true, krDesignation: { wording: '지정기관', until: '2027-01-31' }, rdapUrl: 'http://127.0.0.1:9/rdap/' });
  });

  it('refuses bad values with sentences', () => {
    expect(() => load({ STAYDOWN_ORG_EMAIL: 'nope' })).toThrow(/STAYDOWN_ORG_EMAIL must be an e-mail address/);
    expect(() => load({ STAYDOWN_PUBLIC_URL: 'ftp://x' })).toThrow(/STAYDOWN_PUBLIC_URL must be an http/);
    expect(() => load({ STAYDOWN_FOUR_EYES: 'maybe' })).toThrow(/STAYDOWN_FOUR_EYES must be true or false/);
    expect(() => load({ STAYDOWN_KR_DESIGNATION: 'x' })).toThrow(/without STAYDOWN_KR_DESIGNATION_UNTIL/);
    expect(() => load({ STAYDOWN_KR_DESIGNATION_UNTIL: '2027-01-31' })).toThrow(/STAYDOWN_KR_DESIGNATION is not/);
    expect(() => load({ STAYDOWN_KR_DESIGNATION: 'x', STAYDOWN_KR_DESIGNATION_UNTIL: '2027-02-30' })).toThrow(/YYYY-MM-DD/);
  });

  it('a designation is valid through its last day in Korean time', () => {
    const config = { krDesignation: { wording: 'x', until: '2026-12-31' } };
    expect(krDesignationState(config, new Date('2026-12-31T14:59:00Z'))).toBe('valid'); // 23:59 KST
    expect(krDesignationState(config, new Date('2026-12-31T15:00:00Z'))).toBe('expired'); // 00:00 KST next day
    expect(krDesignationState({ krDesignation: undefined })).toBe('none');
  });
});
