/**
 * The browser engine: the only module that imports playwright-core. It drives Debian's Chromium to render
 * pages that build themselves with JavaScript, scrolls infinite lists until nothing new arrives (bounded),
 * lets lazy loaders fire, and captures the media responses the page itself makes. Every request the page
 * makes passes the same SSRF policy as the HTTP engine (checked on the URL and its DNS answer before the
 * request is let through; Chromium resolves the name again itself, so a name whose DNS answer changes
 * within that instant is the residual risk, one the HTTP engine closes by checking at connect time).
 */
import { existsSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { checkUrl, classifyAddress, isHostAllowed, type SsrfPolicy } from './ssrf.ts';
import { mediaKindFromMime, mediaKindFromUrl, type MediaKind } from './media-types.ts';
import { sniff, type Sniffed } from '../hashing/sniff.ts';
import { USER_AGENT } from './fetcher.ts';

const CHROMIUM_PATHS = ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser'];
// STACK.md: these flags make Debian's Chromium start quietly and fast as root in a container.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--mute-audio'];

export interface RenderOptions {
  policy: SsrfPolicy;
  /** Extra headers for the site's own hosts (cookies of a logged-in area). */
  headers?: Record<string, string>;
  credentialHosts?: readonly string[];
  /** Scroll rounds at most; scrolling also stops after a round that adds nothing. */
  maxScrolls?: number;
  /** Longest wait for new content after a scroll; the wait ends sooner once the network is quiet. */
  settleMs?: number;
  navigationTimeoutMs?: number;
  /** Captured responses larger than this are kept as URLs only (downloaded later, within the fetcher's caps). */
  maxCaptureBytes?: number;
  screenshot?: boolean;
}

export interface CapturedMedia {
  url: string;
  kind: MediaKind;
  /** The bytes, when the response was complete and small enough to keep; else the URL is fetched later. */
  body?: Buffer;
  sniffed?: Sniffed;
}

export type RenderOutcome =
  | { ok: true; url: string; html: string; media: CapturedMedia[]; screenshot?: Buffer; scrolls: number; blocked: string[] }
  | { ok: false; url: string; message: string; blocked: string[] };

export class BrowserUnavailableError extends Error {}

export function findChromium(searchPaths: readonly string[] = CHROMIUM_PATHS): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  const candidates = fromEnv ? [fromEnv, ...searchPaths] : [...searchPaths];
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new BrowserUnavailableError(`Chromium was not found (looked in ${candidates.join(', ')}); the browser engine needs it: install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH.`);
  }
  return found;
}

async function requestAllowed(url: string, policy: SsrfPolicy): Promise<boolean> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'data:' || u.protocol === 'blob:') return true;
  if (checkUrl(u, policy)) return false;
  if (isHostAllowed(u.hostname, policy)) return true;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  try {
    const answers = await lookup(host, { all: true });
    return answers.length > 0 && answers.every((a) => classifyAddress(a.address) === 'public');
  } catch {
    return false;
  }
}

export class BrowserEngine {
  private constructor(private readonly browser: Browser) {}

  static async launch(): Promise<BrowserEngine> {
    const executablePath = findChromium();
    try {
      const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
      return new BrowserEngine(browser);
    } catch (err) {
      throw new BrowserUnavailableError(`Chromium at ${executablePath} could not be started: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }

  private async newContext(opts: RenderOptions, blocked: string[]): Promise<BrowserContext> {
    const context = await this.browser.newContext({
      userAgent: `Mozilla/5.0 (X11; Linux x86_64) ${USER_AGENT}`,
      viewport: { width: 1280, height: 900 },
      serviceWorkers: 'block',
      acceptDownloads: false,
      javaScriptEnabled: true,
    });
    const credentialHosts = new Set((opts.credentialHosts ?? []).map((h) => h.toLowerCase()));
    await context.route('**/*', async (route) => {
      const req = route.request();
      if (!(await requestAllowed(req.url(), opts.policy))) {
        blocked.push(req.url());
        return route.abort('blockedbyclient');
      }
      const host = new URL(req.url()).hostname.toLowerCase();
      if (opts.headers && credentialHosts.has(host)) return route.continue({ headers: { ...req.headers(), ...opts.headers } });
      return route.continue();
    });
    return context;
  }

  /** Renders a page, scrolls it to the end of its content, and returns its HTML and the media it loaded. */
  async render(url: string, opts: RenderOptions): Promise<RenderOutcome> {
    const blocked: string[] = [];
    const context = await this.newContext(opts, blocked);
    const media = new Map<string, CapturedMedia>();
    const pending: Array<Promise<void>> = [];
    const maxCapture = opts.maxCaptureBytes ?? 20 * 1024 * 1024;
    try {
      const page = await context.newPage();
      const net = new NetworkWatch(page);
      page.on('response', (resp) => {
        const rurl = resp.url();
        if (!rurl.startsWith('http') || media.has(rurl)) return;
        const headers = resp.headers();
        let kind = mediaKindFromMime(headers['content-type']);
        try {
          kind ??= mediaKindFromUrl(new URL(rurl));
        } catch {
          return;
        }
        if (!kind) return;
        const entry: CapturedMedia = { url: rurl, kind };
        media.set(rurl, entry);
        const size = Number(headers['content-length']);
        // Partial (206) video responses and large files are fetched later in full by the HTTP fetcher.
        if (kind !== 'image' || resp.status() !== 200 || (Number.isFinite(size) && size > maxCapture)) return;
        pending.push(
          resp.body().then(
            (body) => {
              if (body.length <= maxCapture) {
                entry.body = body;
                entry.sniffed = sniff(body);
              }
            },
            () => undefined,
          ),
        );
      });
      let resp;
      try {
        resp = await page.goto(url, { waitUntil: 'load', timeout: opts.navigationTimeoutMs ?? 20_000 });
      } catch (err) {
        return { ok: false, url, message: `The page ${url} could not be loaded in the browser: ${(err as Error).message.split('\n')[0]}`, blocked };
      }
      if (resp && resp.status() >= 400) return { ok: false, url, message: `${url} answered with HTTP status ${resp.status()}.`, blocked };
      await settle(page, net, opts.settleMs ?? 3_000);
      const screenshot = opts.screenshot ? await page.screenshot({ type: 'jpeg', quality: 70 }).catch(() => undefined) : undefined;
      const scrolls = await scrollToEnd(page, net, opts.maxScrolls ?? 20, opts.settleMs ?? 3_000);
      await Promise.all(pending);
      const html = await page.content();
      return { ok: true, url: page.url(), html, media: [...media.values()], ...(screenshot ? { screenshot } : {}), scrolls, blocked };
    } finally {
      await context.close().catch(() => undefined);
    }
  }

  /**
   * Evidence for an alert: a screenshot of the page with the matched media scrolled into view (when it can
   * be found on the page), and the page's HTML at that moment.
   */
  async captureEvidence(pageUrl: string, mediaUrl: string, opts: RenderOptions): Promise<{ screenshot: Buffer; html: string } | { error: string }> {
    const blocked: string[] = [];
    const context = await this.newContext(opts, blocked);
    try {
      const page = await context.newPage();
      const net = new NetworkWatch(page);
      await page.goto(pageUrl, { waitUntil: 'load', timeout: opts.navigationTimeoutMs ?? 20_000 });
      await settle(page, net, opts.settleMs ?? 3_000);
      await page
        .evaluate(`(() => {
          const target = ${JSON.stringify(mediaUrl)};
          const els = Array.from(document.querySelectorAll('img, video, source, a, [style]'));
          const hit = els.find((e) => e.currentSrc === target || e.src === target || e.href === target || (e.getAttribute('style') || '').includes(new URL(target).pathname));
          if (hit) (hit.closest('video') || hit).scrollIntoView({ block: 'center' });
        })()`)
        .catch(() => undefined);
      const screenshot = await page.screenshot({ type: 'jpeg', quality: 70 });
      return { screenshot, html: await page.content() };
    } catch (err) {
      return { error: `The evidence screenshot of ${pageUrl} could not be taken: ${(err as Error).message.split('\n')[0]}` };
    } finally {
      await context.close().catch(() => undefined);
    }
  }
}

/** Counts the page's requests in flight, so waits can end as soon as the network is quiet. */
class NetworkWatch {
  private inFlight = 0;
  private lastChange = Date.now();

  constructor(page: Page) {
    page.on('request', () => this.bump(1));
    page.on('requestfinished', () => this.bump(-1));
    page.on('requestfailed', () => this.bump(-1));
  }

  private bump(d: number) {
    this.inFlight = Math.max(0, this.inFlight + d);
    this.lastChange = Date.now();
  }

  quietFor(ms: number): boolean {
    return this.inFlight === 0 && Date.now() - this.lastChange >= ms;
  }
}

// How long the network must stay idle before a wait ends early. Lazy loaders and infinite lists fire from
// IntersectionObserver callbacks a frame or more after a scroll; on a loaded machine that takes a while.
const QUIET_MS = 400;

/** Polls `check` every 50 ms until it is true, or the network has been quiet for QUIET_MS, or `timeoutMs`. */
async function settle(page: Page, net: NetworkWatch, timeoutMs: number, check?: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check && (await check())) return true;
    if (net.quietFor(QUIET_MS)) return check ? check() : true;
    await page.waitForTimeout(50);
  }
  return check ? check() : false;
}

/**
 * Scrolls down a viewport at a time to the bottom (so IntersectionObserver-based lazy loaders see every
 * element pass), then waits for the page to grow. Stops after a round in which neither the height nor the
 * number of media elements changed before the network went quiet, or after `maxRounds`.
 */
async function scrollToEnd(page: Page, net: NetworkWatch, maxRounds: number, settleMs: number): Promise<number> {
  const measure = `(() => ({ h: document.documentElement.scrollHeight, n: document.querySelectorAll('img, video, picture, a[href]').length }))()`;
  let rounds = 0;
  let unchanged = 0;
  for (; rounds < maxRounds; rounds++) {
    const before = (await page.evaluate(measure)) as { h: number; n: number };
    await page.evaluate(`(async () => {
      for (let i = 0; i < 200 && window.scrollY + window.innerHeight < document.documentElement.scrollHeight; i++) {
        window.scrollBy(0, window.innerHeight);
        await new Promise((r) => requestAnimationFrame(() => r()));
      }
    })()`);
    const grew = await settle(page, net, settleMs, async () => {
      const now = (await page.evaluate(measure)) as { h: number; n: number };
      return now.h > before.h || now.n > before.n;
    });
    // Two quiet rounds in a row end the list: one can be a loader that had not woken up yet.
    if (!grew && ++unchanged >= 2) break;
    if (grew) unchanged = 0;
    await settle(page, net, settleMs);
  }
  return rounds;
}
