/**
 * The `staydown` command line: a table of verbs, each loaded lazily from its own module so that
 * `staydown hash` never pays for the database or the browser, and each area owns its own file.
 */
import { wantsHelp } from './args.ts';
import type { CliIo, VerbRunner } from './io.ts';

export type { CliIo, VerbRunner };

interface Verb {
  summary: string;
  /** The verb's runner and its full usage (printed by `staydown VERB --help`). */
  load: () => Promise<{ run: VerbRunner; usage: string }>;
}

const verbs: Record<string, Verb> = {
  hash: {
    summary: 'hash [--json] FILE...            fingerprint images and videos',
    load: async () => {
      const m = await import('./hash-command.ts');
      return { run: m.runHash, usage: m.HASH_USAGE };
    },
  },
  match: {
    summary: 'match --bank BANK [--json] FILE... match files against a bank of `hash --json` lines',
    load: async () => {
      const m = await import('./match-command.ts');
      return { run: m.runMatch, usage: m.MATCH_USAGE };
    },
  },
  serve: {
    summary: 'serve [--port N] [--roles api,worker,scheduler]  run the service',
    load: async () => {
      const m = await import('../runtime/verbs.ts');
      return { run: m.runServe, usage: m.SERVE_USAGE };
    },
  },
  db: {
    summary: 'db migrate                       apply database migrations',
    load: async () => {
      const m = await import('../runtime/verbs.ts');
      return { run: m.runDb, usage: m.DB_USAGE };
    },
  },
  user: {
    summary: 'user add|list|disable|enable|reset-password|revoke-tokens  manage accounts',
    load: async () => {
      const m = await import('../accounts/verbs.ts');
      return { run: m.runUser, usage: m.USER_USAGE };
    },
  },
  case: {
    summary: 'case open|list|withdraw|erase    manage cases',
    load: async () => {
      const m = await import('../cases/verbs.ts');
      return { run: m.runCase, usage: m.CASE_USAGE };
    },
  },
  material: {
    summary: 'material add --case CODE FILE... register a victim\'s material (fingerprints only)',
    load: async () => {
      const m = await import('../cases/verbs.ts');
      return { run: m.runMaterial, usage: m.MATERIAL_USAGE };
    },
  },
  audit: {
    summary: 'audit verify                     check the audit log\'s hash chain',
    load: async () => {
      const m = await import('../auditing/verbs.ts');
      return { run: m.runAudit, usage: m.AUDIT_USAGE };
    },
  },
  key: {
    summary: 'key rotate --new-key-file PATH|--generate  re-wrap every case key under a new master key',
    load: async () => {
      const m = await import('../keys/verbs.ts');
      return { run: m.runKey, usage: m.KEY_USAGE };
    },
  },
  site: {
    summary: 'site add|list|show|change|disable manage crawl targets',
    load: async () => {
      const m = await import('../crawling/verbs.ts');
      return { run: m.runSite, usage: m.SITE_USAGE };
    },
  },
  crawl: {
    summary: 'crawl NAME [--wait]              crawl a site now',
    load: async () => {
      const m = await import('../crawling/verbs.ts');
      return { run: m.runCrawl, usage: m.CRAWL_USAGE };
    },
  },
  alerts: {
    summary: 'alerts list|confirm|reject       review match alerts',
    load: async () => {
      const m = await import('../review/verbs.ts');
      return { run: m.runAlerts, usage: m.ALERTS_USAGE };
    },
  },
  platform: {
    summary: 'platform add|change|list|show|propose  manage notice recipients',
    load: async () => {
      const m = await import('../takedown/verbs.ts');
      return { run: m.runPlatform, usage: m.PLATFORM_USAGE };
    },
  },
  notices: {
    summary: 'notices list|show|approve|cancel|draft|form|submitted  takedown notices',
    load: async () => {
      const [m, d] = await Promise.all([import('../takedown/verbs.ts'), import('../delivery/verbs.ts')]);
      // `form` and `submitted` (web-form notices) are delivery's; the rest of the verb is takedown's.
      const run: VerbRunner = (args, io) => (d.DELIVERY_SUBCOMMANDS.has(args[0] ?? '') ? d.runDeliveryNotices : m.runNotices)(args, io);
      return { run, usage: `${m.NOTICES_USAGE}\n       ${d.DELIVERY_NOTICES_USAGE}` };
    },
  },
  monitor: {
    summary: 'monitor run  one keep-it-down pass now: checks, reminders, escalations',
    load: async () => {
      const m = await import('../monitoring/verbs.ts');
      return { run: m.runMonitor, usage: m.MONITOR_USAGE };
    },
  },
  stats: {
    summary: 'stats [--from DATE] [--to DATE] [--platform NAME] [--public] [--json|--csv]  takedown statistics',
    load: async () => {
      const m = await import('../stats/verbs.ts');
      return { run: m.runStats, usage: m.STATS_USAGE };
    },
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
  let loaded: { run: VerbRunner; usage: string };
  try {
    loaded = await entry.load();
  } catch (err) {
    io.stderr.write(`staydown: the '${verb}' command could not be loaded: ${(err as Error).message}\n`);
    return 70;
  }
  if (wantsHelp(rest)) {
    io.stdout.write(`usage: ${loaded.usage}\n`);
    return 0;
  }
  return loaded.run(rest, io);
}
