import type { CliIo } from './main.ts';

// Placeholders until the service verbs land; they say so instead of pretending to work.
async function notYet(_args: string[], io: CliIo): Promise<number> {
  io.stderr.write('staydown: this command is not available in this build yet.\n');
  return 70;
}
export const runServe = notYet;
export const runDb = notYet;
export const runUser = notYet;
export const runCase = notYet;
export const runMaterial = notYet;
export const runAudit = notYet;
