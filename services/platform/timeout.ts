/**
 * A promise given up on after `ms`: for work that takes no AbortSignal (a DNS look-up, a whole file's
 * processing). The work itself is not stopped - the real caps live where the work is - only no longer
 * waited for. `reason` is the sentence the rejection carries.
 */
export function withTimeout<T>(p: Promise<T>, ms: number, reason: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(reason)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
