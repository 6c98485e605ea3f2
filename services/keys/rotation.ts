/**
 * Master key rotation (issue 14, item 7): every value sealed under the master key - each case's data
 * key (crypto.ts wrapDataKey) and each crawl site's headers (crawling's sealSiteHeaders) - is opened
 * with the old key and sealed again under the new one. The case data itself, sealed under the data keys,
 * is not touched: that is what envelope encryption is for.
 *
 * Crash safety: the rotation is recorded first (`master_key_rotation` in service_meta: the old and new
 * keys' check values, never the keys), then rows are re-wrapped in batches, each batch one transaction
 * that also records the new key's check value on every row it changed. A process killed at any point
 * leaves each row wholly under the old key or wholly under the new one, and says which; run again with
 * the same keys, the rotation carries on with the rows not yet done. Only when none is left does one last
 * transaction make the new key the database's key. While a rotation is unfinished the service refuses
 * to start (master-key.ts), so nothing writes under the old key meanwhile.
 */
import type { Sql } from '../../db/sql.ts';
import { getMeta } from '../../db/queries/meta.ts';
import {
  countCaseKeys, countSiteHeaders, deleteMeta, selectCaseKeysToRewrap, selectSiteHeadersToReseal, setMeta, updateCaseWrap, updateSiteHeaders,
} from '../../db/queries/key-rotation.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import { decrypt, encrypt, masterKeyCheck, unwrapDataKey, wrapDataKey } from '../platform/crypto.ts';
import { ConflictError } from '../platform/errors.ts';
import { ROTATION_META } from '../platform/master-key.ts';
import { siteHeadersAad } from '../crawling/index.ts';

export interface RotationOptions {
  batchSize?: number;
  /** A pause between batches, to spread the load on a busy database. */
  batchDelayMs?: number;
  onProgress?: (p: { kind: 'cases' | 'sites'; done: number; total: number }) => void;
}

export interface RotationResult {
  /** Case keys and site headers re-wrapped by this run (an earlier, interrupted run may have done others). */
  cases: number;
  sites: number;
  resumed: boolean;
  /** The database was already on the new key: nothing to do. */
  alreadyDone: boolean;
  newKeyCheck: string;
}

interface RotationRecord {
  from: string;
  to: string;
  startedAt: string;
}

export async function rotateMasterKey(sql: Sql, actor: Actor, oldKey: Buffer, newKey: Buffer, opts: RotationOptions = {}): Promise<RotationResult> {
  const from = masterKeyCheck(oldKey);
  const to = masterKeyCheck(newKey);
  if (from === to) throw new ConflictError('The new master key is the same as the current one; give a new key.');
  const batchSize = opts.batchSize ?? 100;
  const stored = await getMeta(sql, 'master_key_check');
  const recordText = await getMeta(sql, ROTATION_META);
  const record = recordText ? (JSON.parse(recordText) as RotationRecord) : null;
  if (!record && stored === to) return { cases: 0, sites: 0, resumed: false, alreadyDone: true, newKeyCheck: to };
  if (record && (record.from !== from || record.to !== to)) {
    throw new ConflictError(`A rotation to another key (check value ${record.to.slice(0, 12)}) was started on ${record.startedAt} and is unfinished: run it again with that rotation's old and new keys to finish it.`);
  }
  if (!record && stored !== undefined && stored !== from) {
    throw new ConflictError('The configured master key is not this database\'s key, so nothing can be re-wrapped: set STAYDOWN_MASTER_KEY (or the data directory\'s master.key) to the key the database uses now.');
  }
  if (!record) {
    await sql.transaction(async (tx) => {
      await setMeta(tx, ROTATION_META, JSON.stringify({ from, to, startedAt: new Date().toISOString() } satisfies RotationRecord));
      await appendAudit(tx, actor, { action: 'key.rotate.start', recordType: 'master-key', recordId: to.slice(0, 16), detail: { from: from.slice(0, 16) } });
    });
  }
  const pause = () => (opts.batchDelayMs ? new Promise((r) => setTimeout(r, opts.batchDelayMs)) : Promise.resolve());

  // Case data keys.
  const caseTotal = await countCaseKeys(sql, null);
  let cases = 0;
  for (;;) {
    const n = await sql.transaction(async (tx) => {
      const rows = await selectCaseKeysToRewrap(tx, to, batchSize);
      for (const row of rows) {
        if (row.key_check !== null && row.key_check !== from) throw new Error(`Case ${row.id}'s key is wrapped under a key that is neither the old nor the new one (check ${row.key_check.slice(0, 12)}).`);
        const dataKey = unwrapDataKey(oldKey, row.wrapped_key, row.id);
        await updateCaseWrap(tx, row.id, wrapDataKey(newKey, dataKey, row.id), to);
      }
      if (rows.length) await appendAudit(tx, actor, { action: 'key.rotate.batch', recordType: 'case', detail: { cases: rows.length } });
      return rows.length;
    });
    if (n === 0) break;
    cases += n;
    opts.onProgress?.({ kind: 'cases', done: caseTotal - (await countCaseKeys(sql, to)), total: caseTotal });
    await pause();
  }

  // Crawl sites' headers and cookies.
  const siteTotal = await countSiteHeaders(sql, null);
  let sites = 0;
  for (;;) {
    const n = await sql.transaction(async (tx) => {
      const rows = await selectSiteHeadersToReseal(tx, to, batchSize);
      for (const row of rows) {
        const plain = decrypt(oldKey, row.headers_encrypted, siteHeadersAad(row.name));
        await updateSiteHeaders(tx, row.id, encrypt(newKey, plain, siteHeadersAad(row.name)), to);
      }
      if (rows.length) await appendAudit(tx, actor, { action: 'key.rotate.batch', recordType: 'crawl-site', detail: { sites: rows.length } });
      return rows.length;
    });
    if (n === 0) break;
    sites += n;
    opts.onProgress?.({ kind: 'sites', done: siteTotal - (await countSiteHeaders(sql, to)), total: siteTotal });
    await pause();
  }

  await sql.transaction(async (tx) => {
    await setMeta(tx, 'master_key_check', to);
    await deleteMeta(tx, ROTATION_META);
    await appendAudit(tx, actor, { action: 'key.rotate.done', recordType: 'master-key', recordId: to.slice(0, 16), detail: { cases: caseTotal, sites: siteTotal } });
  });
  return { cases, sites, resumed: record !== null, alreadyDone: false, newKeyCheck: to };
}
