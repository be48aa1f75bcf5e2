import { ipcMain } from 'electron';
import type { BrowserWindow, WebContents } from 'electron';
import type { EventChannel, Events } from '@shared/api';
import type { QueryBatch } from '@shared/events';
import { READY_CHANNEL } from './channels';
import { isTrustedSender } from './trusted-windows';

/** Query batches held per window before ready(); older ones are dropped (≈10 s at one per 200 ms). */
export const MAX_HELD_BATCHES = 50;
/** Warnings held per window before ready(); older ones are dropped (the status lists them anyway). */
export const MAX_HELD_WARNINGS = 20;
/** Device updates held per window before ready(); older ones are dropped (the snapshot lists devices). */
export const MAX_HELD_DEVICES = 256;
/** Watchlist alerts held per window before ready(); one per rule and router, so few in practice. */
export const MAX_HELD_ALERTS = 32;
export const MAX_HELD_IMPORTS = 8;

type Message = { [K in EventChannel]: { readonly channel: K; readonly payload: Events[K] } }[EventChannel];

/** Messages for one page: delivered directly once it is ready, held (bounded) before that. */
class Outbox {
  private ready = false;
  private held: Message[] = [];

  constructor(private readonly contents: WebContents) {}

  push(message: Message): void {
    if (this.ready) {
      this.deliver(message);
      return;
    }
    // Only the latest status and watchlist report matter; a page not listening yet needs no history of them.
    if (message.channel === 'engine:status' || message.channel === 'watch:report') {
      const channel = message.channel;
      this.held = this.held.filter((m) => m.channel !== channel);
    }
    // Likewise only a device's latest details, and an import's latest progress.
    if (message.channel === 'device:update') {
      const address = message.payload.address;
      this.held = this.held.filter((m) => m.channel !== 'device:update' || m.payload.address !== address);
    }
    if (message.channel === 'import:progress') {
      const id = message.payload.id;
      this.held = this.held.filter((m) => m.channel !== 'import:progress' || m.payload.id !== id);
    }
    this.held.push(message);
    if (message.channel === 'query:batch' && this.count('query:batch') > MAX_HELD_BATCHES)
      this.dropOldestBatch();
    if (message.channel === 'engine:warning' && this.count('engine:warning') > MAX_HELD_WARNINGS) {
      this.held.splice(
        this.held.findIndex((m) => m.channel === 'engine:warning'),
        1,
      );
    }
    if (message.channel === 'device:update' && this.count('device:update') > MAX_HELD_DEVICES) {
      this.held.splice(
        this.held.findIndex((m) => m.channel === 'device:update'),
        1,
      );
    }
    if (message.channel === 'import:progress' && this.count('import:progress') > MAX_HELD_IMPORTS) {
      this.held.splice(
        this.held.findIndex((m) => m.channel === 'import:progress'),
        1,
      );
    }
    if (message.channel === 'watch:alert' && this.count('watch:alert') > MAX_HELD_ALERTS) {
      this.held.splice(
        this.held.findIndex((m) => m.channel === 'watch:alert'),
        1,
      );
    }
  }

  markReady(): void {
    this.ready = true;
    const held = this.held;
    this.held = [];
    for (const message of held) this.deliver(message);
  }

  /** A new document is loading: it must say ready() again; what it missed it takes from a snapshot. */
  reset(): void {
    this.ready = false;
    this.held = [];
  }

  private count(channel: EventChannel): number {
    return this.held.reduce((n, m) => (m.channel === channel ? n + 1 : n), 0);
  }

  /** Drops the oldest held batch and adds its events to the next one's `dropped`, so the loss is counted. */
  private dropOldestBatch(): void {
    const first = this.held.findIndex((m) => m.channel === 'query:batch');
    const [removed] = this.held.splice(first, 1);
    if (removed?.channel !== 'query:batch') return;
    const lost = removed.payload.events.length + removed.payload.dropped;
    const next = this.held.findIndex((m) => m.channel === 'query:batch');
    const target = this.held[next];
    if (target?.channel !== 'query:batch') return;
    const payload: QueryBatch = { ...target.payload, dropped: target.payload.dropped + lost };
    this.held[next] = { channel: 'query:batch', payload };
  }

  private deliver(message: Message): void {
    if (this.contents.isDestroyed()) return;
    this.contents.send(message.channel, message.payload);
  }
}

const outboxes = new WeakMap<WebContents, Outbox>();

function outboxFor(contents: WebContents): Outbox {
  let box = outboxes.get(contents);
  if (box === undefined) {
    const created = new Outbox(contents);
    contents.on('did-start-navigation', (details) => {
      if (details.isMainFrame && !details.isSameDocument) created.reset();
    });
    contents.on('render-process-gone', () => created.reset());
    outboxes.set(contents, created);
    box = created;
  }
  return box;
}

/**
 * Sends an event to `win`'s page once it has called ready(); until then holds it, keeping only the
 * latest status and watchlist report and a bounded number of batches, warnings, devices and alerts.
 * Never throws; a closed window is ignored.
 */
export function send<K extends EventChannel>(win: BrowserWindow, channel: K, payload: Events[K]): void {
  if (win.isDestroyed() || win.webContents.isDestroyed()) return;
  outboxFor(win.webContents).push({ channel, payload } as Message);
}

/** Listens for the renderer's ready() signal from trusted senders and releases their held events. */
export function setupReadySignal(): void {
  ipcMain.removeAllListeners(READY_CHANNEL);
  ipcMain.on(READY_CHANNEL, (event) => {
    if (!isTrustedSender(event)) return;
    outboxFor(event.sender).markReady();
  });
}
