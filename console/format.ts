/** Dates for people: in the user's language and the service's time zone (STAYDOWN_TIME_ZONE). */
import type { Locale } from './i18n.ts';

const TAGS: Record<Locale, string> = { ko: 'ko-KR', en: 'en-GB' };

export interface Formatters {
  dateTime(iso: string | Date | null | undefined): string;
  date(iso: string | Date | null | undefined): string;
  number(n: number): string;
  bytes(n: number): string;
  /** 'YYYY-MM-DD' of an instant in the time zone, for date inputs. */
  inputDate(iso: string | Date | null | undefined): string;
}

export function formatters(locale: Locale, timeZone: string): Formatters {
  const dt = new Intl.DateTimeFormat(TAGS[locale], { dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23', timeZone });
  const d = new Intl.DateTimeFormat(TAGS[locale], { dateStyle: 'long', timeZone });
  const iso = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone });
  const num = new Intl.NumberFormat(TAGS[locale]);
  const toDate = (v: string | Date) => (v instanceof Date ? v : new Date(v));
  return {
    dateTime: (v) => (v ? dt.format(toDate(v)) : ''),
    date: (v) => (v ? d.format(toDate(v)) : ''),
    number: (n) => num.format(n),
    bytes: (n) => (n >= 1024 * 1024 ? `${num.format(Math.round((n / 1024 / 1024) * 10) / 10)} MB` : `${num.format(Math.max(1, Math.round(n / 1024)))} KB`),
    inputDate: (v) => (v ? iso.format(toDate(v)) : ''),
  };
}

/** The time zone's offset from UTC at `at`, in minutes. */
function offsetMinutes(at: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(new Date(at)).map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((asUtc - at) / 60_000);
}

/**
 * A date input's 'YYYY-MM-DD' as an instant in the time zone: the day's start, or its last second
 * (a monitoring period "until 31 March" includes 31 March). Null for an empty or malformed value.
 */
export function parseInputDate(value: string | undefined, timeZone: string, which: 'start' | 'end'): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value?.trim() ?? '');
  if (!m) return null;
  const local = which === 'start' ? Date.UTC(+m[1], +m[2] - 1, +m[3], 0, 0, 0) : Date.UTC(+m[1], +m[2] - 1, +m[3], 23, 59, 59);
  if (Number.isNaN(local)) return null;
  const guess = local - offsetMinutes(local, timeZone) * 60_000;
  return new Date(local - offsetMinutes(guess, timeZone) * 60_000);
}
