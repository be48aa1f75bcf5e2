/**
 * Desktop entry: lifecycle only. One instance, one window, a tray icon, the engine opened at ready and closed on
 * quit; every module registers its own IPC handlers through a setupX() call below.
 */
import type { BrowserWindow } from 'electron';
import { app, dialog, powerMonitor } from 'electron';
import { Engine } from '../engine/engine';
import { receiveBufferNotes } from '../engine/dns/receive-buffer';
import type { EngineOptions } from '../engine/options';
import { parseServeArgs } from '../headless/args';
import { setupMenu } from './app-menu';
import { appPaths } from './app-paths';
import { devServerOrigin } from './app-origin';
import { registerAppScheme, setupAppProtocol } from './app-protocol';
import { oneTimeTrayNotice, setupCloseToTray } from './close-to-tray';
import { engineArgs, hasDataDirFlag } from './engine-args';
import { setupEngineEvents } from './ipc/engine-events';
import { exportCsv } from './ipc/export-csv';
import { exportDnstap, exportPcap, requestExportFromPage } from './ipc/export-evidence';
import { setupRequests } from './ipc/requests';
import { setupReadySignal } from './ipc/send';
import { trustDevServer, trustWindow } from './ipc/trusted-windows';
import { sendUiCommand } from './ipc/ui-commands';
import { createMainWindow, revealWindow } from './main-window';
import { setupNativeTheme } from './native-theme';
import { QuitGuard } from './quit-guard';
import { confirmQuit } from './quit-reminder';
import { setupSecurity } from './security';
import { claimSingleInstance } from './single-instance';
import { createStatusTray, trayState, type StatusTray } from './tray';
import { loadTrayIcons } from './tray-icons';
import { setupWatchNotifications } from './watch-notifications';

/** Closing the engine flushes the journal; past this the app quits anyway rather than hang. */
const SHUTDOWN_TIMEOUT_MS = 5000;

let engine: Engine | null = null;
let mainWindow: BrowserWindow | null = null;
let tray: StatusTray | null = null;
const trayNotice = oneTimeTrayNotice();

/** The packaged app's files live under app.getAppPath() (app.asar), its data under userData. */
const paths = () => appPaths(app.getAppPath(), app.getPath('userData'));
// `npm run dev` with Electron: the UI comes from the renderer's dev server (hot reload); never when packaged.
const devServer = devServerOrigin(process.env['ELECTRON_RENDERER_URL'], app.isPackaged);
trustDevServer(devServer);

const quitGuard = new QuitGuard({
  status: () => engine?.status() ?? null,
  confirm: (status, signal) => confirmQuit(status, mainWindow, signal),
  close: async () => {
    tray?.destroy();
    tray = null;
    if (engine) await closeEngine(engine);
  },
  // Quitting was declined after the last window closed: give the user the window back.
  kept: () => focusWindow(),
});

function reportError(title: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`[main] ${title}:`, error);
  dialog.showErrorBox(title, message);
}

function isRecording(running: Engine): boolean {
  return running.status().capture?.state === 'running';
}

function openWindow(running: Engine): BrowserWindow {
  const win = createMainWindow({
    preload: paths().preload,
    placementFile: paths().windowState,
    devServer,
  });
  trustWindow(win);
  setupEngineEvents(running, win);
  // Without a tray icon a hidden window could not be found again, so it really closes (and, on Linux and
  // Windows, the app quits through the reminder).
  setupCloseToTray(win, {
    quitting: () => quitGuard.quitting,
    keepRunning: () => tray !== null && isRecording(running),
    notice: trayNotice,
  });
  // Windows logging off or shutting down: a question would hold it up.
  win.on('query-session-end', () => quitGuard.force());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  mainWindow = win;
  return win;
}

function focusWindow(): void {
  if (mainWindow === null || mainWindow.isDestroyed()) {
    if (engine !== null && !quitGuard.quitting) openWindow(engine);
    return;
  }
  revealWindow(mainWindow);
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
  return hasDataDirFlag(args) ? engine : { ...engine, dataDir: paths().dataDir };
}

async function start(): Promise<void> {
  setupSecurity();
  setupAppProtocol(paths().renderer);

  let options: EngineOptions;
  let running: Engine;
  try {
    options = engineOptions(process.argv.slice(1));
  } catch (error) {
    reportError('DNS Witness: invalid command-line option', error);
    app.quit();
    return;
  }
  try {
    // DNS on its own thread (out/main/dns-worker.js), so the window and the API never hold it up.
    running = await Engine.open({ ...options, dnsThread: true });
  } catch (error) {
    reportError(`DNS Witness could not open its data folder (${options.dataDir})`, error);
    app.quit();
    return;
  }
  engine = running;
  // Bind failures (port 53 needs privileges, or is taken) are shown in the UI's status, not thrown.
  for (const rb of receiveBufferNotes(await running.listen()))
    if (rb.limited) console.warn(`[main] ${rb.note}`);
    else console.log(`[main] ${rb.note}`);

  setupReadySignal();
  setupRequests(running);
  // Before the window opens, so it starts in the chosen theme.
  setupNativeTheme(running);
  setupWatchNotifications(running, () => mainWindow, focusWindow);
  const startCapture = (): void => {
    try {
      running.startCapture();
    } catch (error) {
      reportError('Could not start the capture', error);
    }
  };
  const stopCapture = (): void => {
    running.stopCapture().catch((error: unknown) => reportError('Could not stop the capture', error));
  };
  const updateMenu = setupMenu(
    {
      exportCsv: () => {
        exportCsv(running, mainWindow, {}).catch((error: unknown) => reportError('Export failed', error));
      },
      exportPcap: () => {
        exportPcap(running, mainWindow, {}).catch((error: unknown) => reportError('Export failed', error));
      },
      exportDnstap: () => {
        exportDnstap(running, mainWindow, {}).catch((error: unknown) => reportError('Export failed', error));
      },
      exportPng: () => requestExportFromPage(mainWindow, 'png'),
      exportBundle: () => requestExportFromPage(mainWindow, 'bundle'),
      startCapture,
      stopCapture,
      focusSearch: () => {
        focusWindow();
        sendUiCommand(mainWindow, 'focus-search');
      },
    },
    isRecording(running),
  );
  try {
    tray = createStatusTray(
      loadTrayIcons(),
      { show: focusWindow, startCapture, stopCapture, quit: () => app.quit() },
      trayState(running.status()),
    );
  } catch (error) {
    console.warn('[main] no tray icon:', error);
  }
  running.onStatus((status) => {
    const state = trayState(status);
    tray?.update(state);
    updateMenu(state.recording);
  });
  // Linux and macOS going down: no question, but still a clean close of the journal.
  powerMonitor.on('shutdown', () => quitGuard.forceQuit());
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

// Another instance owns the DNS port and the data folder; it shows its window on 'second-instance'.
if (!claimSingleInstance(focusWindow)) {
  app.quit();
} else {
  quitGuard.attach();
  app.on('activate', focusWindow);
  app.on('window-all-closed', () => {
    // macOS apps stay in the dock; the forwarder keeps answering until Quit.
    if (process.platform !== 'darwin') app.quit();
  });
  // Ctrl+C in the terminal of `npm start`: quit through the guard so the journal is flushed.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => quitGuard.forceQuit());

  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      reportError('DNS Witness could not start', error);
      app.exit(1);
    });
}
