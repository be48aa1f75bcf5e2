/**
 * The DNS thread (a worker_threads entry, built as out/main/dns-worker.js): the forwarder's sockets, access
 * list and upstream exchanges, and the running capture's journal (numbering, appends, seals), on an event
 * loop that does nothing else. Each finished exchange is journaled, then goes into a record batch, sent to
 * the main thread as a moved buffer at the end of the turn, or, within BATCH_LINGER_MS of the previous
 * batch, when that time is up (sooner past BATCH_BYTES); the main thread indexes, analyses and serves it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CaptureJournal } from '../capture/capture-journal';
import type { ExchangeRecord } from '../capture/types';
import { PtrInFlight } from '../devices/ptr-in-flight';
import { SELF_TEST_SUFFIX } from '../setup/self-test-name';
import { accessListWith } from './acl';
import { Forwarder } from './forwarder';
import { readRecordBatch, RecordBatchWriter } from './record-batch';
import {
  BATCH_BYTES,
  BATCH_LINGER_MS,
  MAX_BATCHES_AHEAD,
  type DnsThreadConfig,
  type DnsThreadData,
  type DnsThreadMessage,
  type DnsThreadRequest,
  type DnsThreadStatus,
} from './thread-messages';
import { putOthersBehind } from './thread-priority';
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

// DNS first: every other thread of the process (API, exports, analysis, GC helpers, the thread pool) yields
// to this one when both cores are wanted. Once is enough: the thread pool runs before this thread starts
// (Engine.open locks the data folder with fs/promises first), and threads made later by a lowered thread
// inherit its nice.
putOthersBehind();

const send = (msg: DnsThreadMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);

const journal = new CaptureJournal({
  onWarning: (message) => send({ type: 'warning', code: 'journal-error', message }),
});
/** Our own self-test queries (setup/self-test.ts) are answered but are not the user's traffic. */
const SELF_TEST_TAIL = `.${SELF_TEST_SUFFIX}`;
/** Our own reverse lookups, which a router using this computer sends back to us (devices/registry.ts). */
const ownLookups = new PtrInFlight();
let routers: ReadonlySet<string> = new Set();

/** Answered, but not the user's traffic: not journaled (the main thread does not record them either). */
function ours(rec: ExchangeRecord): boolean {
  if (rec.qname.endsWith(SELF_TEST_TAIL)) return true;
  return rec.qtype === 'PTR' && routers.has(rec.client) && ownLookups.covers(rec.qname, rec.ts);
}

function makeForwarder(cfg: DnsThreadConfig): Forwarder {
  return new Forwarder({
    listen: cfg.listen,
    upstreams: cfg.upstreams.map((u) => new NetworkUpstream(u, {})),
    acl: accessListWith(cfg.allow),
    timeoutMs: cfg.timeoutMs,
    maxInFlight: cfg.maxInFlight,
    ...(cfg.tcpPerClient !== undefined ? { tcpPerClient: cfg.tcpPerClient } : {}),
    classify: (qname) => classify(qname),
    onWarning: (code, message) => send({ type: 'warning', code, message }),
    sink: { record },
  });
}

let forwarder = makeForwarder(config);

function record(rec: ExchangeRecord): void {
  // Journaled first, whatever becomes of the batch: the journal does not wait for the main thread.
  const num = ours(rec) ? undefined : journal.append(rec);
  // Bounded: a main thread that stops taking batches in costs records (counted), never this thread's memory.
  if (sent - Atomics.load(taken, 0) >= MAX_BATCHES_AHEAD) {
    dropped++;
    return;
  }
  batch.add(rec, num);
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
    journal: journal.storage(),
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
    case 'configure':
      await forwarder.close(req.arg.drainMs);
      flush();
      forwarder = makeForwarder(req.arg.config);
      return null;
    case 'capture:start':
      journal.start(req.arg);
      return null;
    case 'own-lookup':
      routers = new Set(req.arg.routers);
      if (req.arg.phase === 'begin') ownLookups.begin(req.arg.name, req.arg.at);
      else ownLookups.end(req.arg.name, req.arg.at);
      return null;
    case 'capture:reserve':
      flush();
      return journal.reserve(req.arg.count, req.arg.above);
    case 'capture:stop':
      // The capture's records reach the main thread before the reply that says its journal is closed.
      flush();
      return journal.stop();
    case 'capture:flush':
      // The records waiting for their batch reach the main thread first: an export sees every answered query.
      flush();
      await journal.flush();
      return null;
    case 'observed':
      for (const rec of readRecordBatch(req.arg.buffer, req.arg.count)) record(rec);
      return null;
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
