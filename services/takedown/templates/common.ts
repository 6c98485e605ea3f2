/** Pieces every template uses: dates in the notice's time zone, the items block, the response section. */
import { NOTICE_ANSWERS, type Block, type NoticeData } from './types.ts';

/** `2026-12-01 19:00 KST` / `2026-12-01 10:00 UTC`: Korean notices in Korean time, others in UTC. */
export function formatDate(d: Date, zone: 'KST' | 'UTC'): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone === 'KST' ? 'Asia/Seoul' : 'UTC', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${zone}`;
}

export function itemsBlock(data: NoticeData, labels: { page: string; media: string; firstSeen: string; withheld: string }, zone: 'KST' | 'UTC'): Block {
  return { type: 'items', labels, items: data.items.map((i) => ({ pageUrl: i.pageUrl, mediaUrl: i.mediaUrl, firstSeen: formatDate(i.firstSeen, zone) })) };
}

/** The JSON a platform POSTs to the response link. */
export function answerExample(): string {
  return JSON.stringify({ answer: 'removed', comment: 'optional' });
}

export const ANSWER_LIST = NOTICE_ANSWERS.join(' | ');

/** The `[Reminder]`-style subject prefix of follow-ups. */
export function kindPrefix(data: NoticeData, words: { reminder: string; escalation: string }): string {
  return data.kind === 'reminder' ? `[${words.reminder}] ` : data.kind === 'escalation' ? `[${words.escalation}] ` : '';
}
