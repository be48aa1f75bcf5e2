// Helpers for this folder's tests only.
import type { ExchangeRecord } from '../capture';

/** An answered A query from `client`, with whatever `over` changes. */
export function rec(over: Partial<ExchangeRecord> = {}): ExchangeRecord {
  return {
    ts: Date.UTC(2026, 10, 23, 12, 0, 0),
    client: '192.168.0.23',
    clientPort: 53000,
    transport: 'udp',
    qname: 'www.example.com',
    qtype: 'A',
    rcode: 'NOERROR',
    answers: '192.0.2.1',
    latencyMs: 1,
    upstream: '1.1.1.1:53',
    size: 60,
    error: '',
    watchRule: '',
    queryWire: new Uint8Array(0),
    responseWire: null,
    ...over,
  };
}
