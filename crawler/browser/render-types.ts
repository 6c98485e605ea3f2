/** What the browser engine is asked and what it answers, in the crawler's own types (no Playwright types). */
import type { MediaKind } from '../media-types.ts';
import type { Sniffed } from '../../hashing/sniff.ts';
import type { SsrfPolicy } from '../ssrf.ts';

/** What a site's pages share: one browser context per distinct set of these. */
export interface SiteOptions {
  policy: SsrfPolicy;
  /** Extra headers for the site's own hosts (cookies of a logged-in area). */
  headers?: Record<string, string>;
  credentialHosts?: readonly string[];
}

export interface RenderOptions extends SiteOptions {
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
