/**
 * The strings that must never leave the service in a takedown notice: the case's label, the victim's
 * name, contacts and notes, and its search keywords, decrypted for a check and never returned beyond
 * it. Takedown uses it to withhold a page URL that carries any of them (a search results page with the
 * victim's name in its query). Each read is audited by case id and code only.
 */
import type { Sql } from '../../db/sql.ts';
import { selectCaseByCode } from '../../db/queries/cases.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import { decryptJson, unwrapDataKey } from '../platform/crypto.ts';
import { keywordsAad, personalAad, type CasePersonal } from './cases.ts';

/** Shorter strings would withhold URLs by coincidence (a two-letter name inside any path). */
const MIN_TERM_LENGTH = 3;

/**
 * A predicate telling whether a text (a URL, decoded and case-folded) contains any of the case's private
 * strings. An erased case has none. The terms stay inside the closure.
 */
export async function casePrivacyCheck(tx: Sql, masterKey: Buffer, actor: Actor, caseCode: string, purpose: string): Promise<(text: string) => boolean> {
  const row = await selectCaseByCode(tx, caseCode);
  if (!row || !row.wrapped_key) return () => false;
  const key = unwrapDataKey(masterKey, row.wrapped_key, row.id);
  const personal = row.personal ? decryptJson<CasePersonal>(key, row.personal, personalAad(row.id)) : {};
  const keywords = row.keywords ? decryptJson<unknown>(key, row.keywords, keywordsAad(row.id)) : [];
  await appendAudit(tx, actor, { action: 'case.private-terms.read', recordType: 'case', recordId: row.id, caseCode: row.code, detail: { purpose } });
  const terms: string[] = [];
  const push = (t: string) => {
    const v = t.trim().toLowerCase();
    if (v.length >= MIN_TERM_LENGTH && !terms.includes(v)) terms.push(v);
  };
  // The victim's name whole and word by word (a surname alone identifies); everything else whole: the
  // words of a label or a keyword ("... leak") are too common to withhold URLs by.
  if (typeof personal.name === 'string') {
    push(personal.name);
    for (const w of personal.name.split(/\s+/)) push(w);
  }
  push(personal.label ?? '');
  for (const c of personal.contacts ?? []) push(c);
  for (const k of Array.isArray(keywords) ? keywords : []) if (typeof k === 'string') push(k);
  push(personal.notes ?? '');
  return (text: string) => {
    const variants = [text.toLowerCase()];
    try {
      variants.push(decodeURIComponent(text.replace(/\+/g, ' ')).toLowerCase());
    } catch {
      // a malformed escape: the raw text is checked
    }
    // A phrase appears in URLs with its spaces as they are, or joined by +, -, _, . or nothing.
    return terms.some((t) => variants.some((v) => ['+', '-', '_', '.', ' ', ''].some((sep) => v.includes(t.replace(/\s+/g, sep)))));
  };
}
