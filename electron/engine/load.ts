import type { WarningCode } from '@shared/events';
import { CaptureStore } from './capture';
import { lockDataDir } from './data-lock';
import { DeviceRegistry, type DeviceRegistryOptions } from './devices';
import { AccessList, DEFAULT_ALLOWED } from './dns/acl';
import type { EngineOptions } from './options';
import { RouterSetting } from './router-setting';
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
  /** Releases the data folder's lock. */
  readonly unlock: () => Promise<void>;
}

/**
 * Locks the data dir, loads earlier captures, device names and the saved router. Throws an Error with a
 * readable message for a bad option (an --allow range, a --router that is not an address), a data folder
 * that cannot be used, or one another engine holds; then nothing stays locked or open.
 */
export async function loadEngineParts(
  startOptions: EngineOptions,
  hooks: EngineTestHooks,
  onWarning: (code: WarningCode, message: string) => void,
): Promise<EngineParts> {
  // Validate the ranges before touching the disk, so a typo fails fast.
  new AccessList([...DEFAULT_ALLOWED, ...startOptions.allow]);
  const warn = (code: WarningCode) => (message: string) => onWarning(code, message);
  // The settings live in the folder the app starts with; they may move the captures elsewhere.
  const settings = await SettingsStore.load(startOptions.dataDir, warn('settings'));
  let options = applySettings(startOptions, settings.settings.values, startOptions.dataDir);
  let unlock: () => Promise<void>;
  try {
    unlock = await lockDataDir(options.dataDir, warn('storage'));
  } catch (err) {
    if (options.dataDir === startOptions.dataDir) throw err;
    // A saved data folder that cannot be used must not keep the app from starting: fall back to the default.
    warn('settings')(
      `the saved data folder ${options.dataDir} cannot be used (${(err as Error).message}); using ${startOptions.dataDir}`,
    );
    options = { ...options, dataDir: startOptions.dataDir };
    unlock = await lockDataDir(options.dataDir, warn('storage'));
  }
  try {
    const store = await CaptureStore.open({
      dataDir: options.dataDir,
      retentionDays: options.retentionDays,
      onWarning: warn('journal-error'),
      clock: options.clock,
    });
    const routerSetting = await RouterSetting.load(options.dataDir, warn('device-lookup'));
    const watch = await WatchService.open({ dataDir: options.dataDir, onWarning: warn('watchlist') });
    // Rates and beacons cover the retained captures, not only what arrives from now on.
    store.forEachWatched((ts, client, rule, qname) => watch.observe(ts, client, rule, qname));
    try {
      const registry = await DeviceRegistry.open({
        ...hooks.devices,
        dataDir: options.dataDir,
        routers: [...options.routers, ...routerSetting.routers],
        onWarning: warn('device-lookup'),
      });
      return { options, settings, store, registry, watch, routerSetting, unlock };
    } catch (err) {
      await store.close();
      throw err;
    }
  } catch (err) {
    await unlock();
    throw err;
  }
}
