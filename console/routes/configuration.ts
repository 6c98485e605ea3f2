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
  ];
}

export const configurationPages: PageDef[] = [
  {
    method: 'GET', url: '/configuration', access: 'config.read',
    handler: async (input) => input.render('configuration', { rows: configRows(input.env.ctx.config) }),
  },
];
