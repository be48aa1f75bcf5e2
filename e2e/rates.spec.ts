/**
 * One rate, one definition: with a router that has been asking long enough for a projection, the banner,
 * summary.json and report.html of one evidence bundle state the same count, daily figure and interval.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import * as dnsPacket from 'dns-packet';
import { isoLocal } from '../shared/time';
import { formatCount, formatInterval } from '../shared/watch/lookup-rate';
import { captureMetaText, JournalWriter } from '../electron/engine/capture/journal';
import { newCaptureId } from '../electron/engine/capture/capture-id';
import { exchange, journalLine } from '../electron/engine/capture/test-support';
import { expect, test } from './fixtures';

const ROUTER = '127.0.0.3';
const SAFETHINGS = 'dfp-dual.safethings.avira.com';
const INTERVAL_MS = 1030;

/**
 * A stopped capture in the data folder, written the way the service writes one (sealed journal, closing
 * seal, capture.json): the router looked up SafeThings every 1.03 s from 40 to 2 minutes ago, with the
 * real query and response bytes.
 */
async function writeBeaconCapture(dataDir: string, now: number): Promise<number> {
  const startedAt = now - 41 * 60_000;
  const first = now - 40 * 60_000;
  const last = now - 2 * 60_000;
  const id = newCaptureId(startedAt);
  const dir = path.join(dataDir, 'captures', id);
  await mkdir(dir, { recursive: true });
  const w = new JournalWriter({
    path: path.join(dir, 'journal.ndjson'),
    maxUnwrittenBytes: 64 << 20,
    onWarning: (m) => {
      throw new Error(m);
    },
    chained: true,
  });
  let seq = 0;
  for (let ts = first; ts <= last; ts += INTERVAL_MS) {
    seq++;
    const question = { type: 'A' as const, name: SAFETHINGS };
    const queryWire = dnsPacket.encode({
      type: 'query',
      id: seq & 0xffff,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [question],
    });
    const responseWire = dnsPacket.encode({
      type: 'response',
      id: seq & 0xffff,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: [question],
      answers: [{ type: 'A', name: SAFETHINGS, ttl: 60, data: '18.66.1.2' }],
    });
    const rec = exchange(
      {
        ts,
        client: ROUTER,
        clientPort: 40_000 + (seq % 20_000),
        qname: SAFETHINGS,
        watchRule: 'avira-safethings',
        queryWire,
        responseWire,
        size: responseWire.length,
      },
      seq,
    );
    w.append(journalLine(seq, isoLocal(ts), id, rec), seq, ts);
    if (seq % 500 === 0) await w.flush();
  }
  await w.close();
  await writeFile(path.join(dir, 'capture.json'), captureMetaText({ id, startedAt, stoppedAt: last + 1000 }));
  return seq;
}

test.use({ serviceArgs: ['--router', ROUTER] });

test('the banner, summary.json and report.html state one projected rate for the router', async ({
  page,
  service,
}, testInfo) => {
  test.setTimeout(150_000);
  await service.stop();
  const lookups = await writeBeaconCapture(service.dataDir, Date.now());
  await service.start();
  await page.goto(service.url);

  const headline = page.getByTestId('watch-headline');
  await expect(headline).toContainText(`contacted Avira SafeThings ${formatCount(lookups)} times`, {
    timeout: 30_000,
  });
  const banner = await headline.innerText();
  // 38 min at one lookup every 1.03 s: a projection, not "too early to tell".
  const daily = /≈ ([\d,]+) a day/.exec(banner);
  expect(daily, banner).not.toBeNull();
  const perDay = Number(daily![1]!.replace(/,/g, ''));
  // The projection agrees with the interval: 86,400 s a day / 1.03 s ≈ 83,900 (three significant digits).
  expect(perDay).toBe(83_900);

  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 90_000 }),
    page.getByRole('button', { name: 'Evidence bundle', exact: true }).click(),
  ]);
  const file = testInfo.outputPath('bundle.zip');
  await download.saveAs(file);
  const files = unzipSync(new Uint8Array(await readFile(file)));
  const summary = JSON.parse(strFromU8(files['summary.json']!)) as {
    findings: string[];
    watchlist: {
      rule: string;
      devices: {
        address: string;
        queries: number;
        projected_per_day: number | null;
        mean_interval_ms: number;
        rate_text: string;
      }[];
    }[];
  };
  const router = summary.watchlist
    .find((w) => w.rule === 'avira-safethings')!
    .devices.find((d) => d.address === ROUTER)!;
  expect(router.queries).toBe(lookups);
  const rateText = `≈ ${daily![1]} a day, one every ${formatInterval(router.mean_interval_ms)}`;
  expect(router.rate_text).toBe(rateText);
  expect(formatInterval(router.mean_interval_ms)).toBe('1.03 s');
  expect(Math.round(router.projected_per_day! / 100) * 100).toBe(perDay);
  expect(banner).toContain(`${formatCount(lookups)} times`);

  const finding = summary.findings.find((f) => f.startsWith(`Router ${ROUTER} looked up`));
  expect(finding, summary.findings.join('\n')).toContain(`${formatCount(lookups)} times`);
  expect(finding).toContain(`(${rateText})`);
  const report = strFromU8(files['report.html']!);
  expect(report).toContain(`<p>${finding!.replace(/"/g, '&quot;')}</p>`);
  expect(report.split(rateText).length - 1).toBeGreaterThanOrEqual(2);
});
