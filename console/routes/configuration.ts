/**
 * The effective configuration, read-only, for administrators. Secrets are never shown: the master key
 * only as where it comes from, the database address without its password.
 */
import type { Config } from '../../services/platform/config.ts';
import type { PageDef } from '../page.ts';

export interface ConfigRow {
  key: string;
  setting: string;
  value: string;
}

function databaseShown(url: string | undefined): string {
  if (!url) return 'embedded';
  try {
    const u = new URL(url);
    return `postgresql://${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgresql';
  }
}

/** What the page lists: each setting, the variable that sets it, and its value made safe to show. */
export function configRows(c: Config): ConfigRow[] {
  return [
    { key: 'dataDir', setting: 'STAYDOWN_DATA_DIR', value: c.dataDir },
    { key: 'database', setting: 'DATABASE_URL', value: databaseShown(c.databaseUrl) },
    { key: 'masterKey', setting: 'STAYDOWN_MASTER_KEY', value: c.masterKey ? 'environment' : 'file' },
    { key: 'listen', setting: 'STAYDOWN_HOST, PORT', value: `${c.host}:${c.port}` },
    { key: 'publicUrl', setting: 'STAYDOWN_PUBLIC_URL', value: c.publicUrl ?? '' },
    { key: 'roles', setting: 'STAYDOWN_ROLES', value: c.roles.join(', ') },
    { key: 'logLevel', setting: 'STAYDOWN_LOG_LEVEL', value: c.logLevel },
    { key: 'maxUploadBytes', setting: 'STAYDOWN_MAX_UPLOAD_BYTES', value: String(c.maxUploadBytes) },
    { key: 'maxJsonBytes', setting: 'STAYDOWN_MAX_JSON_BYTES', value: String(c.maxJsonBytes) },
    { key: 'crawlWorkers', setting: 'STAYDOWN_CRAWL_WORKERS', value: String(c.crawlWorkers) },
    { key: 'crawlLeaseSeconds', setting: 'STAYDOWN_CRAWL_LEASE_SECONDS', value: String(c.crawlLeaseSeconds) },
    { key: 'crawlSweepSeconds', setting: 'STAYDOWN_CRAWL_SWEEP_SECONDS', value: String(c.crawlSweepSeconds) },
    { key: 'queueSchema', setting: 'STAYDOWN_QUEUE_SCHEMA', value: c.queueSchema },
    { key: 'ffmpeg', setting: 'FFMPEG_PATH, FFPROBE_PATH', value: [c.ffmpeg.ffmpegPath, c.ffmpeg.ffprobePath].filter(Boolean).join(', ') || 'PATH' },
    { key: 'chromium', setting: 'STAYDOWN_CHROMIUM_PATH', value: c.chromiumPath ?? '' },
    { key: 'consoleIdleMinutes', setting: 'STAYDOWN_CONSOLE_IDLE_MINUTES', value: String(c.consoleIdleMinutes) },
    { key: 'consoleSessionHours', setting: 'STAYDOWN_CONSOLE_SESSION_HOURS', value: String(c.consoleSessionHours) },
    { key: 'require2fa', setting: 'STAYDOWN_REQUIRE_2FA', value: c.require2fa.join(', ') || 'none' },
    { key: 'timeZone', setting: 'STAYDOWN_TIME_ZONE', value: c.timeZone },
    { key: 'reviewRevealLimit', setting: 'STAYDOWN_REVIEW_REVEAL_LIMIT', value: String(c.reviewRevealLimit) },
    { key: 'orgName', setting: 'STAYDOWN_ORG_NAME', value: c.orgName },
    { key: 'orgEmail', setting: 'STAYDOWN_ORG_EMAIL', value: c.orgEmail ?? '' },
    { key: 'fourEyes', setting: 'STAYDOWN_FOUR_EYES', value: String(c.fourEyes) },
    { key: 'smtp', setting: 'STAYDOWN_SMTP_URL', value: smtpShown(c.smtpUrl) },
    { key: 'noticeFrom', setting: 'STAYDOWN_NOTICE_FROM', value: c.noticeFrom ?? '' },
    { key: 'checkEvery', setting: 'STAYDOWN_CHECK_EVERY', value: durationShown(c.monitoring.checkEveryMs) },
    { key: 'remindAfter', setting: 'STAYDOWN_REMIND_AFTER', value: durationShown(c.monitoring.remindAfterMs) },
    { key: 'escalateAfter', setting: 'STAYDOWN_ESCALATE_AFTER', value: durationShown(c.monitoring.escalateAfterMs) },
    { key: 'rechecks', setting: 'STAYDOWN_RECHECKS', value: c.monitoring.rechecksMs.map(durationShown).join(', ') },
    { key: 'maxReminders', setting: 'STAYDOWN_MAX_REMINDERS', value: String(c.monitoring.maxReminders) },
    { key: 'autoReminders', setting: 'STAYDOWN_AUTO_REMINDERS, STAYDOWN_AUTO_ESCALATIONS', value: `${c.monitoring.autoReminders}, ${c.monitoring.autoEscalations}` },
  ];
}

/** The SMTP server without its user name and password (a URL may carry both). */
function smtpShown(url: string | undefined): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '';
  }
}

/** A duration in the units the settings take (the largest that divides it exactly): 6h, 7d, 90s. */
export function durationShown(ms: number): string {
  for (const [unit, size] of [['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export const configurationPages: PageDef[] = [
  {
    method: 'GET', url: '/configuration', access: 'config.read',
    handler: async (input) => input.render('configuration', { rows: configRows(input.env.ctx.config) }),
  },
];
