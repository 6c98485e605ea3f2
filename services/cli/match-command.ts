import { BankFileError, readBankFile } from '../../hashing/bank-file.ts';
import { fingerprintFile } from '../../hashing/fingerprint.ts';
import { ReferenceBank } from '../../hashing/match/matcher.ts';
import { configureFfmpeg } from '../../hashing/video/ffmpeg.ts';
import { ffmpegLocation } from '../platform/config.ts';
import { parseCli, UsageError } from './args.ts';
import type { CliIo } from './io.ts';
import { forEachFile } from './per-file.ts';

export const MATCH_USAGE = 'staydown match --bank BANK [--json] FILE...';

/** `staydown match`: for each file, the bank references staydown's default policy alerts on. */
export async function runMatch(args: string[], io: CliIo): Promise<number> {
  configureFfmpeg(ffmpegLocation());
  let parsed;
  try {
    parsed = parseCli(args, { json: { type: 'boolean' }, bank: { type: 'string' } }, MATCH_USAGE);
    if (!parsed.values.bank) throw new UsageError(`--bank is required.\nusage: ${MATCH_USAGE}`);
    if (parsed.positionals.length === 0) throw new UsageError(`No files given.\nusage: ${MATCH_USAGE}`);
  } catch (err) {
    io.stderr.write(`staydown match: ${(err as Error).message}\n`);
    return 64;
  }
  let bank: ReferenceBank;
  try {
    const { entries, skipped } = await readBankFile(parsed.values.bank);
    bank = new ReferenceBank(entries);
    if (skipped > 0) io.stderr.write(`staydown match: ${skipped} bank line(s) recorded a hashing error and were skipped.\n`);
  } catch (err) {
    if (!(err instanceof BankFileError)) throw err;
    io.stderr.write(`staydown match: ${err.message}\n`);
    return 64;
  }
  const json = parsed.values.json === true;
  // Queries take their local features only when some reference has features to compare them with.
  const features = bank.hasFeatures ? ('query' as const) : undefined;
  return forEachFile(parsed.positionals, io, async (file) => bank.match(await fingerprintFile(file, { features })), (file, matches) => {
    if (json) io.stdout.write(JSON.stringify({ file, matches }) + '\n');
    else if (matches.length === 0) io.stdout.write(`${file}\tno match\n`);
    else for (const m of matches) io.stdout.write(`${file}\t${m.ref}\t${m.method}\t${m.distance}\n`);
  }, json);
}
