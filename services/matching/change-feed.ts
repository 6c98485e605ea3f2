/**
 * The service's matcher: the hashing matcher (hashing/match/matcher.ts) filled from the database and
 * kept fresh, so material registered in any process matches in every process within seconds and a
 * withdrawn or erased case stops matching as quickly. This module is only that change feed; matching
 * itself - exact SHA-256 and MD5, then candidates from the hash index, judged by the default policy,
 * best first - is the hashing matcher's, the same one `staydown match` uses.
 *
 * Freshness: writers append to `match_changes` in commit order (db/queries/match-changes.ts); every
 * matcher polls `seq > last` about once a second and applies the changes. LISTEN/NOTIFY would be faster
 * but PGlite does not deliver it across connections, and polling one indexed row is cheap.
 */
import { decodeFeatures, FeatureCodecError, type LocalFeatures } from '../../hashing/features/index.ts';
import { ReferenceMatcher, type ReferenceMatch } from '../../hashing/match/matcher.ts';
import { MATCH_METHODS } from '../../hashing/match/methods.ts';
import type { ReferenceHash } from '../../hashing/reference.ts';
import type { Fingerprint } from '../../hashing/types.ts';
import { latestMatchChange, selectMatchChanges, type MatchChange } from '../../db/queries/match-changes.ts';
import { selectIndexHashes, selectIndexKeyframes, selectIndexMaterials } from '../../db/queries/material.ts';
import type { KeyframeFeatures } from '../../hashing/video/keyframes.ts';
import type { Sql } from '../../db/sql.ts';
import type { Logger } from '../platform/log.ts';

export interface MaterialMatch {
  caseId: string;
  caseCode: string;
  materialId: string;
  /** How it matched: one of hashing/match/methods.ts ('exact-sha256', 'exact-md5', 'pdq', 'pdq-dihedral', 'vpdq', ...). */
  method: string;
  /** Hamming distance in bits (0 for exact matches). */
  distance: number;
  /** For video frames: seconds into the reference. */
  frameTime?: number;
  /** How the match was found, where the decision says (local features, low-quality rule, whole-picture PDQ). */
  detail?: MatchDetail;
}

/**
 * What a reviewer is shown beyond method and distance: inliers of a local-features match, the region of
 * the crawled picture where the registered one was found (fractions 0..1 of its width and height - the
 * console draws it), and the matcher's confidence.
 */
export interface MatchDetail {
  inliers?: number;
  region?: { x: number; y: number; width: number; height: number };
  confidence?: number;
  mirrored?: boolean;
  corroboratedBy?: string;
  /** `video-features`: seconds into the crawled video of the keyframe where it was verified. */
  queryTime?: number;
  /** `video-features`: keyframes of the crawled video where it was verified. */
  keyframes?: number;
  /** `video-features` against a registered video: seconds into the registered video of the matched keyframe. */
  refTime?: number;
}

export interface Matcher {
  match(fp: Fingerprint): MaterialMatch[];
  /** Applies pending changes now (the poller does this every `pollMs`). */
  refresh(): Promise<void>;
  /** The last change applied. */
  readonly seq: number;
  /** Materials currently matchable. */
  readonly materials: number;
  /** Of those, the pictures with local features (a crawled image's own features are worth computing only then). */
  readonly withFeatures: number;
  close(): Promise<void>;
}

/** What the service keeps with each reference (keyed by material id, grouped by case). */
interface MaterialMeta {
  caseId: string;
  caseCode: string;
}

type MaterialRefs = ReferenceMatcher<MaterialMeta>;

/** Changes read from `match_changes` per query. */
const CHANGE_BATCH = 1000;

export async function createMatcher(sql: Sql, log: Logger, opts: { pollMs?: number } = {}): Promise<Matcher> {
  const refs: MaterialRefs = new ReferenceMatcher<MaterialMeta>();
  const startSeq = await latestMatchChange(sql);
  await loadMaterials(sql, refs, {}, log);
  refs.trim();
  log.info({ materials: refs.size, entries: refs.indexEntries, seq: startSeq }, 'match index loaded');
  const feed = followChanges(sql, startSeq, (change) => applyChange(sql, refs, change), log, opts.pollMs ?? 1000);
  return {
    match: (fp) => refs.match(fp).map(toMaterialMatch),
    refresh: feed.refresh,
    get seq() {
      return feed.seq;
    },
    get materials() {
      return refs.size;
    },
    get withFeatures() {
      return refs.withFeatures;
    },
    close: feed.close,
  };
}

function toMaterialMatch({ ref, meta, decision: d }: ReferenceMatch<MaterialMeta>): MaterialMatch {
  return {
    caseId: meta!.caseId,
    caseCode: meta!.caseCode,
    materialId: ref,
    method: d.method,
    distance: d.distance,
    ...(typeof d.frameTime === 'number' ? { frameTime: d.frameTime } : {}),
    ...detailOf(d),
  };
}

function detailOf(d: ReferenceMatch<MaterialMeta>['decision']): { detail?: MatchDetail } {
  const detail: MatchDetail = {};
  if (typeof d.inliers === 'number') detail.inliers = d.inliers;
  if (d.region && typeof d.region === 'object') detail.region = d.region as MatchDetail['region'];
  if (typeof d.confidence === 'number') detail.confidence = d.confidence;
  if (typeof d.mirrored === 'boolean') detail.mirrored = d.mirrored;
  if (typeof d.corroboratedBy === 'string') detail.corroboratedBy = d.corroboratedBy;
  if (typeof d.queryTime === 'number') detail.queryTime = d.queryTime;
  if (typeof d.keyframes === 'number') detail.keyframes = d.keyframes;
  if (d.method === MATCH_METHODS.videoFeatures && typeof d.frameTime === 'number') detail.refTime = d.frameTime;
  return Object.keys(detail).length > 0 ? { detail } : {};
}

/** Stored features that no longer decode (a damaged row) leave the material matchable by its hashes, with a warning. */
function storedFeatures(bytes: Uint8Array | null, log: Logger | undefined, materialId: string): LocalFeatures | null {
  if (!bytes) return null;
  try {
    return decodeFeatures(new Uint8Array(bytes));
  } catch (err) {
    if (!(err instanceof FeatureCodecError)) throw err;
    log?.warn({ material: materialId, err: err.message }, 'stored local features unreadable; matched by its hashes only');
    return null;
  }
}

/** (Re)loads the matchable materials the filter selects (all of them by default) from the database. */
async function loadMaterials(sql: Sql, refs: MaterialRefs, filter: { caseId?: string; materialId?: string } = {}, log?: Logger): Promise<void> {
  const materials = await selectIndexMaterials(sql, filter);
  const hashes = new Map<number, ReferenceHash[]>(materials.map((m) => [m.index_id, []]));
  // A hash whose material was not in the first read (registered in between) waits for its 'add' change.
  for (const h of await selectIndexHashes(sql, filter)) {
    hashes.get(h.index_id)?.push({ hash: h.hash, view: h.view, quality: h.quality ?? 100, ...(h.t != null ? { t: h.t } : {}) });
  }
  // Registered videos' keyframe features (migration 340); a damaged keyframe is left out with a warning.
  const keyframes = new Map<number, KeyframeFeatures[]>();
  for (const k of await selectIndexKeyframes(sql, filter)) {
    const f = storedFeatures(k.features, log, String(k.index_id));
    if (!f) continue;
    const list = keyframes.get(k.index_id) ?? [];
    list.push({ timeSec: Math.round(k.t * 1000) / 1000, features: f });
    keyframes.set(k.index_id, list);
  }
  for (const m of materials) {
    refs.removeByRef(m.material_id);
    refs.add(m.material_id, m.fingerprint as Fingerprint, {
      group: m.case_id, meta: { caseId: m.case_id, caseCode: m.case_code }, hashes: hashes.get(m.index_id), features: storedFeatures(m.features, log, m.material_id),
      keyframes: keyframes.get(m.index_id) ?? null,
    });
  }
}

async function applyChange(sql: Sql, refs: MaterialRefs, change: MatchChange): Promise<void> {
  switch (change.op) {
    case 'add':
      if (change.material_id) await loadMaterials(sql, refs, { materialId: change.material_id });
      break;
    case 'remove':
      if (change.material_id) refs.removeByRef(change.material_id);
      break;
    case 'case-on':
      await loadMaterials(sql, refs, { caseId: change.case_id });
      break;
    case 'case-off':
      refs.removeGroup(change.case_id);
      break;
  }
}

/** Applies the changes after `seq`, in order: every `pollMs`, and at once on `refresh()`. */
function followChanges(sql: Sql, seq: number, apply: (change: MatchChange) => Promise<void>, log: Logger, pollMs: number) {
  let running: Promise<void> | null = null;
  async function refresh(): Promise<void> {
    // One refresh at a time; a caller arriving during one waits for it and then runs its own.
    while (running) await running;
    running = (async () => {
      for (;;) {
        const changes = await selectMatchChanges(sql, seq, CHANGE_BATCH);
        for (const c of changes) {
          await apply(c);
          seq = c.seq;
        }
        if (changes.length < CHANGE_BATCH) break;
      }
    })();
    try {
      await running;
    } finally {
      running = null;
    }
  }

  let closed = false;
  const timer = setInterval(() => {
    if (running || closed) return;
    refresh().catch((err) => log.warn({ err: (err as Error).message }, 'match index refresh failed; retrying'));
  }, pollMs);
  timer.unref();

  return {
    refresh,
    get seq() {
      return seq;
    },
    async close(): Promise<void> {
      closed = true;
      clearInterval(timer);
      while (running) await running;
    },
  };
}
