/** Elsewhere, for a platform that reads Korean: the general notice in Korean, then in English. */
import { ANSWER_LIST, answerExample, formatDate, itemsBlock, kindPrefix } from './common.ts';
import { OTHER_LEGAL_BASIS, otherEnBlocks, otherEnSubject } from './other.en.ts';
import type { Block, NoticeData, NoticeTemplate } from './types.ts';

function koBlocks(d: NoticeData): Block[] {
  const org = d.requester.name;
  const deadline = d.deadline ? `${formatDate(d.deadline, 'UTC')}까지(수신 후 ${d.deadlineHours}시간 이내)` : `이 요청을 받은 때부터 ${d.deadlineHours}시간 이내에`;
  return [
    { type: 'heading', text: '삭제요청: 동의 없이 게시된 친밀한 사진·영상' },
    { type: 'fields', rows: [
      ['요청번호', d.reference],
      ['요청일시', formatDate(d.issuedAt, 'UTC')],
      ['수신', d.platform.name],
      ['요청기관', d.requester.email ? `${org} (${d.requester.email})` : org],
      ...(d.originalReference ? [['이전 요청', d.originalReference] as [string, string]] : []),
      ...(d.signature ? [['승인자', d.signature] as [string, string]] : []),
    ] },
    { type: 'paragraph', text: `아래 항목은 촬영 대상자의 동의 없이 게시된 친밀한 사진·영상입니다. 촬영 대상자가 ${org}에 삭제를 요청하였고, ${org}의 담당자가 각 항목을 촬영 대상자가 등록한 자료와 대조하여 일치함을 확인하였습니다. 이러한 게시물은 대부분의 플랫폼 이용약관과 대부분 국가의 법에 어긋납니다. 선의로 삭제를 요청합니다.` },
    { type: 'heading', text: `대상 (${d.items.length}건)` },
    itemsBlock(d, { media: '미디어 주소', page: '게시물 주소', firstSeen: '최초 발견', withheld: '(게시물 주소에 개인정보가 포함되어 생략함)' }, 'UTC'),
    { type: 'heading', text: '처리 기한' },
    { type: 'paragraph', text: `${deadline} 위 항목과 서비스 안의 동일한 복제물을 모두 삭제하여 주십시오.` },
    { type: 'heading', text: '회신 방법' },
    d.respondUrl ? { type: 'link', label: '처리 결과 회신 주소', url: d.respondUrl } : { type: 'paragraph', text: '처리 결과 회신 주소는 요청서를 발송할 때 붙습니다.' },
    { type: 'paragraph', text: `자동 회신: 위 주소로 JSON을 POST하여 주십시오. answer 값은 ${ANSWER_LIST} 중 하나입니다.` },
    { type: 'code', text: answerExample() },
    { type: 'paragraph', text: '이 요청서에는 촬영 대상자를 알아볼 수 있는 정보가 들어 있지 않습니다.' },
  ];
}

export const template: NoticeTemplate = {
  jurisdiction: 'OTHER',
  language: 'ko',
  build: (d) => ({
    subject: `${kindPrefix(d, { reminder: '재요청', escalation: '상향 요청' })}[삭제요청] ${d.reference} / ${otherEnSubject({ ...d, kind: 'initial' })}`,
    lang: 'ko',
    blocks: [...koBlocks(d), { type: 'paragraph', text: '---- English ----' }, ...otherEnBlocks(d)],
    legalBasis: OTHER_LEGAL_BASIS,
  }),
};
