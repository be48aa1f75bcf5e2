#!/usr/bin/env node
// `npm start -- FLAGS`: the desktop app when the Electron runtime is installed, otherwise the headless
// dashboard with the same flags (offline machines cannot download Electron's binary).
import path from 'node:path';
import { buildIfNeeded, root } from './lib/build.mjs';
import { dashboardUrl } from './lib/dashboard-url.mjs';
import { findElectron } from './lib/electron.mjs';
import { run } from './lib/run.mjs';

const argv = process.argv.slice(2);
const quiet = argv.some((a) => a === '-h' || a === '--help' || a === '-v' || a === '--version');
buildIfNeeded({ quiet });

const electron = findElectron();
if ('executable' in electron) {
  run(electron.executable, ['.', ...argv]);
} else {
  if (!quiet) {
    const url = dashboardUrl(argv);
    console.log(
      `Electron runtime not installed (offline install?); opening the headless dashboard instead${url ? `: ${url}` : '.'}`,
    );
  }
  run(process.execPath, [path.join(root, 'scripts', 'serve.mjs'), ...argv]);
}
