import type { DnstapInListener, DnstapInStatus } from '@shared/events';
import { parseDnstapTarget } from '@shared/dnstap';
import type { ExchangeSink } from '../capture';
import type { Clock } from '../clock';
import { DnstapIngest } from '../dnstap/ingest';
import { DnstapInput } from '../dnstap/input';

export interface DnstapInDeps {
  /** Where observed exchanges go: the same pipeline as the forwarder's (devices, capture, watchlist, outputs). */
  readonly sink: ExchangeSink;
  /** The watchlist rule a name matches, "" for none. */
  readonly classify: (qname: string) => string;
  /** The DNS allow-list, applied to TCP peers too. */
  readonly allows: (address: string) => boolean;
  /** One line per refused or dropped peer. */
  readonly log: (message: string) => void;
  readonly clock?: Clock;
}

/**
 * The dnstap inputs (`--dnstap-in`): resolvers beside DNS Witness report their exchanges, which are recorded
 * like forwarded ones but marked with their source. One decode queue serves every input.
 */
export class DnstapInService {
  private inputs: DnstapInput[] = [];
  private ingest: DnstapIngest | null = null;

  constructor(private readonly deps: DnstapInDeps) {}

  /** Listens on each of `targets` (validated `unix:PATH` / `tcp:ADDR:PORT`). Failures are in the result. */
  async start(targets: readonly string[]): Promise<DnstapInListener[]> {
    if (targets.length === 0 || this.inputs.length > 0) return this.inputs.map((i) => i.status());
    const ingest = (this.ingest = new DnstapIngest({
      sink: (rec) => this.deps.sink.record(rec),
      classify: this.deps.classify,
      clock: this.deps.clock,
    }));
    this.inputs = targets.flatMap((text) => {
      const target = parseDnstapTarget(text);
      return target
        ? [
            new DnstapInput(target, {
              ingest,
              allows: this.deps.allows,
              log: this.deps.log,
              clock: this.deps.clock,
            }),
          ]
        : [];
    });
    const statuses = await Promise.all(this.inputs.map((i) => i.listen()));
    for (const s of statuses)
      if (s.state === 'error') this.deps.log(`dnstap input ${s.target} is not listening: ${s.error}`);
    return statuses;
  }

  /** Undefined while no input is configured. */
  status(): DnstapInStatus | undefined {
    const ingest = this.ingest;
    if (!ingest) return undefined;
    return {
      listeners: this.inputs.map((i) => i.status()),
      peers: this.inputs.reduce((n, i) => n + i.peerCount, 0),
      sources: [...ingest.sources],
      messages: ingest.messages,
      records: ingest.records,
      dropped: ingest.dropped,
      peersDropped: this.inputs.reduce((n, i) => n + i.peersDropped, 0),
    };
  }

  /** Closes the inputs; what they queued is recorded, waiting queries as unanswered. */
  async close(): Promise<void> {
    await Promise.all(this.inputs.map((i) => i.close()));
    this.ingest?.close();
  }
}
