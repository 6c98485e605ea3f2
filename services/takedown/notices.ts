/**
 * Notices: list, show (with the rendered text and the history), approve, cancel. A draft is sent only
 * after a staff member or an administrator approves it; with STAYDOWN_FOUR_EYES the approver must not be
 * who confirmed any of its alerts. Approval queues the delivery job; the delivery work moves the notice
 * on (approved -> sending -> sent | failed). Staff reach only the notices of the cases they are assigned
 * to. Every read and change is audited (by case code, never victim data).
 */
import {
  approveDrafts, insertNoticeHistories, selectEscalationPackages, insertNoticeHistory, isAssignedToNoticeCase, selectCaseCodeAndStatus, selectCaseCodesAndStatuses, selectNoticeById, selectNoticesByIds,
  selectNoticeByReference, selectNoticeDeciders, selectNoticeHistory, selectNoticeItems, selectNotices, updateNoticeStatus,
  type NoticeItemRow, type NoticeRow, type NoticeStatus,
} from '../../db/queries/notices.ts';
import { selectPlatformById, selectPlatformByName, selectPlatformsByIds, type PlatformRow } from '../../db/queries/platforms.ts';
import type { Sql } from '../../db/sql.ts';
import { needsAssignment, requirePermission, type Permission } from '../platform/access.ts';
import { appendAudit, appendAudits, type Actor } from '../platform/audit.ts';
import type { Config } from '../platform/config.ts';
import type { ServiceContext } from '../platform/context.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, UnprocessableError } from '../platform/errors.ts';
import { channelFor } from './drafting.ts';
import { canMoveNotice, NOTICE_STATUSES, noticeStatusesBefore } from './notice-status.ts';
import { renderNotice, type NoticeData, type RenderedNotice } from './templates/index.ts';
import { noticeTracking, type NoticeTracking } from '../monitoring/index.ts';

export interface NoticeSummary {
  id: string;
  reference: string;
  platform: string;
  kind: NoticeRow['kind'];
  status: NoticeStatus;
  language: NoticeRow['language'];
  jurisdiction: NoticeRow['jurisdiction'];
  channel: NoticeRow['channel'];
  urls: Array<{ alertId: string; pageUrl: string | null; mediaUrl: string }>;
  createdAt: string;
  approvedAt: string | null;
  approvedBy: string | null;
  sentAt: string | null;
  deadline: string | null;
  attempts: number;
  lastError: string | null;
}

export interface NoticeDetail extends NoticeSummary {
  /** Each URL's keep-it-down state (services/monitoring); null until the notice is sent and tracked. */
  urls: Array<NoticeSummary['urls'][number] & { state: string | null }>;
  /** The notice's state from its URLs, each URL's checks, and every URL transition (also in `history`). */
  tracking: NoticeTracking;
  subject: string;
  text: string;
  html: string;
  json: RenderedNotice['json'];
  history: Array<{ at: string; actor: string; event: string; detail: Record<string, unknown> }>;
  /** What is missing or wrong before it can go out, as sentences. */
  warnings: string[];
}

/** The centre's Korean designation today: none configured, valid, or past its last day (Korean time). */
export function krDesignationState(config: Pick<Config, 'krDesignation'>, now: Date = new Date()): 'none' | 'valid' | 'expired' {
  if (!config.krDesignation) return 'none';
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  return today > config.krDesignation.until ? 'expired' : 'valid';
}

/** STAYDOWN_PUBLIC_URL/respond/TOKEN, or null when no public URL is configured. */
export function respondUrlFor(config: Pick<Config, 'publicUrl'>, token: string): string | null {
  return config.publicUrl ? `${config.publicUrl}/respond/${encodeURIComponent(token)}` : null;
}

/** What the templates get for a stored notice (pure). `respondUrl` and `issuedAt` come from the sender. */
export function noticeData(
  config: Pick<Config, 'orgName' | 'orgEmail' | 'krDesignation'>,
  notice: NoticeRow,
  platform: Pick<PlatformRow, 'name' | 'deadline_hours'>,
  items: NoticeItemRow[],
  opts: { respondUrl?: string | null; issuedAt?: Date; originalReference?: string | null; original?: NoticeData['original']; escalationPackage?: NoticeData['escalationPackage']; now?: Date } = {},
): NoticeData {
  const designation = notice.jurisdiction === 'KR' && krDesignationState(config, opts.now) === 'valid' ? config.krDesignation! : null;
  return {
    reference: notice.reference,
    kind: notice.kind,
    jurisdiction: notice.jurisdiction,
    language: notice.language,
    platform: { name: platform.name },
    issuedAt: opts.issuedAt ?? notice.sent_at ?? opts.now ?? new Date(),
    deadline: notice.deadline,
    deadlineHours: platform.deadline_hours,
    respondUrl: opts.respondUrl ?? null,
    requester: { name: config.orgName, email: config.orgEmail ?? null },
    signature: notice.approved_by_name,
    krDesignation: designation,
    originalReference: opts.originalReference ?? null,
    original: opts.original ?? null,
    escalationPackage: opts.escalationPackage ?? null,
    items: items.map((i) => ({ pageUrl: i.page_url, mediaUrl: i.media_url, firstSeen: i.first_seen })),
  };
}

/**
 * A stored notice rendered (subject, text, html, notice.json) - what the delivery work sends. Not
 * audited: it reads no victim data, only the notice's URLs.
 */
export async function renderStoredNotice(sql: Sql, config: Config, noticeId: string, opts: { respondUrl?: string | null; issuedAt?: Date } = {}): Promise<{ notice: NoticeRow; platform: PlatformRow; items: NoticeItemRow[]; rendered: RenderedNotice }> {
  const notice = await selectNoticeById(sql, noticeId);
  if (!notice) throw new NotFoundError(`There is no notice ${noticeId}.`);
  const platform = (await selectPlatformById(sql, notice.platform_id))!;
  const items = await selectNoticeItems(sql, [notice.id]);
  const original = notice.original_notice_id ? await selectNoticeById(sql, notice.original_notice_id) : null;
  const pkg = notice.kind === 'escalation' ? (await selectEscalationPackages(sql, [notice.id])).get(notice.id) ?? null : null;
  return { notice, platform, items, rendered: renderNotice(noticeData(config, notice, platform, items, { ...opts, originalReference: original?.reference ?? null, original: original ? { sentAt: original.sent_at, deadline: original.deadline } : null, escalationPackage: pkg })) };
}

/**
 * Several stored notices rendered with a handful of queries whatever their number (a delivery batch).
 * Missing notices are left out of the map.
 */
export async function renderStoredNotices(
  sql: Sql,
  config: Config,
  requests: ReadonlyArray<{ noticeId: string; respondUrl?: string | null; issuedAt?: Date }>,
): Promise<Map<string, { notice: NoticeRow; platform: PlatformRow; items: NoticeItemRow[]; rendered: RenderedNotice }>> {
  const notices = await selectNoticesByIds(sql, requests.map((r) => r.noticeId));
  const platforms = new Map((await selectPlatformsByIds(sql, notices.map((n) => n.platform_id))).map((p) => [p.id, p]));
  const items = await selectNoticeItems(sql, notices.map((n) => n.id));
  const originalIds = notices.flatMap((n) => (n.original_notice_id ? [n.original_notice_id] : []));
  const originals = new Map((await selectNoticesByIds(sql, originalIds)).map((o) => [o.id, o]));
  const packages = await selectEscalationPackages(sql, notices.filter((n) => n.kind === 'escalation').map((n) => n.id));
  const byId = new Map(notices.map((n) => [n.id, n]));
  const out = new Map<string, { notice: NoticeRow; platform: PlatformRow; items: NoticeItemRow[]; rendered: RenderedNotice }>();
  for (const r of requests) {
    const notice = byId.get(r.noticeId);
    if (!notice) continue;
    const platform = platforms.get(notice.platform_id)!;
    const own = items.filter((i) => i.notice_id === notice.id);
    const o = notice.original_notice_id ? originals.get(notice.original_notice_id) : undefined;
    const original = o ? { sentAt: o.sent_at, deadline: o.deadline } : null;
    out.set(notice.id, { notice, platform, items: own, rendered: renderNotice(noticeData(config, notice, platform, own, { respondUrl: r.respondUrl, issuedAt: r.issuedAt, originalReference: o?.reference ?? null, original, escalationPackage: packages.get(notice.id) ?? null })) });
  }
  return out;
}

function summary(n: NoticeRow, items: NoticeItemRow[]): NoticeSummary {
  return {
    id: n.id, reference: n.reference, platform: n.platform_name, kind: n.kind, status: n.status, language: n.language, jurisdiction: n.jurisdiction,
    channel: n.channel,
    urls: items.filter((i) => i.notice_id === n.id).map((i) => ({ alertId: i.alert_id, pageUrl: i.page_url, mediaUrl: i.media_url })),
    createdAt: n.created_at.toISOString(), approvedAt: n.approved_at?.toISOString() ?? null, approvedBy: n.approved_by_name,
    sentAt: n.sent_at?.toISOString() ?? null, deadline: n.deadline?.toISOString() ?? null, attempts: n.attempts, lastError: n.last_error,
  };
}

const NO_USER = '00000000-0000-0000-0000-000000000000';

/** A notice by id or reference that `actor` may use with `permission` (staff: their cases only). */
async function loadNoticeFor(tx: Sql, actor: Actor, idOrReference: string, permission: Permission, opts: { forUpdate?: boolean } = {}): Promise<NoticeRow> {
  requirePermission(actor, permission);
  const ref = idOrReference.trim();
  const row = /^SD-/i.test(ref) ? await selectNoticeByReference(tx, ref, opts) : await selectNoticeById(tx, ref, opts);
  if (!row || (needsAssignment(actor, permission) && !(await isAssignedToNoticeCase(tx, row.id, actor.userId ?? NO_USER)))) {
    throw new NotFoundError(`There is no notice ${ref} that you can access; 'staydown notices list' shows them.`);
  }
  return row;
}

export interface NoticeListFilter {
  status?: string;
  /** A platform's name. */
  platform?: string;
  limit?: number;
}

export async function listNotices(ctx: ServiceContext, actor: Actor, filter: NoticeListFilter = {}): Promise<NoticeSummary[]> {
  requirePermission(actor, 'notice.read');
  if (filter.status && !(NOTICE_STATUSES as readonly string[]).includes(filter.status)) {
    throw new BadRequestError(`The status '${filter.status}' is not one of ${NOTICE_STATUSES.join(', ')}.`);
  }
  return ctx.sql.transaction(async (tx) => {
    let platformId: string | undefined;
    if (filter.platform) {
      const p = await selectPlatformByName(tx, filter.platform);
      if (!p) throw new NotFoundError(`There is no platform named '${filter.platform}'; 'staydown platform list' shows them.`);
      platformId = p.id;
    }
    const rows = await selectNotices(tx, {
      status: filter.status as NoticeStatus | undefined, platformId, limit: filter.limit,
      staffUserId: needsAssignment(actor, 'notice.read') ? actor.userId ?? NO_USER : undefined,
    });
    const items = await selectNoticeItems(tx, rows.map((r) => r.id));
    await appendAudit(tx, actor, { action: 'notice.list', recordType: 'notice', detail: { count: rows.length, ...(filter.status ? { status: filter.status } : {}) } });
    return rows.map((r) => summary(r, items));
  });
}

/** Notices by id as they are now (after `notices approve --wait`), for an actor who may read them. */
export async function listNoticesByIds(ctx: ServiceContext, actor: Actor, ids: readonly string[]): Promise<Map<string, NoticeSummary>> {
  requirePermission(actor, 'notice.read');
  return ctx.sql.transaction(async (tx) => {
    const rows = [];
    for (const id of ids) rows.push(await loadNoticeFor(tx, actor, id, 'notice.read'));
    const items = await selectNoticeItems(tx, rows.map((r) => r.id));
    await appendAudit(tx, actor, { action: 'notice.list', recordType: 'notice', detail: { count: rows.length } });
    return new Map(rows.map((r) => [r.id, summary(r, items)]));
  });
}

/** Sentences on what is missing before the notice can go out (shown by `notices show`). */
function noticeWarnings(config: Config, notice: NoticeRow, items: NoticeItemRow[], caseStatus: string | undefined): string[] {
  const w: string[] = [];
  if (notice.jurisdiction === 'KR') {
    const state = krDesignationState(config);
    if (state === 'none') w.push('No designation as a requesting body is configured (STAYDOWN_KR_DESIGNATION, STAYDOWN_KR_DESIGNATION_UNTIL): this KR notice goes out as a request on the victim\'s behalf, without the designation line.');
    if (state === 'expired') w.push(`The designation as a requesting body ended on ${config.krDesignation!.until} (STAYDOWN_KR_DESIGNATION_UNTIL): KR notices cannot be approved until it is renewed, or until both settings are removed to send on the victim's behalf.`);
  }
  if (!config.orgEmail) w.push('STAYDOWN_ORG_EMAIL is not set: a notice must give a contact address, so approval is refused until it is.');
  if (!config.publicUrl) w.push('STAYDOWN_PUBLIC_URL is not set: the notice will carry no response link for the platform.');
  const withheld = items.filter((i) => i.page_url_withheld).length;
  if (withheld > 0) w.push(`${withheld} page URL(s) are withheld because they contain the victim's personal data; the notice lists the media URLs only for them.`);
  if (caseStatus && caseStatus !== 'open' && caseStatus !== 'monitoring') w.push(`The case is ${caseStatus}: its notices are not sent. Cancel this notice.`);
  if (items.length === 0) w.push('The notice lists no items.');
  return w;
}

export async function getNotice(ctx: ServiceContext, actor: Actor, idOrReference: string): Promise<NoticeDetail> {
  return ctx.sql.transaction(async (tx) => {
    const notice = await loadNoticeFor(tx, actor, idOrReference, 'notice.read');
    const { items, rendered } = await renderStoredNotice(tx, ctx.config, notice.id);
    const history = await selectNoticeHistory(tx, notice.id);
    const c = await selectCaseCodeAndStatus(tx, notice.case_id);
    await appendAudit(tx, actor, { action: 'notice.read', recordType: 'notice', recordId: notice.id, caseCode: c?.code ?? null });
    const base = summary(notice, items);
    const tracking = await noticeTracking(tx, notice.id);
    const urlHistory = tracking.history.map((h) => ({ at: h.at, actor: h.actor, event: `url:${h.event}`, detail: { ...h.detail, trackedUrlId: h.trackedUrlId, mediaUrl: h.mediaUrl, from: h.from, to: h.to, noticeId: h.noticeId } }));
    return {
      ...base,
      urls: base.urls.map((u) => ({ ...u, state: tracking.urls.find((t) => t.alertId === u.alertId)?.state ?? null })),
      tracking,
      subject: rendered.subject, text: rendered.text, html: rendered.html, json: rendered.json,
      history: [...history.map((h) => ({ at: h.at.toISOString(), actor: h.actor, event: h.event, detail: h.detail })), ...urlHistory].sort((a, b) => a.at.localeCompare(b.at)),
      warnings: noticeWarnings(ctx.config, notice, items, c?.status),
    };
  });
}

export interface ApproveOptions {
  /**
   * Has approved notices delivered (the `notice-deliver` job, and - in a process that runs the worker
   * role - delivery here at once). Called after the approval has committed, with every newly approved
   * id; a failure leaves the notices approved, and delivery's periodic sweep queues them again.
   */
  queueDelivery?: (noticeIds: string[]) => Promise<void>;
}

export async function approveNotice(ctx: ServiceContext, actor: Actor, idOrReference: string, opts: ApproveOptions = {}): Promise<NoticeSummary> {
  return (await approveNotices(ctx, actor, [idOrReference], opts))[0];
}

/**
 * Approves several notices in one transaction: all of them or, when one cannot be approved, none (the
 * error names it). A notice already approved is left as it is. One transaction for a batch is what makes
 * approving a page of drafts cheap on the embedded database, where every commit costs milliseconds.
 */
export async function approveNotices(ctx: ServiceContext, actor: Actor, idsOrReferences: readonly string[], opts: ApproveOptions = {}): Promise<NoticeSummary[]> {
  if (idsOrReferences.length === 0) throw new BadRequestError('Name at least one notice to approve.');
  if (idsOrReferences.length > 1000) throw new BadRequestError('Approve at most 1,000 notices at once.');
  const approved = await ctx.sql.transaction(async (tx) => {
    const loaded: NoticeRow[] = [];
    const seen = new Set<string>();
    const ids = idsOrReferences.map((r) => r.trim());
    // Ids from an actor who sees every notice: one locking read for all (the API's and a page's case).
    const bulk = !needsAssignment(actor, 'notice.approve') && ids.every((id) => /^[0-9a-f-]{36}$/i.test(id));
    requirePermission(actor, 'notice.approve');
    const byId = bulk ? new Map((await selectNoticesByIds(tx, ids, { forUpdate: true })).map((n) => [n.id, n])) : null;
    for (const ref of ids) {
      const n = byId ? byId.get(ref.toLowerCase()) : await loadNoticeFor(tx, actor, ref, 'notice.approve', { forUpdate: true });
      if (!n) throw new NotFoundError(`There is no notice ${ref} that you can access; 'staydown notices list' shows them.`);
      if (!seen.has(n.id)) loaded.push(n);
      seen.add(n.id);
    }
    const items = await selectNoticeItems(tx, loaded.map((n) => n.id));
    const cases = await selectCaseCodesAndStatuses(tx, loaded.map((n) => n.case_id));
    const platforms = new Map((await selectPlatformsByIds(tx, loaded.map((n) => n.platform_id))).map((p) => [p.id, p]));
    const toApprove: NoticeRow[] = [];
    for (const notice of loaded) {
      if (notice.status === 'approved') continue;
      if (!canMoveNotice(notice.status, 'approved')) throw new ConflictError(`Notice ${notice.reference} is ${notice.status} and cannot be approved; only drafts are.`);
      const count = items.filter((i) => i.notice_id === notice.id).length;
      if (count === 0) throw new ConflictError(`Notice ${notice.reference} lists no items; there is nothing to approve.`);
      const c = cases.get(notice.case_id);
      if (!c || (c.status !== 'open' && c.status !== 'monitoring')) throw new ConflictError(`Notice ${notice.reference} belongs to a case that is ${c?.status ?? 'gone'}: its notices are not sent. Cancel it.`);
      if (!ctx.config.orgEmail) throw new UnprocessableError('Notices need the organisation\'s contact address: set STAYDOWN_ORG_EMAIL (and STAYDOWN_ORG_NAME) and approve again.');
      if (platforms.get(notice.platform_id)!.jurisdiction === 'KR' && krDesignationState(ctx.config) === 'expired') {
        throw new UnprocessableError(`The designation as a requesting body ended on ${ctx.config.krDesignation!.until}: KR notices are not sent under an expired designation. Renew it and set STAYDOWN_KR_DESIGNATION_UNTIL, or remove both STAYDOWN_KR_DESIGNATION settings to send on the victim's behalf.`);
      }
      if (ctx.config.fourEyes) await checkFourEyes(tx, actor, notice);
      toApprove.push(notice);
    }
    // The draft followed its platform until now; from here on the notice keeps what was approved.
    const done = await approveDrafts(tx, toApprove.map((n) => {
      const p = platforms.get(n.platform_id)!;
      return { id: n.id, language: p.language, jurisdiction: p.jurisdiction, channel: channelFor(p) };
    }), { approvedBy: actor.userId, approvedByName: actor.name });
    if (done.length !== toApprove.length) throw new ConflictError(`Notice ${toApprove.find((n) => !done.includes(n.id))!.reference} was changed by someone else; look at it again.`);
    const count = (id: string) => items.filter((i) => i.notice_id === id).length;
    await insertNoticeHistories(tx, toApprove.map((n) => ({ noticeId: n.id, actor: actor.userId ?? actor.name, event: 'approved', detail: { items: count(n.id), fourEyes: ctx.config.fourEyes } })));
    await appendAudits(tx, toApprove.map((n) => ({
      actor,
      event: { action: 'notice.approve', recordType: 'notice', recordId: n.id, caseCode: cases.get(n.case_id)!.code, detail: { items: count(n.id), platformId: n.platform_id, fourEyes: ctx.config.fourEyes } },
    })));
    const rows = new Map((await selectNoticesByIds(tx, loaded.map((n) => n.id))).map((r) => [r.id, r]));
    return { notices: loaded.map((n) => rows.get(n.id)!), items, newly: done };
  });
  if (opts.queueDelivery && approved.newly.length > 0) {
    await opts.queueDelivery(approved.newly).catch((err) => {
      ctx.log.warn({ notices: approved.newly.length, err: (err as Error).message }, 'approved notices could not be queued for delivery; delivery\'s periodic sweep queues them again');
    });
  }
  return approved.notices.map((n) => summary(n, approved.items));
}

async function checkFourEyes(tx: Sql, actor: Actor, notice: NoticeRow): Promise<void> {
  if (!actor.userId) {
    throw new ForbiddenError(`The four-eyes rule is on (STAYDOWN_FOUR_EYES): notice ${notice.reference} must be approved by a signed-in staff member, whose account shows they did not confirm its alerts.`);
  }
  const deciders = await selectNoticeDeciders(tx, notice.id);
  if (deciders.includes(null)) {
    // Confirmed on the command line: no account is recorded, so nobody can be shown to be someone else.
    throw new ForbiddenError(`Some alerts of notice ${notice.reference} were confirmed on the command line, which records no account; under the four-eyes rule (STAYDOWN_FOUR_EYES) they must be confirmed by a signed-in reviewer before the notice can be approved.`);
  }
  if (deciders.includes(actor.userId)) {
    throw new ForbiddenError(`You confirmed alerts of notice ${notice.reference}; under the four-eyes rule another staff member must approve it.`);
  }
}

export async function cancelNotice(ctx: ServiceContext, actor: Actor, idOrReference: string): Promise<NoticeSummary> {
  return ctx.sql.transaction(async (tx) => {
    const notice = await loadNoticeFor(tx, actor, idOrReference, 'notice.approve', { forUpdate: true });
    const items = await selectNoticeItems(tx, [notice.id]);
    if (notice.status === 'cancelled') return summary(notice, items);
    if (!canMoveNotice(notice.status, 'cancelled')) throw new ConflictError(`Notice ${notice.reference} is ${notice.status} and can no longer be cancelled.`);
    const row = await updateNoticeStatus(tx, notice.id, noticeStatusesBefore('cancelled'), 'cancelled');
    if (!row) throw new ConflictError(`Notice ${notice.reference} was changed by someone else; look at it again.`);
    const c = await selectCaseCodeAndStatus(tx, notice.case_id);
    await insertNoticeHistory(tx, notice.id, actor.userId ?? actor.name, 'cancelled', { from: notice.status });
    await appendAudit(tx, actor, { action: 'notice.cancel', recordType: 'notice', recordId: notice.id, caseCode: c?.code ?? null, detail: { from: notice.status } });
    return summary(row, items);
  });
}

/** A notice's current status by id (for --wait). Not audited: a status only. */
export async function noticeStatus(sql: Sql, noticeId: string): Promise<NoticeStatus | null> {
  return (await selectNoticeById(sql, noticeId))?.status ?? null;
}
