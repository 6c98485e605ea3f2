import { withTimeout } from '../platform/timeout.ts';
import type { CliIo } from './io.ts';

/**
 * A last-resort cap per file. The real caps live where the work is and stop it: libvips stops after
 * 10 s per image, ffmpeg is killed when it stalls for 30 s or overruns 60 s + a quarter of the video's
 * duration (hashing/video/ffmpeg.ts), so this only fires if something below forgot to.
 */
const PER_FILE_TIMEOUT_MS = 2 * 60 * 60 * 1000;

/**
 * Runs `work` on each file in order and prints each result or error line as soon as it is known, so a
 * bad file never stops the batch. Returns the exit status: 0 when all succeeded, 2 when some failed.
 */
export async function forEachFile<T>(
  files: string[],
  io: CliIo,
  work: (file: string) => Promise<T>,
  print: (file: string, result: T) => void,
  json: boolean,
): Promise<number> {
  let failed = 0;
  const progress = (io.stderr as NodeJS.WriteStream).isTTY === true && files.length > 1;
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    if (progress) io.stderr.write(`\r[${i + 1}/${files.length}] ${file.slice(-60)}\x1b[K`);
    try {
      print(file, await withTimeout(work(file), PER_FILE_TIMEOUT_MS, `Processing the file took longer than ${PER_FILE_TIMEOUT_MS / 1000} s and was abandoned.`));
    } catch (err) {
      failed++;
      const error = errorSentence(err);
      if (json) io.stdout.write(JSON.stringify({ file, error }) + '\n');
      else io.stderr.write(`${file}: ${error}\n`);
    }
  }
  if (progress) io.stderr.write('\r\x1b[K');
  return failed === 0 ? 0 : 2;
}

function errorSentence(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg || 'The file could not be processed (unknown error).';
}
