import { join } from 'node:path';

/** Where the running app finds its files; the same whether run from the tree or packaged. */
export interface AppPaths {
  /** The built renderer (index.html and assets), served on app://. */
  readonly renderer: string;
  /** The built preload script. */
  readonly preload: string;
  /** The captures, device names and watchlist settings, unless --data-dir says otherwise. */
  readonly dataDir: string;
  /** The remembered window size and position. */
  readonly windowState: string;
}

/**
 * The paths below `appPath` (app.getAppPath(): the project folder in development, app.asar when packaged;
 * both hold electron-vite's out/) and `userData` (app.getPath('userData'), which --user-data-dir moves).
 */
export function appPaths(appPath: string, userData: string): AppPaths {
  return {
    renderer: join(appPath, 'out', 'renderer'),
    preload: join(appPath, 'out', 'preload', 'index.cjs'),
    dataDir: join(userData, 'data'),
    windowState: join(userData, 'window-state.json'),
  };
}
