import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A temporary directory for this test file, removed afterwards. Short paths: unix sockets live in them. */
export function useTempDir(prefix: string): () => string {
  const dir = mkdtempSync(join(tmpdir(), `sd-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes; never a fixed sleep. */
type Falsy = false | null | undefined | 0 | '';

export async function waitFor<T>(check: () => Promise<T | Falsy> | T | Falsy, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}.`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
