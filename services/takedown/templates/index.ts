/**
 * The notice templates: one file per jurisdiction and language (`kr.ko.ts`, `us.en.ts`, ...). To add a
 * language, write `<jurisdiction>.<language>.ts` exporting `template` and list it here (and add the
 * language to the platforms' language list). `renderNotice` picks the template and renders all parts.
 */
import { formatDate } from './common.ts';
import { renderHtml, renderText } from './document.ts';
import { template as euEn } from './eu.en.ts';
import { template as euKo } from './eu.ko.ts';
import { template as krEn } from './kr.en.ts';
import { template as krKo } from './kr.ko.ts';
import { template as otherEn } from './other.en.ts';
import { template as otherKo } from './other.ko.ts';
import { template as usEn } from './us.en.ts';
import { template as usKo } from './us.ko.ts';
import { NOTICE_ANSWERS, type NoticeData, type NoticeDocument, type NoticeJson, type NoticeTemplate, type RenderedNotice } from './types.ts';

export const TEMPLATES: readonly NoticeTemplate[] = [krKo, krEn, usEn, usKo, euEn, euKo, otherEn, otherKo];

export function templateFor(jurisdiction: NoticeData['jurisdiction'], language: NoticeData['language']): NoticeTemplate {
  const t = TEMPLATES.find((x) => x.jurisdiction === jurisdiction && x.language === language);
  if (!t) throw new Error(`There is no ${jurisdiction} notice template in '${language}': add services/takedown/templates/${jurisdiction.toLowerCase()}.${language}.ts.`);
  return t;
}

export function noticeJson(d: NoticeData, doc: NoticeDocument): NoticeJson {
  return {
    schema: 'staydown-notice/1',
    reference: d.reference,
    kind: d.kind,
    language: d.language,
    jurisdiction: d.jurisdiction,
    platform: { name: d.platform.name },
    issuedAt: d.issuedAt.toISOString(),
    deadline: d.deadline?.toISOString() ?? null,
    deadlineHours: d.deadlineHours,
    respondUrl: d.respondUrl,
    respond: { method: 'POST', url: d.respondUrl, contentType: 'application/json', answers: NOTICE_ANSWERS, example: { answer: 'removed', message: 'optional' } },
    requester: { name: d.requester.name, email: d.requester.email },
    signature: d.signature,
    designation: d.krDesignation,
    originalReference: d.originalReference,
    ...(d.kind === 'reminder' ? { overdue: overdueOf(d) } : {}),
    ...(d.kind === 'escalation' ? { escalationPackage: d.escalationPackage ?? null } : {}),
    legalBasis: [...doc.legalBasis],
    content: 'non-consensual intimate imagery',
    items: d.items.map((i) => ({ pageUrl: i.pageUrl, mediaUrl: i.mediaUrl, firstSeen: i.firstSeen.toISOString() })),
  };
}

/** The original deadline of a reminder and whole hours past it (0 before it); null when not known. */
function overdueOf(d: NoticeData): { since: string; hours: number } | null {
  const deadline = d.original?.deadline;
  if (!deadline) return null;
  return { since: deadline.toISOString(), hours: Math.max(0, Math.floor((d.issuedAt.getTime() - deadline.getTime()) / 3_600_000)) };
}

/** `2 days 5 hours` / `2일 5시간` (minutes under an hour). */
export function overdueDuration(ms: number, language: NoticeData['language']): string {
  const minutes = Math.max(1, Math.floor(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (language === 'ko') {
    if (minutes < 60) return `${minutes}분`;
    return [days ? `${days}일` : '', hours ? `${hours}시간` : ''].filter(Boolean).join(' ');
  }
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (minutes < 60) return plural(minutes, 'minute');
  return [days ? plural(days, 'day') : '', hours ? plural(hours, 'hour') : ''].filter(Boolean).join(' ');
}

/**
 * The sentence every reminder carries after its header: which notice it follows up, when that was sent,
 * and how long past its deadline the URLs still are (or when the deadline comes, if it has not passed).
 */
function overdueSentences(d: NoticeData): string[] {
  const o = d.original;
  if (d.kind !== 'reminder' || !o?.deadline || !d.originalReference) return [];
  const zone = d.jurisdiction === 'KR' ? 'KST' : 'UTC';
  const late = d.issuedAt.getTime() - o.deadline.getTime();
  const sent = o.sentAt ? formatDate(o.sentAt, zone) : null;
  const ko = late > 0
    ? `${sent ? `${sent}에 보낸 ` : ''}${d.originalReference} 요청의 처리 기한(${formatDate(o.deadline, zone)})이 지났습니다. 아래 URL은 아직 삭제되지 않았으며 기한을 ${overdueDuration(late, 'ko')} 넘겼습니다.`
    : `${sent ? `${sent}에 보낸 ` : ''}${d.originalReference} 요청의 아래 URL은 아직 삭제되지 않았습니다. 처리 기한은 ${formatDate(o.deadline, zone)}(${overdueDuration(-late, 'ko')} 후)입니다.`;
  const en = late > 0
    ? `This is a reminder of notice ${d.originalReference}${sent ? `, sent ${sent}` : ''}. Its deadline, ${formatDate(o.deadline, zone)}, has passed: the URLs below are still online and ${overdueDuration(late, 'en')} overdue.`
    : `This is a reminder of notice ${d.originalReference}${sent ? `, sent ${sent}` : ''}. The URLs below are still online; its deadline is ${formatDate(o.deadline, zone)}, in ${overdueDuration(-late, 'en')}.`;
  // The OTHER Korean template is bilingual (Korean, then English): so is its reminder sentence.
  if (d.language === 'ko') return d.jurisdiction === 'OTHER' ? [ko, en] : [ko];
  return [en];
}

/** Subject, plain text, HTML and notice.json of a notice. Pure. */
export function renderNotice(d: NoticeData): RenderedNotice {
  const doc = templateFor(d.jurisdiction, d.language).build(d);
  const overdue = overdueSentences(d);
  if (d.kind === 'escalation' && d.escalationPackage) {
    const ko = d.language === 'ko';
    doc.blocks.push(
      { type: 'heading', text: ko ? '상향 요청 자료 (escalation-package.json)' : 'Escalation package (escalation-package.json)' },
      { type: 'paragraph', text: `${ko ? '첨부한 escalation-package.json에 URL, 보낸 요청과 플랫폼의 답변이 날짜와 함께 있습니다. ' : 'The attached escalation-package.json lists the URLs, the notices sent and the platform\'s answers, with dates. '}${String(d.escalationPackage.summary ?? '')}`.trim() },
    );
  }
  if (overdue.length) {
    // After the header's fields (reference, date, recipient, the notice followed up).
    const at = doc.blocks.findIndex((b) => b.type === 'fields');
    doc.blocks.splice(at + 1, 0, ...overdue.map((text) => ({ type: 'paragraph' as const, text })));
  }
  return { subject: doc.subject, text: renderText(doc), html: renderHtml(doc), json: noticeJson(d, doc) };
}

export { escapeHtml } from './document.ts';
export { NOTICE_ANSWERS, type NoticeAnswer, type NoticeData, type NoticeItemData, type NoticeJson, type RenderedNotice } from './types.ts';
