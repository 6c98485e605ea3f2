/**
 * The service's matcher: the match index (hashing/index) filled from the database and kept fresh, so
 * material registered in any process matches in every process within seconds and a withdrawn or erased
 * case stops matching as quickly.
 *
 * Freshness: writers append to `match_changes` in commit order (db/queries/match-changes.ts); every
 * matcher polls `seq > last` about once a second and applies the changes. LISTEN/NOTIFY would be faster
 * but PGlite does not deliver it across connections, and polling one indexed row is cheap.
 *
 * Policy as in hashing/match/matcher.ts: exact SHA-256 and MD5, then PDQ within 31 bits, probing the
 * query's plain hash and its views (dihedrals...) against the references' stored hashes, ignoring
 * hashes of quality below 50.
 */
import { HashIndex } from '../hashing/index/index.ts';
import { MIN_QUALITY, PDQ_RADIUS } from '../hashing/match/matcher.ts';
import type { Fingerprint } from '../hashing/types.ts';
import { latestMatchChange, selectMatchChanges, type MatchChange } from '../db/queries/match-changes.ts';
import { selectIndexRows, type IndexSourceRow } from '../db/queries/material.ts';
import type { Sql } from '../db/sql.ts';
import type { Logger } from './log.ts';

export interface MaterialMatch {
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

  function load(rows: IndexSourceRow[]): void {
    removeRefs([...new Set(rows.map((r) => r.index_id))].filter((id) => refs.has(id)));
    for (const row of rows) {
      if (!refs.has(row.index_id)) {
        refs.set(row.index_id, { materialId: row.material_id, caseId: row.case_id, caseCode: row.case_code, sha256: row.sha256, md5: row.md5 });
        byMaterialId.set(row.material_id, row.index_id);
        addToSet(byCase, row.case_id, row.index_id);
        addToSet(bySha, row.sha256, row.index_id);
        addToSet(byMd5, row.md5, row.index_id);
      }
      if (row.hash && (row.quality ?? 100) >= MIN_QUALITY) {
        index.add({ hash: row.hash, materialId: row.index_id, view: row.view ?? 'orig', ...(row.t != null ? { frameTime: row.t } : {}) });
      }
    }
  }

  let seq = await latestMatchChange(sql);
  load(await selectIndexRows(sql));
  log.info({ materials: refs.size, entries: index.size, seq }, 'match index loaded');

  async function apply(change: MatchChange): Promise<void> {
    switch (change.op) {
      case 'add':
        if (change.material_id) load(await selectIndexRows(sql, { materialId: change.material_id }));
        break;
      case 'remove': {
        const id = change.material_id ? byMaterialId.get(change.material_id) : undefined;
        if (id !== undefined) removeRefs([id]);
        break;
      }
      case 'case-on':
        load(await selectIndexRows(sql, { caseId: change.case_id }));
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
        found.set(id, { caseCode: r.caseCode, materialId: r.materialId, method, distance, ...(frameTime !== undefined ? { frameTime } : {}) });
      };
      for (const id of bySha.get(fp.sha256) ?? []) put(id, 'exact-sha256', 0);
      for (const id of byMd5.get(fp.md5) ?? []) if (!found.has(id)) put(id, 'exact-md5', 0);
      for (const probe of probes(fp)) {
        for (const hit of index.query(probe.hash, PDQ_RADIUS)) {
          const view = probe.view !== 'orig' ? probe.view : hit.view;
          const method = view === 'orig' || view === 'frame' ? 'pdq' : `pdq-${view}`;
          put(hit.materialId, method, hit.distance, hit.frameTime);
        }
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

function probes(fp: Fingerprint): Array<{ hash: string; view: string }> {
  if (fp.kind === 'video') return fp.frames.filter((f) => f.quality >= MIN_QUALITY).map((f) => ({ hash: f.pdq, view: 'frame' }));
  if (fp.pdq.quality < MIN_QUALITY) return [];
  const out = [{ hash: fp.pdq.hash, view: 'orig' }, ...fp.views.filter((v) => v.quality >= MIN_QUALITY).map((v) => ({ hash: v.hash, view: v.view }))];
  for (const f of fp.frames ?? []) if (f.quality >= MIN_QUALITY) out.push({ hash: f.pdq, view: 'frame' });
  return out;
}
