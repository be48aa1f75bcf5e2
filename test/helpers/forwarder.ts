import type { WarningCode } from '@shared/events';
import type { ExchangeRecord, ExchangeSink } from '../../electron/engine/capture/types';
import { AccessList, DEFAULT_ALLOWED } from '../../electron/engine/dns/acl';
import { Forwarder, type Verdict } from '../../electron/engine/dns/forwarder';
import { NetworkUpstream, type UpstreamSpec } from '../../electron/engine/dns/upstream';

export class CollectingSink implements ExchangeSink {
  readonly records: ExchangeRecord[] = [];
  record(rec: ExchangeRecord): void {
    this.records.push(rec);
  }
}

export interface RunningForwarder {
  readonly forwarder: Forwarder;
  readonly port: number;
  readonly sink: CollectingSink;
  readonly warnings: { code: WarningCode; message: string }[];
  close(): Promise<void>;
}

/** A forwarder on 127.0.0.1 (free port, UDP and TCP) in front of the given loopback upstreams. */
export async function startForwarder(
  upstreams: readonly UpstreamSpec[],
  opts: {
    allow?: readonly string[];
    timeoutMs?: number;
    maxInFlight?: number;
    host?: string;
    classify?: (qname: string) => Verdict;
  } = {},
): Promise<RunningForwarder> {
  const sink = new CollectingSink();
  const warnings: { code: WarningCode; message: string }[] = [];
  const forwarder = new Forwarder({
    listen: [{ host: opts.host ?? '127.0.0.1', port: 0 }],
    upstreams: upstreams.map((u) => new NetworkUpstream(u)),
    acl: new AccessList(opts.allow ?? DEFAULT_ALLOWED),
    timeoutMs: opts.timeoutMs ?? 1000,
    maxInFlight: opts.maxInFlight ?? 2000,
    sink,
    ...(opts.classify ? { classify: opts.classify } : {}),
    onWarning: (code, message) => warnings.push({ code, message }),
  });
  const statuses = await forwarder.listen();
  const udp = statuses.find((s) => s.transport === 'udp');
  if (!udp || udp.state !== 'listening')
    throw new Error(`forwarder did not start: ${JSON.stringify(statuses)}`);
  return { forwarder, port: udp.port, sink, warnings, close: () => forwarder.close() };
}
