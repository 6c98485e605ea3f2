/**
 * The `staydown` command line: a table of verbs, each loaded lazily from its own module so that
 * `staydown hash` never pays for the database or the browser, and each area owns its own file.
 */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export type VerbRunner = (args: string[], io: CliIo) => Promise<number>;

interface Verb {
  summary: string;
  load: () => Promise<VerbRunner>;
}

const verbs: Record<string, Verb> = {
  hash: {
    summary: 'hash [--json] FILE...            fingerprint images and videos',
    load: async () => (await import('./hash-command.ts')).runHash,
  },
  match: {
    summary: 'match --bank BANK [--json] FILE... match files against a bank of `hash --json` lines',
    load: async () => (await import('./match-command.ts')).runMatch,
  },
  serve: {
    summary: 'serve [--port N] [--roles api,worker,scheduler]  run the service',
    load: async () => (await import('./service-verbs.ts')).runServe,
  },
  db: {
    summary: 'db migrate                       apply database migrations',
    load: async () => (await import('./service-verbs.ts')).runDb,
  },
  user: {
    summary: 'user add --role ROLE NAME        create a console user or API token',
    load: async () => (await import('./service-verbs.ts')).runUser,
  },
  case: {
    summary: 'case open|list|withdraw|erase    manage cases',
    load: async () => (await import('./service-verbs.ts')).runCase,
  },
  material: {
    summary: 'material add --case CODE FILE... register a victim\'s material (fingerprints only)',
    load: async () => (await import('./service-verbs.ts')).runMaterial,
  },
  audit: {
    summary: 'audit verify                     check the audit log\'s hash chain',
    load: async () => (await import('./service-verbs.ts')).runAudit,
  },
  site: {
    summary: 'site add|list|show|disable       manage crawl targets',
    load: async () => (await import('../crawling/verbs.ts')).runSite,
  },
  crawl: {
    summary: 'crawl NAME [--wait]              crawl a site now',
    load: async () => (await import('../crawling/verbs.ts')).runCrawl,
  },
  alerts: {
    summary: 'alerts list [--json]             list match alerts',
    load: async () => (await import('../crawling/verbs.ts')).runAlerts,
  },
};

export function usage(): string {
  const lines = Object.values(verbs).map((v) => `  staydown ${v.summary}`);
  return [
    'staydown - find re-uploaded intimate images and videos, take them down, keep them down.',
    '',
    'Usage:',
    ...lines,
    '',
    'Every verb accepts --json for machine-readable output. See README.md for set-up.',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout.write(usage());
    return 0;
  }
  if (verb === '--version') {
    io.stdout.write('staydown 0.1.0\n');
    return 0;
  }
  const entry = verbs[verb];
  if (!entry) {
    io.stderr.write(`staydown: unknown command '${verb}'. Run 'staydown --help' for the list of commands.\n`);
    return 64;
  }
  let run: VerbRunner;
  try {
    run = await entry.load();
  } catch (err) {
    io.stderr.write(`staydown: the '${verb}' command could not be loaded: ${(err as Error).message}\n`);
    return 70;
  }
  return run(rest, io);
}
