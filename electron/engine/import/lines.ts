/**
 * What happens to each imported record on its way into the journal, wherever it runs (in runImport's own
 * thread, or on the parse thread: parse-thread.ts): its watchlist rule, its client noted for the leases,
 * the devices the source names, and its journal line encoded into a block for ImportWriter.addEncoded.
 */
import { encodeJournalLine, journalLineMaxBytes } from '../capture/journal-encode';
import { LocalTimeFormatter } from '../capture/local-time';
import type { WatchService } from '../watch';
import type { ImportRecord } from './types';
import type { EncodedBlock } from './writer';

/** Distinct names whose watchlist rule is remembered; beyond it names are classified again. */
const RULE_CACHE = 200_000;
/** Client addresses remembered for the leases to name; as many as the device registry tracks. */
export const MAX_CLIENTS = 4096;

/** The watchlist rule of a name, remembered for the names seen most (a log repeats few names millions of times). */
export function ruleCache(watch: WatchService): (qname: string) => string {
  const rules = new Map<string, string>();
  return (qname) => {
    let rule = rules.get(qname);
    if (rule === undefined) {
      rule = watch.classify(qname).rule;
      if (rules.size >= RULE_CACHE) rules.clear();
      rules.set(qname, rule);
    }
    return rule;
  };
}

export type Devices = Map<string, { mac: string; name: string }>;

/** Notes a device the source names (ReadContext.device): a MAC or name given once is kept. */
export function noteDevice(devices: Devices, address: string, mac: string, name: string): void {
  const known = devices.get(address);
  // A packet capture says it with every query: only news costs more than the lookup.
  if (known !== undefined && (mac === '' || mac === known.mac) && (name === '' || name === known.name))
    return;
  devices.set(address, { mac: mac || known?.mac || '', name: name || known?.name || '' });
}

/** Encoded lines are handed on in blocks of about this size. */
const BLOCK_BYTES = 1 << 20;
/** Block buffers kept for reuse. */
const SPARE_BLOCKS = 4;

/**
 * Encodes records into blocks of journal lines, numbering them from 1, the way ImportWriter.add would write
 * them (the same bytes: journal-encode.ts). `emit` gets each full block (its buffer is not used again
 * unless given back with recycle()).
 */
export class LineEncoder {
  private readonly times = new LocalTimeFormatter();
  /** Block buffers given back (recycle()) after their lines were taken: written again, not allocated again. */
  private readonly spare: ArrayBuffer[] = [];
  private buf: Buffer = this.fresh();
  private len = 0;
  private seq = 0;
  private count = 0;
  private firstTs = 0;
  private lastTs = 0;
  private minTs = Number.POSITIVE_INFINITY;
  private maxTs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly captureId: string,
    private readonly emit: (lines: Buffer, block: EncodedBlock) => void,
  ) {}

  /** Records encoded so far. */
  get records(): number {
    return this.seq;
  }

  /** Takes back a block's buffer once its lines were copied elsewhere. */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === BLOCK_BYTES && this.spare.length < SPARE_BLOCKS) this.spare.push(buffer);
  }

  private fresh(): Buffer {
    const spare = this.spare.pop();
    return spare !== undefined ? Buffer.from(spare) : Buffer.from(new ArrayBuffer(BLOCK_BYTES));
  }

  add(rec: ImportRecord): void {
    const time = this.times.format(rec.ts, rec.offset);
    const need = journalLineMaxBytes(time, this.captureId, rec) + 1;
    if (this.buf.length - this.len < need) {
      this.flush();
      if (this.buf.length < need) this.buf = Buffer.from(new ArrayBuffer(need));
    }
    const seq = ++this.seq;
    this.len = encodeJournalLine(this.buf, this.len, seq, time, this.captureId, rec);
    this.buf[this.len++] = 10;
    if (this.count++ === 0) this.firstTs = rec.ts;
    this.lastTs = rec.ts;
    if (rec.ts < this.minTs) this.minTs = rec.ts;
    if (rec.ts > this.maxTs) this.maxTs = rec.ts;
  }

  /** Hands on the lines encoded since the last block, if any. */
  flush(): void {
    if (this.count === 0) return;
    const block: EncodedBlock = {
      count: this.count,
      from: this.seq - this.count + 1,
      to: this.seq,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      minTs: this.minTs,
      maxTs: this.maxTs,
    };
    const lines = this.buf.subarray(0, this.len);
    this.buf = this.fresh();
    this.len = 0;
    this.count = 0;
    this.minTs = Number.POSITIVE_INFINITY;
    this.maxTs = Number.NEGATIVE_INFINITY;
    this.emit(lines, block);
  }
}
