/**
 * The operators' review queue: new alerts, re-uploads first, then the oldest first; one alert at a time,
 * facts first, pixels only on request. Every handler calls the review functions the API calls
 * (services/review): they check the permission (staff: assigned cases only) and audit every read,
 * reveal and decision. Pictures are served veiled (greyscale, blurred on the server) by default; the
 * original only after a reveal POST, through a short-lived grant bound to this sign-in, alert and
 * picture - so an <img> address alone never shows the unblurred pixels and never skips the exposure limit.
 *
 * Addresses carry alert ids, site names, case codes and method names only - never victim data.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ALL_MATCH_METHODS } from '../../hashing/match/methods.ts';
import { normalizeCaseCode } from '../../services/cases/index.ts';
import { can } from '../../services/platform/access.ts';
import { BadRequestError, ForbiddenError } from '../../services/platform/errors.ts';
import {
  confirmAlerts, exposureBeforeReveal, exposureToday, getAlert, getEvidence, isEvidenceImage, listAlerts, readRevealedImage, readVeiledImage, rejectAlerts, revealImage,
  type AlertDetail, type AlertSummary, type EvidenceImage,
} from '../../services/review/index.ts';
import { field, wantsJson, type PageDef, type PageInput } from '../page.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The queue reads at most this many new alerts per view; more is a backlog the counts still show. */
const QUEUE_MAX = 2000;
/** A reveal's grant lasts this long: long enough for the browser to load the picture, no longer. */
const GRANT_MS = 120_000;
export const REJECT_REASONS = ['different', 'notSexual', 'unclear', 'duplicate'] as const;

export interface QueueFilter {
  site: string;
  case: string;
  method: string;
}

/** The filters of the query or a form, each checked against its shape (anything else is dropped). */
export function readFilter(src: Record<string, unknown>): QueueFilter {
  const s = (k: string) => (typeof src[k] === 'string' ? (src[k] as string).trim() : '');
  const site = /^[a-z0-9][a-z0-9-]{0,62}$/i.test(s('site')) ? s('site') : '';
  const code = s('case') ? normalizeCaseCode(s('case')) : '';
  const method = (ALL_MATCH_METHODS as readonly string[]).includes(s('method')) ? s('method') : '';
  return { site, case: /^SD-[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(code) ? code : '', method };
}

export function filterQuery(f: QueueFilter, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Re-uploads first (the monitoring feature marks them), then the oldest first: the longest wait goes next. */
export function queueOrder(items: AlertSummary[]): AlertSummary[] {
  return [...items].sort((a, b) => Number(b.reupload) - Number(a.reupload) || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

async function loadQueue(input: PageInput, f: QueueFilter): Promise<AlertSummary[]> {
  const all: AlertSummary[] = [];
  let after: string | undefined;
  do {
    const page = await listAlerts(input.env.ctx, input.session!.actor, { status: 'new', site: f.site || undefined, case: f.case || undefined, after, limit: 1000 });
    all.push(...page.items);
    after = page.next ?? undefined;
  } while (after && all.length < QUEUE_MAX);
  return queueOrder(f.method ? all.filter((a) => a.method === f.method) : all);
}

function grantKey(input: PageInput): Buffer {
  return createHmac('sha256', input.env.ctx.masterKey).update('staydown console reveal grant v1').digest();
}

function grantMac(input: PageInput, alertId: string, part: EvidenceImage, expires: number): string {
  return createHmac('sha256', grantKey(input)).update(`${input.session!.credentialId}\n${alertId}\n${part}\n${expires}`).digest('base64url');
}

export function makeGrant(input: PageInput, alertId: string, part: EvidenceImage): string {
  const expires = Date.now() + GRANT_MS;
  return `${expires}.${grantMac(input, alertId, part, expires)}`;
}

function grantValid(input: PageInput, alertId: string, part: EvidenceImage, grant: string): boolean {
  const m = /^(\d{13})\.([A-Za-z0-9_-]{43})$/.exec(grant);
  if (!m || Number(m[1]) < Date.now()) return false;
  const want = Buffer.from(grantMac(input, alertId, part, Number(m[1])));
  const got = Buffer.from(m[2]);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** `detail.region` = {x, y, width, height} as fractions of the candidate, when the matcher recorded where. */
export function matchRegion(d: AlertDetail): { x: number; y: number; width: number; height: number } | null {
  const detail = (d as AlertDetail & { detail?: { region?: Record<string, unknown>; queryTime?: unknown } }).detail;
  const r = detail?.region;
  // A posted video's region lies in the keyframe that matched, not in the thumbnail shown: say when
  // instead (matchTime). A posted picture found as a registered video's frame has its box drawn.
  if (!r || (d.method === 'video-features' && detail?.queryTime !== undefined)) return null;
  const n = [r.x, r.y, r.width, r.height].map(Number);
  if (n.some((v) => !Number.isFinite(v) || v < 0 || v > 1) || n[2] <= 0 || n[3] <= 0) return null;
  // Clipped to the picture; four decimals are finer than a pixel of a 320 px thumbnail.
  const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
  return { x: r4(n[0]), y: r4(n[1]), width: r4(Math.min(n[2], 1 - n[0])), height: r4(Math.min(n[3], 1 - n[1])) };
}

/** `detail.queryTime`: seconds into the posted video where a keyframe matched (video-features), as m:ss. */
export function matchTime(d: AlertDetail): string | null {
  const t = Number((d as AlertDetail & { detail?: { queryTime?: unknown } }).detail?.queryTime);
  if (d.method !== 'video-features' || !Number.isFinite(t) || t < 0) return null;
  const whole = Math.floor(t);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

function alertParam(v: unknown): string {
  const s = typeof v === 'string' ? v : '';
  if (!UUID.test(s)) throw new BadRequestError('Name the alert by its id (the queue links to it).');
  return s.toLowerCase();
}

function imagePart(v: unknown): EvidenceImage {
  const s = typeof v === 'string' ? v : '';
  if (!isEvidenceImage(s)) throw new BadRequestError(`'${s}' is not an evidence picture; use thumbnail or screenshot.`);
  return s;
}

function sendJpeg(input: PageInput, bytes: Buffer) {
  return input.reply.type('image/jpeg').header('content-disposition', 'inline').header('x-content-type-options', 'nosniff').send(bytes);
}

async function queuePage(input: PageInput) {
  const actor = input.session!.actor;
  const f = readFilter(input.query);
  const queue = await loadQueue(input, f);
  const wanted = typeof input.query.alert === 'string' && UUID.test(input.query.alert) ? input.query.alert.toLowerCase() : null;
  const index = wanted ? queue.findIndex((a) => a.id === wanted) : queue.length > 0 ? 0 : -1;
  // An alert no longer in the queue (decided just now, or filtered out) is still shown, read-only.
  const currentId = index >= 0 ? queue[index].id : wanted;
  const current = currentId ? await getAlert(input.env.ctx, actor, currentId) : null;
  const evidence = current && can(actor.role, 'alert.evidence') ? await getEvidence(input.env.ctx, actor, current.id).catch(() => null) : null;
  const revealed = current && typeof input.query.reveal === 'string' && isEvidenceImage(input.query.reveal) && typeof input.query.grant === 'string'
    && grantValid(input, current.id, input.query.reveal, input.query.grant) ? { part: input.query.reveal, grant: input.query.grant } : null;
  const counts = { total: queue.length, reuploads: queue.filter((a) => a.reupload).length };
  return input.render('review', {
    f, qs: filterQuery(f), queue, index, current, evidence, revealed, counts, region: current ? matchRegion(current) : null, matchTime: current ? matchTime(current) : null,
    prev: index > 0 ? queue[index - 1].id : null, next: index >= 0 ? (queue[index + 1]?.id ?? null) : (queue[0]?.id ?? null),
    exposure: await exposureToday(input.env.ctx, actor), canDecide: can(actor.role, 'alert.decide'),
    sites: [...new Set(queue.map((a) => a.site))].sort(), methods: ALL_MATCH_METHODS, reasons: REJECT_REASONS,
    done: ['confirmed', 'rejected', 'allowlisted'].includes(input.query.done ?? '') ? input.query.done : '',
    filterQuery,
  });
}

/** Where to go after a decision: the top of the same queue (re-uploads, then the longest waiting; the decided one has left it). */
async function afterDecision(input: PageInput, f: QueueFilter, decided: string, done: string) {
  const queue = await loadQueue(input, f);
  const next = queue.find((a) => a.id !== decided);
  return input.reply.redirect(`/review${filterQuery(f, { ...(next ? { alert: next.id } : {}), done, last: decided })}`, 303);
}

export const reviewPages: PageDef[] = [
  { method: 'GET', url: '/review', access: 'alert.read', handler: queuePage },
  {
    // The veiled picture: what a reviewer sees unless they ask for more. Audited as an evidence read.
    method: 'GET', url: '/review/image', access: 'alert.evidence',
    handler: async (input) => sendJpeg(input, await readVeiledImage(input.env.ctx, input.session!.actor, alertParam(input.query.alert), imagePart(input.query.part))),
  },
  {
    // The unveiled picture, only with a grant a reveal POST gave this sign-in for this alert and picture.
    method: 'GET', url: '/review/image/original', access: 'alert.evidence',
    handler: async (input) => {
      const id = alertParam(input.query.alert);
      const part = imagePart(input.query.part);
      if (!grantValid(input, id, part, typeof input.query.grant === 'string' ? input.query.grant : '')) {
        throw new ForbiddenError('This picture is shown only after you choose to reveal it (and only for two minutes): press "Reveal" on the review page again.');
      }
      return sendJpeg(input, await readRevealedImage(input.env.ctx, input.session!.actor, id, part));
    },
  },
  {
    // Asks for a break before the next reveal; "continue" posts the reveal again, saying so (audited).
    method: 'GET', url: '/review/break', access: 'alert.evidence',
    handler: async (input) => {
      const f = readFilter(input.query);
      const id = alertParam(input.query.alert);
      const part = imagePart(input.query.part);
      return input.render('review-break', { id, part, f, exposure: await exposureBeforeReveal(input.env.ctx, input.session!.actor, id), qs: filterQuery(f, { alert: id }) });
    },
  },
  {
    method: 'POST', url: '/review/reveal', access: 'alert.evidence',
    handler: async (input) => {
      const id = alertParam(field(input.body, 'alert'));
      const part = imagePart(field(input.body, 'part'));
      const f = readFilter(input.body);
      const out = await revealImage(input.env.ctx, input.session!.actor, id, part, { continueAfterBreak: field(input.body, 'continue') === 'yes' });
      const grant = out.kind === 'revealed' ? makeGrant(input, id, part) : null;
      // The break page has an address of its own, so it can be reloaded and shown in the other language.
      const breakUrl = `/review/break${filterQuery(f, { alert: id, part })}`;
      if (wantsJson(input.req)) {
        return { kind: out.kind, exposure: out.exposure, src: grant ? `/review/image/original?${new URLSearchParams({ alert: id, part, grant })}` : null, breakUrl: out.kind === 'break-due' ? breakUrl : null };
      }
      if (out.kind === 'break-due') return input.reply.redirect(breakUrl, 303);
      return input.reply.redirect(`/review${filterQuery(f, { alert: id, reveal: part, grant: grant! })}#pictures`, 303);
    },
  },
  {
    method: 'POST', url: '/review/confirm', access: 'alert.decide',
    handler: async (input) => {
      const id = alertParam(field(input.body, 'alert'));
      await confirmAlerts(input.env.ctx, input.session!.actor, [id]);
      return afterDecision(input, readFilter(input.body), id, 'confirmed');
    },
  },
  {
    method: 'POST', url: '/review/reject', access: 'alert.decide',
    handler: async (input) => {
      const id = alertParam(field(input.body, 'alert'));
      const preset = (REJECT_REASONS as readonly string[]).includes(field(input.body, 'preset')) ? field(input.body, 'preset') : '';
      const own = field(input.body, 'reason').trim().slice(0, 2000);
      // The reason is stored as words a later reader understands: the reviewer's own, else the chosen one.
      const reason = own || (preset ? input.t(`review.reason.${preset}`) : '');
      if (!reason) throw new BadRequestError('A rejection needs a reason: choose one or write it in the box.');
      const allowlist = field(input.body, 'allowlist') === 'yes';
      await rejectAlerts(input.env.ctx, input.session!.actor, [id], { reason, allowlist });
      return afterDecision(input, readFilter(input.body), id, allowlist ? 'allowlisted' : 'rejected');
    },
  },
];
