/**
 * The dashboard on a network of 100,000 client addresses (a history written in the service's own journal
 * format by scripts/bench/history-journal.mjs): the devices panel lists the busiest from the snapshot,
 * renders only the rows in view, counts the rest and fetches them a page at a time.
 */
import path from 'node:path';
import { writeHistory } from '../scripts/bench/history-journal.mjs';
import { deviceRows, expect, test } from './fixtures';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLIENTS = 100_000;

test.use({ serviceArgs: ['--router', '192.168.0.1'] });

test('the devices panel stays usable with 100,000 clients', async ({ page, service }) => {
  test.setTimeout(300_000);
  await service.stop();
  await writeHistory({ root: ROOT, dataDir: service.dataDir, queries: 200_000, clients: CLIENTS });
  await service.start();
  await page.goto(service.url);

  const panel = page.locator('section.devices');
  // Every client is counted, the router and the 100,000 devices; the 1,000 busiest came with the snapshot.
  // The first snapshot may wait out the service's load shedding (503 and a retry).
  await expect(panel.locator('.panel-head .num')).toHaveText('100,001', { timeout: 60_000 });
  const more = page.getByTestId('devices-more');
  await expect(more).toContainText('99,001 more devices');
  await expect(page.getByTestId('status-total')).toContainText('200,000');
  // Only the rows in view (and a few around them) are in the page.
  await expect(deviceRows(page).first()).toHaveAttribute('data-address', '192.168.0.1');
  expect(await deviceRows(page).count()).toBeLessThan(100);

  // The next page of clients joins the list, once: the page itself waits out the service's load shedding
  // (503 with Retry-After), so one click is one page however slow the answer.
  await more.click();
  await expect(more).toContainText('98,001 more devices', { timeout: 60_000 });
  // Scrolled to the end, the last rows are rendered, and still only a few. The line under the banner on
  // whether the router follows the browsing comes once the correlation has read the whole history, seconds
  // after the banner, and pushes the panels down: a list scrolled to its end before that keeps its scroll
  // offset and loses its last row from view, as any scrolled box does. So the page settles first, and the
  // scroll is repeated as a user would repeat it if anything else moves.
  await expect(page.getByTestId('correlation-line')).toBeVisible({ timeout: 60_000 });
  await expect(async () => {
    await page.locator('.device-list').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect(more).toBeInViewport({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(deviceRows(page).last()).toHaveAttribute('data-address', /^10\./);
  expect(await deviceRows(page).count()).toBeLessThan(100);
  // A device far down the list is a click away, like any other.
  const last = deviceRows(page).last();
  const address = await last.getAttribute('data-address');
  await last.click();
  await expect(last).toHaveAttribute('aria-pressed', 'true');
  expect(address).toMatch(/^10\./);
});
