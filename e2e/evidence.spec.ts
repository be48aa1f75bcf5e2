/**
 * The evidence exports in Chromium against the real headless service: each button downloads a file that
 * is then checked as the recipient would (CSV rows, pcap read by tshark, dnstap read by `dnstap -r`, the
 * PNG's header strip, the bundle verified by `npm run verify`).
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { strFromU8, unzipSync } from 'fflate';
import { parseCsv } from '../electron/engine/capture/test-support';
import { formatSpan } from '../shared/watch/lookup-rate';
import { run } from '../test/helpers/tools';
import { DOWNLOAD_MS, downloadVia, expect, pngPixel as pixel, test } from './fixtures';

const ROUTER = '127.0.0.2';
const LAPTOP = '127.0.0.1';

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

test('Export dnstap downloads a file `dnstap -r` reads with the names queried', async ({ page }) => {
  await page.getByLabel('Device filter').selectOption(ROUTER);
  await page.getByRole('toolbar').getByRole('button', { name: 'More' }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: DOWNLOAD_MS }),
    page.getByRole('menuitem', { name: 'Export dnstap' }).click(),
  ]);
  await expect(page.getByRole('menu')).toBeHidden();
  expect(download.suggestedFilename()).toMatch(new RegExp(`^dns-witness-${ROUTER}-.*\\.dnstap$`));
  // -q: one line per message, "… CQ 127.0.0.2 UDP 47b "name." IN A" (golang-dnstap's quiet format).
  const r = await run('dnstap', ['-r', await download.path(), '-q']);
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  const names = lines.map((l) => /"([^"]+)\." IN /.exec(l)?.[1] ?? l);
  expect(names.sort()).toEqual(
    [
      'dfp-dual.safethings.avira.com',
      'dfp-dual.safethings.avira.com',
      'router.example.test',
      'router.example.test',
    ].sort(),
  );
  expect(lines.every((l) => l.includes(ROUTER))).toBe(true);
  await expect(page.getByText('Download started')).toBeVisible();
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
  // The key that signs the bundle is named in the picture, as verify reports it.
  const fingerprint = /Signing key ([0-9a-f]{4}(?: [0-9a-f]{4}){15})/.exec(shown)?.[1];
  expect(fingerprint, shown).toBeDefined();
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
  expect(verify.stdout).toContain(`signed by install key ${fingerprint}`);
});

/** Mean absolute difference per channel between a crop of `png` at `rect` (CSS px) and all of `other`. */
async function cropDifference(
  page: Page,
  png: Buffer,
  rect: { x: number; y: number; width: number; height: number },
  other: Buffer,
): Promise<number> {
  // A string: this tsconfig has no DOM types, the page has the DOM.
  return page.evaluate(`(async () => {
    const decode = async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      return ctx;
    };
    const r = ${JSON.stringify(rect)};
    const whole = await decode(${JSON.stringify(png.toString('base64'))});
    const live = await decode(${JSON.stringify(other.toString('base64'))});
    const w = Math.min(Math.round(r.width), live.canvas.width);
    const h = Math.min(Math.round(r.height), live.canvas.height);
    const a = whole.getImageData(Math.round(r.x), Math.round(r.y), w, h).data;
    const b = live.getImageData(0, 0, w, h).data;
    let sum = 0;
    for (let i = 0; i < a.length; i += 4) for (let c = 0; c < 3; c++) sum += Math.abs(a[i + c] - b[i + c]);
    return sum / ((a.length / 4) * 3);
  })()`);
}

test.describe('with the router named', () => {
  test.use({ serviceArgs: ['--router', ROUTER] });

  test('the bundle states the dashboard’s figures, and its PNG the settings shown', async ({
    page,
    service,
  }, testInfo) => {
    const SAFETHINGS = 'dfp-dual.safethings.avira.com';
    // With the one lookup of beforeEach: 12, a second or two apart.
    await new Promise((r) => setTimeout(r, 1500));
    await service.queryMany(
      Array.from({ length: 11 }, () => SAFETHINGS),
      ROUTER,
    );
    const headline = page.getByTestId('watch-headline');
    await expect(headline).toContainText('contacted Avira SafeThings 12 times', { timeout: 10_000 });
    // A look-back other than the default and the first choice.
    await page.getByTestId('tab-watchlist').click();
    const lookBack = page.getByTestId('correlation-window');
    await lookBack.selectOption('10');
    await expect(lookBack).toHaveValue('10');
    await expect(page.locator('.watch-insights')).toContainText(/within 10 s|can be compared yet/);
    // Where the select is while the dashboard is captured (the caption strip moves it down).
    await page.evaluate(`(() => {
      window.__capture = null;
      new MutationObserver(() => {
        const strip = document.querySelector('[data-testid="evidence-strip"]');
        if (!strip || window.__capture) return;
        const root = document.querySelector('[data-evidence-root]').getBoundingClientRect();
        const r = document.querySelector('[data-testid="correlation-window"]').getBoundingClientRect();
        window.__capture = {
          rect: { x: r.left - root.left, y: r.top - root.top, width: r.width, height: r.height },
          disabled: [...document.querySelectorAll('.export-buttons button')].some((b) => b.disabled),
          note: document.querySelector('.export-note')?.textContent ?? '',
        };
      }).observe(document.body, { childList: true, subtree: true });
    })()`);
    const note = page.locator('.export-note');
    const noteBefore = (await note.count()) > 0 ? ((await note.textContent()) ?? '') : '';
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: DOWNLOAD_MS }),
      page.getByRole('button', { name: 'Evidence bundle', exact: true }).click(),
    ]);
    const file = testInfo.outputPath('bundle.zip');
    await download.saveAs(file);
    const files = unzipSync(new Uint8Array(await readFile(file)));
    const capture = (await page.evaluate('window.__capture')) as {
      rect: { x: number; y: number; width: number; height: number };
      disabled: boolean;
      note: string;
    };
    // Nothing on the page said "exporting" while it was pictured.
    expect(capture.disabled).toBe(false);
    expect(capture.note).toBe(noteBefore);

    // The figures: the banner, summary.json and report.html state the same count, span and rate.
    const summary = JSON.parse(strFromU8(files['summary.json']!)) as {
      findings: string[];
      watchlist: {
        rule: string;
        devices: { address: string; queries: number; span_ms: number; rate_text: string }[];
      }[];
    };
    const router = summary.watchlist
      .find((w) => w.rule === 'avira-safethings')!
      .devices.find((d) => d.address === ROUTER)!;
    const span = formatSpan(router.span_ms);
    expect(router).toMatchObject({ queries: 12, rate_text: 'too early to tell' });
    const banner = await headline.innerText();
    expect(banner).toMatch(
      new RegExp(
        `contacted Avira SafeThings 12 times in ${span}( \\(of \\d+ s recorded\\))?, too early to tell a daily rate`,
      ),
    );
    await expect(page.getByTestId('watch-compare')).toContainText(`so far 12 over ${span}.`);
    const report = strFromU8(files['report.html']!);
    expect(summary.findings[0]).toMatch(
      new RegExp(
        `^Router ${ROUTER.replace(/\./g, '\\.')} looked up .* 12 times between .* so far 12 over ${span}\\)\\.$`,
      ),
    );
    expect(report).toContain(`<p>${summary.findings[0]!.replace(/"/g, '&quot;')}</p>`);

    // The PNG shows the look-back the page showed ("10 s"), not the select's first option.
    const png = Buffer.from(files['dashboard.png']!);
    const shown = await lookBack.screenshot();
    await lookBack.selectOption('1');
    const other = await lookBack.screenshot();
    await lookBack.selectOption('10');
    const same = await cropDifference(page, png, capture.rect, shown);
    const differs = await cropDifference(page, png, capture.rect, other);
    expect(same, `difference to "10 s" ${same}, to "1 s" ${differs}`).toBeLessThan(differs);
  });
});
