import { app, Menu } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';

/** What the menu items do; each must handle its own errors. */
export interface MenuActions {
  readonly exportCsv: () => void;
  /** Every recorded DNS exchange as pcap. */
  readonly exportPcap?: () => void;
  /** Every recorded DNS exchange as a dnstap file. */
  readonly exportDnstap?: () => void;
  /** The page's PNG and bundle exports (the page shows its filters and evidence strip in the image). */
  readonly exportPng?: () => void;
  readonly exportBundle?: () => void;
  readonly startCapture: () => void;
  readonly stopCapture: () => void;
  /** Puts the cursor in the dashboard's name filter. */
  readonly focusSearch: () => void;
}

export interface MenuOptions {
  readonly packaged: boolean;
  readonly platform: NodeJS.Platform;
  /** Whether a capture runs: Start or Stop is enabled and takes the capture shortcut. */
  readonly recording: boolean;
}

/** The keyboard shortcuts, as menu accelerators (they work whenever the window has focus). */
export const SHORTCUTS = {
  exportCsv: 'CmdOrCtrl+E',
  toggleCapture: 'CmdOrCtrl+Shift+S',
  focusSearch: 'CmdOrCtrl+F',
  closeWindow: 'CmdOrCtrl+W',
  quit: 'CmdOrCtrl+Q',
} as const;

/**
 * The application menu; developer tools appear only in an unpackaged (development) build. Rebuild it when
 * the capture starts or stops so the shortcut toggles.
 */
export function menuTemplate(actions: MenuActions, opts: MenuOptions): MenuItemConstructorOptions[] {
  const mac = opts.platform === 'darwin';
  const view: MenuItemConstructorOptions[] = [{ role: 'reload' }];
  if (!opts.packaged) view.push({ role: 'toggleDevTools' });
  view.push({ type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' });
  const file: MenuItemConstructorOptions[] = [
    { label: 'Export CSV…', accelerator: SHORTCUTS.exportCsv, click: () => actions.exportCsv() },
    ...(actions.exportPcap ? [{ label: 'Export PCAP…', click: () => actions.exportPcap?.() } as const] : []),
    ...(actions.exportDnstap
      ? [{ label: 'Export dnstap…', click: () => actions.exportDnstap?.() } as const]
      : []),
    ...(actions.exportPng
      ? [{ label: 'Save Dashboard as PNG…', click: () => actions.exportPng?.() } as const]
      : []),
    ...(actions.exportBundle
      ? [{ label: 'Export Evidence Bundle…', click: () => actions.exportBundle?.() } as const]
      : []),
    { type: 'separator' },
    // While a capture runs, closing hides the window in the tray (close-to-tray.ts).
    { role: 'close', accelerator: SHORTCUTS.closeWindow },
  ];
  // macOS has Quit in the app menu.
  if (!mac) file.push({ role: 'quit', accelerator: SHORTCUTS.quit });
  const edit: MenuItemConstructorOptions[] = [
    { role: 'undo' },
    { role: 'redo' },
    { type: 'separator' },
    { role: 'cut' },
    { role: 'copy' },
    { role: 'paste' },
    ...(mac ? [{ role: 'pasteAndMatchStyle' } as const, { role: 'delete' } as const] : []),
    { role: 'selectAll' },
    { type: 'separator' },
    { label: 'Find…', accelerator: SHORTCUTS.focusSearch, click: () => actions.focusSearch() },
  ];
  // Only the enabled item carries the shortcut, so it always does what the menu shows.
  const toggle = (on: boolean) => (on ? { accelerator: SHORTCUTS.toggleCapture } : {});
  return [
    ...(mac ? [{ role: 'appMenu' } as const] : []),
    { label: 'File', submenu: file },
    // Copy and paste shortcuts only work on macOS when an Edit menu declares them.
    { label: 'Edit', submenu: edit },
    { label: 'View', submenu: view },
    {
      label: 'Capture',
      submenu: [
        {
          label: 'Start',
          enabled: !opts.recording,
          ...toggle(!opts.recording),
          click: () => actions.startCapture(),
        },
        {
          label: 'Stop',
          enabled: opts.recording,
          ...toggle(opts.recording),
          click: () => actions.stopCapture(),
        },
      ],
    },
  ];
}

/**
 * Installs the application menu for `recording` and returns the function that reinstalls it when the
 * capture starts or stops (it does nothing for an unchanged state). Call after the app is ready.
 */
export function setupMenu(actions: MenuActions, recording: boolean): (recording: boolean) => void {
  let current: boolean | null = null;
  const install = (next: boolean): void => {
    if (next === current) return;
    current = next;
    const template = menuTemplate(actions, {
      packaged: app.isPackaged,
      platform: process.platform,
      recording: next,
    });
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  };
  install(recording);
  return install;
}
