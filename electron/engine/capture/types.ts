import type { QueryEvent } from '@shared/events';

/**
 * What the forwarder hands to the capture for each finished exchange. The capture assigns
 * `seq`, `time` and `captureId`. The wire bytes are kept for later packet-level exports.
 */
export interface ExchangeRecord extends Omit<QueryEvent, 'seq' | 'time' | 'captureId'> {
  /** The client's query as received (client's ID). */
  readonly queryWire: Uint8Array;
  /** The response as sent to the client, or null when none was sent. */
  readonly responseWire: Uint8Array | null;
}

/** Receives finished exchanges. `record` is on the hot path: it must be cheap and must never throw. */
export interface ExchangeSink {
  record(rec: ExchangeRecord): void;
}
