/**
 * What happens to each imported record on its way into the journal, wherever it runs (in runImport's own
 * thread, or on the parse thread: parse-thread.ts): its watchlist rule, its client noted for the leases,
 * the devices the source names, and its journal line encoded into a block for ImportWriter.addEncoded.
 */
import {
  encodeJournalLine,
  encodeJournalLineRest,
  encodeJsonNumber,
  journalLineMaxBytes,
} from '../capture/journal-encode';
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
/** Text a JSON string holds as it is: printable ASCII but the quote and the backslash. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SEQ_KEY = Buffer.from('{"seq":', 'latin1');
const TS_KEY = Buffer.from(',"ts":', 'latin1');
const TIME_KEY = Buffer.from(',"time":"', 'latin1');

function copy(buf: Buffer, pos: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) buf[pos++] = bytes[i]!;
  return pos;
}

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

  /** `","captureId":"ID"` after the time, or null when the id needs escaping (never: ids are plain). */
  private readonly idBytes: Buffer | null;
  /** The second (epoch s) and zone argument whose time text is timeHead + 3 digits + timeTail. */
  private sec = Number.NaN;
  private secOffset: number | undefined = undefined;
  private timeHead: Buffer = Buffer.alloc(0);
  private timeTail: Buffer = Buffer.alloc(0);

  /**
   * `spareBlocks`: block buffers kept for reuse (recycle), as many as are on their way at once between the
   * thread encoding and the one writing (parse-thread.ts).
   */
  constructor(
    private readonly captureId: string,
    private readonly emit: (lines: Buffer, block: EncodedBlock) => void,
    private readonly spareBlocks = 0,
  ) {
    this.idBytes = PLAIN.test(captureId) ? Buffer.from(`","captureId":"${captureId}"`, 'latin1') : null;
  }

  /** Records encoded so far. */
  get records(): number {
    return this.seq;
  }

  /** Takes back a block's buffer once its lines were copied elsewhere. */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === BLOCK_BYTES && this.spare.length < this.spareBlocks) this.spare.push(buffer);
  }

  private fresh(): Buffer {
    const spare = this.spare.pop();
    return spare !== undefined ? Buffer.from(spare) : Buffer.from(new ArrayBuffer(BLOCK_BYTES));
  }

  add(rec: ImportRecord): void {
    // Room for the line with any time text (at most 35 characters) written escaped.
    const need = journalLineMaxBytes('', this.captureId, rec) + 6 * 40 + 1;
    if (this.buf.length - this.len < need) {
      this.flush();
      if (this.buf.length < need) this.buf = Buffer.from(new ArrayBuffer(need));
    }
    const seq = ++this.seq;
    const buf = this.buf;
    if (this.idBytes !== null && this.second(rec.ts, rec.offset)) {
      // encodeJournalLine's start, with the parts every line of a second shares copied as bytes.
      let pos = copy(buf, this.len, SEQ_KEY);
      pos = encodeJsonNumber(buf, pos, seq);
      pos = copy(buf, pos, TS_KEY);
      pos = encodeJsonNumber(buf, pos, rec.ts);
      pos = copy(buf, pos, TIME_KEY);
      pos = copy(buf, pos, this.timeHead);
      const frac = rec.ts - this.sec * 1000;
      buf[pos++] = 48 + ((frac / 100) | 0);
      buf[pos++] = 48 + (((frac / 10) | 0) % 10);
      buf[pos++] = 48 + (frac % 10);
      pos = copy(buf, pos, this.timeTail);
      pos = copy(buf, pos, this.idBytes);
      this.len = encodeJournalLineRest(buf, pos, rec);
    } else {
      const time = this.times.format(rec.ts, rec.offset);
      this.len = encodeJournalLine(buf, this.len, seq, time, this.captureId, rec);
    }
    buf[this.len++] = 10;
    if (this.count++ === 0) this.firstTs = rec.ts;
    this.lastTs = rec.ts;
    if (rec.ts < this.minTs) this.minTs = rec.ts;
    if (rec.ts > this.maxTs) this.maxTs = rec.ts;
  }

  /**
   * Whether the time text of `ms` is the second's start (timeHead), three digits and its zone (timeTail),
   * as LocalTimeFormatter.format gives it; the formatter is asked once per second and zone. False for a
   * time it formats otherwise (a fraction of a ms, a year beyond 9999, none).
   */
  private second(ms: number, offset: number | undefined): boolean {
    if (!Number.isInteger(ms)) return false;
    const sec = Math.floor(ms / 1000);
    if (sec === this.sec && offset === this.secOffset) return true;
    const full = this.times.format(sec * 1000, offset);
    if (full.length < 24 || full[19] !== '.' || !PLAIN.test(full)) {
      this.sec = Number.NaN;
      return false;
    }
    this.sec = sec;
    this.secOffset = offset;
    this.timeHead = Buffer.from(full.slice(0, 20), 'latin1');
    this.timeTail = Buffer.from(full.slice(23), 'latin1');
    return true;
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
