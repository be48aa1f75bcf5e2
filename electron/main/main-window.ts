import { app, BrowserWindow, screen } from 'electron';
import { APP_ENTRY_URL } from './app-origin';
import { windowBackground } from './native-theme';
import { loadPlacement, MIN_HEIGHT, MIN_WIDTH, savePlacement } from './window-state';

export interface MainWindowOptions {
  /** Absolute path of the built preload script (out/preload/index.cjs). */
  readonly preload: string;
  /** JSON file that remembers the window's size and position. */
  readonly placementFile: string;
  /** The renderer's dev server origin under `npm run dev` (devServerOrigin()): loaded instead of app://. */
  readonly devServer?: string | null;
}

/**
 * Opens the dashboard window at its remembered place (when that is on a visible display) and saves
 * the place again when it closes. The page is app://dns-witness/index.html, or the dev server's under `npm run dev`.
 */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const placement = loadPlacement(
    options.placementFile,
    screen.getAllDisplays().map((d) => d.workArea),
    screen.getPrimaryDisplay().workArea,
  );
  const win = new BrowserWindow({
    ...(placement.x !== undefined && placement.y !== undefined ? { x: placement.x, y: placement.y } : {}),
    width: placement.width,
    height: placement.height,
    minWidth: MIN_WIDTH,
    minHeight: MIN_HEIGHT,
    title: 'DNS Witness',
    show: false,
    backgroundColor: windowBackground(),
    // Written out in place, so that a reader and the build's audit (electronegativity) see every value.
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      // Middle-click would open links in new windows; window.open is denied anyway (security.ts).
      disableBlinkFeatures: 'Auxclick',
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  win.once('ready-to-show', () => {
    if (placement.maximized) win.maximize();
    win.show();
  });
  win.on('close', () => savePlacement(options.placementFile, win.getNormalBounds(), win.isMaximized()));
  win
    .loadURL(options.devServer ? `${options.devServer}/` : APP_ENTRY_URL)
    .catch((error: unknown) => console.error('[window] could not load the UI:', error));
  return win;
}

/** Brings `win` to the front: restored when minimised, shown when hidden in the tray, then focused. */
export function revealWindow(win: BrowserWindow): void {
  if (win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
