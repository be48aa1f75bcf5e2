/**
 * The theme chosen in Settings (System, Light, Dark): kept by the engine across a restart, followed by every
 * tab, and legible in both schemes. The contrast test computes WCAG 2 contrast ratios from the colours the
 * page really draws: text 4.5:1 (3:1 when large), chart series, hatching and markers 3:1 against the plot.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { chooseTheme, downloadVia, expect, logRows, pngPixel, test } from './fixtures';

const ROUTER = '127.0.0.3';

test.use({ serviceArgs: ['--router', ROUTER] });

/** The page's background colour as drawn: 'light' or 'dark' by its luminance. */
async function drawnScheme(page: Page): Promise<string> {
  return (await page.evaluate(`(() => {
    const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/[\\d.]+/g).map(Number);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b > 128 ? 'light' : 'dark';
  })()`)) as string;
}

test('the theme chosen in Settings applies at once, in every tab, and after a restart', async ({
  page,
  context,
  browser,
  service,
}) => {
  // Two tabs and a restart of the service on a busy machine.
  test.setTimeout(120_000);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(service.url);
  await expect(page.getByTestId('capture-state')).toContainText('Recording');
  const other = await context.newPage();
  await other.emulateMedia({ colorScheme: 'light' });
  await other.goto(service.url);
  await expect(other.getByTestId('capture-state')).toContainText('Recording');
  expect(await drawnScheme(page)).toBe('light');

  await chooseTheme(page, 'dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  expect(await drawnScheme(page)).toBe('dark');
  // The other tab follows the engine's theme:change.
  await expect(other.locator('html')).toHaveAttribute('data-theme', 'dark');
  expect(await drawnScheme(other)).toBe('dark');
  const saved = JSON.parse(await readFile(path.join(service.dataDir, 'settings.json'), 'utf8')) as {
    theme?: string;
  };
  expect(saved.theme).toBe('dark');

  // A restart keeps it: a browser that never saw this dashboard starts dark from the engine's answer.
  await service.stop();
  await service.start();
  const fresh = await browser.newContext({ colorScheme: 'light' });
  try {
    const newcomer = await fresh.newPage();
    await newcomer.goto(service.url);
    await expect(newcomer.locator('html')).toHaveAttribute('data-theme', 'dark');
    expect(await drawnScheme(newcomer)).toBe('dark');
  } finally {
    await fresh.close();
  }

  // System follows the system's scheme, both ways.
  await page.reload();
  await expect(page.getByTestId('capture-state')).toContainText('Recording');
  await chooseTheme(page, 'system');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'system');
  expect(await drawnScheme(page)).toBe('light');
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await drawnScheme(page)).toBe('dark');
  await chooseTheme(page, 'light');
  expect(await drawnScheme(page)).toBe('light');
});

/** What the page measures: every text, series, hatch and marker with its ratio and the minimum it needs. */
interface Measured {
  readonly what: string;
  readonly ratio: number;
  readonly needs: number;
}

/**
 * Computes the contrast of what the dashboard draws, in the page (a string: this tsconfig has no DOM
 * types). Colours are read back through a canvas, so any CSS colour syntax works; a background is the
 * composite of the element's and its ancestors' background colours (and a gradient's first colour, as
 * tints are drawn) over white.
 */
const MEASURE = `(() => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const rgba = (css) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = '#000';
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const background = (el) => {
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.push(e);
    let bg = [255, 255, 255, 1];
    for (const e of chain.reverse()) {
      const s = getComputedStyle(e);
      if (s.backgroundColor) bg = over(rgba(s.backgroundColor), bg);
      const tint = s.backgroundImage.match(/(?:rgba?|color)\([^)]*\)/);
      if (tint) bg = over(rgba(tint[0]), bg);
    }
    return bg;
  };
  const lum = (c) => {
    const f = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100;
  };
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    const s = getComputedStyle(el);
    return s.visibility === 'visible' && s.display !== 'none' && Number(s.opacity) > 0;
  };
  const name = (el) => {
    const text = (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 40);
    return el.tagName.toLowerCase() + (el.classList.length ? '.' + [...el.classList].join('.') : '') + ' "' + text + '"';
  };
  const out = [];
  const root = document.querySelector('[data-evidence-root]');
  // Text: every element with text of its own, and the form fields' values.
  for (const el of root.querySelectorAll('*')) {
    if (!shown(el) || el.closest('option, [disabled], [aria-disabled="true"], [aria-hidden="true"]')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own && !el.matches('input:not([type=checkbox]):not([type=radio]), select')) continue;
    if (el.matches('input') && el.value === '') continue;
    const s = getComputedStyle(el);
    const svg = el instanceof SVGElement;
    const html = svg ? el.closest('svg').parentElement : el;
    const bg = background(html);
    const fg = over(rgba(svg ? s.fill : s.color), bg);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    out.push({ what: 'text ' + name(el), ratio: ratio(fg, bg), needs: large ? 3 : 4.5 });
  }
  // Graphics: the series' lines, the watchlist hatching, the legend and device swatches, the markers.
  const plot = document.querySelector('[data-testid="requests-chart"]');
  const plotBg = background(plot);
  const graphic = (el, what, prop, against) => {
    const c = rgba(getComputedStyle(el)[prop]);
    out.push({ what, ratio: ratio(over(c, against), against), needs: 3 });
  };
  for (const el of plot.querySelectorAll('.recharts-area-curve'))
    graphic(el, 'series line ' + (el.getAttribute('name') || el.closest('[class*=recharts-area]')?.getAttribute('class')), 'stroke', plotBg);
  for (const el of plot.querySelectorAll('pattern line')) graphic(el, 'hatching ' + el.closest('pattern').id, 'stroke', plotBg);
  for (const el of plot.querySelectorAll('.marker-line line')) graphic(el, 'marker line', 'stroke', plotBg);
  for (const el of document.querySelectorAll('.legend li svg > :first-child'))
    graphic(el, 'legend swatch ' + name(el.closest('li')), el.tagName === 'line' ? 'stroke' : 'fill', background(el.closest('li')));
  for (const el of document.querySelectorAll('[data-testid="device-row"] svg rect'))
    graphic(el, 'device swatch ' + name(el.closest('[data-testid="device-row"]')), 'fill', background(el.closest('[data-testid="device-row"]')));
  return out;
})()`;

async function measure(page: Page): Promise<Measured[]> {
  return (await page.evaluate(MEASURE)) as Measured[];
}

test('text, chart series and hatching keep their contrast in the light and the dark theme', async ({
  page,
  service,
}, testInfo) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(service.url);
  await expect(page.getByTestId('capture-state')).toContainText('Recording');
  // The router (watched and not), nine more devices (every palette colour and "Other"), and one of them
  // looking up a watched name: both hatchings.
  await service.queryMany(['dfp-dual.safethings.avira.com', 'www.example.test'], ROUTER);
  for (let i = 4; i <= 12; i++) await service.queryMany([`host-${i}.example.test`], `127.0.0.${i}`);
  await service.queryMany(['www.example.test', 'nx.example.test'], '127.0.0.1');
  await service.queryMany(['dfp-dual.safethings.avira.com'], '127.0.0.4');
  await expect(page.getByTestId('device-row')).toHaveCount(11);
  const marker = await page.request.post(`${service.url}api/rpc/marker:add`, {
    data: { args: { label: 'HomeShield switched off' } },
  });
  expect(marker.ok(), await marker.text()).toBe(true);
  await expect(page.getByTestId('chart-marker')).toBeVisible();
  await expect(logRows(page).first()).toBeVisible();
  const legend = page.locator('.legend li');
  await expect(legend.filter({ hasText: 'Watchlist (router)' })).toHaveCount(1);
  await expect(legend.filter({ hasText: 'Watchlist (other devices)' })).toHaveCount(1);
  await expect(legend.getByText(/^\d+ other devices$/)).toHaveCount(1);

  // Each theme forced against the opposite system scheme, so the choice, not the system, decides.
  const failures: string[] = [];
  for (const [theme, system] of [
    ['light', 'dark'],
    ['dark', 'light'],
  ] as const) {
    await page.emulateMedia({ colorScheme: system });
    await chooseTheme(page, theme);
    expect(await drawnScheme(page)).toBe(theme);
    // A device that just appeared, its highlight held at full strength while measured.
    const newcomer = `127.0.0.${theme === 'light' ? 13 : 14}`;
    await service.queryMany([`new-${theme}.example.test`], newcomer);
    const row = page.locator(`[data-testid="device-row"][data-address="${newcomer}"]`);
    await expect(row).toHaveAttribute('data-new', 'true');
    await page.evaluate('document.getAnimations().forEach((a) => { a.pause(); a.currentTime = 0; })');
    const measured = await measure(page);
    await page.evaluate('document.getAnimations().forEach((a) => a.play())');
    const kinds = (prefix: string) => measured.filter((m) => m.what.startsWith(prefix)).length;
    // What the chart draws is really measured: 7 devices and "Other", two hatchings, the marker; and
    // every palette colour in the devices' swatches.
    expect(kinds('series line'), `${theme}: series lines`).toBe(10);
    expect(kinds('device swatch'), `${theme}: device swatches`).toBe(theme === 'light' ? 12 : 13);
    const highlighted = measured.filter((m) => m.what.startsWith('text ') && m.what.includes(newcomer));
    expect(highlighted.length, `${theme}: the new device's texts`).toBeGreaterThan(0);
    expect(kinds('hatching'), `${theme}: hatchings`).toBe(2);
    expect(kinds('marker line'), `${theme}: marker line`).toBe(1);
    expect(kinds('text '), `${theme}: text elements`).toBeGreaterThan(100);
    const low = measured.filter((m) => m.ratio < m.needs);
    failures.push(...low.map((m) => `${theme}: ${m.what} ${m.ratio}:1 (needs ${m.needs}:1)`));
    const lowest = (prefix: string) =>
      Math.min(...measured.filter((m) => m.what.startsWith(prefix)).map((m) => m.ratio));
    console.log(
      `contrast ${theme}: ${measured.length} measured, lowest text ${lowest('text ')}:1, series ${lowest('series line')}:1, hatching ${lowest('hatching')}:1`,
    );
    const shot = testInfo.outputPath(`dashboard-${theme}.png`);
    await page.screenshot({ path: shot });
    await testInfo.attach(`dashboard-${theme}`, { path: shot, contentType: 'image/png' });
  }
  expect(failures, 'below the WCAG minimum').toEqual([]);
});

test('the exported PNG shows the theme on screen', async ({ page, service }) => {
  test.setTimeout(150_000);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(service.url);
  await service.queryMany(['dfp-dual.safethings.avira.com', 'www.example.test'], ROUTER);
  await expect(page.getByTestId('status-total')).toContainText('2');
  // The evidence strip's background (--accent-soft) fills the image's top-left corner.
  for (const [theme, strip] of [
    ['dark', [0x1d, 0x2b, 0x3b]],
    ['light', [0xe7, 0xf0, 0xfa]],
  ] as const) {
    await page.emulateMedia({ colorScheme: theme === 'dark' ? 'light' : 'dark' });
    await chooseTheme(page, theme);
    const { body } = await downloadVia(page, 'Save PNG');
    const [r, g, b, , height] = await pngPixel(page, body, 4, 4);
    expect([r, g, b], `${theme}: the strip`).toEqual(strip);
    // The page's background (--bg) at the bottom-left corner.
    const [br, bg, bb] = await pngPixel(page, body, 2, height! - 2);
    expect(0.2126 * br! + 0.7152 * bg! + 0.0722 * bb! > 128 ? 'light' : 'dark', `${theme}: the page`).toBe(
      theme,
    );
  }
});
