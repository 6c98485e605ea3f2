/**
 * The service's verbs: serve, db, user, case, material, audit. Each opens the service the way this
 * machine is set up (PostgreSQL from DATABASE_URL, or the embedded database - through the running
 * server's gateway when there is one), acts as the local administrator, and prints text or, with
 * --json, one JSON object.
 */
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliIo } from './main.ts';
import { ConfigError, loadConfig, parsePort, parseRoles, type ConfigOverrides } from '../platform/config.ts';
import { createLogger } from '../platform/log.ts';
import { openService, type ServiceContext } from '../platform/context.ts';
import type { Actor, Role } from '../platform/audit.ts';
import { ServiceError } from '../platform/errors.ts';

class UsageError extends Error {}

/** The command line acts as the machine's administrator: whoever can run it can read the data directory. */
function cliActor(): Actor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  return { userId: null, name: `cli:${name}`, role: 'admin', source: 'cli' };
}

type ParsedValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

function parse(args: string[], options: ParseArgsConfig['options'], usage: string): { values: ParsedValues; positionals: string[] } {
  try {
    const r = parseArgs({ args, options: { json: { type: 'boolean' }, ...options }, allowPositionals: true, strict: true });
    return { values: r.values as ParsedValues, positionals: r.positionals };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nusage: staydown ${usage}`);
  }
}

function print(io: CliIo, json: boolean, value: unknown, text: string): void {
  io.stdout.write(json ? `${JSON.stringify(value)}\n` : text.endsWith('\n') ? text : `${text}\n`);
}

/** Runs a verb body with the service open, and turns errors into a message and an exit status. */
async function withService(io: CliIo, overrides: ConfigOverrides, body: (ctx: ServiceContext, actor: Actor) => Promise<number>): Promise<number> {
  let opened: Awaited<ReturnType<typeof openService>> | undefined;
  try {
    const config = loadConfig(overrides);
    opened = await openService(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel));
    return await body(opened.ctx, cliActor());
  } catch (err) {
    return reportError(io, err);
  } finally {
    await opened?.close().catch(() => {});
  }
}

function reportError(io: CliIo, err: unknown): number {
  if (err instanceof UsageError) {
    io.stderr.write(`staydown: ${err.message}\n`);
    return 64;
  }
  if (err instanceof ConfigError) {
    io.stderr.write(`staydown: ${err.message}\n`);
    return 78;
  }
  io.stderr.write(`staydown: ${(err as Error).message}\n`);
  return err instanceof ServiceError ? 1 : 70;
}

async function guard(io: CliIo, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    return reportError(io, err);
  }
}

export async function runServe(args: string[], io: CliIo): Promise<number> {
  return guard(io, async () => {
    const { values } = parse(args, { port: { type: 'string' }, roles: { type: 'string' } }, 'serve [--port N] [--roles api,worker,scheduler] [--json]');
    const overrides: ConfigOverrides = {};
    if (values.port !== undefined) overrides.port = parsePort(String(values.port), '--port');
    if (values.roles !== undefined) overrides.roles = parseRoles(String(values.roles), '--roles');
    const { serve } = await import('../runtime/serve.ts');
    return serve(loadConfig(overrides), io, { json: Boolean(values.json) });
  });
}

export async function runDb(args: string[], io: CliIo): Promise<number> {
  return guard(io, async () => {
    const { values, positionals } = parse(args, {}, 'db migrate [--json]');
    if (positionals[0] !== 'migrate' || positionals.length !== 1) throw new UsageError('usage: staydown db migrate [--json]');
    const config = loadConfig();
    const { openDatabase } = await import('../../db/connect.ts');
    const { migrate, appliedMigrations } = await import('../../db/migrate.ts');
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const applied = await migrate(db.sql);
      const all = await appliedMigrations(db.sql);
      print(io, Boolean(values.json), { applied, total: all.length }, applied.length ? `applied ${applied.join(', ')} (${all.length} in total) on ${db.description}` : `${db.description} is up to date (${all.length} migrations)`);
      return 0;
    } finally {
      await db.close();
    }
  });
}

export async function runUser(args: string[], io: CliIo): Promise<number> {
  return guard(io, async () => {
    const usage = 'user add --role admin|staff|operator|platform|auditor [--token] NAME [--json]';
    const { values, positionals } = parse(args, { role: { type: 'string' }, token: { type: 'boolean' } }, usage);
    if (positionals[0] !== 'add' || positionals.length !== 2 || !values.role) throw new UsageError(`usage: staydown ${usage}`);
    const { addUser } = await import('../accounts/accounts.ts');
    return withService(io, {}, async (ctx, actor) => {
      const r = await addUser(ctx.sql, actor, { name: positionals[1], role: values.role as Role, credential: values.token ? 'token' : undefined });
      const secret = r.password ? `one-time password: ${r.password}` : `API token: ${r.token}`;
      print(io, Boolean(values.json), r, `created ${r.user.role} '${r.user.name}' (${r.user.id})\n${secret}\nIt is shown only now; staydown keeps only its hash.`);
      return 0;
    });
  });
}

export async function runCase(args: string[], io: CliIo): Promise<number> {
  return guard(io, async () => {
    const usage = 'case open [--label TEXT] | case list | case withdraw CODE | case erase CODE   [--json]';
    const { values, positionals } = parse(args, { label: { type: 'string' }, 'keep-evidence': { type: 'boolean' }, 'retention-days': { type: 'string' } }, usage);
    const [sub, code, ...extra] = positionals;
    const json = Boolean(values.json);
    const cases = await import('../cases/cases.ts');
    if (sub === 'open' && !code) {
      const retention = values['retention-days'] !== undefined ? Number(values['retention-days']) : undefined;
      return withService(io, {}, async (ctx, actor) => {
        const c = await cases.openCase(ctx, actor, {
          personal: values.label ? { label: String(values.label) } : {},
          keepEvidence: Boolean(values['keep-evidence']),
          evidenceRetentionDays: retention,
        });
        print(io, json, { code: c.code, status: c.status }, c.code);
        return 0;
      });
    }
    if (sub === 'list' && !code) {
      return withService(io, {}, async (ctx, actor) => {
        const items: Awaited<ReturnType<typeof cases.listCases>>['items'] = [];
        for (let after: string | null = ''; after !== null; ) {
          const page = await cases.listCases(ctx, actor, { after, limit: 500 });
          items.push(...page.items);
          after = page.next;
        }
        const text = items.length === 0 ? 'no cases' : items.map((c) => `${c.code}  ${c.status.padEnd(10)} ${String(c.materialCount).padStart(4)} material  ${c.label ?? ''}`.trimEnd()).join('\n');
        print(io, json, { cases: items }, text);
        return 0;
      });
    }
    if ((sub === 'withdraw' || sub === 'erase') && code && extra.length === 0) {
      return withService(io, {}, async (ctx, actor) => {
        const r = sub === 'withdraw' ? await cases.withdrawCase(ctx, actor, code) : await cases.eraseCase(ctx, actor, code);
        print(io, json, r, sub === 'withdraw' ? `case ${r.code} withdrawn: its material no longer matches` : `case ${r.code} erased: its data key, personal data and material are gone`);
        return 0;
      });
    }
    throw new UsageError(`usage: staydown ${usage}`);
  });
}

export async function runMaterial(args: string[], io: CliIo): Promise<number> {
  return guard(io, async () => {
    const usage = 'material add --case CODE [--url URL]... FILE... [--json]';
    const { values, positionals } = parse(args, { case: { type: 'string' }, url: { type: 'string', multiple: true } }, usage);
    if (positionals[0] !== 'add' || positionals.length < 2 || !values.case) throw new UsageError(`usage: staydown ${usage}`);
    const { registerMaterialFile } = await import('../cases/materials.ts');
    return withService(io, {}, async (ctx, actor) => {
      const results: unknown[] = [];
      let failed = 0;
      for (const file of positionals.slice(1)) {
        try {
          const m = await registerMaterialFile(ctx, actor, String(values.case), file, { knownUrls: (values.url as string[] | undefined) ?? [] });
          results.push({ file, ...m });
          if (!values.json) io.stdout.write(`${file}: registered ${m.kind} ${m.id} (${m.hashes} hashes)${m.duplicate ? ' - already registered' : ''}\n`);
        } catch (err) {
          failed++;
          results.push({ file, error: (err as Error).message });
          io.stderr.write(`staydown: ${file}: ${(err as Error).message}\n`);
        }
      }
      if (values.json) io.stdout.write(`${JSON.stringify({ case: values.case, results })}\n`);
      return failed === 0 ? 0 : failed === results.length ? 1 : 2;
    });
  });
}

export async function runAudit(args: string[], io: CliIo): Promise<number> {
  return guard(io, async () => {
    const { values, positionals } = parse(args, {}, 'audit verify [--json]');
    if (positionals[0] !== 'verify' || positionals.length !== 1) throw new UsageError('usage: staydown audit verify [--json]');
    const { verifyAudit } = await import('../platform/audit.ts');
    return withService(io, {}, async (ctx) => {
      const r = await verifyAudit(ctx.sql);
      print(io, Boolean(values.json), r, r.ok ? `audit log intact: ${r.rows} rows, hash chain verified` : `AUDIT LOG TAMPERED: ${r.problem!.reason} (${r.rows} rows before it verified)`);
      return r.ok ? 0 : 3;
    });
  });
}
