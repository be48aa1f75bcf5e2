import os from 'node:os';
import { parseDnstapTarget } from '@shared/dnstap';
import type { ExchangeRecord } from '../capture';
import type { Clock } from '../clock';
import { dnstapIdentity, type DnstapIdentity } from '../dnstap/encode';
import { DnstapOutput, type DnstapOutputStatus } from '../dnstap/output';

/**
 * The dnstap outputs (`--dnstap-out`, Settings): each finished exchange goes to every output's queue; replacing
 * the list closes the old outputs (with STOP) and opens the new ones. Drops are kept across replacements.
 */
export class DnstapService {
  private outputs: DnstapOutput[] = [];
  private targets: readonly string[] = [];
  private retiredDropped = 0;
  /** dnstap's identity is this computer's name, as a server's NSID would be; its version names the app. */
  readonly identity: DnstapIdentity;

  constructor(
    version: string,
    private readonly clock?: Clock,
  ) {
    this.identity = dnstapIdentity(os.hostname(), `DNS Witness ${version}`);
  }

  /** On the query path: one queue push per output. */
  record(rec: ExchangeRecord): void {
    const outputs = this.outputs;
    for (let i = 0; i < outputs.length; i++) outputs[i]!.push(rec);
  }

  /** Opens the outputs for `targets` (validated `unix:PATH` / `tcp:HOST:PORT`), closing those no longer named. */
  async apply(targets: readonly string[]): Promise<void> {
    if (targets.length === this.targets.length && targets.every((t, i) => t === this.targets[i])) return;
    const old = this.outputs;
    this.targets = [...targets];
    this.outputs = targets.flatMap((text) => {
      const target = parseDnstapTarget(text);
      return target ? [new DnstapOutput(target, { identity: this.identity, clock: this.clock })] : [];
    });
    for (const o of this.outputs) o.start();
    for (const o of old) this.retiredDropped += o.status().dropped;
    await Promise.all(old.map((o) => o.close()));
  }

  status(): DnstapOutputStatus[] {
    return this.outputs.map((o) => o.status());
  }

  /** Exchanges dropped by any output since the engine started. */
  dropped(): number {
    return this.outputs.reduce((n, o) => n + o.status().dropped, this.retiredDropped);
  }

  close(): Promise<void> {
    return this.apply([]);
  }
}
