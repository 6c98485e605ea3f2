/**
 * European Union, in English: a notice under Article 16 of the Digital Services Act: (a) a substantiated
 * explanation of why the content is illegal, (b) the exact URLs, (c) the notifier's name and e-mail,
 * (d) a bona fide statement that the notice is accurate and complete. It asks for the confirmation of
 * receipt (16(4)) and the decision with the redress available (16(5)).
 */
import { ANSWER_LIST, answerExample, formatDate, itemsBlock, kindPrefix } from './common.ts';
import type { NoticeTemplate } from './types.ts';

export const EU_LEGAL_BASIS = ['Regulation (EU) 2022/2065 (Digital Services Act), Article 16: notice and action mechanisms'];

export const template: NoticeTemplate = {
  jurisdiction: 'EU',
  language: 'en',
  build(d) {
    const org = d.requester.name;
    const deadline = d.deadline ? `by ${formatDate(d.deadline, 'UTC')} (${d.deadlineHours} hours after receipt)` : `within ${d.deadlineHours} hours of receiving this notice`;
    return {
      subject: `${kindPrefix(d, { reminder: 'Reminder', escalation: 'Escalation' })}Notice of illegal content under Article 16 DSA ${d.reference}: ${d.items.length} item(s) on ${d.platform.name}`,
      lang: 'en',
      legalBasis: EU_LEGAL_BASIS,
      blocks: [
        { type: 'heading', text: 'Notice of illegal content (Digital Services Act, Article 16)' },
        { type: 'fields', rows: [
          ['Reference', d.reference],
          ['Date', formatDate(d.issuedAt, 'UTC')],
          ['To', d.platform.name],
          ...(d.originalReference ? [['Follows up', d.originalReference] as [string, string]] : []),
        ] },
        { type: 'heading', text: '(a) Why the content is illegal' },
        { type: 'paragraph', text: `The items below are intimate images or videos of a person, published without that person's consent. The person depicted asked ${org} to have them removed, and staff of ${org} matched each item against material the person registered and confirmed the match. Sharing intimate images of a person without their consent is a criminal offence in the Member States, and the content is therefore illegal content within the meaning of Article 3(h) of the Digital Services Act.` },
        { type: 'heading', text: `(b) Exact location of the content (${d.items.length})` },
        itemsBlock(d, { media: 'Media URL', page: 'Page URL', firstSeen: 'First seen', withheld: '(withheld: the page address contains personal data)' }, 'UTC'),
        { type: 'heading', text: '(c) Notifier' },
        { type: 'fields', rows: [['Name', org], ['E-mail', d.requester.email ?? '(not configured)'], ...(d.signature ? [['Approved by', d.signature] as [string, string]] : [])] },
        { type: 'heading', text: '(d) Statement' },
        { type: 'paragraph', text: `${org} confirms its bona fide belief that the information and allegations contained in this notice are accurate and complete.` },
        { type: 'heading', text: 'What we ask' },
        { type: 'paragraph', text: `Please remove or disable access to every item above, and to identical copies on your service, ${deadline}. Please confirm receipt of this notice without undue delay (Article 16(4)), and tell us your decision and the possibilities for redress against it (Article 16(5)).` },
        { type: 'heading', text: 'How to respond' },
        d.respondUrl ? { type: 'link', label: 'Response link', url: d.respondUrl } : { type: 'paragraph', text: 'The response link is added when the notice is sent.' },
        { type: 'paragraph', text: `Automated answers: POST JSON to the response link, with "answer" one of ${ANSWER_LIST} (removed; refused - give the reason in "comment"; not-found). A reply to this e-mail confirms receipt as well.` },
        { type: 'code', text: answerExample() },
        { type: 'paragraph', text: 'This notice contains no information identifying the person depicted. Please do not share or forward the content at these addresses.' },
      ],
    };
  },
};
