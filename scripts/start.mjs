#!/usr/bin/env node
// `npm start -- FLAGS`: the desktop app when the Electron runtime is installed, otherwise the headless
// dashboard with the same flags (offline machines cannot download Electron's binary).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildIfNeeded, root } from './lib/build.mjs';
import { findElectron } from './lib/electron.mjs';
// Plain JavaScript shared with the TypeScript sources, so this script needs no build to parse --ui.
import { parseHostPort } from '../shared/host-port.js';

const argv = process.argv.slice(2);
const DEFAULT_UI = '127.0.0.1:5380';

/** The dashboard URL the headless service will use for these flags (its --ui option); null if unclear. */
function dashboardUrl(args) {
  let ui = DEFAULT_UI;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--ui' && i + 1 < args.length) ui = args[i + 1];
    else if (args[i].startsWith('--ui=')) ui = args[i].slice('--ui='.length);
  }
  const hp = parseHostPort(ui, 5380, true);
  if (hp === null) return null;
  const { host, port } = hp;
  // A wildcard bind is reached through loopback on this computer.
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  // RFC 6874: a zone id in a URL is written after "%25".
  return `http://${shown.includes(':') ? `[${shown.replace('%', '%25')}]` : shown}:${port}/`;
}

/** Runs `command`, forwards termination signals to it and leaves with its exit code or signal. */
function run(command, args) {
  const env = { ...process.env };
  // Set by some tools; it would make Electron behave as plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of signals) process.on(signal, forward);
  child.on('error', (error) => {
    console.error(`Could not start ${command}: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal so whoever started `npm start` sees how the app ended.
      for (const s of signals) process.removeListener(s, forward);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

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
