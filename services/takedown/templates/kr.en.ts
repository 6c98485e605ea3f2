/** Korea, in English: the same request as kr.ko.ts for a Korean platform that reads English. */
import { ANSWER_LIST, answerExample, formatDate, itemsBlock, kindPrefix } from './common.ts';
import { KR_LEGAL_BASIS } from './kr.ko.ts';
import type { NoticeTemplate } from './types.ts';

export const template: NoticeTemplate = {
  jurisdiction: 'KR',
  language: 'en',
  build(d) {
    const org = d.requester.name;
    const deadline = d.deadline ? `by ${formatDate(d.deadline, 'KST')} (${d.deadlineHours} hours after receipt)` : `within ${d.deadlineHours} hours of receiving this request`;
    const fields: Array<[string, string]> = [
      ['Reference', d.reference],
      ['Date', formatDate(d.issuedAt, 'KST')],
      ['To', d.platform.name],
      ['Requesting body', d.requester.email ? `${org} (${d.requester.email})` : org],
    ];
    if (d.krDesignation) fields.push(['Designation', `${d.krDesignation.wording} (valid until ${d.krDesignation.until})`]);
    if (d.originalReference) fields.push(['Follows up', d.originalReference]);
    fields.push(['Signed', d.signature ?? '(signed electronically with the approving staff member\'s name on approval)']);
    return {
      subject: `${kindPrefix(d, { reminder: 'Reminder', escalation: 'Escalation' })}Deletion request for illegally filmed material ${d.reference}: ${d.items.length} item(s) on ${d.platform.name}`,
      lang: 'en',
      legalBasis: KR_LEGAL_BASIS,
      blocks: [
        { type: 'heading', text: 'Report and deletion request for illegally filmed material (불법촬영물등 유통 신고·삭제요청서)' },
        { type: 'fields', rows: fields },
        {
          type: 'paragraph',
          text: `${org} has confirmed that the material listed below is illegally filmed material - filmed against the will of the person depicted, or distributed without their consent, including edited or synthesised material - and requests its deletion or the blocking of access to it under Article 22-5(1) of the Telecommunications Business Act and Article 30-5 of its Enforcement Decree. This request is also a deletion request under Article 44-2 of the Act on Promotion of Information and Communications Network Utilization and Information Protection.`,
        },
        d.krDesignation
          ? { type: 'paragraph', text: `${org} makes this request as ${d.krDesignation.wording}; the designation is valid until ${d.krDesignation.until}.` }
          : { type: 'paragraph', text: 'This request is made on behalf of the victim, at the victim\'s request.' },
        { type: 'heading', text: `Items to delete (${d.items.length})` },
        itemsBlock(d, { media: 'Media URL', page: 'Page URL', firstSeen: 'First seen', withheld: '(withheld: the page address contains personal data)' }, 'KST'),
        { type: 'heading', text: 'Deadline' },
        {
          type: 'paragraph',
          text: `Please delete the material or block access to it ${deadline} and tell us the result. Please also act on identical copies of the same material elsewhere on your service. If you cannot judge the request, please first take the temporary measure of Article 44-2(4) of the Network Act (blocking access for up to 30 days).`,
        },
        { type: 'heading', text: 'How to respond' },
        d.respondUrl ? { type: 'link', label: 'Response link', url: d.respondUrl } : { type: 'paragraph', text: 'The response link is added when the request is sent.' },
        { type: 'paragraph', text: `Automated answers: POST JSON to the response link, with "answer" one of ${ANSWER_LIST} (removed: deleted; refused: not deleted - give the reason in "comment"; not-found: the item could not be found).` },
        { type: 'code', text: answerExample() },
        { type: 'paragraph', text: `Questions: ${d.requester.email ?? org}, quoting reference ${d.reference}.` },
        { type: 'paragraph', text: 'This request contains no information identifying the victim. Please do not share or forward the content at these addresses.' },
      ],
    };
  },
};
