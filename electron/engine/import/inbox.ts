import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { CaptureInfo } from '@shared/events';
import type { CaptureStore } from '../capture';
import { CAPTURE_ID_PATTERN } from '../capture/capture-id';

/** Imports that land together (several files, one event each) are adopted in one pass. */
const SETTLE_MS = 100;

/**
 * Lets a running engine pick up captures that `npm run import` writes into its data folder meanwhile: the
 * importer renames each finished capture into captures/ (writer.ts), this watches that folder and has the
 * store adopt it. Loading runs in the store's usual chunks, between DNS queries, never instead of them.
 */
export class ImportInbox {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void>;
  private closed = false;
  private markRead: () => void = () => undefined;

  constructor(
    private readonly store: Pick<CaptureStore, 'adopt'>,
    private readonly dataDir: string,
    private readonly onAdopted: (captures: CaptureInfo[]) => void,
  ) {
    // The captures already on disk are the history's to read: adopting one of them before it is read would
    // load it twice (a new capture's folder appears at start, and its event would run a check).
    this.running = new Promise((resolve) => (this.markRead = resolve));
  }

  /** The store has read the captures that were on disk at start: checks may adopt from now on (one runs now). */
  historyRead(): void {
    this.markRead();
    void this.check();
  }

  /** Starts watching; a folder that cannot be watched leaves imports to the next start. Never throws. */
  start(): void {
    if (this.watcher !== null || this.closed) return;
    try {
      this.watcher = watch(join(this.dataDir, 'captures'), (_event, name) => {
        if (typeof name === 'string' && CAPTURE_ID_PATTERN.test(name)) this.schedule();
      });
      this.watcher.on('error', () => this.stopWatching());
    } catch {
      this.watcher = null;
    }
  }

  /** Looks for new imported captures now, or once the history is read (also what the folder's events trigger). */
  check(): Promise<void> {
    this.running = this.running.then(async () => {
      if (this.closed) return;
      const added = await this.store.adopt();
      if (added.length > 0 && !this.closed) this.onAdopted(added);
    });
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.markRead();
    this.stopWatching();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.check();
    }, SETTLE_MS);
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}
