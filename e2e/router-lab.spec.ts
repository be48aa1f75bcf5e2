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
import { runBeacon } from '../test/helpers/beacon';
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

test('a namespaced TP-Link router beaconing to SafeThings raises the banner with its make', async ({
  page,
}) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${served.base}/`);
  await expect(page.getByTestId('capture-state')).toContainText('Recording');

  // Once a second on a fixed schedule, from one process inside the router's namespace, with two one-off
  // names in between.
  const answers = await runBeacon({
    server: lab.ipv4,
    port: labDnsPort,
    source: router.ipv4,
    beats: BEATS,
    periodMs: 1000,
    every: [BEACON],
    once: [
      { name: ONE_OFF[0]!, beat: 3 },
      { name: ONE_OFF[1]!, beat: 7 },
    ],
    netns: router.ns,
  });
  expect(answers.filter((a) => a.name === BEACON).map((a) => a.answer)).toEqual(
    Array(BEATS).fill('192.0.2.77'),
  );
  expect(answers).toHaveLength(BEATS + ONE_OFF.length);

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
