/** Reads a QR code back with a real decoder (zbar's zbarimg), so tests check what a phone would scan. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';

export function decodeQr(png: Buffer): string {
  const file = join(tmpdir(), `staydown-qr-${randomBytes(6).toString('hex')}.png`);
  writeFileSync(file, png);
  try {
    // -Sbinary: the symbol's bytes as they are (the text is UTF-8), not re-encoded by zbar's guess.
    return execFileSync('zbarimg', ['--raw', '-q', '-Sbinary', file], { encoding: 'buffer', stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8').replace(/\n$/, '');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('zbarimg is not installed: apt-get install -y zbar-tools (the QR tests read codes back with it).', { cause: err });
    throw new Error('zbarimg found no QR code in the image.', { cause: err });
  }
}
