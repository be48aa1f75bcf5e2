#!/usr/bin/env node
// `npm run import -- FILE…`: build if needed, then read another program's DNS history (an AdGuard Home
// query log, a dnsmasq log, a packet capture...) into a new stopped capture with the built importer. Exit 0
// imported; 1 damaged, unknown or unreadable file; 2 bad command line; 130 cancelled (docs/IMPORT.md).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildIfNeeded, root } from './lib/build.mjs';

buildIfNeeded({ quiet: true });
const child = spawn(
  process.execPath,
  [path.join(root, 'out', 'main', 'import.js'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
// The importer cancels and cleans up on SIGINT or SIGTERM, then exits 130; this wrapper waits for that.
const forward = (signal) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
