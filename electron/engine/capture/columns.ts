import type { QueryEvent, Transport } from '@shared/events';

/** The fields of an event that the forwarder supplies (everything but seq, time and captureId). */
export type EventFields = Omit<QueryEvent, 'seq' | 'time' | 'captureId'>;

/** What the columns hold for one event: a QueryEvent without the fields derived from its capture. */
export interface StoredEvent extends EventFields {
  readonly seq: number;
  /** UTC offset in minutes when the event was recorded. */
  readonly offset: number;
}

// Columns grow by whole chunks, so appending never copies what is already stored.
const CHUNK_BITS = 14;
const CHUNK_SIZE = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SIZE - 1;
/** Bytes of one row across the chunk's typed arrays at most (see Chunk): string ids of 4 bytes. */
const ROW_BYTES = 3 * 8 + 4 + 2 + 2 + 1 + 9 * 4;
/** The same with string ids of 2 bytes, as most chunks hold them. */
const NARROW_ROW_BYTES = 3 * 8 + 4 + 2 + 2 + 1 + 9 * 2;
/** Largest string id a 2-byte column holds. */
const NARROW_MAX = 0xffff;
/** A string's header plus its entries in a StringTable's list and map, roughly. */
const STRING_OVERHEAD = 64;

/** Each distinct string stored once and referred to by its position; positions never change. */
export class StringTable {
  private readonly ids = new Map<string, number>();
  private readonly list: string[] = [];
  // Consecutive events mostly repeat a value (qtype, rcode, upstream, a beaconing client): comparing
  // with the last one is cheaper than hashing a freshly decoded string.
  private lastValue: string | undefined;
  private lastId = 0;

  /** The position of `value`, adding it when new. */
  intern(value: string): number {
    if (value === this.lastValue) return this.lastId;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(value);
      this.ids.set(value, id);
    }
    this.lastValue = value;
    this.lastId = id;
    return id;
  }

  /** The position of `value`, or undefined when it was never added. */
  lookup(value: string): number | undefined {
    return this.ids.get(value);
  }

  /** The string at `id` ("" for an unknown id). */
  value(id: number): string {
    return this.list[id] ?? '';
  }

  get size(): number {
    return this.list.length;
  }

  /** About what the strings and their index take in memory (two bytes a character, a few dozen per entry). */
  get bytes(): number {
    let chars = 0;
    for (const v of this.list) chars += v.length;
    return chars * 2 + this.list.length * STRING_OVERHEAD;
  }

  /** The strings in position order; read-only view for building per-string lookups. */
  values(): readonly string[] {
    return this.list;
  }
}

/**
 * A column of string ids: 2 bytes each until an id does not fit, then that chunk's column is widened to 4
 * (a capture rarely holds 65,536 distinct names or answers; qtypes, rcodes and upstreams never).
 */
type Ids = Uint16Array | Uint32Array;

type IdColumn =
  'client' | 'qname' | 'qtype' | 'rcode' | 'answers' | 'upstream' | 'error' | 'watchRule' | 'source';

interface Chunk {
  readonly seq: Float64Array;
  readonly ts: Float64Array;
  readonly latency: Float64Array;
  readonly size: Uint32Array;
  readonly port: Uint16Array;
  readonly offset: Int16Array;
  readonly transport: Uint8Array;
  client: Ids;
  qname: Ids;
  qtype: Ids;
  rcode: Ids;
  answers: Ids;
  upstream: Ids;
  error: Ids;
  watchRule: Ids;
  /** The `sources` id; 0 is "" (forwarded). */
  source: Ids;
}

function newChunk(): Chunk {
  return {
    seq: new Float64Array(CHUNK_SIZE),
    ts: new Float64Array(CHUNK_SIZE),
    latency: new Float64Array(CHUNK_SIZE),
    size: new Uint32Array(CHUNK_SIZE),
    port: new Uint16Array(CHUNK_SIZE),
    offset: new Int16Array(CHUNK_SIZE),
    transport: new Uint8Array(CHUNK_SIZE),
    client: new Uint16Array(CHUNK_SIZE),
    qname: new Uint16Array(CHUNK_SIZE),
    qtype: new Uint16Array(CHUNK_SIZE),
    rcode: new Uint16Array(CHUNK_SIZE),
    answers: new Uint16Array(CHUNK_SIZE),
    upstream: new Uint16Array(CHUNK_SIZE),
    error: new Uint16Array(CHUNK_SIZE),
    watchRule: new Uint16Array(CHUNK_SIZE),
    source: new Uint16Array(CHUNK_SIZE),
  };
}

/** Stores string id `id` at `j` of `c`'s column `name`, widening the column first when the id needs it. */
function setId(c: Chunk, name: IdColumn, j: number, id: number): void {
  let col = c[name];
  if (id > NARROW_MAX && col instanceof Uint16Array) {
    col = Uint32Array.from(col);
    c[name] = col;
  }
  col[j] = id;
}

/** Bytes of a chunk's typed arrays as they are now. */
function chunkBytes(c: Chunk): number {
  const idBytes =
    c.client.byteLength +
    c.qname.byteLength +
    c.qtype.byteLength +
    c.rcode.byteLength +
    c.answers.byteLength +
    c.upstream.byteLength +
    c.error.byteLength +
    c.watchRule.byteLength +
    c.source.byteLength;
  return CHUNK_SIZE * (NARROW_ROW_BYTES - 9 * 2) + idBytes;
}

/** What one chunk of columns takes at most (string ids of 4 bytes). */
export const CHUNK_BYTES = CHUNK_SIZE * ROW_BYTES;
/** What one chunk of columns takes with string ids of 2 bytes, as most do. */
export const NARROW_CHUNK_BYTES = CHUNK_SIZE * NARROW_ROW_BYTES;

/**
 * Chunks of released columns (EventColumns.release), up to `maxBytes`, for the next columns read back: a
 * capture's 30 MB of typed arrays are reused instead of left to the garbage collector and the allocator,
 * which keep freed ones for long after.
 */
export class ChunkPool {
  private readonly spare: Chunk[] = [];
  private spareBytes = 0;

  constructor(readonly maxBytes: number) {}

  /** A chunk whose rows are all written before they are read (see append), or undefined when none is spare. */
  take(): Chunk | undefined {
    const c = this.spare.pop();
    if (c !== undefined) this.spareBytes -= chunkBytes(c);
    return c;
  }

  give(chunks: readonly Chunk[]): void {
    for (const c of chunks) {
      const bytes = chunkBytes(c);
      if (this.spareBytes + bytes > this.maxBytes) return;
      this.spare.push(c);
      this.spareBytes += bytes;
    }
  }

  /** Lets spare chunks go (to the garbage collector) until at most `bytes` of them are held. */
  trimTo(bytes: number): void {
    while (this.spareBytes > Math.max(0, bytes)) this.take();
  }

  /** Bytes of spare chunks held. */
  get bytes(): number {
    return this.spareBytes;
  }
}

const TRANSPORTS: readonly Transport[] = ['udp', 'tcp'];

/** A row filter resolved against one EventColumns' string tables. */
export interface ColumnFilter {
  /** Client string id to match, or -1 for any client. */
  readonly client: number;
  /** 1 at each qname id that matches, or null for any name. */
  readonly names: Uint8Array | null;
  /** Inclusive. */
  readonly from: number;
  /** Exclusive. */
  readonly to: number;
  /** 1 at each watchRule id that matches, or null for any (watched or not). */
  readonly rules: Uint8Array | null;
}

/**
 * Events of one capture as typed-array columns plus interned string tables, so hundreds of thousands of
 * events cost the garbage collector a few dozen objects instead of one object each.
 */
export class EventColumns {
  readonly clients = new StringTable();
  readonly qnames = new StringTable();
  readonly qtypes = new StringTable();
  readonly rcodes = new StringTable();
  readonly answers = new StringTable();
  readonly upstreams = new StringTable();
  readonly errors = new StringTable();
  readonly watchRules = new StringTable();
  /** Where observed exchanges came from; id 0 is "" for the forwarded ones. */
  readonly sources = EventColumns.sourceTable();
  private readonly chunks: Chunk[] = [];
  private count = 0;
  private pins = 0;
  private retired = false;
  private released = false;

  /** `pool` gives the chunks, when it has spare ones, and takes them back on release(). */
  constructor(private readonly pool: ChunkPool | null = null) {}

  get length(): number {
    return this.count;
  }

  /** Bytes of columns holding `rows` rows, about: whole chunks of 2-byte ids (the string tables aside). */
  static bytesFor(rows: number): number {
    return Math.ceil(rows / CHUNK_SIZE) * NARROW_CHUNK_BYTES;
  }

  /** Keeps the rows readable across awaits until unpin(), even when released meanwhile. */
  pin(): void {
    this.pins++;
  }

  unpin(): void {
    this.pins--;
    if (this.pins === 0 && this.retired) this.release();
  }

  /**
   * Gives the chunks to the pool (at once, or at the last unpin()): no row is read from these columns
   * afterwards (see isReleased). Only their owner (the row cache, the reader of a piece) calls this.
   */
  release(): void {
    if (this.pins > 0) {
      this.retired = true;
      return;
    }
    if (this.released) return;
    this.released = true;
    this.pool?.give(this.chunks);
    this.chunks.length = 0;
    this.count = 0;
  }

  /** Released: its rows are gone (read them back instead). */
  get isReleased(): boolean {
    return this.released;
  }

  /** About what these columns take in memory: whole chunks plus the string tables. */
  get bytes(): number {
    let n = 0;
    for (const c of this.chunks) n += chunkBytes(c);
    for (const t of [
      this.clients,
      this.qnames,
      this.qtypes,
      this.rcodes,
      this.answers,
      this.upstreams,
      this.errors,
      this.watchRules,
      this.sources,
    ])
      n += t.bytes;
    return n;
  }

  private static sourceTable(): StringTable {
    const t = new StringTable();
    t.intern('');
    return t;
  }

  /** Appends one event (recorded at UTC offset `offset` minutes) and returns its row index. */
  append(seq: number, ev: EventFields, offset: number): number {
    const row = this.count;
    const j = row & CHUNK_MASK;
    if (j === 0) this.chunks.push(this.pool?.take() ?? newChunk());
    const c = this.chunks[row >>> CHUNK_BITS]!;
    c.seq[j] = seq;
    c.ts[j] = ev.ts;
    c.latency[j] = ev.latencyMs;
    c.size[j] = ev.size;
    c.port[j] = ev.clientPort;
    c.offset[j] = offset;
    c.transport[j] = ev.transport === 'tcp' ? 1 : 0;
    const client = this.clients.intern(ev.client);
    const qname = this.qnames.intern(ev.qname);
    const qtype = this.qtypes.intern(ev.qtype);
    const rcode = this.rcodes.intern(ev.rcode);
    const answers = this.answers.intern(ev.answers);
    const upstream = this.upstreams.intern(ev.upstream);
    const error = this.errors.intern(ev.error);
    const watchRule = this.watchRules.intern(ev.watchRule);
    const source = ev.source ? this.sources.intern(ev.source) : 0;
    if ((client | qname | qtype | rcode | answers | upstream | error | watchRule | source) > NARROW_MAX) {
      // Rare: an id past 2 bytes, in a chunk whose column may not hold it yet.
      setId(c, 'client', j, client);
      setId(c, 'qname', j, qname);
      setId(c, 'qtype', j, qtype);
      setId(c, 'rcode', j, rcode);
      setId(c, 'answers', j, answers);
      setId(c, 'upstream', j, upstream);
      setId(c, 'error', j, error);
      setId(c, 'watchRule', j, watchRule);
      setId(c, 'source', j, source);
    } else {
      c.client[j] = client;
      c.qname[j] = qname;
      c.qtype[j] = qtype;
      c.rcode[j] = rcode;
      c.answers[j] = answers;
      c.upstream[j] = upstream;
      c.error[j] = error;
      c.watchRule[j] = watchRule;
      c.source[j] = source;
    }
    this.count = row + 1;
    return row;
  }

  seq(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]!.seq[row & CHUNK_MASK]!;
  }

  ts(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]!.ts[row & CHUNK_MASK]!;
  }

  /** UTC offset in minutes the event at `row` was recorded with. */
  offset(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]!.offset[row & CHUNK_MASK]!;
  }

  latencyMs(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]!.latency[row & CHUNK_MASK]!;
  }

  clientId(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]!.client[row & CHUNK_MASK]!;
  }

  qnameId(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]!.qname[row & CHUNK_MASK]!;
  }

  qtypeId(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]!.qtype[row & CHUNK_MASK]!;
  }

  rcodeId(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]!.rcode[row & CHUNK_MASK]!;
  }

  answersId(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]!.answers[row & CHUNK_MASK]!;
  }

  watchRuleId(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]!.watchRule[row & CHUNK_MASK]!;
  }

  /** The error string's id ("blocked", a timeout…; see `errors`). */
  errorId(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]!.error[row & CHUNK_MASK]!;
  }

  upstreamId(row: number): number {
    return this.chunks[row >>> CHUNK_BITS]!.upstream[row & CHUNK_MASK]!;
  }

  /** Rebuilds the event at `row` (callers pass the capture-derived fields). */
  event(row: number, captureId: string, time: string): QueryEvent {
    const c = this.chunks[row >>> CHUNK_BITS]!;
    const j = row & CHUNK_MASK;
    return {
      seq: c.seq[j]!,
      ts: c.ts[j]!,
      time,
      captureId,
      client: this.clients.value(c.client[j]!),
      clientPort: c.port[j]!,
      transport: TRANSPORTS[c.transport[j]!] ?? 'udp',
      qname: this.qnames.value(c.qname[j]!),
      qtype: this.qtypes.value(c.qtype[j]!),
      rcode: this.rcodes.value(c.rcode[j]!),
      answers: this.answers.value(c.answers[j]!),
      latencyMs: c.latency[j]!,
      upstream: this.upstreams.value(c.upstream[j]!),
      size: c.size[j]!,
      error: this.errors.value(c.error[j]!),
      watchRule: this.watchRules.value(c.watchRule[j]!),
      ...(c.source[j] !== 0 ? { source: this.sources.value(c.source[j]!) } : {}),
    };
  }

  /**
   * Calls `visit` with each row in [start, end) that passes `filter`, newest row first when
   * `descending`; stops early when `visit` returns false.
   */
  scan(
    filter: ColumnFilter,
    start: number,
    end: number,
    descending: boolean,
    visit: (row: number) => boolean | void,
  ): void {
    const first = Math.max(0, start);
    const last = Math.min(end, this.count);
    const step = descending ? -1 : 1;
    for (let row = descending ? last - 1 : first; descending ? row >= first : row < last; row += step) {
      const c = this.chunks[row >>> CHUNK_BITS]!;
      const j = row & CHUNK_MASK;
      if (filter.client >= 0 && c.client[j] !== filter.client) continue;
      if (filter.names !== null && filter.names[c.qname[j]!] !== 1) continue;
      if (filter.rules !== null && filter.rules[c.watchRule[j]!] !== 1) continue;
      const ts = c.ts[j]!;
      if (ts < filter.from || ts >= filter.to) continue;
      if (visit(row) === false) return;
    }
  }
}
