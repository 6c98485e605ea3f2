/**
 * United States, in English: a valid removal request under the TAKE IT DOWN Act (S. 146, section 3):
 * (i) the electronic signature of a person authorised to act on the depicted individual's behalf - the
 * approving staff member's name; (ii) identification and location of each depiction (its URLs); (iii) a
 * brief good-faith statement that it is not consensual, with relevant information; (iv) contact
 * information. It recalls the 48-hour removal duty and the duty to remove known identical copies.
 */
import { ANSWER_LIST, answerExample, formatDate, itemsBlock, kindPrefix } from './common.ts';
import type { NoticeTemplate } from './types.ts';

export const US_LEGAL_BASIS = ['TAKE IT DOWN Act (S. 146, 119th Congress), section 3: notice and removal of nonconsensual intimate visual depictions'];

export const template: NoticeTemplate = {
  jurisdiction: 'US',
  language: 'en',
  build(d) {
    const org = d.requester.name;
    const deadline = d.deadline ? `by ${formatDate(d.deadline, 'UTC')} (${d.deadlineHours} hours after receipt)` : `within ${d.deadlineHours} hours of receiving this request`;
    return {
      subject: `${kindPrefix(d, { reminder: 'Reminder', escalation: 'Escalation' })}TAKE IT DOWN Act removal request ${d.reference}: ${d.items.length} item(s) on ${d.platform.name}`,
      lang: 'en',
      legalBasis: US_LEGAL_BASIS,
      blocks: [
        { type: 'heading', text: 'Removal request under the TAKE IT DOWN Act' },
        { type: 'fields', rows: [
          ['Reference', d.reference],
          ['Date', formatDate(d.issuedAt, 'UTC')],
          ['To', d.platform.name],
          ...(d.originalReference ? [['Follows up', d.originalReference] as [string, string]] : []),
        ] },
        { type: 'paragraph', text: `This is a request under section 3 of the TAKE IT DOWN Act to remove intimate visual depictions of an identifiable individual that were published on ${d.platform.name} without that individual's consent. ${org} submits it as a person authorised to act on behalf of the depicted individual.` },
        { type: 'heading', text: `Identification and location of each depiction (${d.items.length})` },
        itemsBlock(d, { media: 'Depiction (media URL)', page: 'Where it is published (page URL)', firstSeen: 'First seen', withheld: '(withheld: the page address contains personal data)' }, 'UTC'),
        { type: 'heading', text: 'Statement of good faith' },
        { type: 'paragraph', text: `I have a good-faith belief that each intimate visual depiction identified above is not consensual: the depicted individual did not consent to its publication and asked ${org} to have it removed. Relevant information: staff of ${org} matched each item against material registered by the depicted individual and confirmed the match before this request was sent.` },
        { type: 'heading', text: 'Removal deadline' },
        { type: 'paragraph', text: `The Act requires a covered platform to remove the depiction as soon as possible and no later than 48 hours after receiving a valid request, and to make reasonable efforts to identify and remove any known identical copies. Please remove every item above, and its known identical copies, ${deadline}.` },
        { type: 'heading', text: 'Contact information' },
        { type: 'fields', rows: [['Organisation', org], ['E-mail', d.requester.email ?? '(not configured)']] },
        { type: 'heading', text: 'How to respond' },
        d.respondUrl ? { type: 'link', label: 'Response link', url: d.respondUrl } : { type: 'paragraph', text: 'The response link is added when the request is sent.' },
        { type: 'paragraph', text: `Automated answers: POST JSON to the response link, with "answer" one of ${ANSWER_LIST} (removed; refused - give the reason in "comment"; not-found).` },
        { type: 'code', text: answerExample() },
        { type: 'heading', text: 'Signature' },
        { type: 'paragraph', text: d.signature ? `/s/ ${d.signature}, on behalf of the depicted individual, for ${org}` : '(signed electronically with the approving staff member\'s name on approval)' },
        { type: 'paragraph', text: 'This request contains no information identifying the depicted individual. Please do not share or forward the content at these addresses.' },
      ],
    };
  },
};
