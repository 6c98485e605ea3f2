/**
 * What a command-line verb loads before it can run: the static (value) imports reachable from its
 * module, read with the TypeScript parser. Heavy parts are imported where they are used, so that a
 * script calling `staydown platform list` does not wait for the browser, the embedded database or
 * every area's jobs (services/cli/main.ts loads each verb's module lazily; this keeps the modules lean).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const MAIN = resolve(ROOT, 'services/cli/main.ts');

/** Whether every name of an import or export clause is type-only (`import { type A, type B }`). */
const allTypeOnly = (named: ts.NamedImportBindings | ts.NamedExportBindings | undefined) =>
  named !== undefined && (ts.isNamedImports(named) || ts.isNamedExports(named)) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);

/** The module specifiers a file imports for values (type-only imports and dynamic import() left out). */
function valueImports(file: string): string[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const st of src.statements) {
    if (ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      if (clause?.isTypeOnly || (clause && !clause.name && allTypeOnly(clause.namedBindings))) continue;
      out.push((st.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && !st.isTypeOnly && !allTypeOnly(st.exportClause)) {
      out.push((st.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return out;
}

interface Closure {
  modules: Map<string, string[]>;
  packages: Map<string, string[]>;
}

/** Each file is parsed once and each entry walked once, however many tests ask. */
const importsOf = new Map<string, string[]>();
const closures = new Map<string, Closure>();

/** Every project module and package a module loads statically, each with the chain that reaches it. */
function closure(entry: string): Closure {
  const known = closures.get(entry);
  if (known) return known;
  const modules = new Map<string, string[]>();
  const packages = new Map<string, string[]>();
  const walk = (file: string, chain: string[]) => {
    if (modules.has(file)) return;
    modules.set(file, chain);
    if (!importsOf.has(file)) importsOf.set(file, valueImports(file));
    for (const spec of importsOf.get(file)!) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!existsSync(target)) throw new Error(`${relative(ROOT, file)} imports ${spec}, which does not exist`);
        walk(target, [...chain, relative(ROOT, target)]);
      } else if (!spec.startsWith('node:')) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!packages.has(name)) packages.set(name, chain);
      }
    }
  };
  walk(entry, [relative(ROOT, entry)]);
  const out = { modules, packages };
  closures.set(entry, out);
  return out;
}

/** The verbs' modules, as main.ts loads them. */
const verbModules = [...new Set([...readFileSync(MAIN, 'utf8').matchAll(/import\('(\.[^']+)'\)/g)].map((m) => resolve(dirname(MAIN), m[1])))];

describe("the command line's start-up", () => {
  it('finds every verb module main.ts loads', () => {
    expect(verbModules.length).toBeGreaterThanOrEqual(12);
    for (const m of verbModules) expect(existsSync(m), m).toBe(true);
  });

  it('reads type-only imports as types and the rest as values', () => {
    // This very file: typescript and vitest are values; nothing here is type-only.
    expect(valueImports(import.meta.filename)).toEqual(['node:fs', 'node:path', 'typescript', 'vitest']);
    // context.ts imports Config's type beside a value, and Logger's type alone.
    const ctx = valueImports(resolve(ROOT, 'services/platform/context.ts'));
    expect(ctx).toContain('./config.ts');
    expect(ctx).not.toContain('./log.ts');
  });

  it.each(verbModules.map((m) => [relative(ROOT, m)]))('%s loads no browser, no embedded database and not every job', (rel) => {
    const { modules, packages } = closure(resolve(ROOT, rel));
    // Chromium's driver (~0.9 s to load): launched by the crawler only (crawler/browser.ts).
    expect(packages.get('playwright-core'), 'playwright-core reached through').toBeUndefined();
    // PGlite (~0.3 s): opened by db/connect.ts only when this process holds the embedded database.
    expect(packages.get('@electric-sql/pglite'), 'PGlite reached through').toBeUndefined();
    // The job table brings in every area (crawler, mailer, monitoring).
    expect(modules.get(resolve(ROOT, 'services/runtime/jobs.ts')), 'the job table reached through').toBeUndefined();
  });

  it('opens the service without the decoders: the fingerprinting pool hands files to workers that load them', () => {
    // What every service verb loads (services/cli/run-verb.ts -> platform/context.ts -> the pool).
    const { modules, packages } = closure(resolve(ROOT, 'services/cli/run-verb.ts'));
    expect(packages.get('sharp'), 'sharp reached through').toBeUndefined();
    expect(packages.get('blockhash-core'), 'the block hash reached through').toBeUndefined();
    expect(modules.size).toBeLessThan(40); // 24 when this was written (58 before)
    for (const rel of ['services/accounts/verbs.ts', 'services/cases/verbs.ts', 'services/takedown/verbs.ts']) {
      expect(closure(resolve(ROOT, rel)).packages.get('sharp'), `${rel}: sharp reached through`).toBeUndefined();
    }
  });

  it('keeps the everyday verbs small', () => {
    const size = (rel: string) => closure(resolve(ROOT, rel)).modules.size;
    // Measured when this was written: platform 104 modules (203 before), monitor 60 (191), cases 66 (76), site 141 (154).
    expect(size('services/takedown/verbs.ts')).toBeLessThan(130);
    expect(size('services/monitoring/verbs.ts')).toBeLessThan(80);
    expect(size('services/cases/verbs.ts')).toBeLessThan(85);
    expect(size('services/review/verbs.ts')).toBeLessThan(120);
  });
});
