/**
 * Deciding whether notified content is gone, from what a check observed (pure). Removed means: the media
 * URL answers 404/410 or no longer serves media matching the material, AND the page no longer shows
 * matching media (many boards answer a deleted post with 200 and a "deleted" message, or swap the file
 * for a placeholder). Anything that cannot be told apart from an outage - a timeout, a 5xx, a login wall
 * (401/403, or a page asking for a password), a DNS failure, an address the SSRF guard refuses, media on
 * the page that could not be fetched - is `unknown`: retried, never counted as removed.
 */

/** What fetching the page or the media URL gave. */
export type UrlObservation =
  /** 404 or 410: the server says it is gone. */
  | { kind: 'gone'; status: number }
  /** A page that loaded (2xx). `loginWall`: it asks for a password. */
  | { kind: 'page'; status: number; loginWall: boolean }
  /** Media bytes were served; `matches`: they match the material. */
  | { kind: 'media'; status: number; matches: boolean }
  /** The media URL served something that is not media (an HTML page, a placeholder text). */
  | { kind: 'not-media'; status: number; loginWall: boolean }
  /** Could not tell: timeout, 5xx, 401/403, 429, DNS, refused address, too large... */
  | { kind: 'unknown'; reason: string; status?: number };

/** The media found on the page, re-extracted and each matched against the material. */
export interface PageMediaObservation {
  checked: number;
  matching: number;
  /** Media on the page that could not be fetched or fingerprinted (not counted as "not matching"). */
  unknown: number;
}

export interface RemovalObservations {
  page: UrlObservation;
  media: UrlObservation;
  /** Only when the page loaded. */
  pageMedia?: PageMediaObservation;
}

export type RemovalVerdict = 'removed' | 'present' | 'unknown';

export interface RemovalDecision {
  result: RemovalVerdict;
  reason: string;
}

function unknownWhy(o: UrlObservation, what: string): string | null {
  if (o.kind === 'unknown') return `the ${what} could not be checked (${o.reason})`;
  if ((o.kind === 'page' || o.kind === 'not-media') && o.loginWall) return `the ${what} is behind a login wall`;
  return null;
}

export function decideRemoval(obs: RemovalObservations): RemovalDecision {
  const { page, media, pageMedia } = obs;
  // Matching media anywhere is decisive, whatever else failed: the material is there.
  if (media.kind === 'media' && media.matches) return { result: 'present', reason: 'The media URL still serves media matching the material.' };
  if (page.kind === 'page' && pageMedia && pageMedia.matching > 0) return { result: 'present', reason: `The page still shows ${pageMedia.matching} media matching the material.` };
  const mediaUnknown = unknownWhy(media, 'media URL');
  if (mediaUnknown) return { result: 'unknown', reason: `Not verified: ${mediaUnknown}.` };
  const pageUnknown = unknownWhy(page, 'page');
  if (pageUnknown) return { result: 'unknown', reason: `Not verified: ${pageUnknown}.` };
  if (page.kind === 'media') {
    // The page URL itself serves media (a direct file link): it counts as the page showing it or not.
    if (page.matches) return { result: 'present', reason: 'The page URL serves media matching the material.' };
  } else if (page.kind === 'page') {
    if (!pageMedia) return { result: 'unknown', reason: 'Not verified: the page loaded but its media were not examined.' };
    if (pageMedia.unknown > 0) return { result: 'unknown', reason: `Not verified: ${pageMedia.unknown} of the ${pageMedia.checked} media on the page could not be fetched.` };
  }
  const mediaWhy = media.kind === 'gone' ? `the media URL answers ${media.status}` : media.kind === 'media' ? 'the media URL serves other media (no match)' : 'the media URL no longer serves media';
  const pageWhy = page.kind === 'gone' ? `the page answers ${page.status}` : page.kind === 'page' ? `the page shows no matching media (${pageMedia!.checked} checked)` : page.kind === 'media' ? 'the page URL serves other media' : 'the page no longer serves a page';
  return { result: 'removed', reason: `Removed: ${mediaWhy}, and ${pageWhy}.` };
}

/** A password field, or a form whose action is a login: the page asks to sign in. */
export function looksLikeLoginWall(html: string): boolean {
  return /<input\b[^>]*\btype\s*=\s*["']?password/i.test(html);
}

/** An HTTP status of a failed fetch, as an observation (pure). */
export function observeStatus(status: number | undefined, reason: string): UrlObservation {
  if (status === 404 || status === 410) return { kind: 'gone', status };
  if (status === 401 || status === 403) return { kind: 'unknown', status, reason: `HTTP ${status}: a login wall or a block` };
  if (status !== undefined) return { kind: 'unknown', status, reason: `HTTP ${status}` };
  return { kind: 'unknown', reason };
}
