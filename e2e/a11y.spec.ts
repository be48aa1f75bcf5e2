/**
 * Keyboard and screen readers: axe-core finds no violation on the dashboard (with data), the setup
 * assistant and the Settings panel, in the light and the dark theme.
 */
import { chooseTheme, expect, expectNoAxeViolations, logRows, test } from './fixtures';

const ROUTER = '127.0.0.3';

test.use({ serviceArgs: ['--router', ROUTER] });

test('the dashboard, the setup assistant and the settings pass axe-core', async ({ page, service }) => {
  // axe takes up to 25 s per page on a busy two-core machine, and runs five times here.
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(service.url);
  await expect(page.getByTestId('capture-state')).toContainText('Recording');
  await service.queryMany(['dfp-dual.safethings.avira.com', 'www.example.test'], ROUTER);
  await service.queryMany(['www.example.test', 'nx.example.test'], '127.0.0.1');
  await expect(logRows(page)).toHaveCount(4);
  await expect(page.getByTestId('watch-banner')).toBeVisible();
  // Tab reaches every control of the header and the toolbar, each with a visible focus ring.
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  const rings: string[] = [];
  for (let i = 0; i < 24; i++) {
    await page.keyboard.press('Tab');
    const ring = (await page.evaluate(`(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return 'none';
      e.setAttribute('data-tabbed', '');
      const s = getComputedStyle(e);
      return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 ? 'ring' : e.outerHTML.slice(0, 80);
    })()`)) as string;
    if (ring !== 'ring') rings.push(ring);
  }
  expect(rings, 'focused elements without a visible focus ring').toEqual([]);
  // Controls the toolbar shows (at this size its More button is folded away with nothing in it).
  const missed = (await page.evaluate(`[...document.querySelectorAll(
    'header.statusbar :is(button, select, input):not([data-tabbed]), .toolbar :is(button, select, input):not([data-tabbed])'
  )].filter((e) => e.checkVisibility()).map((e) => e.outerHTML.slice(0, 80))`)) as string[];
  expect(missed, 'controls Tab did not reach').toEqual([]);

  // The chart has a table with the same figures.
  await page.getByTestId('chart-as-table').click();
  const table = page.getByTestId('chart-table');
  await expect(table.getByRole('columnheader', { name: 'Watchlist (router)' })).toBeVisible();
  await expect(table.locator('tbody tr').first()).toBeVisible();
  await expect(page.getByTestId('requests-chart')).toBeHidden();
  await page.screenshot({ path: test.info().outputPath('chart-table-1280x800.png') });

  // Each theme chosen in Settings, against the opposite system scheme; the Settings panel in each too.
  for (const [theme, system] of [
    ['light', 'dark'],
    ['dark', 'light'],
  ] as const) {
    await page.emulateMedia({ colorScheme: system });
    await chooseTheme(page, theme);
    await expectNoAxeViolations(page, `dashboard (${theme})`);
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await expect(page.getByRole('dialog')).toBeVisible();
    await expectNoAxeViolations(page, `settings (${theme})`);
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toHaveCount(0);
  }
  await page.getByRole('button', { name: 'Setup', exact: true }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await expectNoAxeViolations(page, 'setup assistant');
});
