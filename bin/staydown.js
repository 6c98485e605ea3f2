#!/usr/bin/env node
// The `staydown` command. TypeScript sources run through tsx's loader, so there is no build step.
import { register } from 'tsx/esm/api';

// `staydown site list | head -3`: the reader went away, so there is nobody left to tell - stop quietly
// (status 0, as `head` got what it asked for) instead of dying with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

register();
const { main } = await import('../services/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
