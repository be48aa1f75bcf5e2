import { deviceLabel } from '@shared/devices';
import type { DeviceInfo, QueryFilter } from '@shared/events';
import type { StoredEvent } from '../capture/columns';
import { csvCell, csvDeviceCells, csvLatency, type CsvDevice } from '../capture/csv';
import { parseJournalLine } from '../capture/journal';
import { LocalTimeFormatter } from '../capture/local-time';
import type { ManifestEndpoint } from './manifest';
import { addressBytes, exchangeRecords, type Endpoint, type IpIds } from './pcap';

/**
 * How the bundle's CSV and pcap follow from the sealed journal records: the exporter writes them with these
 * functions and verify derives them again with the same ones, so any difference is a change to a file, not
 * a second implementation drifting.
 */

/** True for a journal line holding a record ('{"s'); seals start '{"c', loss lines '{"l'. */
export function isRecordBytes(line: Uint8Array): boolean {
  return line.length > 10 && line[0] === 0x7b && line[1] === 0x22 && line[2] === 0x73;
}

/**
 * The CSV's filter on journal records, as CaptureSegment.compile applies it to the columns: client exact,
 * name case-insensitive substring, from inclusive, to exclusive, watched or one rule. (The capture id is
 * applied by choosing the journals.)
 */
export function csvFilter(filter: QueryFilter): (ev: StoredEvent) => boolean {
  const from = filter.from ?? Number.NEGATIVE_INFINITY;
  const to = filter.to ?? Number.POSITIVE_INFINITY;
  const needle = filter.name ? filter.name.toLowerCase() : '';
  const rules = Boolean(filter.watched || filter.rule);
  return (ev) =>
    ev.ts >= from &&
    ev.ts < to &&
    (!filter.client || ev.client === filter.client) &&
    (!needle || ev.qname.toLowerCase().includes(needle)) &&
    (!rules || (ev.watchRule !== '' && (!filter.rule || ev.watchRule === filter.rule)));
}

/** Makes CSV rows (without line end) from journal records, in CSV_HEADER order. */
export class CsvRowMaker {
  private readonly times = new LocalTimeFormatter();
  private readonly devices = new Map<string, string>();

  constructor(private readonly device: (address: string) => CsvDevice) {}

  row(ev: StoredEvent): string {
    let cells = this.devices.get(ev.client);
    if (cells === undefined) {
      cells = csvDeviceCells(this.device(ev.client));
      this.devices.set(ev.client, cells);
    }
    return (
      `${csvCell(this.times.format(ev.ts, ev.offset))},${csvCell(ev.client)},${csvCell(ev.qname)},` +
      `${csvCell(ev.qtype)},${csvCell(ev.rcode)},${csvCell(ev.answers)},${csvLatency(ev.latencyMs)},` +
      `${csvCell(ev.upstream)}${cells},${csvCell(ev.watchRule)}`
    );
  }
}

/** The record of a journal line, or null for seals, loss lines and damaged lines. */
export function journalRecord(line: Uint8Array): StoredEvent | null {
  if (!isRecordBytes(line)) return null;
  return parseJournalLine(Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8'));
}

/** One journal line as the pcap and the dnstap file need it. */
interface WireLine {
  seq: number;
  ts: number;
  client: string;
  clientPort: number;
  transport: 'udp' | 'tcp';
  qname: string;
  latencyMs: number;
  q: string;
  r?: string;
}

export function parseWireLine(text: string): WireLine | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const o = v as Partial<WireLine>;
  if (typeof o !== 'object' || o === null || typeof o.seq !== 'number' || typeof o.q !== 'string')
    return null;
  if (typeof o.ts !== 'number' || typeof o.client !== 'string' || typeof o.qname !== 'string') return null;
  return o as WireLine;
}

/** Where the made-up packets go: the address DNS Witness listened on, per IP version. */
export interface PcapServers {
  readonly v4: Endpoint;
  readonly v6: Endpoint;
}

/**
 * Turns journal lines into pcap records for the pcap's filter (time, client, name: the pcap export has
 * always ignored the watchlist filters). One maker per file: it numbers the IPv4 packets it makes.
 */
export class PcapMaker {
  private readonly from: number;
  private readonly to: number;
  private readonly needle: string;
  private readonly clientBytes = new Map<string, Uint8Array | null>();
  private readonly ids: IpIds = { value: 0 };

  constructor(
    private readonly filter: QueryFilter,
    private readonly servers: PcapServers,
  ) {
    this.from = filter.from ?? Number.NEGATIVE_INFINITY;
    this.to = filter.to ?? Number.POSITIVE_INFINITY;
    this.needle = filter.name ? filter.name.toLowerCase() : '';
  }

  /** The pcap records of one journal line with its seq; null when the line gives none. */
  records(line: Uint8Array): { readonly seq: number; readonly packets: Buffer[] } | null {
    if (!isRecordBytes(line)) return null;
    const ev = parseWireLine(Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8'));
    if (ev === null || ev.ts < this.from || ev.ts >= this.to) return null;
    if (this.filter.client && ev.client !== this.filter.client) return null;
    if (this.needle && !ev.qname.toLowerCase().includes(this.needle)) return null;
    let address = this.clientBytes.get(ev.client);
    if (address === undefined) {
      address = addressBytes(ev.client);
      this.clientBytes.set(ev.client, address);
    }
    if (address === null) return null;
    const server = address.length === 4 ? this.servers.v4 : this.servers.v6;
    const packets = exchangeRecords(
      {
        ts: ev.ts,
        latencyMs: typeof ev.latencyMs === 'number' ? ev.latencyMs : 0,
        transport: ev.transport === 'tcp' ? 'tcp' : 'udp',
        client: { address, port: ev.clientPort || 0 },
        server,
        query: Buffer.from(ev.q, 'base64'),
        response: typeof ev.r === 'string' ? Buffer.from(ev.r, 'base64') : null,
      },
      this.ids,
    );
    return packets.length === 0 ? null : { seq: ev.seq, packets };
  }
}

/** The CSV's device columns for what the registry knows about a client. */
export function csvDeviceOf(d: DeviceInfo): CsvDevice {
  return { device: deviceLabel(d), mac: d.mac, vendor: d.vendor, isRouter: d.isRouter };
}

/** The endpoints as bytes; an address that does not parse counts as all zeros. */
export function pcapServers(s: {
  readonly v4: ManifestEndpoint;
  readonly v6: ManifestEndpoint;
}): PcapServers {
  return {
    v4: { address: addressBytes(s.v4.address) ?? new Uint8Array(4), port: s.v4.port },
    v6: { address: addressBytes(s.v6.address) ?? new Uint8Array(16), port: s.v6.port },
  };
}
