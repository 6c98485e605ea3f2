/**
 * The notice templates: one file per jurisdiction and language (`kr.ko.ts`, `us.en.ts`, ...). To add a
 * language, write `<jurisdiction>.<language>.ts` exporting `template` and list it here (and add the
 * language to the platforms' language list). `renderNotice` picks the template and renders all parts.
 */
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
    respond: { method: 'POST', url: d.respondUrl, contentType: 'application/json', answers: NOTICE_ANSWERS, example: { answer: 'removed', comment: 'optional' } },
    requester: { name: d.requester.name, email: d.requester.email },
    signature: d.signature,
    designation: d.krDesignation,
    originalReference: d.originalReference,
    legalBasis: [...doc.legalBasis],
    content: 'non-consensual intimate imagery',
    items: d.items.map((i) => ({ pageUrl: i.pageUrl, mediaUrl: i.mediaUrl, firstSeen: i.firstSeen.toISOString() })),
  };
}

/** Subject, plain text, HTML and notice.json of a notice. Pure. */
export function renderNotice(d: NoticeData): RenderedNotice {
  const doc = templateFor(d.jurisdiction, d.language).build(d);
  return { subject: doc.subject, text: renderText(doc), html: renderHtml(doc), json: noticeJson(d, doc) };
}

export { escapeHtml } from './document.ts';
export { NOTICE_ANSWERS, type NoticeAnswer, type NoticeData, type NoticeItemData, type NoticeJson, type RenderedNotice } from './types.ts';
