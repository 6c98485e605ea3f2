/**
 * The browser engine: the Playwright adapter (this file and crawler/browser/ are the only modules that
 * import playwright-core). It drives Debian's Chromium to render pages that build themselves with
 * JavaScript, scrolls infinite lists until nothing new arrives (bounded), lets lazy loaders fire, and
 * captures the media responses the page itself makes. Every connection Chromium makes passes the same
 * SSRF guard as the HTTP engine, at connect time: it goes through an egress proxy of ours (one per site
 * context, with the site's policy; egress-proxy.ts) that resolves the name and connects only to the
 * vetted address - redirects, frames, WebSockets and DNS rebinding included. Anything outside a site's
 * context goes to a browser-wide proxy that refuses everything. A site's headers go only to its own hosts.
 *
 * Parts: chromium.ts (which binary, which switches), context-pool.ts (a context and a proxy per site,
 * pages reused, headers), refusal-watch.ts (what the proxy refused), media-capture.ts (media from
 * responses), page-settle.ts (waits).
 */
import type { Browser } from 'playwright-core';
import { BrowserUnavailableError, CHROMIUM_ARGS, findChromium } from './browser/chromium.ts';
import { ContextPool, NO_BYPASS } from './browser/context-pool.ts';
import { MediaCapture } from './browser/media-capture.ts';
import { NetworkWatch, scrollToEnd, settle } from './browser/page-settle.ts';
import { RefusalWatch } from './browser/refusal-watch.ts';
import type { RenderOptions, RenderOutcome } from './browser/render-types.ts';
import { startEgressProxy, type EgressProxy, type ResolveHost } from './egress-proxy.ts';

export { BrowserUnavailableError, findChromium } from './browser/chromium.ts';
export type { CapturedMedia, RenderOptions, RenderOutcome, SiteOptions } from './browser/render-types.ts';
export type { ResolveHost } from './egress-proxy.ts';

/**
 * A site's context is replaced after this many renders: Chromium keeps every image a context loaded in
 * its in-memory cache, so over a long crawl one context grew the renderer past a gigabyte. A new
 * context costs one renderer start (~0.2 s); the old one closes when its last page is given back.
 */
const CONTEXT_RENDERS = 100;

export interface LaunchOptions {
  /** The Chromium binary (configuration's CHROMIUM_PATH); default: Debian's chromium package. */
  executablePath?: string;
  /** Renders a site's context serves before it is replaced (default CONTEXT_RENDERS). */
  contextRenders?: number;
  /** For tests: how the egress proxies resolve names (a staged DNS answer). */
  resolve?: ResolveHost;
  /** For tests: extra Chromium switches. */
  extraArgs?: string[];
  /**
   * For tests only, never in service: false runs Chromium without the egress proxy, so that the security
   * tests can show they detect a bypass (the guard then sees only the URLs a page asks for itself).
   */
  egressProxy?: boolean;
}

function refusedPage(url: string, reason: string, blocked: string[]): RenderOutcome {
  return { ok: false, url, message: `The page ${url} was refused by the SSRF guard: ${reason}`, blocked };
}

export class BrowserEngine {
  private constructor(
    private readonly browser: Browser,
    private readonly pool: ContextPool,
    private readonly fallbackProxy: EgressProxy | null,
  ) {}

  static async launch(opts: LaunchOptions = {}): Promise<BrowserEngine> {
    const executablePath = findChromium({ executablePath: opts.executablePath });
    const egress = opts.egressProxy !== false;
    // Every context gets its site's proxy; this one catches whatever Chromium might send outside them.
    const fallbackProxy = egress ? await startEgressProxy({ policy: { allowHosts: [] }, refuseAll: 'No site context: the browser-wide proxy lets nothing out.' }) : null;
    try {
      // Loaded here, not at the top: playwright-core takes ~0.9 s to load, which every verb that
      // only imports this module (to name the type, or to launch later) would pay at start.
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath,
        args: [...CHROMIUM_ARGS, ...(opts.extraArgs ?? [])],
        headless: true,
        ...(fallbackProxy ? { proxy: { server: fallbackProxy.server, bypass: NO_BYPASS } } : {}),
      });
      const pool = new ContextPool(browser, Math.max(1, opts.contextRenders ?? CONTEXT_RENDERS), egress ? { ...(opts.resolve ? { resolve: opts.resolve } : {}) } : false);
      return new BrowserEngine(browser, pool, fallbackProxy);
    } catch (err) {
      await fallbackProxy?.close();
      throw new BrowserUnavailableError(`Chromium at ${executablePath} could not be started: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
  }

  /** Open site contexts and the idle pages kept for reuse (for tests and diagnostics). */
  stats(): { contexts: number; idlePages: number; contextsOpened: number } {
    return this.pool.stats();
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    await this.pool.closeAll();
    await this.fallbackProxy?.close();
  }

  /** Renders a page, scrolls it to the end of its content, and returns its HTML and the media it loaded. */
  async render(url: string, opts: RenderOptions): Promise<RenderOutcome> {
    const tab = await this.pool.take(opts);
    const { page } = tab;
    const net = new NetworkWatch(page);
    const refusals = new RefusalWatch(page, tab);
    const capture = new MediaCapture(page, tab, refusals.refused, opts.maxCaptureBytes ?? 20 * 1024 * 1024);
    try {
      let resp;
      try {
        resp = await page.goto(url, { waitUntil: 'load', timeout: opts.navigationTimeoutMs ?? 20_000 });
      } catch (err) {
        if (refusals.pageRefusal) return refusedPage(url, refusals.pageRefusal, tab.blocked);
        return { ok: false, url, message: `The page ${url} could not be loaded in the browser: ${(err as Error).message.split('\n')[0]}`, blocked: tab.blocked };
      }
      if (refusals.pageRefusal) return refusedPage(url, refusals.pageRefusal, tab.blocked);
      if (resp && resp.status() >= 400) return { ok: false, url, message: `${url} answered with HTTP status ${resp.status()}.`, blocked: tab.blocked };
      await settle(page, net, opts.settleMs ?? 3_000);
      const screenshot = opts.screenshot ? await page.screenshot({ type: 'jpeg', quality: 70 }).catch(() => undefined) : undefined;
      const scrolls = await scrollToEnd(page, net, opts.maxScrolls ?? 20, opts.settleMs ?? 3_000);
      await capture.drain();
      // A script that navigated the page to a refused address after it loaded.
      if (refusals.pageRefusal) return refusedPage(url, refusals.pageRefusal, tab.blocked);
      const html = await page.content();
      return { ok: true, url: page.url(), html, media: capture.kept(), ...(screenshot ? { screenshot } : {}), scrolls, blocked: tab.blocked };
    } finally {
      capture.dispose();
      refusals.dispose();
      net.dispose();
      await this.pool.giveBack(tab);
    }
  }

  /**
   * Evidence for an alert: a screenshot of the page with the matched media scrolled into view (when it can
   * be found on the page), and the page's HTML at that moment.
   */
  async captureEvidence(pageUrl: string, mediaUrl: string, opts: RenderOptions): Promise<{ screenshot: Buffer; html: string } | { error: string }> {
    const tab = await this.pool.take(opts);
    const { page } = tab;
    const net = new NetworkWatch(page);
    const refusals = new RefusalWatch(page, tab);
    const refused = () => ({ error: `The evidence screenshot of ${pageUrl} was not taken: the SSRF guard refused the page (${refusals.pageRefusal})` });
    try {
      await page.goto(pageUrl, { waitUntil: 'load', timeout: opts.navigationTimeoutMs ?? 20_000 }).catch((err: unknown) => {
        if (!refusals.pageRefusal) throw err;
      });
      if (refusals.pageRefusal) return refused();
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
      refusals.dispose();
      net.dispose();
      await this.pool.giveBack(tab);
    }
  }
}
