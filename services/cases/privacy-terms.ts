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
import { keywordsAad, type CasePersonal } from './cases.ts';

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
  const personal = row.personal ? decryptJson<CasePersonal>(key, row.personal, `case:${row.id}:personal`) : {};
  const keywords = row.keywords ? decryptJson<unknown>(key, row.keywords, keywordsAad(row.id)) : [];
  await appendAudit(tx, actor, { action: 'case.private-terms.read', recordType: 'case', recordId: row.id, caseCode: row.code, detail: { purpose } });
  const terms: string[] = [];
  const push = (t: string) => {
    const v = t.trim().toLowerCase();
    if (v.length >= MIN_TERM_LENGTH && !terms.includes(v)) terms.push(v);
  };
  // Names, contacts, the label and keywords: the whole string and each of its words (a first name alone).
  const addWithWords = (s: unknown) => {
    if (typeof s !== 'string') return;
    push(s);
    for (const w of s.split(/\s+/)) push(w);
  };
  addWithWords(personal.label);
  addWithWords(personal.name);
  for (const c of personal.contacts ?? []) addWithWords(c);
  for (const k of Array.isArray(keywords) ? keywords : []) addWithWords(k);
  // Notes are free text: matched whole, never word by word (common words would withhold everything).
  if (personal.notes) push(personal.notes);
  const checked = terms;
  return (text: string) => {
    const variants = [text.toLowerCase()];
    try {
      variants.push(decodeURIComponent(text.replace(/\+/g, ' ')).toLowerCase());
    } catch {
      // a malformed escape: the raw text is checked
    }
    return checked.some((t) => variants.some((v) => v.includes(t) || v.includes(t.replace(/\s+/g, '+')) || v.includes(t.replace(/\s+/g, ''))));
  };
}
