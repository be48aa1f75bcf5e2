#!/usr/bin/env node
// `npm run verify -- FILE.zip`: build if needed, then check an evidence bundle (or a journal.ndjson) with the
// built verifier. Exit 0 and one OK line when it vouches for everything; 1 when something changed or does not
// match; 2 when it cannot vouch for all of it; 3 when a file is missing, unreadable or no evidence
// (docs/EVIDENCE.md).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildIfNeeded, root } from './lib/build.mjs';

buildIfNeeded({ quiet: true });
const child = spawn(
  process.execPath,
  [path.join(root, 'out', 'main', 'verify.js'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 3)));
