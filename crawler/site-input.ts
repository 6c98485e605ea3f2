/**
 * Checking a site definition given by a person (CLI flags, API body) before it is stored: every problem
 * becomes a sentence that says what to change. Pure.
 */
import { isValidSchedule } from './scheduler.ts';
import type { NewSite } from '../db/queries/crawl-sites.ts';

export interface SiteInput {
  name: string;
  urls: string[];
  engine?: string;
  follow?: string[];
  maxPages?: string | number;
  maxDepth?: string | number;
  schedule?: string;
  searchUrl?: string;
  allowHosts?: string[];
  platform?: string;
  rateMs?: string | number;
  concurrency?: string | number;
  ignoreRobotsReason?: string;
}

export class SiteInputError extends Error {}

function intIn(value: string | number | undefined, what: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new SiteInputError(`${what} must be a whole number from ${min} to ${max}, not '${value}'.`);
  return n;
}

function httpUrl(raw: string, what: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new SiteInputError(`${what} '${raw}' is not a valid URL; give a full http:// or https:// address.`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new SiteInputError(`${what} '${raw}' must start with http:// or https://.`);
  return u.href;
}

export function validateSiteInput(input: SiteInput): Omit<NewSite, 'headersEncrypted'> {
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(input.name ?? '')) {
    throw new SiteInputError(`The site name '${input.name ?? ''}' is not usable: use 1-63 lowercase letters, digits, dots, dashes or underscores, starting with a letter or digit.`);
  }
  if (!input.urls || input.urls.length === 0) throw new SiteInputError('A site needs at least one start URL: add --url URL.');
  const startUrls = input.urls.map((u) => httpUrl(u, 'The start URL'));
  const engine = input.engine ?? 'http';
  if (engine !== 'http' && engine !== 'browser') throw new SiteInputError(`The engine must be 'http' or 'browser', not '${engine}'.`);
  const follow = input.follow ?? [];
  for (const f of follow) {
    try {
      new RegExp(f);
    } catch (err) {
      throw new SiteInputError(`The follow pattern '${f}' is not a valid regular expression: ${(err as Error).message}.`);
    }
  }
  if (input.schedule !== undefined && !isValidSchedule(input.schedule)) {
    throw new SiteInputError(`The schedule '${input.schedule}' is not a valid cron expression (for example '0 */6 * * *' for every six hours).`);
  }
  if (input.searchUrl !== undefined) {
    httpUrl(input.searchUrl.split('{keyword}').join('x'), 'The search URL');
    if (!input.searchUrl.includes('{keyword}')) throw new SiteInputError(`The search URL '${input.searchUrl}' has no {keyword} placeholder; put {keyword} where the search term goes.`);
  }
  const allowHosts = (input.allowHosts ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean);
  for (const h of allowHosts) if (!/^[a-z0-9.:[\]-]+$/.test(h)) throw new SiteInputError(`'${h}' is not a host name or IP address for --allow-host.`);
  const reason = input.ignoreRobotsReason?.trim();
  if (input.ignoreRobotsReason !== undefined && !reason) throw new SiteInputError('Ignoring robots.txt needs a reason that is recorded: --ignore-robots "REASON".');
  return {
    name: input.name,
    platform: input.platform ?? null,
    startUrls,
    searchUrlTemplate: input.searchUrl ?? null,
    follow,
    maxDepth: intIn(input.maxDepth, '--max-depth', 0, 20),
    maxPages: intIn(input.maxPages, '--max-pages', 1, 1_000_000),
    engine,
    schedule: input.schedule ?? null,
    minIntervalMs: intIn(input.rateMs, '--rate-ms', 0, 600_000),
    concurrency: intIn(input.concurrency, '--concurrency', 1, 64),
    allowHosts,
    robots: reason ? 'ignore' : 'respect',
    robotsOverrideReason: reason ?? null,
  };
}
