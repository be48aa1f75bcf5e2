import type { QueryEvent } from '@shared/events';
import type { UpstreamAnswer } from '../dns/upstream';

/**
 * What the forwarder hands to the capture for each finished exchange. The capture assigns
 * `seq`, `time` and `captureId`. The wire bytes are kept for later packet-level exports.
 */
export interface ExchangeRecord extends Omit<QueryEvent, 'seq' | 'time' | 'captureId'> {
  /** The client's query as received (client's ID). */
  readonly queryWire: Uint8Array;
  /** The response as sent to the client, or null when none was sent. */
  readonly responseWire: Uint8Array | null;
  /**
   * The answering upstream's side (dnstap's FORWARDER_QUERY/RESPONSE), absent when no upstream answered:
   * the ID the query went out with, when (epoch ms), from which local address and port, and the reply as
   * received when the client got something else (a truncated copy); else the reply is `responseWire`.
   */
  readonly forwarded?: UpstreamAnswer | null;
  /**
   * Set when the DNS thread, which writes the running capture's journal, journaled this record: the seq
   * and local time it was written with. The capture then only indexes it (capture-journal.ts).
   */
  readonly journaled?: JournalNumber;
}

/**
 * How a record was numbered in the journal: which journal (JournalSpec.serial), its seq, its local time
 * and that time's UTC offset (minutes).
 */
export interface JournalNumber {
  readonly journal: number;
  readonly seq: number;
  readonly time: string;
  readonly offset: number;
}

/** Receives finished exchanges. `record` is on the hot path: it must be cheap and must never throw. */
export interface ExchangeSink {
  record(rec: ExchangeRecord): void;
}
