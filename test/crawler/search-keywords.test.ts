/**
 * Monitored cases' keywords feed a site's search template, through the service's crawl deps
 * (services/crawl-runtime.ts): a registered image reachable only through the search results for a
 * leetspeak spelling of a case keyword is found; withdrawn, closed, erased and expired cases are never
 * searched; each read is audited by case id without the keywords; no log line names a search page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { createRun } from '../../db/queries/crawl-runs.ts';
import { insertSite, type SiteRow } from '../../db/queries/crawl-sites.ts';
import { selectAlerts } from '../../db/queries/crawl-alerts.ts';
import { executeRun } from '../../crawler/crawl-service.ts';
import { foldKeyword, searchPageTest, searchUrls } from '../../crawler/keyword-variants.ts';
import { listAudit, verifyAudit } from '../../services/platform/audit.ts';
import { eraseCase, openCase, updateCase, withdrawCase } from '../../services/cases/cases.ts';
import type { ServiceContext } from '../../services/platform/context.ts';
import { crawlDeps } from '../../services/crawling/crawl-runtime.ts';
import { createLogger, silentLogger } from '../../services/platform/log.ts';
import { createMatcher, type Matcher } from '../../services/matching/change-feed.ts';
import { registerMaterialFile } from '../../services/cases/materials.ts';
import { monitoredKeywords } from '../../services/cases/monitored-keywords.ts';
import { useTestDatabase } from '../support/db.ts';
import { syntheticPhoto } from '../support/images.ts';
import { ADMIN, serviceContext } from '../support/service.ts';
import { useTempDir } from '../support/tmp.ts';
import { startBoard, type Board } from './support/fixture-sites.ts';
import { startLocalServer, type LocalServer } from './support/local-server.ts';

const db = useTestDatabase('crawl_keywords');
const tmp = useTempDir('kw');

// Everything the crawl logs, as pino writes it (services/log.ts, redaction included).
const logText: string[] = [];
const log = createLogger('debug', 'staydown', new Writable({ write(chunk, _enc, done) { logText.push(String(chunk)); done(); } }));

let ctx: ServiceContext;
let board: Board;
let matcher: Matcher;
let site: SiteRow;
let materialA: string;
const code: Record<string, string> = {};
const TEMPLATE = () => `${board.origin}/search?q={keyword}`;

async function caseId(c: string): Promise<string> {
  return (await ctx.sql.query<{ id: string }>('SELECT id::text FROM cases WHERE code = $1', [c]))[0].id;
}

async function crawl(s: SiteRow) {
  const runtime = crawlDeps(ctx.sql, ctx.masterKey, matcher, log.child({ component: 'crawl' }));
  try {
    const { run } = await createRun(ctx.sql, s.id, 'manual');
    const r = await executeRun(runtime.deps, run.id);
    if (r.status !== 'done') throw new Error(`crawl ended ${JSON.stringify(r)}`);
    return { ...r.stats, runId: run.id };
  } finally {
    await runtime.close();
  }
}

/** The search terms the fixture site received since hit `from`, as the site decoded them. */
const searchedSince = (from: number) => board.hits.slice(from).filter((h) => h.startsWith('/search?')).map((h) => new URL(h, board.origin).searchParams.get('q')).sort();
const expectedTerms = (keyword: string) => searchUrls(TEMPLATE(), [keyword]).map((u) => new URL(u).searchParams.get('q')).sort();
const keywordReads = async (from: number) => (await listAudit(ctx.sql, from, 10_000)).filter((a) => a.action === 'case.keywords.read');
const lastSeq = async () => (await listAudit(ctx.sql, 0, 10_000)).at(-1)?.seq ?? 0;

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
  const original = await syntheticPhoto(9401, 320, 240);
  // Image 500 exists only behind the search results for "j4n3d03" (leetspeak, no space): nothing else links to it.
  board = await startBoard({
    threads: 2, imagesPerThread: 3, threadsPerIndexPage: 2,
    planted: new Map([[500, await sharp(original).resize(280).jpeg({ quality: 70 }).toBuffer()]]),
    routes: {
      '/search': (_q, res, u) => {
        const hit = u.searchParams.get('q') === 'j4n3d03';
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(`<html><body>${hit ? '<a href="/post/500">one result</a>' : '<p>No results</p>'}</body></html>`);
      },
    },
  });
  // A: the victim whose material is re-uploaded; keywords added later. G: searched in the first run,
  // then withdrawn. B withdrawn, C past its monitoring period, D erased, E closed: never searched.
  code.A = (await openCase(ctx, ADMIN, { keywords: [] })).code;
  code.G = (await openCase(ctx, ADMIN, { keywords: ['Gilded Wren'] })).code;
  code.B = (await openCase(ctx, ADMIN, { keywords: ['Zorbalina Quux'] })).code;
  await withdrawCase(ctx, ADMIN, code.B);
  code.C = (await openCase(ctx, ADMIN, { keywords: ['Ottoline Brisk'], monitorUntil: new Date(Date.now() - 86_400_000) })).code;
  code.D = (await openCase(ctx, ADMIN, { keywords: ['Persimmon Vale'] })).code;
  await eraseCase(ctx, ADMIN, code.D);
  code.E = (await openCase(ctx, ADMIN, { keywords: ['Marigold Thorn'] })).code;
  await updateCase(ctx, ADMIN, code.E, { status: 'closed' });
  const file = join(tmp(), 'a.png');
  writeFileSync(file, original);
  materialA = (await registerMaterialFile(ctx, ADMIN, code.A, file)).id;
  matcher = await createMatcher(ctx.sql, silentLogger());
  site = await insertSite(ctx.sql, { name: 'board-search', startUrls: [`${board.origin}/`], searchUrlTemplate: TEMPLATE(), allowHosts: ['127.0.0.1'], minIntervalMs: 0, concurrency: 4 });
});

afterAll(async () => {
  await matcher?.close();
  await board?.close();
});

// Named keywords that must never reach a log or the audit trail (lower case: case codes are upper case).
const SECRET_TEXT = ['gilded', 'wren', 'jane', 'j4n3', 'zorbalina', 'ottoline', 'persimmon', 'marigold', 'zyq', 'search?q', '/find'];

describe('search templates filled with monitored cases\' keywords', { timeout: 60_000 }, () => {
  it('searches only the keywords of cases monitored now, and audits each read by case id', async () => {
    const seq = await lastSeq();
    const stats = await crawl(site);
    expect(searchedSince(0)).toEqual(expectedTerms('Gilded Wren'));
    expect(stats.alertsRaised).toBe(0);
    expect(board.hits).not.toContain('/post/500');
    const reads = await keywordReads(seq);
    expect(reads.map((r) => r.recordId).sort()).toEqual([await caseId(code.A), await caseId(code.G)].sort());
    expect(reads.every((r) => r.actor === 'crawler' && r.source === 'crawler' && r.actorId === null)).toBe(true);
  });

  it('finds the image reachable only through a keyword variant, and stops searching a withdrawn case at once', async () => {
    await withdrawCase(ctx, ADMIN, code.G);
    await updateCase(ctx, ADMIN, code.A, { keywords: ['Jane Doe'] });
    // F repeats A's keyword in another spelling: searched once.
    code.F = (await openCase(ctx, ADMIN, { keywords: [' JANE  doe '], monitorUntil: new Date(Date.now() + 86_400_000) })).code;
    await updateCase(ctx, ADMIN, code.F, { status: 'monitoring' });
    const from = board.hits.length;
    const seq = await lastSeq();
    const stats = await crawl(site);
    expect(searchedSince(from)).toEqual(expectedTerms('Jane Doe'));
    const folded = searchedSince(from).map((q) => foldKeyword(q ?? '').replace(/[^a-z]/g, ''));
    expect(folded.every((q) => q === 'janedoe' || q === 'doejane'), folded.join(',')).toBe(true);
    const alerts = await selectAlerts(ctx.sql, { siteId: site.id });
    expect(alerts.map((a) => `${a.case_code} ${a.material_id} ${a.page_url.replace(board.origin, '')} ${a.media_url.replace(board.origin, '')}`)).toEqual([`${code.A} ${materialA} /post/500 /full/500.jpg`]);
    expect(stats.alertsRaised).toBe(1);
    const reads = await keywordReads(seq);
    expect(reads.map((r) => r.recordId).sort()).toEqual([await caseId(code.A), await caseId(code.F)].sort());
    expect(reads.map((r) => r.caseCode).sort()).toEqual([code.A, code.F].sort());
    const audit = JSON.stringify(await listAudit(ctx.sql, 0, 10_000));
    for (const s of SECRET_TEXT) expect(audit).not.toContain(s);
    expect((await verifyAudit(ctx.sql)).ok).toBe(true);
  });

  it('returns deduplicated keywords to the crawler', async () => {
    // A's 'Jane Doe' and F's ' JANE  doe ': one keyword (whichever case comes first), trimmed.
    const kws = await monitoredKeywords(ctx.sql, ctx.masterKey);
    expect(kws).toHaveLength(1);
    expect(['Jane Doe', 'JANE  doe']).toContain(kws[0]);
  });

  it('never logs a search page URL, not even when the page fails in the browser engine', async () => {
    let srv: LocalServer | undefined;
    try {
      srv = await startLocalServer({ '/': (_q, res) => res.end('<html><body><p>front page</p></body></html>') });
      // A short keyword keeps the browser's page count small; the other cases stop being monitored.
      await updateCase(ctx, ADMIN, code.A, { status: 'closed' });
      await updateCase(ctx, ADMIN, code.F, { status: 'closed' });
      await openCase(ctx, ADMIN, { keywords: ['zyqo'] });
      const s = await insertSite(ctx.sql, { name: 'browser-search', engine: 'browser', startUrls: [`${srv.origin}/`], searchUrlTemplate: `${srv.origin}/find?q={keyword}`, allowHosts: ['127.0.0.1'], minIntervalMs: 0, concurrency: 2 });
      const logFrom = logText.length;
      const stats = await crawl(s);
      const searches = srv.hits.filter((h) => h.startsWith('/find?'));
      expect(searches.length, JSON.stringify({ stats, hits: srv.hits, log: logText.slice(logFrom), frontier: await ctx.sql.query('SELECT url, depth, state, seq FROM crawl_frontier WHERE run_id = $1', [stats.runId]) })).toBe(searchUrls(`${srv.origin}/find?q={keyword}`, ['zyqo']).length);
      expect(stats.pagesFailed).toBe(searches.length);
      const failed = logText.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'page failed');
      expect(failed.length).toBe(searches.length);
      expect(failed.every((l) => l.site === s.id && l.searchPage === true && l.reason === undefined)).toBe(true);
    } finally {
      await srv?.close();
    }
    const all = logText.join('');
    expect(all).toContain('crawl finished');
    for (const t of SECRET_TEXT) expect(all).not.toContain(t);
  });
});

describe('searchPageTest', () => {
  it('recognises search pages and their pagination, and nothing else on the site', () => {
    const inQuery = searchPageTest(searchUrls('https://s.example/search?q={keyword}', ['ann lee']));
    expect(inQuery('https://s.example/search?q=annlee')).toBe(true);
    expect(inQuery('https://s.example/search?page=2&q=ann+lee')).toBe(true);
    expect(inQuery('https://s.example/post/12')).toBe(false);
    expect(inQuery('https://other.example/search?q=annlee')).toBe(false);
    const inPath = searchPageTest(searchUrls('https://s.example/tag/{keyword}', ['ann lee']));
    expect(inPath('https://s.example/tag/ann_lee/page/2')).toBe(true);
    expect(inPath('https://s.example/tag/other')).toBe(false);
    expect(searchPageTest([])('https://s.example/search?q=x')).toBe(false);
  });
});
