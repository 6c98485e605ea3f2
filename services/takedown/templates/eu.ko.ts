/** European Union, in Korean: the Article 16 DSA notice of eu.en.ts, written in Korean. */
import { ANSWER_LIST, answerExample, formatDate, itemsBlock, kindPrefix } from './common.ts';
import { EU_LEGAL_BASIS } from './eu.en.ts';
import type { NoticeTemplate } from './types.ts';

export const template: NoticeTemplate = {
  jurisdiction: 'EU',
  language: 'ko',
  build(d) {
    const org = d.requester.name;
    const deadline = d.deadline ? `${formatDate(d.deadline, 'UTC')}까지(수신 후 ${d.deadlineHours}시간 이내)` : `이 신고를 받은 때부터 ${d.deadlineHours}시간 이내에`;
    return {
      subject: `${kindPrefix(d, { reminder: '재요청', escalation: '상향 요청' })}[디지털서비스법 제16조 불법 콘텐츠 신고] ${d.reference} - ${d.platform.name} ${d.items.length}건`,
      lang: 'ko',
      legalBasis: EU_LEGAL_BASIS,
      blocks: [
        { type: 'heading', text: '불법 콘텐츠 신고 (EU 디지털서비스법 제16조)' },
        { type: 'fields', rows: [
          ['신고번호', d.reference],
          ['신고일시', formatDate(d.issuedAt, 'UTC')],
          ['수신', d.platform.name],
          ...(d.originalReference ? [['이전 신고', d.originalReference] as [string, string]] : []),
        ] },
        { type: 'heading', text: '(a) 불법인 이유' },
        { type: 'paragraph', text: `아래 항목은 촬영 대상자의 동의 없이 게시된 친밀한 사진·영상입니다. 촬영 대상자가 ${org}에 삭제를 요청하였고, ${org}의 담당자가 각 항목을 촬영 대상자가 등록한 자료와 대조하여 일치함을 확인하였습니다. 동의 없이 친밀한 사진·영상을 공유하는 것은 회원국에서 범죄이므로, 이 콘텐츠는 디지털서비스법 제3조(h)의 불법 콘텐츠에 해당합니다.` },
        { type: 'heading', text: `(b) 콘텐츠의 정확한 위치 (${d.items.length}건)` },
        itemsBlock(d, { media: '미디어 주소', page: '게시물 주소', firstSeen: '최초 발견', withheld: '(게시물 주소에 개인정보가 포함되어 생략함)' }, 'UTC'),
        { type: 'heading', text: '(c) 신고자' },
        { type: 'fields', rows: [['이름', org], ['이메일', d.requester.email ?? '(설정되지 않음)'], ...(d.signature ? [['승인자', d.signature] as [string, string]] : [])] },
        { type: 'heading', text: '(d) 진술' },
        { type: 'paragraph', text: `${org}은(는) 이 신고에 담긴 정보와 주장이 정확하고 완전하다고 선의로 믿음을 확인합니다.` },
        { type: 'heading', text: '요청 사항' },
        { type: 'paragraph', text: `${deadline} 위 항목과 서비스 안의 동일한 복제물을 모두 삭제하거나 접근을 차단하여 주십시오. 이 신고를 받았음을 지체 없이 확인하여 주시고(제16조 제4항), 결정과 그에 대한 구제 수단을 알려 주십시오(제16조 제5항).` },
        { type: 'heading', text: '회신 방법' },
        d.respondUrl ? { type: 'link', label: '처리 결과 회신 주소', url: d.respondUrl } : { type: 'paragraph', text: '처리 결과 회신 주소는 신고서를 발송할 때 붙습니다.' },
        { type: 'paragraph', text: `자동 회신: 위 주소로 JSON을 POST하여 주십시오. answer 값은 ${ANSWER_LIST} 중 하나입니다(removed: 삭제함, refused: 거부함 - comment에 사유, not-found: 찾을 수 없음).` },
        { type: 'code', text: answerExample() },
        { type: 'paragraph', text: '이 신고서에는 촬영 대상자를 알아볼 수 있는 정보가 들어 있지 않습니다. 위 주소의 내용을 다른 곳에 공유하거나 전달하지 마십시오.' },
      ],
    };
  },
};
