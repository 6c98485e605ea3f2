/** `staydown case` and `staydown material`: cases and their registered material from the command line. */
import { parseCli, usageError } from '../cli/args.ts';
import { printResult, type CliIo } from '../cli/io.ts';
import { runVerb, withService } from '../cli/run-verb.ts';
import { eraseCase, listCases, openCase, withdrawCase } from './cases.ts';
import { registerMaterialFile } from './materials.ts';

export const CASE_USAGE = 'staydown case open [--label TEXT] [--keep-evidence [--retention-days N]] | case list | case withdraw CODE | case erase CODE   [--json]';
export const MATERIAL_USAGE = 'staydown material add --case CODE [--url URL]... FILE... [--json]';

export async function runCase(args: string[], io: CliIo): Promise<number> {
  return runVerb('case', io, async () => {
    const { values, positionals } = parseCli(args, { label: { type: 'string' }, 'keep-evidence': { type: 'boolean' }, 'retention-days': { type: 'string' } }, CASE_USAGE);
    const [sub, code, ...extra] = positionals;
    const json = Boolean(values.json);
    if (sub === 'open' && !code) {
      if (values['retention-days'] !== undefined && !values['keep-evidence']) {
        throw usageError('--retention-days is how long an evidence copy is kept, so it needs --keep-evidence; without it no copy is kept at all.', CASE_USAGE);
      }
      const retention = values['retention-days'] !== undefined ? Number(values['retention-days']) : undefined;
      return withService(async (ctx, actor) => {
        const c = await openCase(ctx, actor, {
          personal: values.label ? { label: String(values.label) } : {},
          keepEvidence: Boolean(values['keep-evidence']),
          evidenceRetentionDays: retention,
        });
        printResult(io, json, { code: c.code, status: c.status }, c.code);
        return 0;
      });
    }
    if (sub === 'list' && !code) {
      return withService(async (ctx, actor) => {
        const items: Awaited<ReturnType<typeof listCases>>['items'] = [];
        for (let after: string | null = ''; after !== null; ) {
          const page = await listCases(ctx, actor, { after, limit: 500 });
          items.push(...page.items);
          after = page.next;
        }
        const text = items.length === 0 ? 'no cases' : items.map((c) => `${c.code}  ${c.status.padEnd(10)} ${String(c.materialCount).padStart(4)} material  ${c.label ?? ''}`.trimEnd()).join('\n');
        printResult(io, json, { cases: items }, text);
        return 0;
      });
    }
    if ((sub === 'withdraw' || sub === 'erase') && code && extra.length === 0) {
      return withService(async (ctx, actor) => {
        const r = sub === 'withdraw' ? await withdrawCase(ctx, actor, code) : await eraseCase(ctx, actor, code);
        printResult(io, json, r, sub === 'withdraw' ? `case ${r.code} withdrawn: its material no longer matches` : `case ${r.code} erased: its data key, personal data and material are gone`);
        return 0;
      });
    }
    throw usageError(`Unknown subcommand '${positionals.join(' ')}'.`, CASE_USAGE);
  });
}

export async function runMaterial(args: string[], io: CliIo): Promise<number> {
  return runVerb('material', io, async () => {
    const { values, positionals } = parseCli(args, { case: { type: 'string' }, url: { type: 'string', multiple: true } }, MATERIAL_USAGE);
    if (positionals[0] !== 'add' || positionals.length < 2 || !values.case) throw usageError('Name the case and at least one file.', MATERIAL_USAGE);
    return withService(async (ctx, actor) => {
      const results: unknown[] = [];
      let failed = 0;
      for (const file of positionals.slice(1)) {
        try {
          const m = await registerMaterialFile(ctx, actor, String(values.case), file, { knownUrls: values.url ?? [] });
          results.push({ file, ...m });
          if (!values.json) {
            io.stdout.write(`${file}: registered ${m.kind} ${m.id} (${m.hashes} hashes)${m.duplicate ? ' - already registered' : ''}\n`);
            // A file weak for matching: staff are told at once why, so they can look for a sharper original.
            if (m.strength?.level === 'weak') io.stdout.write(`  ${m.strength.sentence}\n`);
          }
        } catch (err) {
          failed++;
          results.push({ file, error: (err as Error).message });
          io.stderr.write(`staydown material: ${file}: ${(err as Error).message}\n`);
        }
      }
      if (values.json) io.stdout.write(`${JSON.stringify({ case: values.case, results })}\n`);
      return failed === 0 ? 0 : failed === results.length ? 1 : 2;
    });
  });
}
