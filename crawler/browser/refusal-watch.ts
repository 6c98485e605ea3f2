/**
 * Which of a page's requests the egress proxy refused, told apart from the page's own failures: a refused
 * plain-HTTP request comes back as the proxy's 403 with its marker header; a refused tunnel (HTTPS,
 * WebSocket) fails, and the proxy has recorded its host:port. Redirects included: the proxy sees the
 * redirected request as a new one, and Playwright reports the response or failure under its URL.
 */
import type { Page, Request, Response } from 'playwright-core';
import { authorityOf, REFUSED_HEADER } from '../egress-proxy.ts';
import type { Tab } from './context-pool.ts';

export class RefusalWatch {
  /** URLs the proxy refused during this render. */
  readonly refused = new Set<string>();
  /** Why the page itself (its main-frame navigation, after any redirects) was refused, if it was. */
  pageRefusal: string | null = null;

  private readonly onResponse = (resp: Response) => {
    if (resp.headers()[REFUSED_HEADER]) this.mark(resp.request());
  };
  private readonly onFailed = (req: Request) => {
    if (this.reasonFor(req.url())) this.mark(req);
  };

  constructor(
    private readonly page: Page,
    private readonly tab: Tab,
  ) {
    page.on('response', this.onResponse);
    page.on('requestfailed', this.onFailed);
  }

  dispose(): void {
    this.page.off('response', this.onResponse);
    this.page.off('requestfailed', this.onFailed);
  }

  private reasonFor(url: string): string | undefined {
    try {
      return this.tab.proxy?.refusedAuthority(authorityOf(url));
    } catch {
      return undefined;
    }
  }

  private mark(req: Request): void {
    const url = req.url();
    if (this.refused.has(url)) return;
    this.refused.add(url);
    this.tab.blocked.push(url);
    let mainFrame = false;
    try {
      mainFrame = req.isNavigationRequest() && req.frame() === this.page.mainFrame();
    } catch {
      // no frame: not the page itself
    }
    if (mainFrame) this.pageRefusal = this.reasonFor(url) ?? 'the SSRF guard refused the connection';
  }
}
