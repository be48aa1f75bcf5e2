import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { CaptureSource, ImportFormat, PartialImport, SourceFile } from '@shared/events';
import { describeFsError } from '../capture/journal';
import { lockDataDir } from '../data-lock';
import { RouterSetting } from '../router-setting';
import { APP_VERSION } from '../version';
import { WatchService } from '../watch';
import { detectFormat, formatById } from './formats';
import { applyLeases, readLeaseFiles, saveLeaseNames } from './leases';
import { MAX_CLIENTS, noteDevice, ruleCache, type Devices } from './lines';
import { ParseThread, parseWorkerPath } from './parse-client';
import { HashedReader } from './source-file';
import {
  ImportCancelled,
  ImportError,
  type FormatSpec,
  type ReadContext,
  type SourceInput,
  type SourceReader,
} from './types';
import { ImportWriter } from './writer';

export interface ImportOptions {
  /** The files to read into one capture, oldest first (a log and its rotated parts). */
  readonly files: readonly string[];
  readonly format: ImportFormat | 'auto';
  readonly dataDir: string;
  /** A name for the capture ("" for none). */
  readonly name?: string;
  /** Addresses to mark as the router (saved like the dashboard's choice when no DNS Witness runs). */
  readonly routers?: readonly string[];
  /** The year of syslog lines, which have none; default: each file's modification time. */
  readonly year?: number;
  /** Extra ports that carry DNS in packet captures. */
  readonly ports?: readonly number[];
  /** DHCP lease files that name the import's devices and give their MACs (leases.ts). */
  readonly leases?: readonly string[];
  /**
   * Damage part way through a file: false (default) rolls the import back; true keeps the queries read
   * before it as a capture marked partial (`source.partial`), and reads no further.
   */
  readonly keepPartial?: boolean;
  /** The names the provenance gives the files (an upload's own name, not its temporary file's); default: theirs. */
  readonly names?: readonly string[];
  readonly signal?: AbortSignal;
  /**
   * The built worker file that parses on a second thread (parse-thread.ts) a format that allows it; default
   * the one beside the built importer (parse-client.ts) for inputs of a few MiB or more; false parses on
   * this thread.
   */
  readonly parseWorker?: string | false;
  /** Called about every 250 ms while reading, and once at the end. */
  readonly onProgress?: (p: ImportProgress) => void;
  readonly now?: () => number;
}

export interface ImportProgress {
  readonly bytes: number;
  readonly totalBytes: number;
  readonly rows: number;
  readonly skipped: number;
  readonly elapsedMs: number;
}

export interface ImportResult {
  readonly captureId: string;
  readonly queries: number;
  readonly skipped: number;
  /** Epoch ms of the first and last query; 0 when none. */
  readonly first: number;
  readonly last: number;
  readonly source: CaptureSource;
  /** What the caller should tell the user besides the counts (a router not saved, ...). */
  readonly notes: readonly string[];
}

const PROGRESS_MS = 250;
/** Smaller inputs are parsed on runImport's own thread: starting another costs more than it saves. */
const THREAD_BYTES = 4 << 20;

async function inputOf(path: string, name = basename(path)): Promise<SourceInput> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new ImportError(path, '', 'not a file');
    return { path, name, size: s.size, mtimeMs: s.mtimeMs };
  } catch (err) {
    if (err instanceof ImportError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImportError(
      path,
      '',
      code === 'ENOENT' ? 'no such file' : `cannot be read: ${describeFsError(err).text}`,
    );
  }
}

async function head(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Reads `files` into one new stopped capture in the data folder, with its provenance. Works whether or not
 * a DNS Witness runs on the folder: the capture appears whole when done (writer.ts), and a running one picks
 * it up. Rejects with ImportError (a damaged or unknown file: one line naming the format and where),
 * ImportCancelled, or a file-system error; then nothing is left in the data folder.
 */
export async function runImport(opts: ImportOptions): Promise<ImportResult> {
  const started = (opts.now ?? Date.now)();
  if (opts.files.length === 0) throw new ImportError('import', '', 'no file given');
  const inputs: SourceInput[] = [];
  for (const [i, f] of opts.files.entries()) inputs.push(await inputOf(f, opts.names?.[i]));
  const spec =
    opts.format === 'auto'
      ? detectFormat(await head(inputs[0]!.path), inputs[0]!.name)
      : formatById(opts.format);
  if (spec.read === null) throw new ImportError(spec.label, '', spec.unavailable ?? 'not available');
  const read = spec.read;

  const size = inputs.reduce((n, i) => n + i.size, 0);
  const workerPath = opts.parseWorker ?? (size >= THREAD_BYTES ? parseWorkerPath() : null) ?? false;
  // Started first: it loads its code while this thread gets ready.
  const thread =
    spec.chunked === true && workerPath !== false
      ? new ParseThread(workerPath, {
          kind: 'parse',
          format: spec.id,
          dataDir: opts.dataDir,
          year: opts.year,
          ports: opts.ports ?? [],
          keepPartial: opts.keepPartial === true,
        })
      : null;
  try {
    return await importWith(opts, inputs, spec, read, thread, started);
  } finally {
    await thread?.stop();
  }
}

async function importWith(
  opts: ImportOptions,
  inputs: readonly SourceInput[],
  spec: FormatSpec,
  read: SourceReader,
  thread: ParseThread | null,
  started: number,
): Promise<ImportResult> {
  const now = opts.now ?? Date.now;
  const signal = opts.signal ?? new AbortController().signal;
  const { devices: leases, files: leaseFiles } = await readLeaseFiles(opts.leases ?? []);
  const watch = await WatchService.open({ dataDir: opts.dataDir });
  const ruleOf = ruleCache(watch);

  const totalBytes = inputs.reduce((n, i) => n + i.size, 0);
  let doneBytes = 0;
  let fileBytes = 0;
  let skipped = 0;
  let lastProgress = 0;
  const writer = await ImportWriter.create(opts.dataDir, started);
  thread?.start(writer.id);
  const progress = (force: boolean): void => {
    const t = now();
    if (!opts.onProgress || (!force && t - lastProgress < PROGRESS_MS)) return;
    lastProgress = t;
    opts.onProgress({
      bytes: doneBytes + fileBytes,
      totalBytes,
      rows: writer.records,
      skipped,
      elapsedMs: t - started,
    });
  };
  let devices: Devices = new Map();
  let clients = new Set<string>();
  const files: SourceFile[] = [];
  let partial: PartialImport | false = false;
  /** Reads one file on this thread: the reader's batches go to the writer; the damage kept, or false. */
  const readInline = async (input: SourceInput, reader: HashedReader): Promise<PartialImport | false> => {
    const ctx: ReadContext = {
      skip: (n = 1) => void (skipped += n),
      device: (address, mac, name) => noteDevice(devices, address, mac, name),
      progress: (bytes) => {
        fileBytes = bytes;
        progress(false);
      },
      signal,
      year: opts.year,
      ports: new Set(opts.ports ?? []),
    };
    try {
      for await (const batch of read(reader, ctx)) {
        if (signal.aborted) throw new ImportCancelled();
        for (const rec of batch) {
          rec.watchRule = ruleOf(rec.qname);
          if (clients.size < MAX_CLIENTS) clients.add(rec.client);
        }
        await writer.add(batch);
        progress(false);
      }
      return false;
    } catch (err) {
      if (!(err instanceof ImportError) || !opts.keepPartial) throw err;
      // The queries read before the damage that were not handed on yet: the kept part ends at the last good one.
      if (err.before.length > 0) {
        const before = [...err.before];
        for (const rec of before) {
          rec.watchRule = ruleOf(rec.qname);
          if (clients.size < MAX_CLIENTS) clients.add(rec.client);
        }
        await writer.add(before);
      }
      // Only damage the reader names, after some queries: a file that starts bad is not an import at all.
      if (writer.records === 0) throw err;
      return {
        at: placeOf(err, reader.position),
        file: input.name,
        reason: err.reason,
        queries: writer.records,
        skipped,
      };
    }
  };
  try {
    for (const input of inputs) {
      fileBytes = 0;
      const reader = new HashedReader(input);
      if (thread !== null) {
        const damage = await thread.readFile(
          reader,
          writer,
          (bytes, skippedSoFar) => {
            fileBytes = bytes;
            skipped = skippedSoFar;
            progress(false);
          },
          signal,
        );
        if (damage !== null) {
          const err = new ImportError(damage.format, damage.where, damage.reason);
          // As below: only damage after some queries is kept, and only when asked.
          if (!opts.keepPartial || writer.records === 0) throw err;
          partial = {
            at: placeOf(err, damage.position),
            file: input.name,
            reason: err.reason,
            queries: writer.records,
            skipped,
          };
        }
      } else partial = await readInline(input, reader);
      if (signal.aborted) throw new ImportCancelled();
      files.push(await reader.complete());
      doneBytes += input.size;
      fileBytes = 0;
      // The files after a damaged one are not read: the capture ends where the damage is.
      if (partial !== false) break;
    }
    if (thread !== null) ({ devices, clients } = await thread.finish());
    progress(true);
    if (writer.records === 0 && skipped > 0)
      throw new ImportError(
        `${spec.label} ${inputs.map((i) => i.name).join(', ')}`,
        '',
        `no DNS query in it (${skipped.toLocaleString('en-US')} entries that are not)`,
      );
    applyLeases(devices, leases, clients);
    const span = writer.span;
    const source: CaptureSource = {
      format: spec.id,
      files,
      name: opts.name ?? '',
      importedAt: now(),
      app: `DNS Witness ${APP_VERSION}`,
      cannotTell: spec.cannotTell,
      wire: spec.wire,
      skipped,
      partial,
      devices: [...devices].map(([address, d]) => ({ address, mac: d.mac, name: d.name })),
      leases: leaseFiles,
    };
    const captureId = await writer.commit(source);
    const notes = [
      ...(await saveRouters(opts.dataDir, opts.routers ?? [])),
      ...(await saveLeaseNames(opts.dataDir, leases)).notes,
    ];
    return {
      captureId,
      queries: writer.records,
      skipped,
      first: span?.first ?? 0,
      last: span?.last ?? 0,
      source,
      notes,
    };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/** "line 12" or "byte offset 4096": where the reader found the damage, or near where it was reading. */
function placeOf(err: ImportError, position: number): string {
  if (/^line \d+$/.test(err.where)) return err.where;
  if (/^offset \d+$/.test(err.where)) return `byte ${err.where}`;
  return `byte offset ${position}`;
}

/**
 * Adds `routers` to the saved router addresses when no DNS Witness holds the folder; when one does, says how
 * to mark them there (two writers of routers.json would lose one's change).
 */
async function saveRouters(dataDir: string, routers: readonly string[]): Promise<string[]> {
  if (routers.length === 0) return [];
  let unlock: () => Promise<void>;
  try {
    unlock = await lockDataDir(dataDir);
  } catch (err) {
    return [
      `the router ${routers.join(', ')} was not saved: ${(err as Error).message.split(';')[0]}; mark it in its dashboard (Devices) instead`,
    ];
  }
  try {
    const setting = await RouterSetting.load(dataDir, () => undefined);
    await setting.save([...setting.routers, ...routers]);
    return [];
  } finally {
    await unlock();
  }
}
