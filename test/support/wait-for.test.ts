import { strict as assert } from 'node:assert';
import { describe, expect, it } from 'vitest';
import { waitFor } from './tmp.ts';

// The timeouts below are far longer than any of these checks needs: a test that still passes when the
// timeout is hit would prove nothing, so the elapsed time is asserted to be well under it.
const LONG = 20_000;

describe('waitFor', () => {
  it('fails at once with the assertion error when an expect inside the check fails', async () => {
    let calls = 0;
    const t0 = Date.now();
    const err = await waitFor(() => {
      calls++;
      expect(1).toBe(2);
      return true;
    }, LONG, 'an impossible equality').then(() => null, (e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(LONG / 4);
    expect(calls).toBe(1);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('AssertionError');
    expect((err as Error).message).toBe('expected 1 to be 2 // Object.is equality');
  });

  it('fails at once on an assertion that breaks only after some polls (an async check)', async () => {
    let calls = 0;
    const err = await waitFor(async () => {
      calls++;
      expect(calls, 'the third poll').toBeLessThan(3);
      return false;
    }, LONG, 'a counter to stay small').then(() => null, (e: unknown) => e);
    expect(calls).toBe(3);
    expect((err as Error).message).toContain('the third poll');
  });

  it('fails at once on a node:assert failure too', async () => {
    const err = await waitFor(() => assert.equal(1, 2), LONG, 'node assert').then(() => null, (e: unknown) => e);
    expect((err as Error & { code?: string }).code).toBe('ERR_ASSERTION');
  });

  it('treats other errors as "not yet" and returns the first truthy value', async () => {
    let calls = 0;
    const v = await waitFor(() => {
      calls++;
      if (calls < 3) throw Object.assign(new Error('ENOENT: the file went away'), { code: 'ENOENT' });
      return { calls };
    }, LONG, 'the flaky source to settle');
    expect(v).toEqual({ calls: 3 });
  });

  it('polls falsy values until a truthy one', async () => {
    const values: unknown[] = [0, '', null, undefined, false, 'ready'];
    let i = 0;
    expect(await waitFor(() => values[i++] as string, LONG, 'a truthy value')).toBe('ready');
    expect(i).toBe(values.length);
  });

  it('times out with a sentence naming what it waited for and the last error, kept as the cause', async () => {
    const transient = new Error('connection refused');
    const err = await waitFor(() => {
      throw transient;
    }, 120, 'the server to listen').then(() => null, (e: unknown) => e);
    expect((err as Error).message).toBe('Timed out after 120 ms waiting for the server to listen: connection refused.');
    expect((err as Error).cause).toBe(transient);
  });

  it('times out without an error to name when the check only returned falsy', async () => {
    const err = await waitFor(() => false, 60, 'nothing').then(() => null, (e: unknown) => e);
    expect((err as Error).message).toBe('Timed out after 60 ms waiting for nothing.');
  });
});
