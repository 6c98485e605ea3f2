/**
 * Which hashes of a registered fingerprint go into the match index. The query side computes the
 * dihedral variants, the small-rotation views and the mirrored border/screenshot views of what it finds
 * (see match/image-policy.ts `queryProbeHashes`), so the reference needs only its plain hash and the
 * views that cannot be derived from a query: crops of the reference, the reference without its own
 * borders, the whole-image area-resampled hash.
 */
import { isHash256 } from './bits.ts';
import { DIHEDRALS } from './pdq-hasher.ts';
import type { Fingerprint } from './types.ts';
import { isQueryOnlyView } from './robust-views.ts';

export interface ReferenceHash {
  hash: string;
  /** 'orig' for the plain PDQ, a view label, or 'frame' for a video/animation frame. */
  view: string;
  /** Seconds from the start, for frames. */
  t?: number;
  quality: number;
}

const DERIVABLE = new Set<string>(DIHEDRALS);

export function referenceHashes(fp: Fingerprint): ReferenceHash[] {
  const out: ReferenceHash[] = [];
  const seen = new Set<string>();
  const push = (h: ReferenceHash) => {
    const key = `${h.view}:${h.hash}`;
    if (!isHash256(h.hash) || seen.has(key)) return;
    seen.add(key);
    out.push(h);
  };
  if (fp.kind === 'image') {
    push({ hash: fp.pdq.hash, view: 'orig', quality: fp.pdq.quality });
    // The block hash rides along under its own label: the image policy only compares it with the
    // query's block hash, to corroborate a looser PDQ match (text over the picture).
    push({ hash: fp.blockhash, view: 'blockhash', quality: fp.pdq.quality });
    for (const v of fp.views) if (!DERIVABLE.has(v.view) && !isQueryOnlyView(v.view)) push({ hash: v.hash, view: v.view, quality: v.quality });
    for (const f of fp.frames ?? []) push({ hash: f.pdq, view: 'frame', t: f.t, quality: f.quality });
  } else {
    for (const f of fp.frames) {
      push({ hash: f.pdq, view: 'frame', t: f.t, quality: f.quality });
      // A frame's bar-trimmed and half views cannot be derived from a query; its mirrors can (the query has them).
      for (const v of f.views ?? []) if (!v.view.includes('mirror')) push({ hash: v.hash, view: `frame-${v.view}`, t: f.t, quality: v.quality });
    }
  }
  return out;
}
