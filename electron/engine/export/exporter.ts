import { join } from 'node:path';
import type { ExportKind, ExportProgress, ExportRequest } from '@shared/api';
import type { CaptureInfo, DeviceInfo, EngineStatus, QueryFilter } from '@shared/events';
import { CSV_CHUNK_CHARS, CSV_EOL, CSV_HEADER } from '../capture/csv';
import { JOURNAL_FILE } from '../capture/journal';
import { dataFrames, encodeExchange, type DnstapIdentity } from '../dnstap/encode';
import { CONTROL, controlFrame, DNSTAP_CONTENT_TYPE } from '../dnstap/frame-streams';
import {
  csvDeviceOf,
  csvFilter,
  CsvRowMaker,
  journalRecord,
  parseWireLine,
  PcapMaker,
  pcapServers,
  type PcapServers,
} from './derive';
import { signWith, type InstallKey } from './install-key';
import { journalChunks, sealedLength } from './journal-read';
import { ChainVerifier, type ChainReport } from './journal-verify';
import {
  EVIDENCE_FORMAT,
  JOURNAL_DIR,
  MANIFEST_FILE,
  manifestText,
  SIGNATURE_FILE,
  type ManifestDevice,
  type ManifestEndpoint,
  type ManifestJournal,
} from './manifest';
import { addressBytes, pcapHeader } from './pcap';
import { reportHtml } from './report-html';
import { BUNDLE_FILES, buildSummary, capturesInScope, type EvidenceFacts } from './summary';
import { ZipWriter, type ZipSink } from './zip-writer';

/** What the exporter needs from the engine. */
export interface EvidenceSource {
  readonly dataDir: string;
  /** Everything the summary and report state, taken at one moment. */
  facts(): EvidenceFacts;
  /** The filtered queries as CSV chunks, header first, oldest first. */
  csv(filter: QueryFilter): AsyncIterable<string>;
  /** How many queries the filter selects. */
  count(filter: QueryFilter): number | Promise<number>;
  /** Writes every recorded query to its journal (the pcap and the bundle read journals). */
  flush(): Promise<void>;
  /** The install's signing key, made on first use. */
  installKey(): Promise<InstallKey>;
}

/** What only the desktop app can add to a bundle. */
export interface BundleOptions {
  /**
   * Prints report.html to PDF (the desktop app's printToPDF); the bundle then holds report.pdf too. A
   * rejection or null leaves it out: the PDF is a convenience, the evidence is the rest.
   */
  readonly reportPdf?: (html: string) => Promise<Uint8Array | null>;
}

/** report.pdf: report.html as printed by the desktop app. */
export const REPORT_PDF = 'report.pdf';

/** Progress events at most this often per export (plus the final one). */
const PROGRESS_MS = 100;

let exportCounter = 0;

/** What a finished bundle holds. */
export interface BundleResult {
  readonly files: readonly { readonly name: string; readonly bytes: number; readonly sha256: string }[];
  readonly csvRows: number;
  readonly journals: readonly ManifestJournal[];
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Where the bundle reads one capture's journal: up to `upTo` bytes (all when undefined). */
interface JournalCut {
  readonly capture: CaptureInfo;
  readonly path: string;
  readonly upTo: number | undefined;
}

/**
 * The evidence exports: CSV with progress, pcap from the journals' wire bytes, and the zip bundle with
 * summary, report, journals and manifest. Reports progress to its listeners; never touches the query path.
 */
export class Exporter {
  private readonly listeners = new Set<(p: ExportProgress) => void>();

  constructor(private readonly src: EvidenceSource) {}

  /** Progress of every export; returns the unsubscribe function. */
  onProgress(listener: (p: ExportProgress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The filtered queries as CSV (see capture/csv.ts), every query answered before the call included; progress
   * under `req.exportId`.
   */
  async *csv(req: ExportRequest): AsyncGenerator<string> {
    const { exportId, ...filter } = req;
    await this.src.flush();
    const t = this.tracker('csv', exportId, await this.src.count(filter));
    let header = true;
    try {
      for await (const chunk of this.src.csv(filter)) {
        t.add(countNewlines(chunk) - (header ? 1 : 0), Buffer.byteLength(chunk));
        header = false;
        yield chunk;
      }
      t.done();
    } finally {
      t.end();
    }
  }

  /**
   * The filtered DNS exchanges as a pcap file: the query and response bytes kept in the journals, with
   * made-up IP/UDP/TCP headers from the client's address and port to the address DNS Witness listens on.
   */
  async *pcap(req: ExportRequest): AsyncGenerator<Buffer> {
    const { exportId, ...filter } = req;
    const t = this.tracker('pcap', exportId, await this.src.count(filter));
    try {
      await this.src.flush();
      const facts = this.src.facts();
      const cuts = this.cuts(capturesInScope(facts.captures, filter, facts.now), false);
      for await (const chunk of this.pcapChunks(
        filter,
        pcapServers(serverAddresses(facts.status)),
        await cuts,
        (rows, bytes) => t.add(rows, bytes),
      ))
        yield chunk;
      t.done();
    } finally {
      t.end();
    }
  }

  /**
   * The filtered exchanges as a dnstap file (Frame Streams START, one data frame per message, STOP), which
   * `dnstap -r` and dnstap-ldns read: CLIENT_QUERY and CLIENT_RESPONSE with the client's address and port and
   * the bytes the journals keep. The journal does not keep our upstream query ID, so the forwarder side is
   * only in the live output.
   */
  async *dnstap(req: ExportRequest, identity: DnstapIdentity): AsyncGenerator<Buffer> {
    const { exportId: _exportId, ...filter } = req;
    await this.src.flush();
    const facts = this.src.facts();
    yield controlFrame(CONTROL.START, [DNSTAP_CONTENT_TYPE]);
    const needle = filter.name ? filter.name.toLowerCase() : '';
    const from = filter.from ?? Number.NEGATIVE_INFINITY;
    const to = filter.to ?? Number.POSITIVE_INFINITY;
    for (const c of capturesInScope(facts.captures, filter, facts.now)) {
      const path = join(this.src.dataDir, 'captures', c.id, JOURNAL_FILE);
      for await (const chunk of journalChunks(path)) {
        const messages: Uint8Array[] = [];
        for (const line of chunk.lines) {
          if (line[2] !== 0x73) continue;
          const ev = parseWireLine(line.toString('utf8'));
          if (ev === null || ev.ts < from || ev.ts >= to) continue;
          if (filter.client && ev.client !== filter.client) continue;
          if (needle && !ev.qname.toLowerCase().includes(needle)) continue;
          encodeExchange(
            {
              ts: ev.ts,
              client: ev.client,
              clientPort: ev.clientPort || 0,
              transport: ev.transport === 'tcp' ? 'tcp' : 'udp',
              qname: ev.qname,
              qtype: '',
              rcode: '',
              answers: '',
              latencyMs: typeof ev.latencyMs === 'number' ? ev.latencyMs : 0,
              upstream: '',
              size: 0,
              error: '',
              watchRule: '',
              queryWire: Buffer.from(ev.q, 'base64'),
              responseWire: typeof ev.r === 'string' ? Buffer.from(ev.r, 'base64') : null,
            },
            identity,
            messages,
            false,
          );
        }
        if (messages.length > 0) yield dataFrames(messages);
      }
    }
    yield controlFrame(CONTROL.STOP);
  }

  /**
   * Writes the evidence bundle to `sink`: queries.csv, dns.pcap, journal/<capture>.ndjson for every capture
   * the filter reaches, dashboard.png when given, summary.json, report.html, report.pdf when `opts` can
   * print it, and manifest.json.
   */
  async bundle(
    req: ExportRequest,
    screenshot: Uint8Array | null,
    sink: ZipSink,
    opts: BundleOptions = {},
  ): Promise<BundleResult> {
    const { exportId, ...filter } = req;
    // First, so a key that cannot be made or read stops the export before any work.
    const key = await this.src.installKey();
    await this.src.flush();
    const live = this.src.facts();
    // Each client looked up once, so the CSV, the manifest's device table and the summary agree.
    const known = new Map<string, DeviceInfo>();
    const device = (address: string): DeviceInfo => {
      let d = known.get(address);
      if (d === undefined) {
        d = live.device(address);
        known.set(address, d);
      }
      return d;
    };
    const facts: EvidenceFacts = { ...live, device };
    const total = await this.src.count(filter);
    const t = this.tracker('bundle', exportId, total * 2);
    try {
      const zip = new ZipWriter(sink, new Date(facts.now));
      const scope = capturesInScope(facts.captures, filter, facts.now);
      // A running capture's journal is cut after its last seal; the CSV, the pcap and the journal copy all
      // stop there, so verify can derive the first two from the third (derive.ts).
      const cuts = await this.cuts(scope, true);
      let csvRows = 0;
      const csvClients = new Set<string>();
      const match = csvFilter(filter);
      const maker = new CsvRowMaker((address) => csvDeviceOf(device(address)));
      await zip.add(
        BUNDLE_FILES.csv,
        (async function* () {
          let chunk = CSV_HEADER + CSV_EOL;
          let rows = 0;
          for (const cut of cuts) {
            for await (const part of journalChunks(cut.path, cut.upTo)) {
              for (const line of part.lines) {
                const ev = journalRecord(line);
                if (ev === null || !match(ev)) continue;
                csvClients.add(ev.client);
                chunk += maker.row(ev) + CSV_EOL;
                rows++;
              }
              if (chunk.length >= CSV_CHUNK_CHARS) {
                const bytes = Buffer.from(chunk, 'utf8');
                t.add(rows, bytes.length);
                csvRows += rows;
                rows = 0;
                chunk = '';
                yield bytes;
              }
            }
          }
          const bytes = Buffer.from(chunk, 'utf8');
          t.add(rows, bytes.length);
          csvRows += rows;
          if (bytes.length > 0) yield bytes;
        })(),
      );
      let packets = 0;
      let exchanges = 0;
      const servers = serverAddresses(facts.status);
      await zip.add(
        BUNDLE_FILES.pcap,
        this.pcapChunks(filter, pcapServers(servers), cuts, (rows, bytes, n) => {
          exchanges += rows;
          packets += n;
          t.add(rows, bytes);
        }),
      );
      const journals = new Map<string, { file: string; chain: ChainReport; running: boolean }>();
      for (const cut of cuts) {
        const file = `${JOURNAL_DIR}${cut.capture.id}.ndjson`;
        const verifier = new ChainVerifier();
        await zip.add(
          file,
          (async function* () {
            for await (const chunk of journalChunks(cut.path, cut.upTo)) {
              for (const line of chunk.lines) verifier.line(line);
              t.add(0, chunk.bytes.length);
              yield chunk.bytes;
            }
          })(),
        );
        journals.set(cut.capture.id, {
          file,
          chain: verifier.finish(),
          running: cut.capture.state === 'running',
        });
      }
      if (screenshot) await zip.add(BUNDLE_FILES.png, screenshot, false);
      const summaryWith = (pdf: boolean) =>
        buildSummary(facts, filter, {
          csvRows,
          pcapExchanges: exchanges,
          pcapPackets: packets,
          journals,
          screenshot: screenshot !== null,
          files: [
            ...zip.entries.map((e) => e.name),
            'summary.json',
            'report.html',
            ...(pdf ? [REPORT_PDF] : []),
            MANIFEST_FILE,
            SIGNATURE_FILE,
          ],
          fingerprint: key.fingerprint,
        });
      // The PDF is printed from the report that lists it; if printing fails, both are made again without.
      let summary = summaryWith(opts.reportPdf !== undefined);
      let html = reportHtml(summary);
      const pdf = opts.reportPdf ? await opts.reportPdf(html).catch(() => null) : null;
      if (opts.reportPdf && pdf === null) {
        summary = summaryWith(false);
        html = reportHtml(summary);
      }
      await zip.add('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
      await zip.add('report.html', html);
      if (pdf !== null) await zip.add(REPORT_PDF, pdf);
      const manifestJournals: ManifestJournal[] = [...journals].map(([capture, j]) => ({
        file: j.file,
        capture,
        chain: j.chain.state,
        records: j.chain.records,
        blocks: j.chain.blocks,
        head: j.chain.head,
        sealed: j.chain.sealed,
        closed: j.chain.closed,
        running: j.running,
      }));
      const csvDevices: Record<string, ManifestDevice> = {};
      for (const address of [...csvClients].sort()) {
        const d = csvDeviceOf(device(address));
        csvDevices[address] = { device: d.device, mac: d.mac, vendor: d.vendor, is_router: d.isRouter };
      }
      const manifest = manifestText({
        format: EVIDENCE_FORMAT,
        generated_at: summary.generated_at,
        algorithm: 'SHA-256',
        files: zip.entries.map((e) => ({ name: e.name, bytes: e.bytes, sha256: e.sha256 })),
        journals: manifestJournals,
        derived: { filter, pcap_servers: servers, csv_devices: csvDevices },
        signed_by: {
          algorithm: 'Ed25519',
          public_key: key.publicKey.toString('base64'),
          fingerprint: key.fingerprint,
        },
      });
      await zip.add(MANIFEST_FILE, manifest);
      await zip.add(SIGNATURE_FILE, `${signWith(key, Buffer.from(manifest, 'utf8'))}\n`);
      await zip.finish();
      t.done();
      return { files: zip.entries, csvRows, journals: manifestJournals };
    } catch (err) {
      t.fail(err);
      throw err;
    } finally {
      t.end();
    }
  }

  /** Where to read each capture's journal; with `cutRunning`, a running capture's ends at its last seal. */
  private async cuts(scope: readonly CaptureInfo[], cutRunning: boolean): Promise<JournalCut[]> {
    const out: JournalCut[] = [];
    for (const capture of scope) {
      const path = join(this.src.dataDir, 'captures', capture.id, JOURNAL_FILE);
      const upTo = cutRunning && capture.state === 'running' ? await sealedLength(path) : undefined;
      out.push({ capture, path, upTo });
    }
    return out;
  }

  private async *pcapChunks(
    filter: QueryFilter,
    servers: PcapServers,
    cuts: readonly JournalCut[],
    progress: (rows: number, bytes: number, packets: number) => void,
  ): AsyncGenerator<Buffer> {
    const header = pcapHeader();
    progress(0, header.length, 0);
    yield header;
    const maker = new PcapMaker(filter, servers);
    for (const cut of cuts) {
      for await (const chunk of journalChunks(cut.path, cut.upTo)) {
        const out: Buffer[] = [];
        let rows = 0;
        for (const line of chunk.lines) {
          const r = maker.records(line);
          if (r === null) continue;
          rows++;
          out.push(...r.packets);
        }
        if (out.length === 0) continue;
        const buf = Buffer.concat(out);
        progress(rows, buf.length, out.length);
        yield buf;
      }
    }
  }

  private tracker(kind: ExportKind, exportId: string | undefined, total: number) {
    const id = exportId ?? `${kind}-${++exportCounter}`;
    let rows = 0;
    let bytes = 0;
    let last = 0;
    let finished = false;
    const emit = (state: ExportProgress['state'], message = ''): void => {
      const p: ExportProgress = {
        exportId: id,
        kind,
        state,
        rows: Math.min(rows, total || rows),
        total,
        bytes,
        message,
      };
      for (const l of this.listeners) {
        try {
          l(p);
        } catch {
          // A failing listener must not break the export.
        }
      }
    };
    emit('running');
    return {
      add: (r: number, b: number): void => {
        rows += r;
        bytes += b;
        const now = Date.now();
        if (now - last >= PROGRESS_MS) {
          last = now;
          emit('running');
        }
      },
      done: (): void => {
        finished = true;
        emit('done');
      },
      fail: (err: unknown): void => {
        if (finished) return;
        finished = true;
        emit('failed', err instanceof Error ? err.message : String(err));
      },
      /** Ends the export: a generator closed early or an error is reported as failed. */
      end: (): void => {
        if (!finished) emit('failed', 'the export stopped before it was complete');
        finished = true;
      },
    };
  }
}

/** Where the made-up packets go: the first address DNS Witness listens on, per IP version. */
export function serverAddresses(status: EngineStatus): { v4: ManifestEndpoint; v6: ManifestEndpoint } {
  let v4: ManifestEndpoint | null = null;
  let v6: ManifestEndpoint | null = null;
  for (const l of status.listeners) {
    if (l.state !== 'listening') continue;
    const address = addressBytes(l.address);
    if (address === null) continue;
    if (address.length === 4) v4 ??= { address: l.address, port: l.port };
    else v6 ??= { address: l.address, port: l.port };
  }
  return { v4: v4 ?? { address: '0.0.0.0', port: 53 }, v6: v6 ?? { address: '::', port: 53 } };
}
