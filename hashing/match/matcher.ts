/**
 * The matcher: a bank of reference fingerprints, and for each query fingerprint the references that
 * staydown's default policy would raise an alert for, best first.
 *
 * Candidates come from an exact Hamming index over the references' hashes (so no match can be missed
 * that the policy would accept); the policy for the kind of pair (image/image, video/video,
 * image/video) then decides and explains: which method matched and how strongly.
 */
import { hammingHex } from '../bits.ts';
import { HashIndex } from '../index/index.ts';
import { referenceHashes } from '../reference.ts';
import type { Fingerprint, ImageFingerprint } from '../types.ts';

export interface BankEntry {
  /** The caller's name for the reference (the bank line's `file`, or a material id). */
  ref: string;
  fp: Fingerprint;
}

export interface MatchDecision {
  /** Which technique matched: 'exact-sha256', 'exact-md5', 'pdq', 'pdq-rot90', ... */
  method: string;
  /** Hamming distance in bits of the deciding comparison (0 for exact matches). */
  distance: number;
  [detail: string]: unknown;
}

export interface Match extends MatchDecision {
  ref: string;
}

/** Hashes below this PDQ quality carry too little structure to be trusted (Meta's guidance). */
export const MIN_QUALITY = 50;
/** HMA's and StopNCII's PDQ threshold. */
export const PDQ_RADIUS = 31;

export class ReferenceBank {
  private readonly entries: BankEntry[] = [];
  private readonly bySha = new Map<string, number[]>();
  private readonly byMd5 = new Map<string, number[]>();
  private readonly index = new HashIndex();

  constructor(entries: Iterable<BankEntry> = []) {
    for (const e of entries) this.add(e);
  }

  get size(): number {
    return this.entries.length;
  }

  add(entry: BankEntry): void {
    const id = this.entries.push(entry) - 1;
    push(this.bySha, entry.fp.sha256, id);
    push(this.byMd5, entry.fp.md5, id);
    for (const h of referenceHashes(entry.fp)) {
      if (h.quality >= MIN_QUALITY) this.index.add({ hash: h.hash, materialId: id, view: h.view, frameTime: h.t });
    }
  }

  /** Every reference the default policy alerts on for this query, best first. */
  match(query: Fingerprint): Match[] {
    const found = new Map<number, Match>();
    for (const id of this.bySha.get(query.sha256) ?? []) found.set(id, { ref: this.entries[id].ref, method: 'exact-sha256', distance: 0 });
    for (const id of this.byMd5.get(query.md5) ?? []) if (!found.has(id)) found.set(id, { ref: this.entries[id].ref, method: 'exact-md5', distance: 0 });
    for (const id of this.candidates(query)) {
      if (found.has(id)) continue;
      const m = decide(query, this.entries[id].fp);
      if (m) found.set(id, { ref: this.entries[id].ref, ...m });
    }
    return [...found.values()].sort(byStrength);
  }

  private candidates(query: Fingerprint): Set<number> {
    const probes = probeHashes(query);
    const out = new Set<number>();
    for (const p of probes) for (const hit of this.index.query(p.hash, PDQ_RADIUS)) out.add(hit.materialId);
    return out;
  }
}

function probeHashes(q: Fingerprint): Array<{ hash: string; view: string }> {
  if (q.kind === 'video') return q.frames.filter((f) => f.quality >= MIN_QUALITY).map((f) => ({ hash: f.pdq, view: 'frame' }));
  if (q.pdq.quality < MIN_QUALITY) return [];
  return [{ hash: q.pdq.hash, view: 'orig' }, ...q.views.filter((v) => v.quality >= MIN_QUALITY)];
}

function decide(query: Fingerprint, ref: Fingerprint): MatchDecision | null {
  if (query.kind === 'image' && ref.kind === 'image') return decideImages(query, ref);
  return null;
}

function decideImages(q: ImageFingerprint, r: ImageFingerprint): MatchDecision | null {
  let best: { distance: number; view: string } | null = null;
  for (const p of probeHashes(q)) {
    for (const h of referenceHashes(r)) {
      if (h.quality < MIN_QUALITY) continue;
      const d = hammingHex(p.hash, h.hash);
      if (d <= PDQ_RADIUS && (!best || d < best.distance)) best = { distance: d, view: p.view === 'orig' ? h.view : p.view };
    }
  }
  if (!best) return null;
  return { method: best.view === 'orig' ? 'pdq' : `pdq-${best.view}`, distance: best.distance };
}

function byStrength(a: Match, b: Match): number {
  const ea = a.method.startsWith('exact') ? 0 : 1;
  const eb = b.method.startsWith('exact') ? 0 : 1;
  return ea - eb || a.distance - b.distance || a.ref.localeCompare(b.ref);
}

function push(map: Map<string, number[]>, key: string, id: number): void {
  const list = map.get(key);
  if (list) list.push(id);
  else map.set(key, [id]);
}
