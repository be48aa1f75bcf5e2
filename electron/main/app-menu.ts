import { app, Menu } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';

/** What the menu items do; each must handle its own errors. */
export interface MenuActions {
  readonly exportCsv: () => void;
  readonly startCapture: () => void;
  readonly stopCapture: () => void;
}

/** The application menu; developer tools appear only in an unpackaged (development) build. */
export function menuTemplate(
  actions: MenuActions,
  opts: { readonly packaged: boolean; readonly platform: NodeJS.Platform },
): MenuItemConstructorOptions[] {
  const mac = opts.platform === 'darwin';
  const view: MenuItemConstructorOptions[] = [{ role: 'reload' }];
  if (!opts.packaged) view.push({ role: 'toggleDevTools' });
  view.push({ type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' });
  return [
    ...(mac ? [{ role: 'appMenu' } as const] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Export CSV…', accelerator: 'CmdOrCtrl+E', click: () => actions.exportCsv() },
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    // Copy and paste shortcuts only work on macOS when an Edit menu declares them.
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    {
      label: 'Capture',
      submenu: [
        { label: 'Start', click: () => actions.startCapture() },
        { label: 'Stop', click: () => actions.stopCapture() },
      ],
    },
  ];
}

/** Installs the application menu. Call after the app is ready. */
export function setupMenu(actions: MenuActions): void {
  const template = menuTemplate(actions, { packaged: app.isPackaged, platform: process.platform });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
