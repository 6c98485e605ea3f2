/**
 * The service's matcher: the match index (hashing/index) filled from the database and kept fresh, so
 * material registered in any process matches in every process within seconds and a withdrawn or erased
 * case stops matching as quickly.
 *
 * Freshness: writers append to `match_changes` in commit order (db/queries/match-changes.ts); every
 * matcher polls `seq > last` about once a second and applies the changes. LISTEN/NOTIFY would be faster
 * but PGlite does not deliver it across connections, and polling one indexed row is cheap.
 *
 * Policy: hashing/match/policy.ts decides. Exact SHA-256 and MD5 first; then the query's probe hashes
 * find candidates in the index within CANDIDATE_RADIUS, and `decideMatch` judges each candidate against
 * the reference's stored fingerprint.
 */
import { HashIndex } from '../../hashing/index/index.ts';
import { CANDIDATE_RADIUS, MIN_QUALITY, decideMatch, probeHashes } from '../../hashing/match/policy.ts';
import type { Fingerprint } from '../../hashing/types.ts';
import { latestMatchChange, selectMatchChanges, type MatchChange } from '../../db/queries/match-changes.ts';
import { selectIndexHashes, selectIndexMaterials } from '../../db/queries/material.ts';
import type { Sql } from '../../db/sql.ts';
import type { Logger } from '../platform/log.ts';

export interface MaterialMatch {
  caseId: string;
  caseCode: string;
  materialId: string;
  /** 'exact-sha256', 'exact-md5', 'pdq', or 'pdq-<view>' (the view of query or reference that matched). */
  method: string;
  /** Hamming distance in bits (0 for exact matches). */
  distance: number;
  /** For video frames: seconds into the reference. */
  frameTime?: number;
}

export interface Matcher {
  match(fp: Fingerprint): MaterialMatch[];
  /** Applies pending changes now (the poller does this every `pollMs`). */
  refresh(): Promise<void>;
  /** The last change applied. */
  readonly seq: number;
  /** Materials currently matchable. */
  readonly materials: number;
  close(): Promise<void>;
}

interface Ref {
  materialId: string;
  caseId: string;
  caseCode: string;
  sha256: string;
  md5: string;
  fingerprint: Fingerprint;
}

export async function createMatcher(sql: Sql, log: Logger, opts: { pollMs?: number } = {}): Promise<Matcher> {
  const index = new HashIndex();
  const refs = new Map<number, Ref>();
  const byCase = new Map<string, Set<number>>();
  const bySha = new Map<string, Set<number>>();
  const byMd5 = new Map<string, Set<number>>();
  const byMaterialId = new Map<string, number>();

  const addToSet = (m: Map<string, Set<number>>, k: string, v: number) => {
    const s = m.get(k);
    if (s) s.add(v);
    else m.set(k, new Set([v]));
  };
  const delFromSet = (m: Map<string, Set<number>>, k: string, v: number) => {
    const s = m.get(k);
    if (!s) return;
    s.delete(v);
    if (s.size === 0) m.delete(k);
  };

  function removeRefs(ids: number[]): void {
    if (ids.length === 0) return;
    index.removeMaterials(ids);
    for (const id of ids) {
      const r = refs.get(id);
      if (!r) continue;
      refs.delete(id);
      byMaterialId.delete(r.materialId);
      delFromSet(byCase, r.caseId, id);
      delFromSet(bySha, r.sha256, id);
      delFromSet(byMd5, r.md5, id);
    }
  }

  async function load(filter: { caseId?: string; materialId?: string } = {}): Promise<void> {
    const materials = await selectIndexMaterials(sql, filter);
    const hashes = await selectIndexHashes(sql, filter);
    removeRefs(materials.map((m) => m.index_id).filter((id) => refs.has(id)));
    for (const m of materials) {
      refs.set(m.index_id, { materialId: m.material_id, caseId: m.case_id, caseCode: m.case_code, sha256: m.sha256, md5: m.md5, fingerprint: m.fingerprint as Fingerprint });
      byMaterialId.set(m.material_id, m.index_id);
      addToSet(byCase, m.case_id, m.index_id);
      addToSet(bySha, m.sha256, m.index_id);
      addToSet(byMd5, m.md5, m.index_id);
    }
    for (const h of hashes) {
      // A hash whose material was not in the first read (registered in between) waits for its 'add' change.
      if (!refs.has(h.index_id) || (h.quality ?? 100) < MIN_QUALITY) continue;
      index.add({ hash: h.hash, materialId: h.index_id, view: h.view, ...(h.t != null ? { frameTime: h.t } : {}) });
    }
  }

  let seq = await latestMatchChange(sql);
  await load();
  log.info({ materials: refs.size, entries: index.size, seq }, 'match index loaded');

  async function apply(change: MatchChange): Promise<void> {
    switch (change.op) {
      case 'add':
        if (change.material_id) await load({ materialId: change.material_id });
        break;
      case 'remove': {
        const id = change.material_id ? byMaterialId.get(change.material_id) : undefined;
        if (id !== undefined) removeRefs([id]);
        break;
      }
      case 'case-on':
        await load({ caseId: change.case_id });
        break;
      case 'case-off':
        removeRefs([...(byCase.get(change.case_id) ?? [])]);
        break;
    }
  }

  let running: Promise<void> | null = null;
  async function refresh(): Promise<void> {
    // One refresh at a time; a caller arriving during one waits for it and then runs its own.
    while (running) await running;
    running = (async () => {
      for (;;) {
        const changes = await selectMatchChanges(sql, seq, 1000);
        for (const c of changes) {
          await apply(c);
          seq = c.seq;
        }
        if (changes.length < 1000) break;
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
  }, opts.pollMs ?? 1000);
  timer.unref();

  return {
    match(fp: Fingerprint): MaterialMatch[] {
      const found = new Map<number, MaterialMatch>();
      const put = (id: number, method: string, distance: number, frameTime?: number) => {
        const r = refs.get(id);
        const old = found.get(id);
        if (!r || (old && (old.distance < distance || (old.distance === distance && old.method.startsWith('exact'))))) return;
        found.set(id, { caseId: r.caseId, caseCode: r.caseCode, materialId: r.materialId, method, distance, ...(frameTime !== undefined ? { frameTime } : {}) });
      };
      for (const id of bySha.get(fp.sha256) ?? []) put(id, 'exact-sha256', 0);
      for (const id of byMd5.get(fp.md5) ?? []) if (!found.has(id)) put(id, 'exact-md5', 0);
      const candidates = new Set<number>();
      for (const probe of probeHashes(fp)) {
        for (const hit of index.query(probe.hash, CANDIDATE_RADIUS)) if (!found.has(hit.materialId)) candidates.add(hit.materialId);
      }
      for (const id of candidates) {
        const r = refs.get(id);
        const d = r && decideMatch(fp, r.fingerprint);
        if (d) put(id, d.method, d.distance, typeof d.frameTime === 'number' ? d.frameTime : undefined);
      }
      return [...found.values()].sort((a, b) => a.distance - b.distance || a.caseCode.localeCompare(b.caseCode));
    },
    refresh,
    get seq() {
      return seq;
    },
    get materials() {
      return refs.size;
    },
    async close() {
      closed = true;
      clearInterval(timer);
      while (running) await running;
    },
  };
}
