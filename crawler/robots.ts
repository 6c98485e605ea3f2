/**
 * robots.txt, as RFC 9309 defines it: groups of user-agent lines followed by allow/disallow rules; the
 * group for our product token if there is one, else the `*` group; the longest matching rule wins and
 * `allow` wins a tie; `*` matches any run of characters and a trailing `$` anchors the end. Crawl-delay is
 * not in the RFC but widely used, so it is read and honoured as a minimum interval. Pure: text in, policy out.
 */

export interface RobotsRules {
  /** Evaluated rules for our agent, in file order. */
  rules: Array<{ allow: boolean; pattern: string }>;
  crawlDelaySeconds?: number;
  sitemaps: string[];
}

/** What the crawler does when robots.txt cannot be read, per RFC 9309 section 2.3.1. */
export type RobotsFetchResult = { status: number; body: string } | { unreachable: true };

export const ROBOTS_AGENT = 'staydown';

export function parseRobots(text: string, agent = ROBOTS_AGENT): RobotsRules {
  const me = agent.toLowerCase();
  interface Group { agents: string[]; rules: RobotsRules['rules']; delay?: number }
  const groups: Group[] = [];
  const sitemaps: string[] = [];
  let current: Group | null = null;
  let lastWasAgent = false;
  // Cap what is parsed: RFC 9309 lets crawlers stop at 500 KiB.
  for (const rawLine of text.slice(0, 512 * 1024).split(/\r\n|\r|\n/)) {
    const line = rawLine.replace(/#.*$/, '').trim();
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'user-agent') {
      if (!current || !lastWasAgent) {
        current = { agents: [], rules: [] };
        groups.push(current);
      }
      current.agents.push(value.toLowerCase());
      lastWasAgent = true;
      continue;
    }
    lastWasAgent = false;
    if (key === 'sitemap') {
      sitemaps.push(value);
      continue;
    }
    if (!current) continue;
    if (key === 'allow' || key === 'disallow') {
      // An empty disallow means "allow everything" and adds no rule.
      if (value !== '') current.rules.push({ allow: key === 'allow', pattern: value });
    } else if (key === 'crawl-delay') {
      const n = Number(value);
      if (Number.isFinite(n) && n >= 0) current.delay = n;
    }
  }
  // Our token matches a user-agent line that is a prefix-insensitive equal of it; several groups for the
  // same agent are merged (RFC 9309 2.2.1).
  let mine = groups.filter((g) => g.agents.some((a) => a === me));
  if (mine.length === 0) mine = groups.filter((g) => g.agents.includes('*'));
  const rules = mine.flatMap((g) => g.rules);
  const delays = mine.map((g) => g.delay).filter((d): d is number => d !== undefined);
  return { rules, ...(delays.length > 0 ? { crawlDelaySeconds: Math.max(...delays) } : {}), sitemaps };
}

function normalisePath(p: string): string {
  // Compare percent-encodings case-insensitively and decode unreserved characters, as the RFC asks.
  return p.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => {
    const c = String.fromCharCode(parseInt(h, 16));
    return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${h.toUpperCase()}`;
  });
}

function patternMatches(pattern: string, path: string): boolean {
  const anchored = pattern.endsWith('$');
  const body = normalisePath(anchored ? pattern.slice(0, -1) : pattern);
  const re = new RegExp(`^${body.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}${anchored ? '$' : ''}`);
  return re.test(path);
}

/** Whether our agent may fetch `url` under these rules. /robots.txt itself is always allowed. */
export function isAllowedByRobots(rules: RobotsRules, url: URL): boolean {
  const path = normalisePath(url.pathname + url.search);
  if (url.pathname === '/robots.txt') return true;
  let best: { allow: boolean; len: number } | null = null;
  for (const r of rules.rules) {
    if (!patternMatches(r.pattern, path)) continue;
    const len = r.pattern.length;
    if (!best || len > best.len || (len === best.len && r.allow && !best.allow)) best = { allow: r.allow, len };
  }
  return best ? best.allow : true;
}

/**
 * The rules to apply given how fetching robots.txt went: 2xx -> parse; 4xx -> no restrictions;
 * 5xx or unreachable -> assume complete disallow (RFC 9309 2.3.1.3-4) until it can be read.
 */
export function robotsFromFetch(result: RobotsFetchResult): RobotsRules {
  if ('unreachable' in result) return { rules: [{ allow: false, pattern: '/' }], sitemaps: [] };
  if (result.status >= 200 && result.status < 300) return parseRobots(result.body);
  if (result.status >= 400 && result.status < 500) return { rules: [], sitemaps: [] };
  return { rules: [{ allow: false, pattern: '/' }], sitemaps: [] };
}
