/**
 * Playwright fixtures for the dashboard: a real dnsmasq upstream on loopback, the real headless service
 * (built from this tree) with a fresh data folder per test, and `dig` to send real queries through it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Download, type Page } from '@playwright/test';
import { startDnsmasq, type Dnsmasq } from '../test/helpers/dnsmasq';
import { freePort, requireTool, run, waitFor } from '../test/helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '..');
/**
 * The build under test is copied here, so a concurrent `electron-vite build` emptying out/ cannot pull the
 * dashboard from under a running test. Inside the repository, so the service still finds node_modules.
 */
const APP_DIR = path.join(ROOT, 'test-results/e2e-app');
const HEADLESS = path.join(APP_DIR, 'main/headless.js');

/** The headless service under test. */
export interface Service {
  /** Dashboard address, e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  readonly dnsPort: number;
  readonly dataDir: string;
  /** Sends one real query through the forwarder from `source` (any 127.0.0.0/8 address); returns dig's answer. */
  query(name: string, opts?: { source?: string; type?: string }): Promise<string>;
  /** Like query(), but returns dig's full answer (with the status line, e.g. "status: NXDOMAIN"). */
  lookup(name: string, opts?: { source?: string; type?: string }): Promise<string>;
  /** Sends many queries in one dig run (batch mode) from `source`. */
  queryMany(names: readonly string[], source?: string): Promise<void>;
  /** Stops the service (SIGTERM, the capture is saved). */
  stop(): Promise<void>;
  /** Starts it again on the same ports with the same data folder. */
  start(): Promise<void>;
  /** What the service printed, for failure messages. */
  output(): string;
}

interface Fixtures {
  /** Upstream HOST:PORT for the service; null uses the worker's dnsmasq. */
  upstreamAddress: string | null;
  /** Further command-line flags for the service (e.g. --router). */
  serviceArgs: string[];
  /**
   * Start as on a first run (no settings saved): the setup assistant opens by itself. Off by default: the
   * data folder then holds settings of a user who already finished the assistant.
   */
  firstRun: boolean;
  service: Service;
  /** Console messages that report a Content-Security-Policy violation; the fixture fails the test on any. */
  cspViolations: string[];
}

interface WorkerFixtures {
  built: void;
  upstream: Dnsmasq;
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  // Build once per worker so the service serves the renderer from this tree, not a stale out/.
  built: [
    async ({}, use) => {
      if (process.env.E2E_SKIP_BUILD !== '1') {
        const r = spawnSync('npx', ['electron-vite', 'build'], {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 300_000,
        });
        if (r.status !== 0) throw new Error(`electron-vite build failed:\n${r.stdout}\n${r.stderr}`);
      }
      await rm(APP_DIR, { recursive: true, force: true });
      for (const part of ['main', 'renderer'])
        await cp(path.join(ROOT, 'out', part), path.join(APP_DIR, part), { recursive: true });
      if (!existsSync(HEADLESS)) throw new Error(`${HEADLESS} is missing after the build`);
      await use();
    },
    { scope: 'worker', auto: true, timeout: 300_000 },
  ],

  upstream: [
    async ({}, use) => {
      const dnsmasq = await startDnsmasq();
      await use(dnsmasq);
      await dnsmasq.stop();
    },
    { scope: 'worker' },
  ],

  upstreamAddress: [null, { option: true }],
  serviceArgs: [[], { option: true }],
  firstRun: [false, { option: true }],

  service: async ({ upstream, upstreamAddress, serviceArgs, firstRun }, use, testInfo) => {
    requireTool('dig', 'bind9-dnsutils');
    const dataDir = await mkdtemp(path.join(tmpdir(), 'dns-witness-e2e-'));
    if (!firstRun)
      await writeFile(
        path.join(dataDir, 'settings.json'),
        JSON.stringify({ version: 1, setup: { done: true } }),
      );
    let dnsPort = await freePort();
    let uiPort = await freePort();
    let child: ChildProcess | null = null;
    let log = '';
    const start = async (): Promise<void> => {
      // What this start prints: a restart's log goes on after the earlier one's.
      const logFrom = log.length;
      const proc = spawn(
        process.execPath,
        [
          HEADLESS,
          '--listen',
          `127.0.0.1:${dnsPort}`,
          '--upstream',
          upstreamAddress ?? `127.0.0.1:${upstream.port}`,
          '--ui',
          `127.0.0.1:${uiPort}`,
          '--data-dir',
          dataDir,
          ...serviceArgs,
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = proc;
      let exited: number | null = null;
      proc.on('exit', (code) => (exited = code ?? -1));
      proc.stdout?.on('data', (d: Buffer) => (log += d.toString()));
      proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
      await waitFor(
        async () => {
          if (exited !== null) throw new Error(`headless service exited with ${exited}:\n${log}`);
          if (/the port is already in use/.test(log.slice(logFrom)))
            throw new Error(`the DNS port is in use:\n${log.slice(logFrom)}`);
          try {
            const res = await fetch(`http://127.0.0.1:${uiPort}/api/health`);
            // 401: up, and asking for its access token (--token). Then the earlier captures are read.
            return (res.ok || res.status === 401) && /^history: /m.test(log.slice(logFrom))
              ? true
              : undefined;
          } catch {
            return undefined;
          }
        },
        15_000,
        'the headless service to answer /api/health',
      );
    };
    const stop = async (): Promise<void> => {
      const proc = child;
      child = null;
      if (!proc || proc.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      });
    };
    const dig = async (args: string[]): Promise<string> => {
      const r = await run('dig', ['@127.0.0.1', '-p', String(dnsPort), '+tries=1', '+time=3', ...args]);
      // dig exits 9 when no reply came at all; SERVFAIL and NXDOMAIN are replies and exit 0.
      if (r.code !== 0) throw new Error(`dig ${args.join(' ')} failed (${r.code}): ${r.stdout}${r.stderr}`);
      return r.stdout.trim();
    };
    // A free port can be taken by another program between the check and the service's bind: on the first
    // start (nothing depends on the ports yet) such a refusal picks other ports and tries again.
    for (let attempt = 1; ; attempt++) {
      try {
        await start();
        break;
      } catch (err) {
        if (attempt >= 3 || !/is in use/.test(String(err))) throw err;
        await stop();
        log = '';
        dnsPort = await freePort();
        uiPort = await freePort();
      }
    }
    await use({
      url: `http://127.0.0.1:${uiPort}/`,
      dnsPort,
      dataDir,
      query: (name, opts = {}) => dig(['-b', opts.source ?? '127.0.0.1', '+short', name, opts.type ?? 'A']),
      lookup: (name, opts = {}) => dig(['-b', opts.source ?? '127.0.0.1', name, opts.type ?? 'A']),
      queryMany: async (names, source = '127.0.0.1') => {
        const file = path.join(dataDir, `batch-${Date.now()}.txt`);
        await writeFile(file, names.map((n) => `${n} A`).join('\n') + '\n');
        await dig(['-b', source, '+short', '-f', file]);
      },
      stop,
      start,
      output: () => log,
    });
    await stop();
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('service-output', { body: log });
    await rm(dataDir, { recursive: true, force: true });
  },

  cspViolations: [
    async ({ page }, use) => {
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      page.on('pageerror', (e) => violations.push(`page error: ${e.message}`));
      await use(violations);
      expect(violations, 'CSP violations or page errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** The device rows in the devices panel (the "All devices" row excluded). */
export function deviceRows(page: Page) {
  return page.getByTestId('device-row');
}

/** The query log's rows currently rendered (virtualized: only those near the viewport). */
export function logRows(page: Page) {
  return page.getByTestId('log-row');
}

/**
 * The page fits the window: no page-level scrollbars, and nothing (with `within`, nothing inside the
 * elements that selector matches) reaches past its edges. `scrollsDown` allows the page to scroll down
 * (a small window), never sideways.
 */
export async function expectNoOverflow(
  page: Page,
  { within = 'body', scrollsDown = false }: { within?: string; scrollsDown?: boolean } = {},
): Promise<void> {
  // A string: this tsconfig has no DOM types, the page has the DOM. On failure it names the elements
  // that reach past the window (content inside a scrolling or clipping box does not count).
  const overflow = (await page.evaluate(`(() => {
    const clipped = (e) => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        const s = getComputedStyle(a);
        if (s.overflowX !== 'visible' || s.overflowY !== 'visible') return true;
      }
      return false;
    };
    const past = [...document.querySelectorAll(${JSON.stringify(within + ' *')})]
      .map((e) => ({ e, r: e.getBoundingClientRect() }))
      .filter(({ e, r }) => r.height > 0 && ((${!scrollsDown} && r.bottom > innerHeight + 0.5) || r.right > innerWidth + 0.5 || r.left < -0.5) && !clipped(e))
      .slice(0, 8)
      .map(({ e, r }) => e.tagName.toLowerCase() + '.' + e.className + ' ' + Math.round(r.width) + 'x' + Math.round(r.height) + '@' + Math.round(r.left) + ',' + Math.round(r.top));
    const html = document.documentElement;
    return { x: html.scrollWidth - html.clientWidth, y: html.scrollHeight - html.clientHeight, past };
  })()`)) as { x: number; y: number; past: string[] };
  const y = scrollsDown ? 0 : overflow.y;
  expect({ x: overflow.x, y, past: overflow.past }, overflow.past.join('\n')).toEqual({
    x: 0,
    y: 0,
    past: [],
  });
}

/** Rendering the whole dashboard to PNG takes seconds on a busy machine: downloads get this long. */
export const DOWNLOAD_MS = 90_000;

/** Clicks the button named `button` and returns the download it starts, with its bytes. */
export async function downloadVia(page: Page, button: string): Promise<{ download: Download; body: Buffer }> {
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: DOWNLOAD_MS }),
    page.getByRole('button', { name: button, exact: true }).click(),
  ]);
  const file = await download.path();
  return { download, body: await readFile(file) };
}

/** The colour of one pixel of a PNG and the image's size, decoded by the browser itself. */
export async function pngPixel(page: Page, png: Buffer, x: number, y: number): Promise<number[]> {
  // A string: this tsconfig has no DOM types, the page has the DOM.
  return page.evaluate(`(async () => {
    const bytes = Uint8Array.from(atob(${JSON.stringify(png.toString('base64'))}), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    return [...ctx.getImageData(${x}, ${y}, 1, 1).data.slice(0, 3), bitmap.width, bitmap.height];
  })()`);
}

/** Picks `theme` in the Settings panel (it applies at once) and closes the panel. */
export async function chooseTheme(page: Page, theme: 'system' | 'light' | 'dark'): Promise<void> {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const section = page.getByTestId('settings-theme');
  await section.getByText(theme[0]!.toUpperCase() + theme.slice(1), { exact: true }).click();
  await expect(section.getByRole('radio', { name: theme, checked: true })).toHaveCount(1);
  await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
}

/**
 * axe-core finds no violation on the page, or inside `include` (a selector): the moderate ones too (a page
 * without a level-one heading, content outside every landmark), which a screen reader user meets as much.
 */
export async function expectNoAxeViolations(page: Page, what: string, include?: string): Promise<void> {
  const started = Date.now();
  const builder = new AxeBuilder({ page });
  const result = await (include ? builder.include(include) : builder).analyze();
  const found = result.violations.map(
    (v) =>
      `${v.id} (${v.impact ?? 'no impact'}) at ${v.nodes
        .slice(0, 5)
        .map((n) => n.target.join(' '))
        .join('; ')}`,
  );
  console.log(`axe ${what}: ${Date.now() - started} ms, ${found.length} violations`);
  expect(found, `${what}: axe violations`).toEqual([]);
}
