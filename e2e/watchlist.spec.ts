/**
 * The watchlist in Chromium against the real headless service started with `--router 127.0.0.3`: the test
 * host at 127.0.0.3 plays a TP-Link router asking a SafeThings name once a second (the test upstream
 * answers *.safethings.avira.com locally), and the page must say so loudly, mark the rows and the chart,
 * take a marker, and block the name when asked.
 */
import { expect, expectNoOverflow, logRows, test, type Service } from './fixtures';
import { runBeacon } from '../test/helpers/beacon';

const ROUTER = '127.0.0.3';
const LAPTOP = '127.0.0.1';
const SAFETHINGS = 'dfp-dual.safethings.avira.com';
/** Queries of the beacon: eleven intervals, one more than the engine needs to call it regular. */
const BEATS = 12;
const SHOTS = 'test-results/screenshots';

test.use({ serviceArgs: ['--router', ROUTER] });

/**
 * Asks `name` from `source` once a second, `count` times, on a fixed schedule from one process (spawning
 * dig per query drifts by the spawn time on a loaded machine, and the beacon's rhythm is what is tested).
 */
async function beacon(service: Service, count: number, source: string, name: string): Promise<void> {
  const answers = await runBeacon({
    server: '127.0.0.1',
    port: service.dnsPort,
    source,
    beats: count,
    periodMs: 1000,
    every: [name],
  });
  expect(answers.map((a) => a.answer)).toEqual(Array(count).fill('192.0.2.77'));
}

test('router telemetry: banner, toast, highlighted rows, chart, marker and blocking', async ({
  page,
  service,
}) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(service.url);
  // The stream is open once the status arrives: the alert must reach this page.
  await expect(page.getByTestId('capture-state')).toContainText('Recording');
  await expect(page.getByTestId('empty-state')).toBeVisible();

  const loop = beacon(service, BEATS, ROUTER, SAFETHINGS);
  // The first router query raises the alert while the beacon goes on.
  const toast = page.getByTestId('toast');
  await expect(toast).toBeVisible({ timeout: 5_000 });
  await expect(toast).toContainText('Router telemetry detected');
  await expect(toast).toContainText(`Your router ${ROUTER} contacted Avira SafeThings`);
  await loop;
  // Dismissed, it goes (the same alert does not come back: the engine raises it once).
  await page.screenshot({ path: `${SHOTS}/watchlist-toast-1280x800-light.png` });
  await toast.getByRole('button', { name: 'Dismiss' }).click();
  await expect(toast).toHaveCount(0);
  // A laptop asking something ordinary: not highlighted.
  await service.query('www.example.test', { source: LAPTOP });

  // The banner: count, the router's span and the recording's, and no daily projection from a few seconds
  // (shared/watch/lookup-rate.ts: at least 10 lookups over 10 minutes).
  const headline = page.getByTestId('watch-headline');
  await expect(headline).toContainText(`contacted Avira SafeThings ${BEATS} times in`);
  await expect(headline).toContainText(/every 1\.0 s ± 0\.\d s/);
  await expect(page.getByTestId('watch-banner')).toHaveAttribute('data-tone', 'alarm');
  const text = await headline.innerText();
  console.log(`banner: ${text}`);
  const m =
    /^Your router 127\.0\.0\.3 contacted Avira SafeThings 12 times in (\d+) s(?: \(of (\d+) s recorded\))?, too early to tell a daily rate — every 1\.0 s/.exec(
      text,
    );
  expect(m, text).not.toBeNull();
  // The span is the router's own, first to last lookup: eleven intervals of a second.
  const seconds = Number(m![1]);
  expect(seconds).toBeGreaterThanOrEqual(BEATS - 1);
  expect(seconds).toBeLessThanOrEqual(BEATS);
  expect(Number(m![2] ?? seconds)).toBeGreaterThanOrEqual(seconds);
  await expect(page.getByTestId('watch-compare')).toHaveText(
    `Too early to compare with the 42,000–80,000 a day reported for affected TP-Link routers: a daily rate needs at least 10 lookups over 10 min; so far ${BEATS} over ${seconds} s.`,
  );
  await expect(page.getByTestId('watch-banner')).toContainText('Security cloud lookups · Seen in DNS logs');

  // The log: the router's watchlist rows stand out with the rule's vendor; the laptop's row does not.
  await expect(logRows(page)).toHaveCount(BEATS + 1);
  const watched = logRows(page).and(page.locator('[data-watch="avira-safethings"]'));
  await expect(watched).toHaveCount(BEATS);
  for (const row of await watched.all()) {
    await expect(row).toHaveClass(/\bwatch\b.*\brouter\b/);
    await expect(row.locator('.tag.watch')).toHaveText('Avira');
  }
  await expect(logRows(page).first()).not.toHaveAttribute('data-watch', /.+/);
  await page.getByTestId('log-watch-only').check();
  await expect(logRows(page)).toHaveCount(BEATS);
  await page.getByTestId('log-watch-only').uncheck();
  await expect(logRows(page)).toHaveCount(BEATS + 1);

  // The chart: a hatched "watchlist (router)" series over the device areas.
  await expect(page.getByRole('list', { name: 'Series' })).toContainText('Watchlist (router)');
  await expect(page.getByTestId('chart-watched')).toHaveText(`· ${BEATS} watchlist`);
  await expect(page.getByTestId('requests-chart').locator('.watch-series.watch-router')).toHaveCount(1);
  await expectNoOverflow(page);
  await page.screenshot({ path: `${SHOTS}/watchlist-banner-1280x800-light.png` });

  // A marker: on the chart at once, listed in the panel, and compared before/after.
  await page.getByTestId('tab-watchlist').click();
  await expect(page.getByTestId('seen-rule')).toHaveCount(1);
  const seenRouter = page.locator(`[data-testid="seen-device"][data-address="${ROUTER}"]`);
  await expect(seenRouter).toContainText(String(BEATS));
  await expect(seenRouter.getByTestId('seen-every')).toHaveText(/^every 1\.0 s ± 0\.\d s$/);
  await page.getByLabel('Marker label').fill('   ');
  await page.getByRole('button', { name: 'Add marker' }).click();
  await expect(page.locator('.add-marker [role="alert"]')).toHaveText(
    'A marker needs a label, e.g. "HomeShield switched off"',
  );
  await page.getByLabel('Marker label').fill('HomeShield switched off');
  await page.getByRole('button', { name: 'Add marker' }).click();
  await expect(page.getByLabel('Marker label')).toHaveValue('');
  await expect(page.getByTestId('chart-marker')).toHaveText('HomeShield switched off');
  await expect(page.getByTestId('marker-effect').first()).toContainText('after “HomeShield switched off”');
  // The banner names the latest marker, and claims no effect before the time after it could hold ten
  // lookups at the rate before.
  await expect(page.getByTestId('watch-effect')).toContainText(
    /^After “HomeShield switched off”: waiting, about \d+ s$/,
  );
  await page.getByRole('button', { name: /^Markers/ }).click();
  await expect(page.getByTestId('marker-item')).toHaveCount(1);
  await expect(page.getByTestId('marker-item')).toContainText('HomeShield switched off');
  await expect(page.getByTestId('marker-item')).toContainText('Avira SafeThings from');
  await page.screenshot({ path: `${SHOTS}/watchlist-marker-1280x800-light.png` });

  // Blocking with NXDOMAIN: dig gets NXDOMAIN and the log marks the row blocked; then 0.0.0.0; then off.
  await page.getByRole('button', { name: 'Rules & blocking' }).click();
  const rule = page.locator('[data-testid="rule-row"][data-rule="avira-safethings"]');
  await expect(rule).toContainText('Seen in DNS logs');
  await expect(rule.locator('a').first()).toHaveAttribute('target', '_blank');
  await expect(rule.locator('a').first()).toHaveAttribute('rel', /noopener/);
  await rule.getByLabel('Blocking for Avira SafeThings').selectOption('nxdomain');
  await expect(rule.locator('.block-warning')).toContainText('Some routers retry harder');
  await page.screenshot({ path: `${SHOTS}/watchlist-rules-1280x800-light.png` });
  expect(await service.lookup(SAFETHINGS, { source: ROUTER })).toContain('status: NXDOMAIN');
  await page.getByTestId('tab-log').click();
  const top = logRows(page).first();
  await expect(top).toHaveAttribute('data-blocked', 'true');
  await expect(top).toContainText('Blocked');
  await expect(top).toContainText('NXDOMAIN');
  await expect(top).toHaveAttribute('data-watch', 'avira-safethings');

  await page.getByTestId('tab-watchlist').click();
  await page.getByRole('button', { name: 'Rules & blocking' }).click();
  await rule.getByLabel('Blocking for Avira SafeThings').selectOption('null');
  await expect(rule.getByLabel('Blocking for Avira SafeThings')).toHaveValue('null');
  expect(await service.query(SAFETHINGS, { source: ROUTER })).toBe('0.0.0.0');
  await rule.getByLabel('Blocking for Avira SafeThings').selectOption('off');
  await expect(rule.locator('.block-warning')).toHaveCount(0);
  expect(await service.query(SAFETHINGS, { source: ROUTER })).toBe('192.0.2.77');

  // The router model: TP-Link's announced fix for it.
  await page.getByRole('button', { name: 'Router', exact: true }).click();
  await page.getByLabel('Router model').selectOption('Archer AX90 v1');
  await expect(page.getByTestId('model-fix')).toContainText('announced for 2022-03-21');
  await expect(page.getByTestId('watch-headline')).toContainText(
    `Your router ${ROUTER} (TP-Link Archer AX90 v1)`,
  );

  // Screenshots at both sizes in both schemes; the layout must fit either way.
  await page.getByRole('button', { name: 'Seen', exact: true }).click();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [width, height] of [
      [1280, 800],
      [1920, 1080],
    ] as const) {
      await page.setViewportSize({ width, height });
      await expect(page.getByTestId('chart-marker')).toBeVisible();
      await expectNoOverflow(page);
      // Texts above the panels change length as figures change (a headline that takes a second line):
      // the chart gives way, the page still fits.
      const pad = (px: number) =>
        page.evaluate(
          `document.querySelector('[data-testid="watch-banner"]').style.paddingBottom = '${px}px'`,
        );
      await pad(48);
      await expectNoOverflow(page);
      await pad(0);
      await page.screenshot({ path: `${SHOTS}/watchlist-panel-${width}x${height}-${scheme}.png` });
    }
    await page.getByTestId('tab-log').click();
    await page.screenshot({ path: `${SHOTS}/watchlist-log-1920x1080-${scheme}.png` });
    await page.getByTestId('tab-watchlist').click();
  }
});

test('other devices get a quieter notice; the router’s connectivity checks stay calm', async ({
  page,
  service,
}) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(service.url);
  await expect(page.getByTestId('capture-state')).toContainText('Recording');
  // The router only checks its connection (www.tp-link.com, a connectivity rule).
  await service.lookup('www.tp-link.com', { source: ROUTER });
  const banner = page.getByTestId('watch-banner');
  await expect(banner).toHaveAttribute('data-tone', 'info');
  await expect(page.getByTestId('watch-headline')).toContainText(
    `Your router ${ROUTER} contacted TP-Link online check once`,
  );
  await expect(banner).toContainText('Connectivity checks and time sync');
  // No alarm for it: no toast.
  await expect(page.getByTestId('toast')).toHaveCount(0);
  // A laptop asking SafeThings: a notice, ranked above the router's connectivity check.
  await service.query('x1.safethings.avira.com', { source: LAPTOP });
  await expect(banner).toHaveAttribute('data-tone', 'notice');
  await expect(page.getByTestId('watch-headline')).toContainText('contacted Avira SafeThings once');
  await expect(banner.locator('.watch-more')).toContainText('TP-Link online check');
  const rows = logRows(page);
  await expect(rows).toHaveCount(2);
  await expect(rows.and(page.locator('.watch.calm'))).toHaveCount(1);
  await expect(rows.and(page.locator('.watch.router'))).toHaveCount(0);
  await page.screenshot({ path: `${SHOTS}/watchlist-notice-1280x800-light.png` });

  // Your own rule, checked as you type with the engine's words, then matching the next query.
  await page.getByTestId('tab-watchlist').click();
  await page.getByRole('button', { name: 'Rules & blocking' }).click();
  await page.getByRole('button', { name: 'Add your own rule' }).click();
  await page.getByPlaceholder('e.g. Acme', { exact: true }).fill('Example');
  await page.getByPlaceholder('e.g. Acme router cloud').fill('Example telemetry');
  await page.getByLabel('Patterns').fill('bad name.example.test');
  await page.getByRole('button', { name: 'Add rule' }).click();
  await expect(page.getByTestId('pattern-error')).toHaveText(
    '"bad name" has characters a DNS name cannot have',
  );
  await page.getByLabel('Patterns').fill('*.wild.example.test');
  await expect(page.getByTestId('pattern-error')).toHaveCount(0);
  await page.getByRole('button', { name: 'Add rule' }).click();
  const own = page.locator('[data-testid="rule-row"]').filter({ hasText: 'Example telemetry' });
  await expect(own).toContainText('Your rule');
  await service.query('t1.wild.example.test', { source: LAPTOP });
  await page.getByTestId('tab-log').click();
  await expect(logRows(page).first()).toHaveAttribute('data-watch', /^user-/);
  await expect(logRows(page).first().locator('.tag.watch')).toHaveText('Example');
});
