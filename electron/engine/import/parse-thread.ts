/**
 * The parse thread of an import: runImport's thread reads the source file (hashing it) and the journal's
 * side (sealing, writing, compressing); this thread parses the chunks it is given and encodes the journal
 * lines, so the two halves of the work run on two cores. Chunks and blocks of lines move across without
 * copies (transferred buffers), a few at a time: runImport sends more chunks only as this thread takes
 * them and as the disk keeps up, which bounds memory on any file size.
 *
 * runImport → here: ParseStart, then per file ParseFile, its chunks (ParseChunk) and ParseEnd, then
 * ParseFinish. Here → runImport: ParseMessage.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ImportFormat } from '@shared/events';
import { WatchService } from '../watch';
import { formatById } from './formats';
import { LineEncoder, MAX_CLIENTS, noteDevice, ruleCache, type Devices } from './lines';
import { HashedReader } from './source-file';
import { ImportError, type ReadContext, type SourceInput } from './types';
import type { EncodedBlock } from './writer';

/** The workerData of a parse thread (worker.ts runs it when `kind` is 'parse'). */
export interface ParseJob {
  readonly kind: 'parse';
  readonly format: ImportFormat;
  readonly dataDir: string;
  readonly year: number | undefined;
  readonly ports: readonly number[];
  readonly keepPartial: boolean;
}

export type ToParser =
  | { readonly type: 'start'; readonly captureId: string }
  | { readonly type: 'file'; readonly file: number; readonly input: SourceInput }
  | { readonly type: 'chunk'; readonly file: number; readonly buffer: ArrayBuffer; readonly length: number }
  | { readonly type: 'end'; readonly file: number }
  /** Blocks' buffers back, their lines taken: the encoder writes the next blocks into them. */
  | { readonly type: 'free'; readonly buffers: readonly ArrayBuffer[] }
  | { readonly type: 'finish' };

/** Where the reader found damage (ImportError's parts) and how far it had read. */
export interface ParseDamage {
  readonly format: string;
  readonly where: string;
  readonly reason: string;
  readonly position: number;
}

export type ParseMessage =
  /** A chunk was taken: another may be sent. With the bytes read and entries skipped so far (progress). */
  | { readonly type: 'took'; readonly bytes: number; readonly skipped: number }
  /**
   * Blocks of lines, in order (none where a file's reading ended: what it encoded was sent before), with the
   * bytes read and entries skipped so far.
   */
  | {
      readonly type: 'batch';
      readonly blocks: readonly SentBlock[];
      readonly bytes: number;
      readonly skipped: number;
    }
  /** The file is read: to its end, or to damage (`damage`), or the reader failed otherwise (`error`). */
  | {
      readonly type: 'file-done';
      readonly damage: ParseDamage | null;
      readonly error: string | null;
    }
  | {
      readonly type: 'finished';
      readonly devices: readonly (readonly [string, string, string])[];
      readonly clients: readonly string[];
    };

/** One block of encoded lines: `length` bytes of `buffer` (transferred), what they hold. */
export interface SentBlock {
  readonly buffer: ArrayBuffer;
  readonly length: number;
  readonly block: EncodedBlock;
}

/** The reader is given the chunks in slices this big. */
const SLICE_BYTES = 64 << 10;
/**
 * Blocks sent back in one message. Each message wakes the other thread, and on a busy machine that wake-up
 * held this thread for about a millisecond: 1 MiB blocks one at a time cost it 7 % of its time. Blocks
 * held back here are journal lines runImport does not see waiting yet (parse-client.ts: CHUNKS_AHEAD), so
 * only a few.
 */
const BLOCKS_PER_BATCH = 2;
/** Block buffers kept for reuse: a batch being filled here and the one on its way back. */
const SPARE_BLOCKS = 2 * BLOCKS_PER_BATCH;

/**
 * A HashedReader over the chunks runImport sends (it hashes them itself); `position` is the bytes taken,
 * as a reader that read the file itself would have it.
 */
class FedReader extends HashedReader {
  private taken = 0;

  constructor(
    input: SourceInput,
    private readonly next: () => Promise<Buffer | null>,
  ) {
    super(input);
  }

  override get position(): number {
    return this.taken;
  }

  override async *chunks(): AsyncGenerator<Buffer> {
    for (;;) {
      const chunk = await this.next();
      if (chunk === null) return;
      // In slices: a reader's batch is a slice's records, and fewer of them live at once (young garbage
      // that survives a scavenge is copied; whole MiB batches made scavenges cost a quarter of the thread).
      for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
        const slice = chunk.subarray(at, Math.min(chunk.length, at + SLICE_BYTES));
        this.taken += slice.length;
        yield slice;
      }
    }
  }
}

/** Runs the parse side of one import on `port` until ParseFinish. */
export function serveParse(port: MessagePort, job: ParseJob): void {
  const read = formatById(job.format).read;
  const post = (m: ParseMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  let watch: Promise<WatchService> | null = null;
  let encoder: LineEncoder | null = null;
  const devices: Devices = new Map();
  const clients = new Set<string>();
  let skipped = 0;
  let bytes = 0;
  const chunks: (Buffer | null)[] = [];
  /** The file being read: chunks of an earlier one (sent before its reader stopped) are dropped. */
  let fileNo = -1;
  let waiting: ((chunk: Buffer | null) => void) | null = null;
  let work: Promise<void> = Promise.resolve();
  let encoded: SentBlock[] = [];
  /** Sends the blocks encoded and not yet sent (none: where a file ended, with the counts so far). */
  const sendBlocks = (): void => {
    const blocks = encoded;
    encoded = [];
    post(
      { type: 'batch', blocks, bytes, skipped },
      blocks.map((b) => b.buffer),
    );
  };

  const next = (): Promise<Buffer | null> => {
    const chunk = chunks.shift();
    if (chunk !== undefined) {
      if (chunk !== null) post({ type: 'took', bytes, skipped });
      return Promise.resolve(chunk);
    }
    return new Promise((resolve) => {
      waiting = (c) => {
        if (c !== null) post({ type: 'took', bytes, skipped });
        resolve(c);
      };
    });
  };
  const give = (chunk: Buffer | null): void => {
    const w = waiting;
    if (w === null) chunks.push(chunk);
    else {
      waiting = null;
      w(chunk);
    }
  };
  const readFile = async (input: SourceInput): Promise<void> => {
    const ruleOf = ruleCache(await watch!);
    const reader = new FedReader(input, next);
    const ctx: ReadContext = {
      skip: (n = 1) => void (skipped += n),
      device: (address, mac, name) => noteDevice(devices, address, mac, name),
      progress: (n) => void (bytes = n),
      // runImport stops this thread on a cancel.
      signal: new AbortController().signal,
      year: job.year,
      ports: new Set(job.ports),
    };
    const enc = encoder!;
    const take = (rec: Parameters<LineEncoder['add']>[0]): void => {
      rec.watchRule = ruleOf(rec.qname);
      if (clients.size < MAX_CLIENTS) clients.add(rec.client);
      enc.add(rec);
    };
    try {
      for await (const batch of read!(reader, ctx)) {
        for (const rec of batch) take(rec);
      }
      enc.flush();
      sendBlocks();
      post({ type: 'file-done', damage: null, error: null });
    } catch (err) {
      if (err instanceof ImportError) {
        // The queries read before the damage: a partial import keeps them (runImport decides).
        if (job.keepPartial) for (const rec of err.before) take(rec);
        enc.flush();
        sendBlocks();
        post({
          type: 'file-done',
          damage: { format: err.format, where: err.where, reason: err.reason, position: reader.position },
          error: null,
        });
      } else post({ type: 'file-done', damage: null, error: (err as Error).message || String(err) });
    }
    // What runImport sent of this file beyond where the reader stopped is not needed.
    chunks.length = 0;
    waiting = null;
  };

  port.on('message', (m: ToParser) => {
    switch (m.type) {
      case 'start':
        watch = WatchService.open({ dataDir: job.dataDir });
        encoder = new LineEncoder(
          m.captureId,
          (lines, block) => {
            encoded.push({ buffer: lines.buffer as ArrayBuffer, length: lines.length, block });
            if (encoded.length >= BLOCKS_PER_BATCH) sendBlocks();
          },
          SPARE_BLOCKS,
        );
        break;
      case 'file':
        fileNo = m.file;
        chunks.length = 0;
        work = work.then(() => readFile(m.input));
        break;
      case 'chunk':
        if (m.file === fileNo) give(Buffer.from(m.buffer, 0, m.length));
        break;
      case 'end':
        if (m.file === fileNo) give(null);
        break;
      case 'free':
        for (const buffer of m.buffers) encoder?.recycle(buffer);
        break;
      case 'finish':
        void work.then(() =>
          post({
            type: 'finished',
            devices: [...devices].map(([address, d]) => [address, d.mac, d.name] as const),
            clients: [...clients],
          }),
        );
        break;
    }
  });
}
