/**
 * Desktop entry: lifecycle only. One instance, one window, the engine opened at ready and closed on
 * quit; every module registers its own IPC handlers through a setupX() call below.
 */
import { join } from 'node:path';
import type { BrowserWindow } from 'electron';
import { app, dialog } from 'electron';
import { Engine } from '../engine/engine';
import type { EngineOptions } from '../engine/options';
import { parseServeArgs } from '../headless/args';
import { setupMenu } from './app-menu';
import { engineArgs, hasDataDirFlag } from './engine-args';
import { registerAppScheme, setupAppProtocol } from './app-protocol';
import { setupCaptureHandlers } from './ipc/capture-handlers';
import { setupDeviceHandlers } from './ipc/device-handlers';
import { setupEngineEvents } from './ipc/engine-events';
import { exportCsv, setupExportHandler } from './ipc/export-csv';
import { setupQueryHandlers } from './ipc/query-handlers';
import { setupReadySignal } from './ipc/send';
import { setupSetupHandlers } from './ipc/setup-handlers';
import { trustWindow } from './ipc/trusted-windows';
import { setupWatchHandlers } from './ipc/watch-handlers';
import { createMainWindow } from './main-window';
import { setupSecurity } from './security';
import { setupWatchNotifications } from './watch-notifications';

/** Closing the engine flushes the journal; past this the app quits anyway rather than hang. */
const SHUTDOWN_TIMEOUT_MS = 5000;

let engine: Engine | null = null;
let mainWindow: BrowserWindow | null = null;
let shutdown: 'running' | 'closing' | 'done' = 'running';

function reportError(title: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`[main] ${title}:`, error);
  dialog.showErrorBox(title, message);
}

function openWindow(running: Engine): BrowserWindow {
  const win = createMainWindow({
    preload: join(import.meta.dirname, '../preload/index.cjs'),
    placementFile: join(app.getPath('userData'), 'window-state.json'),
  });
  trustWindow(win);
  setupEngineEvents(running, win);
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  mainWindow = win;
  return win;
}

function focusWindow(): void {
  if (mainWindow === null) {
    if (engine !== null && shutdown === 'running') openWindow(engine);
    return;
  }
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

/**
 * The engine options from the same flags `npm run serve` takes (--listen, --upstream, …); the data
 * folder defaults to userData/data, which follows --user-data-dir. Throws a UsageError on a bad flag.
 */
function engineOptions(argv: readonly string[]): EngineOptions {
  const args = engineArgs(argv);
  const parsed = parseServeArgs(args);
  if (parsed.kind !== 'run') throw new Error('unexpected help/version request');
  const engine = parsed.options.engine;
  return hasDataDirFlag(args) ? engine : { ...engine, dataDir: join(app.getPath('userData'), 'data') };
}

async function start(): Promise<void> {
  setupSecurity();
  setupAppProtocol(join(import.meta.dirname, '../renderer'));

  let options: EngineOptions;
  let running: Engine;
  try {
    options = engineOptions(process.argv.slice(1));
  } catch (error) {
    reportError('DNS Witness: invalid command-line option', error);
    shutdown = 'done';
    app.quit();
    return;
  }
  try {
    running = await Engine.open(options);
  } catch (error) {
    reportError(`DNS Witness could not open its data folder (${options.dataDir})`, error);
    shutdown = 'done';
    app.quit();
    return;
  }
  engine = running;
  // Bind failures (port 53 needs privileges, or is taken) are shown in the UI's status, not thrown.
  await running.listen();

  setupReadySignal();
  setupCaptureHandlers(running);
  setupQueryHandlers(running);
  setupExportHandler(running);
  setupDeviceHandlers(running);
  setupWatchHandlers(running);
  setupSetupHandlers(running);
  setupWatchNotifications(running, () => mainWindow, focusWindow);
  setupMenu({
    exportCsv: () => {
      exportCsv(running, mainWindow, {}).catch((error: unknown) => reportError('Export failed', error));
    },
    startCapture: () => {
      try {
        running.startCapture();
      } catch (error) {
        reportError('Could not start the capture', error);
      }
    },
    stopCapture: () => {
      running.stopCapture().catch((error: unknown) => reportError('Could not stop the capture', error));
    },
  });
  openWindow(running);
}

async function closeEngine(running: Engine): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      console.error(`[main] the engine did not close within ${SHUTDOWN_TIMEOUT_MS} ms; quitting anyway`);
      resolve();
    }, SHUTDOWN_TIMEOUT_MS);
  });
  try {
    // close() also stops the running capture, so its end time reaches the journal.
    await Promise.race([running.close(), timeout]);
  } catch (error) {
    console.error('[main] closing the engine failed:', error);
  } finally {
    clearTimeout(timer);
  }
}

registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the DNS port and the data folder; it focuses its window on 'second-instance'.
  app.quit();
} else {
  app.on('second-instance', focusWindow);
  app.on('activate', focusWindow);
  app.on('window-all-closed', () => {
    // macOS apps stay in the dock; the forwarder keeps answering until Quit.
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('before-quit', (event) => {
    if (shutdown === 'done' || engine === null) return;
    event.preventDefault();
    if (shutdown === 'closing') return;
    shutdown = 'closing';
    void closeEngine(engine).finally(() => {
      shutdown = 'done';
      app.quit();
    });
  });
  // Ctrl+C in the terminal of `npm start`: quit through before-quit so the journal is flushed.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      reportError('DNS Witness could not start', error);
      app.exit(1);
    });
}
