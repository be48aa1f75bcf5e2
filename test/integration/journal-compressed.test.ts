/**
 * A capture whose sealed lines were compressed while it ran (journal.ndjson.gz beside journal.ndjson) and
 * that was then killed: the built service loads every record that was written, and verify vouches for
 * every sealed one, the frames' and the plain file's alike.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalText } from '../../electron/engine/capture/test-support';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { requireTool, run, waitFor } from '../helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '../..');
const VERIFY = path.join(ROOT, 'scripts/verify.mjs');
/** Enough journal for a few 1 MiB frames (about 480 bytes per query). */
const QUERIES = 6000;

async function total(base: string): Promise<number> {
  return ((await (await fetch(`${base}/api/queries?limit=1`)).json()) as { total: number }).total;
}

describe('a compressed journal killed while recording', () => {
  let upstream: Dnsmasq;
  let served: Served | null = null;
  let tmp: string;

  beforeAll(async () => {
    requireTool('dnsperf', 'dnsperf');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'dnsw-compressed-'));
    upstream = await startDnsmasq();
  });

  afterAll(async () => {
    await served?.stop();
    await upstream?.stop();
    if (tmp) await removeDir(tmp);
  });

  it('loads and verifies every sealed record after a restart', async () => {
    const names = path.join(tmp, 'names.txt');
    await writeFile(
      names,
      Array.from({ length: QUERIES }, (_, i) =>
        i % 10 === 0 ? `n${i % 4}.safethings.avira.com A` : `h${i % 150}.wild.example.test AAAA`,
      ).join('\n') + '\n',
    );
    const dataDir = path.join(tmp, 'data');
    const first = await startServe(upstream.port, { dataDir, args: ['--retention-days', '0'] });
    served = first;
    const perf = await run(
      'dnsperf',
      ['-s', '127.0.0.1', '-p', String(first.dnsPort), '-d', names, '-n', '1', '-Q', '1000', '-t', '5'],
      120_000,
    );
    expect(perf.code, perf.stderr).toBe(0);
    const [id] = await readdir(path.join(dataDir, 'captures'));
    const journal = path.join(dataDir, 'captures', id!, 'journal.ndjson');
    // Killed once everything answered is sealed (flushed within 250 ms). The DNS thread journals before the
    // main thread lists: both counts are read until they agree.
    const sealed = await waitFor(
      async () => {
        const answered = await total(first.base);
        const lines = (await journalText(journal)).trimEnd().split('\n');
        const records = lines.filter((l) => l.startsWith('{"seq"')).length;
        return records === answered && lines.at(-1)!.startsWith('{"chain"') ? records : undefined;
      },
      5000,
      'every answered query sealed',
    );
    expect(sealed).toBeGreaterThan(QUERIES * 0.9);
    expect((await stat(`${journal}.gz`)).size).toBeGreaterThan(0);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    served = null;

    const second = await startServe(upstream.port, {
      dataDir,
      args: ['--no-capture', '--retention-days', '0'],
    });
    served = second;
    expect(
      await waitFor(async () => ((await total(second.base)) === sealed ? true : undefined), 20_000),
    ).toBe(true);
    await second.stop();
    served = null;
    const v = spawnSync(process.execPath, [VERIFY, journal], { encoding: 'utf8', cwd: ROOT });
    expect(v.status, v.stderr).toBe(2);
    expect(v.stderr.trimEnd()).toMatch(
      new RegExp(
        `^UNVERIFIED journal\\.ndjson: no closing seal: the journal ends after record ${sealed} without the seal a clean stop writes .*; ${sealed.toLocaleString('en-US')} records in [\\d,]+ sealed blocks unchanged;`,
      ),
    );
  });
});
