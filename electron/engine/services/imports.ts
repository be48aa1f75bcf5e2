import type { ImportProgress } from '@shared/import';
import type { CaptureStore } from '../capture/capture-store';
import { ImportInbox } from '../import/inbox';
import { ImportService, type ImportJob } from '../import/service';
import type { DeviceService } from './devices';
import type { Emitter, EngineEvents } from './events';

export interface ImportsDeps {
  readonly store: Pick<CaptureStore, 'adopt'>;
  /** The data folder the engine opened (the inbox watches it). */
  readonly dataDir: string;
  /** The data folder in effect now (uploads go there). */
  readonly currentDataDir: () => string;
  readonly devices: Pick<DeviceService, 'savedRouters' | 'setRouters'>;
  readonly events: Emitter<EngineEvents>;
  /** A capture was adopted: the watchlist and the status take it in. */
  readonly adopted: () => void;
}

/**
 * Captures that come from outside the DNS path: what `npm run import` writes into the data folder while the
 * engine runs (the inbox adopts it), and the dashboard's imports, each run in a worker thread.
 */
export class ImportsService {
  private readonly inbox: ImportInbox;
  private readonly runner: ImportService;

  constructor(deps: ImportsDeps) {
    this.inbox = new ImportInbox(deps.store, deps.dataDir, deps.adopted);
    this.inbox.start();
    this.runner = new ImportService({
      dataDir: deps.currentDataDir,
      adopt: () => this.inbox.check(),
      addRouters: async (addresses) => {
        const saved = deps.devices.savedRouters();
        await deps.devices.setRouters([...saved, ...addresses.filter((a) => !saved.includes(a))]);
      },
      emit: (progress) => deps.events.emit('importProgress', progress),
    });
    this.onProgress = (listener) => deps.events.on('importProgress', listener);
  }

  readonly onProgress: (listener: (progress: ImportProgress) => void) => () => void;

  /** The captures on disk at start are read: imports that land from now on are adopted (inbox.ts). */
  historyRead(): void {
    this.inbox.historyRead();
  }

  start(job: ImportJob): void {
    this.runner.start(job);
  }

  cancel(id: string): boolean {
    return this.runner.cancel(id);
  }

  /** For the transport that receives uploads: where to stream them, whether one may start. */
  get uploads(): Pick<ImportService, 'uploadPath' | 'refusal' | 'reserveUpload'> {
    return this.runner;
  }

  async close(): Promise<void> {
    await this.runner.close();
    await this.inbox.close();
  }
}
