import type { EngineCounters, ListenerStatus, UpstreamStatus, WarningCode } from '@shared/events';
import type { ActiveRule } from '@shared/watch/rules';
import type { JournalEnd, JournalSpec, JournalStorage } from '../capture/capture-journal';
import type { ListenerFailure, ListenSpec } from './forwarder';
import type { UpstreamSpec } from './upstream';

/**
 * The messages between the main thread and the DNS thread (dns-worker.ts), all plain data. Requests are a
 * table like shared/contract.ts (name → argument and result), answered by id; the DNS thread also pushes
 * record batches and warnings unasked.
 */

/** What the DNS thread runs: the forwarder's options as data (it uses the real clock and random source). */
export interface DnsThreadConfig {
  readonly listen: readonly ListenSpec[];
  readonly upstreams: readonly UpstreamSpec[];
  /** Ranges allowed besides the defaults (--allow and the saved ones). */
  readonly allow: readonly string[];
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  readonly tcpPerClient?: number;
  /** The rules the forwarder classifies names with (and answers blocked ones itself). */
  readonly rules: readonly ActiveRule[];
}

/** The forwarder's side of the status, as the DNS thread last reported it. */
export interface DnsThreadStatus {
  readonly listeners: readonly ListenerStatus[];
  readonly failures: readonly ListenerFailure[];
  readonly upstreams: readonly UpstreamStatus[];
  readonly counters: EngineCounters;
  /** Records this thread dropped because the main thread fell MAX_BATCHES_AHEAD batches behind. */
  readonly dropped: number;
  /** The running capture's journal, which this thread writes. */
  readonly journal: JournalStorage;
}

/** Each request the DNS thread answers: its argument and its result. */
export interface DnsThreadRequests {
  /** Binds the listeners; failures are in the result. */
  listen: { arg: null; result: readonly ListenerStatus[] };
  /** Stops listening, waits up to drainMs for what is being forwarded, hands over the last records. */
  close: { arg: { drainMs: number }; result: DnsThreadStatus };
  /** The watchlist's rules changed. */
  rules: { arg: readonly ActiveRule[]; result: null };
  status: { arg: null; result: DnsThreadStatus };
  /** Settings changed the forwarder: the old one stops and drains (recorded), a new one replaces it unbound. */
  configure: { arg: { config: DnsThreadConfig; drainMs: number }; result: null };
  /** Starts writing the running capture's journal: from now on records are numbered and journaled here. */
  'capture:start': { arg: JournalSpec; result: null };
  /**
   * A reverse lookup of ours started or ended: its echo from one of `routers` (a router that uses this
   * computer as its resolver) is answered but not recorded.
   */
  'own-lookup': {
    arg: { name: string; phase: 'begin' | 'end'; at: number; routers: readonly string[] };
    result: null;
  };
  /**
   * Takes `count` seqs for an import after every seq handed out (and `above`); the records numbered before
   * them are handed over first. The result is the seq before them.
   */
  'capture:reserve': { arg: { count: number; above: number }; result: number };
  /** Hands over the records still in the batch, then flushes, seals and closes the journal. */
  'capture:stop': { arg: null; result: JournalEnd | null };
  /** Writes what the journal holds (an export is about to read it). */
  'capture:flush': { arg: null; result: null };
  /**
   * Exchanges observed elsewhere (dnstap in), as a RecordBatchWriter batch: journaled in order with the
   * forwarder's and sent back in the record batches like them.
   */
  observed: { arg: { buffer: ArrayBuffer; count: number }; result: null };
  /** Tests only: the thread dies by an uncaught exception ('throw') or process.exit ('exit'). */
  'test:crash': { arg: 'throw' | 'exit'; result: null };
}

export type DnsThreadRequest = {
  [K in keyof DnsThreadRequests]: {
    readonly type: 'request';
    readonly id: number;
    readonly name: K;
    readonly arg: DnsThreadRequests[K]['arg'];
  };
}[keyof DnsThreadRequests];

/** What the DNS thread sends. */
export type DnsThreadMessage =
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly error: string }
  /** A RecordBatchWriter batch (its buffer transferred), with the status as of its last record. */
  | {
      readonly type: 'records';
      readonly buffer: ArrayBuffer;
      readonly count: number;
      readonly status: DnsThreadStatus;
    }
  | { readonly type: 'warning'; readonly code: WarningCode; readonly message: string };

/** What the main thread passes when it starts the DNS thread. */
export interface DnsThreadData {
  readonly config: DnsThreadConfig;
  /**
   * [0]: batches the main thread has taken in so far. The DNS thread compares it with what it sent to keep
   * at most MAX_BATCHES_AHEAD in flight; beyond that it drops records and counts them.
   */
  readonly consumed: SharedArrayBuffer;
}

/** Record batches the DNS thread may have sent that the main thread has not taken in yet. */
export const MAX_BATCHES_AHEAD = 256;
/** A batch is sent early once it holds this many bytes. */
export const BATCH_BYTES = 1 << 20;
/**
 * The least time between two batches. A record after a quiet spell is sent at the end of the turn; records
 * within this time of the previous batch wait for the rest of it. At a household's rate nearly every query
 * was a batch of its own, and each batch wakes the main thread: waiting 100 ms cut the service's CPU at 50
 * queries/s by about a third (the main thread's share by two thirds), and 250 ms, the journal's flush period,
 * by a further fifth (1,600 → 1,300 and 1,220 → 990 ms of CPU over 30 s, alternating builds), while one query
 * alone still shows at once and the dashboard, which batches its own pushes per 200 ms, stays within half a
 * second of the queries.
 */
export const BATCH_LINGER_MS = 250;
