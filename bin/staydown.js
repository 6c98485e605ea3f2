#!/usr/bin/env -S node --initial-old-space-size=64
// The `staydown` command. TypeScript sources run through tsx's loader, so there is no build step.
// The V8 flag on the first line (also in `npm start` and the Dockerfile): the old generation starts at
// 64 MB, as in the fingerprinting pool's workers (hashing/pool/fingerprint-pool.ts). With V8's default a
// small heap runs a full collection for every 1 MP picture with local features; `staydown match` of
// 30 such files took 5.0 s of CPU with the default and 4.3 s with the flag.
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
