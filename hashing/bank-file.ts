/**
 * Reading a bank file: the lines `staydown hash --json` printed. Each line is checked before it is
 * trusted; a line that is not a fingerprint gets an error naming its line number.
 */
import { readFile } from 'node:fs/promises';
import { isHash256 } from './bits.ts';
import { FEATURE_SIGNAL } from './signals/registry.ts';
import type { Fingerprint } from './types.ts';

export interface BankLine {
  ref: string;
  fp: Fingerprint;
}

export class BankFileError extends Error {
  override name = 'BankFileError';
}

export async function readBankFile(path: string): Promise<{ entries: BankLine[]; skipped: number }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new BankFileError(`The bank file '${path}' cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, { cause: err });
  }
  return parseBank(text, path);
}

export function parseBank(text: string, name = 'bank'): { entries: BankLine[]; skipped: number } {
  const entries: BankLine[] = [];
  let skipped = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new BankFileError(`Line ${i + 1} of ${name} is not JSON; a bank file holds the lines that 'staydown hash --json' prints.`);
    }
    if (typeof obj.error === 'string') {
      skipped++; // a file that could not be hashed when the bank was made
      continue;
    }
    const problem = checkFingerprint(obj);
    if (problem) throw new BankFileError(`Line ${i + 1} of ${name} is not a fingerprint: ${problem}.`);
    const { file, ...fp } = obj;
    entries.push({ ref: String(file), fp: fp as unknown as Fingerprint });
  }
  return { entries, skipped };
}

function checkFingerprint(o: Record<string, unknown>): string | null {
  if (typeof o.file !== 'string') return "it has no 'file'";
  if (typeof o.sha256 !== 'string' || typeof o.md5 !== 'string') return "it has no 'sha256' or 'md5'";
  if (o.kind === 'image') {
    const pdq = o.pdq as { hash?: unknown; quality?: unknown } | undefined;
    if (!pdq || typeof pdq.hash !== 'string' || !isHash256(pdq.hash) || typeof pdq.quality !== 'number') return "its 'pdq' is not a 64-hex-digit hash with a quality";
    if (!Array.isArray(o.views)) o.views = [];
    if (o.features !== undefined && !FEATURE_SIGNAL.validate(o.features)) return "its 'features' are not local features this build can read (hash the file again)";
    return null;
  }
  if (o.kind === 'video') {
    if (!Array.isArray(o.frames)) return "its 'frames' is missing";
    for (const f of o.frames as Array<Record<string, unknown>>) {
      if (typeof f?.pdq !== 'string' || !isHash256(f.pdq) || typeof f.t !== 'number') return 'a frame has no valid pdq hash or time';
    }
    if (o.keyframes !== undefined) {
      if (!Array.isArray(o.keyframes)) return "its 'keyframes' is not a list";
      for (const k of o.keyframes as Array<Record<string, unknown>>) {
        if (typeof k?.t !== 'number' || !FEATURE_SIGNAL.validate(k.features)) return "a keyframe's 'features' are not local features this build can read (hash the file again)";
      }
    }
    return null;
  }
  return "its 'kind' is neither 'image' nor 'video'";
}
