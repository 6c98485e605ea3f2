/**
 * The search keywords of every case being monitored now, decrypted for the crawler's search URL templates
 * (crawler/keyword-variants.ts expands them into spelling variants). Read fresh at the start of each crawl
 * run, so a case that is withdrawn, closed, erased or past its monitoring period stops being searched
 * from the next run on.
 *
 * Every read of a case's keywords is audited as the crawler, in the same transaction, by case id and code
 * only: keywords are victim data and never go to the audit log, logs or error messages.
 */
import type { Sql } from '../../db/sql.ts';
import { selectMonitoredCaseKeywords } from '../../db/queries/cases.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import { keywordsAad } from './cases.ts';
import { plainKeyword } from '../../crawler/keyword-variants.ts';
import { decryptJson, unwrapDataKey } from '../platform/crypto.ts';

/** The crawler as an audit actor: a system process, not a person. */
export const CRAWLER_ACTOR: Actor = { userId: null, name: 'crawler', role: 'admin', source: 'crawler' };

export interface KeywordLog {
  warn(obj: object, msg: string): void;
}

/**
 * Decrypted, deduplicated keywords of the monitored cases. A case whose keywords cannot be decrypted (a
 * damaged row, or a master key that does not fit) is skipped with a warning naming its id, so the other
 * cases are still searched.
 */
export async function monitoredKeywords(sql: Sql, masterKey: Buffer, opts: { log?: KeywordLog; actor?: Actor } = {}): Promise<string[]> {
  const actor = opts.actor ?? CRAWLER_ACTOR;
  return sql.transaction(async (tx) => {
    const rows = await selectMonitoredCaseKeywords(tx);
    const byKey = new Map<string, string>();
    for (const row of rows) {
      let keywords: unknown;
      try {
        keywords = decryptJson<unknown>(unwrapDataKey(masterKey, row.wrapped_key, row.id), row.keywords, keywordsAad(row.id));
      } catch {
        opts.log?.warn({ case: row.id }, "a monitored case's keywords could not be decrypted; the case is left out of search queries");
        continue;
      }
      const list = Array.isArray(keywords) ? keywords.filter((k): k is string => typeof k === 'string') : [];
      await appendAudit(tx, actor, { action: 'case.keywords.read', recordType: 'case', recordId: row.id, caseCode: row.code, detail: { purpose: 'crawl-search', count: list.length } });
      for (const k of list) {
        const key = plainKeyword(k);
        if (key !== '' && !byKey.has(key)) byKey.set(key, k.trim());
      }
    }
    return [...byKey.values()];
  });
}
