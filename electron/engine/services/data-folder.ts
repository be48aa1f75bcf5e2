import type { StorageStatus } from '@shared/events';
import { describeFsError } from '../capture/journal';
import { isStorageError, lockDataDir } from '../data-lock';

/**
 * The data folder's lock. A start on a folder that cannot be written (a full disk, read-only, missing)
 * goes on without it, so DNS is answered; `retry` (once a second) takes it once the folder can be
 * written, and recording goes on normally from there.
 */
export class DataFolderLock {
  private locking = false;

  constructor(
    private readonly dataDir: string,
    private unlock: () => Promise<void>,
    /** Why the lock could not be taken ("" once it is held). */
    private error: string,
    private readonly warn: (message: string) => void,
  ) {}

  /** Why the folder cannot be written, "" while the lock is held. */
  get problem(): string {
    return this.error;
  }

  /** Tries to take the lock if it is not held; at most one attempt at a time. Never throws. */
  retry(): void {
    if (this.error === '' || this.locking) return;
    this.locking = true;
    const dir = this.dataDir;
    lockDataDir(dir, this.warn)
      .then(
        (unlock) => {
          this.unlock = unlock;
          this.error = '';
          this.warn(`the data folder ${dir} can be written again; recording`);
        },
        (err: unknown) => {
          // Another DNS Witness may have taken the folder meanwhile: keep trying, and say so.
          this.error = isStorageError(err) ? describeFsError(err).text : (err as Error).message;
          if (!isStorageError(err)) this.warn(this.error);
        },
      )
      .finally(() => (this.locking = false));
  }

  /** The store's view of the disk, with the lock's problem first while it is not held. */
  storage(store: StorageStatus): StorageStatus {
    return this.error === '' ? store : { ...store, error: this.error };
  }

  release(): Promise<void> {
    return this.unlock();
  }
}
