/**
 * `npm run import` through the built CLI, into a data folder the built headless service holds and serves
 * meanwhile: the capture appears in the API with its provenance, every export works on it, the evidence
 * bundle says where the queries came from, damaged files and Ctrl-C leave nothing behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureInfo } from '../../shared/events';
import { adguardLine, beaconQueries } from '../../electron/engine/import/test-support';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { dig, waitFor } from '../helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '../..');
const IMPORT = path.join(ROOT, 'scripts/import.mjs');
const VERIFY = path.join(ROOT, 'scripts/verify.mjs');
const FIXTURES = path.join(ROOT, 'test/fixtures/import');
const START = Date.parse('2026-11-20T09:00:00Z');

function importCli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [IMPORT, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The `--json` line: the last line of standard output. */
function jsonResult(stdout: string): {
  capture_id: string;
  queries: number;
  skipped: number;
  first: string;
  last: string;
} {
  return JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as ReturnType<typeof jsonResult>;
}

const sha256 = async (file: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

describe('npm run import', () => {
  let upstream: Dnsmasq;
  let served: Served;
  let work: string;

  beforeAll(async () => {
    upstream = await startDnsmasq();
    served = await startServe(upstream.port);
    work = await mkdtemp(path.join(os.tmpdir(), 'dnsw-import-'));
    // The service records a query of its own, so the import lands beside a running capture.
    expect((await dig(served.dnsPort, 'www.example.test')).stdout).toContain('192.0.2.10');
  });

  afterAll(async () => {
    await served?.stop();
    await upstream?.stop();
    await removeDir(served?.dataDir ?? '');
    await rm(work ?? '', { recursive: true, force: true });
  });

  const captures = async (): Promise<CaptureInfo[]> => {
    const r = await fetch(`${served.base}/api/summary`);
    return ((await r.json()) as { captures: CaptureInfo[] }).captures;
  };

  it('imports an AdGuard Home query log and its rotated part while serve runs, with provenance', async () => {
    const rotated = path.join(work, 'querylog.json.1');
    const current = path.join(FIXTURES, 'adguard', 'querylog.json');
    const older = beaconQueries(START - 3_600_000, 900);
    await writeFile(rotated, older.map((q, i) => adguardLine(q, i)).join('\n') + '\n');
    const fixture = (await readFile(current, 'utf8')).trimEnd().split('\n');
    const fixtureLines = fixture.length;
    const watched =
      older.filter((q) => q.qname.endsWith('.safethings.avira.com')).length +
      fixture.filter((l) => l.includes('safethings.avira.com')).length;

    const r = importCli(
      rotated,
      current,
      '--data-dir',
      served.dataDir,
      '--name',
      'AdGuard at home',
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = jsonResult(r.stdout);
    expect(out).toMatchObject({
      queries: 900 + fixtureLines,
      skipped: 0,
      first: new Date(older[0]!.ts).toISOString(),
    });
    expect(Date.parse(out.last)).toBeGreaterThan(Date.parse(out.first));

    // The running service picks it up: no restart, no request.
    const info = await waitFor(
      async () => (await captures()).find((c) => c.id === out.capture_id),
      10_000,
      'the service to list the imported capture',
    );
    expect(info).toMatchObject({ state: 'stopped', queries: out.queries, startedAt: Date.parse(out.first) });
    expect(info.source).toMatchObject({
      format: 'adguard',
      name: 'AdGuard at home',
      wire: false,
      partial: false,
      skipped: 0,
      files: [
        { name: 'querylog.json.1', sha256: await sha256(rotated) },
        { name: 'querylog.json', sha256: await sha256(current) },
      ],
    });
    expect(info.source!.app).toMatch(/^DNS Witness \d/);
    expect(info.source!.cannotTell.join(' ')).toContain('no query message');

    // Its queries, CSV and watchlist come from the file.
    const csv = await (await fetch(`${served.base}/api/export.csv?captureId=${out.capture_id}`)).text();
    const rows = csv.trimEnd().split(/\r?\n/);
    expect(rows).toHaveLength(out.queries + 1);
    expect(rows[1]).toMatch(
      /^2026-11-20T08:00:00\.000Z,192\.168\.0\.1,gw\.safethings\.avira\.com,A,NOERROR,192\.0\.2\.7,/,
    );
    expect(rows.filter((l) => l.endsWith(',avira-safethings')).length).toBe(watched);
    const page = (await (
      await fetch(`${served.base}/api/queries?captureId=${out.capture_id}&limit=5`)
    ).json()) as {
      total: number;
      events: { seq: number }[];
    };
    expect(page.total).toBe(out.queries);
    // Numbered after what the service had recorded, so seqs stay unique.
    expect(new Set(page.events.map((e) => e.seq)).size).toBe(5);

    // No DNS messages in the file: the pcap holds none of these queries rather than made-up ones.
    const pcap = Buffer.from(
      await (await fetch(`${served.base}/api/export.pcap?captureId=${out.capture_id}`)).arrayBuffer(),
    );
    expect(pcap.length).toBe(24);

    // The evidence bundle says where the queries came from, and verify vouches for it.
    const zipPath = path.join(work, 'evidence.zip');
    const zip = Buffer.from(
      await (await fetch(`${served.base}/api/evidence.zip?captureId=${out.capture_id}`)).arrayBuffer(),
    );
    await writeFile(zipPath, zip);
    const files = unzipSync(new Uint8Array(zip));
    const report = strFromU8(files['report.html']!);
    expect(report).toContain(`imported from querylog.json.1 (SHA-256 ${await sha256(rotated)})`);
    expect(report).toContain('DNS Witness did not observe these queries itself');
    const summary = JSON.parse(strFromU8(files['summary.json']!)) as {
      imported: string[];
      captures: { source: unknown }[];
    };
    expect(summary.imported).toHaveLength(1);
    expect(summary.captures[0]!.source).toMatchObject({ format: 'adguard', dns_messages: false });
    const v = spawnSync(process.execPath, [VERIFY, zipPath], { encoding: 'utf8', cwd: ROOT });
    expect(v.stdout).toMatch(/^OK /);
    expect(v.status).toBe(0);

    // DNS goes on: the service still answers.
    expect((await dig(served.dnsPort, 'dfp-dual.safethings.avira.com')).stdout).toContain('192.0.2.77');
  });

  for (const mode of ['log-queries', 'log-queries=extra'])
    it(`imports the log of a real dnsmasq run with --${mode}`, async () => {
      const log = path.join(work, `dnsmasq-${mode}.log`);
      const logged = await startDnsmasq([`--${mode}`, `--log-facility=${log}`]);
      const names = Array.from({ length: 12 }, (_, i) =>
        i % 3 === 0
          ? `n${i}.safethings.avira.com`
          : i % 3 === 1
            ? 'www.example.test'
            : `gone${i}.example.test`,
      );
      try {
        for (const name of names) await dig(logged.port, name);
      } finally {
        await logged.stop();
      }
      const r = importCli(log, '--data-dir', served.dataDir, '--json');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = jsonResult(r.stdout);
      const info = await waitFor(
        async () => (await captures()).find((c) => c.id === out.capture_id),
        10_000,
        'the service to list the imported capture',
      );
      expect(info.source).toMatchObject({ format: 'dnsmasq', wire: false, skipped: out.skipped });
      // startDnsmasq's own readiness probes (www.example.test) are queries too.
      const csv = await (await fetch(`${served.base}/api/export.csv?captureId=${out.capture_id}`)).text();
      const rows = csv.trimEnd().split(/\r?\n/).slice(1);
      expect(rows).toHaveLength(out.queries);
      const asked = rows.map((row) => row.split(',')[2]);
      expect(asked.slice(-names.length)).toEqual(names);
      const last = rows.slice(-names.length);
      expect(last[0]).toMatch(/,n0\.safethings\.avira\.com,A,NOERROR,192\.0\.2\.78,.*,avira-safethings$/);
      expect(last[2]).toMatch(/,gone2\.example\.test,A,NXDOMAIN,,/);
      expect(out.skipped).toBeGreaterThan(0);
    });

  it('gives the same queries again from its own pcap export (a round trip)', async () => {
    for (const name of ['www.example.test', 'gone.example.test', 'txt.example.test'])
      await dig(served.dnsPort, name, name.startsWith('txt') ? 'TXT' : 'A');
    const live = (await captures()).find((c) => c.state === 'running')!;
    type Row = {
      client_ip: string;
      client_port: number;
      transport: string;
      qname: string;
      qtype: string;
      rcode: string;
    };
    const asked = await waitFor(
      async () => {
        const page = (await (
          await fetch(`${served.base}/api/queries?captureId=${live.id}&limit=1000`)
        ).json()) as {
          events: Row[];
        };
        return page.events.some((e) => e.qname === 'txt.example.test') ? page.events.reverse() : undefined;
      },
      10_000,
      'the queries to be recorded',
    );
    const file = path.join(work, 'dns-witness.pcap');
    await writeFile(
      file,
      Buffer.from(await (await fetch(`${served.base}/api/export.pcap?captureId=${live.id}`)).arrayBuffer()),
    );
    // The export puts the service's own DNS port on its packets: name it.
    const r = importCli(file, '--port', String(served.dnsPort), '--data-dir', served.dataDir, '--json');
    expect(r.code).toBe(0);
    const out = jsonResult(r.stdout);
    await waitFor(async () => (await captures()).find((c) => c.id === out.capture_id), 10_000, 'the capture');
    const again = (await (
      await fetch(`${served.base}/api/queries?captureId=${out.capture_id}&limit=1000`)
    ).json()) as {
      events: Row[];
    };
    const key = (e: Row) => [e.client_ip, e.client_port, e.transport, e.qname, e.qtype, e.rcode].join(' ');
    expect(again.events.reverse().map(key)).toEqual(asked.slice(0, out.queries).map(key));
    expect(out.queries).toBe(asked.length);
  });

  it('gives the same queries again from its own dnstap export (a round trip)', async () => {
    for (const name of ['www.example.test', 'gone.example.test'])
      await dig(served.dnsPort, `tap-${name}`, 'A');
    const live = (await captures()).find((c) => c.state === 'running')!;
    type Row = { client_ip: string; client_port: number; transport: string; qname: string; rcode: string };
    const asked = await waitFor(
      async () => {
        const page = (await (
          await fetch(`${served.base}/api/queries?captureId=${live.id}&limit=1000`)
        ).json()) as { events: Row[] };
        return page.events.some((e) => e.qname === 'tap-gone.example.test') ? page.events : undefined;
      },
      10_000,
      'the queries to be recorded',
    );
    const file = path.join(work, 'dns-witness.dnstap');
    await writeFile(
      file,
      Buffer.from(await (await fetch(`${served.base}/api/export.dnstap?captureId=${live.id}`)).arrayBuffer()),
    );
    // Found by its first bytes, without --format.
    const r = importCli(file, '--data-dir', served.dataDir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = jsonResult(r.stdout);
    expect(out.queries).toBe(asked.length);
    await waitFor(async () => (await captures()).find((c) => c.id === out.capture_id), 10_000, 'the capture');
    const again = (await (
      await fetch(`${served.base}/api/queries?captureId=${out.capture_id}&limit=1000`)
    ).json()) as { events: Row[] };
    const key = (e: Row) => [e.client_ip, e.client_port, e.transport, e.qname, e.rcode].join(' ');
    expect(again.events.map(key).sort()).toEqual(asked.map(key).sort());
    // The capture keeps the messages' bytes: its pcap export has a packet per query and per response.
    const pcap = Buffer.from(
      await (await fetch(`${served.base}/api/export.pcap?captureId=${out.capture_id}`)).arrayBuffer(),
    );
    expect(pcap.length).toBeGreaterThan(24 + asked.length * 2 * 16);
  });

  it('refuses a damaged file with one line naming the format and the line, keeping nothing', async () => {
    const before = await readdir(path.join(served.dataDir, 'captures'));
    const bad = path.join(work, 'querylog-bad.json');
    const good = beaconQueries(START, 3).map((q) => adguardLine(q));
    await writeFile(bad, `${good[0]}\n${good[1]}\n{"T":"2026-11-20T09:00:02Z","QH":\n${good[2]}\n`);
    const r = importCli(bad, '--data-dir', served.dataDir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'dns-witness import: AdGuard Home query log querylog-bad.json line 3: not a JSON object\n',
    );
    expect(r.stdout).toBe('');

    const noise = path.join(work, 'noise.bin');
    await writeFile(noise, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 255)));
    const n = importCli(noise, '--data-dir', served.dataDir);
    expect(n.code).toBe(1);
    expect(n.stderr).toMatch(
      /^dns-witness import: noise\.bin: not a format DNS Witness reads \(AdGuard Home query log/,
    );
    expect(n.stderr.trimEnd().split('\n')).toHaveLength(1);

    const u = importCli(bad, '--format', 'excel');
    expect(u.code).toBe(2);
    expect(await readdir(path.join(served.dataDir, 'captures'))).toEqual(before);
  });

  it('Ctrl-C cancels a large import and leaves no half capture', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-import-data-'));
    try {
      const big = path.join(work, 'big-querylog.json');
      const line = adguardLine({
        ts: START,
        client: '192.168.0.1',
        qname: 'gw.safethings.avira.com',
        answer: '192.0.2.7',
      });
      // About 400 MB: far more than a moment's work, so the signal lands while it reads.
      const block = `${line}\n`.repeat(10_000);
      const fh = await import('node:fs/promises').then((fs) => fs.open(big, 'w'));
      for (let i = 0; i < 120; i++) await fh.write(block);
      await fh.close();
      const child = spawn(process.execPath, [IMPORT, big, '--data-dir', dataDir], { cwd: ROOT });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // The first progress line: it is reading.
      await waitFor(
        () => (/import: \d+\.\d% · [\d,]+ queries · [\d,]+ rows\/s/.test(stderr) ? true : undefined),
        30_000,
        'progress',
      );
      child.kill('SIGINT');
      expect(await exit).toBe(130);
      expect(stderr).toContain('dns-witness import: cancelled; nothing was imported');
      expect(await readdir(path.join(dataDir, 'captures'))).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
