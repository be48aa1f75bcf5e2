/**
 * A small stand-in for the parts of 'electron' that main and preload use, for unit tests under Node
 * (`vi.mock('electron', () => import('…/fake-electron'))`). Importing the real package here would try
 * to download the Electron binary.
 */
import { EventEmitter } from 'node:events';
import type {
  App,
  BrowserWindow as RealBrowserWindow,
  Dialog,
  MenuItemConstructorOptions,
  NativeImage,
  NativeTheme,
  Tray as RealTray,
} from 'electron';
import { vi } from 'vitest';

type Listener = (...args: unknown[]) => unknown;

/** A frame as IPC events carry it: its URL and whether it has a parent (an iframe). */
export interface FakeFrame {
  readonly url: string;
  readonly parent: FakeFrame | null;
}

export function fakeFrame(url: string, parent: FakeFrame | null = null): FakeFrame {
  return { url, parent };
}

export class FakeWebContents extends EventEmitter {
  readonly sent: { channel: string; payload: unknown }[] = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  private destroyed = false;

  send(channel: string, payload: unknown): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.sent.push({ channel, payload });
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  destroy(): void {
    this.destroyed = true;
    this.emit('destroyed');
  }

  /** The bytes capturePage() returns as PNG; empty plays a window that cannot be captured. */
  capturedPng: Uint8Array = Uint8Array.from([0x89, 0x50, 0x4e, 0x47]);

  capturePage(): Promise<{ isEmpty(): boolean; toPNG(): Uint8Array }> {
    const png = this.capturedPng;
    return Promise.resolve({ isEmpty: () => png.length === 0, toPNG: () => png });
  }

  /** The bytes printToPDF() resolves with; null plays a page that cannot be printed (it rejects). */
  printedPdf: Uint8Array | null = Uint8Array.from(Buffer.from('%PDF-1.7\n'));

  printToPDF = vi.fn((_options: Record<string, unknown>): Promise<Buffer> => {
    const pdf = this.printedPdf;
    return pdf ? Promise.resolve(Buffer.from(pdf)) : Promise.reject(new Error('printing failed'));
  });

  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }

  /** Emits what Chromium emits when the main frame starts loading a new document. */
  navigate(): void {
    this.emit('did-start-navigation', {
      isMainFrame: true,
      isSameDocument: false,
      url: 'app://dns-witness/',
    });
  }
}

type WindowSurface = Pick<
  RealBrowserWindow,
  | 'isDestroyed'
  | 'isMaximized'
  | 'maximize'
  | 'show'
  | 'hide'
  | 'isVisible'
  | 'isMinimized'
  | 'minimize'
  | 'restore'
  | 'focus'
  | 'isFocused'
  | 'getNormalBounds'
>;

/** Records the options it was built with; enough of BrowserWindow for main-window.ts and the IPC code. */
export class FakeBrowserWindow extends EventEmitter implements WindowSurface {
  static readonly created: FakeBrowserWindow[] = [];
  static fromWebContents = vi.fn((contents: unknown): FakeBrowserWindow | null => {
    return FakeBrowserWindow.created.find((w) => w.webContents === contents) ?? null;
  });

  readonly webContents = new FakeWebContents();
  readonly loadedUrls: string[] = [];
  maximized = false;
  shown = false;
  focused = false;
  minimized = false;
  private destroyed = false;

  constructor(readonly options: Record<string, unknown> = {}) {
    super();
    FakeBrowserWindow.created.push(this);
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** As BrowserWindow.destroy(): closed at once, no 'close' event. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.shown = false;
    this.webContents.destroy();
    this.emit('closed');
  }

  /** As BrowserWindow.close(): a 'close' listener may call event.preventDefault() to keep the window. */
  close(): void {
    if (this.destroyed) return;
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (prevented) return;
    this.destroyed = true;
    this.shown = false;
    this.webContents.destroy();
    this.emit('closed');
  }

  loadURL(url: string): Promise<void> {
    this.loadedUrls.push(url);
    return Promise.resolve();
  }

  getNormalBounds(): { x: number; y: number; width: number; height: number } {
    const o = this.options as { x?: number; y?: number; width: number; height: number };
    return { x: o.x ?? 100, y: o.y ?? 100, width: o.width, height: o.height };
  }

  isMaximized(): boolean {
    return this.maximized;
  }

  maximize(): void {
    this.maximized = true;
  }

  show(): void {
    this.shown = true;
  }

  hide(): void {
    this.shown = false;
    this.focused = false;
  }

  isVisible(): boolean {
    return this.shown;
  }

  isMinimized(): boolean {
    return this.minimized;
  }

  minimize(): void {
    this.minimized = true;
  }

  restore(): void {
    this.minimized = false;
  }

  focus(): void {
    this.focused = true;
  }

  isFocused(): boolean {
    return this.focused;
  }
}

/** A built menu: its template, so tests can find and click items. */
export interface FakeMenu {
  readonly template: MenuItemConstructorOptions[];
}

/** An image loaded from `path` (or the empty image), with the representations added to it. */
export class FakeNativeImage {
  readonly representations: { scaleFactor: number; bytes: number }[] = [];
  constructor(readonly path: string) {}
  addRepresentation(options: { scaleFactor: number; buffer?: Buffer }): void {
    this.representations.push({ scaleFactor: options.scaleFactor, bytes: options.buffer?.length ?? 0 });
  }
}

type TraySurface = Pick<RealTray, 'setToolTip' | 'setTitle' | 'isDestroyed' | 'destroy'>;

/** Records what the tray shows; `refuse` makes the next constructions throw (a system without a tray). */
export class FakeTray extends EventEmitter implements TraySurface {
  static readonly created: FakeTray[] = [];
  static refuse = false;
  tooltip = '';
  title = '';
  menu: FakeMenu | null = null;
  readonly tooltips: string[] = [];
  private destroyed = false;

  constructor(public image: NativeImage | string) {
    super();
    if (FakeTray.refuse) throw new Error('no tray on this system');
    FakeTray.created.push(this);
  }

  setToolTip(toolTip: string): void {
    this.tooltip = toolTip;
    this.tooltips.push(toolTip);
  }

  setTitle(title: string): void {
    this.title = title;
  }

  setImage(image: NativeImage | string): void {
    this.image = image;
  }

  setContextMenu(menu: FakeMenu | null): void {
    this.menu = menu;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  destroy(): void {
    this.destroyed = true;
  }
}

/** Records every notification built and shown; `supported` plays Notification.isSupported(). */
export class FakeNotification extends EventEmitter {
  static supported = true;
  static readonly shown: FakeNotification[] = [];
  static isSupported(): boolean {
    return FakeNotification.supported;
  }

  constructor(readonly options: { title: string; body: string }) {
    super();
  }

  show(): void {
    FakeNotification.shown.push(this);
  }
}

export class FakeIpcMain {
  readonly handlers = new Map<string, Listener>();
  readonly listeners = new EventEmitter();

  handle(channel: string, listener: Listener): void {
    if (this.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  on(channel: string, listener: Listener): this {
    this.listeners.on(channel, listener);
    return this;
  }

  removeAllListeners(channel: string): this {
    this.listeners.removeAllListeners(channel);
    return this;
  }

  /** Calls the handler for `channel` the way ipcMain does for ipcRenderer.invoke from `event`'s sender. */
  async invoke(
    event: { sender: unknown; senderFrame: FakeFrame | null },
    channel: string,
    ...args: unknown[]
  ) {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(event, ...args);
  }

  /** Delivers a fire-and-forget message as ipcRenderer.send would. */
  emitFrom(
    event: { sender: unknown; senderFrame: FakeFrame | null },
    channel: string,
    ...args: unknown[]
  ): void {
    this.listeners.emit(channel, event, ...args);
  }
}

export class FakeIpcRenderer extends EventEmitter {
  readonly invoke = vi.fn((_channel: string, ..._args: unknown[]): Promise<unknown> =>
    Promise.resolve(undefined),
  );
  readonly send = vi.fn((_channel: string, ..._args: unknown[]): void => undefined);
}

export class FakeSession {
  permissionRequestHandler: Listener | null = null;
  permissionCheckHandler: Listener | null = null;

  setPermissionRequestHandler(handler: Listener | null): void {
    this.permissionRequestHandler = handler;
  }

  setPermissionCheckHandler(handler: Listener | null): void {
    this.permissionCheckHandler = handler;
  }
}

const workArea = { x: 0, y: 0, width: 1920, height: 1040 };

// The fake module has to export the names the real one does.
// eslint-disable-next-line no-restricted-syntax
export const ipcMain = new FakeIpcMain();
// eslint-disable-next-line no-restricted-syntax
export const ipcRenderer = new FakeIpcRenderer();
export const BrowserWindow = FakeBrowserWindow;
export const Notification = FakeNotification;
export const Tray = FakeTray;
export const contextBridge = { exposeInMainWorld: vi.fn() };
export const dialog = {
  showSaveDialog: vi.fn(),
  showOpenDialog: vi.fn(),
  showErrorBox: vi.fn(),
  showMessageBox: vi.fn<(...args: unknown[]) => ReturnType<Dialog['showMessageBox']>>(() =>
    Promise.resolve({ response: 0, checkboxChecked: false }),
  ),
};
export const nativeImage = {
  createFromPath: vi.fn((path: string) => new FakeNativeImage(path)),
};
export const powerMonitor = new EventEmitter();
/** `shouldUseDarkColors` follows themeSource, with 'system' playing a light system. */
export class FakeNativeTheme
  extends EventEmitter
  implements Pick<NativeTheme, 'themeSource' | 'shouldUseDarkColors'>
{
  themeSource: NativeTheme['themeSource'] = 'system';

  get shouldUseDarkColors(): boolean {
    return this.themeSource === 'dark';
  }
}
export const nativeTheme = new FakeNativeTheme();
export const shell = { openExternal: vi.fn((_url: string) => Promise.resolve()) };
export const session = { defaultSession: new FakeSession() };
export const protocol = { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() };
export const screen = {
  getAllDisplays: vi.fn(() => [{ workArea }]),
  getPrimaryDisplay: vi.fn(() => ({ workArea })),
};
export const Menu = {
  buildFromTemplate: vi.fn((template: MenuItemConstructorOptions[]): FakeMenu => ({ template })),
  setApplicationMenu: vi.fn((_menu: FakeMenu | null) => undefined),
};

type AppSurface = Pick<App, 'isPackaged' | 'getPath' | 'getAppPath' | 'requestSingleInstanceLock' | 'quit'>;

/** `singleInstance` plays whether requestSingleInstanceLock() gets the lock. */
export const app = Object.assign(new EventEmitter(), {
  isPackaged: false,
  singleInstance: true,
  getPath: vi.fn((name: string) => `/tmp/dns-witness-fake/${name}`),
  getAppPath: vi.fn(() => '/opt/DNS Witness/resources/app.asar'),
  requestSingleInstanceLock: vi.fn((): boolean => app.singleInstance),
  quit: vi.fn(),
}) satisfies AppSurface;
