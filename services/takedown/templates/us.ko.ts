/** United States, in Korean: the TAKE IT DOWN Act request of us.en.ts, written in Korean. */
import { ANSWER_LIST, answerExample, formatDate, itemsBlock, kindPrefix } from './common.ts';
import { US_LEGAL_BASIS } from './us.en.ts';
import type { NoticeTemplate } from './types.ts';

export const template: NoticeTemplate = {
  jurisdiction: 'US',
  language: 'ko',
  build(d) {
    const org = d.requester.name;
    const deadline = d.deadline ? `${formatDate(d.deadline, 'UTC')}까지(수신 후 ${d.deadlineHours}시간 이내)` : `이 요청을 받은 때부터 ${d.deadlineHours}시간 이내에`;
    return {
      subject: `${kindPrefix(d, { reminder: '재요청', escalation: '상향 요청' })}[TAKE IT DOWN Act 삭제요청] ${d.reference} - ${d.platform.name} ${d.items.length}건`,
      lang: 'ko',
      legalBasis: US_LEGAL_BASIS,
      blocks: [
        { type: 'heading', text: 'TAKE IT DOWN Act에 따른 삭제요청' },
        { type: 'fields', rows: [
          ['요청번호', d.reference],
          ['요청일시', formatDate(d.issuedAt, 'UTC')],
          ['수신', d.platform.name],
          ...(d.originalReference ? [['이전 요청', d.originalReference] as [string, string]] : []),
        ] },
        { type: 'paragraph', text: `이 요청은 미국 TAKE IT DOWN Act 제3조에 따라, 식별 가능한 개인의 동의 없이 ${d.platform.name}에 게시된 친밀한 영상·사진의 삭제를 요청하는 것입니다. ${org}은(는) 촬영 대상자를 대리할 권한을 가진 자로서 이 요청을 제출합니다.` },
        { type: 'heading', text: `대상 영상·사진과 위치 (${d.items.length}건)` },
        itemsBlock(d, { media: '영상·사진 주소', page: '게시된 곳(게시물 주소)', firstSeen: '최초 발견', withheld: '(게시물 주소에 개인정보가 포함되어 생략함)' }, 'UTC'),
        { type: 'heading', text: '선의의 진술' },
        { type: 'paragraph', text: `본인은 위 영상·사진이 모두 동의 없이 게시되었다고 선의로 믿습니다. 촬영 대상자는 게시에 동의하지 않았으며 ${org}에 삭제를 요청하였습니다. 관련 정보: ${org}의 담당자가 각 항목을 촬영 대상자가 등록한 자료와 대조하여 일치함을 확인한 뒤 이 요청을 보냈습니다.` },
        { type: 'heading', text: '삭제 기한' },
        { type: 'paragraph', text: `이 법에 따라 대상 플랫폼은 유효한 요청을 받은 뒤 가능한 한 빨리, 늦어도 48시간 안에 해당 영상·사진을 삭제하고, 알려진 동일한 복제물을 찾아 삭제하도록 합리적인 노력을 하여야 합니다. ${deadline} 위 항목과 그 동일한 복제물을 모두 삭제하여 주십시오.` },
        { type: 'heading', text: '연락처' },
        { type: 'fields', rows: [['기관', org], ['이메일', d.requester.email ?? '(설정되지 않음)']] },
        { type: 'heading', text: '회신 방법' },
        d.respondUrl ? { type: 'link', label: '처리 결과 회신 주소', url: d.respondUrl } : { type: 'paragraph', text: '처리 결과 회신 주소는 요청서를 발송할 때 붙습니다.' },
        { type: 'paragraph', text: `자동 회신: 위 주소로 JSON을 POST하여 주십시오. answer 값은 ${ANSWER_LIST} 중 하나입니다(removed: 삭제함, refused: 거부함 - comment에 사유, not-found: 찾을 수 없음).` },
        { type: 'code', text: answerExample() },
        { type: 'heading', text: '서명' },
        { type: 'paragraph', text: d.signature ? `/s/ ${d.signature} (촬영 대상자를 대리하여, ${org})` : '(승인 시 담당자 이름으로 전자서명됩니다)' },
        { type: 'paragraph', text: '이 요청서에는 촬영 대상자를 알아볼 수 있는 정보가 들어 있지 않습니다. 위 주소의 내용을 다른 곳에 공유하거나 전달하지 마십시오.' },
      ],
    };
  },
};
