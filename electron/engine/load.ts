import type { WarningCode } from '@shared/events';
import { CaptureStore } from './capture';
import { describeFsError } from './capture/journal';
import { isStorageError, lockDataDir } from './data-lock';
import { DeviceRegistry, type DeviceRegistryOptions } from './devices';
import { accessListWith } from './dns/acl';
import type { EngineOptions } from './options';
import { RouterSetting } from './router-setting';
import { DataFolderLock } from './services/data-folder';
import { applySettings } from './settings/resolve';
import { SettingsStore } from './settings/settings-store';
import { WatchService } from './watch';

/** Parts of the engine a test may replace; the app passes none. */
export interface EngineTestHooks {
  /** Device registry options, e.g. no gateway detection or a fixed neighbour table. */
  readonly devices?: Partial<Omit<DeviceRegistryOptions, 'dataDir' | 'routers' | 'onWarning'>>;
}

/** What the engine is built from: the options in effect and what the data folder holds. */
export interface EngineParts {
  readonly options: EngineOptions;
  readonly settings: SettingsStore;
  readonly store: CaptureStore;
  readonly registry: DeviceRegistry;
  readonly watch: WatchService;
  readonly routerSetting: RouterSetting;
  /**
   * The data folder's lock; not held yet when the folder could not be written at start (DNS is answered
   * anyway, queries wait in memory, and the lock is taken once the folder can be written).
   */
  readonly lock: DataFolderLock;
  /**
   * Reads the retained captures into the store and their watched queries into the watch service's rates;
   * called once DNS is answered, so a long history never keeps the household waiting. Never rejects.
   */
  readonly loadHistory: () => Promise<void>;
}

/**
 * Locks the data dir, finds the earlier captures (read later by `loadHistory`), loads device names and the
 * saved router. Throws an Error with a
 * readable message for a bad option (an --allow range, a --router that is not an address), a data folder
 * that cannot be used, or one another engine holds; then nothing stays locked or open.
 */
export async function loadEngineParts(
  startOptions: EngineOptions,
  hooks: EngineTestHooks,
  onWarning: (code: WarningCode, message: string) => void,
): Promise<EngineParts> {
  // Validate the ranges before touching the disk, so a typo fails fast.
  accessListWith(startOptions.allow);
  const warn = (code: WarningCode) => (message: string) => onWarning(code, message);
  // The settings live in the folder the app starts with; they may move the captures elsewhere.
  const settings = await SettingsStore.load(startOptions.dataDir, warn('settings'));
  let options = applySettings(startOptions, settings.settings.values, startOptions.dataDir);
  let unlock: () => Promise<void> = async () => {};
  let lockError = '';
  // A folder that cannot be written (a full disk, read-only, missing) must not take the household's DNS
  // away: the engine starts without the lock and records once the folder can be written.
  const lockOrWait = async (dataDir: string): Promise<void> => {
    try {
      unlock = await lockDataDir(dataDir, warn('storage'));
    } catch (err) {
      if (!isStorageError(err)) throw err;
      lockError = describeFsError(err).text;
      warn('storage')(
        `cannot write to the data folder ${dataDir} (${lockError}): answering DNS anyway; queries wait in memory and are recorded once it can be written`,
      );
    }
  };
  if (options.dataDir === startOptions.dataDir) await lockOrWait(options.dataDir);
  else
    try {
      unlock = await lockDataDir(options.dataDir, warn('storage'));
    } catch (err) {
      // A saved data folder that cannot be used must not keep the app from starting: fall back to the default.
      warn('settings')(
        `the saved data folder ${options.dataDir} cannot be used (${(err as Error).message}); using ${startOptions.dataDir}`,
      );
      options = { ...options, dataDir: startOptions.dataDir };
      await lockOrWait(options.dataDir);
    }
  try {
    const store = await CaptureStore.open({
      dataDir: options.dataDir,
      retentionDays: options.retentionDays,
      onWarning: warn('journal-error'),
      clock: options.clock,
      deferHistory: true,
    });
    const routerSetting = await RouterSetting.load(options.dataDir, warn('device-lookup'));
    const watch = await WatchService.open({ dataDir: options.dataDir, onWarning: warn('watchlist') });
    // Rates and beacons cover the retained captures, not only what arrives from now on.
    const loadHistory = () =>
      store
        .loadHistory((ts, client, rule, qname) => watch.observe(ts, client, rule, qname))
        .then(() => watch.trimTimes());
    try {
      const registry = await DeviceRegistry.open({
        ...hooks.devices,
        dataDir: options.dataDir,
        routers: [...options.routers, ...routerSetting.routers],
        onWarning: warn('device-lookup'),
      });
      const lock = new DataFolderLock(options.dataDir, unlock, lockError, warn('storage'));
      return { options, settings, store, registry, watch, routerSetting, lock, loadHistory };
    } catch (err) {
      await store.close();
      throw err;
    }
  } catch (err) {
    await unlock();
    throw err;
  }
}
