/**
 * The names the user gives devices, kept in `devices.json` in the data folder: keyed by MAC where known (a
 * device keeps its name when DHCP gives it another address), else by IP address.
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalAddress } from './address';
import { writeFileAtomic } from '../atomic-write';
import { ensureDir } from '../capture/journal';
import { normalizeMac } from './mac';

export const DEVICES_FILE = 'devices.json';
export const MAX_NAME_LENGTH = 64;

/**
 * The stored form of a name the user typed: trimmed, at most MAX_NAME_LENGTH characters, no control
 * characters; "" clears. Throws an Error that says what is wrong, for the user.
 */
export function validateName(name: string): string {
  const t = name.trim();
  if (/\p{Cc}/u.test(t))
    throw new Error('A device name cannot contain control characters (tabs, line breaks).');
  if ([...t].length > MAX_NAME_LENGTH)
    throw new Error(`A device name can have at most ${MAX_NAME_LENGTH} characters.`);
  return t;
}

interface NamesFile {
  readonly version: 1;
  readonly byMac: Record<string, string>;
  readonly byAddress: Record<string, string>;
}

/** Entries of one map in the file that are valid keys and names; the rest is dropped. */
function validEntries(value: unknown, normalizeKey: (key: string) => string): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) {
    const key = normalizeKey(k);
    if (!key || typeof v !== 'string') continue;
    try {
      const name = validateName(v);
      if (name) out.set(key, name);
    } catch {
      // A hand-edited invalid name is dropped rather than failing the whole file.
    }
  }
  return out;
}

/** User-given device names, persisted atomically (mode 0600) on every change. */
export class NameStore {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly dataDir: string,
    private readonly byMac: Map<string, string>,
    private readonly byAddress: Map<string, string>,
  ) {}

  /**
   * Reads `${dataDir}/devices.json`. A missing file is an empty store; an unreadable or corrupt one is
   * reported through `onWarning`, moved aside (so the next save does not destroy it) and treated as empty.
   */
  static async load(dataDir: string, onWarning: (message: string) => void): Promise<NameStore> {
    const path = join(dataDir, DEVICES_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') onWarning(`device names could not be read from ${path}: ${code ?? String(err)}`);
      return new NameStore(path, dataDir, new Map(), new Map());
    }
    let parsed: Partial<NamesFile>;
    try {
      parsed = JSON.parse(text) as Partial<NamesFile>;
      if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    } catch (err) {
      const aside = `${path}.corrupt-${Date.now()}`;
      await rename(path, aside).catch(() => undefined);
      onWarning(`device names in ${path} are not valid JSON (${(err as Error).message}); moved to ${aside}`);
      return new NameStore(path, dataDir, new Map(), new Map());
    }
    return new NameStore(
      path,
      dataDir,
      validEntries(parsed.byMac, normalizeMac),
      validEntries(parsed.byAddress, canonicalAddress),
    );
  }

  /** The user's name for a device: by its MAC first, then by its address; "" when none. */
  nameFor(mac: string, address: string): string {
    return (mac ? this.byMac.get(mac) : undefined) ?? this.byAddress.get(address) ?? '';
  }

  /**
   * Names the device (by MAC when `mac` is known, else by address) and saves; "" clears both keys. A name
   * given by MAC replaces one given earlier by address. Rejects when the file cannot be written.
   */
  set(mac: string, address: string, name: string): Promise<void> {
    if (mac && name) this.byMac.set(mac, name);
    else if (mac) this.byMac.delete(mac);
    if (!mac && name) this.byAddress.set(address, name);
    else this.byAddress.delete(address);
    return this.save();
  }

  /** Waits for the writes started so far. Never rejects. */
  flush(): Promise<void> {
    return this.writing;
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify(
      {
        version: 1,
        byMac: Object.fromEntries(this.byMac),
        byAddress: Object.fromEntries(this.byAddress),
      } satisfies NamesFile,
      null,
      2,
    )}\n`;
    // Writes run one after another, so the file ends with the latest state.
    const write = this.writing.then(async () => {
      await ensureDir(this.dataDir);
      await writeFileAtomic(this.path, text);
    });
    this.writing = write.catch(() => undefined);
    return write;
  }
}
