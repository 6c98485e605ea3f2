import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { fingerprintBuffer, FingerprintError } from '../../hashing/fingerprint.ts';
import { pngBomb, syntheticPhoto } from '../support/images.ts';

describe('bad input gets a clear error, never a crash or a hang', () => {
  let good: Buffer;
  beforeAll(async () => {
    good = await syntheticPhoto(1);
  });

  const cases: Array<[string, () => Uint8Array, RegExp]> = [
    ['zero bytes', () => new Uint8Array(0), /empty/],
    ['a text file', () => Buffer.from('hello, this is not a picture\n'.repeat(20)), /not an image/],
    ['a truncated JPEG', () => good.subarray(0, Math.floor(good.length / 3)), /truncated or corrupt/],
    ['random bytes after a JPEG signature', () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(5000, 0x5a)]), /not an image|truncated or corrupt/],
    ['a 20000x20000 PNG bomb', () => pngBomb(20000, 20000), /20000x20000 pixels, over the limit/],
  ];

  it.each(cases)('%s', async (_name, make, message) => {
    const started = Date.now();
    const err = await fingerprintBuffer(make()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FingerprintError);
    expect((err as Error).message).toMatch(message);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('the CLI reports each bad file on its own line, goes on, and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'staydown-bad-'));
    writeFileSync(join(dir, 'good.jpg'), good);
    writeFileSync(join(dir, 'empty.jpg'), '');
    writeFileSync(join(dir, 'text.jpg'), 'not an image at all');
    writeFileSync(join(dir, 'bomb.png'), pngBomb(20000, 20000));
    const files = ['good.jpg', 'empty.jpg', 'missing.jpg', 'text.jpg', 'bomb.png', 'good.jpg'].map((f) => join(dir, f));
    const r = spawnSync(process.execPath, ['bin/staydown.js', 'hash', '--json', ...files], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file)).toEqual(files);
    expect(lines.map((l) => ('error' in l ? 'error' : l.kind))).toEqual(['image', 'error', 'error', 'error', 'error', 'image']);
    expect(lines[2].error).toMatch(/does not exist/);
    expect(lines[0].pdq.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(lines[0]).toEqual(lines[5]);
  });
});
