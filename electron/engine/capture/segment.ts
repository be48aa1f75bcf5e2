import type { CaptureInfo, CaptureSource, ClientSummary, QueryFilter } from '@shared/events';
import { ClientTotals, MinuteCounts } from './aggregates';
import type { CheckpointData, MinuteEntry, WatchedRows } from './checkpoint';
import type { ColumnFilter, EventFields } from './columns';
import { EventColumns, StringTable } from './columns';

/** Calls `visit` for each watched event (ts, client, rule, name) of a capture. */
export type WatchedVisitor = (ts: number, client: string, rule: string, qname: string) => void;

/** What a segment taken from a checkpoint knows without its rows. */
interface Stored {
  readonly queries: number;
  readonly lastSeq: number;
  readonly lastTs: number;
}

/**
 * One capture held in memory: its events as columns plus its aggregates. Retention drops whole
 * segments, so nothing here ever needs to forget a single event. A segment taken from a checkpoint
 * (fromCheckpoint) has its counts, aggregates and watched events at once and its rows only once
 * attachColumns() gives them.
 */
export class CaptureSegment {
  /** The rows; empty for a segment from a checkpoint until attachColumns(). */
  columns = new EventColumns();
  private readonly clientTotals = new ClientTotals();
  private readonly minuteCounts = new MinuteCounts();
  /** Names the aggregates' client ids: the columns' own table, or the checkpoint's. */
  private clientNames: StringTable = this.columns.clients;
  private minTs = Number.POSITIVE_INFINITY;
  private maxTs = Number.NEGATIVE_INFINITY;
  private stored: Stored | null = null;
  private rowsAttached = false;
  /** The watched events as the checkpoint kept them; null: read them from the columns. */
  private watched: WatchedRows | null = null;
  /** Where an imported capture came from; null for one recorded here. */
  source: CaptureSource | null = null;
  /** Added to the journal's seqs (an import numbers its records from 1; see CaptureStore.loadSegment). */
  seqBase = 0;

  constructor(
    readonly id: string,
    public startedAt: number,
    /** 0 while running. */
    public stoppedAt: number,
  ) {}

  /** A stopped capture as its checkpoint describes it, without rows. */
  static fromCheckpoint(
    id: string,
    startedAt: number,
    stoppedAt: number,
    data: CheckpointData,
    seqBase: number,
  ): CaptureSegment {
    const seg = new CaptureSegment(id, startedAt, stoppedAt);
    seg.seqBase = seqBase;
    const names = new StringTable();
    for (const c of data.clients) names.intern(c);
    seg.clientNames = names;
    for (let id = 0; id < data.clients.length; id++)
      seg.clientTotals.restore(id, data.clientQueries[id]!, data.clientFirst[id]!, data.clientLast[id]!);
    for (const m of data.minutes) seg.minuteCounts.restore(m.minute, m.clients, m.counts);
    if (data.queries > 0) {
      seg.minTs = data.minTs;
      seg.maxTs = data.maxTs;
    }
    seg.stored = { queries: data.queries, lastSeq: data.lastSeq, lastTs: data.lastTs };
    seg.watched = data.watched;
    return seg;
  }

  get running(): boolean {
    return this.stoppedAt === 0;
  }

  /** Rows held in memory (see `queries` for the capture's count). */
  get length(): number {
    return this.columns.length;
  }

  /** The capture's queries, whether its rows are in memory or not. */
  get queries(): number {
    return this.stored?.queries ?? this.columns.length;
  }

  /** False for a segment from a checkpoint until attachColumns(). */
  get hasRows(): boolean {
    return this.stored === null || this.rowsAttached;
  }

  /**
   * Hands over the rows of a stopped capture whose journal holds them all, keeping its counts, aggregates and
   * watched events: from then on its rows are read back from the journal when needed (see hasRows).
   */
  detachRows(): EventColumns {
    const columns = this.columns;
    this.watched = this.watched ?? this.watchedFromColumns();
    this.stored = {
      queries: this.queries,
      lastSeq: this.lastSeq() - this.seqBase,
      lastTs: this.lastTs() ?? 0,
    };
    // clientNames keeps naming the aggregates' client ids.
    this.columns = new EventColumns();
    this.rowsAttached = false;
    return columns;
  }

  /**
   * How many rows match `filter`, when the aggregates tell without the rows (any filter on the capture's id and
   * time range, alone or with a client); else null.
   */
  knownCount(filter: QueryFilter): number | null {
    if (filter.captureId && filter.captureId !== this.id) return 0;
    if (this.queries === 0) return 0;
    const from = filter.from ?? Number.NEGATIVE_INFINITY;
    const to = filter.to ?? Number.POSITIVE_INFINITY;
    if (this.maxTs < from || this.minTs >= to) return 0;
    if (from > this.minTs || to <= this.maxTs || filter.name || filter.watched || filter.rule) return null;
    if (!filter.client) return this.queries;
    const id = this.clientNames.lookup(filter.client);
    return id === undefined ? 0 : this.clientTotals.queriesOf(id);
  }

  /** Gives a segment from a checkpoint its rows (read from the journal with the same seqBase). */
  attachColumns(columns: EventColumns): void {
    this.columns = columns;
    this.rowsAttached = true;
    // The rows hold the same watched events then: no need to keep a second copy.
    if (columns.length === this.stored?.queries) this.watched = null;
  }

  /** Seq of the newest event, 0 when empty. */
  lastSeq(): number {
    if (this.columns.length > 0) return this.columns.seq(this.columns.length - 1);
    return this.stored !== null && this.stored.queries > 0 ? this.seqBase + this.stored.lastSeq : 0;
  }

  /** Arrival time of the newest event, or undefined when empty. */
  lastTs(): number | undefined {
    if (this.columns.length > 0) return this.columns.ts(this.columns.length - 1);
    return this.stored !== null && this.stored.queries > 0 ? this.stored.lastTs : undefined;
  }

  add(seq: number, ev: EventFields, offset: number): void {
    const row = this.columns.append(seq, ev, offset);
    const client = this.columns.clientId(row);
    this.clientTotals.add(client, ev.ts);
    this.minuteCounts.add(client, ev.ts);
    if (ev.ts < this.minTs) this.minTs = ev.ts;
    if (ev.ts > this.maxTs) this.maxTs = ev.ts;
  }

  info(): CaptureInfo {
    const info: CaptureInfo = {
      id: this.id,
      state: this.running ? 'running' : 'stopped',
      startedAt: this.startedAt,
      stoppedAt: this.stoppedAt,
      queries: this.queries,
    };
    return this.source === null ? info : { ...info, source: this.source };
  }

  mergeClients(into: Map<string, ClientSummary>): void {
    this.clientTotals.mergeInto(into, (id) => this.clientNames.value(id));
  }

  mergeMinutes(into: Map<number, Record<string, number>>, from: number): void {
    if (this.maxTs < from) return;
    this.minuteCounts.mergeInto(into, from, (id) => this.clientNames.value(id));
  }

  /** Calls `visit` for every event that matched a watchlist rule, in record order; builds no event objects. */
  forEachWatched(visit: WatchedVisitor): void {
    const w = this.watched;
    if (w !== null) {
      for (let i = 0; i < w.ts.length; i++) {
        const g = w.groups[w.group[i]!]!;
        visit(w.ts[i]!, g.client, g.rule, g.qname);
      }
      return;
    }
    const cols = this.columns;
    const empty = cols.watchRules.lookup('');
    for (let row = 0; row < cols.length; row++) {
      const id = cols.watchRuleId(row);
      if (id === empty) continue;
      visit(
        cols.ts(row),
        cols.clients.value(cols.clientId(row)),
        cols.watchRules.value(id),
        cols.qnames.value(cols.qnameId(row)),
      );
    }
  }

  /** What a checkpoint of this (stopped) capture holds; seqs as its journal numbers them. */
  checkpoint(): CheckpointData {
    const clients = [...this.clientNames.values()];
    const clientQueries: number[] = [];
    const clientFirst: number[] = [];
    const clientLast: number[] = [];
    this.clientTotals.forEach((id, queries, first, last) => {
      clientQueries[id] = queries;
      clientFirst[id] = first;
      clientLast[id] = last;
    });
    // Every interned client has at least one query; a hole would only come from a bug, and is kept as zeros.
    for (let id = 0; id < clients.length; id++) {
      clientQueries[id] ??= 0;
      clientFirst[id] ??= 0;
      clientLast[id] ??= 0;
    }
    const minutes: MinuteEntry[] = [];
    this.minuteCounts.forEach((minute, counts) => {
      const ids: number[] = [];
      const ns: number[] = [];
      for (let id = 0; id < counts.length; id++) {
        const n = counts[id];
        if (n === undefined || n === 0) continue;
        ids.push(id);
        ns.push(n);
      }
      minutes.push({ minute, clients: ids, counts: ns });
    });
    const queries = this.queries;
    const lastSeq = this.lastSeq();
    return {
      id: this.id,
      queries,
      lastSeq: queries > 0 ? lastSeq - this.seqBase : 0,
      minTs: queries > 0 ? this.minTs : 0,
      maxTs: queries > 0 ? this.maxTs : 0,
      lastTs: this.lastTs() ?? 0,
      clients,
      clientQueries,
      clientFirst,
      clientLast,
      minutes,
      watched: this.watched ?? this.watchedFromColumns(),
    };
  }

  private watchedFromColumns(): WatchedRows {
    const groups: { client: string; rule: string; qname: string }[] = [];
    const groupIds = new Map<string, number>();
    const ts: number[] = [];
    const group: number[] = [];
    const cols = this.columns;
    const empty = cols.watchRules.lookup('');
    for (let row = 0; row < cols.length; row++) {
      const rule = cols.watchRuleId(row);
      if (rule === empty) continue;
      const client = cols.clientId(row);
      const qname = cols.qnameId(row);
      const key = `${client} ${rule} ${qname}`;
      let g = groupIds.get(key);
      if (g === undefined) {
        g = groups.length;
        groups.push({
          client: cols.clients.value(client),
          rule: cols.watchRules.value(rule),
          qname: cols.qnames.value(qname),
        });
        groupIds.set(key, g);
      }
      ts.push(cols.ts(row));
      group.push(g);
    }
    return { ts: Float64Array.from(ts), group: Uint32Array.from(group), groups };
  }

  /**
   * Resolves `filter` against this segment's string tables (or those of its rows read back, `columns`); null
   * when no event here can match, so the caller skips the segment without scanning it. Empty strings mean "any".
   */
  compile(filter: QueryFilter, columns: EventColumns = this.columns): ColumnFilter | null {
    if (filter.captureId && filter.captureId !== this.id) return null;
    if (columns.length === 0) return null;
    const from = filter.from ?? Number.NEGATIVE_INFINITY;
    const to = filter.to ?? Number.POSITIVE_INFINITY;
    if (this.maxTs < from || this.minTs >= to) return null;
    let client = -1;
    if (filter.client) {
      const id = columns.clients.lookup(filter.client);
      if (id === undefined) return null;
      client = id;
    }
    let names: Uint8Array | null = null;
    if (filter.name) {
      const needle = filter.name.toLowerCase();
      const qnames = columns.qnames.values();
      names = new Uint8Array(qnames.length);
      let any = false;
      for (let id = 0; id < qnames.length; id++) {
        if (qnames[id]!.toLowerCase().includes(needle)) {
          names[id] = 1;
          any = true;
        }
      }
      if (!any) return null;
    }
    let rules: Uint8Array | null = null;
    if (filter.watched || filter.rule) {
      const ids = columns.watchRules.values();
      rules = new Uint8Array(ids.length);
      let any = false;
      for (let id = 0; id < ids.length; id++) {
        const rule = ids[id]!;
        if (rule !== '' && (!filter.rule || rule === filter.rule)) {
          rules[id] = 1;
          any = true;
        }
      }
      if (!any) return null;
    }
    return { client, names, from, to, rules };
  }
}
