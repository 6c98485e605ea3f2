/**
 * The browser contexts of the sites being rendered, and their pages. One context per site (its policy and
 * headers), reused by every render of that site: a new context per page cost a renderer process start
 * each time. Pages are kept idle between renders, and a context is replaced after a quota of renders.
 * Every request of every page passes the site's SSRF policy (the route handler below).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { USER_AGENT } from '../fetcher.ts';
import { mediaKindFromUrl, type MediaKind } from '../media-types.ts';
import type { CapturedMedia, SiteOptions } from './render-types.ts';
import { requestAllowed, type ResolveHost } from './request-guard.ts';

/** An open page kept between renders of one site (same policy and headers), with what its route handler saw. */
export interface Tab {
  site: SiteContext;
  page: Page;
  /** Requests refused by the SSRF policy during the current render. */
  blocked: string[];
  /** Media requests the page made that were not let through (video/audio streams): their URLs are kept. */
  media: Map<string, CapturedMedia>;
}

/** One browser context of a site and its pages: how many renders it has served, which pages are out. */
interface SiteContext {
  context: Promise<BrowserContext>;
  renders: number;
  busy: number;
  idle: Tab[];
  /** Replaced: takes no more renders and closes once its last busy page is back. */
  retired: boolean;
}

// Resource types extraction never needs: refused before they cost a download or a decode. Video and
// audio streams ('media') are refused too, but their URLs are kept as candidates (the HTTP fetcher
// downloads them in full later, within its caps); images load, since their bytes are captured.
const SKIPPED_TYPES = new Set(['font', 'media', 'texttrack', 'websocket', 'eventsource', 'manifest', 'beacon', 'ping']);

/** Idle pages kept per site between renders (a crawl renders a few pages at once). */
const MAX_IDLE_TABS = 6;

export class ContextPool {
  /** The current context of each site key (policy + headers), with the pages of that site, busy or idle. */
  private readonly contexts = new Map<string, SiteContext>();
  private readonly tabsByPage = new Map<Page, Tab>();
  /** Contexts opened so far (replacements included; for tests and diagnostics). */
  private contextsOpened = 0;

  /** `contextRenders`: renders a site's context serves before it is replaced. */
  constructor(
    private readonly browser: Browser,
    private readonly contextRenders: number,
    private readonly resolve: ResolveHost,
  ) {}

  stats(): { contexts: number; idlePages: number; contextsOpened: number } {
    let idlePages = 0;
    for (const site of this.contexts.values()) idlePages += site.idle.length;
    return { contexts: this.contexts.size, idlePages, contextsOpened: this.contextsOpened };
  }

  /** Forgets every context (the browser is closing, and its contexts with it). */
  clear(): void {
    this.contexts.clear();
    this.tabsByPage.clear();
  }

  /** An idle page of this site, or a new one in the site's context. */
  async take(opts: SiteOptions): Promise<Tab> {
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
  async giveBack(tab: Tab): Promise<void> {
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

  private siteContext(key: string, opts: SiteOptions): SiteContext {
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

  private async newContext(opts: SiteOptions): Promise<BrowserContext> {
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
}
