import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintFile } from '../../hashing/fingerprint.ts';
import { decodeImage } from '../../hashing/image-decoder.ts';
import { BYTE_SIGNALS, IMAGE_SIGNALS } from '../../hashing/signals/registry.ts';
import type { SignalExample, SignalType } from '../../hashing/signals/signal.ts';
import { requireVectors } from '../support/vectors.ts';

requireVectors();

// Every registered signal against its own published vectors: a new signal is tested by registering it.
const ROOT = resolve(import.meta.dirname, '../..');
const inputs = {
  bytes: async (file: string) => new Uint8Array(readFileSync(file)),
  image: async (file: string) => (await decodeImage(new Uint8Array(readFileSync(file)))).image,
};
const registered: Array<{ signal: SignalType<never, unknown>; input: keyof typeof inputs }> = [
  ...BYTE_SIGNALS.map((signal) => ({ signal: signal as SignalType<never, unknown>, input: 'bytes' as const })),
  ...IMAGE_SIGNALS.map((signal) => ({ signal: signal as SignalType<never, unknown>, input: 'image' as const })),
];

describe('the signal registry', () => {
  it('names each signal once, and every signal brings conformance vectors', () => {
    const names = registered.map((r) => r.signal.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['sha256', 'md5', 'pdq', 'blockhash']));
    for (const { signal } of registered) expect(signal.examples.length, signal.name).toBeGreaterThan(0);
  });

  it('refuses malformed stored hashes', () => {
    for (const { signal } of registered) {
      for (const bad of [undefined, null, '', 'zz', 42, {}]) expect(signal.validate(bad), `${signal.name} ${JSON.stringify(bad)}`).toBe(false);
    }
  });
});

describe(`every registered signal reproduces its vectors`, () => {
  const cases = registered.flatMap(({ signal, input }) => signal.examples.map((example) => ({ name: `${signal.name}: ${example.file}`, signal, input, example: example as SignalExample<unknown> })));

  it.each(cases)('$name', async ({ signal, input, example }) => {
    expect(example.file.startsWith('../shared/vectors/'), 'vectors are used in place, from ../shared/vectors').toBe(true);
    const file = resolve(ROOT, example.file);
    const got = (signal as SignalType<unknown, unknown>).hash(await inputs[input](file));
    expect(signal.validate(got)).toBe(true);
    expect(signal.validate(example.expected)).toBe(true);
    expect(signal.compare(got, got)).toBe(0);
    expect(signal.compare(got, example.expected), example.source).toBeLessThanOrEqual(example.maxDistance);
    // ...and that is what a fingerprint of the file stores under the signal's name.
    const fp = (await fingerprintFile(file)) as unknown as Record<string, unknown>;
    expect(fp[signal.name]).toEqual(got);
  });
});
