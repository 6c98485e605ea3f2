import { fingerprintFile } from '../../hashing/fingerprint.ts';
import type { Fingerprint } from '../../hashing/types.ts';
import { configureFfmpeg } from '../../hashing/video/ffmpeg.ts';
import { ffmpegLocation } from '../platform/config.ts';
import { parseCli, UsageError } from './args.ts';
import type { CliIo } from './io.ts';
import { forEachFile } from './per-file.ts';

export const HASH_USAGE = 'staydown hash [--json] [--every-frame] FILE...';

/** `staydown hash`: one fingerprint (or one error) per file, in input order. */
export async function runHash(args: string[], io: CliIo): Promise<number> {
  configureFfmpeg(ffmpegLocation());
  let parsed;
  try {
    parsed = parseCli(args, { json: { type: 'boolean' }, 'every-frame': { type: 'boolean' } }, HASH_USAGE);
    if (parsed.positionals.length === 0) throw new UsageError(`No files given.\nusage: ${HASH_USAGE}`);
  } catch (err) {
    io.stderr.write(`staydown hash: ${(err as Error).message}\n`);
    return 64;
  }
  const json = parsed.values.json === true;
  // --every-frame: videos hashed at every frame instead of one a second, for registered material (a
  // bank): uploads cut at any moment then find their frames (hashing/video/ffmpeg-args.ts).
  const video = parsed.values['every-frame'] === true ? { interval: 0 } : undefined;
  // A `--json` line is a bank line: it carries the picture's local features as a reference, so a
  // bank finds it when it is only part of what was posted. The human-readable line does without them.
  const features = json ? ('reference' as const) : undefined;
  return forEachFile(parsed.positionals, io, (file) => fingerprintFile(file, { video, features }), (file, fp) => {
    io.stdout.write(json ? JSON.stringify({ file, ...fp }) + '\n' : describe(file, fp));
  }, json);
}

function describe(file: string, fp: Fingerprint): string {
  if (fp.kind === 'video') {
    return `${file}\tvideo ${fp.width}x${fp.height} ${fp.duration.toFixed(1)}s ${fp.frames.length} frames sha256=${fp.sha256}\n`;
  }
  return `${file}\timage ${fp.width}x${fp.height} pdq=${fp.pdq.hash} quality=${fp.pdq.quality} blockhash=${fp.blockhash} sha256=${fp.sha256}\n`;
}
