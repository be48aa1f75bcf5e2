import type { ImportFormat } from '@shared/events';
import type { HashedReader } from './source-file';

/** No DNS message: what an imported record from a log or database carries instead of the query's bytes. */
export const NO_WIRE: Uint8Array = new Uint8Array(0);

/**
 * One query read from another program's records, in the fields the journal keeps (capture/types.ts). A
 * source without the DNS messages leaves `queryWire` empty (NO_WIRE) and `responseWire` null, and the journal
 * then keeps no "q" line field: nothing pretends to be bytes that were never seen.
 */
export interface ImportRecord {
  /** Epoch ms as the source states it. */
  ts: number;
  /** Minutes east of UTC the source wrote the time with, when it says; else this machine's zone is used. */
  offset?: number;
  client: string;
  clientPort: number;
  transport: 'udp' | 'tcp';
  qname: string;
  qtype: string;
  rcode: string;
  answers: string;
  latencyMs: number;
  upstream: string;
  size: number;
  error: string;
  /** Set by the pipeline from the watchlist. */
  watchRule: string;
  queryWire: Uint8Array;
  responseWire: Uint8Array | null;
}

/** A file to read: where it is and what it is called in the provenance. */
export interface SourceInput {
  readonly path: string;
  readonly name: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** What a reader may use besides the file: options, and where it reports what it leaves out or learns. */
export interface ReadContext {
  /** Counts entries that are not DNS queries, or that cannot be one, and are left out. */
  skip(count?: number): void;
  /** A device the source names: its address with a MAC and/or a host name (either "" when unknown). */
  device(address: string, mac: string, name: string): void;
  /** Bytes of the current file consumed so far (progress). */
  progress(bytes: number): void;
  /** Aborted on Ctrl-C or a cancelled upload: readers stop at the next batch. */
  readonly signal: AbortSignal;
  /** The year for logs whose lines have none (syslog); undefined: from the file's modification time. */
  readonly year: number | undefined;
  /** Extra ports that carry DNS in packet captures (53 always does). */
  readonly ports: ReadonlySet<number>;
}

/**
 * Reads one file into batches of records, in the file's order, through `file` (which hashes what it reads;
 * a reader that opens the file otherwise leaves the hashing to HashedReader.complete). Throws ImportError on
 * a damaged file.
 */
export type SourceReader = (file: HashedReader, ctx: ReadContext) => AsyncIterable<ImportRecord[]>;

/** What one kind of file is, what it cannot tell, and how to read it. */
export interface FormatSpec {
  readonly id: ImportFormat;
  /** "AdGuard Home query log": names the format in messages. */
  readonly label: string;
  /** Whether records keep the DNS messages' bytes. */
  readonly wire: boolean;
  /** What this kind of file does not record, one sentence each. */
  readonly cannotTell: readonly string[];
  /** Whether the first bytes (up to 64 KiB) and the file name look like this format. */
  readonly sniff: (head: Buffer, name: string) => boolean;
  /**
   * True when `read` takes the file only through HashedReader.chunks() (not by its path): the import can
   * then read the file on one thread and parse it on another (parse-thread.ts).
   */
  readonly chunked?: boolean;
  /** Null when this build cannot read the format yet; `unavailable` then says why. */
  readonly read: SourceReader | null;
  readonly unavailable?: string;
}

/**
 * A file that is not what its format says: names the format and where the first bad part is, in one line,
 * e.g. "AdGuard Home query log querylog.json: line 12: not JSON".
 */
export class ImportError extends Error {
  /**
   * The records the reader had read before the damage and not yet handed on (the rest of its batch): a
   * partial import keeps them, so it ends at the last good entry. Set by `damagedAfter`.
   */
  before: readonly ImportRecord[] = [];

  constructor(
    readonly format: string,
    readonly where: string,
    readonly reason: string,
  ) {
    super(`${format}${where ? ` ${where}` : ''}: ${reason}`);
    this.name = 'ImportError';
  }
}

/**
 * Rethrows `err`; an ImportError first takes `records` (read before the damage, not handed on yet) as its
 * `before`. Readers call it where damage interrupts a batch.
 */
export function damagedAfter(err: unknown, records: readonly ImportRecord[]): never {
  if (err instanceof ImportError && err.before.length === 0) err.before = records;
  throw err;
}

/** Thrown when the import was cancelled (Ctrl-C, a closed upload). */
export class ImportCancelled extends Error {
  constructor() {
    super('the import was cancelled');
    this.name = 'ImportCancelled';
  }
}

/**
 * The one line a failed import is reported with, by the command line (after "dns-witness import: ") and by
 * the dashboard alike: the ImportError's line, or "cannot import: …" for a file-system error.
 */
export function failureMessage(err: unknown): string {
  if (err instanceof ImportCancelled) return 'cancelled; nothing was imported';
  return err instanceof ImportError ? err.message : `cannot import: ${(err as Error).message}`;
}
