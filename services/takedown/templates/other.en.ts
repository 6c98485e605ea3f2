/**
 * Elsewhere, in English: a general notice of non-consensual intimate imagery, for platforms under no law
 * staydown has a template for. It asks for removal on the platform's own terms of service.
 */
import { ANSWER_LIST, answerExample, formatDate, itemsBlock, kindPrefix } from './common.ts';
import type { Block, NoticeData, NoticeTemplate } from './types.ts';

export const OTHER_LEGAL_BASIS = ['Non-consensual intimate imagery: the platform\'s terms of service and the law where it operates'];

export function otherEnBlocks(d: NoticeData): Block[] {
  const org = d.requester.name;
  const deadline = d.deadline ? `by ${formatDate(d.deadline, 'UTC')} (${d.deadlineHours} hours after receipt)` : `within ${d.deadlineHours} hours of receiving this notice`;
  return [
    { type: 'heading', text: 'Removal request: non-consensual intimate imagery' },
    { type: 'fields', rows: [
      ['Reference', d.reference],
      ['Date', formatDate(d.issuedAt, 'UTC')],
      ['To', d.platform.name],
      ['From', d.requester.email ? `${org} (${d.requester.email})` : org],
      ...(d.originalReference ? [['Follows up', d.originalReference] as [string, string]] : []),
      ...(d.signature ? [['Approved by', d.signature] as [string, string]] : []),
    ] },
    { type: 'paragraph', text: `The items below are intimate images or videos of a person, published without that person's consent. The person depicted asked ${org} to have them removed, and staff of ${org} matched each item against material the person registered and confirmed the match. Non-consensual intimate imagery is against the terms of service of virtually every platform and illegal in most countries. We ask you in good faith to remove it.` },
    { type: 'heading', text: `Items (${d.items.length})` },
    itemsBlock(d, { media: 'Media URL', page: 'Page URL', firstSeen: 'First seen', withheld: '(withheld: the page address contains personal data)' }, 'UTC'),
    { type: 'heading', text: 'Deadline' },
    { type: 'paragraph', text: `Please remove every item above, and identical copies on your service, ${deadline}.` },
    { type: 'heading', text: 'How to respond' },
    d.respondUrl ? { type: 'link', label: 'Response link', url: d.respondUrl } : { type: 'paragraph', text: 'The response link is added when the notice is sent.' },
    { type: 'paragraph', text: `Automated answers: POST JSON to the response link, with "answer" one of ${ANSWER_LIST} (removed; refused - give the reason in "comment"; not-found).` },
    { type: 'code', text: answerExample() },
    { type: 'paragraph', text: 'This notice contains no information identifying the person depicted. Please do not share or forward the content at these addresses.' },
  ];
}

export function otherEnSubject(d: NoticeData): string {
  return `${kindPrefix(d, { reminder: 'Reminder', escalation: 'Escalation' })}Removal request ${d.reference}: non-consensual intimate imagery, ${d.items.length} item(s) on ${d.platform.name}`;
}

export const template: NoticeTemplate = {
  jurisdiction: 'OTHER',
  language: 'en',
  build: (d) => ({ subject: otherEnSubject(d), lang: 'en', blocks: otherEnBlocks(d), legalBasis: OTHER_LEGAL_BASIS }),
};
