import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticPhoto } from '../support/images.ts';
import { editSet, makeEdit, sample } from '../support/video-edits.ts';
import { requireVectors } from '../support/vectors.ts';

requireVectors();

const staydown = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, ['bin/staydown.js', ...args], { encoding: 'utf8', env, timeout: 280_000, maxBuffer: 64 << 20 });

describe(`staydown hash with videos`, () => {
  let dir: string;
  let photo: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'staydown-video-cli-'));
    photo = join(dir, 'photo.jpg');
    writeFileSync(photo, await syntheticPhoto(3));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a video fingerprint, and a per-file error for a bad file without stopping the batch', () => {
    const bad = join(dir, 'broken.mp4');
    writeFileSync(bad, Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(3000, 7)]));
    const r = staydown(['hash', '--json', bad, sample('doorknob-hd-no-bar'), photo]);
    expect(r.status).toBe(2);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0].error).toMatch(/truncated or damaged|not a video/);
    expect(lines[1]).toMatchObject({ kind: 'video', width: 1280, height: 720, interval: 1 });
    expect(lines[1].file).toBe(sample('doorknob-hd-no-bar'));
    expect(lines[1].frames[0]).toMatchObject({ t: 0, pdq: expect.stringMatching(/^[0-9a-f]{64}$/), quality: expect.any(Number) });
    expect(lines[2].kind).toBe('image');
  }, 300_000);

  it('staydown match finds a clip and a mirrored copy in a bank of densely hashed videos, with time ranges', () => {
    const bank = join(dir, 'bank.jsonl');
    const hashed = staydown(['hash', '--json', '--every-frame', sample('chair-orig-22-sd-bar'), sample('pattern-hd-no-bar')]);
    expect(hashed.status).toBe(0);
    writeFileSync(bank, hashed.stdout);
    const edits = editSet().filter((e) => e.source === 'chair-orig-22-sd-bar');
    const clip = makeEdit(edits.find((e) => e.name.startsWith('clip-11s'))!);
    const mirrored = makeEdit(edits.find((e) => e.name === 'mirror')!);
    const r = staydown(['match', '--bank', bank, '--json', clip, mirrored, sample('doorknob-hd-no-bar')]);
    expect(r.status).toBe(0);
    const [c, m, d] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(c.matches).toHaveLength(1);
    expect(c.matches[0]).toMatchObject({ ref: sample('chair-orig-22-sd-bar'), method: 'vpdq', queryShare: 1 });
    expect(c.matches[0].ranges[0].reference[0]).toBeCloseTo(7.4, 0);
    expect(c.matches[0].refShare).toBeLessThan(0.6);
    expect(m.matches.map((x: { ref: string; view: string }) => [x.ref, x.view])).toEqual([[sample('chair-orig-22-sd-bar'), 'mirror']]);
    expect(d.matches).toEqual([]);
  }, 300_000);

  it('without ffmpeg: videos get the install hint, images keep working', () => {
    const r = staydown(['hash', '--json', sample('doorknob-hd-no-bar'), photo], { ...process.env, PATH: '/nonexistent', FFMPEG_PATH: '' });
    expect(r.status).toBe(2);
    const [video, image] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(video.error).toMatch(/ffmpeg, which was not found on PATH: install it with `apt-get install -y ffmpeg`/);
    expect(image.kind).toBe('image');
  }, 300_000);
});
