/**
 * Smoke tests of the real desktop app: window, preload bridge, isolation, IPC round trip; closing to the
 * tray while the capture goes on, a second launch, and the question before quitting during a capture.
 * Needs the Electron runtime; where it is not installed (offline machines) the tests are skipped with
 * the reason printed, never reported as passed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { TestDnsServer } from '../test/helpers/dns-server';
import { dig, waitFor } from '../test/helpers/tools';

const root = resolve(import.meta.dirname, '..');

/** The installed Electron executable, found without require('electron') (which would try to download it). */
function electronBinary(): { path: string } | { missing: string } {
  const pkg = join(root, 'node_modules', 'electron');
  let name = '';
  try {
    name = readFileSync(join(pkg, 'path.txt'), 'utf8').trim();
  } catch {
    return { missing: 'Electron runtime not installed (node_modules/electron/path.txt is absent)' };
  }
  const override = process.env['ELECTRON_OVERRIDE_DIST_PATH'];
  const path = override ? join(override, name) : join(pkg, 'dist', name);
  return existsSync(path) ? { path } : { missing: `Electron runtime not installed (${path} is absent)` };
}

/** Builds out/ when stale, with the same helper `npm start` uses. */
function buildIfNeeded(): void {
  const script = "import('./scripts/lib/build.mjs').then((m) => m.buildIfNeeded({ quiet: true }))";
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('electron-vite build failed');
}

/** The Electron executable, or skips the calling test with the reason printed. */
function requireElectron(): string {
  const binary = electronBinary();
  if ('missing' in binary) {
    console.log(`[e2e/electron.spec.ts] skipped: ${binary.missing}`);
    test.skip(true, binary.missing);
    throw new Error('unreachable');
  }
  return binary.path;
}

function electronEnv(): Record<string, string> {
  const env = { ...process.env };
  delete env['ELECTRON_RUN_AS_NODE'];
  // The app under test serves its UI on app://, never from a dev server left in the environment.
  delete env['ELECTRON_RENDERER_URL'];
  return env as Record<string, string>;
}

/** The app on a fresh profile; loopback only: a free DNS port and an upstream on 127.0.0.1. */
function appArgs(userDataDir: string, upstream: string): string[] {
  return [root, `--user-data-dir=${userDataDir}`, '--listen', '127.0.0.1:0', '--upstream', upstream];
}

async function launch(executablePath: string, args: string[]): Promise<ElectronApplication> {
  return electron.launch({ executablePath, cwd: root, env: electronEnv(), args });
}

/**
 * Quits as Ctrl+C in `npm start`'s terminal does (SIGTERM: the journal is flushed, nothing is asked), then lets
 * Playwright clean up. Playwright's own close() calls app.quit(), which asks first while a capture runs.
 */
async function quit(app: ElectronApplication): Promise<number | null> {
  const child = app.process();
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  child.kill('SIGTERM');
  const code = await Promise.race([
    exited,
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000)),
  ]);
  if (code === 'timeout') {
    child.kill('SIGKILL');
    throw new Error('the app did not quit within 15 s of SIGTERM');
  }
  await app.close();
  return code;
}

interface DesktopStatus {
  dataDir: string;
  capture: { state: string; queries: number } | null;
  listeners: { address: string; port: number; state: string }[];
}

function status(page: Page): Promise<DesktopStatus> {
  return page.evaluate(async () => {
    const api = (globalThis as Record<string, unknown>)['dnsWitness'] as { getStatus(): Promise<unknown> };
    return (await api.getStatus()) as DesktopStatus;
  });
}

/** The main window's visibility as main sees it. */
function windowState(
  app: ElectronApplication,
): Promise<{ count: number; visible: boolean; destroyed: boolean }> {
  return app.evaluate(({ BrowserWindow }) => {
    const all = BrowserWindow.getAllWindows();
    const win = all[0];
    return { count: all.length, visible: win?.isVisible() ?? false, destroyed: win?.isDestroyed() ?? true };
  });
}

test('the desktop app shows the dashboard through an isolated, sandboxed bridge', async () => {
  const executable = requireElectron();
  buildIfNeeded();
  const userDataDir = mkdtempSync(join(tmpdir(), 'dns-witness-e2e-'));
  // The discard port: an upstream that never reaches the internet.
  const app = await launch(executable, appArgs(userDataDir, '127.0.0.1:9'));
  try {
    const page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
    expect(page.url()).toMatch(/^app:\/\/dns-witness\//);
    await expect(page).toHaveTitle(/DNS Witness/);
    await expect(page.locator('#root')).not.toBeEmpty();

    expect(await app.evaluate(({ app: electronApp }) => electronApp.getPath('userData'))).toBe(userDataDir);

    const globals = await page.evaluate(() => {
      const g = globalThis as Record<string, unknown>;
      const api = g['dnsWitness'] as Record<string, unknown> | undefined;
      return {
        methods: api ? Object.keys(api).sort() : null,
        require: typeof g['require'],
        process: typeof g['process'],
        module: typeof g['module'],
        ipcRenderer: typeof g['ipcRenderer'],
      };
    });
    // electron/preload/index.test.ts checks the exact methods against shared/contract.ts; here the built,
    // sandboxed preload exposes them (its dependencies bundled) and nothing generic.
    expect(globals.methods).toEqual(expect.arrayContaining(['getStatus', 'onQueryBatch', 'ready']));
    for (const generic of ['invoke', 'send', 'on']) expect(globals.methods).not.toContain(generic);
    expect({ ...globals, methods: undefined }).toEqual({
      methods: undefined,
      require: 'undefined',
      process: 'undefined',
      module: 'undefined',
      ipcRenderer: 'undefined',
    });

    // A request through preload → ipcMain → engine, checked against the fresh profile.
    const engine = await status(page);
    expect(engine.dataDir).toBe(join(userDataDir, 'data'));
    expect(engine.listeners.some((l) => l.address === '127.0.0.1' && l.state === 'listening')).toBe(true);

    // The page is served with the CSP header, and window.open is denied.
    const probe = await page.evaluate(async () => {
      const res = await fetch('/index.html');
      const open = (globalThis as unknown as { open(url: string): unknown }).open('about:blank');
      return { csp: res.headers.get('content-security-policy'), opened: open !== null };
    });
    expect(probe.csp).toMatch(/^default-src 'none'/);
    expect(probe.opened).toBe(false);
  } finally {
    await quit(app);
    rmSync(userDataDir, { recursive: true, force: true });
  }
});

test('closing the window during a capture keeps recording in the tray; a second launch shows it again', async () => {
  const executable = requireElectron();
  buildIfNeeded();
  const userDataDir = mkdtempSync(join(tmpdir(), 'dns-witness-e2e-'));
  const upstream = await new TestDnsServer().start();
  const app = await launch(executable, appArgs(userDataDir, `127.0.0.1:${upstream.port}`));
  try {
    const page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
    const before = await waitFor(
      async () => {
        const s = await status(page);
        return s.capture?.state === 'running' && s.listeners.some((l) => l.state === 'listening')
          ? s
          : undefined;
      },
      10_000,
      'a running capture and a DNS listener',
    );
    const port =
      before.listeners.find((l) => l.address === '127.0.0.1' && l.state === 'listening')?.port ?? 0;
    expect(port).toBeGreaterThan(0);

    // The close button hides the window; the app, the forwarder and the capture go on.
    await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.close());
    await expect.poll(() => windowState(app)).toEqual({ count: 1, visible: false, destroyed: false });
    const answer = await dig(port, 'tray-check.example', 'A');
    expect(answer.stdout).toContain('192.0.2.200');
    await expect
      .poll(async () => (await status(page)).capture?.queries ?? 0)
      .toBeGreaterThan(before.capture?.queries ?? 0);
    expect((await status(page)).capture?.state).toBe('running');

    // Opening the app again does not start a second one: the first shows its window.
    const second = spawn(executable, appArgs(userDataDir, `127.0.0.1:${upstream.port}`), {
      cwd: root,
      env: electronEnv(),
      stdio: 'ignore',
    });
    const secondExit = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the second launch did not exit within 15 s')), 15_000);
      second.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    expect(secondExit).toBe(0);
    await expect.poll(() => windowState(app)).toEqual({ count: 1, visible: true, destroyed: false });

    // Quitting during a capture asks first (a native dialog): the app is still there a moment later.
    await app.evaluate(({ app: electronApp }) => electronApp.quit());
    await new Promise((r) => setTimeout(r, 1000));
    expect(app.process().exitCode).toBeNull();
    expect((await status(page)).capture?.state).toBe('running');

    // SIGTERM closes the question and quits cleanly: the query is in the flushed journal.
    expect(await quit(app)).toBe(0);
    const dataDir = join(userDataDir, 'data');
    const journals = readdirSync(dataDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('journal.ndjson'),
    );
    expect(journals.map((f) => readFileSync(join(dataDir, f), 'utf8')).join('')).toContain(
      'tray-check.example',
    );
  } finally {
    if (app.process().exitCode === null) await quit(app).catch(() => undefined);
    await upstream.stop();
    rmSync(userDataDir, { recursive: true, force: true });
  }
});
