/**
 * staydown's default alert policy for an image against a registered image. Pure: fingerprints in, a
 * decision out, no I/O.
 *
 * How a match is found:
 * 1. The same bytes (SHA-256, MD5) are a match.
 * 2. The query is probed with its plain PDQ, its 7 dihedral variants (mirrors, 90-degree turns), and
 *    the views that undo what re-uploaders do: borders/letterbox removed ('trim'), the picture cut out
 *    of a phone screenshot ('content'), small rotations undone ('rot:*'). The reference offers its plain
 *    PDQ, its whole-image region hash, its own trimmed picture, and crops of itself ('crop:*', 'cut:*')
 *    that a cropped copy lands near.
 * 3. Only pairings that mean something are compared (a rotated probe against a crop of the reference
 *    does not), each with its own threshold: every extra comparison is one more chance for two
 *    different photos to look alike, so the table below is deliberately narrow. Hashes of quality < 50
 *    carry too little structure to be trusted (Meta's rule) and are never compared.
 *
 * The matcher finds candidates with an exact Hamming index: every reference hash within
 * CANDIDATE_RADIUS of one of `queryProbeHashes(query)`. Every rule below accepts only a probe/reference
 * pair within its threshold <= CANDIDATE_RADIUS, so the index never hides a match the policy would make
 * (test/hashing/robust-policy.test.ts checks this on the edit set).
 */
import { hamming, hexToWords } from '../bits.ts';
import { DIHEDRALS } from '../pdq-hasher.ts';
import { referenceHashes } from '../reference.ts';
import type { ImageFingerprint } from '../types.ts';
import { isQueryProbeView } from '../robust-views.ts';
import { MATCH_METHODS as M, type MatchMethod } from './methods.ts';

/** Hashes below this PDQ quality are not trusted for matching (Meta's guidance). */
export const MIN_QUALITY = 50;

/** HMA's and StopNCII's PDQ threshold; staydown keeps it for the plain and dihedral comparisons. */
export const PDQ_THRESHOLD = 31;

export interface ImageMatch {
  /**
   * Which technique matched: 'exact-sha256', 'exact-md5', 'pdq' (plain), 'pdq-dihedral' (mirrored or
   * turned by 90 degrees), 'pdq-trim' (borders, padding, letterbox), 'pdq-screenshot' (inside an app's
   * UI), 'pdq-rotation' (turned by a few degrees), 'pdq-crop' (cropped), 'pdq-cut' (a caption band or
   * one side left out of both), 'pdq+blockhash' (text or a logo over the picture: PDQ within
   * CORROBORATED_PDQ_THRESHOLD and the block hashes within PDQ_THRESHOLD). Spelled in methods.ts.
   */
  method: MatchMethod;
  /** Hamming distance in bits (of 256) of the deciding comparison; 0 for exact matches. */
  distance: number;
  /** The query's view that matched ('orig', 'flipy', 'trim', 'content', 'rot:p5', ...). */
  queryView: string;
  /** The reference's view that matched ('orig', 'box', 'crop:c90', ...). */
  refView: string;
  /** The largest distance this kind of comparison accepts. */
  threshold: number;
  /** For 'pdq+blockhash': the block hashes' distance that corroborated the looser PDQ match. */
  blockhashDistance?: number;
  /**
   * How sure the match is, 0..1: 1 for the same bytes; for perceptual matches it falls linearly from
   * 1 at distance 0 to 0.5 at the rule's threshold (distinct photos sit ~128 bits apart).
   */
  confidence: number;
}

interface Rule {
  method: MatchMethod;
  threshold: number;
}

const DIHEDRAL_SET = new Set<string>(DIHEDRALS);
const PLAIN = new Set(['orig', 'box']);
/** Reference views that show the whole registered picture. */
const WHOLE_REF = new Set(['orig', 'box', 'trim', 'content']);

/**
 * A looser PDQ distance accepted between the whole pictures when their block hashes also agree (within
 * PDQ_THRESHOLD): text or a logo drawn over the middle moves PDQ further than 31 bits but barely moves
 * the block means. On the benchmark set distinct photos stay >= 84 PDQ bits and >= 36 block bits apart.
 */
export const CORROBORATED_PDQ_THRESHOLD = 52;

const anchorOf = (view: string) => view.slice(view.indexOf(':') + 1).replace(/[0-9]+$/, '');

/** The rule for comparing a query view with a reference view, or null when that pairing is not compared. */
export function ruleFor(queryView: string, refView: string): Rule | null {
  const q = queryView;
  const r = refView;
  const wholeQuery = PLAIN.has(q) || q === 'trim' || DIHEDRAL_SET.has(q);
  if (r === 'blockhash') return q === 'blockhash' ? { method: M.pdqBlockhash, threshold: PDQ_THRESHOLD } : null;
  if (r.startsWith('crop:')) {
    // A crop of the reference against the query's whole picture (or its mirror image), or against the
    // query re-cropped at the same anchor.
    if (wholeQuery) return { method: M.pdqCrop, threshold: PDQ_THRESHOLD };
    if (q.startsWith('qcrop:') && anchorOf(q) === anchorOf(r)) return { method: M.pdqCrop, threshold: PDQ_THRESHOLD };
    return null;
  }
  if (r.startsWith('cut:')) {
    if (wholeQuery) return { method: M.pdqCrop, threshold: PDQ_THRESHOLD };
    if (q === r) return { method: M.pdqCut, threshold: PDQ_THRESHOLD };
    return null;
  }
  if (!WHOLE_REF.has(r)) return null;
  if (PLAIN.has(q)) return { method: PLAIN.has(r) ? M.pdq : M.pdqTrim, threshold: PDQ_THRESHOLD };
  if (DIHEDRAL_SET.has(q)) return { method: M.pdqDihedral, threshold: PDQ_THRESHOLD };
  if (q === 'trim' || q === 'trim:flipy') return { method: M.pdqTrim, threshold: PDQ_THRESHOLD };
  if (q === 'content' || q === 'content:flipy') return { method: M.pdqScreenshot, threshold: PDQ_THRESHOLD };
  if (q.startsWith('rot:')) return { method: M.pdqRotation, threshold: PDQ_THRESHOLD };
  return null;
}

/** The largest threshold of any rule: the exact index must return every reference hash this close to a probe. */
export const CANDIDATE_RADIUS = PDQ_THRESHOLD;

export interface ProbeHash {
  hash: string;
  view: string;
}

/**
 * Query views that are probed: the plain PDQ and everything the query computed except the reference-side
 * crops (and the left/right cuts: captions sit at the top or bottom), plus the block hash.
 */
export function queryProbeHashes(query: ImageFingerprint): ProbeHash[] {
  const out: ProbeHash[] = [];
  if (query.pdq.quality >= MIN_QUALITY) out.push({ hash: query.pdq.hash, view: 'orig' });
  for (const v of query.views) {
    if (v.quality < MIN_QUALITY || !isQueryProbeView(v.view)) continue;
    out.push({ hash: v.hash, view: v.view });
  }
  // The block hash is probed too (against the references' block hashes only): see CORROBORATED_PDQ_THRESHOLD.
  if (query.pdq.quality >= MIN_QUALITY) out.push({ hash: query.blockhash, view: 'blockhash' });
  return out;
}

interface Parsed {
  probes: Array<{ view: string; words: Uint32Array }>;
  refs: Array<{ view: string; words: Uint32Array }>;
}

// Fingerprints are compared many times each (one query against many candidates): parse hex once.
const parsedCache = new WeakMap<ImageFingerprint, Parsed>();

function parsed(fp: ImageFingerprint): Parsed {
  let p = parsedCache.get(fp);
  if (!p) {
    p = {
      probes: queryProbeHashes(fp).map((h) => ({ view: h.view, words: hexToWords(h.hash) })),
      refs: referenceHashes(fp)
        .filter((h) => h.quality >= MIN_QUALITY && h.view !== 'frame')
        .map((h) => ({ view: h.view, words: hexToWords(h.hash) })),
    };
    parsedCache.set(fp, p);
  }
  return p;
}

// The plainest technique that matches is the one reported (a plain PDQ match is easier to review than a
// crop match), and within it the smallest distance.
const METHOD_ORDER: readonly MatchMethod[] = [M.pdq, M.pdqDihedral, M.pdqTrim, M.pdqScreenshot, M.pdqRotation, M.pdqCrop, M.pdqCut, M.pdqBlockhash];

/** staydown's decision for an image query against one registered image: the best match, or null. */
export function matchImages(query: ImageFingerprint, ref: ImageFingerprint): ImageMatch | null {
  if (query.sha256 === ref.sha256) return exact(M.exactSha256);
  if (query.md5 === ref.md5) return exact(M.exactMd5);
  let best: ImageMatch | null = null;
  const q = parsed(query);
  const r = parsed(ref);
  for (const p of q.probes) {
    for (const h of r.refs) {
      const rule = ruleFor(p.view, h.view);
      if (!rule) continue;
      let d = hamming(p.words, h.words);
      if (d > rule.threshold) continue;
      let threshold = rule.threshold;
      let extra: { blockhashDistance?: number } = {};
      if (rule.method === M.pdqBlockhash) {
        // The block hashes agree; the decision rests on the whole pictures' PDQ at the looser threshold.
        extra = { blockhashDistance: d };
        d = wholePictureDistance(q, r);
        threshold = CORROBORATED_PDQ_THRESHOLD;
        if (d > threshold) continue;
      }
      if (best) {
        const order = METHOD_ORDER.indexOf(rule.method) - METHOD_ORDER.indexOf(best.method);
        if (order > 0 || (order === 0 && d >= best.distance)) continue;
      }
      best = {
        method: rule.method,
        distance: d,
        queryView: p.view,
        refView: h.view,
        threshold,
        confidence: round2(1 - (0.5 * d) / threshold),
        ...extra,
      };
    }
  }
  return best;
}

/** Smallest PDQ distance between the plain/whole-image hashes of the two pictures. */
function wholePictureDistance(q: Parsed, r: Parsed): number {
  let min = 256;
  for (const p of q.probes) {
    if (!PLAIN.has(p.view)) continue;
    for (const h of r.refs) if (PLAIN.has(h.view)) min = Math.min(min, hamming(p.words, h.words));
  }
  return min;
}

function exact(method: MatchMethod): ImageMatch {
  return { method, distance: 0, queryView: 'bytes', refView: 'bytes', threshold: 0, confidence: 1 };
}

const round2 = (x: number) => Math.round(x * 100) / 100;
