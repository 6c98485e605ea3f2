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
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { checkUrl, classifyAddress, isHostAllowed, type SsrfPolicy } from './ssrf.ts';
import { mediaKindFromMime, mediaKindFromUrl, type MediaKind } from './media-types.ts';
import { sniff, type Sniffed } from '../hashing/sniff.ts';
import { USER_AGENT } from './fetcher.ts';

const CHROMIUM_PATHS = ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser'];
// STACK.md: these flags make Debian's Chromium start quietly and fast as root in a container. The last
// two keep its memory down: renderers shared by the pages of a crawl (at most two processes), and the
// GPU process (software only here) folded into the browser process. Measured on bench:crawl (60 pages,
// 4 at a time): Chromium's summed RSS 1.57 GB -> 1.17 GB, PSS 650 -> 566 MB, the same pages/s.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--mute-audio', '--renderer-process-limit=2', '--in-process-gpu', '--disable-features=BackForwardCache'];

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

/** Name resolution for the SSRF pre-check (tests substitute one to stage a DNS rebinding). */
export type ResolveHost = (host: string) => Promise<Array<{ address: string }>>;
const systemResolve: ResolveHost = (host) => lookup(host, { all: true });

/**
 * True when a response came from an address the policy refuses: Chromium resolves names itself, after
 * the pre-check, so a name that answered with a public address to us and a private one to Chromium (DNS
 * rebinding) is caught here, from the address Chromium actually connected to. The request has been sent
 * by then; what it brought back is thrown away and the URL reported as blocked.
 */
async function reachedRefusedAddress(resp: Response, policy: SsrfPolicy): Promise<boolean> {
  let host: string;
  try {
    host = new URL(resp.url()).hostname;
  } catch {
    return false;
  }
  if (isHostAllowed(host, policy)) return false;
  const addr = await resp.serverAddr().catch(() => null);
  return addr !== null && classifyAddress(addr.ipAddress) !== 'public';
}

function refusedPage(url: string, blocked: string[]): RenderOutcome {
  return { ok: false, url, message: `The page ${url} was refused: its host resolved to a private or reserved address when the browser connected, which the site's policy does not allow.`, blocked };
}

async function requestAllowed(url: string, policy: SsrfPolicy, resolve: ResolveHost): Promise<boolean> {
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
    const answers = await resolve(host);
    return answers.length > 0 && answers.every((a) => classifyAddress(a.address) === 'public');
  } catch {
    return false;
  }
}

/** An open page kept between renders of one site (same policy and headers), with what its route handler saw. */
interface Tab {
  site: SiteContext;
  page: Page;
  /** Requests refused by the SSRF policy during the current render. */
  blocked: string[];
  /** Media requests the page made that were not let through (video/audio streams): their URLs are kept. */
  media: Map<string, CapturedMedia>;
}

// Resource types extraction never needs: refused before they cost a download or a decode. Video and
// audio streams ('media') are refused too, but their URLs are kept as candidates (the HTTP fetcher
// downloads them in full later, within its caps); images load, since their bytes are captured.
const SKIPPED_TYPES = new Set(['font', 'media', 'texttrack', 'websocket', 'eventsource', 'manifest', 'beacon', 'ping']);

/** Idle pages kept per site between renders (a crawl renders a few pages at once). */
const MAX_IDLE_TABS = 6;

/**
 * A site's context is replaced after this many renders: Chromium keeps every image a context loaded in
 * its in-memory cache, so over a long crawl one context grew the renderer past a gigabyte. A new
 * context costs one renderer start (~0.2 s); the old one closes when its last page is given back.
 */
const CONTEXT_RENDERS = 100;

/** One browser context of a site and its pages: how many renders it has served, which pages are out. */
interface SiteContext {
  context: Promise<BrowserContext>;
  renders: number;
  busy: number;
  idle: Tab[];
  /** Replaced: takes no more renders and closes once its last busy page is back. */
  retired: boolean;
}

export class BrowserEngine {
  /** The current context of each site key (policy + headers), with the pages of that site, busy or idle. */
  private readonly contexts = new Map<string, SiteContext>();
  private readonly tabsByPage = new Map<Page, Tab>();
  /** Contexts opened so far (replacements included; for tests and diagnostics). */
  private contextsOpened = 0;

  private constructor(
    private readonly browser: Browser,
    private readonly contextRenders: number,
    private readonly resolve: ResolveHost,
  ) {}

  /**
   * `contextRenders`: renders a site's context serves before it is replaced (default CONTEXT_RENDERS).
   * `resolve` and `extraArgs` are for tests (a staged DNS answer for the pre-check, Chromium switches).
   */
  static async launch(opts: { contextRenders?: number; resolve?: ResolveHost; extraArgs?: string[] } = {}): Promise<BrowserEngine> {
    const executablePath = findChromium();
    try {
      const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...(opts.extraArgs ?? [])], headless: true });
      return new BrowserEngine(browser, Math.max(1, opts.contextRenders ?? CONTEXT_RENDERS), opts.resolve ?? systemResolve);
    } catch (err) {
      throw new BrowserUnavailableError(`Chromium at ${executablePath} could not be started: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
  }

  /** Open site contexts and the idle pages kept for reuse (for tests and diagnostics). */
  stats(): { contexts: number; idlePages: number; contextsOpened: number } {
    let idlePages = 0;
    for (const site of this.contexts.values()) idlePages += site.idle.length;
    return { contexts: this.contexts.size, idlePages, contextsOpened: this.contextsOpened };
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    this.contexts.clear();
    this.tabsByPage.clear();
  }

  /**
   * One browser context per site key, reused by every render of that site: a new context per page cost a
   * renderer process start each time. Every request of every page in it passes the SSRF check.
   */
  private siteContext(key: string, opts: RenderOptions): SiteContext {
    let site = this.contexts.get(key);
    if (site && site.renders >= this.contextRenders) {
      this.retire(key, site);
      site = undefined;
    }
    if (!site) {
      const created: SiteContext = { context: this.newContext(opts), renders: 0, busy: 0, idle: [], retired: false };
      this.contextsOpened++;
      this.contexts.set(key, created);
      created.context.catch(() => {
        if (this.contexts.get(key) === created) this.contexts.delete(key);
      });
      site = created;
    }
    return site;
  }

  /** Takes a context out of service: its idle pages close now, the context once no page of it is out. */
  private retire(key: string, site: SiteContext): void {
    site.retired = true;
    if (this.contexts.get(key) === site) this.contexts.delete(key);
    for (const tab of site.idle.splice(0)) this.tabsByPage.delete(tab.page);
    if (site.busy === 0) void site.context.then((c) => c.close()).catch(() => undefined);
  }

  private async newContext(opts: RenderOptions): Promise<BrowserContext> {
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
      let tab: Tab | undefined;
      try {
        tab = this.tabsByPage.get(req.frame().page());
      } catch {
        // A request with no frame (none are expected: service workers are blocked) is still checked.
      }
      if (!(await requestAllowed(req.url(), opts.policy, this.resolve))) {
        tab?.blocked.push(req.url());
        return route.abort('blockedbyclient');
      }
      const type = req.resourceType();
      if (SKIPPED_TYPES.has(type)) {
        if (type === 'media' && tab && req.url().startsWith('http')) {
          let kind: MediaKind = 'video';
          try {
            kind = mediaKindFromUrl(new URL(req.url())) ?? 'video';
          } catch {
            // keep 'video'
          }
          if (!tab.media.has(req.url())) tab.media.set(req.url(), { url: req.url(), kind });
        }
        return route.abort('blockedbyclient');
      }
      const host = new URL(req.url()).hostname.toLowerCase();
      if (opts.headers && credentialHosts.has(host)) return route.continue({ headers: { ...req.headers(), ...opts.headers } });
      return route.continue();
    });
    return context;
  }

  /** An idle page of this site, or a new one in the site's context. */
  private async takeTab(opts: RenderOptions): Promise<Tab> {
    const key = JSON.stringify([opts.policy, opts.headers ?? null, opts.credentialHosts ?? null]);
    const site = this.siteContext(key, opts);
    site.renders++;
    site.busy++;
    const idle = site.idle.pop();
    if (idle) {
      idle.blocked = [];
      idle.media = new Map();
      return idle;
    }
    try {
      const page = await (await site.context).newPage();
      const tab: Tab = { site, page, blocked: [], media: new Map() };
      this.tabsByPage.set(page, tab);
      return tab;
    } catch (err) {
      site.busy--;
      throw err;
    }
  }

  /**
   * Puts a page back for the next render of its site, once it has left the last one (about:blank stops
   * whatever the last page was still loading, so nothing of it reaches the next render).
   */
  private async giveBack(tab: Tab): Promise<void> {
    const { site } = tab;
    // A page of a retired context is not cleaned for reuse: it closes with its context.
    let healthy = !site.retired && !tab.page.isClosed();
    if (healthy) {
      try {
        await tab.page.goto('about:blank', { timeout: 5_000 });
      } catch {
        healthy = false;
      }
    }
    site.busy--;
    if (site.retired) {
      // Retired before or while this page was leaving its last render.
      this.tabsByPage.delete(tab.page);
      if (site.busy === 0) await (await site.context).close().catch(() => undefined);
      return;
    }
    if (healthy && site.idle.length < MAX_IDLE_TABS) {
      site.idle.push(tab);
      return;
    }
    this.tabsByPage.delete(tab.page);
    await tab.page.close().catch(() => undefined);
  }

  /** Renders a page, scrolls it to the end of its content, and returns its HTML and the media it loaded. */
  async render(url: string, opts: RenderOptions): Promise<RenderOutcome> {
    const tab = await this.takeTab(opts);
    const { page } = tab;
    const media = tab.media;
    const pending: Array<Promise<void>> = [];
    const maxCapture = opts.maxCaptureBytes ?? 20 * 1024 * 1024;
    const net = new NetworkWatch(page);
    // URLs whose response came from a refused address (see reachedRefusedAddress).
    const refused = new Set<string>();
    const onResponse = (resp: Response) => {
      const rurl = resp.url();
      if (!rurl.startsWith('http')) return;
      pending.push(
        reachedRefusedAddress(resp, opts.policy).then((bad) => {
          if (bad && !refused.has(rurl)) {
            refused.add(rurl);
            tab.blocked.push(rurl);
          }
        }),
      );
      if (media.has(rurl)) return;
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
    };
    page.on('response', onResponse);
    try {
      let resp;
      try {
        resp = await page.goto(url, { waitUntil: 'load', timeout: opts.navigationTimeoutMs ?? 20_000 });
      } catch (err) {
        return { ok: false, url, message: `The page ${url} could not be loaded in the browser: ${(err as Error).message.split('\n')[0]}`, blocked: tab.blocked };
      }
      if (resp && (await reachedRefusedAddress(resp, opts.policy))) return refusedPage(url, tab.blocked);
      if (resp && resp.status() >= 400) return { ok: false, url, message: `${url} answered with HTTP status ${resp.status()}.`, blocked: tab.blocked };
      await settle(page, net, opts.settleMs ?? 3_000);
      const screenshot = opts.screenshot ? await page.screenshot({ type: 'jpeg', quality: 70 }).catch(() => undefined) : undefined;
      const scrolls = await scrollToEnd(page, net, opts.maxScrolls ?? 20, opts.settleMs ?? 3_000);
      // `pending` grows while earlier entries settle (late responses); wait until it stops growing.
      for (let seen = 0; seen < pending.length; ) {
        const upTo = pending.length;
        await Promise.all(pending.slice(seen, upTo));
        seen = upTo;
      }
      if (refused.has(page.url())) return refusedPage(url, tab.blocked);
      const html = await page.content();
      const kept = [...media.values()].filter((m) => !refused.has(m.url));
      return { ok: true, url: page.url(), html, media: kept, ...(screenshot ? { screenshot } : {}), scrolls, blocked: tab.blocked };
    } finally {
      page.off('response', onResponse);
      net.dispose();
      await this.giveBack(tab);
    }
  }

  /**
   * Evidence for an alert: a screenshot of the page with the matched media scrolled into view (when it can
   * be found on the page), and the page's HTML at that moment.
   */
  async captureEvidence(pageUrl: string, mediaUrl: string, opts: RenderOptions): Promise<{ screenshot: Buffer; html: string } | { error: string }> {
    const tab = await this.takeTab(opts);
    const { page } = tab;
    const net = new NetworkWatch(page);
    try {
      const resp = await page.goto(pageUrl, { waitUntil: 'load', timeout: opts.navigationTimeoutMs ?? 20_000 });
      if (resp && (await reachedRefusedAddress(resp, opts.policy))) {
        return { error: `The evidence screenshot of ${pageUrl} was not taken: its host resolved to a private or reserved address when the browser connected.` };
      }
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
      net.dispose();
      await this.giveBack(tab);
    }
  }
}

/** Counts the page's requests in flight, so waits can end as soon as the network is quiet. */
class NetworkWatch {
  private inFlight = 0;
  private lastChange = Date.now();

  private readonly up = () => this.bump(1);
  private readonly down = () => this.bump(-1);

  constructor(private readonly page: Page) {
    page.on('request', this.up);
    page.on('requestfinished', this.down);
    page.on('requestfailed', this.down);
  }

  dispose(): void {
    this.page.off('request', this.up);
    this.page.off('requestfinished', this.down);
    this.page.off('requestfailed', this.down);
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
