/**
 * The headless service's static files (the dashboard): served with the shared CSP header, and never a file
 * outside the root. Only the static routes run here, so the engine is a stand-in that is never called.
 */
import http from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '@shared/csp';
import type { Engine } from '../engine/engine';
import { traversalAttempts } from '../engine/static-path-test-support';
import { HeadlessServer } from './server';

let base: string;
let root: string;
let server: HeadlessServer;
let port: number;

/** A GET with the path sent exactly as given (fetch would normalise it). */
function rawGet(path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'dns-witness-static-'));
  root = join(base, 'renderer');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>DNS Witness</title>');
  await writeFile(join(root, 'assets', 'index-abc.js'), 'console.log("ui");');
  // Next to the served folder: must never be reachable.
  await writeFile(join(base, 'secret.txt'), 'secret');
  server = new HeadlessServer({} as Engine, { host: '127.0.0.1', port: 0, rendererDir: root });
  port = await server.listen();
});

afterAll(async () => {
  await server?.close();
  await rm(base, { recursive: true, force: true });
});

describe('headless static files', () => {
  it('serves the dashboard with the shared CSP header', async () => {
    for (const path of ['/', '/index.html', '/assets/index-abc.js']) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-security-policy'], path).toBe(contentSecurityPolicy());
    }
    expect((await rawGet('/')).body).toContain('<title>DNS Witness</title>');
  });

  it('refuses every form of path traversal the app:// protocol refuses', async () => {
    const attempts = traversalAttempts(base);
    expect(attempts).toHaveLength(12);
    for (const path of attempts) {
      const res = await rawGet(path);
      // 403 from the check; 404 where the URL parser already folded the dots ("/../secret.txt" becomes
      // "/secret.txt", "//etc/passwd" a host "etc") and the remaining path inside the root names no file.
      expect([403, 404], path).toContain(res.status);
      expect(res.body, path).not.toContain('secret');
    }
  });

  it('answers 404 for missing files and folders', async () => {
    expect((await rawGet('/missing.js')).status).toBe(404);
    expect((await rawGet('/assets')).status).toBe(404);
  });
});
