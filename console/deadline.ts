/**
 * A notice's deadline timer, computed on the server (pure): how long the platform has left, or how far
 * past its deadline it is. The deadline starts when the notice is sent; a notice whose URLs are all
 * verified removed is done. console/static/countdown.js ticks the same text in the browser.
 */
import type { Translate } from './i18n.ts';

export type TimerKind = 'waiting' | 'left' | 'overdue' | 'done' | 'none';

export interface Timer {
  kind: TimerKind;
  /** Milliseconds left (left) or past (overdue). */
  ms: number;
  deadline: string | null;
}

export function noticeTimer(n: { status: string; deadline: string | null }, tracking: string | null | undefined, now: Date = new Date()): Timer {
  if (n.status === 'cancelled') return { kind: 'none', ms: 0, deadline: null };
  if (tracking === 'removed') return { kind: 'done', ms: 0, deadline: n.deadline };
  if (!n.deadline || n.status !== 'sent') return { kind: n.status === 'failed' ? 'none' : 'waiting', ms: 0, deadline: n.deadline };
  const ms = new Date(n.deadline).getTime() - now.getTime();
  return ms >= 0 ? { kind: 'left', ms, deadline: n.deadline } : { kind: 'overdue', ms: -ms, deadline: n.deadline };
}

/** "2일 3시간", "3시간 12분", "12분" (or in English), at most two units, never "0분". */
export function duration(ms: number, t: Translate): string {
  const minutes = Math.max(1, Math.floor(ms / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return t('notices.duration.dh', { d, h });
  if (h > 0) return t('notices.duration.hm', { h, m });
  return t('notices.duration.m', { m });
}

export function timerText(timer: Timer, t: Translate): string {
  if (timer.kind === 'left') return t('notices.timer.left', { time: duration(timer.ms, t) });
  if (timer.kind === 'overdue') return t('notices.timer.overdue', { time: duration(timer.ms, t) });
  if (timer.kind === 'done') return t('notices.timer.done');
  if (timer.kind === 'waiting') return t('notices.timer.waiting');
  return t('notices.timer.none');
}
