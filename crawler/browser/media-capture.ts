/**
 * The media a rendered page loads, taken from its responses as they arrive: images whose response was
 * complete and small enough keep their bytes (no second download), everything else is kept as a URL for
 * the HTTP fetcher. What the egress proxy refused (refusal-watch.ts) is left out.
 */
import type { Page, Response } from 'playwright-core';
import { sniff } from '../../hashing/sniff.ts';
import { mediaKindFromMime, mediaKindFromUrl } from '../media-types.ts';
import type { Tab } from './context-pool.ts';
import type { CapturedMedia } from './render-types.ts';

export class MediaCapture {
  private readonly pending: Array<Promise<void>> = [];

  private readonly onResponse = (resp: Response) => this.take(resp);

  constructor(
    private readonly page: Page,
    private readonly tab: Tab,
    private readonly refused: ReadonlySet<string>,
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
    const { media } = this.tab;
    const rurl = resp.url();
    if (!rurl.startsWith('http') || media.has(rurl)) return;
    // A redirect carries no media: what it leads to answers under its own URL (and may be refused there).
    if (resp.status() >= 300 && resp.status() < 400) return;
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
