import type { FileHandle } from 'node:fs/promises';
import { CSV_HEADER, type CsvDevice } from '../capture/csv';
import { csvFilter, CsvRowMaker, journalRecord, PcapMaker, pcapServers } from './derive';
import type { Manifest, ManifestDerivation } from './manifest';
import { pcapHeader } from './pcap';
import { BUNDLE_FILES } from './summary';
import { readZipEntry, type ZipListing } from './zip-reader';

/** A difference between a derived file and the bundle's copy (verify.ts turns it into a MISMATCH line). */
export interface DerivedProblem {
  readonly file: string;
  readonly text: string;
}

/** Lines of a zip entry (split at LF, without it), as bytes. */
async function* entryLines(fh: FileHandle, entry: ZipListing): AsyncGenerator<Buffer> {
  let carry: Buffer | null = null;
  for await (const chunk of readZipEntry(fh, entry)) {
    const data: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
      yield data.subarray(start, nl);
      start = nl + 1;
    }
    carry = start < data.length ? Buffer.from(data.subarray(start)) : null;
  }
  if (carry) yield carry;
}

/** The journals' lines, in the manifest's order (the order the exporter read the captures in). */
async function* journalLines(
  fh: FileHandle,
  manifest: Manifest,
  entries: ReadonlyMap<string, ZipListing>,
): AsyncGenerator<Buffer> {
  for (const j of manifest.journals) {
    const entry = entries.get(j.file);
    if (entry) yield* entryLines(fh, entry);
  }
}

/**
 * The records of a CSV file (RFC 4180 as csv.ts writes it: CRLF after every record, quoted fields may hold
 * line breaks), each without its CRLF.
 */
async function* csvRecords(fh: FileHandle, entry: ZipListing): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let quoted = false;
  let scanned = 0;
  const take = function* (): Generator<string> {
    let start = 0;
    for (let i = scanned; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) quoted = !quoted;
      else if (c === 13 && !quoted && text.charCodeAt(i + 1) === 10) {
        yield text.slice(start, i);
        start = i + 2;
        i++;
      } else if (c === 13 && !quoted && i + 1 === text.length) {
        // The LF may come with the next chunk: look at this CR again then.
        text = text.slice(start);
        scanned = text.length - 1;
        return;
      }
    }
    text = text.slice(start);
    scanned = text.length;
  };
  for await (const chunk of readZipEntry(fh, entry)) {
    text += decoder.decode(chunk, { stream: true });
    yield* take();
  }
  text += decoder.decode();
  yield* take();
  if (text.length > 0) yield text;
}

/** The fields of one CSV record, unquoted. */
function csvFields(record: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < record.length; i++) {
    const c = record[i]!;
    if (quoted) {
      if (c === '"' && record[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

const COLUMNS = CSV_HEADER.split(',');
/** The CSV columns that describe the device as known at export time, not a journal field. */
const DEVICE_COLUMNS = new Set([8, 9, 10, 11]);
const MAX_LINES = 5;

function quote(v: string | undefined): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…"` : s;
}

/** Collects the problems of one file, a few named and the rest counted. */
class Problems {
  readonly list: DerivedProblem[] = [];
  private more = 0;

  constructor(private readonly file: string) {}

  add(text: string): void {
    if (this.list.length < MAX_LINES) this.list.push({ file: this.file, text });
    else this.more++;
  }

  done(): DerivedProblem[] {
    if (this.more > 0)
      this.list.push({ file: this.file, text: `and ${this.more} more differences like those above` });
    return this.list;
  }
}

/**
 * queries.csv against the rows the sealed journal records give for the export's filter: the journal's
 * columns (time, client, name, type, rcode, answers, latency, upstream, watch rule) must match exactly; the
 * device columns (device, mac, vendor, is_router) must match the device table of the signed manifest.
 */
async function checkCsv(
  fh: FileHandle,
  manifest: Manifest,
  derived: ManifestDerivation,
  entries: ReadonlyMap<string, ZipListing>,
): Promise<DerivedProblem[]> {
  const file = BUNDLE_FILES.csv;
  const entry = entries.get(file);
  const problems = new Problems(file);
  if (!entry) return problems.done();
  const devices = derived.csv_devices;
  const device = (address: string): CsvDevice => {
    const d = Object.hasOwn(devices, address) ? devices[address] : undefined;
    return d
      ? { device: d.device, mac: d.mac, vendor: d.vendor, isRouter: d.is_router }
      : { device: address, mac: '', vendor: '', isRouter: false };
  };
  const match = csvFilter(derived.filter);
  const maker = new CsvRowMaker(device);
  const actual = csvRecords(fh, entry);
  const header = await actual.next();
  if (header.done || header.value !== CSV_HEADER) problems.add(`the header is not ${quote(CSV_HEADER)}`);
  let row = 0;
  let extra = 0;
  let missing = 0;
  let firstMissing = 0;
  for await (const line of journalLines(fh, manifest, entries)) {
    const ev = journalRecord(line);
    if (ev === null || !match(ev)) continue;
    row++;
    const expected = maker.row(ev);
    const got = await actual.next();
    if (got.done) {
      if (missing++ === 0) firstMissing = ev.seq;
      continue;
    }
    if (got.value === expected) continue;
    const want = csvFields(expected);
    const have = csvFields(got.value);
    const journalCols = COLUMNS.filter((_, i) => !DEVICE_COLUMNS.has(i) && have[i] !== want[i]);
    const deviceCols = COLUMNS.filter((_, i) => DEVICE_COLUMNS.has(i) && have[i] !== want[i]);
    if (journalCols.length > 0 || have.length !== want.length) {
      const col = journalCols[0] ?? 'the number of fields';
      const i = COLUMNS.indexOf(col);
      problems.add(
        `row ${row} does not match sealed record ${ev.seq}: ${col} is ${quote(have[i])}, the journal says ${quote(want[i])}`,
      );
    } else
      problems.add(
        `row ${row} (${ev.client}): ${deviceCols.join(', ')} ${quote(have[COLUMNS.indexOf(deviceCols[0]!)])} differs from the device table in the signed manifest (${quote(want[COLUMNS.indexOf(deviceCols[0]!)])})`,
      );
  }
  for await (const _ of actual) extra++;
  if (missing > 0)
    problems.add(
      `lacks ${missing} rows the sealed journal gives for the export's filter, from record ${firstMissing} on`,
    );
  if (extra > 0) problems.add(`has ${extra} rows after the last one the sealed journal gives`);
  return problems.done();
}

/** Reads a pcap entry's file header and then one record (16-byte header + packet) at a time. */
class PcapReader {
  private buf = Buffer.alloc(0);
  private readonly chunks: AsyncGenerator<Buffer>;

  constructor(fh: FileHandle, entry: ZipListing) {
    this.chunks = readZipEntry(fh, entry);
  }

  /** The next `n` bytes, or what is left (shorter) at the end. */
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      const next = await this.chunks.next();
      if (next.done) break;
      this.buf = Buffer.concat([this.buf, next.value]);
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  /** The next record, or null at the end. */
  async record(): Promise<Buffer | null> {
    const head = await this.take(16);
    if (head.length === 0) return null;
    if (head.length < 16) return head;
    const body = await this.take(head.readUInt32LE(8));
    return Buffer.concat([head, body]);
  }
}

/** dns.pcap against the packets the sealed journal records give for the export's filter, byte for byte. */
async function checkPcap(
  fh: FileHandle,
  manifest: Manifest,
  derived: ManifestDerivation,
  entries: ReadonlyMap<string, ZipListing>,
): Promise<DerivedProblem[]> {
  const file = BUNDLE_FILES.pcap;
  const entry = entries.get(file);
  const problems = new Problems(file);
  if (!entry) return problems.done();
  const reader = new PcapReader(fh, entry);
  if (!(await reader.take(24)).equals(pcapHeader()))
    problems.add('its file header is not the one DNS Witness writes');
  const maker = new PcapMaker(derived.filter, pcapServers(derived.pcap_servers));
  let packet = 0;
  let missing = 0;
  let firstMissing = 0;
  for await (const line of journalLines(fh, manifest, entries)) {
    const r = maker.records(line);
    if (r === null) continue;
    for (const want of r.packets) {
      packet++;
      const got = await reader.record();
      if (got === null) {
        if (missing++ === 0) firstMissing = r.seq;
      } else if (!got.equals(want))
        problems.add(`packet ${packet} differs from what sealed record ${r.seq} gives`);
    }
  }
  let extra = 0;
  while ((await reader.record()) !== null) extra++;
  if (missing > 0)
    problems.add(
      `lacks ${missing} packets the sealed journal gives for the export's filter, from record ${firstMissing} on`,
    );
  if (extra > 0) problems.add(`has ${extra} packets after the last one the sealed journal gives`);
  return problems.done();
}

/** Derives queries.csv and dns.pcap from the bundle's journals again and names where the copies differ. */
export async function checkDerived(
  fh: FileHandle,
  manifest: Manifest,
  derived: ManifestDerivation,
  entries: ReadonlyMap<string, ZipListing>,
): Promise<DerivedProblem[]> {
  return [
    ...(await checkCsv(fh, manifest, derived, entries)),
    ...(await checkPcap(fh, manifest, derived, entries)),
  ];
}
