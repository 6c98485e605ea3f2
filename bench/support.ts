/** Small helpers shared by the benchmark scripts: argument flags, timing and output. */
export const JSON_OUT = process.argv.includes('--json');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export async function timeRuns(runs: number, fn: () => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Prints either the human table (stderr-free, to stdout) or one JSON object with --json. */
export function report(result: object, human: () => string): void {
  process.stdout.write(JSON_OUT ? JSON.stringify(result) + '\n' : human());
}

export function log(msg: string): void {
  if (!JSON_OUT) process.stderr.write(msg + '\n');
}
