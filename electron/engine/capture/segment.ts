import type { CaptureInfo, CaptureSource, ClientSummary, QueryFilter } from '@shared/events';
import { ClientTotals, MinuteCounts } from './aggregates';
import type { ColumnFilter, EventFields } from './columns';
import { EventColumns } from './columns';

/**
 * One capture held in memory: its events as columns plus its aggregates. Retention drops whole
 * segments, so nothing here ever needs to forget a single event.
 */
export class CaptureSegment {
  readonly columns = new EventColumns();
  private readonly clientTotals = new ClientTotals();
  private readonly minuteCounts = new MinuteCounts();
  private minTs = Number.POSITIVE_INFINITY;
  private maxTs = Number.NEGATIVE_INFINITY;
  /** Where an imported capture came from; null for one recorded here. */
  source: CaptureSource | null = null;

  constructor(
    readonly id: string,
    public startedAt: number,
    /** 0 while running. */
    public stoppedAt: number,
  ) {}

  get running(): boolean {
    return this.stoppedAt === 0;
  }

  get length(): number {
    return this.columns.length;
  }

  /** Seq of the newest event, 0 when empty. */
  lastSeq(): number {
    return this.columns.length === 0 ? 0 : this.columns.seq(this.columns.length - 1);
  }

  /** Arrival time of the newest event, or undefined when empty. */
  lastTs(): number | undefined {
    return this.columns.length === 0 ? undefined : this.columns.ts(this.columns.length - 1);
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
      queries: this.columns.length,
    };
    return this.source === null ? info : { ...info, source: this.source };
  }

  mergeClients(into: Map<string, ClientSummary>): void {
    this.clientTotals.mergeInto(into, (id) => this.columns.clients.value(id));
  }

  mergeMinutes(into: Map<number, Record<string, number>>, from: number): void {
    if (this.maxTs < from) return;
    this.minuteCounts.mergeInto(into, from, (id) => this.columns.clients.value(id));
  }

  /**
   * Resolves `filter` against this segment's string tables; null when no event here can match, so the
   * caller skips the segment without scanning it. Empty strings mean "any".
   */
  compile(filter: QueryFilter): ColumnFilter | null {
    if (filter.captureId && filter.captureId !== this.id) return null;
    if (this.columns.length === 0) return null;
    const from = filter.from ?? Number.NEGATIVE_INFINITY;
    const to = filter.to ?? Number.POSITIVE_INFINITY;
    if (this.maxTs < from || this.minTs >= to) return null;
    let client = -1;
    if (filter.client) {
      const id = this.columns.clients.lookup(filter.client);
      if (id === undefined) return null;
      client = id;
    }
    let names: Uint8Array | null = null;
    if (filter.name) {
      const needle = filter.name.toLowerCase();
      const qnames = this.columns.qnames.values();
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
      const ids = this.columns.watchRules.values();
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
