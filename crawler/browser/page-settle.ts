/**
 * Waiting for a rendered page to finish what it started, without fixed sleeps: a count of the page's
 * requests in flight ends each wait as soon as the network is quiet, and the scroll loop stops once the
 * page stops growing.
 */
import type { Page } from 'playwright-core';

/** Counts the page's requests in flight, so waits can end as soon as the network is quiet. */
export class NetworkWatch {
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
export async function settle(page: Page, net: NetworkWatch, timeoutMs: number, check?: () => Promise<boolean>): Promise<boolean> {
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
export async function scrollToEnd(page: Page, net: NetworkWatch, maxRounds: number, settleMs: number): Promise<number> {
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
