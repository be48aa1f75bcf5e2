/**
 * The DNS thread (a worker_threads entry, built as out/main/dns-worker.js): the forwarder's sockets, access
 * list and upstream exchanges on an event loop that does nothing else. Each finished exchange goes into a
 * record batch, sent to the main thread as a moved buffer at the end of the turn, or, within BATCH_LINGER_MS of
 * the previous batch, when that time is up (sooner past BATCH_BYTES); the main thread records, analyses and
 * serves it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ExchangeRecord } from '../capture/types';
import { accessListWith } from './acl';
import { Forwarder } from './forwarder';
import { RecordBatchWriter } from './record-batch';
import {
  BATCH_BYTES,
  BATCH_LINGER_MS,
  MAX_BATCHES_AHEAD,
  type DnsThreadData,
  type DnsThreadMessage,
  type DnsThreadRequest,
  type DnsThreadStatus,
} from './thread-messages';
import { NetworkUpstream } from './upstream';
import { classifierFor } from './verdicts';

const port = parentPort;
if (port === null) throw new Error('dns-worker.ts runs as a worker thread only');
const { config, consumed } = workerData as DnsThreadData;
const taken = new Int32Array(consumed);

let classify = classifierFor(config.rules);
const batch = new RecordBatchWriter();
let sent = 0;
let dropped = 0;
let flushQueued = false;
/** When the last batch was sent (performance.now()). */
let lastSentAt = Number.NEGATIVE_INFINITY;

const send = (msg: DnsThreadMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);

const forwarder = new Forwarder({
  listen: config.listen,
  upstreams: config.upstreams.map((u) => new NetworkUpstream(u, {})),
  acl: accessListWith(config.allow),
  timeoutMs: config.timeoutMs,
  maxInFlight: config.maxInFlight,
  ...(config.tcpPerClient !== undefined ? { tcpPerClient: config.tcpPerClient } : {}),
  classify: (qname) => classify(qname),
  onWarning: (code, message) => send({ type: 'warning', code, message }),
  sink: { record },
});

function record(rec: ExchangeRecord): void {
  // Bounded: a main thread that stops taking batches in costs records (counted), never this thread's memory.
  if (sent - Atomics.load(taken, 0) >= MAX_BATCHES_AHEAD) {
    dropped++;
    return;
  }
  batch.add(rec);
  if (batch.size >= BATCH_BYTES) flush();
  else if (!flushQueued) {
    flushQueued = true;
    // The first record after a quiet spell goes at the end of this turn; later ones wait for the next slot.
    const wait = lastSentAt + BATCH_LINGER_MS - performance.now();
    if (wait <= 0) setImmediate(flushQueuedBatch);
    else setTimeout(flushQueuedBatch, wait);
  }
}

function flushQueuedBatch(): void {
  flushQueued = false;
  flush();
}

function flush(): void {
  if (batch.count === 0) return;
  const { buffer, count } = batch.take();
  sent++;
  lastSentAt = performance.now();
  send({ type: 'records', buffer, count, status: status() }, [buffer]);
}

function status(): DnsThreadStatus {
  return {
    listeners: forwarder.listenerStatus(),
    failures: forwarder.listenerFailures(),
    upstreams: forwarder.upstreamStatus(),
    counters: forwarder.counters(),
    dropped,
  };
}

async function answer(req: DnsThreadRequest): Promise<unknown> {
  switch (req.name) {
    case 'listen':
      return forwarder.listen();
    case 'close':
      await forwarder.close(req.arg.drainMs);
      flush();
      return status();
    case 'rules':
      classify = classifierFor(req.arg);
      return null;
    case 'status':
      return status();
    case 'test:crash':
      if (req.arg === 'exit') process.exit(70);
      // Thrown from a timer, outside this handler's promise: an uncaught exception, as a bug would be.
      setImmediate(() => {
        throw new Error('DNS thread crash requested by a test');
      });
      return null;
  }
}

port.on('message', (req: DnsThreadRequest) => {
  answer(req).then(
    (value) => send({ type: 'reply', id: req.id, ok: true, value }),
    (err: unknown) =>
      send({ type: 'reply', id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
