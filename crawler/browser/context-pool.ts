/**
 * The browser contexts of the sites being rendered, and their pages. One context per site (its policy and
 * headers), reused by every render of that site: a new context per page cost a renderer process start
 * each time. Pages are kept idle between renders, and a context is replaced after a quota of renders.
 *
 * Each context has its own egress proxy (egress-proxy.ts) with the site's policy: every connection the
 * context's pages make is checked there, at connect time. The route handler below refuses early what
 * needs no DNS to refuse (scheme, literal addresses), skips what extraction never needs, and adds the
 * site's headers to requests for the site's own hosts only.
 */
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { startEgressProxy, type EgressProxy, type ResolveHost } from '../egress-proxy.ts';
import { USER_AGENT } from '../fetcher.ts';
import { mediaKindFromUrl, type MediaKind } from '../media-types.ts';
import { checkUrl } from '../ssrf.ts';
import type { CapturedMedia, SiteOptions } from './render-types.ts';

/** An open page kept between renders of one site (same policy and headers), with what its route handler saw. */
export interface Tab {
  site: SiteContext;
  page: Page;
  /** The egress proxy of the tab's context (null when run without one, in tests). */
  proxy: EgressProxy | null;
  /** Requests refused by the SSRF policy during the current render. */
  blocked: string[];
  /** Media requests the page made that were not let through (video/audio streams): their URLs are kept. */
  media: Map<string, CapturedMedia>;
}

/** A site's context and the egress proxy its connections go through (null only when run without, in tests). */
export interface OpenedContext {
  context: BrowserContext;
  proxy: EgressProxy | null;
}

/** One browser context of a site and its pages: how many renders it has served, which pages are out. */
export interface SiteContext {
  opened: Promise<OpenedContext>;
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

/** Chromium's implicit "loopback never goes through the proxy" rule, turned off: loopback is what the guard protects first. */
export const NO_BYPASS = '<-loopback>';

async function closeSite(site: SiteContext): Promise<void> {
  const opened = await site.opened.catch(() => null);
  await opened?.context.close().catch(() => undefined);
  await opened?.proxy?.close();
}

/** The request's headers with the site's added; a site cookie joins the cookies Chromium already sends. */
function withSiteHeaders(request: Record<string, string>, site: Record<string, string>): Record<string, string> {
  const out = { ...request };
  for (const [name, value] of Object.entries(site)) {
    const n = name.toLowerCase();
    out[n] = n === 'cookie' && out.cookie ? `${value}; ${out.cookie}` : value;
  }
  return out;
}

/**
 * Sends a request for one of the site's own hosts with the site's headers. Not `route.continue({ headers })`:
 * Playwright applies continued headers to every redirect the request then follows, whatever its host (a
 * site's Authorization would follow a redirect to a stranger). Fetched here without following redirects
 * (through the context's proxy, so the same guard applies) and handed to the page as its response, a
 * redirect is a new request Chromium makes itself, to which nothing is added.
 */
async function sendWithSiteHeaders(route: Route, headers: Record<string, string>): Promise<void> {
  try {
    const response = await route.fetch({ headers: withSiteHeaders(route.request().headers(), headers), maxRedirects: 0 });
    await route.fulfill({ response });
  } catch {
    await route.abort('failed').catch(() => undefined);
  }
}

export class ContextPool {
  /** The current context of each site key (policy + headers), with the pages of that site, busy or idle. */
  private readonly contexts = new Map<string, SiteContext>();
  private readonly tabsByPage = new Map<Page, Tab>();
  /** Contexts opened so far (replacements included; for tests and diagnostics). */
  private contextsOpened = 0;

  /**
   * `contextRenders`: renders a site's context serves before it is replaced. `egress`: how each context's
   * proxy resolves names (tests stage answers), or false for no proxy at all (only for the tests that
   * show the security tests detect a bypass; never in service).
   */
  constructor(
    private readonly browser: Browser,
    private readonly contextRenders: number,
    private readonly egress: { resolve?: ResolveHost } | false,
  ) {}

  stats(): { contexts: number; idlePages: number; contextsOpened: number } {
    let idlePages = 0;
    for (const site of this.contexts.values()) idlePages += site.idle.length;
    return { contexts: this.contexts.size, idlePages, contextsOpened: this.contextsOpened };
  }

  /** Forgets every context and closes their proxies (the browser is closing, and its contexts with it). */
  async closeAll(): Promise<void> {
    const sites = new Set([...this.contexts.values(), ...[...this.tabsByPage.values()].map((t) => t.site)]);
    this.contexts.clear();
    this.tabsByPage.clear();
    await Promise.all([...sites].map(async (s) => (await s.opened.catch(() => null))?.proxy?.close()));
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
      const { context, proxy } = await site.opened;
      const page = await context.newPage();
      const tab: Tab = { site, page, proxy, blocked: [], media: new Map() };
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
      if (site.busy === 0) await closeSite(site);
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
      const created: SiteContext = { opened: this.open(opts), renders: 0, busy: 0, idle: [], retired: false };
      this.contextsOpened++;
      this.contexts.set(key, created);
      created.opened.catch(() => {
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
    if (site.busy === 0) void closeSite(site);
  }

  private async open(opts: SiteOptions): Promise<OpenedContext> {
    const proxy = this.egress ? await startEgressProxy({ policy: opts.policy, ...(this.egress.resolve ? { resolve: this.egress.resolve } : {}) }) : null;
    try {
      const context = await this.browser.newContext({
        userAgent: `Mozilla/5.0 (X11; Linux x86_64) ${USER_AGENT}`,
        viewport: { width: 1280, height: 900 },
        serviceWorkers: 'block',
        acceptDownloads: false,
        javaScriptEnabled: true,
        ...(proxy ? { proxy: { server: proxy.server, bypass: NO_BYPASS } } : {}),
      });
      await context.route('**/*', (route) => this.onRequest(route, opts));
      return { context, proxy };
    } catch (err) {
      await proxy?.close();
      throw err;
    }
  }

  private async onRequest(route: Route, opts: SiteOptions): Promise<void> {
    const req = route.request();
    let tab: Tab | undefined;
    try {
      tab = this.tabsByPage.get(req.frame().page());
    } catch {
      // A request with no frame (none are expected: service workers are blocked) is still checked.
    }
    let url: URL;
    try {
      url = new URL(req.url());
    } catch {
      return route.abort('blockedbyclient');
    }
    if (url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    // What needs no DNS to refuse is refused here, before it costs a connection; the rest is the proxy's.
    if (checkUrl(url, opts.policy)) {
      tab?.blocked.push(req.url());
      return route.abort('blockedbyclient');
    }
    const type = req.resourceType();
    if (SKIPPED_TYPES.has(type)) {
      if (type === 'media' && tab) {
        const kind: MediaKind = mediaKindFromUrl(url) ?? 'video';
        if (!tab.media.has(req.url())) tab.media.set(req.url(), { url: req.url(), kind });
      }
      return route.abort('blockedbyclient');
    }
    const credentialHosts = (opts.credentialHosts ?? []).map((h) => h.toLowerCase());
    if (opts.headers && credentialHosts.includes(url.hostname.toLowerCase())) return sendWithSiteHeaders(route, opts.headers);
    return route.continue();
  }
}
