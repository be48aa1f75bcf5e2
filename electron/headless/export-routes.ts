import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ExportRequest } from '@shared/api';
import { BUNDLE_PATH, CSV_PATH, DNSTAP_PATH, PCAP_PATH, SCREENSHOT_PATH } from '@shared/http-protocol';
import { exportRequestSchema } from '@shared/schemas';
import { exportFileName } from '@shared/export-name';
import type { EngineHandle } from '../engine/types';

/** A dashboard PNG posted for the next bundle download; kept briefly, a few at most. */
const SCREENSHOT_MAX_BYTES = 32 * 1024 * 1024;
const SCREENSHOT_TTL_MS = 10 * 60_000;
const SCREENSHOTS_KEPT = 4;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function sendError(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error: message }));
}

function attachment(res: http.ServerResponse, type: string, name: string): void {
  res.writeHead(200, {
    'content-type': type,
    'content-disposition': `attachment; filename="${name}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
}

/**
 * The headless service's downloads: GET CSV_PATH, PCAP_PATH and BUNDLE_PATH take the filter parameters of
 * /api/queries (parsed by `parseFilter`) plus `exportId`; POST SCREENSHOT_PATH keeps a dashboard PNG for
 * the bundle. Downloads stream with back-pressure and stop when the client goes away.
 */
export class ExportRoutes {
  private readonly screenshots = new Map<string, { png: Buffer; expires: number }>();

  constructor(
    private readonly engine: EngineHandle,
    private readonly parseFilter: (params: URLSearchParams) => ExportRequest,
  ) {}

  /** Whether `pathname` is one of the export routes (then handle() answers it). */
  static owns(pathname: string): boolean {
    return [CSV_PATH, PCAP_PATH, DNSTAP_PATH, BUNDLE_PATH, SCREENSHOT_PATH].includes(pathname);
  }

  /** Answers an export route. `sameOrigin` says the request may change state (the screenshot upload). */
  async handle(
    pathname: string,
    url: URL,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    sameOrigin: boolean,
  ): Promise<void> {
    if (pathname === SCREENSHOT_PATH) {
      if (req.method !== 'POST') return sendError(res, 405, 'use POST');
      if (!sameOrigin) return sendError(res, 403, 'cross-origin request refused');
      return this.keepScreenshot(req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'method not allowed');
    let filter: ExportRequest;
    try {
      filter = this.request(url.searchParams);
    } catch (err) {
      return sendError(res, 400, (err as Error).message);
    }
    const now = Date.now();
    if (pathname === CSV_PATH) {
      attachment(res, 'text/csv; charset=utf-8', exportFileName('csv', filter, now));
      if (req.method === 'HEAD') return void res.end();
      return this.stream(this.engine.csv(filter), res);
    }
    if (pathname === PCAP_PATH) {
      attachment(res, 'application/vnd.tcpdump.pcap', exportFileName('pcap', filter, now));
      if (req.method === 'HEAD') return void res.end();
      return this.stream(this.engine.pcap(filter), res);
    }
    if (pathname === DNSTAP_PATH) {
      attachment(res, 'application/octet-stream', exportFileName('dnstap', filter, now));
      if (req.method === 'HEAD') return void res.end();
      return this.stream(this.engine.dnstap(filter), res);
    }
    let screenshot: Buffer | null = null;
    const token = url.searchParams.get('screenshot');
    if (token) {
      screenshot = this.takeScreenshot(token);
      if (screenshot === null) return sendError(res, 404, 'screenshot: unknown or expired token');
    }
    attachment(res, 'application/zip', exportFileName('bundle', filter, now));
    if (req.method === 'HEAD') return void res.end();
    let gone = false;
    res.on('close', () => (gone = true));
    const sink = async (chunk: Uint8Array): Promise<void> => {
      if (gone) throw new Error('the client went away');
      if (!res.write(chunk))
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
    };
    try {
      await this.engine.bundle(filter, screenshot, sink);
      res.end();
    } catch {
      // Headers are sent: cutting the connection is the only way left to say the zip is incomplete.
      res.destroy();
    }
  }

  private request(params: URLSearchParams): ExportRequest {
    const base = this.parseFilter(params);
    const { offset: _o, limit: _l, ...filter } = base as ExportRequest & { offset?: number; limit?: number };
    const exportId = params.get('exportId');
    const r = exportRequestSchema.safeParse(exportId ? { ...filter, exportId } : filter);
    if (!r.success) throw new Error(`exportId: ${r.error.issues[0]?.message ?? 'invalid'}`);
    return r.data;
  }

  private async stream(source: AsyncIterable<string | Uint8Array>, res: http.ServerResponse): Promise<void> {
    try {
      await pipeline(Readable.from(source), res);
    } catch {
      // The client went away (the export's progress says so) or the export failed after the headers.
      res.destroy();
    }
  }

  private async keepScreenshot(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of req as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > SCREENSHOT_MAX_BYTES) return sendError(res, 413, 'screenshot too large (32 MiB at most)');
        chunks.push(c);
      }
    } catch {
      return sendError(res, 400, 'screenshot upload failed');
    }
    const png = Buffer.concat(chunks);
    if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) return sendError(res, 400, 'screenshot: not a PNG image');
    const now = Date.now();
    for (const [k, v] of this.screenshots) if (v.expires < now) this.screenshots.delete(k);
    while (this.screenshots.size >= SCREENSHOTS_KEPT) {
      const oldest = this.screenshots.keys().next().value;
      if (oldest === undefined) break;
      this.screenshots.delete(oldest);
    }
    const token = randomBytes(16).toString('hex');
    this.screenshots.set(token, { png, expires: now + SCREENSHOT_TTL_MS });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ token }));
  }

  private takeScreenshot(token: string): Buffer | null {
    const entry = this.screenshots.get(token);
    if (!entry || entry.expires < Date.now()) return null;
    this.screenshots.delete(token);
    return entry.png;
  }
}
