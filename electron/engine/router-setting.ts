/**
 * The addresses the user names as the router in the dashboard, kept in `routers.json` in the data folder so
 * the choice survives restarts. `--router` flags come on top and are not saved.
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write';
import { describeFsError, ensureDir } from './capture/journal';
import { canonicalAddress } from './devices';

export const ROUTERS_FILE = 'routers.json';

interface RoutersFile {
  readonly version: 1;
  readonly routers: readonly string[];
}

/** The saved router addresses; every change is written atomically (mode 0600). */
export class RouterSetting {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dataDir: string,
    private current: readonly string[],
  ) {}

  /**
   * Reads `${dataDir}/routers.json`. A missing file means none; an unreadable or corrupt one is reported
   * through `onWarning`, moved aside (a corrupt one, so the next save does not destroy it) and means none.
   */
  static async load(dataDir: string, onWarning: (message: string) => void): Promise<RouterSetting> {
    const path = join(dataDir, ROUTERS_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        onWarning(`the saved router could not be read from ${path}: ${describeFsError(err).text}`);
      return new RouterSetting(dataDir, []);
    }
    try {
      const parsed = JSON.parse(text) as Partial<RoutersFile> | null;
      if (!parsed || !Array.isArray(parsed.routers)) throw new Error('no "routers" list');
      const routers = parsed.routers
        .map((a) => (typeof a === 'string' ? canonicalAddress(a) : ''))
        .filter((a) => a !== '');
      return new RouterSetting(dataDir, [...new Set(routers)]);
    } catch (err) {
      const aside = `${path}.corrupt-${Date.now()}`;
      await rename(path, aside).catch(() => undefined);
      onWarning(`the saved router in ${path} is not valid (${(err as Error).message}); moved to ${aside}`);
      return new RouterSetting(dataDir, []);
    }
  }

  /** The saved addresses, canonical, without duplicates. */
  get routers(): readonly string[] {
    return this.current;
  }

  /**
   * Replaces the saved addresses (each must be an IP address) and writes them. Rejects on a non-address
   * (nothing changes) and when the file cannot be written (the new list stays in effect until a restart).
   */
  async save(addresses: readonly string[]): Promise<void> {
    const routers = addresses.map((text) => {
      const a = canonicalAddress(text);
      if (!a) throw new Error(`not an IP address for the router: "${text}"`);
      return a;
    });
    this.current = [...new Set(routers)];
    const text = `${JSON.stringify({ version: 1, routers: this.current } satisfies RoutersFile, null, 2)}\n`;
    // Writes run one after another, so the file ends with the latest list.
    const write = this.writing.then(async () => {
      await ensureDir(this.dataDir);
      await writeFileAtomic(join(this.dataDir, ROUTERS_FILE), text);
    });
    this.writing = write.catch(() => undefined);
    await write;
  }

  /** Waits for the writes started so far. Never rejects. */
  flush(): Promise<void> {
    return this.writing;
  }
}
