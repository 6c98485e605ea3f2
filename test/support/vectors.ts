import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The shared reference vectors live beside the project (`../shared/vectors`). A user's own clone may
 * not have them: conformance suites then report themselves skipped with this reason.
 */
export const VECTORS_DIR = resolve(import.meta.dirname, '../../../shared/vectors');
export const HAVE_VECTORS = existsSync(resolve(VECTORS_DIR, 'SOURCES.md'));
export const NO_VECTORS_REASON = `reference vectors not found at ${VECTORS_DIR} (they ship beside the project as ../shared/vectors)`;

export function vector(...parts: string[]): string {
  return resolve(VECTORS_DIR, ...parts);
}
