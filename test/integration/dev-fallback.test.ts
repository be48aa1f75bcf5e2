/**
 * `npm run dev` on a machine without the Electron runtime (like this one): one notice line, the headless
 * service with the same flags, and the renderer's vite dev server forwarding /api (HTTP and the stream) to
 * it, presenting the service's own origin only for the dev server's own pages. Stopped by SIGTERM.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { STREAM_PATH, STREAM_PROTOCOL } from '../../shared/http-protocol';
import { electronInstalled, root, runScript } from '../helpers/script';
import { waitFor } from '../helpers/tools';

/** One HTTP request with the headers a browser would send (fetch() may not set Origin). */
function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

/** Opens the stream through the dev server with `origin`: 'open' or the refusing HTTP status. */
function openStream(page: string, origin: string): Promise<string> {
  return new Promise((done) => {
    const ws = new WebSocket(new URL(STREAM_PATH, page).href.replace(/^http/, 'ws'), [STREAM_PROTOCOL], {
      origin,
    });
    ws.on('open', () => {
      ws.close();
      done('open');
    });
    ws.on('unexpected-response', (_req, res) => done(String(res.statusCode)));
    ws.on('error', (err) => done(err.message));
  });
}

const installed = electronInstalled();
if (installed)
  console.log('[dev-fallback] skipped: the Electron runtime is installed, so npm run dev opens the app');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe.skipIf(installed)('npm run dev without the Electron runtime', () => {
  it('serves the renderer with hot reload and reaches the service through the dev server', async () => {
    const run = await runScript('dev.mjs');
    cleanups.push(() => run.cleanup());
    const { child, uiPort, exited } = run;
    const api = `http://127.0.0.1:${uiPort}/`;
    const page = await waitFor(
      () => {
        if (child.exitCode !== null)
          throw new Error(`npm run dev exited early:\n${run.stdout()}\n${run.stderr()}`);
        const notices = run
          .stdout()
          .split('\n')
          .filter((l) => l.includes('Electron runtime not installed'));
        if (notices.length === 0) return undefined;
        expect(notices).toHaveLength(1);
        const m =
          /^Electron runtime not installed \(offline install\?\); dev mode with the headless service instead: open (http:\/\/\S+\/) \(hot reload; API from (\S+)\)$/.exec(
            notices[0]!,
          );
        expect(m, notices[0]).not.toBeNull();
        expect(m![2]).toBe(api);
        return m![1]!;
      },
      90_000,
      'the dev server',
    );
    const origin = new URL(page).origin;

    const html = await request(page);
    expect(html.status).toBe(200);
    expect(html.body).toContain('/@vite/client');
    expect(html.body).toContain("script-src 'self' 'unsafe-inline'");
    // The build keeps the strict policy: the relaxed one is the dev server's only.
    expect(readFileSync(join(root, 'out', 'renderer', 'index.html'), 'utf8')).not.toContain('unsafe-inline');

    const health = await waitFor(
      async () => {
        const r = await request(new URL('/api/health', page).href).catch(() => undefined);
        return r?.status === 200 ? (JSON.parse(r.body) as { ok: boolean }) : undefined;
      },
      30_000,
      'the service through the dev server',
    );
    expect(health.ok).toBe(true);

    const rpc = (from: string) =>
      request(new URL('/api/rpc/status:get', page).href, {
        method: 'POST',
        headers: { origin: from, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
        body: '{}',
      });
    expect((await rpc(origin)).status).toBe(200);
    // Another page (even on localhost) keeps its own origin, which the service refuses.
    expect((await rpc('http://localhost:1')).status).toBe(403);
    expect(await openStream(page, origin)).toBe('open');
    expect(await openStream(page, 'http://localhost:1')).toBe('403');

    child.kill('SIGTERM');
    const { code, signal } = await exited;
    expect(code === 0 || signal === 'SIGTERM', `code ${code}, signal ${signal}\n${run.stderr()}`).toBe(true);
    await expect(request(page)).rejects.toThrow();
    await expect(request(api)).rejects.toThrow();
  }, 120_000);
});
