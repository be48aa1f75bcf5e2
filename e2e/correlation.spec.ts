/**
 * The correlation in Chromium against the real headless service started with `--router 127.0.0.3`: a device
 * at 127.0.0.2 looks up fresh names (and re-asks old ones), the router follows each fresh name 0.2–1 s later
 * with a SafeThings lookup. The page must show, under the banner, the share of router lookups that followed
 * a new site and the share chance would give, the same figures as /api/summary, and explain the method.
 */
import { randomBytes } from 'node:crypto';
import { expect, test } from './fixtures';

const ROUTER = '127.0.0.3';
const DEVICE = '127.0.0.2';
const ROUNDS = 10;
/**
 * One fresh name every 5–12 s, at random: with the default 3 s window chance alignment stays near a third.
 * Not a fixed period: a timeline shifted by a multiple of a period would line up again and look followed.
 */
const GAP_MS = [5000, 12_000] as const;
const SHOTS = 'test-results/screenshots';

test.use({ serviceArgs: ['--router', ROUTER] });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Correlation {
  window_s: number;
  lookups: number;
  followed_share: number;
  chance_share: number;
  verdict: string;
  sentence: string;
}

test('router lookups that follow the device’s new sites: the correlation line', async ({ page, service }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(service.url);
  await expect(page.getByTestId('capture-state')).toContainText('Recording');

  const tag = randomBytes(3).toString('hex');
  let next = Date.now();
  for (let i = 0; i < ROUNDS; i++) {
    await sleep(next - Date.now());
    next += GAP_MS[0] + Math.random() * (GAP_MS[1] - GAP_MS[0]);
    const asked = Date.now();
    expect(await service.query(`site${i}-${tag}.wild.example.test`, { source: DEVICE })).toBe('192.0.2.99');
    await sleep(asked + 200 + Math.random() * 800 - Date.now());
    const hash = randomBytes(8).toString('hex');
    expect(await service.query(`${hash}.safethings.avira.com`, { source: ROUTER })).toBe('192.0.2.78');
    // A name the device already knows: not a new site.
    await sleep(asked + 3500 - Date.now());
    await service.query(`site${Math.max(0, i - 1)}-${tag}.wild.example.test`, { source: DEVICE });
  }

  const line = page.locator('[data-testid="correlation-line"][data-rule="avira-safethings"]');
  await expect(line).toHaveAttribute('data-lookups', String(ROUNDS), { timeout: 15_000 });
  const res = await page.request.get(`${service.url}api/summary`);
  expect(res.status()).toBe(200);
  const summary = (await res.json()) as { watchlist: { rule: string; correlation: Correlation | null }[] };
  const c = summary.watchlist.find((r) => r.rule === 'avira-safethings')!.correlation!;
  console.log(`summary: ${c.sentence} (${c.verdict})`);
  expect(c.lookups).toBe(ROUNDS);
  expect(c.window_s).toBe(3);
  expect(c.followed_share).toBeGreaterThanOrEqual(0.85);
  expect(c.chance_share).toBeLessThan(0.5);
  expect(c.verdict).toBe('tracks-browsing');

  // The page says the same as the API, in the words of the brief.
  const sentence = line.getByTestId('correlation-sentence');
  await expect(sentence).toHaveText(c.sentence);
  await expect(sentence).toHaveText(
    /^\d+ % of your router’s Avira SafeThings lookups came within 3 s of a device looking up a new site \(by chance: \d+ %\)$/,
  );
  expect(Number(await line.getAttribute('data-followed'))).toBeCloseTo(c.followed_share, 2);
  expect(Number(await line.getAttribute('data-chance'))).toBeCloseTo(c.chance_share, 2);
  await expect(line.getByTestId('correlation-verdict')).toHaveText('Follows browsing');
  // Named by its hostname where reverse DNS knows one (e.g. "vm (127.0.0.2)").
  await expect(line).toContainText(
    new RegExp(
      `Most often after (\\S+ \\()?${DEVICE.replace(/\./g, '\\.')}\\)?: \\d+ % of its ${ROUNDS} new sites`,
    ),
  );
  await expect(line.locator('.tag.cat-security-cloud')).toHaveText('Security cloud');
  // The banner above names the category too, so a connectivity check would not read like this.
  await expect(page.getByTestId('watch-category')).toHaveText('Security cloud');

  // The explanation opens on demand and closes again.
  const help = line.getByRole('button', { name: 'How is this measured?' });
  await help.click();
  await expect(help).toHaveAttribute('aria-expanded', 'true');
  await expect(line.getByTestId('correlation-method')).toContainText('previous 30 minutes');
  await expect(line.getByTestId('correlation-method')).toContainText('shifted by random offsets');
  await page.screenshot({ path: `${SHOTS}/correlation-1280x800-light.png` });
  await help.click();
  await expect(line.getByTestId('correlation-method')).toHaveCount(0);

  // The look-back window is the user's: a narrower one recomputes the line, and it is kept.
  const window = page.getByTestId('correlation-window');
  await expect(window).toHaveValue('3');
  await window.selectOption('1');
  await expect(sentence).toHaveText(/came within 1 s of a device looking up a new site/);
  const narrowed = (await (await page.request.get(`${service.url}api/summary`)).json()) as {
    watchlist: { rule: string; correlation: Correlation | null }[];
  };
  expect(narrowed.watchlist.find((r) => r.rule === 'avira-safethings')!.correlation!.window_s).toBe(1);
  await page.reload();
  await expect(page.getByTestId('correlation-window')).toHaveValue('1');
});
