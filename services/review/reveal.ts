/**
 * Pixels only on request. A reviewer first sees the candidate's thumbnail and the page screenshot veiled
 * (greyscale, blurred from a handful of pixels, made here on the server so the unblurred bytes never
 * reach the browser); the original is shown only after an explicit reveal, and every reveal is audited.
 * The reveals of the day (in the console's time zone) are each reviewer's exposure count: past the
 * configured limit (STAYDOWN_REVIEW_REVEAL_LIMIT) a reveal first asks for a break, and choosing to go on
 * is audited too. Blur alone does not protect reviewers (Lewitzka et al. 2026), so the count and the
 * limit are the point, not the blur.
 */
import { selectEvidence } from '../../db/queries/crawl-alerts.ts';
import { selectMaterialCaseKey } from '../../db/queries/material.ts';
import { selectExposure } from '../../db/queries/review-exposure.ts';
import type { Sql } from '../../db/sql.ts';
import { thumbnailJpeg, veiledJpeg } from '../../hashing/image-decoder.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { decrypt, unwrapDataKey } from '../platform/crypto.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../platform/errors.ts';
import { loadAlertFor } from './alerts.ts';

export const EVIDENCE_IMAGES = ['thumbnail', 'screenshot'] as const;
export type EvidenceImage = (typeof EVIDENCE_IMAGES)[number];

export function isEvidenceImage(v: string): v is EvidenceImage {
  return (EVIDENCE_IMAGES as readonly string[]).includes(v);
}

/** After choosing to go on past the limit, the break is offered again this many reveals later. */
export const ASK_AGAIN_AFTER = 10;
/** Screenshots are shown no larger than this even when revealed: enough to judge, no more. */
const SCREENSHOT_MAX_SIDE = 900;

export interface Exposure {
  /** Reveals today (since `since`, midnight in the time zone). */
  reveals: number;
  limit: number;
  /** The next reveal asks for a break first. */
  breakDue: boolean;
  since: string;
}

/** The time zone's offset from UTC at `at`, in minutes. */
function offsetMinutes(at: number, timeZone: string): number {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    .formatToParts(new Date(at)).map((x) => [x.type, x.value]));
  return Math.round((Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - at) / 60_000);
}

/** Midnight of `now`'s day in `timeZone`, as an instant. */
export function dayStart(now: Date, timeZone: string): Date {
  const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now).split('-').map(Number);
  const local = Date.UTC(y, m - 1, d);
  const guess = local - offsetMinutes(local, timeZone) * 60_000;
  return new Date(local - offsetMinutes(guess, timeZone) * 60_000);
}

async function exposureIn(tx: Sql, ctx: ServiceContext, actor: Actor): Promise<Exposure> {
  const since = dayStart(new Date(), ctx.config.timeZone);
  const limit = ctx.config.reviewRevealLimit;
  // An actor without a user id (the command line) has no console exposure to count.
  const row = actor.userId ? await selectExposure(tx, actor.userId, since) : { reveals: 0, continued_at: null };
  const breakDue = row.reveals >= limit && (row.continued_at === null || row.reveals >= row.continued_at + ASK_AGAIN_AFTER);
  return { reveals: row.reveals, limit, breakDue, since: since.toISOString() };
}

/** The reviewer's exposure today. Not audited: it is the reviewer's own count, read from the audit log. */
export async function exposureToday(ctx: ServiceContext, actor: Actor): Promise<Exposure> {
  return exposureIn(ctx.sql, ctx, actor);
}

/** The exposure, for the break page before revealing a picture of alert `id` (access checked, nothing read). */
export async function exposureBeforeReveal(ctx: ServiceContext, actor: Actor, id: string): Promise<Exposure> {
  return ctx.sql.transaction(async (tx) => {
    await loadAlertFor(tx, actor, id, 'alert.evidence');
    return exposureIn(tx, ctx, actor);
  });
}

async function openImage(tx: Sql, ctx: ServiceContext, actor: Actor, id: string, part: EvidenceImage): Promise<{ alertId: string; caseCode: string; bytes: Buffer }> {
  if (!isEvidenceImage(part)) throw new BadRequestError(`'${part}' is not an evidence picture; use thumbnail or screenshot.`);
  const alert = await loadAlertFor(tx, actor, id, 'alert.evidence');
  const ev = await selectEvidence(tx, alert.id);
  const sealed = part === 'thumbnail' ? ev?.thumbnail_encrypted : ev?.screenshot_encrypted;
  if (!ev || !sealed) {
    const why = part === 'screenshot' && ev?.screenshot_error ? `: ${ev.screenshot_error}` : '.';
    throw new NotFoundError(`Alert ${alert.id} has no ${part} stored${why}`);
  }
  const key = await selectMaterialCaseKey(tx, alert.material_id);
  if (!key?.wrapped_key) throw new ConflictError(`Case ${alert.case_code} has been erased; its evidence no longer exists.`);
  const bytes = decrypt(unwrapDataKey(ctx.masterKey, key.wrapped_key, key.case_id), sealed, `material:${alert.material_id}:alert-evidence:${part}`);
  return { alertId: alert.id, caseCode: alert.case_code, bytes };
}

/** The veiled rendition (greyscale, blurred) of an evidence picture; audited as an evidence read. */
export async function readVeiledImage(ctx: ServiceContext, actor: Actor, id: string, part: EvidenceImage): Promise<Buffer> {
  return ctx.sql.transaction(async (tx) => {
    const img = await openImage(tx, ctx, actor, id, part);
    await appendAudit(tx, actor, { action: 'alert.evidence-read', recordType: 'alert', recordId: img.alertId, caseCode: img.caseCode, detail: { part, rendition: 'veiled' } });
    return veiledJpeg(img.bytes, part === 'thumbnail' ? 320 : 480);
  });
}

export type RevealOutcome = { kind: 'revealed'; exposure: Exposure } | { kind: 'break-due'; exposure: Exposure };

/**
 * A reviewer asks to see an evidence picture unveiled. Past the day's limit this answers `break-due`
 * (nothing is revealed) unless `continueAfterBreak` says they chose to go on - which is audited as
 * `review.break-continue`. A reveal is audited as `alert.reveal` and counts towards the exposure.
 */
export async function revealImage(ctx: ServiceContext, actor: Actor, id: string, part: EvidenceImage, opts: { continueAfterBreak?: boolean } = {}): Promise<RevealOutcome> {
  return ctx.sql.transaction(async (tx) => {
    // Checks access and that the picture exists before anything is counted.
    const img = await openImage(tx, ctx, actor, id, part);
    const before = await exposureIn(tx, ctx, actor);
    if (before.breakDue) {
      if (!opts.continueAfterBreak) return { kind: 'break-due', exposure: before };
      await appendAudit(tx, actor, { action: 'review.break-continue', recordType: 'alert', recordId: img.alertId, caseCode: img.caseCode, detail: { reveals: before.reveals, limit: before.limit } });
    }
    await appendAudit(tx, actor, { action: 'alert.reveal', recordType: 'alert', recordId: img.alertId, caseCode: img.caseCode, detail: { part } });
    return { kind: 'revealed', exposure: await exposureIn(tx, ctx, actor) };
  });
}

/**
 * The unveiled picture, for a reveal `revealImage` granted (the console checks its grant first). The
 * thumbnail as stored, the screenshot shrunk to at most 900 px; audited as an evidence read.
 */
export async function readRevealedImage(ctx: ServiceContext, actor: Actor, id: string, part: EvidenceImage): Promise<Buffer> {
  return ctx.sql.transaction(async (tx) => {
    const img = await openImage(tx, ctx, actor, id, part);
    await appendAudit(tx, actor, { action: 'alert.evidence-read', recordType: 'alert', recordId: img.alertId, caseCode: img.caseCode, detail: { part, rendition: 'original' } });
    return part === 'thumbnail' ? img.bytes : thumbnailJpeg(img.bytes, SCREENSHOT_MAX_SIDE);
  });
}
