import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintBuffer } from '../../hashing/fingerprint.ts';
import { queryProbeHashes, ruleFor } from '../../hashing/match/image-policy.ts';
import { ReferenceBank } from '../../hashing/match/matcher.ts';
import { ALL_MATCH_METHODS } from '../../hashing/match/methods.ts';
import { referenceHashes } from '../../hashing/reference.ts';
import type { ImageFingerprint } from '../../hashing/types.ts';
import { syntheticPhoto } from '../support/images.ts';

const ROOT = resolve(import.meta.dirname, '../..');
/** The methods the README promises, as the issue listed them. */
const DOCUMENTED = ['exact-sha256', 'features', 'pdq-low-quality', 'pdq', 'pdq-dihedral', 'pdq-trim', 'pdq-screenshot', 'pdq-rotation', 'pdq-crop', 'pdq-cut', 'pdq+blockhash', 'vpdq', 'image-in-video', 'video-contains-image', 'video-features', 'exact-md5'];

describe('match methods', () => {
  it('are the documented list, no more and no fewer', () => {
    expect([...ALL_MATCH_METHODS].sort()).toEqual([...DOCUMENTED].sort());
  });

  it('are each named in the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const m of ALL_MATCH_METHODS) expect(readme.includes(`\`${m}\``), `README names \`${m}\``).toBe(true);
  });

  it('cover every pairing the image policy can compare, over the views real pictures get', async () => {
    const fps = (await Promise.all([1, 2].map(async (s) => fingerprintBuffer(await syntheticPhoto(s))))) as ImageFingerprint[];
    const queryViews = new Set(fps.flatMap((fp) => queryProbeHashes(fp).map((p) => p.view)));
    const refViews = new Set(fps.flatMap((fp) => referenceHashes(fp).map((h) => h.view)));
    expect(queryViews.size).toBeGreaterThan(10);
    expect(refViews.size).toBeGreaterThan(10);
    const emitted = new Set<string>();
    for (const q of queryViews) for (const r of refViews) {
      const rule = ruleFor(q, r);
      if (rule) emitted.add(rule.method);
    }
    expect([...emitted]).toEqual(expect.arrayContaining(['pdq', 'pdq-dihedral', 'pdq-crop', 'pdq+blockhash']));
    for (const m of emitted) expect(ALL_MATCH_METHODS, m).toContain(m);
  });

  it('are what the matcher reports for the same bytes', async () => {
    const photo = await syntheticPhoto(3);
    const fp = await fingerprintBuffer(photo);
    const bank = new ReferenceBank([{ ref: 'ref-1', fp }, { ref: 'ref-2', fp: { ...fp, sha256: '0'.repeat(64) } }]);
    const methods = bank.match(fp).map((m) => m.method);
    expect(methods).toEqual(['exact-sha256', 'exact-md5']);
    for (const m of methods) expect(ALL_MATCH_METHODS).toContain(m);
  });

  it('are spelled only in hashing/match/methods.ts', () => {
    // A method name written as a string anywhere else in code is a second spelling waiting to drift.
    const literal = /['"`](exact-sha256|exact-md5|pdq-[a-z]+|pdq\+blockhash|vpdq|image-in-video|video-contains-image)['"`]/;
    const offenders: string[] = [];
    const scan = (path: string): void =>
      readFileSync(path, 'utf8').split('\n').forEach((line, i) => {
        const code = line.trim();
        if (code.startsWith('*') || code.startsWith('/*') || code.startsWith('//')) return;
        if (literal.test(code.replace(/\/\/.*$/, ''))) offenders.push(`${path.slice(ROOT.length + 1)}:${i + 1}`);
      });
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.endsWith(join('match', 'methods.ts'))) scan(path);
      }
    };
    walk(join(ROOT, 'hashing'));
    scan(join(ROOT, 'services/matching/change-feed.ts'));
    expect(offenders).toEqual([]);
  });
});
