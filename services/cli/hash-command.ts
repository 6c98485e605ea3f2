import type { CliIo } from './main.ts';

// Placeholder until this verb lands; it says so instead of pretending to work.
export async function runHash(_args: string[], io: CliIo): Promise<number> {
  io.stderr.write('staydown: this command is not available in this build yet.\n');
  return 70;
}
