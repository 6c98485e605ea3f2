/**
 * The one module that reads `process.env`. Everything else receives a frozen `Config`.
 *
 * Roles are configuration (STYLE.md habit 6): one build runs every role in one process (the embedded
 * default) or a subset per process when the database is a real PostgreSQL server.
 */
import { resolve } from 'node:path';
import { ROLES, type Role } from './roles.ts';
import { parseDuration, parseDurationList } from './durations.ts';

export const ALL_ROLES = ['api', 'worker', 'scheduler'] as const;
export type ServiceRole = (typeof ALL_ROLES)[number];

export interface Config {
  /** Where the embedded database, the master key file and the gateway socket live. Absolute. */
  dataDir: string;
  /** How `dataDir` was chosen, for messages that say where staydown looked. */
  dataDirFrom: string;
  /** A PostgreSQL connection string; undefined means the embedded PGlite database in `dataDir`. */
  databaseUrl: string | undefined;
  /** The raw master key from STAYDOWN_MASTER_KEY (64 hex digits or 44 base64 chars), if set. */
  masterKey: string | undefined;
  port: number;
  host: string;
  roles: readonly ServiceRole[];
  logLevel: string;
  /** Largest accepted upload of one file, in bytes. */
  maxUploadBytes: number;
  /** Largest accepted JSON request body, in bytes. */
  maxJsonBytes: number;
  /** Crawl runs one worker process works on at once (STAYDOWN_CRAWL_WORKERS, default 1). */
  crawlWorkers: number;
  /** How long a crawl worker's hold on a run lasts unrenewed: a dead worker's run resumes after this. */
  crawlLeaseSeconds: number;
  /** How often the scheduler looks for orphaned crawl runs to enqueue again. */
  crawlSweepSeconds: number;
  /**
   * Local features of crawled and re-checked images (STAYDOWN_CRAWL_FEATURES): 'auto' (default) computes
   * them only while some registered picture has features to compare them with; 'on' always; 'off' never
   * (a picture that is only part of what was posted is then not found).
   */
  crawlFeatures: CrawlFeatures;
  /** The PostgreSQL schema of the crawl job queue (pg-boss), STAYDOWN_QUEUE_SCHEMA, default 'pgboss'. */
  queueSchema: string;
  /** Where ffmpeg and ffprobe are (FFMPEG_PATH, FFPROBE_PATH); unset means found on PATH. */
  ffmpeg: FfmpegLocation;
  /** Where Chromium is (STAYDOWN_CHROMIUM_PATH); unset means the Debian locations. */
  chromiumPath: string | undefined;
  /** Takedown (services/takedown): the organisation that sends notices, named in every notice. */
  orgName: string;
  /** Its contact address, in every notice; approval refuses without it (every law asks for contact details). */
  orgEmail: string | undefined;
  /** Where the service is reached from outside (response links: PUBLIC_URL/respond/TOKEN; https makes console cookies Secure), no trailing slash. */
  publicUrl: string | undefined;
  /** The wording of the centre's designation as a requesting body under Korean law, and its last day (YYYY-MM-DD). */
  krDesignation: { wording: string; until: string } | undefined;
  /** Four-eyes rule: a notice's approver must not be who confirmed any of its alerts (default off). */
  fourEyes: boolean;
  /** The RDAP service asked for abuse contacts of domains no platform covers, with a trailing slash. */
  rdapUrl: string;
  /** A console session ends after this many minutes without a request (STAYDOWN_CONSOLE_IDLE_MINUTES, 30). */
  consoleIdleMinutes: number;
  /** ... and this many hours after sign-in whatever happens (STAYDOWN_CONSOLE_SESSION_HOURS, 12; at most 12). */
  consoleSessionHours: number;
  /** Roles that must sign in to the console with a second factor (STAYDOWN_REQUIRE_2FA, default admin,staff). */
  require2fa: readonly Role[];
  /** The time zone dates are shown in (STAYDOWN_TIME_ZONE, default Asia/Seoul). */
  timeZone: string;
  /**
   * Reveals of unblurred evidence a reviewer makes in a day (in timeZone) before the console asks them to
   * take a break first (STAYDOWN_REVIEW_REVEAL_LIMIT, default 50; they may continue after confirming).
   */
  reviewRevealLimit: number;
  /** Where notices are e-mailed through (STAYDOWN_SMTP_URL, smtp:// or smtps://); undefined: e-mail notices stay queued. */
  smtpUrl: string | undefined;
  /** The address notices are sent from (STAYDOWN_NOTICE_FROM); its domain names the notices' Message-IDs. */
  noticeFrom: string | undefined;
  /** How long a notice's response link works (STAYDOWN_RESPOND_DAYS, default 30). */
  respondDays: number;
  /** Delivery attempts a notice gets before it fails (STAYDOWN_DELIVERY_ATTEMPTS, default 12). */
  deliveryAttempts: number;
  /** The span those attempts are spread over with exponential backoff (STAYDOWN_DELIVERY_RETRY_SECONDS, default 48 h). */
  deliveryRetrySeconds: number;
  /** A delivering worker's hold on a notice: a killed worker's notice is sent again after this. */
  deliveryLeaseSeconds: number;
  /** How often the scheduler queues notices that are due (a retry or a lapsed hold). */
  deliverySweepSeconds: number;
  /** Keep-it-down (services/monitoring); every duration in milliseconds. */
  monitoring: MonitoringSettings;
}

export const CRAWL_FEATURES = ['auto', 'on', 'off'] as const;
export type CrawlFeatures = (typeof CRAWL_FEATURES)[number];

export interface MonitoringSettings {
  /** How often a notified, not yet removed URL is checked (STAYDOWN_CHECK_EVERY, default 6h). */
  checkEveryMs: number;
  /** A reminder goes out this long after the notice or the last reminder (STAYDOWN_REMIND_AFTER, 24h). */
  remindAfterMs: number;
  /** An escalation goes out this long after the first notice (STAYDOWN_ESCALATE_AFTER, 72h). */
  escalateAfterMs: number;
  /** Re-checks of a removed URL, after its removal (STAYDOWN_RECHECKS, 1d,7d,30d,90d; then every last step). */
  rechecksMs: readonly number[];
  /** Reminders per notice before it escalates (STAYDOWN_MAX_REMINDERS, 3). */
  maxReminders: number;
  /** Reminders go out without approval (STAYDOWN_AUTO_REMINDERS, true). */
  autoReminders: boolean;
  /** Escalations go out without approval (STAYDOWN_AUTO_ESCALATIONS, false). */
  autoEscalations: boolean;
  /** How often the scheduler looks for due checks, reminders and escalations (STAYDOWN_MONITOR_SWEEP, 1m). */
  sweepMs: number;
}

export interface FfmpegLocation {
  ffmpegPath?: string;
  ffprobePath?: string;
}

/**
 * ffmpeg's location alone, for the verbs that fingerprint files without opening the service (`hash`,
 * `match`). Empty variables count as unset, as they always have.
 */
export function ffmpegLocation(env: NodeJS.ProcessEnv = process.env): FfmpegLocation {
  return {
    ...(env.FFMPEG_PATH ? { ffmpegPath: env.FFMPEG_PATH } : {}),
    ...(env.FFPROBE_PATH ? { ffprobePath: env.FFPROBE_PATH } : {}),
  };
}

export interface ConfigOverrides {
  port?: number;
  roles?: readonly ServiceRole[];
  dataDir?: string;
}

export class ConfigError extends Error {}

function parsePort(raw: string, from: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(`${from} must be a port number between 0 and 65535, not '${raw}'.`);
  }
  return n;
}

export function parseRoles(raw: string, from: string): ServiceRole[] {
  const roles = raw.split(',').map((r) => r.trim()).filter(Boolean);
  if (roles.length === 0) throw new ConfigError(`${from} must name at least one of ${ALL_ROLES.join(', ')}.`);
  for (const r of roles) {
    if (!(ALL_ROLES as readonly string[]).includes(r)) {
      throw new ConfigError(`${from} names an unknown role '${r}': use a comma-separated list of ${ALL_ROLES.join(', ')}.`);
    }
  }
  return [...new Set(roles)] as ServiceRole[];
}

function parseCount(raw: string | undefined, fallback: number, min: number, max: number, from: string): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${from} must be a whole number from ${min} to ${max}, not '${raw}'.`);
  return n;
}

function parseCrawlFeatures(raw: string | undefined): CrawlFeatures {
  if (raw === undefined || raw === '') return 'auto';
  const v = raw.trim().toLowerCase();
  if (!(CRAWL_FEATURES as readonly string[]).includes(v)) throw new ConfigError(`STAYDOWN_CRAWL_FEATURES must be auto, on or off, not '${raw}'.`);
  return v as CrawlFeatures;
}

function parseIdentifier(raw: string | undefined, fallback: string, from: string): string {
  if (raw === undefined || raw === '') return fallback;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(raw)) throw new ConfigError(`${from} must be a lowercase SQL name (letters, digits, underscores), not '${raw}'.`);
  return raw;
}

function parseBytes(raw: string | undefined, fallback: number, from: string): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${from} must be a positive number of bytes, not '${raw}'.`);
  return n;
}

/** local@domain.tld, no spaces or angle brackets: the one address shape both e-mail settings accept. */
const ADDRESS = '[^\\s@<>]+@[^\\s@<>]+\\.[^\\s@<>]+';
const BARE_ADDRESS = new RegExp(`^${ADDRESS}$`);
const NAMED_ADDRESS = new RegExp(`<${ADDRESS}>\\s*$`);

function parseEmail(raw: string | undefined, from: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!BARE_ADDRESS.test(raw)) throw new ConfigError(`${from} must be an e-mail address such as takedown@example.org, not '${raw}'.`);
  return raw;
}

function parseHttpUrl(raw: string | undefined, from: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${from} must be an http:// or https:// URL, not '${raw}'.`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${from} must be an http:// or https:// URL, not '${raw}'.`);
  return u.toString();
}

function parseBoolean(raw: string | undefined, fallback: boolean, from: string): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${from} must be true or false, not '${raw}'.`);
}

function parseDesignation(wording: string | undefined, until: string | undefined): { wording: string; until: string } | undefined {
  if (!wording && !until) return undefined;
  if (!wording) throw new ConfigError('STAYDOWN_KR_DESIGNATION_UNTIL is set but STAYDOWN_KR_DESIGNATION is not: give the wording of the designation as well, or unset both.');
  if (!until) throw new ConfigError('STAYDOWN_KR_DESIGNATION is set without STAYDOWN_KR_DESIGNATION_UNTIL: give the last day the designation is valid (YYYY-MM-DD); designations last one year.');
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(until);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!d || d.toISOString().slice(0, 10) !== until) throw new ConfigError(`STAYDOWN_KR_DESIGNATION_UNTIL must be a date written YYYY-MM-DD, not '${until}'.`);
  return Object.freeze({ wording, until });
}

function parseRoleList(raw: string | undefined, fallback: readonly Role[], from: string): Role[] {
  if (raw === undefined) return [...fallback];
  const list = raw.split(',').map((r) => r.trim()).filter((r) => r && r !== 'none');
  for (const r of list) {
    if (!(ROLES as readonly string[]).includes(r)) throw new ConfigError(`${from} names an unknown role '${r}': use a comma-separated list of ${ROLES.join(', ')}, or 'none'.`);
  }
  return [...new Set(list)] as Role[];
}

function parseTimeZone(raw: string | undefined, fallback: string, from: string): string {
  const zone = raw || fallback;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    throw new ConfigError(`${from} must be an IANA time zone such as Asia/Seoul or Europe/Berlin, not '${zone}'.`);
  }
  return zone;
}

function parseSmtpUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError('STAYDOWN_SMTP_URL must be a URL such as smtp://user:password@mail.example:587 or smtps://mail.example:465.');
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new ConfigError(`STAYDOWN_SMTP_URL must start with smtp:// or smtps://, not '${u.protocol}//'.`);
  return raw;
}

function parseAddress(raw: string | undefined, from: string): string | undefined {
  if (!raw) return undefined;
  // 'Name <addr@domain>' or a bare address; the domain names Message-IDs, so it must be there.
  if (!NAMED_ADDRESS.test(raw) && !BARE_ADDRESS.test(raw.trim())) throw new ConfigError(`${from} must be an e-mail address such as 'Takedown desk <takedown@support.example>', not '${raw}'.`);
  return raw.trim();
}

function duration(raw: string | undefined, fallback: string, from: string): number {
  const d = parseDuration(raw === undefined || raw === '' ? fallback : raw, from);
  if (!d.ok) throw new ConfigError(d.message);
  return d.ms;
}

function monitoringSettings(env: NodeJS.ProcessEnv): MonitoringSettings {
  const rechecks = parseDurationList(env.STAYDOWN_RECHECKS || '1d,7d,30d,90d', 'STAYDOWN_RECHECKS');
  if (!rechecks.ok) throw new ConfigError(rechecks.message);
  return Object.freeze({
    checkEveryMs: duration(env.STAYDOWN_CHECK_EVERY, '6h', 'STAYDOWN_CHECK_EVERY'),
    remindAfterMs: duration(env.STAYDOWN_REMIND_AFTER, '24h', 'STAYDOWN_REMIND_AFTER'),
    escalateAfterMs: duration(env.STAYDOWN_ESCALATE_AFTER, '72h', 'STAYDOWN_ESCALATE_AFTER'),
    rechecksMs: Object.freeze(rechecks.ms),
    maxReminders: parseCount(env.STAYDOWN_MAX_REMINDERS, 3, 0, 100, 'STAYDOWN_MAX_REMINDERS'),
    autoReminders: parseBoolean(env.STAYDOWN_AUTO_REMINDERS, true, 'STAYDOWN_AUTO_REMINDERS'),
    autoEscalations: parseBoolean(env.STAYDOWN_AUTO_ESCALATIONS, false, 'STAYDOWN_AUTO_ESCALATIONS'),
    sweepMs: duration(env.STAYDOWN_MONITOR_SWEEP, '1m', 'STAYDOWN_MONITOR_SWEEP'),
  });
}

/** Delivery (services/delivery): SMTP, response links, retries and holds. */
function deliverySettings(env: NodeJS.ProcessEnv) {
  const smtpUrl = parseSmtpUrl(env.STAYDOWN_SMTP_URL);
  const noticeFrom = parseAddress(env.STAYDOWN_NOTICE_FROM, 'STAYDOWN_NOTICE_FROM');
  if (smtpUrl && !noticeFrom) throw new ConfigError('STAYDOWN_NOTICE_FROM must name the address notices are sent from when STAYDOWN_SMTP_URL is set.');
  return {
    smtpUrl,
    noticeFrom,
    respondDays: parseCount(env.STAYDOWN_RESPOND_DAYS, 30, 1, 3650, 'STAYDOWN_RESPOND_DAYS'),
    deliveryAttempts: parseCount(env.STAYDOWN_DELIVERY_ATTEMPTS, 12, 1, 100, 'STAYDOWN_DELIVERY_ATTEMPTS'),
    deliveryRetrySeconds: parseCount(env.STAYDOWN_DELIVERY_RETRY_SECONDS, 48 * 3600, 1, 90 * 24 * 3600, 'STAYDOWN_DELIVERY_RETRY_SECONDS'),
    deliveryLeaseSeconds: parseCount(env.STAYDOWN_DELIVERY_LEASE_SECONDS, 120, 2, 3600, 'STAYDOWN_DELIVERY_LEASE_SECONDS'),
    deliverySweepSeconds: parseCount(env.STAYDOWN_DELIVERY_SWEEP_SECONDS, 30, 1, 3600, 'STAYDOWN_DELIVERY_SWEEP_SECONDS'),
  };
}

/** Parses the environment (and command-line overrides) once, with defaults, and validates it. */
export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(overrides.dataDir ?? (env.STAYDOWN_DATA_DIR || './data'));
  const dataDirFrom = overrides.dataDir ? 'given by the caller' : env.STAYDOWN_DATA_DIR ? 'from STAYDOWN_DATA_DIR' : `STAYDOWN_DATA_DIR is unset, so ./data under ${process.cwd()}`;
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// connection string; unset it to use the embedded database.');
  }
  const port = overrides.port ?? (env.PORT ? parsePort(env.PORT, 'PORT') : 8080);
  const roles = overrides.roles ?? (env.STAYDOWN_ROLES ? parseRoles(env.STAYDOWN_ROLES, 'STAYDOWN_ROLES') : [...ALL_ROLES]);
  if (!databaseUrl && roles.length !== ALL_ROLES.length) {
    throw new ConfigError('The embedded database runs every role in one process: set DATABASE_URL to a PostgreSQL server to split roles over processes.');
  }
  return Object.freeze({
    dataDir,
    dataDirFrom,
    databaseUrl,
    masterKey: env.STAYDOWN_MASTER_KEY || undefined,
    port,
    host: env.STAYDOWN_HOST || '0.0.0.0',
    roles: Object.freeze([...roles]),
    logLevel: env.STAYDOWN_LOG_LEVEL || env.LOG_LEVEL || 'info',
    maxUploadBytes: parseBytes(env.STAYDOWN_MAX_UPLOAD_BYTES, 512 * 1024 * 1024, 'STAYDOWN_MAX_UPLOAD_BYTES'),
    maxJsonBytes: parseBytes(env.STAYDOWN_MAX_JSON_BYTES, 256 * 1024, 'STAYDOWN_MAX_JSON_BYTES'),
    crawlWorkers: parseCount(env.STAYDOWN_CRAWL_WORKERS, 1, 1, 64, 'STAYDOWN_CRAWL_WORKERS'),
    crawlLeaseSeconds: parseCount(env.STAYDOWN_CRAWL_LEASE_SECONDS, 60, 2, 3600, 'STAYDOWN_CRAWL_LEASE_SECONDS'),
    crawlSweepSeconds: parseCount(env.STAYDOWN_CRAWL_SWEEP_SECONDS, 30, 1, 3600, 'STAYDOWN_CRAWL_SWEEP_SECONDS'),
    crawlFeatures: parseCrawlFeatures(env.STAYDOWN_CRAWL_FEATURES),
    queueSchema: parseIdentifier(env.STAYDOWN_QUEUE_SCHEMA, 'pgboss', 'STAYDOWN_QUEUE_SCHEMA'),
    ffmpeg: Object.freeze(ffmpegLocation(env)),
    chromiumPath: env.STAYDOWN_CHROMIUM_PATH || env.CHROMIUM_PATH || undefined,
    orgName: env.STAYDOWN_ORG_NAME || 'staydown',
    orgEmail: parseEmail(env.STAYDOWN_ORG_EMAIL, 'STAYDOWN_ORG_EMAIL'),
    publicUrl: parseHttpUrl(env.STAYDOWN_PUBLIC_URL, 'STAYDOWN_PUBLIC_URL')?.replace(/\/+$/, ''),
    krDesignation: parseDesignation(env.STAYDOWN_KR_DESIGNATION || undefined, env.STAYDOWN_KR_DESIGNATION_UNTIL || undefined),
    fourEyes: parseBoolean(env.STAYDOWN_FOUR_EYES, false, 'STAYDOWN_FOUR_EYES'),
    rdapUrl: (parseHttpUrl(env.STAYDOWN_RDAP_URL, 'STAYDOWN_RDAP_URL') ?? 'https://rdap.org/').replace(/\/*$/, '/'),
    consoleIdleMinutes: parseCount(env.STAYDOWN_CONSOLE_IDLE_MINUTES, 30, 1, 1440, 'STAYDOWN_CONSOLE_IDLE_MINUTES'),
    // The session credential itself lasts 12 hours (services/accounts), so the console cannot go beyond it.
    consoleSessionHours: parseCount(env.STAYDOWN_CONSOLE_SESSION_HOURS, 12, 1, 12, 'STAYDOWN_CONSOLE_SESSION_HOURS'),
    require2fa: Object.freeze(parseRoleList(env.STAYDOWN_REQUIRE_2FA, ['admin', 'staff'], 'STAYDOWN_REQUIRE_2FA')),
    timeZone: parseTimeZone(env.STAYDOWN_TIME_ZONE, 'Asia/Seoul', 'STAYDOWN_TIME_ZONE'),
    reviewRevealLimit: parseCount(env.STAYDOWN_REVIEW_REVEAL_LIMIT, 50, 1, 10_000, 'STAYDOWN_REVIEW_REVEAL_LIMIT'),
    ...deliverySettings(env),
    monitoring: monitoringSettings(env),
  });
}

export { parsePort };
