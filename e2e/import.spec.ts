/**
 * The dashboard's Import against the real headless service: an AdGuard Home query log and a pcap written by
 * tcpdump are uploaded, read in the background and appear as captures with their counts; a damaged file
 * shows the line the command line prints (or, kept partial, a capture marked partial); a large import shows
 * its progress and can be cancelled, leaving nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { adguardLine, beaconQueries } from '../electron/engine/import/test-support';
import { requireTool, run, waitFor } from '../test/helpers/tools';
import { expect, expectNoAxeViolations, test } from './fixtures';

const ROOT = path.resolve(import.meta.dirname, '..');
const START = Date.parse('2026-11-20T09:00:00Z');
/** A loopback address of its own, where the service also answers on port 53: what a pcap import reads. */
const DNS53 = `127.53.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;

test.use({ serviceArgs: ['--listen', `${DNS53}:53`] });

let work: string;
test.beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'dnsw-e2e-import-'));
});
test.afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const adguardLog = (n: number): string =>
  beaconQueries(START, n)
    .map((q) => `${adguardLine(q)}\n`)
    .join('');

/** Opens the Import dialog from the empty dashboard (no query yet) or from the toolbar's More menu. */
async function openImport(page: Page) {
  const more = page.getByRole('toolbar').getByRole('button', { name: 'More' });
  if (await more.isVisible()) {
    await more.click();
    await page.getByRole('menu').getByRole('menuitem', { name: 'Import…' }).click();
  } else await page.getByRole('button', { name: 'Import…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import DNS history' });
  await expect(dialog).toBeVisible();
  return dialog;
}

/** Picks `file` in the browser's file chooser that "Choose file…" opens. */
async function chooseFile(page: Page, file: string): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose file…' }).click();
  await (await chooser).setFiles(file);
}

/** tcpdump on loopback while `names` are asked of the service on DNS53:53: a pcap of real DNS traffic. */
async function tcpdumpPcap(file: string, names: readonly string[]): Promise<void> {
  requireTool('tcpdump', 'tcpdump');
  requireTool('dig', 'bind9-dnsutils');
  const child = spawn(
    'tcpdump',
    ['-i', 'lo', '-U', '-n', '-c', String(names.length * 2), '-w', file, `host ${DNS53} and udp port 53`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`tcpdump exited: ${stderr}`);
      return /listening on lo/.test(stderr) ? true : undefined;
    },
    15_000,
    'tcpdump to capture',
  );
  for (const name of names) {
    const r = await run('dig', [`@${DNS53}`, '-p', '53', '+tries=1', '+time=3', name, 'A']);
    expect(r.stdout).toContain('status: NOERROR');
  }
  expect(await exited, stderr).toBe(0);
}

test('uploads an AdGuard Home log and a tcpdump pcap: each becomes a capture with its count', async ({
  page,
  service,
}) => {
  const querylog = path.join(work, 'querylog.json');
  await writeFile(querylog, adguardLog(600));
  await page.goto(service.url);
  let dialog = await openImport(page);
  await dialog.getByLabel('Name (optional)').fill('AdGuard, November');
  await dialog.getByLabel('Router addresses (optional)').fill('192.168.0.1');
  await chooseFile(page, querylog);
  const row = dialog.getByTestId('import-row').first();
  await expect(row).toHaveAttribute('data-state', 'done');
  await expect(row.getByTestId('import-result')).toHaveText(/^Imported 600 queries\./);
  const captures = dialog.getByTestId('imported-capture');
  await expect(captures).toHaveCount(1);
  await expect(captures.first()).toContainText('AdGuard, November');
  await expect(captures.first()).toContainText('querylog.json (AdGuard Home query log)');
  await expect(captures.first().locator('td.num')).toHaveText('600');
  await expect(dialog.getByTestId('partial-badge')).toHaveCount(0);
  await expectNoAxeViolations(page, 'the Import dialog', '.modal');
  await dialog.getByRole('button', { name: 'Close Import DNS history' }).click();

  // A pcap of real traffic, as tcpdump writes it; the dashboard has queries now, so Import is in More.
  const pcap = path.join(work, 'lookups.pcap');
  await tcpdumpPcap(pcap, ['www.example.test', 'gw.safethings.avira.com', 'router.example.test']);
  dialog = await openImport(page);
  await chooseFile(page, pcap);
  const pcapRow = dialog.getByTestId('import-row').first();
  await expect(pcapRow).toContainText('lookups.pcap');
  await expect(pcapRow).toHaveAttribute('data-state', 'done');
  await expect(pcapRow.getByTestId('import-result')).toHaveText(/^Imported 3 queries\./);
  await expect(captures).toHaveCount(2);
  const pcapCapture = captures.filter({ hasText: 'lookups.pcap' });
  await expect(pcapCapture).toContainText('(pcap packet capture)');
  await expect(pcapCapture.locator('td.num')).toHaveText('3');
});

test('a damaged file shows the line the command line prints; kept partial, the capture says so', async ({
  page,
  service,
}) => {
  // Damage past the readers' first batches (about 1 MiB each), so keeping the part before it keeps some.
  const lines = adguardLog(12_000).split('\n');
  lines.splice(10_000, 0, '{"T":"2026-11-20T09:00:00');
  const bad = path.join(work, 'damaged-querylog.json');
  await writeFile(bad, lines.join('\n'));
  const cli = spawnSync(
    process.execPath,
    [path.join(ROOT, 'out/main/import.js'), bad, '--data-dir', path.join(work, 'cli-data')],
    { encoding: 'utf8', timeout: 60_000 },
  );
  expect(cli.status).toBe(1);
  const cliLine = cli.stderr.trim().replace(/^dns-witness import: /, '');
  expect(cliLine).toMatch(/^AdGuard Home query log damaged-querylog\.json line 10001: /);

  await page.goto(service.url);
  const dialog = await openImport(page);
  await chooseFile(page, bad);
  const row = dialog.getByTestId('import-row').first();
  await expect(row).toHaveAttribute('data-state', 'failed');
  await expect(row.getByTestId('import-error')).toHaveText(cliLine);
  await expect(dialog.getByTestId('imported-capture')).toHaveCount(0);

  await dialog.getByLabel(/keep the queries before the damage/).check();
  await chooseFile(page, bad);
  await expect(row).toHaveAttribute('data-state', 'done');
  await expect(row.getByTestId('import-result')).toHaveText(/^Partially imported [\d,]+ queries\./);
  await expect(row.getByTestId('import-result')).toContainText(
    'a partial import: damaged-querylog.json line 10001 is damaged',
  );
  const badge = dialog.getByTestId('imported-capture').getByTestId('partial-badge');
  await expect(badge).toHaveText('partial: damaged-querylog.json line 10001');
});

test('a large import shows its progress and can be cancelled, leaving nothing', async ({ page, service }) => {
  // About 400 MB: far more than a moment's work, so Cancel lands while it is uploaded or read.
  const big = path.join(work, 'big-querylog.json');
  const block = adguardLog(1).repeat(10_000);
  const fh = await open(big, 'w');
  for (let i = 0; i < 120; i++) await fh.write(block);
  await fh.close();
  await page.goto(service.url);
  const dialog = await openImport(page);
  await chooseFile(page, big);
  const row = dialog.getByTestId('import-row').first();
  // A bar with the percent done and the rate.
  await expect(row.getByRole('progressbar')).toBeVisible();
  await expect(row.getByTestId('import-progress-text')).toHaveText(/^\d+ % · .+\/s$/);
  await row.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toHaveAttribute('data-state', 'cancelled', { timeout: 60_000 });
  await expect(row).toContainText('Cancelled; nothing was imported.');
  await expect(dialog.getByTestId('imported-capture')).toHaveCount(0);
  // Neither the upload nor a half-written capture is left in the data folder.
  await expect
    .poll(async () => (await readdir(path.join(service.dataDir, 'uploads')).catch(() => [])).length)
    .toBe(0);
  const left = await readdir(path.join(service.dataDir, 'captures')).catch(() => [] as string[]);
  expect(left.filter((n) => n.startsWith('.import-'))).toEqual([]);
});
