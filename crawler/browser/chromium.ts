/**
 * Which Chromium, and how it is started. The path is the caller's (configuration reads CHROMIUM_PATH, in
 * one place); without one, Debian's locations are tried. The switches are the ones this crawler's
 * Chromium has been measured with.
 */
import { existsSync } from 'node:fs';

/** Debian's chromium package: the binary itself, then its wrapper script. */
const CHROMIUM_PATHS = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];

// STACK.md: these flags make Debian's Chromium start quietly and fast as root in a container. The last
// two keep its memory down: renderers shared by the pages of a crawl (at most two processes), and the
// GPU process (software only here) folded into the browser process. Measured on bench:crawl (60 pages,
// 4 at a time): Chromium's summed RSS 1.57 GB -> 1.17 GB, PSS 650 -> 566 MB, the same pages/s.
// No --disable-features here: Chromium keeps only the last one it is given, and Playwright's own list is
// what stops the search-engine preconnect, AI-mode and network-time calls to Google from every context
// (it also passes --disable-back-forward-cache). test/security/browser-egress.test.ts holds it to that.
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--mute-audio', '--renderer-process-limit=2', '--in-process-gpu'];

export class BrowserUnavailableError extends Error {}

/**
 * The Chromium to start: `executablePath` when given (it must exist: a configured path that is wrong is
 * an error, not a reason to pick another binary), else the first of `searchPaths` that exists.
 */
export function findChromium(opts: { executablePath?: string; searchPaths?: readonly string[] } = {}): string {
  if (opts.executablePath) {
    if (existsSync(opts.executablePath)) return opts.executablePath;
    throw new BrowserUnavailableError(`Chromium was not found at ${opts.executablePath}, the configured path (CHROMIUM_PATH); point it at the chromium binary or unset it to use the system's.`);
  }
  const candidates = opts.searchPaths ?? CHROMIUM_PATHS;
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new BrowserUnavailableError(`Chromium was not found (looked in ${candidates.join(', ')}); the browser engine needs it: install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH.`);
  }
  return found;
}
