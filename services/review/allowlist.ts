/**
 * The per-material allowlist: media a reviewer rejected as "not this material", so the same false
 * candidate - and any re-encoded, resized or mirrored copy of it - never alerts for that material again.
 *
 * What is stored for a rejected candidate: its SHA-256 and its whole-picture PDQ hashes (the image's, or
 * each frame's of a video or animation). What a new match is compared with: every hash the matcher
 * probes it with (PDQ, its views - mirrors, turns, trims - and its frames), each within PDQ's 31 bits of
 * a stored hash. Views are taken on one side only: comparing views with views would widen the allowlist
 * to pictures that merely share a crop with the candidate.
 *
 * The allowlist never hides the registered bytes themselves: an exact SHA-256/MD5 match always alerts,
 * and such a match cannot be allowlisted (reject.ts says so).
 */
import { hamming, hexToWords } from '../../hashing/bits.ts';
import { MIN_QUALITY, PDQ_RADIUS, probeHashes } from '../../hashing/match/policy.ts';
import type { Fingerprint } from '../../hashing/types.ts';
import { allowlistVersion, selectAllowlist } from '../../db/queries/material-allowlist.ts';
import type { Sql } from '../../db/sql.ts';

/** The hashes kept for a rejected candidate: its whole pictures (image or frames), trusted quality only. */
export function allowlistHashes(fp: Fingerprint): string[] {
  const hashes = fp.kind === 'video'
    ? fp.frames.filter((f) => f.quality >= MIN_QUALITY).map((f) => f.pdq)
    : [...(fp.pdq.quality >= MIN_QUALITY ? [fp.pdq.hash] : []), ...(fp.frames ?? []).filter((f) => f.quality >= MIN_QUALITY).map((f) => f.pdq)];
  return [...new Set(hashes)];
}

export interface AllowlistEntry {
  sha256: string;
  pdq: string[];
}

/** Parsed once per entry set: a filter compares every matched media against it. */
export interface ParsedAllowlist {
  sha256: Set<string>;
  words: Uint32Array[];
}

export function parseAllowlist(entries: readonly AllowlistEntry[]): ParsedAllowlist {
  return { sha256: new Set(entries.map((e) => e.sha256)), words: entries.flatMap((e) => e.pdq.map((h) => hexToWords(h))) };
}

/** Whether `fp` is an allowlisted candidate (or a near copy of one). Pure. */
export function allowlistCovers(fp: Fingerprint, list: ParsedAllowlist): boolean {
  if (list.sha256.has(fp.sha256)) return true;
  if (list.words.length === 0) return false;
  for (const probe of probeHashes(fp)) {
    // The block hash is probed too, but it is not a PDQ: it is never compared with PDQ hashes.
    if (probe.view === 'blockhash') continue;
    const w = hexToWords(probe.hash);
    for (const a of list.words) if (hamming(w, a) <= PDQ_RADIUS) return true;
  }
  return false;
}

/** A match as the crawl sees it; only these fields matter here. */
export interface HitLike {
  materialId: string;
  method: string;
}

export interface AllowlistFilter {
  /** The hits that still alert: those whose material does not allowlist `fp`. */
  filter<H extends HitLike>(fp: Fingerprint, hits: H[]): Promise<H[]>;
}

/**
 * The allowlist read from the database, cached by material. One small query per call that has hits (the
 * allowlist's version: a new entry anywhere, from any process, empties the cache) plus one for materials
 * not cached yet. Matches are rare, so this costs nothing on the crawl's common path.
 */
export function createAllowlistFilter(sql: Sql, opts: { onSuppressed?: (hit: HitLike, fp: Fingerprint) => void } = {}): AllowlistFilter {
  const cache = new Map<string, ParsedAllowlist>();
  let version = -1;
  return {
    async filter(fp, hits) {
      const candidates = hits.filter((h) => !h.method.startsWith('exact'));
      if (candidates.length === 0) return hits;
      const v = await allowlistVersion(sql);
      if (v !== version) {
        cache.clear();
        version = v;
      }
      if (v === 0) return hits;
      const missing = [...new Set(candidates.map((h) => h.materialId))].filter((id) => !cache.has(id));
      if (missing.length > 0) {
        const rows = await selectAllowlist(sql, missing);
        for (const id of missing) cache.set(id, parseAllowlist(rows.filter((r) => r.material_id === id)));
      }
      return hits.filter((h) => {
        if (h.method.startsWith('exact')) return true;
        const list = cache.get(h.materialId);
        if (list && allowlistCovers(fp, list)) {
          opts.onSuppressed?.(h, fp);
          return false;
        }
        return true;
      });
    },
  };
}

/** A crawl matcher whose hits pass the allowlist first. */
export function withAllowlist<H extends HitLike>(matcher: { match(fp: Fingerprint): Promise<H[]> }, allowlist: AllowlistFilter): { match(fp: Fingerprint): Promise<H[]> } {
  return { match: async (fp) => allowlist.filter(fp, await matcher.match(fp)) };
}
