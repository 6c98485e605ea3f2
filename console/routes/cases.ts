/**
 * Cases: the list, opening a case, a case's page, and its changes (details, status, withdraw, erase,
 * staff). Each handler calls the case functions the API calls; they check access (staff: assigned cases
 * only) and audit every read and change. Case pages are addressed by the pseudonymous case code only;
 * everything about the victim travels in POST bodies and page contents, never in a URL.
 */
import {
  assignCaseStaff, eraseCase, getCase, listCases, listKnownUrls, listMaterial, openCase, updateCase, withdrawCase,
} from '../../services/cases/index.ts';
import { listUsers, userNames } from '../../services/accounts/index.ts';
import { can } from '../../services/platform/access.ts';
import { BadRequestError } from '../../services/platform/errors.ts';
import { parseInputDate } from '../format.ts';
import { field, lines, type PageDef, type PageInput } from '../page.ts';

const STATUSES = ['open', 'monitoring', 'closed', 'withdrawn', 'erased'] as const;
type Status = (typeof STATUSES)[number];

function caseForm(input: PageInput) {
  const tz = input.env.ctx.config.timeZone;
  const b = input.body;
  const keep = field(b, 'keepEvidence') === 'yes';
  const daysText = field(b, 'retentionDays').trim();
  const days = daysText === '' ? null : Number(daysText);
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > 3650)) throw new BadRequestError('The evidence retention period must be a whole number of days from 1 to 3650.');
  const label = field(b, 'label').trim();
  if (label.length > 200) throw new BadRequestError('A case label may be at most 200 characters long.');
  return {
    personal: { label, name: field(b, 'name').trim(), contacts: lines(b, 'contacts').slice(0, 20), notes: field(b, 'notes').trim().slice(0, 10_000) },
    keywords: lines(b, 'keywords').slice(0, 100).map((k) => k.slice(0, 200)),
    consentAt: parseInputDate(field(b, 'consentDate'), tz, 'start'),
    monitorUntil: parseInputDate(field(b, 'monitorUntil'), tz, 'end'),
    keepEvidence: keep,
    evidenceRetentionDays: keep ? (days ?? 90) : null,
  };
}

export const casePages: PageDef[] = [
  {
    method: 'GET', url: '/cases', access: 'case.codes',
    handler: async (input) => {
      const status = STATUSES.includes(input.query.status as Status) ? (input.query.status as Status) : undefined;
      const after = typeof input.query.after === 'string' && /^[A-Za-z0-9-]{1,20}$/.test(input.query.after) ? input.query.after : undefined;
      const page = await listCases(input.env.ctx, input.session!.actor, { status, after, limit: 50 });
      const erased = typeof input.query.erased === 'string' && /^SD-[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(input.query.erased) ? input.query.erased : '';
      return input.render('cases', { page, erased, status: status ?? '', statuses: STATUSES, canOpen: can(input.session!.actor.role, 'case.create'), canRead: can(input.session!.actor.role, 'case.read') });
    },
  },
  {
    method: 'GET', url: '/cases/new', access: 'case.create',
    handler: async (input) => input.render('case-new', { today: input.fmt.inputDate(new Date()) }),
  },
  {
    method: 'POST', url: '/cases/new', access: 'case.create',
    handler: async (input) => {
      const c = await openCase(input.env.ctx, input.session!.actor, caseForm(input));
      return input.reply.redirect(`/cases/${encodeURIComponent(c.code)}?opened=1`, 303);
    },
  },
  {
    method: 'GET', url: '/cases/:code', access: 'case.read',
    handler: async (input) => {
      const { actor } = input.session!;
      const ctx = input.env.ctx;
      const c = await getCase(ctx, actor, input.params.code);
      const erased = c.status === 'erased';
      const material = erased ? { items: [], next: null } : await listMaterial(ctx, actor, c.code, { limit: 500 });
      // The same address given with several files is one place the material was seen.
      const urls = [...new Map((erased ? [] : (await listKnownUrls(ctx, actor, c.code)).items).map((u) => [u.url, u] as const)).values()];
      const names = await userNames(ctx.sql, c.staff);
      const canAssign = can(actor.role, 'case.assign');
      const staffChoices = canAssign ? (await listUsers(ctx.sql, actor, { limit: 500 })).items.filter((u) => u.role === 'staff' && !u.disabled && !c.staff.includes(u.id)) : [];
      const notice = ['opened', 'saved', 'withdrawn', 'assigned'].find((k) => input.query[k] === '1') ?? '';
      return input.render('case', {
        c, material: material.items, urls, staff: c.staff.map((id) => names.get(id) ?? id), staffChoices, canAssign, notice,
        canChange: c.status !== 'erased' && c.status !== 'withdrawn',
        canUpload: c.status === 'open' || c.status === 'monitoring',
        nextStatuses: (['open', 'monitoring', 'closed'] as const).filter((s) => s !== c.status && !(s === 'open' && c.status !== 'open')),
        maxUploadBytes: ctx.config.maxUploadBytes,
      });
    },
  },
  {
    method: 'POST', url: '/cases/:code/details', access: 'case.update',
    handler: async (input) => {
      const f = caseForm(input);
      const c = await updateCase(input.env.ctx, input.session!.actor, input.params.code, {
        personal: f.personal, keywords: f.keywords, monitorUntil: f.monitorUntil, keepEvidence: f.keepEvidence, evidenceRetentionDays: f.evidenceRetentionDays,
      });
      return input.reply.redirect(`/cases/${encodeURIComponent(c.code)}?saved=1`, 303);
    },
  },
  {
    method: 'POST', url: '/cases/:code/status', access: 'case.update',
    handler: async (input) => {
      const status = field(input.body, 'status');
      if (status !== 'open' && status !== 'monitoring' && status !== 'closed') throw new BadRequestError('Choose open, monitoring or closed.');
      const c = await updateCase(input.env.ctx, input.session!.actor, input.params.code, { status });
      return input.reply.redirect(`/cases/${encodeURIComponent(c.code)}?saved=1`, 303);
    },
  },
  {
    method: 'POST', url: '/cases/:code/withdraw', access: 'case.withdraw',
    handler: async (input) => {
      const c = await withdrawCase(input.env.ctx, input.session!.actor, input.params.code);
      return input.reply.redirect(`/cases/${encodeURIComponent(c.code)}?withdrawn=1`, 303);
    },
  },
  {
    method: 'POST', url: '/cases/:code/erase', access: 'case.erase',
    handler: async (input) => {
      const code = input.params.code.toUpperCase();
      // The typed confirmation: the case's code, exactly (case-insensitive, spaces ignored).
      if (field(input.body, 'confirm').replace(/\s/g, '').toUpperCase() !== code) {
        throw new BadRequestError(`To erase case ${code}, type its code ${code} in the confirmation box.`);
      }
      const c = await eraseCase(input.env.ctx, input.session!.actor, code);
      // Erasing also ends staff's assignment, so the case's own page is gone for them: back to the list.
      return input.reply.redirect(`/cases?erased=${encodeURIComponent(c.code)}`, 303);
    },
  },
  {
    method: 'POST', url: '/cases/:code/staff', access: 'case.assign',
    handler: async (input) => {
      await assignCaseStaff(input.env.ctx, input.session!.actor, input.params.code, field(input.body, 'userId'));
      return input.reply.redirect(`/cases/${encodeURIComponent(input.params.code.toUpperCase())}?assigned=1`, 303);
    },
  },
];
