import { join } from 'node:path';
import type { ExportKind, ExportProgress, ExportRequest } from '@shared/api';
import type { EngineStatus, QueryFilter } from '@shared/events';
import { JOURNAL_FILE } from '../capture/journal';
import { journalChunks } from './journal-read';
import { ChainVerifier, type ChainReport } from './journal-verify';
import { EVIDENCE_FORMAT, JOURNAL_DIR, MANIFEST_FILE, manifestText, type ManifestJournal } from './manifest';
import { addressBytes, exchangeRecords, pcapHeader, type Endpoint } from './pcap';
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
  count(filter: QueryFilter): number;
  /** Writes every recorded query to its journal (the pcap and the bundle read journals). */
  flush(): Promise<void>;
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

/** One journal line as the pcap needs it; null for seals and damaged lines. */
interface WireLine {
  ts: number;
  client: string;
  clientPort: number;
  transport: 'udp' | 'tcp';
  qname: string;
  latencyMs: number;
  q: string;
  r?: string;
}

function parseWireLine(text: string): WireLine | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const o = v as Partial<WireLine> & { seq?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.seq !== 'number' || typeof o.q !== 'string')
    return null;
  if (typeof o.ts !== 'number' || typeof o.client !== 'string' || typeof o.qname !== 'string') return null;
  return o as WireLine;
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

  /** The filtered queries as CSV (see capture/csv.ts), reporting progress under `req.exportId`. */
  async *csv(req: ExportRequest): AsyncGenerator<string> {
    const { exportId, ...filter } = req;
    const t = this.tracker('csv', exportId, this.src.count(filter));
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
    const t = this.tracker('pcap', exportId, this.src.count(filter));
    try {
      for await (const chunk of this.pcapChunks(filter, this.src.facts(), (rows, bytes) =>
        t.add(rows, bytes),
      ))
        yield chunk;
      t.done();
    } finally {
      t.end();
    }
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
    await this.src.flush();
    const facts = this.src.facts();
    const total = this.src.count(filter);
    const t = this.tracker('bundle', exportId, total * 2);
    try {
      const zip = new ZipWriter(sink, new Date(facts.now));
      let csvRows = 0;
      let header = true;
      const src = this.src;
      await zip.add(
        BUNDLE_FILES.csv,
        (async function* () {
          for await (const chunk of src.csv(filter)) {
            const rows = countNewlines(chunk) - (header ? 1 : 0);
            header = false;
            csvRows += rows;
            const bytes = Buffer.from(chunk, 'utf8');
            t.add(rows, bytes.length);
            yield bytes;
          }
        })(),
      );
      let packets = 0;
      let exchanges = 0;
      await zip.add(
        BUNDLE_FILES.pcap,
        this.pcapChunks(filter, facts, (rows, bytes, n) => {
          exchanges += rows;
          packets += n;
          t.add(rows, bytes);
        }),
      );
      const scope = capturesInScope(facts.captures, filter, facts.now);
      const journals = new Map<string, { file: string; chain: ChainReport }>();
      for (const c of scope) {
        const file = `${JOURNAL_DIR}${c.id}.ndjson`;
        const verifier = new ChainVerifier();
        await zip.add(
          file,
          (async function* () {
            for await (const chunk of journalChunks(join(src.dataDir, 'captures', c.id, JOURNAL_FILE))) {
              for (const line of chunk.lines) verifier.line(line);
              t.add(0, chunk.bytes.length);
              yield chunk.bytes;
            }
          })(),
        );
        journals.set(c.id, { file, chain: verifier.finish() });
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
          ],
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
      }));
      await zip.add(
        MANIFEST_FILE,
        manifestText({
          format: EVIDENCE_FORMAT,
          generated_at: summary.generated_at,
          algorithm: 'SHA-256',
          files: zip.entries.map((e) => ({ name: e.name, bytes: e.bytes, sha256: e.sha256 })),
          journals: manifestJournals,
        }),
      );
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

  private async *pcapChunks(
    filter: QueryFilter,
    facts: EvidenceFacts,
    progress: (rows: number, bytes: number, packets: number) => void,
  ): AsyncGenerator<Buffer> {
    await this.src.flush();
    const servers = serverEndpoints(facts.status);
    const header = pcapHeader();
    progress(0, header.length, 0);
    yield header;
    const needle = filter.name ? filter.name.toLowerCase() : '';
    const from = filter.from ?? Number.NEGATIVE_INFINITY;
    const to = filter.to ?? Number.POSITIVE_INFINITY;
    const clientBytes = new Map<string, Uint8Array | null>();
    for (const c of capturesInScope(facts.captures, filter, facts.now)) {
      const path = join(this.src.dataDir, 'captures', c.id, JOURNAL_FILE);
      for await (const chunk of journalChunks(path)) {
        const out: Buffer[] = [];
        let rows = 0;
        for (const line of chunk.lines) {
          // Seal lines start with {"c; only event lines carry packets.
          if (line[2] !== 0x73) continue;
          const ev = parseWireLine(line.toString('utf8'));
          if (ev === null || ev.ts < from || ev.ts >= to) continue;
          if (filter.client && ev.client !== filter.client) continue;
          if (needle && !ev.qname.toLowerCase().includes(needle)) continue;
          let address = clientBytes.get(ev.client);
          if (address === undefined) {
            address = addressBytes(ev.client);
            clientBytes.set(ev.client, address);
          }
          if (address === null) continue;
          const server = address.length === 4 ? servers.v4 : servers.v6;
          const records = exchangeRecords({
            ts: ev.ts,
            latencyMs: typeof ev.latencyMs === 'number' ? ev.latencyMs : 0,
            transport: ev.transport === 'tcp' ? 'tcp' : 'udp',
            client: { address, port: ev.clientPort || 0 },
            server,
            query: Buffer.from(ev.q, 'base64'),
            response: typeof ev.r === 'string' ? Buffer.from(ev.r, 'base64') : null,
          });
          if (records.length === 0) continue;
          rows++;
          out.push(...records);
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
function serverEndpoints(status: EngineStatus): { v4: Endpoint; v6: Endpoint } {
  let v4: Endpoint | null = null;
  let v6: Endpoint | null = null;
  for (const l of status.listeners) {
    if (l.state !== 'listening') continue;
    const address = addressBytes(l.address);
    if (address === null) continue;
    if (address.length === 4) v4 ??= { address, port: l.port };
    else v6 ??= { address, port: l.port };
  }
  return {
    v4: v4 ?? { address: new Uint8Array(4), port: 53 },
    v6: v6 ?? { address: new Uint8Array(16), port: 53 },
  };
}
