/**
 * runImport's side of the parse thread (parse-thread.ts): starts it, feeds it each file's chunks as they are
 * read and hashed here, and writes the blocks of journal lines it sends back (ImportWriter.addEncoded). At
 * most CHUNKS_AHEAD chunks wait on the other side, and none are sent while the journal has WAIT_BYTES to
 * write: memory stays bounded whatever the file's size and the disk's speed.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ParseDamage, ParseJob, ParseMessage, ToParser } from './parse-thread';
import type { HashedReader } from './source-file';
import { ImportCancelled } from './types';
import { WAIT_BYTES, type ImportWriter } from './writer';
import { wakeUp } from '../wake-up';

/**
 * Chunks (READ_CHUNK, 1 MiB) sent to the parse thread and not yet taken by its reader. What they and the
 * chunk being parsed encode arrives whatever the disk does: a few times their size in journal lines (five
 * for a capture of small queries), which with the blocks the thread holds back (parse-thread.ts:
 * BLOCKS_PER_BATCH) must fit beside WAIT_BYTES in the journal's memory (32 MiB).
 */
const CHUNKS_AHEAD = 2;

/**
 * The built worker that runs parse threads (electron.vite.config.ts: entry `import-worker`, which serves
 * both the dashboard's imports and these), beside the entry that loaded this module or one folder up from
 * a shared chunk; null when there is none (running from source, in unit tests): the import then parses on
 * its own thread.
 */
export function parseWorkerPath(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'import-worker.js'), join(here, '..', 'import-worker.js')];
  return candidates.find((p) => existsSync(p)) ?? null;
}

export interface Parsed {
  readonly devices: Map<string, { mac: string; name: string }>;
  readonly clients: Set<string>;
}

/** One import's parse thread. Never left running: finish() or stop() ends it. */
export class ParseThread {
  private readonly worker: Worker;
  private handler: ((m: ParseMessage) => void) | null = null;
  private failure: Error | null = null;
  private onFailure: (() => void) | null = null;
  private files = 0;
  private stopped = false;

  constructor(path: string, job: ParseJob) {
    this.worker = new Worker(path, { workerData: job, name: 'import-parse' });
    this.worker.on('message', (m: ParseMessage) => this.handler?.(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the parse thread stopped (exit code ${code})`)));
  }

  private fail(err: Error): void {
    if (this.stopped || this.failure !== null) return;
    this.failure = err;
    this.onFailure?.();
  }

  private post(m: ToParser, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  /** Lines are encoded with this capture id. */
  start(captureId: string): void {
    this.post({ type: 'start', captureId });
  }

  /**
   * Reads `reader`'s file through the thread into `writer`; `onBatch` gets the bytes parsed and entries
   * skipped so far (all files) after each batch. Resolves with the damage the reader found (the lines
   * before it are written when the job keeps partial imports), or null when it read the file to its end.
   * Rejects on a cancel, a failing disk, or a reader that failed otherwise.
   */
  async readFile(
    reader: HashedReader,
    writer: ImportWriter,
    onBatch: (bytes: number, skipped: number) => void,
    signal: AbortSignal,
  ): Promise<ParseDamage | null> {
    const file = ++this.files;
    let ahead = 0;
    let done: Extract<ParseMessage, { type: 'file-done' }> | null = null;
    let failed: unknown = null;
    const { wait: event, wake: poke } = wakeUp();
    this.handler = (m) => {
      if (m.type === 'took') {
        ahead--;
        try {
          onBatch(m.bytes, m.skipped);
        } catch (err) {
          failed ??= err;
        }
      } else if (m.type === 'batch') {
        try {
          for (const b of m.blocks) {
            writer.addEncoded(Buffer.from(b.buffer, 0, b.length), b.block);
          }
          // Copied into the journal's buffer: the thread may write its next blocks into them.
          if (m.blocks.length > 0) {
            const buffers = m.blocks.map((b) => b.buffer);
            this.post({ type: 'free', buffers }, buffers);
          }
          onBatch(m.bytes, m.skipped);
        } catch (err) {
          failed ??= err;
        }
      } else if (m.type === 'file-done') done = m;
      poke();
    };
    this.onFailure = poke;
    const onAbort = poke;
    signal.addEventListener('abort', onAbort);
    this.post({ type: 'file', file, input: reader.input });
    const chunks = reader.chunks();
    let ended = false;
    try {
      for (;;) {
        if (failed !== null) throw failed;
        if (this.failure !== null) throw this.failure;
        if (signal.aborted) throw new ImportCancelled();
        if (done !== null) break;
        if (!ended && ahead < CHUNKS_AHEAD) {
          if (writer.waiting >= WAIT_BYTES) {
            // The disk is behind: wait for it (or for the thread) before reading more.
            await Promise.race([writer.written(WAIT_BYTES), event()]);
            continue;
          }
          const r = await chunks.next();
          if (r.done === true) {
            ended = true;
            this.post({ type: 'end', file });
          } else {
            const chunk = r.value;
            // Moved, not copied, when the chunk has its memory to itself (a fresh read buffer).
            const own =
              chunk.byteOffset === 0 && chunk.buffer.byteLength <= chunk.length * 2
                ? chunk
                : new Uint8Array(chunk);
            const buffer = own.buffer as ArrayBuffer;
            this.post({ type: 'chunk', file, buffer, length: own.length }, [buffer]);
            ahead++;
          }
          continue;
        }
        await event();
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.handler = null;
      // A reader that stopped early (damage) leaves the file: close it.
      if (!ended) await chunks.return(undefined);
    }
    const result = done as Extract<ParseMessage, { type: 'file-done' }>;
    if (result.error !== null) throw new Error(result.error);
    return result.damage;
  }

  /** The devices the files named and the clients seen (the first MAX_CLIENTS); ends the thread. */
  async finish(): Promise<Parsed> {
    const finished = await new Promise<Extract<ParseMessage, { type: 'finished' }>>((resolve, reject) => {
      this.handler = (m) => {
        if (m.type === 'finished') resolve(m);
      };
      this.onFailure = () => reject(this.failure);
      if (this.failure !== null) reject(this.failure);
      this.post({ type: 'finish' });
    });
    await this.stop();
    return {
      devices: new Map(finished.devices.map(([address, mac, name]) => [address, { mac, name }])),
      clients: new Set(finished.clients),
    };
  }

  /** Ends the thread (at once: a cancelled or failed import). Never rejects. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.handler = null;
    await this.worker.terminate().catch(() => undefined);
  }
}
