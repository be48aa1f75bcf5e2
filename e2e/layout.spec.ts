/**
 * The dashboard at the window sizes people use, from 800×600 to 2560×1440: the header and the toolbar stay
 * inside the window, every control in them can be seen or reached through the toolbar's More menu, and the
 * page never scrolls sideways. A screenshot per size goes into the test report.
 */
import { expect, expectNoOverflow, expectNoAxeViolations, logRows, test } from './fixtures';

const ROUTER = '127.0.0.3';
const SIZES = [
  [800, 600],
  [1024, 700],
  [1280, 800],
  [1920, 1080],
  [2560, 1440],
] as const;
/** The exports, inline in a wide toolbar or in its More menu. */
const EXPORTS = ['Export CSV', 'Export PCAP', 'Save PNG', 'Evidence bundle', 'Export dnstap'];

test.use({ serviceArgs: ['--router', ROUTER] });

test('header and toolbar fit every window size', async ({ page, service }, testInfo) => {
  // Five sizes, a full-page screenshot and the More menu at each: slow on a busy two-core machine.
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(service.url);
  await expect(page.getByTestId('capture-state')).toContainText('Recording');
  await service.queryMany(
    ['dfp-dual.safethings.avira.com', 'a-rather-long-name.telemetry.some-vendor-cloud.example.test'],
    ROUTER,
  );
  await service.queryMany(
    Array.from({ length: 20 }, (_, i) => `host-${i}.an-unusually-long-subdomain-label.example.test`),
    '127.0.0.1',
  );
  await service.queryMany(['www.example.test'], '127.0.0.4');
  await expect(logRows(page).first()).toBeVisible();
  await expect(page.getByTestId('status-total')).toContainText('23');
  await expect(page.getByTestId('watch-banner')).toBeVisible();

  // The screenshots first, so a failure below still leaves every size to look at.
  for (const [width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await expect(page.getByRole('toolbar', { name: 'Filters' })).toBeVisible();
    const path = testInfo.outputPath(`dashboard-${width}x${height}.png`);
    await page.screenshot({ path });
    await testInfo.attach(`dashboard-${width}x${height}`, { path, contentType: 'image/png' });
  }
  for (const [width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    const toolbar = page.getByRole('toolbar', { name: 'Filters' });
    await expect(toolbar).toBeVisible();
    await page.evaluate('window.scrollTo(0, 0)');
    for (const within of ['header.statusbar', '.toolbar'])
      await expectNoOverflow(page, { within, scrollsDown: true });
    // A large window holds everything without scrolling; a small one scrolls down, never sideways.
    await expectNoOverflow(page, { scrollsDown: width < 1280 });
    // Every control of the header and the toolbar is on screen.
    for (const control of await page.locator('header.statusbar, .toolbar').getByRole('button').all())
      await expect(control).toBeInViewport();
    for (const name of ['Device filter', 'Name filter'])
      await expect(page.getByRole('toolbar').getByLabel(name)).toBeInViewport();
    // The filters and the exports (or the More menu holding them) keep one line.
    const rows = (await page.evaluate(`new Set([...document.querySelectorAll('.toolbar > *')]
      .filter((e) => e.getBoundingClientRect().width > 0).map((e) => Math.round(e.getBoundingClientRect().bottom))).size`)) as number;
    expect(rows, `toolbar lines at ${width}×${height}`).toBe(1);
    // Every export is a button in the toolbar or an item of its More menu.
    const more = page.getByRole('toolbar').getByRole('button', { name: 'More' });
    const inline = await page.getByRole('toolbar').getByRole('button').allInnerTexts();
    const folded = EXPORTS.filter((name) => !inline.some((t) => t.trim() === name));
    // dnstap, which fewer people need, is always in the menu, and Import… always ends it.
    await more.click();
    const items = page.getByRole('menu').getByRole('menuitem');
    expect((await items.allInnerTexts()).map((t) => t.trim())).toEqual([...folded, 'Import…']);
    for (const item of await items.all()) await expect(item).toBeInViewport();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('menu')).toHaveCount(0);
    expect(`${width}: ${folded.length} folded`).toBe(
      `${width}: ${width < 900 ? 5 : width < 1210 ? 4 : 1} folded`,
    );
    if (width > 1920) {
      // A very wide window keeps the content 1920 px wide, centred, rather than stretch every line.
      const [left, right] = (await page.evaluate(`(() => {
        const r = document.querySelector('main.grid > .side').getBoundingClientRect();
        const c = document.querySelector('main.grid > .content').getBoundingClientRect();
        return [r.left, innerWidth - c.right];
      })()`)) as number[];
      expect(width - left! - right!, 'content width').toBeLessThanOrEqual(1920);
      expect(Math.abs(left! - right!), 'content centred').toBeLessThanOrEqual(1);
    }
    if (width >= 1280) {
      // The query log uses the height it has: at least ten whole rows in view.
      const shown = (await page.evaluate(`(() => {
        const box = document.querySelector('.log-scroll').getBoundingClientRect();
        return [...document.querySelectorAll('[data-testid="log-row"]')]
          .map((r) => r.getBoundingClientRect())
          .filter((r) => r.top >= box.top - 0.5 && r.bottom <= Math.min(box.bottom, innerHeight) + 0.5).length;
      })()`)) as number;
      expect(shown, 'query log rows in view').toBeGreaterThanOrEqual(10);
    }
  }
});

test('the More menu works from the keyboard: arrows, Escape, focus back on its button', async ({
  page,
  service,
}) => {
  await page.setViewportSize({ width: 800, height: 600 });
  await page.goto(service.url);
  await service.queryMany(['www.example.test'], '127.0.0.1');
  const more = page.getByRole('toolbar').getByRole('button', { name: 'More' });
  await expect(more).toBeVisible();
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await more.focus();
  await page.keyboard.press('ArrowDown');
  const menu = page.getByRole('menu', { name: 'More' });
  await expect(menu).toBeVisible();
  await expect(more).toHaveAttribute('aria-expanded', 'true');
  const item = (name: string) => menu.getByRole('menuitem', { name, exact: true });
  await expect(item('Export CSV')).toBeFocused();
  await expectNoAxeViolations(page, 'the open More menu', '.toolbar');
  await page.keyboard.press('ArrowDown');
  await expect(item('Export PCAP')).toBeFocused();
  await page.keyboard.press('End');
  await expect(item('Import…')).toBeFocused();
  // Wraps around both ways.
  await page.keyboard.press('ArrowDown');
  await expect(item('Export CSV')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(item('Import…')).toBeFocused();
  await page.keyboard.press('Home');
  await expect(item('Export CSV')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
  await expect(more).toBeFocused();
  // ↑ opens it on the last item; Enter runs the focused item and gives the focus back.
  await page.keyboard.press('ArrowUp');
  await expect(item('Import…')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(item('Export dnstap')).toBeFocused();
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowUp');
  await expect(item('Export PCAP')).toBeFocused();
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  expect(download.suggestedFilename()).toMatch(/\.pcap$/);
  await expect(menu).toHaveCount(0);
  await expect(more).toBeFocused();
  // A click outside closes it too.
  await more.click();
  await expect(menu).toBeVisible();
  await page.getByRole('heading', { name: 'Devices' }).click();
  await expect(menu).toHaveCount(0);
});
