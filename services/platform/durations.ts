/**
 * Durations with units (`30s`, `15m`, `24h`, `7d`, `90d`): what the monitoring settings are written in, so
 * a test can run the whole reminder and escalation ladder in seconds. Pure; bad input gets a sentence.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

/** One duration: a whole number and a unit (ms, s, m, h, d, w). `what` names the setting in the sentence. */
export function parseDuration(raw: string, what = 'the duration'): DurationResult {
  const text = raw.trim().toLowerCase();
  const m = /^(\d{1,9})\s*(ms|s|m|h|d|w)$/.exec(text);
  if (!m) {
    const hint = /^\d+$/.test(text) ? ` Add a unit: '${text}s', '${text}h' or '${text}d'.` : '';
    return { ok: false, message: `${what} is '${raw}', which is not a duration: write a whole number and a unit (ms, s, m, h, d, w), such as 30s, 24h or 7d.${hint}` };
  }
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  if (ms <= 0) return { ok: false, message: `${what} is '${raw}': a duration must be longer than zero.` };
  if (ms > 10 * 365 * 86_400_000) return { ok: false, message: `${what} is '${raw}': durations longer than ten years are not accepted.` };
  return { ok: true, ms };
}

/** A comma-separated list of durations (`1d,7d,30d,90d`), strictly increasing. */
export function parseDurationList(raw: string, what = 'the list'): { ok: true; ms: number[] } | { ok: false; message: string } {
  const parts = raw.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) return { ok: false, message: `${what} is empty: list at least one duration, such as 1d,7d,30d,90d.` };
  const out: number[] = [];
  for (const p of parts) {
    const d = parseDuration(p, `An entry of ${what}`);
    if (!d.ok) return d;
    if (out.length > 0 && d.ms <= out[out.length - 1]) {
      return { ok: false, message: `${what} is '${raw}': each duration must be longer than the one before it (${p} is not).` };
    }
    out.push(d.ms);
  }
  return { ok: true, ms: out };
}

/** The shortest way to write `ms` back in the units above (for messages and `--help`). */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
