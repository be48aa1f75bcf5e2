/**
 * The finding the product exists for, on a real (namespaced) LAN: a test host with a TP-Link MAC plays the
 * router, uses this computer as its resolver and asks a SafeThings name once a second, plus a few one-off
 * names. The service learns the router's address from `--router`, its MAC from the neighbour table and its
 * make from the OUI list, and the page must say "Your router 10.123.X.10 (TP-Link) contacted Avira
 * SafeThings …", with the beacon per name in the watchlist panel.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLab, type Lab, type LabHost } from '../test/helpers/netns';
import { startDnsmasq, type Dnsmasq } from '../test/helpers/dnsmasq';
import { startServe, removeDir, type Served } from '../test/helpers/serve';
import { freePort, requireTool } from '../test/helpers/tools';
import { expect, test } from './fixtures';

/** A TP-Link OUI (F4:F2:6D), so the vendor comes from the offline IEEE list. */
const TPLINK = 'f4:f2:6d:12:34:56';
const BEACON = 'dfp-dual.safethings.avira.com';
const ONE_OFF = ['x1.safethings.avira.com', 'x2.safethings.avira.com'];
const BEATS = 12;

let lab: Lab;
let router: LabHost;
let upstream: Dnsmasq;
let served: Served;
let labDnsPort = 0;

test.beforeAll(async () => {
  test.setTimeout(60_000);
  requireTool('dig', 'bind9-dnsutils');
  lab = await createLab([{ name: 'router', mac: TPLINK }]);
  router = lab.hosts[0]!;
  upstream = await startDnsmasq();
  labDnsPort = await freePort();
  // Setup already done (as the dashboard fixture does), so the first-run assistant stays closed.
  const dataDir = await mkdtemp(path.join(tmpdir(), 'dnsw-router-lab-'));
  await writeFile(path.join(dataDir, 'settings.json'), JSON.stringify({ version: 1, setup: { done: true } }));
  served = await startServe(upstream.port, {
    dataDir,
    args: ['--listen', `${lab.ipv4}:${labDnsPort}`, '--router', router.ipv4],
  });
});

test.afterAll(async () => {
  await served?.stop();
  if (served) await removeDir(served.dataDir);
  await upstream?.stop();
  await lab?.destroy();
});

/** One query from inside the router's namespace to this computer; returns dig's short answer. */
async function askFromRouter(name: string): Promise<string> {
  const r = await lab.exec(router, 'dig', [
    `@${lab.ipv4}`,
    '-p',
    String(labDnsPort),
    '+tries=1',
    '+time=2',
    '+short',
    name,
  ]);
  if (r.code !== 0) throw new Error(`dig in the router namespace failed: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

test('a namespaced TP-Link router beaconing to SafeThings raises the banner with its make', async ({
  page,
}) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${served.base}/`);
  await expect(page.getByTestId('capture-state')).toContainText('Recording');

  // Once a second on a fixed schedule, with two one-off names in between.
  const start = Date.now();
  for (let i = 0; i < BEATS; i++) {
    const wait = start + i * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    expect(await askFromRouter(BEACON)).toBe('192.0.2.77');
    if (i === 3 || i === 7) await askFromRouter(ONE_OFF[i === 3 ? 0 : 1]!);
  }

  const headline = page.getByTestId('watch-headline');
  await expect(headline).toContainText(`Your router ${router.ipv4} (TP-Link) contacted Avira SafeThings`, {
    timeout: 10_000,
  });
  await expect(headline).toContainText(`${BEATS + ONE_OFF.length} times in`);
  // The one-offs blur the router's overall rhythm, so the banner names the name that beats.
  await expect(headline).toContainText(
    new RegExp(`— ${BEACON.replace(/\./g, '\\.')} every 1\\.0 s ± 0\\.\\d s$`),
  );
  await expect(page.getByTestId('watch-banner')).toHaveAttribute('data-tone', 'alarm');
  console.log(`banner: ${await headline.innerText()}`);

  // The panel splits the router's count by name: the beacon is the one name queried every second.
  await page.getByTestId('tab-watchlist').click();
  const names = page.getByTestId('seen-names');
  await expect(names).toContainText('3 distinct names');
  await names.locator('summary').click();
  const beaconRow = page.locator(`[data-testid="seen-name"][data-name="${BEACON}"]`);
  await expect(beaconRow).toContainText(String(BEATS));
  await expect(beaconRow).toContainText(/every 1\.0 s ± 0\.\d s/);
  for (const n of ONE_OFF)
    await expect(page.locator(`[data-testid="seen-name"][data-name="${n}"]`)).toContainText('–');
  await page.screenshot({ path: 'test-results/screenshots/router-lab-names-1280x800-light.png' });

  // The same finding over the API, per name.
  const summary = (await (await fetch(`${served.base}/api/summary`)).json()) as {
    watchlist: {
      rule: string;
      router_queries: number;
      devices: {
        address: string;
        is_router: boolean;
        names: { name: string; queries: number; beacon: boolean }[];
      }[];
    }[];
  };
  const avira = summary.watchlist.find((w) => w.rule === 'avira-safethings')!;
  expect(avira.router_queries).toBe(BEATS + ONE_OFF.length);
  const device = avira.devices.find((d) => d.address === router.ipv4)!;
  expect(device.is_router).toBe(true);
  expect(device.names[0]).toEqual(expect.objectContaining({ name: BEACON, queries: BEATS, beacon: true }));
});
