/**
 * Web-form notices through the command line (a child `staydown` on the test database): the copy-ready
 * text with the response link, and `notices submitted`, which moves the notice to sent.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../../services/platform/context.ts';
import { selectNoticeById, selectNoticeHistory } from '../../../db/queries/notices.ts';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { childEnv, runCli, serviceContext } from '../../support/service.ts';
import { seedAlerts, seedApprovedNotice, seedCase, seedPlatform } from './support/seed.ts';

const db = useTestDatabase('delivery_form');
const tmp = useTempDir('form');
let ctx: ServiceContext;

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
});

describe('web-form notices', { timeout: 120_000 }, () => {
  it('give copy-ready text and are recorded as submitted by hand, which sends them', async () => {
    const c = await seedCase(ctx.sql);
    const alerts = await seedAlerts(ctx.sql, c.id, ['https://board.example/form/1.jpg']);
    const p = await seedPlatform(ctx.sql, ctx.masterKey, { channel: 'form', formUrl: 'https://board.example/report-abuse' });
    const notice = await seedApprovedNotice(ctx.sql, c.id, p, 'form', alerts);
    const env = childEnv(ctx, { STAYDOWN_PUBLIC_URL: 'https://staydown.example' });

    const form = await runCli(['notices', 'form', notice.reference, '--json'], env);
    expect(form.status, form.stderr).toBe(0);
    const f = JSON.parse(form.stdout);
    expect(f).toMatchObject({ reference: notice.reference, status: 'sending', formUrl: 'https://board.example/report-abuse' });
    expect(f.text).toContain('https://board.example/form/1.jpg');
    expect(f.text).toMatch(/https:\/\/staydown\.example\/respond\/[A-Za-z0-9_-]{22}/);
    expect(f.urls.split('\n')).toContain('https://board.example/form/1.jpg');
    expect(f.instruction).toMatch(/by hand at https:\/\/board\.example\/report-abuse/);
    expect(f.text).not.toContain(c.code);

    const done = await runCli(['notices', 'submitted', notice.reference, '--note', 'form answered: ticket 7', '--json'], env);
    expect(done.status, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ reference: notice.reference, status: 'sent' });
    const row = (await selectNoticeById(ctx.sql, notice.id))!;
    expect(row.status).toBe('sent');
    expect(row.deadline!.getTime() - row.sent_at!.getTime()).toBe(48 * 3600_000);
    const history = await selectNoticeHistory(ctx.sql, notice.id);
    expect(history.map((h) => h.event)).toEqual(['awaiting-hand-submission', 'submitted-by-hand']);
    expect(history[1].detail).toEqual({ note: 'form answered: ticket 7' });

    const again = await runCli(['notices', 'submitted', notice.reference], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already recorded as sent/);
  });

  it('refuses to record an e-mail notice as submitted by hand', async () => {
    const c = await seedCase(ctx.sql);
    const alerts = await seedAlerts(ctx.sql, c.id, ['https://board.example/mail/1.jpg']);
    const p = await seedPlatform(ctx.sql, ctx.masterKey, { channel: 'email' });
    const notice = await seedApprovedNotice(ctx.sql, c.id, p, 'email', alerts);
    const r = await runCli(['notices', 'submitted', notice.reference], childEnv(ctx));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/goes by email, not by a web form/);
    expect((await selectNoticeById(ctx.sql, notice.id))!.status).toBe('approved');
  });
});
