/**
 * The platform's side of a notice: it answers through the response link in the notice (no account), or
 * through its `platform`-role account over the API. Either way the answer is kept (notice_responses),
 * each item it names carries its latest answer, and the notice's history and the audit log record it.
 * A platform sees only its own notices - another's is "not found", the same as a missing one - and a
 * wrong or expired link is "not found" with the same words, revealing nothing.
 */
import type { Sql } from '../../db/sql.ts';
import { insertNoticeHistory } from '../../db/queries/notices.ts';
import {
  insertNoticeResponse, selectItemAnswers, selectNoticeByTokenHash, selectNoticeResponses, selectPlatformAccountNotice,
  selectPlatformAccountNotices, setItemAnswers, type PlatformAnswer, type RespondTarget,
} from '../../db/queries/delivery.ts';
import { requirePermission } from '../platform/access.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { BadRequestError, NotFoundError } from '../platform/errors.ts';
import { isTokenShaped, respondTokenHash, respondTokenValid } from './respond-tokens.ts';

/**
 * What a platform may answer. The four of the response contract, and `not-found` (the content is not
 * there), which the notice templates offer too.
 */
export const PLATFORM_ANSWERS: readonly PlatformAnswer[] = ['acknowledged', 'removed', 'refused', 'need-info', 'not-found'];

export const LINK_NOT_FOUND = 'This response link is not valid: it may be mistyped or have expired. Reply to the notice by e-mail instead, quoting its reference.';

export interface AnswerInput {
  answer: PlatformAnswer;
  /** The URLs the answer is about (media or page URLs of the notice); all of them when left out. */
  urls?: string[];
  message?: string;
}

export interface NoticeState {
  id: string;
  reference: string;
  status: string;
  sentAt: string | null;
  deadline: string | null;
  items: Array<{ mediaUrl: string; pageUrl: string | null; answer: PlatformAnswer | null; answeredAt: string | null }>;
  responses: Array<{ at: string; via: 'link' | 'account'; answer: PlatformAnswer; urls: string[]; message: string | null }>;
}

/** Checks an answer body (JSON or a form's fields) and says in a sentence what is wrong with it. */
export function parseAnswer(body: unknown): AnswerInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestError(`Send the answer as a JSON object: {"answer": "${PLATFORM_ANSWERS.slice(0, 4).join('" | "')}", "urls": [...], "message": "..."}.`);
  }
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !['answer', 'urls', 'message', 'comment'].includes(k));
  if (unknown.length) throw new BadRequestError(`The answer has fields this endpoint does not take: ${unknown.join(', ')}; send answer, urls and message.`);
  if (typeof b.answer !== 'string' || !(PLATFORM_ANSWERS as readonly string[]).includes(b.answer)) {
    throw new BadRequestError(`"answer" must be one of ${PLATFORM_ANSWERS.join(', ')}.`);
  }
  let urls: string[] | undefined;
  if (b.urls !== undefined && b.urls !== null && b.urls !== '') {
    const list = Array.isArray(b.urls) ? b.urls : [b.urls];
    if (list.length > 1000 || !list.every((u) => typeof u === 'string' && u.length > 0 && u.length <= 4096)) {
      throw new BadRequestError('"urls" must be a list of the notice\'s URLs (at most 1000), or left out to answer for all of them.');
    }
    urls = list as string[];
  }
  const message = b.message ?? b.comment;
  if (message !== undefined && message !== null && (typeof message !== 'string' || message.length > 2000)) {
    throw new BadRequestError('"message" must be text of at most 2000 characters.');
  }
  return { answer: b.answer as PlatformAnswer, ...(urls ? { urls } : {}), ...(typeof message === 'string' && message.trim() ? { message: message.trim() } : {}) };
}

/** Statuses in which a notice can be answered: it has gone out (or is going out) to the platform. */
const ANSWERABLE = new Set(['sending', 'sent', 'failed']);

async function targetByToken(sql: Sql, token: string, forUpdate: boolean): Promise<RespondTarget> {
  if (!isTokenShaped(token)) throw new NotFoundError(LINK_NOT_FOUND);
  const hash = respondTokenHash(token);
  const t = await selectNoticeByTokenHash(sql, hash.toString('hex'), { forUpdate });
  if (!t || !respondTokenValid(token, { sha256: t.respond_token_sha256 ? Buffer.from(t.respond_token_sha256, 'hex') : null, expiresAt: t.respond_expires_at }) || !ANSWERABLE.has(t.status)) {
    throw new NotFoundError(LINK_NOT_FOUND);
  }
  return t;
}

export async function noticeState(sql: Sql, t: RespondTarget): Promise<NoticeState> {
  const [items, responses] = await Promise.all([selectItemAnswers(sql, t.id), selectNoticeResponses(sql, t.id)]);
  return {
    id: t.id,
    reference: t.reference,
    status: t.status,
    sentAt: t.sent_at?.toISOString() ?? null,
    deadline: t.deadline?.toISOString() ?? null,
    items: items.map((i) => ({ mediaUrl: i.media_url, pageUrl: i.page_url, answer: i.answer, answeredAt: i.answered_at?.toISOString() ?? null })),
    responses: responses.map((r) => ({ at: r.at.toISOString(), via: r.via, answer: r.answer, urls: r.urls, message: r.message })),
  };
}

async function applyAnswer(tx: Sql, t: RespondTarget, input: AnswerInput, via: 'link' | 'account', actor: Actor): Promise<NoticeState> {
  const items = await selectItemAnswers(tx, t.id);
  let chosen = items;
  if (input.urls) {
    const wanted = new Set(input.urls);
    chosen = items.filter((i) => wanted.has(i.media_url) || (i.page_url !== null && wanted.has(i.page_url)));
    const known = new Set(items.flatMap((i) => (i.page_url ? [i.media_url, i.page_url] : [i.media_url])));
    const stray = input.urls.find((u) => !known.has(u));
    if (stray) throw new BadRequestError(`The URL ${stray.slice(0, 300)} is not part of notice ${t.reference}; name only URLs the notice lists, or leave "urls" out.`);
  }
  const urls = chosen.map((i) => i.media_url);
  await setItemAnswers(tx, t.id, chosen.map((i) => i.alert_id), input.answer);
  const responseId = await insertNoticeResponse(tx, { noticeId: t.id, via, userId: actor.userId, answer: input.answer, urls, message: input.message ?? null });
  await insertNoticeHistory(tx, t.id, 'platform', 'answered', { answer: input.answer, items: chosen.length, via, responseId });
  const [c] = await tx.query<{ code: string }>('SELECT code FROM cases WHERE id = $1', [t.case_id]);
  await appendAudit(tx, actor, { action: 'notice.answer', recordType: 'notice', recordId: t.id, caseCode: c?.code ?? null, detail: { reference: t.reference, answer: input.answer, items: chosen.length, via } });
  return noticeState(tx, t);
}

/** The actor of an answer through a response link: the platform, known by its notice only. */
function linkActor(t: RespondTarget, source: string): Actor {
  return { userId: null, name: `platform-link:${t.platform_id}`, role: 'platform', source };
}

/** What the response page shows (reference, URLs, status): no victim data, nothing of the case. */
export async function noticeForLink(ctx: ServiceContext, token: string): Promise<NoticeState> {
  const t = await targetByToken(ctx.sql, token, false);
  return noticeState(ctx.sql, t);
}

export async function answerByLink(ctx: ServiceContext, token: string, input: AnswerInput, source: string): Promise<NoticeState> {
  return ctx.sql.transaction(async (tx) => {
    const t = await targetByToken(tx, token, true);
    return applyAnswer(tx, t, input, 'link', linkActor(t, source));
  });
}

function requirePlatformAccount(actor: Actor): string {
  requirePermission(actor, 'notice.respond');
  if (!actor.userId) throw new NotFoundError('This account answers for no platform.');
  return actor.userId;
}

/** The notices of the platforms this account answers for (sent or going out to it). */
export async function listPlatformNotices(ctx: ServiceContext, actor: Actor): Promise<NoticeState[]> {
  const userId = requirePlatformAccount(actor);
  const rows = await selectPlatformAccountNotices(ctx.sql, userId);
  const out: NoticeState[] = [];
  for (const r of rows) out.push(await noticeState(ctx.sql, r));
  await ctx.sql.transaction((tx) => appendAudit(tx, actor, { action: 'notice.list', recordType: 'notice', detail: { count: out.length, via: 'account' } }));
  return out;
}

export async function answerAsPlatform(ctx: ServiceContext, actor: Actor, noticeId: string, input: AnswerInput): Promise<NoticeState> {
  const userId = requirePlatformAccount(actor);
  return ctx.sql.transaction(async (tx) => {
    const t = await selectPlatformAccountNotice(tx, userId, noticeId, { forUpdate: true });
    // Another platform's notice is not found, exactly like one that does not exist.
    if (!t) throw new NotFoundError(`There is no notice '${noticeId.slice(0, 40)}' among your platform's notices.`);
    return applyAnswer(tx, t, input, 'account', actor);
  });
}
