#!/usr/bin/env node
// `npm run dev -- FLAGS`: the app with the renderer hot-reloading. With the Electron runtime, electron-vite dev
// (main and preload rebuilt and the app restarted on change). Without it (offline install), the headless
// service with the same flags plus the renderer's vite dev server, which forwards /api to the service.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { buildIfNeeded, root } from './lib/build.mjs';
import { dashboardUrl } from './lib/dashboard-url.mjs';
import { findElectron } from './lib/electron.mjs';
import { run } from './lib/run.mjs';

const argv = process.argv.slice(2);
const electronVite = path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');

const electron = findElectron();
if ('executable' in electron) {
  // electron-vite looks only at path.txt; findElectron() also honours ELECTRON_OVERRIDE_DIST_PATH.
  process.env.ELECTRON_EXEC_PATH = electron.executable;
  // electron-vite dev writes development bundles of main and preload to out/: the next `npm start` rebuilds.
  rmSync(path.join(root, 'out', '.build-stamp'), { force: true });
  // electron-vite passes what follows `--` to the app.
  run(process.execPath, [electronVite, 'dev', '--watch', ...(argv.length > 0 ? ['--', ...argv] : [])]);
} else if (argv.some((a) => a === '-h' || a === '--help' || a === '-v' || a === '--version')) {
  run(process.execPath, [path.join(root, 'scripts', 'serve.mjs'), ...argv]);
} else {
  await devWithoutElectron();
}

/** The headless service (as built) and the renderer's dev server; ends when either does or on a signal. */
async function devWithoutElectron() {
  const api = dashboardUrl(argv);
  if (api === null) {
    console.error('npm run dev: --ui needs ADDR:PORT with a numeric address (e.g. 127.0.0.1:5380).');
    process.exit(2);
  }
  // The service runs from out/: a change to the engine or the service needs a restart of `npm run dev`.
  buildIfNeeded();
  const service = spawn(process.execPath, [path.join(root, 'out', 'main', 'headless.js'), ...argv], {
    cwd: root,
    stdio: 'inherit',
  });

  // Read by the renderer config in electron.vite.config.ts: where its dev server sends /api.
  process.env.DNS_WITNESS_DEV_API = api;
  const { resolveConfig } = await import('electron-vite');
  const { createLogger, createServer } = await import('vite');
  const { config } = await resolveConfig({ root, logLevel: 'warn' }, 'serve', 'development');
  const server = await createServer({
    ...config.renderer,
    customLogger: quietStreamEnds(createLogger('warn')),
  });
  // Vite exits at once on SIGTERM (or when stdin ends); the service must stop first, as it saves the capture.
  process.removeAllListeners('SIGTERM');
  process.stdin.removeAllListeners('end');

  let ending = false;
  const end = (code) => {
    if (ending) return;
    ending = true;
    void server.close().finally(() => process.exit(code));
  };
  service.on('exit', (code, signal) => end(code ?? (signal ? 128 : 1)));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.on(signal, () => {
      if (service.exitCode === null && service.signalCode === null) service.kill(signal);
      else end(0);
    });

  await server.listen();
  const page = server.resolvedUrls?.local[0] ?? `http://localhost:${server.config.server.port}/`;
  console.log(
    `Electron runtime not installed (offline install?); dev mode with the headless service instead: open ${page} (hot reload; API from ${api})`,
  );
}

/** `logger` without the stack traces Vite prints whenever a page closes its proxied stream mid-write. */
function quietStreamEnds(logger) {
  const error = logger.error.bind(logger);
  logger.error = (msg, options) => {
    const code = options?.error?.code;
    if (/ws proxy (socket )?error/.test(msg) && (code === 'ECONNRESET' || code === 'EPIPE')) return;
    error(msg, options);
  };
  return logger;
}
