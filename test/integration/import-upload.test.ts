/**
 * The dashboard's import in serve mode, through the built service: POST /api/import streams the file to the
 * data folder under the API's token and limits (413 above the cap), the import runs in a worker while DNS is
 * answered, reports its progress on the stream, and the capture appears with its count; a cancelled upload
 * and a damaged file leave nothing, a damaged one with keepPartial=1 a capture marked partial.
 */
import http from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureInfo } from '../../shared/events';
import { IMPORT_PATH, STREAM_PATH, STREAM_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from '../../shared/http-protocol';
import type { ImportProgress } from '../../shared/import';
import { adguardLine, beaconQueries } from '../../electron/engine/import/test-support';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { dig, waitFor } from '../helpers/tools';

const START = Date.parse('2026-11-20T09:00:00Z');
/** The upload cap the service runs with here: small, so a test can exceed it. */
const CAP_MB = 8;

const log = (n: number, from = 0): string =>
  beaconQueries(START + from * 1000, n)
    .map((q) => `${adguardLine(q)}\n`)
    .join('');

describe('POST /api/import', () => {
  let upstream: Dnsmasq;
  let served: Served;
  let token: string;
  let ws: WebSocket;
  const progress: ImportProgress[] = [];

  beforeAll(async () => {
    upstream = await startDnsmasq();
    // Listening on every address: the API needs the token, even from loopback.
    served = await startServe(upstream.port, {
      uiHost: '0.0.0.0',
      args: ['--max-upload-mb', String(CAP_MB)],
    });
    token = (await readFile(path.join(served.dataDir, 'ui-token'), 'utf8')).trim();
    ws = new WebSocket(`ws://127.0.0.1:${served.uiPort}${STREAM_PATH}`, [
      STREAM_PROTOCOL,
      `${TOKEN_PROTOCOL_PREFIX}${token}`,
    ]);
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { channel: string; payload: ImportProgress };
      if (m.channel === 'import:progress') progress.push(m.payload);
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  });

  afterAll(async () => {
    ws?.close();
    await served?.stop();
    await upstream?.stop();
    await removeDir(served?.dataDir ?? '');
  });

  const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}` });
  const url = (params: Record<string, string>): string =>
    `${served.base}${IMPORT_PATH}?${new URLSearchParams(params).toString()}`;
  const captures = (): Promise<CaptureInfo[]> =>
    // A busy service (503) asks to come back in a moment.
    waitFor(
      async () => {
        const r = await fetch(`${served.base}/api/summary`, { headers: auth() });
        if (r.status === 503) return undefined;
        expect(r.status).toBe(200);
        return ((await r.json()) as { captures: CaptureInfo[] }).captures;
      },
      10_000,
      'the summary',
    );
  const ended = (id: string): Promise<ImportProgress> =>
    waitFor(
      () => progress.find((p) => p.id === id && ['done', 'failed', 'cancelled'].includes(p.state)),
      60_000,
      `import ${id} to end`,
    );
  const uploads = async (): Promise<string[]> =>
    readdir(path.join(served.dataDir, 'uploads')).catch(() => [] as string[]);

  it('needs the access token beyond loopback', async () => {
    const r = await fetch(url({ id: 'no-token-1', file: 'querylog.json' }), { method: 'POST', body: log(3) });
    expect(r.status).toBe(401);
    const wrong = await fetch(url({ id: 'no-token-2', file: 'querylog.json' }), {
      method: 'POST',
      headers: { authorization: 'Bearer wrong' },
      body: log(3),
    });
    expect(wrong.status).toBe(401);
    expect(progress.filter((p) => p.id.startsWith('no-token'))).toEqual([]);
  });

  it('refuses a file above the cap with 413, by its length or by what arrives, keeping nothing', async () => {
    const big = Buffer.alloc(CAP_MB * 1024 * 1024 + 1, 0x41);
    const declared = await fetch(url({ id: 'too-large-1', file: 'big.json' }), {
      method: 'POST',
      headers: auth(),
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: string }).error).toMatch(/larger than this service accepts/);
    // No Content-Length: counted as it arrives.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(url({ id: 'too-large-2', file: 'big.json' }), {
        method: 'POST',
        headers: { ...auth(), 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i <= CAP_MB; i++) req.write(big.subarray(0, 1024 * 1024));
      req.end();
    });
    expect(chunked).toBe(413);
    await waitFor(
      async () => ((await uploads()).length === 0 ? true : undefined),
      10_000,
      'the upload removed',
    );
    expect((await captures()).filter((c) => c.source)).toEqual([]);
  });

  it('answers DNS while an upload arrives, then imports it: progress, and the capture with its count', async () => {
    const id = 'upload-dns-1';
    const body = log(3000);
    const half = Buffer.byteLength(body) >> 1;
    const req = http.request(url({ id, file: 'querylog.json', name: 'router log', router: '192.168.0.1' }), {
      method: 'POST',
      headers: {
        ...auth(),
        'content-type': 'application/octet-stream',
        'content-length': Buffer.byteLength(body),
      },
    });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, half));
    // The service holds half the file now: DNS is answered meanwhile.
    await waitFor(
      async () => ((await uploads()).includes(`${id}.part`) ? true : undefined),
      10_000,
      'the upload',
    );
    expect((await dig(served.dnsPort, 'www.example.test')).stdout).toContain('192.0.2.10');
    req.end(body.slice(half));
    const r = await response;
    expect(r.status).toBe(202);
    expect(JSON.parse(r.body)).toEqual({ result: { id } });
    const end = await ended(id);
    expect(end).toMatchObject({ state: 'done', file: 'querylog.json', queries: 3000, partial: false });
    expect(progress.some((p) => p.id === id && p.state === 'running')).toBe(true);
    const capture = (await captures()).find((c) => c.id === end.captureId);
    expect(capture?.queries).toBe(3000);
    expect(capture?.source).toMatchObject({ format: 'adguard', name: 'router log', partial: false });
    expect(capture?.source?.files.map((f) => f.name)).toEqual(['querylog.json']);
    expect(await uploads()).toEqual([]);
    // The router named with it is saved like the dashboard's choice.
    const summary = (await (await fetch(`${served.base}/api/summary`, { headers: auth() })).json()) as {
      routers: string[];
    };
    expect(summary.routers).toContain('192.168.0.1');
  });

  it('a damaged file fails with the line the command line prints; with keepPartial=1 it is kept as partial', async () => {
    // Past the readers' first batches (about 1 MiB each), so a partial import has something to keep.
    const lines = log(12_000).split('\n');
    lines.splice(10_000, 0, '{"T":"2026-11-20T09:00:00');
    const damaged = lines.join('\n');
    const first = await fetch(url({ id: 'damaged-1', file: 'querylog.json' }), {
      method: 'POST',
      headers: auth(),
      body: damaged,
    });
    expect(first.status).toBe(202);
    const failed = await ended('damaged-1');
    expect(failed.state).toBe('failed');
    expect(failed.message).toMatch(/^AdGuard Home query log querylog\.json line 10001: /);
    const kept = await fetch(url({ id: 'damaged-2', file: 'querylog.json', keepPartial: '1' }), {
      method: 'POST',
      headers: auth(),
      body: damaged,
    });
    expect(kept.status).toBe(202);
    const partial = await ended('damaged-2');
    expect(partial.state).toBe('done');
    expect(partial.partial).toMatchObject({ at: 'line 10001', file: 'querylog.json' });
    expect(partial.message).toMatch(/^a partial import: querylog\.json line 10001 is damaged/);
    const capture = (await captures()).find((c) => c.id === partial.captureId);
    expect(capture?.source?.partial).toMatchObject({ at: 'line 10001', queries: capture?.queries });
  });

  it('a cancelled upload leaves nothing', async () => {
    const before = (await captures()).length;
    const id = 'cancelled-1';
    const req = http.request(url({ id, file: 'querylog.json' }), {
      method: 'POST',
      // Announced, never all sent: the upload is under way until the client goes.
      headers: { ...auth(), 'content-length': CAP_MB * 1_000_000 },
    });
    req.on('error', () => undefined);
    req.write(log(100));
    await waitFor(
      async () => ((await uploads()).includes(`${id}.part`) ? true : undefined),
      10_000,
      'the upload',
    );
    req.destroy();
    await waitFor(
      async () => ((await uploads()).length === 0 ? true : undefined),
      10_000,
      'the upload removed',
    );
    expect(await captures()).toHaveLength(before);
    expect(progress.filter((p) => p.id === id)).toEqual([]);
  });
});
