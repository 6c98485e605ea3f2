#!/usr/bin/env node
// Runs a TypeScript entry point without a build step: tsx's loader is registered in this process,
// so `npm ci` is all a newcomer needs before `npx staydown` or `npm run bench:*`.
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

register();
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: run-ts.js FILE.ts [ARGS...]\n');
  process.exit(64);
}
process.argv = [process.argv[0], resolve(entry), ...rest];
await import(pathToFileURL(resolve(entry)).href);
