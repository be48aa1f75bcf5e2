/**
 * The dashboard at the window sizes people use, from 800×600 to 1920×1080: the header and the toolbar stay
 * inside the window (they wrap rather than run off the edge), every control in them can be seen, and the
 * page never scrolls sideways. A screenshot per size goes into the test report.
 */
import { expect, expectNoOverflow, logRows, test } from './fixtures';

const ROUTER = '127.0.0.3';
const SIZES = [
  [800, 600],
  [1024, 700],
  [1280, 800],
  [1920, 1080],
] as const;

test.use({ serviceArgs: ['--router', ROUTER] });

test('header and toolbar fit every window size', async ({ page, service }, testInfo) => {
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
