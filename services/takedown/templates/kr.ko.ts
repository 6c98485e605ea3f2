/**
 * Korea, in Korean: a deletion request for illegally filmed material under the Telecommunications
 * Business Act Art. 22-5(1) and its Enforcement Decree Art. 30-5 (the "불법촬영물등 유통 신고·삭제요청서"),
 * together with a deletion request under the Network Act Art. 44-2. A centre designated as a requesting
 * body states its designation and its validity; without one the request is made on the victim's behalf.
 */
import { ANSWER_LIST, answerExample, formatDate, itemsBlock, kindPrefix } from './common.ts';
import type { Block, NoticeData, NoticeTemplate } from './types.ts';

export const KR_LEGAL_BASIS = [
  '전기통신사업법 제22조의5 제1항 (Telecommunications Business Act Art. 22-5(1))',
  '전기통신사업법 시행령 제30조의5 (Enforcement Decree Art. 30-5)',
  '정보통신망 이용촉진 및 정보보호 등에 관한 법률 제44조의2 (Network Act Art. 44-2)',
];

export function krKoBlocks(d: NoticeData): Block[] {
  const org = d.requester.name;
  const deadline = d.deadline ? `${formatDate(d.deadline, 'KST')}까지(수신 후 ${d.deadlineHours}시간 이내)` : `이 요청을 받은 때부터 ${d.deadlineHours}시간 이내에`;
  const fields: Array<[string, string]> = [
    ['요청번호', d.reference],
    ['요청일시', formatDate(d.issuedAt, 'KST')],
    ['수신', d.platform.name],
    ['요청기관', d.requester.email ? `${org} (${d.requester.email})` : org],
  ];
  if (d.krDesignation) fields.push(['요청기관 지정', `${d.krDesignation.wording} (지정 유효기간: ${d.krDesignation.until}까지)`]);
  if (d.originalReference) fields.push(['이전 요청', d.originalReference]);
  fields.push(['서명', d.signature ?? '(승인 시 담당자 이름으로 전자서명됩니다)']);
  return [
    { type: 'heading', text: '불법촬영물등 유통 신고·삭제요청서' },
    { type: 'fields', rows: fields },
    {
      type: 'paragraph',
      text: `${org}은(는) 아래 정보가 촬영 대상자의 의사에 반하여 촬영되었거나 대상자의 동의 없이 유포된 불법촬영물등(편집·합성·가공된 촬영물 포함)임을 확인하고, 「전기통신사업법」 제22조의5 제1항 및 같은 법 시행령 제30조의5에 따라 해당 정보의 삭제 또는 접속차단을 요청합니다. 이 요청은 「정보통신망 이용촉진 및 정보보호 등에 관한 법률」 제44조의2에 따른 정보의 삭제요청을 겸합니다.`,
    },
    d.krDesignation
      ? { type: 'paragraph', text: `${org}은(는) ${d.krDesignation.wording}(으)로서 이 요청을 제출합니다. 지정은 ${d.krDesignation.until}까지 유효합니다.` }
      : { type: 'paragraph', text: `이 요청은 피해자의 요청을 받아 피해자를 대리하여 제출합니다.` },
    { type: 'heading', text: `삭제 대상 (${d.items.length}건)` },
    itemsBlock(d, { media: '미디어 주소', page: '게시물 주소', firstSeen: '최초 발견', withheld: '(게시물 주소에 개인정보가 포함되어 생략함)' }, 'KST'),
    { type: 'heading', text: '처리 기한' },
    {
      type: 'paragraph',
      text: `${deadline} 위 정보를 삭제하거나 접속을 차단하고 그 결과를 알려 주십시오. 같은 촬영물의 동일한 복제물이 서비스의 다른 곳에 있으면 함께 조치하여 주십시오. 판단이 어려운 경우에도 같은 법 제44조의2 제4항에 따른 임시조치(30일 이내의 접근 차단)를 먼저 하여 주시기 바랍니다.`,
    },
    { type: 'heading', text: '회신 방법' },
    d.respondUrl
      ? { type: 'link', label: '처리 결과 회신 주소', url: d.respondUrl }
      : { type: 'paragraph', text: '처리 결과 회신 주소는 요청서를 발송할 때 붙습니다.' },
    { type: 'paragraph', text: `자동 회신: 위 주소로 JSON을 POST하여 주십시오. answer 값은 ${ANSWER_LIST} 중 하나입니다(removed: 삭제함, refused: 거부함 - comment에 사유, not-found: 찾을 수 없음).` },
    { type: 'code', text: answerExample() },
    { type: 'paragraph', text: `문의는 ${d.requester.email ?? org}(으)로 하시고 요청번호 ${d.reference}를 적어 주십시오.` },
    { type: 'paragraph', text: '이 요청서에는 피해자를 알아볼 수 있는 정보가 들어 있지 않습니다. 위 주소의 내용을 다른 곳에 공유하거나 전달하지 마십시오.' },
  ];
}

export const template: NoticeTemplate = {
  jurisdiction: 'KR',
  language: 'ko',
  build(d) {
    return {
      subject: `${kindPrefix(d, { reminder: '재요청', escalation: '상향 요청' })}[불법촬영물등 삭제요청] ${d.reference} - ${d.platform.name} ${d.items.length}건`,
      lang: 'ko',
      blocks: krKoBlocks(d),
      legalBasis: KR_LEGAL_BASIS,
    };
  },
};
