/**
 * The media a rendered page loads, taken from its responses as they arrive: images whose response was
 * complete and small enough keep their bytes (no second download), everything else is kept as a URL for
 * the HTTP fetcher. Responses that came from an address the policy refuses are set apart.
 */
import type { Page, Response } from 'playwright-core';
import { sniff } from '../../hashing/sniff.ts';
import { mediaKindFromMime, mediaKindFromUrl } from '../media-types.ts';
import type { SsrfPolicy } from '../ssrf.ts';
import type { Tab } from './context-pool.ts';
import type { CapturedMedia } from './render-types.ts';
import { reachedRefusedAddress } from './request-guard.ts';

export class MediaCapture {
  /** URLs whose response came from a refused address (see reachedRefusedAddress). */
  readonly refused = new Set<string>();
  private readonly pending: Array<Promise<void>> = [];

  private readonly onResponse = (resp: Response) => this.take(resp);

  constructor(
    private readonly page: Page,
    private readonly tab: Tab,
    private readonly policy: SsrfPolicy,
    private readonly maxCapture: number,
  ) {
    page.on('response', this.onResponse);
  }

  dispose(): void {
    this.page.off('response', this.onResponse);
  }

  /** Waits for every body being read, late responses included (`pending` grows while earlier entries settle). */
  async drain(): Promise<void> {
    for (let seen = 0; seen < this.pending.length; ) {
      const upTo = this.pending.length;
      await Promise.all(this.pending.slice(seen, upTo));
      seen = upTo;
    }
  }

  /** The media captured, without what came from a refused address. */
  kept(): CapturedMedia[] {
    return [...this.tab.media.values()].filter((m) => !this.refused.has(m.url));
  }

  private take(resp: Response): void {
    const { media, blocked } = this.tab;
    const rurl = resp.url();
    if (!rurl.startsWith('http')) return;
    this.pending.push(
      reachedRefusedAddress(resp, this.policy).then((bad) => {
        if (bad && !this.refused.has(rurl)) {
          this.refused.add(rurl);
          blocked.push(rurl);
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
    if (kind !== 'image' || resp.status() !== 200 || (Number.isFinite(size) && size > this.maxCapture)) return;
    this.pending.push(
      resp.body().then(
        (body) => {
          if (body.length <= this.maxCapture) {
            entry.body = body;
            entry.sniffed = sniff(body);
          }
        },
        () => undefined,
      ),
    );
  }
}
