/**
 * The evidence exports in Chromium against the real headless service: each button downloads a file that
 * is then checked as the recipient would (CSV rows, pcap read by tshark, the PNG's header strip, the
 * bundle verified by `npm run verify`).
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Download, Page } from '@playwright/test';
import { strFromU8, unzipSync } from 'fflate';
import { parseCsv } from '../electron/engine/capture/test-support';
import { run } from '../test/helpers/tools';
import { expect, test } from './fixtures';

const ROUTER = '127.0.0.2';
const LAPTOP = '127.0.0.1';

/** Rendering the whole dashboard to PNG takes seconds on a busy machine: downloads get this long. */
const DOWNLOAD_MS = 90_000;

async function downloadVia(page: Page, button: string): Promise<{ download: Download; body: Buffer }> {
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: DOWNLOAD_MS }),
    page.getByRole('button', { name: button, exact: true }).click(),
  ]);
  const file = await download.path();
  return { download, body: await readFile(file) };
}

/** The colour of one pixel of a PNG and its size, decoded by the browser itself. */
async function pixel(page: Page, png: Buffer, x: number, y: number): Promise<number[]> {
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

test.beforeEach(async ({ page, service }) => {
  test.setTimeout(150_000);
  await page.goto(service.url);
  await service.queryMany(['www.example.test', 'www.example.test'], LAPTOP);
  await service.queryMany(['dfp-dual.safethings.avira.com', 'router.example.test'], ROUTER);
  await expect(page.getByTestId('status-total')).toContainText('4');
});

test('Export CSV downloads the filtered queries and reports when it is done', async ({ page }) => {
  await page.getByLabel('Name filter').fill('www');
  const { download, body } = await downloadVia(page, 'Export CSV');
  expect(download.suggestedFilename()).toMatch(/^dns-witness-.*\.csv$/);
  const rows = parseCsv(body.toString('utf8'));
  expect(rows).toHaveLength(3);
  expect(rows.slice(1).every((r) => r[2] === 'www.example.test' && r[1] === LAPTOP)).toBe(true);
  await expect(page.getByText('CSV ready: 2 queries')).toBeVisible();
});

test('Export PCAP downloads packets tshark reads as the recorded queries', async ({ page, service }) => {
  const { download, body } = await downloadVia(page, 'Export PCAP');
  expect(download.suggestedFilename()).toMatch(/^dns-witness-.*\.pcap$/);
  expect(body.readUInt32LE(0)).toBe(0xa1b2c3d4);
  const r = await run('tshark', [
    '-r',
    await download.path(),
    '-d',
    `udp.port==${service.dnsPort},dns`,
    '-Y',
    'dns.flags.response == 0',
    '-T',
    'fields',
    '-e',
    'ip.src',
    '-e',
    'dns.qry.name',
  ]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim().split('\n').sort()).toEqual(
    [
      `${LAPTOP}\twww.example.test`,
      `${LAPTOP}\twww.example.test`,
      `${ROUTER}\tdfp-dual.safethings.avira.com`,
      `${ROUTER}\trouter.example.test`,
    ].sort(),
  );
});

test('Save PNG downloads the dashboard with the evidence strip on top', async ({ page }) => {
  const { download, body } = await downloadVia(page, 'Save PNG');
  expect(download.suggestedFilename()).toMatch(/^dns-witness-dashboard-.*\.png$/);
  expect(body.subarray(1, 4).toString('latin1')).toBe('PNG');
  const [r, g, b, width, height] = await pixel(page, body, 4, 4);
  const viewport = page.viewportSize()!;
  expect(width).toBeGreaterThanOrEqual(viewport.width - 20);
  expect(height).toBeGreaterThan(300);
  // The strip's background (--accent-soft, #e7f0fa) fills the top-left corner only while capturing.
  expect([r, g, b]).toEqual([0xe7, 0xf0, 0xfa]);
  await expect(page.getByTestId('evidence-strip')).toHaveCount(0);
});

test('Evidence bundle downloads a zip with the PNG that npm run verify accepts', async ({
  page,
}, testInfo) => {
  // The strip is shown only while the page is rendered, which can take less than a poll: record every
  // text it shows from the start instead of polling for it.
  await page.evaluate(`(() => {
    const seen = (window.__strips = []);
    new MutationObserver(() => {
      const el = document.querySelector('[data-testid="evidence-strip"]');
      if (el) seen.push(el.textContent || '');
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  })()`);
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: DOWNLOAD_MS }),
    page.getByRole('button', { name: 'Evidence bundle', exact: true }).click(),
  ]);
  // The strip named period, filters and time while the page was rendered.
  const strips = (await page.evaluate('window.__strips')) as string[];
  expect(strips.length, 'the strip was shown').toBeGreaterThan(0);
  const shown = strips[strips.length - 1]!;
  expect(shown).toContain('Capture period');
  expect(shown).toContain('Filters');
  expect(shown).toContain('Generated');
  await expect(page.getByTestId('evidence-strip')).toHaveCount(0);
  expect(download.suggestedFilename()).toMatch(/^dns-witness-evidence-.*\.zip$/);
  const file = testInfo.outputPath('bundle.zip');
  await download.saveAs(file);
  const files = unzipSync(new Uint8Array(await readFile(file)));
  expect(Object.keys(files)).toEqual(
    expect.arrayContaining([
      'queries.csv',
      'dns.pcap',
      'dashboard.png',
      'summary.json',
      'report.html',
      'manifest.json',
    ]),
  );
  expect(strFromU8(files['dashboard.png']!.subarray(1, 4))).toBe('PNG');
  expect(
    (JSON.parse(strFromU8(files['summary.json']!)) as { queries: { exported: number } }).queries.exported,
  ).toBe(4);
  const verify = spawnSync(process.execPath, [path.resolve('scripts/verify.mjs'), file], {
    encoding: 'utf8',
  });
  expect(verify.status, `${verify.stdout}${verify.stderr}`).toBe(0);
  expect(verify.stdout).toMatch(/^OK bundle\.zip: 8 files match the manifest/);
});
