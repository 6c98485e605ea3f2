/**
 * Web-form notices, the staff side: the copy-ready text to paste into the platform's form, and the record
 * that it was submitted (`staydown notices submitted ID [--note TEXT]`), which moves the notice to sent -
 * its deadline runs from then.
 */
import { insertNoticeHistory, isAssignedToNoticeCase, selectNoticeById, selectNoticeByReference, updateNoticeStatus, type NoticeRow } from '../../db/queries/notices.ts';
import { clearDelivery, selectSealedRespondToken } from '../../db/queries/delivery.ts';
import type { Sql } from '../../db/sql.ts';
import { needsAssignment, requirePermission, type Permission } from '../platform/access.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { decrypt } from '../platform/crypto.ts';
import { ConflictError, NotFoundError } from '../platform/errors.ts';
import { renderStoredNotice, respondUrlFor } from '../takedown/index.ts';
import { createOutbox } from './outbox.ts';
import { handSubmission, type HandSubmission } from './web-form.ts';

const NO_USER = '00000000-0000-0000-0000-000000000000';

async function loadFormNotice(sql: Sql, actor: Actor, idOrReference: string, permission: Permission, forUpdate = false): Promise<NoticeRow> {
  requirePermission(actor, permission);
  const ref = idOrReference.trim();
  const row = /^SD-/i.test(ref) ? await selectNoticeByReference(sql, ref, { forUpdate }) : await selectNoticeById(sql, ref, { forUpdate });
  if (!row || (needsAssignment(actor, permission) && !(await isAssignedToNoticeCase(sql, row.id, actor.userId ?? NO_USER)))) {
    throw new NotFoundError(`There is no notice ${ref.slice(0, 60)} that you can access; 'staydown notices list' shows them.`);
  }
  if (row.channel !== 'form') throw new ConflictError(`Notice ${row.reference} goes by ${row.channel}, not by a web form; staydown sends it itself.`);
  return row;
}

/** An approved form notice gets its response link (and moves to sending) before it is shown or recorded. */
async function handOver(ctx: ServiceContext, row: NoticeRow): Promise<void> {
  if (row.status !== 'approved') return;
  const outbox = createOutbox(ctx, { log: ctx.log });
  try {
    await outbox.deliver(row.id);
  } finally {
    outbox.close();
  }
}

export async function handSubmissionFor(ctx: ServiceContext, actor: Actor, idOrReference: string): Promise<HandSubmission & { reference: string; status: string }> {
  let row = await loadFormNotice(ctx.sql, actor, idOrReference, 'notice.read');
  if (row.status !== 'approved' && row.status !== 'sending') throw new ConflictError(`Notice ${row.reference} is ${row.status}; only approved notices are submitted.`);
  await handOver(ctx, row);
  row = (await selectNoticeById(ctx.sql, row.id))!;
  const sealed = await selectSealedRespondToken(ctx.sql, row.id);
  const token = sealed ? decrypt(ctx.masterKey, sealed, `notice:${row.id}:respond-token`).toString('utf8') : null;
  const { platform, rendered, items } = await renderStoredNotice(ctx.sql, ctx.config, row.id, { respondUrl: token ? respondUrlFor(ctx.config, token) : null, issuedAt: row.approved_at ?? undefined });
  if (!platform.form_url) throw new ConflictError(`Platform '${platform.name}' has no web form address any more; add one with 'staydown platform change'.`);
  const urls = items.flatMap((i) => (i.page_url ? [i.media_url, i.page_url] : [i.media_url]));
  return { reference: row.reference, status: row.status, ...handSubmission({ reference: row.reference, formUrl: platform.form_url, subject: rendered.subject, text: rendered.text, urls }) };
}

export async function recordSubmission(ctx: ServiceContext, actor: Actor, idOrReference: string, note?: string): Promise<{ reference: string; status: string; sentAt: string | null; deadline: string | null }> {
  const first = await loadFormNotice(ctx.sql, actor, idOrReference, 'notice.approve');
  await handOver(ctx, first);
  return ctx.sql.transaction(async (tx) => {
    const row = await loadFormNotice(tx, actor, first.id, 'notice.approve', true);
    if (row.status === 'sent') throw new ConflictError(`Notice ${row.reference} was already recorded as sent on ${row.sent_at!.toISOString()}.`);
    const sent = await updateNoticeStatus(tx, row.id, ['sending'], 'sent');
    if (!sent) throw new ConflictError(`Notice ${row.reference} is ${row.status}; only an approved web-form notice can be recorded as submitted.`);
    await clearDelivery(tx, row.id);
    const trimmed = note?.trim().slice(0, 500);
    await insertNoticeHistory(tx, row.id, actor.userId ?? actor.name, 'submitted-by-hand', trimmed ? { note: trimmed } : {});
    const [c] = await tx.query<{ code: string }>('SELECT code FROM cases WHERE id = $1', [row.case_id]);
    await appendAudit(tx, actor, { action: 'notice.submitted', recordType: 'notice', recordId: row.id, caseCode: c?.code ?? null, detail: { reference: row.reference, channel: 'form', note: Boolean(trimmed) } });
    return { reference: sent.reference, status: sent.status, sentAt: sent.sent_at?.toISOString() ?? null, deadline: sent.deadline?.toISOString() ?? null };
  });
}
