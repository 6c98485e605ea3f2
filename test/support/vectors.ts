import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The shared reference vectors live beside the project (`../shared/vectors`). The suite needs them: a
 * test that reaches for one when they are missing fails with the reason and where to put them, rather
 * than passing over what it was meant to check.
 */
export const VECTORS_DIR = resolve(import.meta.dirname, '../../../shared/vectors');
const HAVE_VECTORS = existsSync(resolve(VECTORS_DIR, 'SOURCES.md'));
const MISSING_VECTORS =
  `the reference vectors are not at ${VECTORS_DIR}: they ship beside the project as ../shared/vectors ` +
  '(clone the project next to the shared folder, so that ../shared/vectors/SOURCES.md exists)';

/** Throws, with what to do, when the shared vectors are missing. */
export function requireVectors(): void {
  if (!HAVE_VECTORS) throw new Error(MISSING_VECTORS);
}

/** The path of one shared vector; throws when the vectors are missing. */
export function vector(...parts: string[]): string {
  requireVectors();
  return resolve(VECTORS_DIR, ...parts);
}
