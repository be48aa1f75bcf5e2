/** Synthetic events, batches and snapshots for the renderer's unit tests (never imported by the app). */
import type { DeviceInfo, EngineStatus, QueryBatch, QueryEvent, Snapshot } from '@shared/events';
import { isoLocal } from '@shared/time';

/** A query event with sensible defaults; `seq`, `ts` and `client` are what the tests vary. */
export function queryEvent(
  seq: number,
  ts: number,
  client = '192.168.1.1',
  over: Partial<QueryEvent> = {},
): QueryEvent {
  return {
    seq,
    ts,
    time: isoLocal(ts, 0),
    captureId: 'c1',
    client,
    clientPort: 40000 + (seq % 1000),
    transport: 'udp',
    qname: 'a.safethings.avira.com',
    qtype: 'A',
    rcode: 'NOERROR',
    answers: '192.0.2.10',
    latencyMs: 1.5,
    upstream: '127.0.0.1:5353',
    size: 60,
    error: '',
    watchRule: '',
    ...over,
  };
}

/** A device's details; `over` sets what the engine would have found (name, MAC, router …). */
export function deviceAt(address: string, over: Partial<DeviceInfo> = {}): DeviceInfo {
  return {
    address,
    mac: '',
    vendor: '',
    privateMac: false,
    hostname: '',
    name: '',
    isRouter: false,
    ...over,
  };
}

let batchNo = 0;

/** Wraps events in a batch numbered like the engine's. */
export function batch(events: readonly QueryEvent[], dropped = 0): QueryBatch {
  return { batch: ++batchNo, events, dropped };
}

/** An engine status taken at `now` with one running capture started at `startedAt`. */
export function engineStatus(now: number, startedAt = now - 60_000, queries = 0): EngineStatus {
  return {
    version: '0.1.0',
    capture: { id: 'c1', state: 'running', startedAt, stoppedAt: 0, queries },
    listeners: [{ address: '127.0.0.1', port: 5353, transport: 'udp', state: 'listening', error: '' }],
    storage: { error: '', lostRecords: 0 },
    upstreams: [{ address: '127.0.0.1:53', healthy: true, queries, failures: 0, lastError: '' }],
    counters: {
      queries,
      answered: queries,
      servfail: 0,
      refused: 0,
      malformed: 0,
      unexpectedResponses: 0,
      overload: 0,
      loops: 0,
      inFlight: 0,
    },
    qps: 0,
    warnings: [],
    dataDir: '/tmp/data',
    now,
  };
}

/** A snapshot whose buckets, totals and recent list are all derived from `events`, as the engine would. */
export function snapshotOf(events: readonly QueryEvent[], now: number): Snapshot {
  const minutes = new Map<number, Record<string, number>>();
  const clients = new Map<
    string,
    { address: string; queries: number; firstSeen: number; lastSeen: number }
  >();
  for (const e of events) {
    const minute = Math.floor(e.ts / 60_000) * 60_000;
    const counts = minutes.get(minute) ?? {};
    counts[e.client] = (counts[e.client] ?? 0) + 1;
    minutes.set(minute, counts);
    const c = clients.get(e.client) ?? { address: e.client, queries: 0, firstSeen: e.ts, lastSeen: e.ts };
    c.queries++;
    c.firstSeen = Math.min(c.firstSeen, e.ts);
    c.lastSeen = Math.max(c.lastSeen, e.ts);
    clients.set(e.client, c);
  }
  return {
    lastSeq: events.reduce((max, e) => Math.max(max, e.seq), 0),
    status: engineStatus(now, now - 3_600_000, events.length),
    captures: [
      { id: 'c1', state: 'running', startedAt: now - 3_600_000, stoppedAt: 0, queries: events.length },
    ],
    clients: [...clients.values()],
    minutes: [...minutes.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([minute, counts]) => ({ minute, counts })),
    recent: events.slice(-1000),
    devices: [...clients.keys()].map((address) => deviceAt(address)),
  };
}
