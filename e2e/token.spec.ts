/**
 * The access-token flow in Chromium against the real headless service started with --token (what listening
 * on the network requires): the page asks for the token, takes it from the #token= address or the form,
 * keeps it for the tab, and streams, exports and refuses with it like the service does.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from './fixtures';

test.use({ serviceArgs: ['--token'] });

async function tokenOf(dataDir: string): Promise<string> {
  return (await readFile(path.join(dataDir, 'ui-token'), 'utf8')).trim();
}

test('without the token the page asks for it and shows no data', async ({ page, service }) => {
  await service.query('www.example.test');
  await page.goto(service.url);
  const gate = page.getByTestId('token-required');
  await expect(gate).toBeVisible();
  await expect(gate).toContainText('Access token required');
  await expect(gate).toContainText('#token=');
  // On loopback the token is there because of --token; the command is the one that started the service.
  await expect(gate).toContainText('was started with --token');
  await expect(gate).not.toContainText('listens on the network');
  await expect(gate.getByTestId('token-command')).toHaveText('node test-results/e2e-app/main/headless.js');
  await expect(page.getByTestId('device-row')).toHaveCount(0);
  await expect(page.getByTestId('status-total')).toHaveCount(0);

  await page.getByTestId('token-input').fill('not a token');
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await expect(gate.getByRole('alert')).toContainText('That is not a token');

  // A well-formed but wrong token: the service refuses it and the page says so.
  await page.getByTestId('token-input').fill('x'.repeat(43));
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await expect(page.getByTestId('token-required').getByRole('alert')).toContainText('did not accept');

  // The address the service printed, pasted whole, opens the dashboard and its live stream.
  const token = await tokenOf(service.dataDir);
  await page.getByTestId('token-input').fill(`${service.url}#token=${token}`);
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await expect(page.getByTestId('status-total')).toContainText('1');
  await service.query('live.example.test', { source: '127.0.0.2' });
  await expect(page.locator('[data-testid="device-row"][data-address="127.0.0.2"]')).toBeVisible();
});

test('the #token= address opens the dashboard, leaves the address bar, and lasts for the tab', async ({
  page,
  service,
  browser,
}) => {
  const token = await tokenOf(service.dataDir);
  await page.goto(`${service.url}#token=${token}`);
  await expect(page.getByTestId('capture-state')).toContainText('Recording');
  expect(page.url()).toBe(service.url);
  expect(page.url()).not.toContain(token);

  await service.query('www.example.test');
  await expect(page.getByTestId('device-row')).toHaveCount(1);
  await page.reload();
  await expect(page.getByTestId('device-row')).toHaveCount(1);

  // The export is fetched with the token and saved like any download.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^dns-witness-.*\.csv$/);
  const csv = (await readFile(await download.path(), 'utf8')).trim().split(/\r?\n/);
  expect(csv).toHaveLength(2);
  expect(csv[1]).toContain('www.example.test');

  // Another browser session has no token: it gets the token screen.
  const other = await browser.newContext();
  try {
    const fresh = await other.newPage();
    await fresh.goto(service.url);
    await expect(fresh.getByTestId('token-required')).toBeVisible();
  } finally {
    await other.close();
  }
});
