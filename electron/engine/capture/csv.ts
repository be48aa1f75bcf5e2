import type { QueryEvent } from '@shared/events';

/**
 * The CSV header line (without line end). The device columns describe the client as known at export time:
 * `device` is the user's name, else the hostname, else the address. `watch_rule` is the watchlist rule the
 * name matched when it was recorded.
 */
export const CSV_HEADER =
  'timestamp,client_ip,qname,qtype,rcode,answers,latency_ms,upstream,device,mac,vendor,is_router,watch_rule';

/** RFC 4180 record separator. */
export const CSV_EOL = '\r\n';

const NEEDS_QUOTES = /[",\r\n]/;
const QUOTES = /"/g;

/**
 * One CSV field: a value a spreadsheet would run as a formula (starting with = + - @ TAB or CR) gets a
 * leading apostrophe, then fields with a comma, quote, CR or LF are quoted with inner quotes doubled
 * (RFC 4180 section 2).
 */
export function csvCell(value: string): string {
  let v = value;
  if (v.length > 0) {
    const c = v.charCodeAt(0);
    // = + - @ TAB CR
    if (c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13) v = `'${v}`;
  }
  return NEEDS_QUOTES.test(v) ? `"${v.replace(QUOTES, '""')}"` : v;
}

/** Latency as written to CSV: milliseconds with 3 decimals, "" when not a number. */
export function csvLatency(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(3) : '';
}

/** The fields of a QueryEvent that go into a CSV row. */
export type CsvFields = Pick<
  QueryEvent,
  'time' | 'client' | 'qname' | 'qtype' | 'rcode' | 'answers' | 'latencyMs' | 'upstream' | 'watchRule'
>;

/** What the CSV says about a query's client. */
export interface CsvDevice {
  /** The user's name for the device, else its hostname, else its address. */
  readonly device: string;
  readonly mac: string;
  readonly vendor: string;
  readonly isRouter: boolean;
}

/** Gives the device columns for a client address. */
export type CsvDeviceLookup = (address: string) => CsvDevice;

/** A client nothing is known about: its address names it. */
export const unknownCsvDevice: CsvDeviceLookup = (address) => ({
  device: address,
  mac: '',
  vendor: '',
  isRouter: false,
});

/** The device columns of a row (device,mac,vendor,is_router), each preceded by its comma. */
export function csvDeviceCells(d: CsvDevice): string {
  return `,${csvCell(d.device)},${csvCell(d.mac)},${csvCell(d.vendor)},${d.isRouter ? 'true' : 'false'}`;
}

/** One CSV row for `ev` in CSV_HEADER order, without line end. */
export function csvRow(ev: CsvFields, device: CsvDevice = unknownCsvDevice(ev.client)): string {
  return (
    [
      csvCell(ev.time),
      csvCell(ev.client),
      csvCell(ev.qname),
      csvCell(ev.qtype),
      csvCell(ev.rcode),
      csvCell(ev.answers),
      csvLatency(ev.latencyMs),
      csvCell(ev.upstream),
    ].join(',') +
    csvDeviceCells(device) +
    `,${csvCell(ev.watchRule)}`
  );
}

export const CSV_CHUNK_CHARS = 64 * 1024;

// Lets DNS traffic through between chunks: a long export must not stall the forwarder.
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The CSV text for `rows` (each a row without line end): header first, CRLF line ends, in chunks of
 * about `chunkChars` characters. Yields to the event loop between chunks.
 */
export function csvChunks(rows: Iterable<string>, chunkChars = CSV_CHUNK_CHARS): AsyncGenerator<string> {
  return csvChunksOf(
    (async function* () {
      yield rows;
    })(),
    chunkChars,
  );
}

/** csvChunks for rows that come in batches, each awaited (the rows of a capture read from its journal). */
export async function* csvChunksOf(
  batches: AsyncIterable<Iterable<string>>,
  chunkChars = CSV_CHUNK_CHARS,
): AsyncGenerator<string> {
  let chunk = CSV_HEADER + CSV_EOL;
  for await (const rows of batches)
    for (const row of rows) {
      chunk += row + CSV_EOL;
      if (chunk.length >= chunkChars) {
        yield chunk;
        chunk = '';
        await yieldToEventLoop();
      }
    }
  if (chunk.length > 0) yield chunk;
}
