/**
 * The audit log: every read or change of case data, material and decisions, with who, what, which
 * record, when and from where. Ids only - never names, contacts, keywords or URLs.
 *
 * Append-only in the database (a trigger refuses UPDATE, DELETE and TRUNCATE) and hash-chained here:
 * each row's hash covers its content and the previous row's hash, and sequence numbers have no gaps, so
 * `verifyAudit` finds a row changed, inserted or removed by someone who bypassed the trigger.
 */
import { createHash } from 'node:crypto';
import type { Sql } from '../../db/sql.ts';
import { insertAuditRow, insertAuditRows, lockAuditTail, selectAuditFiltered, selectAuditPage, type AuditFilter, type AuditRow } from '../../db/queries/audit.ts';

export const GENESIS_HASH = '0'.repeat(64);

import type { Role } from './roles.ts';

export type { Role };

/** Who is acting: a signed-in user, or the local command line (the machine's administrator). */
export interface Actor {
  userId: string | null;
  name: string;
  role: Role;
  /** Where the request came from: an IP address, or 'cli'. */
  source: string;
}

export interface AuditEvent {
  action: string;
  recordType: string;
  recordId?: string | null;
  caseCode?: string | null;
  /** Ids, counts and statuses only. */
  detail?: Record<string, unknown>;
}

/** JSON with object keys sorted at every level: jsonb does not keep key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function auditRowHash(row: Omit<AuditRow, 'hash'>): string {
  const content = canonicalJson([
    row.seq, row.at.toISOString(), row.actor_id, row.actor, row.action, row.record_type,
    row.record_id, row.case_code, row.source, row.detail,
  ]);
  return createHash('sha256').update(row.prev_hash).update('\n').update(content).digest('hex');
}

/** Appends one entry; call inside the transaction that makes the change, so both commit or neither. */
export async function appendAudit(tx: Sql, actor: Actor, event: AuditEvent): Promise<void> {
  const tail = await lockAuditTail(tx);
  const base = {
    seq: (tail?.seq ?? 0) + 1,
    // Milliseconds: what a JavaScript Date round-trips exactly through timestamptz.
    at: new Date(),
    actor_id: actor.userId,
    actor: actor.name,
    action: event.action,
    record_type: event.recordType,
    record_id: event.recordId ?? null,
    case_code: event.caseCode ?? null,
    source: actor.source,
    detail: event.detail ?? {},
    prev_hash: tail?.hash ?? GENESIS_HASH,
  };
  await insertAuditRow(tx, { ...base, hash: auditRowHash(base) });
}

/**
 * Appends several entries in order under one lock and one insert (a batch of approvals or deliveries);
 * the chain is the same as appending them one by one.
 */
export async function appendAudits(tx: Sql, entries: ReadonlyArray<{ actor: Actor; event: AuditEvent }>): Promise<void> {
  if (entries.length === 0) return;
  const tail = await lockAuditTail(tx);
  let seq = tail?.seq ?? 0;
  let prev = tail?.hash ?? GENESIS_HASH;
  const rows: AuditRow[] = [];
  for (const { actor, event } of entries) {
    const base = {
      seq: ++seq, at: new Date(), actor_id: actor.userId, actor: actor.name, action: event.action, record_type: event.recordType,
      record_id: event.recordId ?? null, case_code: event.caseCode ?? null, source: actor.source, detail: event.detail ?? {}, prev_hash: prev,
    };
    prev = auditRowHash(base);
    rows.push({ ...base, hash: prev });
  }
  await insertAuditRows(tx, rows);
}

export interface AuditVerification {
  ok: boolean;
  rows: number;
  /** The first row that does not check out, and why. */
  problem?: { seq: number; reason: string };
}

export async function verifyAudit(sql: Sql): Promise<AuditVerification> {
  let prevHash = GENESIS_HASH;
  let expectSeq = 1;
  let rows = 0;
  for (;;) {
    const page = await selectAuditPage(sql, expectSeq - 1, 1000);
    if (page.length === 0) return { ok: true, rows };
    for (const row of page) {
      if (row.seq !== expectSeq) {
        return { ok: false, rows, problem: { seq: expectSeq, reason: `row ${expectSeq} is missing (the next row is ${row.seq})` } };
      }
      if (row.prev_hash !== prevHash) {
        return { ok: false, rows, problem: { seq: row.seq, reason: `row ${row.seq} does not link to the row before it` } };
      }
      if (auditRowHash(row) !== row.hash) {
        return { ok: false, rows, problem: { seq: row.seq, reason: `row ${row.seq} was altered after it was written` } };
      }
      prevHash = row.hash;
      expectSeq++;
      rows++;
    }
  }
}

export interface AuditEntry {
  seq: number;
  at: string;
  actorId: string | null;
  actor: string;
  action: string;
  recordType: string;
  recordId: string | null;
  caseCode: string | null;
  source: string;
  detail: Record<string, unknown>;
}

export async function listAudit(sql: Sql, afterSeq: number, limit: number): Promise<AuditEntry[]> {
  const rows = await selectAuditPage(sql, afterSeq, limit);
  return rows.map((r) => ({
    seq: r.seq, at: r.at.toISOString(), actorId: r.actor_id, actor: r.actor, action: r.action,
    recordType: r.record_type, recordId: r.record_id, caseCode: r.case_code, source: r.source, detail: r.detail,
  }));
}

function entry(r: AuditRow): AuditEntry {
  return {
    seq: r.seq, at: r.at.toISOString(), actorId: r.actor_id, actor: r.actor, action: r.action,
    recordType: r.record_type, recordId: r.record_id, caseCode: r.case_code, source: r.source, detail: r.detail,
  };
}

/** The newest entries matching a filter (the console's audit page); the caller checks 'audit.read'. */
export async function searchAudit(sql: Sql, filter: AuditFilter): Promise<AuditEntry[]> {
  return (await selectAuditFiltered(sql, { ...filter, limit: Math.min(Math.max(filter.limit, 1), 500) })).map(entry);
}
