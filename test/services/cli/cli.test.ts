import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

describe('staydown CLI', () => {
  it('prints usage with every verb on --help', () => {
    const r = spawnSync(process.execPath, ['bin/staydown.js', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const verb of ['hash', 'match', 'serve', 'case', 'material', 'site', 'crawl', 'alerts', 'audit']) {
      expect(r.stdout).toContain(`staydown ${verb}`);
    }
  });

  it('prints each verb\'s own usage on VERB --help and exits 0, opening nothing', async () => {
    const { main } = await import('../../../services/cli/main.ts');
    const help = spawnSync(process.execPath, ['bin/staydown.js', '--help'], { encoding: 'utf8' }).stdout;
    const verbs = [...help.matchAll(/^ {2}staydown (\S+)/gm)].map((m) => m[1]);
    expect(verbs.length).toBeGreaterThanOrEqual(14);
    for (const verb of verbs) {
      let out = '';
      let err = '';
      const io = { stdout: { write: (t: string) => ((out += t), true) }, stderr: { write: (t: string) => ((err += t), true) } } as never;
      // Run outside any data directory: help must not need one.
      expect(await main([verb, '--help'], io), `${verb} --help: ${err}`).toBe(0);
      expect(out, verb).toMatch(new RegExp(`^usage: staydown ${verb}\\b`));
      expect(err, verb).toBe('');
    }
  });

  it('rejects an unknown verb with exit status 64 and a pointer to --help', () => {
    const r = spawnSync(process.execPath, ['bin/staydown.js', 'frobnicate'], { encoding: 'utf8' });
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'.*--help/);
  });
});
