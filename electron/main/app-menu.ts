import { app, Menu } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';

/** What the menu items do; each must handle its own errors. */
export interface MenuActions {
  readonly exportCsv: () => void;
  /** Every recorded DNS exchange as pcap. */
  readonly exportPcap?: () => void;
  /** The page's PNG and bundle exports (the page shows its filters and evidence strip in the image). */
  readonly exportPng?: () => void;
  readonly exportBundle?: () => void;
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
        ...(actions.exportPcap
          ? [{ label: 'Export PCAP…', click: () => actions.exportPcap?.() } as const]
          : []),
        ...(actions.exportPng
          ? [{ label: 'Save Dashboard as PNG…', click: () => actions.exportPng?.() } as const]
          : []),
        ...(actions.exportBundle
          ? [{ label: 'Export Evidence Bundle…', click: () => actions.exportBundle?.() } as const]
          : []),
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
