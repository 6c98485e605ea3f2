/**
 * Notices, for staff and administrators (operators read them): the board of open notices with deadline
 * timers, a notice's page (its items and their tracking, the text exactly as it goes out, delivery, history,
 * the platform's answers) and its actions - approve (the four-eyes rule shown), cancel, retry a failed
 * delivery, and for web-form notices the copy-ready text and "submitted". Every handler calls the
 * functions the API and the command line call; they check access (staff: notices of their cases only) and
 * audit. Notices are addressed by their id, which carries nothing of the victim.
 */
import { userNames } from '../../services/accounts/index.ts';
import { handSubmissionFor, noticeAnswers, recordSubmission, retryNotice } from '../../services/delivery/index.ts';
import { noticeTrackingStates } from '../../services/monitoring/index.ts';
import { can } from '../../services/platform/access.ts';
import {
  approveNotice, cancelNotice, fourEyesApprovers, fourEyesBlock, getNotice, listNotices, listPlatforms, NOTICE_DELIVER_JOB, NOTICE_STATUSES, type NoticeDetail, type NoticeSummary,
} from '../../services/takedown/index.ts';
import { noticeTimer, timerText } from '../deadline.ts';
import { field, type PageDef, type PageInput } from '../page.ts';

const KINDS = ['initial', 'reminder', 'escalation'] as const;
/** The board's order: drafts wait for a person, then what is overdue, then the nearest deadline. */
const RANK: Record<string, number> = { draft: 0, failed: 1, approved: 2, sending: 3, sent: 4, cancelled: 9 };

function one(v: string | undefined, allowed: readonly string[]): string {
  return v && allowed.includes(v) ? v : '';
}

async function board(input: PageInput) {
  const { actor } = input.session!;
  const ctx = input.env.ctx;
  const platforms = (await listPlatforms(ctx, actor)).map((p) => p.name).sort();
  const status = one(input.query.status, [...NOTICE_STATUSES, 'all']);
  const platform = one(input.query.platform, platforms);
  const kind = one(input.query.kind, KINDS);
  const list = await listNotices(ctx, actor, { ...(status && status !== 'all' ? { status } : {}), ...(platform ? { platform } : {}), limit: 1000 });
  const tracking = await noticeTrackingStates(ctx.sql, list.map((n) => n.id));
  const now = new Date();
  const rows = list
    .filter((n) => !kind || n.kind === kind)
    // "Open": without a status filter, cancelled notices and those whose URLs are all verified removed are left out.
    .filter((n) => status !== '' || (n.status !== 'cancelled' && tracking.get(n.id) !== 'removed'))
    .map((n) => ({ n, tracking: tracking.get(n.id) ?? null, timer: noticeTimer(n, tracking.get(n.id), now) }))
    .sort((a, b) => (RANK[a.n.status] ?? 5) - (RANK[b.n.status] ?? 5)
      || Number(b.timer.kind === 'overdue') - Number(a.timer.kind === 'overdue')
      || (a.n.deadline ?? '9').localeCompare(b.n.deadline ?? '9')
      || b.n.createdAt.localeCompare(a.n.createdAt))
    .map((r) => ({ ...r, timerText: timerText(r.timer, input.t) }));
  return input.render('notices', {
    rows, platforms, statuses: NOTICE_STATUSES, kinds: KINDS, filter: { status, platform, kind },
    overdue: rows.filter((r) => r.timer.kind === 'overdue').length, drafts: rows.filter((r) => r.n.status === 'draft').length,
  });
}

/** The Message-ID of the last delivery, as recorded when it went out. */
function messageId(n: NoticeDetail): string | null {
  const sent = [...n.history].reverse().find((h) => h.event === 'sent' && typeof h.detail.messageId === 'string');
  return (sent?.detail.messageId as string | undefined) ?? null;
}

async function noticePage(input: PageInput, extra: Record<string, unknown> = {}) {
  const { actor } = input.session!;
  const ctx = input.env.ctx;
  const n = await getNotice(ctx, actor, input.params.id);
  const answers = await noticeAnswers(ctx, actor, n.id);
  const canApprove = can(actor.role, 'notice.approve');
  const block = n.status === 'draft' && canApprove ? await fourEyesBlock(ctx, actor, n.id) : null;
  const approvers = block === 'self' ? await fourEyesApprovers(ctx, actor, n.id) : [];
  // A web-form notice is submitted by a person: its text (with its response link) is made ready once approved.
  const form = canApprove && n.channel === 'form' && (n.status === 'approved' || n.status === 'sending') ? await handSubmissionFor(ctx, actor, n.id) : null;
  const ids = [...new Set(n.history.map((h) => h.actor).filter((a) => /^[0-9a-f-]{36}$/.test(a)))];
  const names = await userNames(ctx.sql, ids);
  const tracking = new Map(n.tracking.urls.map((u) => [u.alertId, u]));
  const timer = noticeTimer(n, n.tracking.state);
  return input.render('notice', {
    n, answers, block, approvers, form, canApprove, timer, timerText: timerText(timer, input.t), messageId: messageId(n),
    warnings: n.warnings.map((w) => warning(input, w)),
    items: n.urls.map((u) => ({ ...u, tracked: tracking.get(u.alertId) ?? null })),
    history: n.history.map((h) => ({ ...h, who: who(input, names, h.actor), label: known(input, `notices.one.events.${h.event.replace(/:/g, '.')}`, h.event) })),
    done: one(input.query.done, ['approved', 'cancelled', 'retried', 'submitted']),
    ...extra,
  });
}

/** The service's warnings (English sentences) in the page's language; one it does not know stays in English. */
const WARNINGS: Array<[RegExp, string]> = [
  [/^No designation as a requesting body/, 'noDesignation'],
  [/^The designation as a requesting body ended on (?<until>[\d-]+)/, 'designationExpired'],
  [/^STAYDOWN_ORG_EMAIL is not set/, 'noOrgEmail'],
  [/^STAYDOWN_PUBLIC_URL is not set/, 'noPublicUrl'],
  [/^(?<n>\d+) page URL\(s\) are withheld/, 'withheld'],
  [/^The case is (?<status>\w+):/, 'caseEnded'],
  [/^The notice lists no items/, 'noItems'],
];

function warning(input: PageInput, w: string): { text: string; lang: string } {
  for (const [re, key] of WARNINGS) {
    const m = re.exec(w);
    if (!m) continue;
    const vars: Record<string, string> = { ...m.groups };
    if (vars.status) vars.status = input.t(`status.${vars.status}`);
    return { text: input.t(`notices.one.warn.${key}`, vars), lang: input.locale };
  }
  return { text: w, lang: 'en' };
}

/** A catalogue text, or `fallback` when the catalogue has none (an event added later). */
function known(input: PageInput, key: string, fallback: string): string {
  const text = input.t(key);
  return text === key ? fallback : text;
}

/** Who made a history entry: a person's name, the system, the platform (by its link or its account). */
function who(input: PageInput, names: Map<string, string>, actor: string): string {
  if (names.has(actor)) return names.get(actor)!;
  if (actor.startsWith('platform')) return input.t('notices.one.actor.platform');
  if (actor === 'system' || actor.startsWith('system:') || actor === 'check') return input.t('notices.one.actor.system');
  return actor;
}

function back(input: PageInput, n: NoticeSummary | { reference: string }, done: string) {
  const id = 'id' in n ? n.id : input.params.id;
  return input.reply.redirect(`/notices/${encodeURIComponent(id)}?done=${done}`, 303);
}

export const noticePages: PageDef[] = [
  { method: 'GET', url: '/notices', access: 'notice.read', handler: board },
  { method: 'GET', url: '/notices/:id', access: 'notice.read', handler: (input) => noticePage(input) },
  {
    method: 'POST', url: '/notices/:id/approve', access: 'notice.approve',
    handler: async (input) => {
      const send = input.env.send;
      // The same queueing as POST /api/v1/notices/:id/approve (one waiting delivery job for all notices).
      const n = await approveNotice(input.env.ctx, input.session!.actor, input.params.id, send ? { queueDelivery: async (noticeId) => void (await send(NOTICE_DELIVER_JOB, { noticeId }, { singletonKey: NOTICE_DELIVER_JOB })) } : {});
      return back(input, n, 'approved');
    },
  },
  {
    method: 'POST', url: '/notices/:id/cancel', access: 'notice.approve',
    handler: async (input) => back(input, await cancelNotice(input.env.ctx, input.session!.actor, input.params.id), 'cancelled'),
  },
  {
    method: 'POST', url: '/notices/:id/retry', access: 'notice.approve',
    handler: async (input) => {
      await retryNotice(input.env.ctx, input.session!.actor, input.params.id);
      return back(input, { reference: '' }, 'retried');
    },
  },
  {
    method: 'POST', url: '/notices/:id/submitted', access: 'notice.approve',
    handler: async (input) => {
      await recordSubmission(input.env.ctx, input.session!.actor, input.params.id, field(input.body, 'note'));
      return back(input, { reference: '' }, 'submitted');
    },
  },
];
