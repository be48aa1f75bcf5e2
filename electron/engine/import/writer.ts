import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaptureSource } from '@shared/events';
import { writeFileAtomic } from '../atomic-write';
import { newCaptureId } from '../capture/capture-id';
import {
  captureMetaText,
  ensureDir,
  JOURNAL_FILE,
  JOURNAL_FRAME_BYTES,
  JournalWriter,
  META_FILE,
} from '../capture/journal';
import { compressedPath } from '../capture/journal-frames';
import { LocalTimeFormatter } from '../capture/local-time';
import type { ImportRecord } from './types';

/** Journal text waiting in memory past which it is written (in the background, beside the reading). */
const FLUSH_BYTES = 4 << 20;
/** Journal text waiting past which the import waits for the disk: bounds memory on any file size. */
export const WAIT_BYTES = 2 * FLUSH_BYTES;

/** What a block of encoded journal lines holds: seqs `from`..`to`, the first and last line's time, the span. */
export interface EncodedBlock {
  readonly count: number;
  readonly from: number;
  readonly to: number;
  readonly firstTs: number;
  readonly lastTs: number;
  readonly minTs: number;
  readonly maxTs: number;
}

/**
 * zlib level of an import's frames. An import compresses as fast as it reads, hundreds of MiB of lines a
 * minute: on 1 MiB frames of imported AdGuard Home lines level 1 took 2.0 ms of CPU against 6.3 at the live
 * capture's level 6, for a ratio of 11.3 against 13.4 (about 39 against 33 bytes a query).
 */
const IMPORT_FRAME_LEVEL = 1;

/** Prefix of the folder an import is written in; not a capture id, so no store loads it half written. */
export const IMPORT_TEMP_PREFIX = '.import-';

/**
 * Writes one imported capture the way the live capture writes its own (capture/journal.ts: the same journal
 * lines, hash-chain seals and closing seal), into a hidden folder under captures/, and renames it into place
 * only once the journal and capture.json are complete. A store that runs meanwhile (CaptureStore.adopt) sees
 * the whole capture or none of it; an aborted import leaves nothing behind.
 */
export class ImportWriter {
  private readonly journal: JournalWriter;
  private readonly times = new LocalTimeFormatter();
  private seq = 0;
  private first = Number.POSITIVE_INFINITY;
  private last = Number.NEGATIVE_INFINITY;
  private readonly warnings: string[] = [];
  /** The write under way (compressing on the thread pool meanwhile), and the first one that failed. */
  private writing: Promise<void> | null = null;
  private failure: Error | null = null;

  private constructor(
    private readonly capturesDir: string,
    private readonly tempDir: string,
    readonly id: string,
  ) {
    this.journal = new JournalWriter({
      path: join(tempDir, JOURNAL_FILE),
      // Never reached: add() waits for the disk past WAIT_BYTES; a failing disk stops the import instead.
      maxUnwrittenBytes: 8 * FLUSH_BYTES,
      onWarning: (message) => this.warnings.push(message),
      chained: true,
      compactBytes: JOURNAL_FRAME_BYTES,
      frameLevel: IMPORT_FRAME_LEVEL,
      // commit() syncs the journal once, before the folder is renamed into place.
      syncFrames: false,
    });
  }

  /**
   * Creates the hidden folder under `${dataDir}/captures`. The id is made from the import time. Hidden folders
   * an import left a day or more ago (it was killed: no import runs that long) are removed first.
   */
  static async create(dataDir: string, now: number): Promise<ImportWriter> {
    const capturesDir = join(dataDir, 'captures');
    await ensureDir(capturesDir);
    await removeAbandoned(capturesDir, now);
    let id = newCaptureId(now);
    for (let i = 0; i < 16 && existsSync(join(capturesDir, id)); i++) id = newCaptureId(now);
    const tempDir = join(capturesDir, `${IMPORT_TEMP_PREFIX}${id}-${randomBytes(4).toString('hex')}`);
    await ensureDir(tempDir);
    return new ImportWriter(capturesDir, tempDir, id);
  }

  /** Records written so far. */
  get records(): number {
    return this.seq;
  }

  /** Journal bytes waiting in memory to be written. */
  get waiting(): number {
    return this.journal.unwrittenBytes;
  }

  /** Earliest and latest time written, or null before the first record. */
  get span(): { readonly first: number; readonly last: number } | null {
    return this.seq === 0 ? null : { first: this.first, last: this.last };
  }

  /**
   * Appends the records' journal lines (seqs from 1); past a few MiB in memory they are written while the
   * reading goes on, and past twice that the import waits for the disk. Rejects when the disk refuses them
   * (the import stops; nothing is left out silently).
   */
  async add(records: readonly ImportRecord[]): Promise<void> {
    for (const rec of records) {
      const seq = ++this.seq;
      if (rec.ts < this.first) this.first = rec.ts;
      if (rec.ts > this.last) this.last = rec.ts;
      const time = this.times.format(rec.ts, rec.offset);
      this.journal.appendRecord(seq, time, this.id, rec);
    }
    await this.written(WAIT_BYTES);
  }

  /**
   * Appends journal lines encoded elsewhere (encodeJournalLine with this capture's id, each ending in a
   * newline): the next seqs in order (`block.from` is records + 1). Starts writing past a few MiB; the caller
   * waits with written() to bound memory. Throws when an earlier write failed.
   */
  addEncoded(lines: Uint8Array, block: EncodedBlock): void {
    if (this.failure !== null) throw this.failure;
    if (block.count === 0) return;
    if (block.from !== this.seq + 1 || block.to !== this.seq + block.count)
      throw new Error(`journal lines ${block.from}..${block.to} given after line ${this.seq}`);
    this.seq = block.to;
    if (block.minTs < this.first) this.first = block.minTs;
    if (block.maxTs > this.last) this.last = block.maxTs;
    this.journal.appendEncoded(lines, block.count, block.from, block.to, block.firstTs, block.lastTs);
    if (this.journal.unwrittenBytes >= FLUSH_BYTES) this.writeSoon();
  }

  /** Resolves once less than `bytes` wait in memory; rejects when the disk refused what was written. */
  async written(bytes: number): Promise<void> {
    if (this.journal.unwrittenBytes >= FLUSH_BYTES) this.writeSoon();
    while (this.writing !== null && this.journal.unwrittenBytes >= bytes) await this.writing;
    if (this.failure !== null) throw this.failure;
  }

  /** Starts writing what waits, unless a write is under way (which writes it when done). */
  private writeSoon(): void {
    if (this.writing !== null || this.failure !== null) return;
    this.writing = this.flush().then(
      () => {
        this.writing = null;
        if (this.journal.unwrittenBytes >= FLUSH_BYTES) this.writeSoon();
      },
      (err: unknown) => {
        this.writing = null;
        this.failure = err instanceof Error ? err : new Error(String(err));
      },
    );
  }

  private async flush(): Promise<void> {
    await this.journal.flush();
    if (this.journal.isFailing || this.journal.dropped > 0)
      throw new Error(this.journal.writeError || this.warnings[0] || 'the journal could not be written');
  }

  /**
   * Closes the journal with its closing seal, writes capture.json with `source`, and renames the folder to
   * captures/<id>. The capture spans its first to its last query. Rejects (and removes the folder) on errors.
   */
  async commit(source: CaptureSource): Promise<string> {
    try {
      await this.written(0);
      await this.journal.close();
      if (this.journal.unwrittenBytes > 0 || this.journal.dropped > 0)
        throw new Error(this.journal.writeError || 'the journal could not be written');
      await syncFile(join(this.tempDir, JOURNAL_FILE));
      await syncFile(compressedPath(join(this.tempDir, JOURNAL_FILE)));
      const startedAt = this.seq === 0 ? source.importedAt : this.first;
      const stoppedAt = Math.max(this.seq === 0 ? source.importedAt : this.last, startedAt, 1);
      await writeFileAtomic(
        join(this.tempDir, META_FILE),
        captureMetaText({ id: this.id, startedAt, stoppedAt, source }),
      );
      const target = join(this.capturesDir, this.id);
      if (existsSync(target)) throw new Error(`${target} exists already`);
      await rename(this.tempDir, target);
      return this.id;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Removes the hidden folder and everything in it. Never rejects. */
  async abort(): Promise<void> {
    await this.journal.close().catch(() => undefined);
    await rm(this.tempDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** An import folder untouched this long belongs to an import that was killed. */
const ABANDONED_MS = 86_400_000;

async function removeAbandoned(capturesDir: string, now: number): Promise<void> {
  const names = await readdir(capturesDir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(IMPORT_TEMP_PREFIX)) continue;
    const dir = join(capturesDir, name);
    const s = await stat(dir).catch(() => null);
    if (s !== null && now - s.mtimeMs >= ABANDONED_MS)
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** fsync, so the rename never publishes a journal the disk does not hold yet. */
async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+').catch(() => null);
  if (fh === null) return;
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
