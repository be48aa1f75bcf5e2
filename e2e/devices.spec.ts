/**
 * Devices in the dashboard against the real headless service started with `--router 127.0.0.3`: the router
 * badge and order, renaming (kept across a reload), the short highlight of a device that appears live, and
 * the device columns of the CSV export. Different 127.0.0.x source addresses stand in for devices.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { deviceRows, expect, logRows, test } from './fixtures';

const ROUTER = '127.0.0.3';
const TV = '127.0.0.2';
const PHONE = '127.0.0.4';

test.use({ serviceArgs: ['--router', ROUTER] });

function device(page: Page, address: string) {
  return page.locator(`[data-testid="device-row"][data-address="${address}"]`);
}

/** The list item of a device: its row plus the rename button. */
function item(page: Page, address: string) {
  return page.locator('.device-list > li').filter({ has: device(page, address) });
}

test('the router is marked with a badge and listed first, everywhere it appears', async ({
  page,
  service,
}) => {
  await page.goto(service.url);
  // The TV asks more often than the router: without the router rule it would be listed first.
  await service.queryMany(['www.example.test', 'a.wild.example.test', 'b.wild.example.test'], TV);
  await service.query('router.example.test', { source: ROUTER });
  await expect(deviceRows(page)).toHaveCount(2);
  await expect(deviceRows(page).first()).toHaveAttribute('data-address', ROUTER);
  await expect(device(page, ROUTER)).toHaveAttribute('data-router', 'true');
  await expect(device(page, ROUTER).locator('.tag.router')).toHaveText('Router');
  await expect(device(page, TV).locator('.tag.router')).toHaveCount(0);
  // The row names the device (loopback: this computer's hostname) and shows its address.
  await expect(device(page, ROUTER)).toContainText(ROUTER);
  // The legend names the series (the address only when names collide), so find it by its data.
  await expect(
    page.getByRole('list', { name: 'Series' }).locator(`li[data-address="${ROUTER}"] .tag.router`),
  ).toHaveText('Router');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  const lines = (await readFile(await download.path(), 'utf8')).trim().split(/\r?\n/);
  expect(lines[0]).toBe(
    'timestamp,client_ip,qname,qtype,rcode,answers,latency_ms,upstream,device,mac,vendor,is_router,watch_rule',
  );
  // is_router is the column before the (here empty) watch_rule.
  const routerLines = lines.filter((l) => l.split(',')[1] === ROUTER);
  expect(routerLines).toHaveLength(1);
  expect(routerLines[0]!.endsWith(',true,')).toBe(true);
  expect(lines.filter((l) => l.split(',')[1] === TV).every((l) => l.endsWith(',false,'))).toBe(true);
});

test('a device is renamed inline; Esc cancels, Enter saves, and the name survives a reload', async ({
  page,
  service,
}) => {
  await page.goto(service.url);
  await service.queryMany(['tv.wild.example.test', 'tv.wild.example.test'], TV);
  await service.query('router.example.test', { source: ROUTER });
  await expect(deviceRows(page)).toHaveCount(2);
  const name = (address: string) => device(page, address).getByTestId('device-name');
  // Loopback clients are named after this computer once the registry has looked them up.
  await expect(name(TV)).not.toHaveText(TV);
  const hostname = await name(TV).innerText();
  expect(hostname).not.toBe('');

  // Esc leaves the name as it was.
  await item(page, TV).hover();
  await item(page, TV)
    .getByRole('button', { name: /^Rename / })
    .click();
  const field = page.getByLabel(`Name for ${TV}`);
  await expect(field).toBeFocused();
  await field.fill('Nothing');
  await field.press('Escape');
  await expect(field).toHaveCount(0);
  await expect(name(TV)).toHaveText(hostname);

  // Enter saves, trimmed.
  await item(page, TV).hover();
  await item(page, TV)
    .getByRole('button', { name: /^Rename / })
    .click();
  await page.getByLabel(`Name for ${TV}`).fill('  Living room TV ');
  await page.getByLabel(`Name for ${TV}`).press('Enter');
  await expect(page.getByLabel(`Name for ${TV}`)).toHaveCount(0);
  await expect(name(TV)).toHaveText('Living room TV');
  await expect(device(page, TV)).toContainText(TV);
  // The log and the device filter use the name too.
  const tvCells = logRows(page).locator(`[role="cell"][data-address="${TV}"]`);
  await expect(tvCells).toHaveCount(2);
  await expect(tvCells.first()).toHaveText('Living room TV');
  await expect(page.getByLabel('Device filter').locator(`option[value="${TV}"]`)).toHaveText(
    `Living room TV (${TV})`,
  );

  await page.reload();
  await expect(name(TV)).toHaveText('Living room TV');
  await expect(logRows(page).locator(`[role="cell"][data-address="${TV}"]`).first()).toHaveText(
    'Living room TV',
  );
  await expect(deviceRows(page).first()).toHaveAttribute('data-address', ROUTER);

  // An empty name goes back to the hostname.
  await item(page, TV).hover();
  await item(page, TV)
    .getByRole('button', { name: /^Rename / })
    .click();
  await page.getByLabel(`Name for ${TV}`).fill('');
  await page.getByLabel(`Name for ${TV}`).press('Enter');
  await expect(name(TV)).toHaveText(hostname);
});

test('a device that appears live is highlighted as new for a few seconds', async ({ page, service }) => {
  await service.query('www.example.test', { source: TV });
  await page.goto(service.url);
  await expect(deviceRows(page)).toHaveCount(1);
  // Known from the snapshot: not new.
  await expect(device(page, TV)).not.toHaveAttribute('data-new', 'true');

  await service.query('www.example.test', { source: PHONE });
  await expect(device(page, PHONE)).toHaveAttribute('data-new', 'true');
  await expect(device(page, PHONE).locator('.tag.new')).toHaveText('New');
  await expect(device(page, TV)).not.toHaveAttribute('data-new', 'true');
  // The highlight fades after a few seconds (NEW_DEVICE_MS), and a reload does not bring it back.
  await expect(device(page, PHONE)).not.toHaveAttribute('data-new', 'true', { timeout: 10_000 });
  await expect(device(page, PHONE).locator('.tag.new')).toHaveCount(0);
  await page.reload();
  await expect(device(page, PHONE)).toBeVisible();
  await expect(device(page, PHONE)).not.toHaveAttribute('data-new', 'true');
});
