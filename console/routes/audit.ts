/** The audit log for auditors (and admins): filters, newest first, and checking the hash chain. */
import { searchAudit, verifyAudit } from '../../services/platform/audit.ts';
import { requirePermission } from '../../services/platform/access.ts';
import { parseInputDate } from '../format.ts';
import type { PageDef, PageInput } from '../page.ts';

const PAGE = 100;

async function auditPage(input: PageInput, verification: Awaited<ReturnType<typeof verifyAudit>> | null) {
  const actor = input.session!.actor;
  requirePermission(actor, 'audit.read');
  const tz = input.env.ctx.config.timeZone;
  const q = input.query;
  const text = (v: string | undefined, max: number) => (typeof v === 'string' ? v.trim().slice(0, max) : '');
  const filter = {
    action: text(q.action, 64), actor: text(q.actor, 64), caseCode: text(q.caseCode, 20).toUpperCase(),
    from: text(q.from, 10), to: text(q.to, 10),
  };
  const before = Number(q.before);
  const items = await searchAudit(input.env.ctx.sql, {
    action: filter.action || undefined,
    actor: filter.actor || undefined,
    caseCode: filter.caseCode || undefined,
    from: parseInputDate(filter.from, tz, 'start') ?? undefined,
    to: parseInputDate(filter.to, tz, 'end') ?? undefined,
    beforeSeq: Number.isInteger(before) && before > 0 ? before : undefined,
    limit: PAGE + 1,
  });
  const page = items.slice(0, PAGE);
  const params = new URLSearchParams(Object.entries(filter).filter(([, v]) => v) as Array<[string, string]>);
  if (items.length > PAGE) params.set('before', String(page[page.length - 1].seq));
  return input.render('audit', { items: page, filter, verification, olderHref: items.length > PAGE ? `/audit?${params}` : null });
}

export const auditPages: PageDef[] = [
  { method: 'GET', url: '/audit', access: 'audit.read', handler: (input) => auditPage(input, null) },
  {
    method: 'POST', url: '/audit/verify', access: 'audit.read',
    handler: async (input) => {
      requirePermission(input.session!.actor, 'audit.read');
      return auditPage(input, await verifyAudit(input.env.ctx.sql));
    },
  },
];
