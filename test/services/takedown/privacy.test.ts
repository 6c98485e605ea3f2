/**
 * A notice never carries the victim's name, contacts, notes, label, keywords, the case code, or any image:
 * notices for a case whose personal fields hold distinctive strings are rendered in every jurisdiction and
 * language, and every part (subject, text, HTML, notice.json, and what `notices show` returns) is searched.
 * (The delivery work extends this to the e-mail and webhook bodies it sends.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { ADMIN, serviceContext } from '../../support/service.ts';
import { seedConfirmedAlert } from '../../support/takedown.ts';
import { addPlatform, changePlatform, draftNotices, getNotice, renderStoredNotice, approveNotice } from '../../../services/takedown/index.ts';
import { openCase } from '../../../services/cases/cases.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';

const db = useTestDatabase('takedown_privacy');
const tmp = useTempDir('privacy');
let ctx: ServiceContext;
let code: string;
let noticeId: string;

const PERSONAL = {
  name: 'Zephyrine Quxlovelace',
  label: 'LBL-93a7f-case',
  contacts: ['zq-contact-55@mail.example', '+82-10-9931-7246'],
  notes: 'NOTE-7c1f met the abuser at Yoxbridge',
};
const KEYWORDS = ['kwqux8842', 'zephyrine nude'];

function forbidden(): string[] {
  return [PERSONAL.name, 'Zephyrine', 'Quxlovelace', PERSONAL.label, ...PERSONAL.contacts, PERSONAL.notes, 'NOTE-7c1f', 'Yoxbridge', ...KEYWORDS, code];
}

function expectClean(where: string, s: string): void {
  const lower = s.toLowerCase();
  let decoded = lower;
  try {
    decoded = decodeURIComponent(lower.replace(/\+/g, ' '));
  } catch {
    // keep the raw text
  }
  for (const f of forbidden()) {
    expect(lower.includes(f.toLowerCase()) || decoded.includes(f.toLowerCase()), `${where} contains '${f}'`).toBe(false);
  }
  expect(s, `${where} carries an image`).not.toMatch(/<img|data:image|thumbnail|screenshot/i);
}

beforeAll(async () => {
  const base = await serviceContext(db(), tmp());
  ctx = { ...base, config: Object.freeze({ ...base.config, orgName: 'Privacy Centre', orgEmail: 'team@centre.example', publicUrl: 'https://sd.example.org', krDesignation: { wording: 'designated body', until: '2999-12-31' } }) };
  const c = await openCase(ctx, ADMIN, { personal: PERSONAL, keywords: KEYWORDS });
  code = c.code;
  await addPlatform(ctx, ADMIN, { name: 'Privacy Board', domains: ['privacy-board.example'], emails: ['abuse@privacy-board.example'] });
  await seedConfirmedAlert(db().sql, code, { pageUrl: 'https://privacy-board.example/post/1', mediaUrl: 'https://img.privacy-board.example/1.jpg' });
  // A search results page carrying a keyword: its page URL must be withheld.
  await seedConfirmedAlert(db().sql, code, { pageUrl: 'https://privacy-board.example/search?q=zephyrine+nude', mediaUrl: 'https://img.privacy-board.example/2.jpg' });
  await seedConfirmedAlert(db().sql, code, { pageUrl: 'https://privacy-board.example/find/KWQUX8842', mediaUrl: 'https://img.privacy-board.example/3.jpg' });
  const r = await draftNotices(ctx);
  expect(r).toMatchObject({ drafted: 1, items: 3, pageUrlsWithheld: 2 });
  noticeId = r.noticeIds[0];
});

describe('notices carry no victim data', () => {
  const combos = (['KR', 'US', 'EU', 'OTHER'] as const).flatMap((j) => (['ko', 'en'] as const).map((l) => [j, l] as const));
  it.each(combos)('%s/%s: subject, text, HTML, notice.json and the shown notice', async (jurisdiction, language) => {
    await changePlatform(ctx, ADMIN, 'Privacy Board', { jurisdiction, language });
    const shown = await getNotice(ctx, ADMIN, noticeId);
    expect(shown).toMatchObject({ jurisdiction, language });
    expect(shown.urls).toHaveLength(3);
    const { rendered } = await renderStoredNotice(ctx.sql, ctx.config, noticeId, { respondUrl: 'https://sd.example.org/respond/abc' });
    expectClean('subject', rendered.subject);
    expectClean('text', rendered.text);
    expectClean('html', rendered.html);
    expectClean('notice.json', JSON.stringify(rendered.json));
    expectClean('notices show', JSON.stringify(shown));
  });

  it('stays clean once approved (the signature is the staff member, not the victim)', async () => {
    await approveNotice(ctx, ADMIN, noticeId);
    const shown = await getNotice(ctx, ADMIN, noticeId);
    expect(shown.status).toBe('approved');
    expectClean('approved notice', JSON.stringify(shown));
  });

  it('the test would catch a leak', () => {
    expect(() => expectClean('probe', 'see https://x.example/?q=Zephyrine%20Nude')).toThrow();
    expect(() => expectClean('probe', `case ${code}`)).toThrow();
  });
});
