/**
 * `npm start` on a machine without the Electron runtime (like this one): one notice line, then the
 * headless dashboard with the same flags, stopped again by a forwarded SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

function electronInstalled(): boolean {
  const pkg = join(root, 'node_modules', 'electron');
  try {
    return existsSync(join(pkg, 'dist', readFileSync(join(pkg, 'path.txt'), 'utf8').trim()));
  } catch {
    return false;
  }
}

/** A loopback TCP port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const installed = electronInstalled();
if (installed)
  console.log('[start-fallback] skipped: the Electron runtime is installed, so npm start opens the app');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe.skipIf(installed)('npm start without the Electron runtime', () => {
  it('prints one notice line and serves the headless dashboard until SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dns-witness-start-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const uiPort = await freePort();
    const child = spawn(
      process.execPath,
      [
        join(root, 'scripts', 'start.mjs'),
        '--listen',
        '127.0.0.1:0',
        '--upstream',
        '127.0.0.1:9',
        '--ui',
        `127.0.0.1:${uiPort}`,
        '--data-dir',
        dataDir,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal })),
    );

    const url = `http://127.0.0.1:${uiPort}/`;
    const body = await waitFor('the dashboard', 90_000, async () => {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${stdout}\n${stderr}`);
      const res = await fetch(url);
      return res.ok ? res.text() : null;
    });
    expect(body).toMatch(/<html/i);

    const notices = stdout.split('\n').filter((line) => line.includes('Electron runtime not installed'));
    expect(notices).toEqual([
      `Electron runtime not installed (offline install?); opening the headless dashboard instead: ${url}`,
    ]);

    child.kill('SIGTERM');
    const { code, signal } = await exited;
    // The service either exits cleanly on the forwarded signal or dies of it; start.mjs reports either.
    expect(code === 0 || signal === 'SIGTERM', `code ${code}, signal ${signal}\n${stderr}`).toBe(true);
    await expect(fetch(url)).rejects.toThrow();
  }, 120_000);
});
