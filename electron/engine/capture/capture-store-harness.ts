// The set-up capture-store.test.ts and capture-store-rows.test.ts share; tests only. Apart from
// test-support.ts, which the e2e specs import and which must not load vitest or the store.
import { afterEach, beforeEach } from 'vitest';
import { clockAt } from '../fake-clock';
import { CaptureStore, type CaptureStoreOptions } from './capture-store';
import { tempDir } from './test-support';

/** A fresh data folder per test, the stores opened on it and the warnings they gave (see captureStoreHarness). */
export interface CaptureStoreHarness {
  /** This test's data folder. */
  readonly dir: string;
  /** Every store's warnings in this test, in order; the same array throughout, emptied before each test. */
  readonly warnings: string[];
  /** Opens a store on `dir` with the harness's clock, keeping no history by age, and closes it after the test. */
  open(over?: Partial<CaptureStoreOptions>): Promise<CaptureStore>;
  /** Closes `store` now. */
  close(store: CaptureStore): Promise<void>;
}

/**
 * Registers the set-up the CaptureStore tests share: before each test a fresh temp data folder and no
 * warnings; after it, every store still open closed and the folder removed. `now` is the clock stores see.
 */
export function captureStoreHarness(now: () => number): CaptureStoreHarness {
  let dir = '';
  let cleanup: () => Promise<void> = async () => undefined;
  const warnings: string[] = [];
  const open: CaptureStore[] = [];
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    warnings.length = 0;
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await cleanup();
  });
  return {
    get dir() {
      return dir;
    },
    warnings,
    async open(over = {}) {
      const store = await CaptureStore.open({
        dataDir: dir,
        retentionDays: 0,
        clock: clockAt(now),
        onWarning: (m) => warnings.push(m),
        ...over,
      });
      open.push(store);
      return store;
    },
    async close(store) {
      await store.close();
      open.splice(open.indexOf(store), 1);
    },
  };
}
