#!/usr/bin/env node
// `npm run verify -- FILE.zip`: build if needed, then check an evidence bundle (or a journal.ndjson) with the
// built verifier. Exit 0 and one OK line when everything matches; 1 naming each file or journal range that
// does not; 2 when a file cannot be read.
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
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 2)));
