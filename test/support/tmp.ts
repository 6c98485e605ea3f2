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

type Falsy = false | null | undefined | 0 | '';

/**
 * A failed `expect` (or node:assert) inside a check: the thing being watched broke a rule, which no amount
 * of waiting undoes. Vitest 4's `expect` throws chai's AssertionError (name 'AssertionError', with
 * `actual`/`expected`), node:assert its own of the same name.
 */
function isAssertionError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AssertionError';
}

/**
 * Polls `check` until it returns a truthy value or `timeoutMs` passes; never a fixed sleep. Other errors a
 * check throws count as "not yet" (crash-safety.test.ts stats the files of a directory the server may be
 * emptying) and the last one is named if time runs out. An assertion error fails at once, so an `expect`
 * inside a check is a real check.
 */
export async function waitFor<T>(check: () => Promise<T | Falsy> | T | Falsy, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as T;
    } catch (err) {
      if (isAssertionError(err)) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}.`, { cause: last });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
