#!/usr/bin/env node
// `npm run serve -- FLAGS`: build if needed, then run the headless service (no Electron involved).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildIfNeeded, root } from './lib/build.mjs';

const argv = process.argv.slice(2);
const wantsHelp = argv.some((a) => a === '-h' || a === '--help' || a === '-v' || a === '--version');
buildIfNeeded({ quiet: wantsHelp });
const child = spawn(process.execPath, [path.join(root, 'out', 'main', 'headless.js'), ...argv], {
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
