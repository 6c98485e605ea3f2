/**
 * Notice templates: golden files for every jurisdiction and language (UPDATE_GOLDEN=1 rewrites them),
 * what each law asks a notice to carry, and HTML escaping.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderNotice, type NoticeData } from '../../../services/takedown/index.ts';
import { TEMPLATES } from '../../../services/takedown/templates/index.ts';

const GOLDEN = join(import.meta.dirname, 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function data(over: Partial<NoticeData> = {}): NoticeData {
  return {
    reference: 'SD-2026-000123',
    kind: 'initial',
    jurisdiction: 'KR',
    language: 'ko',
    platform: { name: 'Board Example' },
    issuedAt: new Date('2026-12-01T10:00:00Z'),
    deadline: new Date('2026-12-02T10:00:00Z'),
    deadlineHours: 24,
    respondUrl: 'https://staydown.example.org/respond/tok123',
    requester: { name: 'Example Support Centre', email: 'takedown@centre.example' },
    signature: 'kim.staff',
    krDesignation: { wording: 'KCC-designated body for deletion requests of illegally filmed material', until: '2026-12-27' },
    originalReference: null,
    items: [
      { pageUrl: 'https://board.example/post/17', mediaUrl: 'https://img.board.example/a/17.jpg', firstSeen: new Date('2026-11-30T08:15:00Z') },
      { pageUrl: null, mediaUrl: 'https://img.board.example/a/18.mp4', firstSeen: new Date('2026-11-30T09:45:00Z') },
    ],
    ...over,
  };
}

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE && process.env.CI) throw new Error(`golden file ${name} is missing: run with UPDATE_GOLDEN=1`);
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
  }
  expect(actual, `golden file ${name} (UPDATE_GOLDEN=1 rewrites it)`).toBe(readFileSync(file, 'utf8'));
}

describe('reminder texts say how long the URLs are overdue', () => {
  // The original notice: sent 2026-11-28 10:00 UTC, deadline 2026-11-29 10:00 UTC; the reminder two days
  // and five hours after that deadline.
  const original = { sentAt: new Date('2026-11-28T10:00:00Z'), deadline: new Date('2026-11-29T10:00:00Z') };
  const issuedAt = new Date('2026-12-01T15:00:00Z');
  describe.each(TEMPLATES.map((t) => [`reminder.${t.jurisdiction.toLowerCase()}.${t.language}`, t] as const))('%s', (name, t) => {
    const d = data({ kind: 'reminder', jurisdiction: t.jurisdiction, language: t.language, originalReference: 'SD-2026-000100', original, issuedAt, deadline: null, krDesignation: t.jurisdiction === 'KR' ? data().krDesignation : null });
    const r = renderNotice(d);
    it('matches its golden files', () => {
      golden(`${name}.txt`, `Subject: ${r.subject}\n\n${r.text}`);
      golden(`${name}.json`, `${JSON.stringify(r.json, null, 2)}\n`);
    });
    it('names the original notice, its deadline and how far past it the URLs are', () => {
      const overdue = t.language === 'ko' ? '2일 5시간' : '2 days 5 hours';
      const deadline = t.jurisdiction === 'KR' ? '2026-11-29 19:00 KST' : '2026-11-29 10:00 UTC';
      for (const part of [r.text, r.html]) {
        expect(part).toContain(overdue);
        expect(part).toContain(deadline);
        expect(part).toContain('SD-2026-000100');
      }
      if (t.jurisdiction === 'OTHER' && t.language === 'ko') expect(r.text).toContain('2 days 5 hours overdue');
      expect(r.json.overdue).toEqual({ since: '2026-11-29T10:00:00.000Z', hours: 53 });
    });
    it('before the deadline, says when it comes instead', () => {
      const early = renderNotice({ ...d, issuedAt: new Date('2026-11-29T07:00:00Z') });
      expect(early.text).toContain(t.language === 'ko' ? '3시간 후' : 'in 3 hours');
      expect(early.json.overdue).toEqual({ since: '2026-11-29T10:00:00.000Z', hours: 0 });
    });
  });
  it('an initial notice has no overdue sentence or field', () => {
    const r = renderNotice(data({ jurisdiction: 'US', language: 'en', krDesignation: null }));
    expect(r.text).not.toMatch(/overdue/);
    expect(r.json).not.toHaveProperty('overdue');
  });
});

describe('notice templates', () => {
  it('has Korean and English for every jurisdiction', () => {
    for (const j of ['KR', 'US', 'EU', 'OTHER'] as const) {
      for (const l of ['ko', 'en'] as const) expect(TEMPLATES.filter((t) => t.jurisdiction === j && t.language === l), `${j}/${l}`).toHaveLength(1);
    }
  });

  describe.each(TEMPLATES.map((t) => [`${t.jurisdiction.toLowerCase()}.${t.language}`, t] as const))('%s', (name, t) => {
    const jurisdictionHours = { KR: 24, US: 48, EU: 24, OTHER: 48 }[t.jurisdiction];
    const deadline = new Date(Date.parse('2026-12-01T10:00:00Z') + jurisdictionHours * 3_600_000);
    const d = data({ jurisdiction: t.jurisdiction, language: t.language, deadlineHours: jurisdictionHours, deadline, krDesignation: t.jurisdiction === 'KR' ? data().krDesignation : null });
    const r = renderNotice(d);

    it('matches its golden files', () => {
      golden(`${name}.txt`, `Subject: ${r.subject}\n\n${r.text}`);
      golden(`${name}.html`, r.html);
      golden(`${name}.json`, `${JSON.stringify(r.json, null, 2)}\n`);
    });

    it('states the reference, the deadline, how to respond, and every URL with when it was first seen', () => {
      for (const part of [r.subject, r.text, r.html]) expect(part).toContain('SD-2026-000123');
      for (const part of [r.text, r.html.replaceAll('&quot;', '"')]) {
        expect(part).toContain(`${jurisdictionHours}`);
        expect(part).toContain('https://staydown.example.org/respond/tok123');
        expect(part).toContain('"answer"');
        expect(part).toContain('https://board.example/post/17');
        expect(part).toContain('https://img.board.example/a/17.jpg');
        expect(part).toContain('https://img.board.example/a/18.mp4');
        const zone = t.jurisdiction === 'KR' ? '2026-11-30 17:15 KST' : '2026-11-30 08:15 UTC';
        expect(part).toContain(zone);
        expect(part).toContain({ KR: '2026-12-02 19:00 KST', US: '2026-12-03 10:00 UTC', EU: '2026-12-02 10:00 UTC', OTHER: '2026-12-03 10:00 UTC' }[t.jurisdiction]);
      }
    });

    it('writes notice.json with the documented fields', () => {
      expect(r.json).toMatchObject({
        reference: 'SD-2026-000123', kind: 'initial', platform: { name: 'Board Example' }, deadline: deadline.toISOString(), deadlineHours: jurisdictionHours,
        respondUrl: 'https://staydown.example.org/respond/tok123', requester: { name: 'Example Support Centre', email: 'takedown@centre.example' },
        items: [
          { pageUrl: 'https://board.example/post/17', mediaUrl: 'https://img.board.example/a/17.jpg', firstSeen: '2026-11-30T08:15:00.000Z' },
          { pageUrl: null, mediaUrl: 'https://img.board.example/a/18.mp4', firstSeen: '2026-11-30T09:45:00.000Z' },
        ],
      });
      expect(r.json.legalBasis.length).toBeGreaterThan(0);
      expect(r.html).toMatch(new RegExp(`<html lang="${t.language}">`));
    });
  });
});

describe('what each law asks for', () => {
  it('KR cites TBA 22-5(1), Decree 30-5 and Network Act 44-2, with the designation and its validity', () => {
    const ko = renderNotice(data());
    expect(ko.text).toContain('제22조의5 제1항');
    expect(ko.text).toContain('시행령 제30조의5');
    expect(ko.text).toContain('제44조의2');
    expect(ko.text).toContain('KCC-designated body');
    expect(ko.text).toContain('2026-12-27');
    const en = renderNotice(data({ language: 'en' }));
    expect(en.text).toContain('Article 22-5(1) of the Telecommunications Business Act');
    expect(en.text).toContain('Article 30-5');
    expect(en.text).toContain('Article 44-2');
    expect(en.json.designation).toEqual(data().krDesignation);
  });

  it('KR without a designation is a request on the victim\'s behalf, with no designation line', () => {
    const ko = renderNotice(data({ krDesignation: null }));
    expect(ko.text).toContain('피해자를 대리하여');
    expect(ko.text).not.toContain('요청기관 지정');
    expect(ko.json.designation).toBeNull();
    expect(renderNotice(data({ krDesignation: null, language: 'en' })).text).toContain("on behalf of the victim");
  });

  it('US: signature, identification and location, good-faith statement, contact, 48 hours and identical copies', () => {
    const r = renderNotice(data({ jurisdiction: 'US', language: 'en', deadlineHours: 48 }));
    expect(r.text).toContain('/s/ kim.staff');
    expect(r.text).toContain('on behalf of the depicted individual');
    expect(r.text).toContain('Identification and location');
    expect(r.text).toMatch(/good-faith belief .* not consensual/);
    expect(r.text).toContain('takedown@centre.example');
    expect(r.text).toContain('48 hours');
    expect(r.text).toContain('known identical copies');
    const unsigned = renderNotice(data({ jurisdiction: 'US', language: 'en', signature: null }));
    expect(unsigned.text).not.toContain('/s/');
  });

  it('EU: substantiated explanation, exact URLs, notifier name and e-mail, bona fide statement, 16(4) and 16(5)', () => {
    const r = renderNotice(data({ jurisdiction: 'EU', language: 'en', krDesignation: null }));
    expect(r.text).toContain('(a) Why the content is illegal');
    expect(r.text).toContain('(b) Exact location');
    expect(r.text).toContain('Example Support Centre');
    expect(r.text).toContain('bona fide belief that the information and allegations contained in this notice are accurate and complete');
    expect(r.text).toContain('Article 16(4)');
    expect(r.text).toContain('Article 16(5)');
  });

  it('OTHER in Korean carries the English notice too', () => {
    const r = renderNotice(data({ jurisdiction: 'OTHER', language: 'ko', krDesignation: null }));
    expect(r.text).toContain('삭제요청');
    expect(r.text).toContain('Removal request: non-consensual intimate imagery');
  });

  it('reminders and escalations say so in the subject and name the notice they follow up', () => {
    const r = renderNotice(data({ jurisdiction: 'US', language: 'en', kind: 'reminder', originalReference: 'SD-2026-000100' }));
    expect(r.subject).toMatch(/^\[Reminder\] /);
    expect(r.text).toContain('SD-2026-000100');
    expect(r.json.originalReference).toBe('SD-2026-000100');
  });
});

describe('HTML escaping', () => {
  it('escapes every string a template hands over, URLs and names included', () => {
    const evil = data({
      jurisdiction: 'EU', language: 'en', krDesignation: null,
      platform: { name: '<script>alert(1)</script> & "Co"' },
      items: [{ pageUrl: 'https://board.example/p?a=1&b="><img src=x onerror=alert(2)>', mediaUrl: 'https://img.board.example/x.jpg', firstSeen: new Date('2026-11-30T08:15:00Z') }],
      respondUrl: 'javascript:alert(3)',
    });
    const { html } = renderNotice(evil);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;');
    expect(html).toContain('a=1&amp;b=&quot;&gt;&lt;img');
    // A link is written only for http(s) URLs.
    expect(html).not.toMatch(/href="javascript:/);
  });
});
