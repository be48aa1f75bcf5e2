/**
 * Vendor names from the IEEE registries (MA-L, MA-M, MA-S) shipped offline by the `oui-data` package: a JSON
 * object keyed by 6, 7 or 9 uppercase hex digits, values "Vendor\nAddress lines".
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isLocallyAdministered } from './mac';

export type OuiTable = Readonly<Record<string, string>>;

/** Reads and parses the package's index.json (5.6 MB): do it once, when the first vendor is needed. */
export async function loadOuiTable(): Promise<OuiTable> {
  const path = createRequire(import.meta.url).resolve('oui-data');
  return JSON.parse(await readFile(path, 'utf8')) as OuiTable;
}

/** IEEE lists some blocks as "Private": registered, but naming no vendor. */
const NO_VENDOR = new Set(['private', 'ieee registration authority']);

/**
 * Vendor registered for a normalised MAC's prefix, longest registry first (MA-S 36 bits, MA-M 28, MA-L 24,
 * as the package's README prescribes); "" when unregistered, "Private", or a locally administered MAC.
 */
export function vendorOf(table: OuiTable, mac: string): string {
  if (mac.length !== 17 || isLocallyAdministered(mac)) return '';
  const hex = mac.replace(/:/g, '').toUpperCase();
  const text = table[hex.slice(0, 9)] ?? table[hex.slice(0, 7)] ?? table[hex.slice(0, 6)] ?? '';
  const name = text.split('\n', 1)[0]!.trim();
  return NO_VENDOR.has(name.toLowerCase()) ? '' : name;
}

/** Loads the table on the first call and shares that one load with every later caller. */
export class OuiDatabase {
  private loading: Promise<OuiTable | null> | null = null;
  private table: OuiTable | null = null;

  constructor(
    private readonly load: () => Promise<OuiTable> = loadOuiTable,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  /** True once the table is in memory, so `lookup` answers synchronously. */
  get loaded(): boolean {
    return this.table !== null;
  }

  /** Resolves when the table is loaded or its load failed (then every vendor stays ""). Never rejects. */
  ready(): Promise<void> {
    this.loading ??= this.load().then(
      (t) => (this.table = t),
      (err: Error) => {
        this.onError(`vendor database (oui-data) could not be loaded: ${err.message}`);
        return null;
      },
    );
    return this.loading.then(() => undefined);
  }

  /** Vendor for a normalised MAC, "" until `ready()` has resolved. */
  lookup(mac: string): string {
    return this.table ? vendorOf(this.table, mac) : '';
  }
}
