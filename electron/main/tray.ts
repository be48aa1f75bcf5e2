/**
 * The tray (menu-bar) icon: whether DNS Witness is recording and how many queries it has, and a menu to show
 * the window, start or stop the capture and quit. It is what keeps the app reachable while the window is
 * hidden and the forwarder goes on answering.
 */
import { Menu, Tray } from 'electron';
import type { MenuItemConstructorOptions, NativeImage } from 'electron';
import type { EngineStatus } from '@shared/events';
import { realClock, type Clock } from '../engine/clock';

/** What the tray shows. */
export interface TrayState {
  readonly recording: boolean;
  /** Queries recorded in the current (or, when stopped, the last) capture. */
  readonly queries: number;
}

/** What the tray menu does; each must handle its own errors. */
export interface TrayActions {
  readonly show: () => void;
  readonly startCapture: () => void;
  readonly stopCapture: () => void;
  readonly quit: () => void;
}

/** Icon per capture state. */
export interface TrayIcons {
  readonly recording: NativeImage;
  readonly stopped: NativeImage;
}

/** The part of the engine's clock the tray uses, injectable so tests run on synthetic time. */
export type TrayClock = Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;

/** The tooltip changes at most this often; the engine reports its status about once a second. */
export const TRAY_UPDATE_MS = 1000;

const count = new Intl.NumberFormat('en-US');

/** The tray's state from an engine status. */
export function trayState(status: Pick<EngineStatus, 'capture'>): TrayState {
  return { recording: status.capture?.state === 'running', queries: status.capture?.queries ?? 0 };
}

/** The state in words, e.g. "Recording · 1,234 queries" or "Stopped · 1 query recorded". */
export function trayStateText(state: TrayState): string {
  const queries = `${count.format(state.queries)} ${state.queries === 1 ? 'query' : 'queries'}`;
  return state.recording ? `Recording · ${queries}` : `Stopped · ${queries} recorded`;
}

/** The tooltip: the app's name and its state. */
export function trayTooltip(state: TrayState): string {
  return `DNS Witness — ${trayStateText(state)}`;
}

/** The tray menu: the state (not clickable), show the window, start or stop, quit. */
export function trayMenuTemplate(recording: boolean, actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    { label: recording ? 'Recording' : 'Not recording', enabled: false },
    { type: 'separator' },
    { label: 'Show DNS Witness', click: () => actions.show() },
    recording
      ? { label: 'Stop Capture', click: () => actions.stopCapture() }
      : { label: 'Start Capture', click: () => actions.startCapture() },
    { type: 'separator' },
    { label: 'Quit DNS Witness', click: () => actions.quit() },
  ];
}

/** The tray icon kept in step with the engine's status. */
export class StatusTray {
  private shown: TrayState | null = null;
  private pending: TrayState | null = null;
  private lastUpdate = -Infinity;
  private timer: unknown = null;

  constructor(
    readonly tray: Tray,
    private readonly icons: TrayIcons,
    private readonly actions: TrayActions,
    private readonly clock: TrayClock,
    private readonly platform: NodeJS.Platform,
  ) {
    // Windows and most Linux trays: a click on the icon shows the window; the menu has the rest.
    tray.on('click', () => actions.show());
  }

  /**
   * Shows `state`: at most once a second for a new count (a later one waits for the rest of the second), at
   * once when recording starts or stops so the menu never offers the wrong action. Never throws.
   */
  update(state: TrayState): void {
    const stateChanged = this.shown === null || this.shown.recording !== state.recording;
    const wait = this.lastUpdate + TRAY_UPDATE_MS - this.clock.now();
    if (stateChanged || wait <= 0) {
      this.apply(state);
      return;
    }
    this.pending = state;
    this.timer ??= this.clock.setTimeout(() => {
      this.timer = null;
      const next = this.pending;
      this.pending = null;
      if (next) this.apply(next);
    }, wait);
  }

  /** Removes the icon. */
  destroy(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }

  private apply(state: TrayState): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
    const previous = this.shown;
    this.shown = state;
    this.lastUpdate = this.clock.now();
    if (this.tray.isDestroyed()) return;
    try {
      this.tray.setToolTip(trayTooltip(state));
      // The macOS menu bar has room for the count beside the icon.
      if (this.platform === 'darwin') this.tray.setTitle(state.recording ? count.format(state.queries) : '');
      if (previous?.recording !== state.recording) {
        this.tray.setImage(state.recording ? this.icons.recording : this.icons.stopped);
        // Rebuilt only when the state changes: Linux trays close an open menu when it is replaced.
        this.tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(state.recording, this.actions)));
      }
    } catch (error) {
      console.warn('[tray] could not update the tray icon:', error);
    }
  }
}

/**
 * Creates the tray icon showing `initial`, or returns null when the system refuses one. A desktop without a
 * tray area (GNOME without the AppIndicator extension) still accepts the icon and just does not show it;
 * there the app is found again by opening it once more (the single-instance handler shows the window).
 */
export function createStatusTray(
  icons: TrayIcons,
  actions: TrayActions,
  initial: TrayState,
  opts: { readonly clock?: TrayClock; readonly platform?: NodeJS.Platform } = {},
): StatusTray | null {
  let tray: Tray;
  try {
    tray = new Tray(initial.recording ? icons.recording : icons.stopped);
  } catch (error) {
    console.warn('[tray] no tray icon on this system:', error);
    return null;
  }
  const status = new StatusTray(
    tray,
    icons,
    actions,
    opts.clock ?? realClock,
    opts.platform ?? process.platform,
  );
  status.update(initial);
  return status;
}
