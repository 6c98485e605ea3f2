/**
 * Cases: open, list, read, update, assign staff, withdraw, erase. Every read or change of case data is
 * audited in the same transaction. Personal data and keywords are stored encrypted under the case's
 * data key; erasing destroys that key (crypto-shredding) and deletes the material.
 */
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/sql.ts';
import { sqlState } from '../../db/sql.ts';
import {
  assignStaff, caseCodeExists, eraseCaseRows, insertCase, isStaffAssigned, selectCaseByCode, selectCasePage,
  selectCaseStaff, updateCaseFields, type CaseRow, type CaseStatus,
} from '../../db/queries/cases.ts';
import { recordMatchChange } from '../../db/queries/match-changes.ts';
import { selectUserById } from '../../db/queries/users.ts';
import { can, needsAssignment, requirePermission, type Permission } from '../platform/access.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import { newCaseCode, normalizeCaseCode } from './case-codes.ts';
import { canMoveTo, isMatchable } from './case-status.ts';
import type { ServiceContext } from '../platform/context.ts';
import { decryptJson, encryptJson, newDataKey, unwrapDataKey, wrapDataKey } from '../platform/crypto.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../platform/errors.ts';

export interface CasePersonal {
  label?: string;
  name?: string;
  contacts?: string[];
  notes?: string;
}

export interface OpenCaseInput {
  personal?: CasePersonal;
  keywords?: string[];
  consentAt?: Date | null;
  monitorUntil?: Date | null;
  keepEvidence?: boolean;
  evidenceRetentionDays?: number | null;
}

export interface CaseSummary {
  code: string;
  status: CaseStatus;
  materialCount: number;
  createdAt: string;
  /** Only for roles that may read case data (never for operators). */
  label?: string;
}

export interface CaseDetail extends CaseSummary {
  personal: CasePersonal;
  keywords: string[];
  consentAt: string | null;
  monitorUntil: string | null;
  keepEvidence: boolean;
  evidenceRetentionDays: number | null;
  staff: string[];
}

/** Binds a case's encrypted personal data to the case (privacy-terms.ts reads it too). */
export const personalAad = (id: string) => `case:${id}:personal`;
/** Binds a case's encrypted keywords to the case (services/monitored-keywords.ts reads them too). */
export const keywordsAad = (id: string) => `case:${id}:keywords`;

/** The case's data key; erased cases have none. */
export function caseKey(ctx: ServiceContext, row: CaseRow): Buffer {
  if (!row.wrapped_key) throw new ConflictError(`Case ${row.code} has been erased; its data no longer exists.`);
  return unwrapDataKey(ctx.masterKey, row.wrapped_key, row.id);
}

/**
 * Loads a case by code and checks `actor` may use `permission` on it. Staff who are not assigned get
 * the same answer as for a case that does not exist, so codes cannot be probed.
 */
export async function loadCaseFor(tx: Sql, actor: Actor, code: string, permission: Permission, opts: { forUpdate?: boolean } = {}): Promise<CaseRow> {
  requirePermission(actor, permission);
  const normalized = normalizeCaseCode(code);
  const row = await selectCaseByCode(tx, normalized, opts);
  if (!row || (needsAssignment(actor, permission) && !(actor.userId && (await isStaffAssigned(tx, row.id, actor.userId))))) {
    throw new NotFoundError(`There is no case ${normalized} that you can access.`);
  }
  return row;
}

function summary(ctx: ServiceContext, row: CaseRow, withLabel: boolean): CaseSummary {
  const s: CaseSummary = { code: row.code, status: row.status, materialCount: row.material_count, createdAt: row.created_at.toISOString() };
  if (withLabel && row.personal && row.wrapped_key) {
    const label = decryptJson<CasePersonal>(caseKey(ctx, row), row.personal, personalAad(row.id)).label;
    if (label !== undefined) s.label = label;
  }
  return s;
}

export async function openCase(ctx: ServiceContext, actor: Actor, input: OpenCaseInput = {}): Promise<CaseDetail> {
  requirePermission(actor, 'case.create');
  if (input.evidenceRetentionDays != null && (!Number.isInteger(input.evidenceRetentionDays) || input.evidenceRetentionDays <= 0)) {
    throw new BadRequestError('The evidence retention period must be a whole number of days greater than zero.');
  }
  for (let attempt = 0; ; attempt++) {
    const id = randomUUID();
    const code = newCaseCode();
    const key = newDataKey();
    try {
      return await ctx.sql.transaction(async (tx) => {
        if (await caseCodeExists(tx, code)) throw Object.assign(new Error('code taken'), { code: '23505' });
        await insertCase(tx, {
          id, code,
          wrappedKey: wrapDataKey(ctx.masterKey, key, id),
          personal: encryptJson(key, input.personal ?? {}, personalAad(id)),
          keywords: encryptJson(key, input.keywords ?? [], keywordsAad(id)),
          consentAt: input.consentAt ?? null,
          monitorUntil: input.monitorUntil ?? null,
          keepEvidence: input.keepEvidence ?? false,
          evidenceRetentionDays: input.keepEvidence ? (input.evidenceRetentionDays ?? 90) : (input.evidenceRetentionDays ?? null),
          createdBy: actor.userId,
        });
        if (actor.role === 'staff' && actor.userId) await assignStaff(tx, id, actor.userId);
        await recordMatchChange(tx, 'case-on', id);
        await appendAudit(tx, actor, { action: 'case.open', recordType: 'case', recordId: id, caseCode: code, detail: { keepEvidence: input.keepEvidence ?? false } });
        const row = await selectCaseByCode(tx, code);
        return detail(ctx, tx, row!);
      });
    } catch (err) {
      if (sqlState(err) === '23505' && attempt < 5) continue; // a code collision: draw another
      throw err;
    }
  }
}

async function detail(ctx: ServiceContext, tx: Sql, row: CaseRow): Promise<CaseDetail> {
  const erased = !row.wrapped_key;
  const key = erased ? null : caseKey(ctx, row);
  const personal = key && row.personal ? decryptJson<CasePersonal>(key, row.personal, personalAad(row.id)) : {};
  const keywords = key && row.keywords ? decryptJson<string[]>(key, row.keywords, keywordsAad(row.id)) : [];
  return {
    ...summary(ctx, row, false),
    ...(personal.label !== undefined ? { label: personal.label } : {}),
    personal,
    keywords,
    consentAt: row.consent_at?.toISOString() ?? null,
    monitorUntil: row.monitor_until?.toISOString() ?? null,
    keepEvidence: row.keep_evidence,
    evidenceRetentionDays: row.evidence_retention_days,
    staff: await selectCaseStaff(tx, row.id),
  };
}

export async function getCase(ctx: ServiceContext, actor: Actor, code: string): Promise<CaseDetail> {
  return ctx.sql.transaction(async (tx) => {
    const row = await loadCaseFor(tx, actor, code, 'case.read');
    await appendAudit(tx, actor, { action: 'case.read', recordType: 'case', recordId: row.id, caseCode: row.code });
    return detail(ctx, tx, row);
  });
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` to get the next page; null on the last page. */
  next: string | null;
}

export async function listCases(ctx: ServiceContext, actor: Actor, opts: { after?: string; limit?: number; status?: CaseStatus } = {}): Promise<Page<CaseSummary>> {
  requirePermission(actor, 'case.codes');
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
  const withData = can(actor.role, 'case.read');
  return ctx.sql.transaction(async (tx) => {
    const rows = await selectCasePage(tx, {
      afterCode: opts.after ?? '',
      limit: limit + 1,
      staffUserId: actor.role === 'staff' ? (actor.userId ?? '00000000-0000-0000-0000-000000000000') : undefined,
      status: opts.status,
    });
    const page = rows.slice(0, limit);
    await appendAudit(tx, actor, { action: withData ? 'case.list' : 'case.list-codes', recordType: 'case', detail: { count: page.length } });
    return { items: page.map((r) => summary(ctx, r, withData)), next: rows.length > limit ? page[page.length - 1].code : null };
  });
}

export interface UpdateCaseInput extends OpenCaseInput {
  status?: CaseStatus;
}

export async function updateCase(ctx: ServiceContext, actor: Actor, code: string, input: UpdateCaseInput): Promise<CaseDetail> {
  return ctx.sql.transaction(async (tx) => {
    const row = await loadCaseFor(tx, actor, code, input.status === 'withdrawn' ? 'case.withdraw' : input.status === 'erased' ? 'case.erase' : 'case.update', { forUpdate: true });
    if (input.status === 'erased') throw new BadRequestError(`Erasing a case is its own action: use the erase endpoint or 'staydown case erase ${row.code}'.`);
    const key = caseKey(ctx, row);
    if (input.status && input.status !== row.status) {
      if (!canMoveTo(row.status, input.status)) throw new ConflictError(`Case ${row.code} is ${row.status} and cannot become ${input.status}.`);
      if (isMatchable(row.status) !== isMatchable(input.status)) {
        await recordMatchChange(tx, isMatchable(input.status) ? 'case-on' : 'case-off', row.id);
      }
    }
    let personal: Buffer | undefined;
    if (input.personal) {
      const old = row.personal ? decryptJson<CasePersonal>(key, row.personal, personalAad(row.id)) : {};
      personal = encryptJson(key, { ...old, ...input.personal }, personalAad(row.id));
    }
    await updateCaseFields(tx, row.id, {
      status: input.status,
      personal,
      keywords: input.keywords ? encryptJson(key, input.keywords, keywordsAad(row.id)) : undefined,
      consentAt: input.consentAt,
      monitorUntil: input.monitorUntil,
      keepEvidence: input.keepEvidence,
      evidenceRetentionDays: input.evidenceRetentionDays,
    });
    // Field names only: the values are victim data.
    const fields = Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined).sort();
    await appendAudit(tx, actor, { action: 'case.update', recordType: 'case', recordId: row.id, caseCode: row.code, detail: { fields, ...(input.status ? { from: row.status, to: input.status } : {}) } });
    return detail(ctx, tx, (await selectCaseByCode(tx, row.code))!);
  });
}

/** The victim withdraws: the case's material stops matching at once (the change feed tells every index). */
export async function withdrawCase(ctx: ServiceContext, actor: Actor, code: string): Promise<CaseSummary> {
  return ctx.sql.transaction(async (tx) => {
    const row = await loadCaseFor(tx, actor, code, 'case.withdraw', { forUpdate: true });
    if (row.status === 'withdrawn') return summary(ctx, row, false);
    if (!canMoveTo(row.status, 'withdrawn')) throw new ConflictError(`Case ${row.code} is ${row.status} and cannot be withdrawn.`);
    await updateCaseFields(tx, row.id, { status: 'withdrawn' });
    if (isMatchable(row.status)) await recordMatchChange(tx, 'case-off', row.id);
    await appendAudit(tx, actor, { action: 'case.withdraw', recordType: 'case', recordId: row.id, caseCode: row.code, detail: { from: row.status } });
    return { ...summary(ctx, row, false), status: 'withdrawn' };
  });
}

/** Everything about the victim is deleted; the audit trail keeps the ids. */
export async function eraseCase(ctx: ServiceContext, actor: Actor, code: string): Promise<CaseSummary & { erasedMaterial: number }> {
  return ctx.sql.transaction(async (tx) => {
    const row = await loadCaseFor(tx, actor, code, 'case.erase', { forUpdate: true });
    if (row.status === 'erased') return { ...summary(ctx, row, false), erasedMaterial: 0 };
    const { material } = await eraseCaseRows(tx, row.id);
    await recordMatchChange(tx, 'case-off', row.id);
    await appendAudit(tx, actor, { action: 'case.erase', recordType: 'case', recordId: row.id, caseCode: row.code, detail: { from: row.status, material } });
    return { code: row.code, status: 'erased', materialCount: 0, createdAt: row.created_at.toISOString(), erasedMaterial: material };
  });
}

export async function assignCaseStaff(ctx: ServiceContext, actor: Actor, code: string, userId: string): Promise<void> {
  await ctx.sql.transaction(async (tx) => {
    const row = await loadCaseFor(tx, actor, code, 'case.assign');
    const user = await selectUserById(tx, userId);
    if (!user || user.role !== 'staff') throw new BadRequestError(`User ${userId} is not a staff account; only staff are assigned to cases.`);
    await assignStaff(tx, row.id, userId);
    await appendAudit(tx, actor, { action: 'case.assign', recordType: 'case', recordId: row.id, caseCode: row.code, detail: { userId } });
  });
}

/** The case's search keywords, decrypted, for the crawler. Audited. */
export async function caseKeywords(ctx: ServiceContext, actor: Actor, code: string): Promise<string[]> {
  return ctx.sql.transaction(async (tx) => {
    const row = await loadCaseFor(tx, actor, code, 'case.read');
    await appendAudit(tx, actor, { action: 'case.keywords.read', recordType: 'case', recordId: row.id, caseCode: row.code });
    return row.keywords && row.wrapped_key ? decryptJson<string[]>(caseKey(ctx, row), row.keywords, keywordsAad(row.id)) : [];
  });
}
