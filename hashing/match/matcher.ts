/**
 * The matcher: a bank of reference fingerprints, and for each query fingerprint the references that
 * staydown's default policy would raise an alert for, best first.
 *
 * Candidates come from an exact Hamming index over the references' hashes (so no match can be missed
 * that the policy would accept); the policy for the kind of pair (image/image, video/video,
 * image/video) then decides and explains: which method matched and how strongly.
 */
import { HashIndex } from '../index/index.ts';
import { referenceHashes } from '../reference.ts';
import type { Fingerprint } from '../types.ts';
import { CANDIDATE_RADIUS, decideMatch, MIN_QUALITY, probeHashes, type MatchDecision } from './policy.ts';

export { MIN_QUALITY, type MatchDecision };

export interface BankEntry {
  /** The caller's name for the reference (the bank line's `file`, or a material id). */
  ref: string;
  fp: Fingerprint;
}

export interface Match extends MatchDecision {
  ref: string;
}

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
      const m = decideMatch(query, this.entries[id].fp);
      if (m) found.set(id, { ref: this.entries[id].ref, ...m });
    }
    return [...found.values()].sort(byStrength);
  }

  private candidates(query: Fingerprint): Set<number> {
    const probes = probeHashes(query);
    const out = new Set<number>();
    for (const p of probes) for (const hit of this.index.query(p.hash, CANDIDATE_RADIUS)) out.add(hit.materialId);
    return out;
  }
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
